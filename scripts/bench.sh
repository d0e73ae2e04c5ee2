#!/usr/bin/env bash
# Measures `postwright validate`, `postwright plan` and `postwright preview`
# over N generated posts (default 10000), plan and preview with an N-entry
# state record (every post published); preview cold and warm.
# Usage: scripts/bench.sh [N]
#        scripts/bench.sh --distinct-photos N
# Prints wall-clock time and peak memory of 5 runs each, and their median.
# Posts are a mix of images, carousels, reels and stories, sharing the media
# of example-content, so the run also exercises the media header cache.
#
# --distinct-photos N: N single-image posts, each with a photo of its own
# (1080x1350 JPEGs, every one different: ffmpeg's testsrc2 pattern, which
# moves and counts frame by frame, with fresh grain on each, ~300 KB apiece
# like a phone's export), so a cold preview decodes N distinct JPEGs. Only
# `preview` is measured then. Needs ffmpeg (apt-get install ffmpeg); the
# photos are made once into $PHOTOS (default /tmp/postwright-bench-photos-N)
# and reused by later runs.
set -euo pipefail
distinct=
if [ "${1:-}" = --distinct-photos ]; then
  distinct=1
  shift
fi
n=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/postwright"
dir=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $dir" || trap 'rm -rf "$dir"' EXIT
cp "$root/example-content/postwright.toml" "$dir/"
cp -r "$root/example-content/media" "$dir/media"
if [ -n "$distinct" ]; then
  command -v ffmpeg >/dev/null || { echo "--distinct-photos needs ffmpeg" >&2; exit 1; }
  photos=${PHOTOS:-/tmp/postwright-bench-photos-$n}
  if [ ! -f "$photos/p$(printf %05d "$n").jpg" ]; then
    echo "making $n distinct 1080x1350 photos in $photos"
    mkdir -p "$photos"
    # One frame per photo; all cores encode.
    ffmpeg -hide_banner -loglevel error -nostdin -y \
      -f lavfi -i "testsrc2=s=1080x1350:r=25,noise=alls=16:allf=t+u" \
      -frames:v "$n" -q:v 3 "$photos/p%05d.jpg"
  fi
  python3 - "$dir" "$n" "$photos" <<'PY'
import os, shutil, sys
d, n, photos = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(d, "media/photos"))
for i in range(n):
    # A hard link when on the same file system (no copy, and not a symlink,
    # which media checks may refuse), else a copy.
    name = f"p{i + 1:05}.jpg"
    src, dst = os.path.join(photos, name), os.path.join(d, "media/photos", name)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy(src, dst)
for i in range(n):
    sub = os.path.join(d, "posts", f"{i // 500:03}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"photo-{i}.md"), "w") as f:
        f.write(f"---\npublish_at: 2027-01-{1 + i % 28:02}T09:00:00+01:00\nmedia: [/media/photos/p{i + 1:05}.jpg]\nalt_text: Photo {i}\n---\nPhoto number {i}. #handmade\n")
PY
else
python3 - "$dir" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
kinds = [
  "media: [/media/studio.jpg]\nalt_text: Shelves of bowls\nlocation_id: \"110123456789\"\n",
  "media:\n  - src: /media/mug-desk.jpg\n    alt_text: A mug\n    user_tags: [{username: a.b, x: 0.5, y: 0.5}]\n  - /media/mug-hand.jpg\n  - /media/kiln-timelapse.mp4\ncollaborators: [partner]\n",
  "type: reel\nmedia: [/media/glaze-reel.mp4]\ncover: /media/glaze-cover.jpg\nshare_to_feed: true\n",
]
for i in range(n):
    sub = os.path.join(d, "posts", f"{i // 500:03}")
    os.makedirs(sub, exist_ok=True)
    if i % 4 == 3:
        with open(os.path.join(sub, f"story-{i}.yaml"), "w") as f:
            f.write(f"type: story\npublish_at: 2027-01-{1 + i % 28:02} 09:00\nmedia: [/media/story-sale.jpg]\n")
    else:
        with open(os.path.join(sub, f"post-{i}.md"), "w") as f:
            f.write(f"---\npublish_at: 2027-01-{1 + i % 28:02}T09:00:00+01:00\n{kinds[i % 3]}first_comment: \"#ceramics\"\n---\nPost number {i}. #handmade #stoneware @friend\n\nA second paragraph of caption text.\n")
PY
fi
# Prints each run's line, then the median wall clock and the largest peak RSS.
summary() {
  tail -5 "$dir/time.log" | awk '{ print $3, $6 }' | sort -n | awk '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "  median %.2f s wall, %d MB peak RSS (largest)\n", t[3], m / 1024 }'
}
measure() {
  "$bin" --repo "$dir" "$@" >/dev/null 2>&1 || true  # warm the page cache
  for run in 1 2 3 4 5; do
    /usr/bin/time -f "  run $run: %e s wall, %M KB peak RSS" "$bin" --repo "$dir" "$@" >/dev/null 2>>"$dir/time.log" || true
    tail -1 "$dir/time.log"
  done
  summary
}
if [ -z "$distinct" ]; then
  echo "validate over $n posts ($(du -sh --apparent-size "$dir/posts" | cut -f1)B of post files):"
  measure validate
fi
# A state record with every post published, hashes as plan computes them.
"$bin" --repo "$dir" plan --at 2026-01-01T00:00:00Z --format json > "$dir/plan.json"
python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
plan = json.load(open(os.path.join(d, "plan.json")))
posts = {}
for i, e in enumerate(plan["entries"]):
    posts[e["id"]] = {"status": "published", "file": e["file"], "account": e["account"], "type": e["type"],
        "content_hash": e["content_hash"], "container_id": str(17900000000000000 + i),
        "media_id": str(18000000000000000 + i), "permalink": f"https://www.instagram.com/p/C{i:09d}/",
        "published_at": "2026-11-01T08:00:00Z", "comments_enabled": True}
os.makedirs(os.path.join(d, ".postwright"), exist_ok=True)
json.dump({"format_version": 1, "posts": posts}, open(os.path.join(d, ".postwright/state.json"), "w"), indent=2)
print(f"state record: {len(posts)} entries, {os.path.getsize(os.path.join(d, '.postwright/state.json')) // 1024} KiB")
PY
if [ -z "$distinct" ]; then
  echo "plan over $n posts with that state:"
  measure plan --at 2027-02-01T00:00:00Z
fi
what="$n posts"
[ -n "$distinct" ] && what="$n posts with $n distinct photos ($(du -sh --apparent-size "$dir/media/photos" | cut -f1)B)"
echo "preview over $what with that state, cold (no thumbnail cache):"
for run in 1 2 3 4 5; do
  rm -rf "$dir/.postwright/cache" "$dir/site"
  /usr/bin/time -f "  run $run: %e s wall, %M KB peak RSS" "$bin" --repo "$dir" preview --at 2027-02-01T00:00:00Z --out "$dir/site" >/dev/null 2>>"$dir/time.log" || true
  tail -1 "$dir/time.log"
done
summary
echo "preview, warm (thumbnails cached):"
measure preview --at 2027-02-01T00:00:00Z --out "$dir/site"

#!/usr/bin/env bash
# Measures `postwright validate` over N generated posts (default 10000).
# Usage: scripts/bench-validate.sh [N]    — prints wall-clock times of 5 runs.
# Posts are a mix of images, carousels, reels and stories, sharing the media
# of example-content, so the run also exercises the media header cache.
set -euo pipefail
n=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/postwright"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$root/example-content/postwright.toml" "$dir/"
cp -r "$root/example-content/media" "$dir/media"
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
echo "validate over $n posts ($(du -sh --apparent-size "$dir/posts" | cut -f1)B of post files):"
"$bin" --repo "$dir" validate >/dev/null   # warm the page cache
for run in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$bin" --repo "$dir" validate >/dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'  run $run: {($end - $start) * 1000:.0f} ms')"
done

#!/usr/bin/env bash
# Measures `postwright validate`, `postwright plan` and `postwright preview`
# over N generated posts (default 10000), plan and preview with an N-entry
# state record (every post published); preview cold and warm.
# Usage: scripts/bench.sh [N]
#        scripts/bench.sh --apply
#        scripts/bench.sh --distinct-photos N
#        scripts/bench.sh --compare [--sizes 1000,10000,100000] [N...]
#                         [--rounds 5] [--cold-posts 500] [--no-write]
# Prints wall-clock time, peak memory and CPU time (user + system, every
# thread) of 5 runs each, their medians, and the load average before and
# after (CPU time is the figure to compare on a busy machine).
# Posts are a mix of images, carousels, reels and stories, sharing the media
# of example-content, so the run also exercises the media header cache
# (the repos are made by scripts/bench/gen.py).
#
# --distinct-photos N: N single-image posts, each with a photo of its own
# (1080x1350 JPEGs, every one different: ffmpeg's testsrc2 pattern, which
# moves and counts frame by frame, with fresh grain on each, ~300 KB apiece
# like a phone's export), so a cold preview decodes N distinct JPEGs. Only
# `preview` is measured then. Needs ffmpeg (apt-get install ffmpeg); the
# photos are made once into $PHOTOS (default /tmp/postwright-bench-photos-N)
# and reused by later runs.
#
# --compare: issue 17's side-by-side run. For each size (default 1000 and
# 10000; --sizes or bare numbers choose, e.g. --sizes 1000,10000,100000),
# `postwright plan`, the Python stack a user would write
# (scripts/bench/plan.py: python-frontmatter + PyYAML + jsonschema + Pillow,
# pinned in scripts/bench/requirements.txt, installed into a throwaway
# virtualenv) and the `cat` floor, interleaved, one warm-up then 5 rounds
# (--rounds), medians of wall clock and peak RSS, the ratios, and a check
# that plan.py's counts equal postwright's; then `validate` over a 500-post
# repo (--cold-posts; 0 skips it) with a cold page cache. Rewrites its
# section of BENCHMARKS.md (--no-write: only prints). KEEP=1 keeps the repos
# and the virtualenv. The driver is scripts/bench/compare.py.
#
# --apply: the 20-post apply batch (tests/integration/apply_cost.rs, 5 s of
# video processing on the test Graph API server): the three slowest kinds of
# post alone, then the batch three times, with wall clock, calls per kind
# and the batch against its slowest single post; release build, prints the
# commit and the load average before and after.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --apply ]; then
  cd "$root"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  cargo test --release --quiet --test integration apply_cost::apply_cost -- --ignored --nocapture --exact 2>&1 |
    grep -v '^$\|^running \|^test result\|^test apply_cost'
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
if [ "${1:-}" = --compare ]; then
  shift
  sizes=
  rounds=5
  cold=500
  write=(--write "$root/BENCHMARKS.md")
  while [ $# -gt 0 ]; do
    case $1 in
      --sizes) sizes=${sizes:+$sizes,}$2; shift 2 ;;
      --sizes=*) sizes=${sizes:+$sizes,}${1#--sizes=}; shift ;;
      --rounds) rounds=$2; shift 2 ;;
      --cold-posts) cold=$2; shift 2 ;;
      --no-write) write=(); shift ;;
      *[!0-9]* | '') echo "bench.sh --compare: unknown argument \`$1'" >&2; exit 2 ;;
      *) sizes=${sizes:+$sizes,}$1; shift ;;
    esac
  done
  sizes=${sizes:-1000,10000}
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$root/target}/release/postwright"
  work=$(mktemp -d)
  keep=()
  if [ -n "${KEEP:-}" ]; then
    echo "keeping $work"
    keep=(--keep)
  else
    trap 'rm -rf "$work"' EXIT
  fi
  echo "virtualenv for the Python stack in $work/venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/bench/requirements.txt"
  python3 "$root/scripts/bench/compare.py" --bin "$bin" --python "$work/venv/bin/python" \
    --work "$work" --sizes "$sizes" --rounds "$rounds" --cold-posts "$cold" "${write[@]}" "${keep[@]}"
  exit
fi
distinct=
if [ "${1:-}" = --distinct-photos ]; then
  distinct=1
  shift
fi
n=${1:-10000}
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/postwright"
dir=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then
  echo "keeping $dir"
else
  trap 'rm -rf "$dir"' EXIT
fi
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
  python3 "$root/scripts/bench/gen.py" photos "$dir" "$n" "$photos"
else
  python3 "$root/scripts/bench/gen.py" posts "$dir" "$n"
fi
# Prints each run's line, then the medians of wall clock and CPU time, the
# largest peak RSS and, with distinct photos, the CPU time per photo.
summary() {
  local runs wall cpu mem
  runs=$(tail -5 "$dir/time.log")
  wall=$(awk '{ print $3 }' <<< "$runs" | sort -n | sed -n 3p)
  cpu=$(awk '{ printf "%.2f\n", $10 + $13 }' <<< "$runs" | sort -n | sed -n 3p)
  mem=$(awk '{ print $6 }' <<< "$runs" | sort -n | tail -1)
  printf '  median %s s wall, %s s CPU, %d MB peak RSS (largest)\n' "$wall" "$cpu" $((mem / 1024))
  if [ -n "$distinct" ]; then
    awk -v c="$cpu" -v n="$n" 'BEGIN { printf "  %.2f ms CPU per photo (median run)\n", c * 1000 / n }'
  fi
  echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
timefmt='%e s wall, %M KB peak RSS, %U s user, %S s sys'
echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() {
  "$bin" --repo "$dir" "$@" >/dev/null 2>&1 || true  # warm the page cache
  for run in 1 2 3 4 5; do
    /usr/bin/time -f "  run $run: $timefmt" "$bin" --repo "$dir" "$@" >/dev/null 2>>"$dir/time.log" || true
    tail -1 "$dir/time.log"
  done
  summary
}
if [ -z "$distinct" ]; then
  echo "validate over $n posts ($(du -sh --apparent-size "$dir/posts" | cut -f1)B of post files):"
  measure validate
fi
# A state record with every post published, hashes as plan computes them.
python3 "$root/scripts/bench/gen.py" state "$dir" "$bin"
if [ -z "$distinct" ]; then
  echo "plan over $n posts with that state:"
  measure plan --at 2027-02-01T00:00:00Z
fi
what="$n posts"
[ -n "$distinct" ] && what="$n posts with $n distinct photos ($(du -sh --apparent-size "$dir/media/photos" | cut -f1)B)"
echo "preview over $what with that state, cold (no thumbnail cache):"
for run in 1 2 3 4 5; do
  rm -rf "$dir/.postwright/cache" "$dir/site"
  /usr/bin/time -f "  run $run: $timefmt" "$bin" --repo "$dir" preview --at 2027-02-01T00:00:00Z --out "$dir/site" >/dev/null 2>>"$dir/time.log" || true
  tail -1 "$dir/time.log"
done
summary
echo "preview, warm (thumbnails cached):"
measure preview --at 2027-02-01T00:00:00Z --out "$dir/site"

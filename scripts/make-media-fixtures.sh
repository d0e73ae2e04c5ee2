#!/usr/bin/env bash
# Regenerates the binary media used by the tests (tests/fixtures/media/) and by
# the example content repository (example-content/media/).
#
# The files are committed; neither CI nor the tests run this script. It exists
# so that anyone can see exactly how each file was made and rebuild them.
#
# Needs: ffmpeg (with libx264, libvpx, libfreetype), exiftool, the DejaVu fonts.
#   apt-get install -y ffmpeg libimage-exiftool-perl fonts-dejavu-core
#
# Determinism: the bitexact flags keep encoder version strings and timestamps
# out of the files and x264/libvpx run single-threaded, so the same ffmpeg
# build gives byte-identical output. Another ffmpeg version may encode
# differently; the tests only check what the headers say (dimensions,
# orientation, rotation, duration within 150 ms), not the bytes.
#
# Sizes are kept small on purpose (every file under ~70 KB): solid colours and
# smooth gradients, low frame rates, high CRF and silent mono AAC.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$root/tests/fixtures/media"
example="$root/example-content/media"
mkdir -p "$fixtures" "$example"

font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
font_regular=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
for tool in ffmpeg exiftool; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[[ -f $font && -f $font_regular ]] || { echo "missing DejaVu fonts" >&2; exit 1; }

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
bitexact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

# A vertical two-colour gradient with centred text.
#   gradient W H TOP BOTTOM
gradient() {
  echo "gradients=s=$1x$2:c0=$3:c1=$4:x0=0:y0=0:x1=0:y1=$2:nb_colors=2:seed=1"
}
# drawtext TEXT SIZE Y [COLOUR] -- ':' and ',' inside TEXT must be escaped.
drawtext() {
  echo "drawtext=fontfile=$font:expansion=none:text='$1':fontsize=$2:fontcolor=${4:-white}:x=(w-tw)/2:y=$3"
}

# still OUT FILTERGRAPH -- one baseline JPEG frame.
still() {
  ff -f lavfi -i "$2" -frames:v 1 -q:v 6 -pix_fmt yuvj420p "${bitexact[@]}" "$1"
}

# video OUT SECONDS FPS FILTERGRAPH [extra ffmpeg output args...]
# H.264 + silent mono AAC, moov first ("faststart").
video() {
  local out=$1 secs=$2 fps=$3 graph=$4
  shift 4
  ff -f lavfi -i "$graph,fps=$fps" \
     -f lavfi -i "anullsrc=r=8000:cl=mono" \
     -t "$secs" \
     -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -threads 1 \
     -c:a aac -b:a 8k \
     -movflags +faststart "${bitexact[@]}" "$@" "$out"
}

# A solid colour with two lines of fixed text: every frame is the same, so
# even a very long video costs next to nothing.
#   titled W H COLOUR TITLE SUBTITLE
titled() {
  local w=$1 h=$2 colour=$3
  echo "color=c=$colour:s=${w}x${h}:r=25,$(drawtext "$4" $((w / 12)) "h/2-th*2"),$(drawtext "$5" $((w / 14)) "h/2+th")"
}

# A solid colour with a title and a running seconds counter.
counter() {
  local w=$1 h=$2 colour=$3 title=$4
  echo "color=c=$colour:s=${w}x${h}:r=25,$(drawtext "$title" $((w / 12)) "h/2-th*2"),drawtext=fontfile=$font:text='%{eif\\:t\\:d} s':fontsize=$((w / 10)):fontcolor=white:x=(w-tw)/2:y=h/2+th"
}

echo "== test fixtures in $fixtures"
cd "$fixtures"

still square.jpg "$(gradient 1080 1080 0x4f86c6 0x1b3a5c),$(drawtext 'square 1080x1080' 72 '(h-th)/2')"
still portrait.jpg "$(gradient 1080 1350 0xd9a066 0x5b3a29),$(drawtext 'portrait 1080x1350' 72 '(h-th)/2')"
still landscape.jpg "$(gradient 1440 754 0x7fb77e 0x2f5d3a),$(drawtext 'landscape 1440x754' 72 '(h-th)/2')"
still story.jpg "$(gradient 1080 1920 0xc77dff 0x3c096c),$(drawtext 'story 1080x1920' 72 '(h-th)/2')"
still wide.jpg "$(gradient 1080 400 0xffb703 0xfb8500),$(drawtext 'wide 1080x400' 64 '(h-th)/2')"

# Stored sideways: drawn upright, then turned so that only a viewer that
# honours EXIF Orientation shows the text upright again.
# Orientation 6 = "rotate 90° clockwise to display", so store it turned 90°
# counter-clockwise (transpose=2); orientation 8 is the mirror case.
still rotated-tall.jpg "$(gradient 1080 1920 0x48cae4 0x023e8a),$(drawtext 'shown 1080x1920' 72 '(h-th)/2'),$(drawtext 'EXIF orientation 6' 56 'h/2+80'),transpose=2"
still rotated-wide.jpg "$(gradient 1920 1080 0xf4a261 0x9d4e15),$(drawtext 'shown 1920x1080' 72 '(h-th)/2'),$(drawtext 'EXIF orientation 8' 56 'h/2+80'),transpose=1"
exiftool -q -overwrite_original -n -Orientation=6 rotated-tall.jpg
exiftool -q -overwrite_original -n -Orientation=8 rotated-wide.jpg

ff -f lavfi -i "$(gradient 320 320 0x90be6d 0x277da1),$(drawtext 'PNG' 64 '(h-th)/2')" \
   -frames:v 1 -pix_fmt rgb24 "${bitexact[@]}" image.png
cp image.png png-named.jpg

# An MPO: the JPEG of square.jpg with an APP2 "MPF" segment right after SOI.
# Payload: "MPF\0", a big-endian TIFF header and an MP Index IFD holding only
# MPFVersion "0100". Segment length 0x0020 = 2 (length) + 30 (payload).
{
  head -c 2 square.jpg
  printf '\xff\xe2\x00\x20'
  printf 'MPF\x00'
  printf 'MM\x00\x2a\x00\x00\x00\x08'
  printf '\x00\x01'
  printf '\xb0\x00\x00\x07\x00\x00\x00\x040100'
  printf '\x00\x00\x00\x00'
  tail -c +3 square.jpg
} >mpo.jpg

video reel.mp4 5 10 "$(counter 720 1280 0x2a6f97 reel)"
video reel-short.mp4 1 10 "$(counter 720 1280 0x8338ec 'short reel')"
# 16 min 5 s: one unchanging frame per second at 144x256 keeps it tiny.
video reel-long.mp4 965 1 "$(titled 144 256 0x3a0ca3 'long reel' '16 min 5 s')"
video story-video.mp4 10 10 "$(counter 720 1280 0xe76f51 story)"
video story-long.mp4 75 2 "$(counter 720 1280 0x264653 'long story')"
video square-video.mp4 4 10 "$(counter 1080 1080 0x2a9d8f square)"
video clip.mov 4 10 "$(counter 720 1280 0x6d597a 'QuickTime')" -f mov
# Stored 1280x720 with a 90° display matrix; the picture is drawn upright in
# 720x1280 and turned counter-clockwise, so a player honouring the matrix
# shows it upright. ffmpeg 5 ignores "-metadata:s:v rotate=90" and has no
# -display_rotation yet, so exiftool writes the video tkhd matrix
# (0 1 0 / -1 0 0 / 720 0 1); it rewrites in place and keeps moov first.
video rotated.mp4 3 10 "$(counter 720 1280 0xbc4749 rotated),transpose=2"
exiftool -q -overwrite_original -Rotation=90 rotated.mp4

ff -f lavfi -i "$(counter 640 360 0x588157 WebM),fps=10" -t 2 \
   -c:v libvpx-vp9 -b:v 40k -deadline good -cpu-used 4 -threads 1 -row-mt 0 \
   "${bitexact[@]}" clip.webm

echo "== example content in $example"
cd "$example"

# A stylised mug: body, rim, handle (an outlined box) and a shadow on a
# surface, with a caption.
#   mug W H BG_TOP BG_BOTTOM SURFACE MUG_COLOUR CAPTION
mug() {
  local w=$1 h=$2 top=$3 bottom=$4 surface=$5 colour=$6 caption=$7
  local mw=$((w * 30 / 100)) mh=$((w * 34 / 100))
  local mx=$(((w - mw) / 2 - w / 20)) my=$((h * 62 / 100 - mh))
  echo "$(gradient "$w" "$h" "$top" "$bottom")\
,drawbox=x=0:y=$((h * 62 / 100)):w=$w:h=$((h * 38 / 100)):color=$surface:t=fill\
,drawbox=x=$((mx - 20)):y=$((my + mh - 10)):w=$((mw + 120)):h=30:color=black@0.25:t=fill\
,drawbox=x=$((mx + mw - 20)):y=$((my + mh / 5)):w=$((mw / 3 + 20)):h=$((mh / 2)):color=$colour:t=$((w / 40))\
,drawbox=x=$mx:y=$my:w=$mw:h=$mh:color=$colour:t=fill\
,drawbox=x=$mx:y=$my:w=$mw:h=$((mh / 12)):color=black@0.15:t=fill\
,drawtext=fontfile=$font:text='$caption':fontsize=$((w / 14)):fontcolor=white:x=(w-tw)/2:y=h/10"
}

still mug-desk.jpg "$(mug 1080 1350 0xe9d8c4 0xc9ad8f 0x7a5c43 0x2f6f73 'on the desk')"
still mug-hand.jpg "$(mug 1080 1350 0xf2cc8f 0xe07a5f 0xb56548 0xf4f1de 'in the hand')"
still mug-kiln.jpg "$(mug 1080 1350 0x6a040f 0xf48c06 0x370617 0xdda15e 'fresh from the kiln')"
still glaze-cover.jpg "$(mug 1080 1920 0x1d3557 0x457b9d 0x14213d 0xa8dadc 'glaze day')"
still story-sale.jpg "$(mug 1080 1920 0xffcdb2 0xe5989b 0x6d6875 0xb5838d 'studio sale'),$(drawtext '20% off all weekend' 64 'h*0.78')"
still studio.jpg "$(mug 1080 1080 0xdad7cd 0xa3b18a 0x588157 0x344e41 'the studio')"
still holiday.jpg "$(mug 1080 1080 0x9b2226 0x5f0f13 0x283618 0xfefae0 'happy holidays')"

# The kiln glows hotter: the background hue drifts and the temperature counts up.
video kiln-timelapse.mp4 4 10 "$(mug 1080 1350 0x370617 0xdc2f02 0x1b1b1b 0xdda15e 'kiln timelapse'),hue=h=t*8,drawtext=fontfile=$font_regular:text='%{eif\\:900+t*85\\:d} °C':fontsize=90:fontcolor=white:x=(w-tw)/2:y=h*0.8"
video glaze-reel.mp4 8 10 "$(mug 720 1280 0x0077b6 0x03045e 0x023047 0x90e0ef 'glaze reel'),hue=h=t*20,drawtext=fontfile=$font_regular:text='coat %{eif\\:1+t/2\\:d}':fontsize=64:fontcolor=white:x=(w-tw)/2:y=h*0.8"

echo "== sizes"
ls -l "$fixtures" "$example"

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

video reel.mp4 5 10 "$(counter 720 1280 0x2a6f97 reel)"
video reel-short.mp4 1 10 "$(counter 720 1280 0x8338ec 'short reel')"
# 16 min 5 s: one unchanging frame per second at 144x256 keeps it tiny.
video reel-long.mp4 965 1 "$(titled 144 256 0x3a0ca3 'long reel' '16 min 5 s')"
video story-video.mp4 10 10 "$(counter 720 1280 0xe76f51 story)"
video story-long.mp4 75 2 "$(counter 720 1280 0x264653 'long story')"
video square-video.mp4 4 10 "$(counter 1080 1080 0x2a9d8f square)"
# Two solid colours, no text: red (0xd62828) for the first two seconds, blue
# (0x2563eb) after. The preview's frame test takes frames at 0 and 3 s and
# checks their colour.
video two-colour-reel.mp4 4 10 "color=c=0xd62828:s=360x640:r=10,drawbox=x=0:y=0:w=iw:h=ih:color=0x2563eb:t=fill:enable='gte(t\\,2)'"
video clip.mov 4 10 "$(counter 720 1280 0x6d597a 'QuickTime')" -f mov
# Stored 1280x720 with a 90° display matrix; the picture is drawn upright in
# 720x1280 and turned counter-clockwise, so a player honouring the matrix
# shows it upright. ffmpeg 5 ignores "-metadata:s:v rotate=90" and has no
# -display_rotation yet, so exiftool writes the video tkhd matrix
# (0 1 0 / -1 0 0 / 720 0 1); it rewrites in place and keeps moov first.
video rotated.mp4 3 10 "$(counter 720 1280 0xbc4749 rotated),transpose=2"
exiftool -q -overwrite_original -Rotation=90 rotated.mp4

# Fragmented MP4 as screen recorders and live muxers write it: an empty moov
# (mvex, no samples), then a moof+mdat pair per keyframe (one a second).
video fragmented.mp4 5 10 "$(counter 720 1280 0x6a4c93 fragmented)" -g 10 -movflags frag_keyframe+empty_moov

# rotated.mp4 with rounding noise in the tkhd matrix, as some editors write
# it: a = -1/65536, b = 0x0000FFFF, c = 0xFFFF0001, d = 1/65536 (16.16 fixed
# point) instead of 0 1 / -1 0. Still a 90° turn.
python3 - <<'PY'
import struct
data = bytearray(open("rotated.mp4", "rb").read())

def boxes(start, end):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, pos + 8, pos + size
        pos += size

moov = next((b, e) for k, b, e in boxes(0, len(data)) if k == b"moov")
for kind, body, end in boxes(*moov):
    if kind != b"trak":
        continue
    children = {k: (b, e) for k, b, e in boxes(body, end)}
    mdia = children[b"mdia"]
    hdlr = next(b for k, b, e in boxes(*mdia) if k == b"hdlr")
    if data[hdlr + 8:hdlr + 12] != b"vide":
        continue
    tkhd = children[b"tkhd"][0]
    matrix = tkhd + (52 if data[tkhd] == 1 else 40)
    for i, v in enumerate([-1, 0xFFFF, 0, -0xFFFF, 1, 0]):
        struct.pack_into(">i", data, matrix + 4 * i, v)
open("rotated-noisy.mp4", "wb").write(data)
PY

ff -f lavfi -i "$(counter 640 360 0x588157 WebM),fps=10" -t 2 \
   -c:v libvpx-vp9 -b:v 40k -deadline good -cpu-used 4 -threads 1 -row-mt 0 \
   "${bitexact[@]}" clip.webm

# ---- Real-world quirks (issue 13). The JPEG variants are assembled from the
# stills above by python3 (no randomness, no timestamps: byte-identical on
# every run); the MP4 variants are ffmpeg output, one of them patched.

still mpo-right.tmp.jpg "$(gradient 1080 1080 0x4f86c6 0x1b3a5c),$(drawtext 'right eye' 72 '(h-th)/2+8')"
still gain-map.tmp.jpg "color=c=0x808080:s=270x270,format=gray"
still preview.tmp.jpg "$(gradient 320 320 0x4f86c6 0x1b3a5c)"

python3 - <<'PY'
import struct

def read(name):
    with open(name, "rb") as f:
        return f.read()

def segments(jpeg):
    """(marker, start, end) of every segment from SOI's end up to SOS (end None)."""
    out, pos = [], 2
    while True:
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            out.append((marker, pos, None))
            return out
        end = pos + 2 + struct.unpack(">H", jpeg[pos + 2:pos + 4])[0]
        out.append((marker, pos, end))
        pos = end

def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

def mpf(entries, tiff_pos):
    """APP2 'MPF\\0' with a big-endian MP Index IFD: MPFVersion, NumberOfImages,
    MPEntry. entries = [(attribute, size, file_offset)]; offsets are stored
    relative to the MPF TIFF header at file position tiff_pos (the first
    image's offset is 0 by definition)."""
    n = len(entries)
    ifd = struct.pack(">H", 3)
    ifd += struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")
    ifd += struct.pack(">HHII", 0xB001, 4, 1, n)
    entries_at = 8 + 2 + 3 * 12 + 4
    ifd += struct.pack(">HHII", 0xB002, 7, 16 * n, entries_at)
    ifd += struct.pack(">I", 0)  # no MP Attribute IFD
    body = b""
    for i, (attr, size, off) in enumerate(entries):
        body += struct.pack(">IIIHH", attr, size, 0 if i == 0 else off - tiff_pos, 0, 0)
    return segment(0xE2, b"MPF\0" + b"MM\0\x2a" + struct.pack(">I", 8) + ifd + body)

def multi_picture(first, others, first_extra=b"", attrs=()):
    """first (with first_extra segments after SOI and an MPF) followed by others."""
    mpf_len = len(mpf([(0, 0, 0)] * (1 + len(others)), 0))
    head = first[:2] + first_extra
    tiff_pos = len(head) + 4 + 4  # FF E2 + length, then "MPF\0"
    total_first = len(head) + mpf_len + len(first) - 2
    entries, off = [(attrs[0], total_first, 0)], total_first
    for attr, o in zip(attrs[1:], others):
        entries.append((attr, len(o), off))
        off += len(o)
    out = head + mpf(entries, tiff_pos) + first[2:]
    assert len(out) == total_first
    return out + b"".join(others)

def xmp(description_attrs, inner=""):
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" ' + description_attrs + ">" + inner +
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + packet.encode())

square = read("square.jpg")

# Junk between segments: 7 stray bytes and a stuffed FF 00 pair after APP0,
# 3 stray bytes and FF fill bytes before SOF. libjpeg decodes it with
# "Corrupt JPEG data: N extraneous bytes before marker" warnings.
segs = segments(square)
app0_end = segs[0][2]
sof_start = next(s for m, s, e in segs if m == 0xC0)
junk = (square[:app0_end] + b"\x00\x13\x37junk" + b"\xff\x00"
        + square[app0_end:sof_start] + b"abc" + b"\xff\xff\xff" + square[sof_start:])
open("junk.jpg", "wb").write(junk)

# EXIF after the frame header: rotated-tall.jpg (orientation 6) with its
# APP1 moved from after APP0 to just before SOS (after SOF and DHT).
tall = read("rotated-tall.jpg")
segs = segments(tall)
m, s, e = next(x for x in segs if x[0] == 0xE1)
sos = segs[-1][1]
open("exif-after-sof.jpg", "wb").write(tall[:s] + tall[e:sos] + tall[s:e] + tall[sos:])

# A true MPO: a stereo pair, both MP entries of type 0x020002 (multi-frame,
# disparity), the first flagged representative (0x20000000), as 3D cameras write.
right = read("mpo-right.tmp.jpg")
open("mpo.jpg", "wb").write(multi_picture(square, [right], attrs=(0x20020002, 0x00020002)))

# An Ultra HDR-like JPEG (Google's Ultra HDR v1 layout): primary with XMP
# (hdrgm:Version + GContainer directory) and MPF (primary 0x030000, gain map
# 0x000000), then a grey gain-map JPEG with its own hdrgm XMP.
gain = read("gain-map.tmp.jpg")
gain = gain[:2] + xmp(
    'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0" '
    'hdrgm:GainMapMin="0" hdrgm:GainMapMax="2" hdrgm:Gamma="1" hdrgm:OffsetSDR="0.015625" '
    'hdrgm:OffsetHDR="0.015625" hdrgm:HDRCapacityMin="0" hdrgm:HDRCapacityMax="2" '
    'hdrgm:BaseRenditionIsHDR="False"') + gain[2:]
primary_xmp = xmp(
    'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
    'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" '
    'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"',
    '<Container:Directory><rdf:Seq>'
    '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>'
    '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" '
    'Item:Length="%d"/></rdf:li></rdf:Seq></Container:Directory>' % len(gain))
open("ultrahdr.jpg", "wb").write(
    multi_picture(square, [gain], first_extra=primary_xmp, attrs=(0x030000, 0x000000)))

# A plain JPEG whose MPF lists only a large thumbnail (0x010001, VGA class):
# the primary (0x030000) is the picture, the second image a preview of it.
preview = read("preview.tmp.jpg")
open("mpf-preview.jpg", "wb").write(multi_picture(square, [preview], attrs=(0x030000, 0x010001)))
PY
rm -f mpo-right.tmp.jpg gain-map.tmp.jpg preview.tmp.jpg

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

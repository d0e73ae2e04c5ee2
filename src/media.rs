//! Header-only media inspection.
//!
//! Posts reference images and videos that can be hundreds of megabytes, and
//! validation runs on every `git push`, so nothing here decodes pixels or
//! samples: we read the few bytes of header that carry dimensions, rotation
//! and duration, and seek past everything else. The input is untrusted (any
//! file a contributor drops into the repository), so every length field is
//! checked against the file length before it is used, no buffer is sized from
//! an unchecked field, and every loop advances by at least one byte.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// What the header of a media file says.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// Size of the file in bytes.
    pub bytes: u64,
    /// The detected format and, where inspectable, its dimensions.
    pub format: Format,
}

/// The kind of media a file holds, as far as its header tells.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A baseline/progressive JPEG (JFIF or EXIF). `orientation` is the EXIF
    /// Orientation tag (1..=8; 1 when absent or unreadable).
    Jpeg {
        /// Stored pixel width (before applying `orientation`).
        width: u32,
        /// Stored pixel height (before applying `orientation`).
        height: u32,
        /// EXIF Orientation, 1..=8.
        orientation: u8,
    },
    /// A JPEG file carrying an MPO (multi-picture, APP2 "MPF\0") or JPS stereo
    /// image: Instagram rejects these.
    Mpo,
    /// An image in a format Instagram does not accept: "PNG", "GIF", "WebP",
    /// "HEIC", "AVIF", "BMP", "TIFF".
    OtherImage(&'static str),
    /// An ISO-BMFF video: MP4 (including 3GP and M4V) or QuickTime MOV.
    Video(VideoInfo),
    /// A video container Instagram does not accept: "WebM/Matroska", "AVI",
    /// "FLV", "MPEG-TS", "MPEG-PS".
    OtherVideo(&'static str),
    /// Not recognised as any image or video.
    Unknown,
}

/// What the `moov` box of an MP4/MOV file says.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// MP4 or QuickTime.
    pub container: Container,
    /// Stored width of the first video track (tkhd), 0 if there is no video track.
    pub width: u32,
    /// Stored height of the first video track (tkhd), 0 if there is no video track.
    pub height: u32,
    /// Clockwise display rotation from the tkhd matrix: 0, 90, 180 or 270.
    pub rotation: u16,
    /// Movie duration from mvhd, in milliseconds.
    pub duration_ms: u64,
    /// Whether a track with handler type "vide" exists.
    pub has_video_track: bool,
    /// "Faststart": the moov box precedes the first mdat box, as Instagram asks.
    pub moov_before_mdat: bool,
}

/// The ISO-BMFF flavour of a video file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MPEG-4 (ftyp brands isom, mp41, mp42, avc1, iso2..iso6, M4V, 3GP, ...).
    Mp4,
    /// QuickTime (ftyp brand "qt  ", or legacy files without ftyp).
    Mov,
}

impl Container {
    /// Short name for messages: "MP4" or "MOV".
    pub fn name(self) -> &'static str {
        match self {
            Container::Mp4 => "MP4",
            Container::Mov => "MOV",
        }
    }
}

impl Format {
    /// Whether this is a video file, whether or not Instagram accepts its container.
    pub fn is_video(&self) -> bool {
        matches!(self, Format::Video(_) | Format::OtherVideo(_))
    }

    /// A one-line human description, e.g. "JPEG 1080×1350", "PNG image",
    /// "MP4 video 1080×1920, 6.0 s". Sizes are as displayed.
    pub fn describe(&self) -> String {
        match self {
            Format::Jpeg {
                width,
                height,
                orientation,
            } => {
                let (dw, dh) = self.display_size().unwrap_or((*width, *height));
                if *orientation == 1 {
                    format!("JPEG {dw}×{dh}")
                } else {
                    format!(
                        "JPEG {dw}×{dh} (stored {width}×{height}, EXIF orientation {orientation})"
                    )
                }
            }
            Format::Mpo => "MPO (multi-picture JPEG)".to_string(),
            Format::OtherImage(name) => format!("{name} image"),
            Format::Video(v) => {
                let secs = format_seconds(v.duration_ms);
                match self.display_size() {
                    Some((w, h)) if v.rotation != 0 => format!(
                        "{} video {w}×{h} (rotated {}°), {secs}",
                        v.container.name(),
                        v.rotation
                    ),
                    Some((w, h)) => format!("{} video {w}×{h}, {secs}", v.container.name()),
                    None => format!("{} file without a video track, {secs}", v.container.name()),
                }
            }
            Format::OtherVideo(name) => format!("{name} video"),
            Format::Unknown => "unrecognised file".to_string(),
        }
    }

    /// Width and height as displayed: JPEG with EXIF orientation 5..=8, or
    /// video rotation 90/270, swaps them. None for non-inspectable formats
    /// (and for an MP4/MOV without a video track, which has no picture).
    pub fn display_size(&self) -> Option<(u32, u32)> {
        match self {
            Format::Jpeg {
                width,
                height,
                orientation,
            } => Some(if (5..=8).contains(orientation) {
                (*height, *width)
            } else {
                (*width, *height)
            }),
            Format::Video(v) if v.has_video_track => Some(if v.rotation % 180 == 90 {
                (v.height, v.width)
            } else {
                (v.width, v.height)
            }),
            _ => None,
        }
    }
}

// One decimal is enough to judge Instagram's limits (3 s, 60 s, 15 min) and
// integer arithmetic keeps the text stable across platforms.
fn format_seconds(ms: u64) -> String {
    let tenths = (ms + 50) / 100;
    format!("{}.{} s", tenths / 10, tenths % 10)
}

/// Why a file could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The file could not be opened or read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The magic bytes say what it is, but the header is broken (truncated
    /// JPEG before SOF, box size running past the end, mvhd missing, ...).
    #[error("{format} header is malformed: {detail}")]
    Malformed {
        /// The format the magic bytes announced ("JPEG", "MP4", "MOV").
        format: &'static str,
        /// What is wrong, for the user.
        detail: String,
    },
}

fn malformed(format: &'static str, detail: impl fmt::Display) -> MediaError {
    MediaError::Malformed {
        format,
        detail: detail.to_string(),
    }
}

/// Inspect a file on disk (opens it, uses metadata for `bytes`, then `inspect_reader`).
pub fn inspect(path: &Path) -> Result<MediaInfo, MediaError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    inspect_reader(file, len)
}

/// Inspect any seekable reader of known length. Never panics, never sizes a
/// buffer from an unchecked length field (EXIF is bounded by the 64 KiB JPEG
/// segment limit, moov by [`MAX_MOOV`]) and terminates on any input.
pub fn inspect_reader<R: Read + Seek>(reader: R, len: u64) -> Result<MediaInfo, MediaError> {
    let mut src = Source::new(reader, len)?;
    let mut head = [0u8; SNIFF_LEN];
    let n = src.read_head(&mut head)?;
    let head = &head[..n];
    let format = match sniff(head) {
        Sniffed::Jpeg => inspect_jpeg(&mut src)?,
        Sniffed::Bmff(container) => Format::Video(inspect_bmff(&mut src, container)?),
        Sniffed::Done(format) => format,
    };
    Ok(MediaInfo { bytes: len, format })
}

/// Largest `moov` box we load into memory. Real phone videos of an hour stay
/// well under this; anything bigger is more likely hostile than real.
pub const MAX_MOOV: u64 = 64 * 1024 * 1024;

// Long enough for an MPEG-TS second sync byte at 188 and a typical ftyp
// brand list, short enough to live on the stack.
const SNIFF_LEN: usize = 512;

// A byte source that refuses to read past `len` (the caller's idea of the
// file size, which may disagree with the reader) and turns running out of
// bytes into `Malformed` rather than a bare I/O error, because a truncated
// header is a property of the file, not of the disk.
struct Source<R> {
    inner: BufReader<R>,
    pos: u64,
    len: u64,
    format: &'static str,
}

impl<R: Read + Seek> Source<R> {
    fn new(mut reader: R, len: u64) -> io::Result<Self> {
        reader.seek(SeekFrom::Start(0))?;
        Ok(Source {
            inner: BufReader::with_capacity(8 * 1024, reader),
            pos: 0,
            len,
            format: "file",
        })
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn truncated(&self) -> MediaError {
        malformed(
            self.format,
            format!("file ends early (at byte {})", self.pos),
        )
    }

    // Sniffing must work on files shorter than SNIFF_LEN, so a short read is
    // not an error here.
    fn read_head(&mut self, buf: &mut [u8]) -> Result<usize, MediaError> {
        let want = buf
            .len()
            .min(usize::try_from(self.len).unwrap_or(usize::MAX));
        let mut got = 0;
        while got < want {
            match self.inner.read(&mut buf[got..want]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.pos = got as u64;
        Ok(got)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), MediaError> {
        if (buf.len() as u64) > self.remaining() {
            return Err(self.truncated());
        }
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(self.truncated()),
            Err(e) => Err(e.into()),
        }
    }

    fn read_u8(&mut self) -> Result<u8, MediaError> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    fn read_u16_be(&mut self) -> Result<u16, MediaError> {
        let mut b = [0u8; 2];
        self.read_exact(&mut b)?;
        Ok(u16::from_be_bytes(b))
    }

    // Reads exactly `n` bytes into a fresh Vec. The caller has already
    // bounded `n`; `take` + `read_to_end` additionally grows the Vec only as
    // bytes actually arrive, so a reader shorter than `len` cannot make us
    // allocate memory for data that is not there.
    fn read_vec(&mut self, n: u64) -> Result<Vec<u8>, MediaError> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let mut out = Vec::new();
        (&mut self.inner).take(n).read_to_end(&mut out)?;
        self.pos += out.len() as u64;
        if (out.len() as u64) < n {
            return Err(self.truncated());
        }
        Ok(out)
    }

    fn seek_to(&mut self, target: u64) -> Result<(), MediaError> {
        if target > self.len {
            return Err(self.truncated());
        }
        // Relative seeks keep BufReader's buffer when the target is inside
        // it, which is the common case for short JPEG segments.
        let delta = i128::from(target) - i128::from(self.pos);
        match i64::try_from(delta) {
            Ok(d) => self.inner.seek_relative(d)?,
            Err(_) => {
                self.inner.seek(SeekFrom::Start(target))?;
            }
        }
        self.pos = target;
        Ok(())
    }
}

enum Sniffed {
    Jpeg,
    Bmff(Container),
    Done(Format),
}

// Brands that mark an ISO-BMFF file as a still image (HEIF family), not a video.
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];
const HEIC_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
];
// Top-level atoms that legacy QuickTime files (no ftyp) start with.
const BARE_MOV_ATOMS: &[&[u8; 4]] = &[b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

fn sniff(h: &[u8]) -> Sniffed {
    let at = |off: usize, magic: &[u8]| h.get(off..off + magic.len()) == Some(magic);
    let image = |name| Sniffed::Done(Format::OtherImage(name));
    let video = |name| Sniffed::Done(Format::OtherVideo(name));

    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if at(0, &[0x89, b'P', b'N', b'G']) {
        return image("PNG");
    }
    if at(0, b"GIF8") {
        return image("GIF");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return image("WebP");
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return video("AVI");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return video("WebM/Matroska");
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return image("TIFF");
    }
    if at(0, b"FLV") {
        return video("FLV");
    }
    if h.len() > 188 && h[0] == 0x47 && h[188] == 0x47 {
        return video("MPEG-TS");
    }
    if at(0, &[0x00, 0x00, 0x01, 0xBA]) {
        return video("MPEG-PS");
    }
    if at(4, b"ftyp") {
        return sniff_ftyp(h);
    }
    if h.len() >= 8 && BARE_MOV_ATOMS.iter().any(|t| at(4, *t)) {
        let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        if size == 0 || size == 1 || size >= 8 {
            return Sniffed::Bmff(Container::Mov);
        }
    }
    // "BM" alone is two printable letters; requiring a known DIB header size
    // keeps text files that happen to start with "BM" out.
    if at(0, b"BM") && h.len() >= 18 {
        let dib = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
        if matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
            return image("BMP");
        }
    }
    Sniffed::Done(Format::Unknown)
}

fn sniff_ftyp(h: &[u8]) -> Sniffed {
    let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
    // Only brands inside both the ftyp box and the sniffed prefix count; a
    // bogus size just means fewer brands, the box walk reports it later.
    let end = size.clamp(8, h.len());
    let major = h.get(8..12);
    let brands: Vec<&[u8]> = h[8..end]
        .chunks_exact(4)
        .enumerate()
        .filter(|(i, _)| *i != 1) // minor_version, not a brand
        .map(|(_, b)| b)
        .collect();
    let has = |set: &[&[u8; 4]]| brands.iter().any(|b| set.iter().any(|s| &s[..] == *b));
    if has(AVIF_BRANDS) {
        return Sniffed::Done(Format::OtherImage("AVIF"));
    }
    if has(HEIC_BRANDS) {
        return Sniffed::Done(Format::OtherImage("HEIC"));
    }
    if major == Some(&b"qt  "[..]) {
        Sniffed::Bmff(Container::Mov)
    } else {
        Sniffed::Bmff(Container::Mp4)
    }
}

// ---------------------------------------------------------------- JPEG

fn inspect_jpeg<R: Read + Seek>(src: &mut Source<R>) -> Result<Format, MediaError> {
    src.format = "JPEG";
    src.seek_to(2)?; // past SOI
    let mut orientation: Option<u8> = None;
    loop {
        let first = src.read_u8()?;
        if first != 0xFF {
            return Err(malformed(
                "JPEG",
                format!(
                    "expected a marker at byte {}, found 0x{first:02X}",
                    src.pos - 1
                ),
            ));
        }
        // Any number of 0xFF fill bytes may precede a marker code; each read
        // advances, so this ends at the end of the file at the latest.
        let mut marker = src.read_u8()?;
        while marker == 0xFF {
            marker = src.read_u8()?;
        }
        match marker {
            // Standalone markers: no length field.
            0x01 | 0xD0..=0xD7 | 0xD8 => continue,
            0xD9 => {
                return Err(malformed(
                    "JPEG",
                    "image ends (EOI) before any frame header",
                ))
            }
            0xDA => return Err(malformed("JPEG", "scan data (SOS) before any frame header")),
            0x00 => {
                return Err(malformed(
                    "JPEG",
                    format!("stuffed byte outside scan data at byte {}", src.pos - 1),
                ))
            }
            _ => {}
        }
        let seg_len = src.read_u16_be()?;
        if seg_len < 2 {
            return Err(malformed(
                "JPEG",
                format!("segment 0xFF{marker:02X} has impossible length {seg_len}"),
            ));
        }
        let payload = u64::from(seg_len - 2);
        if payload > src.remaining() {
            return Err(malformed(
                "JPEG",
                format!("segment 0xFF{marker:02X} runs past the end of the file"),
            ));
        }
        let payload_end = src.pos + payload;
        match marker {
            // SOF0..SOF15; C4 (DHT), C8 (JPG extension) and CC (DAC) share
            // the range but are not frame headers.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if payload < 6 {
                    return Err(malformed("JPEG", "frame header too short"));
                }
                let _precision = src.read_u8()?;
                let height = src.read_u16_be()?;
                let width = src.read_u16_be()?;
                if width == 0 || height == 0 {
                    // Height 0 defers to a DNL marker after the first scan;
                    // no camera or editor writes that, and a 0 would poison
                    // every aspect-ratio check downstream.
                    return Err(malformed(
                        "JPEG",
                        format!("frame header says {width}×{height}"),
                    ));
                }
                return Ok(Format::Jpeg {
                    width: width.into(),
                    height: height.into(),
                    orientation: orientation.unwrap_or(1),
                });
            }
            0xE1 if orientation.is_none() && payload >= 6 => {
                let mut id = [0u8; 6];
                src.read_exact(&mut id)?;
                if &id == b"Exif\0\0" {
                    // A JPEG segment is at most 65533 bytes, so this is
                    // bounded by the format itself.
                    let tiff = src.read_vec(payload - 6)?;
                    orientation = Some(exif_orientation(&tiff).unwrap_or(1));
                }
            }
            0xE2 if payload >= 4 => {
                let mut id = [0u8; 4];
                src.read_exact(&mut id)?;
                if &id == b"MPF\0" {
                    return Ok(Format::Mpo);
                }
            }
            0xE3 if payload >= 8 => {
                let mut id = [0u8; 8];
                src.read_exact(&mut id)?;
                if &id == b"_JPSJPS_" {
                    return Ok(Format::Mpo);
                }
            }
            _ => {}
        }
        src.seek_to(payload_end)?;
    }
}

// Finds tag 0x0112 in IFD0 of a TIFF structure. None means "not there or not
// readable": a broken EXIF block is common (editors mangle it) and must not
// make an otherwise good JPEG unusable.
fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let big_endian = match tiff.get(0..2)? {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let u16_at = |off: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(off..off.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        let tag = u16_at(entry)?;
        if tag != 0x0112 {
            continue;
        }
        let kind = u16_at(entry + 2)?;
        let value = match kind {
            3 => u16_at(entry + 8)?,                      // SHORT, the standard type
            4 => u16::try_from(u32_at(entry + 8)?).ok()?, // LONG, seen from sloppy writers
            _ => return None,
        };
        return u8::try_from(value).ok().filter(|v| (1..=8).contains(v));
    }
    None
}

// ---------------------------------------------------------------- ISO-BMFF

fn inspect_bmff<R: Read + Seek>(
    src: &mut Source<R>,
    container: Container,
) -> Result<VideoInfo, MediaError> {
    let fmt = container.name();
    src.format = fmt;
    let len = src.len;
    let mut pos = 0u64;
    let mut seen_mdat = false;
    let mut found: Option<(Vec<u8>, bool)> = None;
    while pos < len && found.is_none() {
        if len - pos < 8 {
            // A few stray bytes after the last box: players ignore them.
            break;
        }
        src.seek_to(pos)?;
        let mut hdr = [0u8; 8];
        src.read_exact(&mut hdr)?;
        let size32 = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let kind = [hdr[4], hdr[5], hdr[6], hdr[7]];
        let (size, header) = match size32 {
            0 => (len - pos, 8),
            1 => {
                let mut big = [0u8; 8];
                src.read_exact(&mut big)?;
                (u64::from_be_bytes(big), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header {
            return Err(malformed(
                fmt,
                format!(
                    "box '{}' at byte {pos} has impossible size {size}",
                    fourcc(&kind)
                ),
            ));
        }
        if size > len - pos {
            return Err(malformed(
                fmt,
                format!(
                    "box '{}' at byte {pos} ({size} bytes) runs past the end of the file",
                    fourcc(&kind)
                ),
            ));
        }
        match &kind {
            b"moov" => {
                let body = size - header;
                if body > MAX_MOOV {
                    return Err(malformed(
                        fmt,
                        format!(
                            "moov box of {body} bytes is larger than the {MAX_MOOV} byte limit"
                        ),
                    ));
                }
                found = Some((src.read_vec(body)?, !seen_mdat));
            }
            b"mdat" => seen_mdat = true,
            _ => {}
        }
        // size >= 8, so the walk always moves forward.
        pos += size;
    }
    let Some((moov, moov_before_mdat)) = found else {
        return Err(malformed(fmt, "no moov box"));
    };
    parse_moov(&moov, container, moov_before_mdat)
}

fn fourcc(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

// Iterates the child boxes of an in-memory container. Yields an error for a
// box whose size does not fit, then stops.
struct Boxes<'a> {
    data: &'a [u8],
    fmt: &'static str,
    failed: bool,
}

fn boxes<'a>(data: &'a [u8], fmt: &'static str) -> Boxes<'a> {
    Boxes {
        data,
        fmt,
        failed: false,
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<([u8; 4], &'a [u8]), MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.data.len() < 8 {
            // Fewer than 8 trailing bytes are padding some muxers leave.
            return None;
        }
        let d = self.data;
        let size32 = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        let kind = [d[4], d[5], d[6], d[7]];
        let (size, header) = match size32 {
            0 => (d.len() as u64, 8u64),
            1 => match d.get(8..16) {
                Some(b) => (u64::from_be_bytes(b.try_into().unwrap_or([0; 8])), 16),
                None => (0, 16),
            },
            n => (u64::from(n), 8),
        };
        if size < header || size > d.len() as u64 {
            self.failed = true;
            return Some(Err(malformed(
                self.fmt,
                format!(
                    "box '{}' has size {size} that does not fit its parent",
                    fourcc(&kind)
                ),
            )));
        }
        // Both fit in d.len(), hence in usize.
        let (size, header) = (size as usize, header as usize);
        let body = &d[header..size];
        self.data = &d[size..];
        Some(Ok((kind, body)))
    }
}

fn find_box<'a>(
    data: &'a [u8],
    want: &[u8; 4],
    fmt: &'static str,
) -> Result<Option<&'a [u8]>, MediaError> {
    for b in boxes(data, fmt) {
        let (kind, body) = b?;
        if &kind == want {
            return Ok(Some(body));
        }
    }
    Ok(None)
}

fn be_u32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

fn parse_moov(
    moov: &[u8],
    container: Container,
    moov_before_mdat: bool,
) -> Result<VideoInfo, MediaError> {
    let fmt = container.name();
    let mut duration_ms = None;
    let mut video: Option<(u32, u32, u16)> = None;
    let mut has_video_track = false;
    for b in boxes(moov, fmt) {
        let (kind, body) = b?;
        match &kind {
            b"mvhd" if duration_ms.is_none() => duration_ms = Some(parse_mvhd(body, fmt)?),
            b"trak" if !has_video_track => {
                let Some(mdia) = find_box(body, b"mdia", fmt)? else {
                    continue;
                };
                let Some(hdlr) = find_box(mdia, b"hdlr", fmt)? else {
                    continue;
                };
                // version/flags (4), pre_defined or QuickTime component type
                // (4), then handler_type.
                if hdlr.get(8..12) != Some(&b"vide"[..]) {
                    continue;
                }
                has_video_track = true;
                let tkhd = find_box(body, b"tkhd", fmt)?
                    .ok_or_else(|| malformed(fmt, "video track has no tkhd box"))?;
                video = Some(parse_tkhd(tkhd, fmt)?);
            }
            _ => {}
        }
    }
    let duration_ms = duration_ms.ok_or_else(|| malformed(fmt, "moov has no mvhd box"))?;
    let (width, height, rotation) = video.unwrap_or((0, 0, 0));
    Ok(VideoInfo {
        container,
        width,
        height,
        rotation,
        duration_ms,
        has_video_track,
        moov_before_mdat,
    })
}

fn parse_mvhd(b: &[u8], fmt: &'static str) -> Result<u64, MediaError> {
    let short = || malformed(fmt, "mvhd box too short");
    let (timescale, duration, unknown) = match b.first() {
        Some(0) => {
            let d = be_u32(b, 16).ok_or_else(short)?;
            (
                be_u32(b, 12).ok_or_else(short)?,
                u64::from(d),
                d == u32::MAX,
            )
        }
        Some(1) => {
            let d = be_u64(b, 24).ok_or_else(short)?;
            (be_u32(b, 20).ok_or_else(short)?, d, d == u64::MAX)
        }
        Some(v) => return Err(malformed(fmt, format!("unknown mvhd version {v}"))),
        None => return Err(short()),
    };
    if timescale == 0 {
        return Err(malformed(fmt, "mvhd timescale is 0"));
    }
    if unknown {
        // All-ones is the spec's "duration unknown" (live fragmented files).
        return Ok(0);
    }
    let ms = u128::from(duration) * 1000 / u128::from(timescale);
    Ok(u64::try_from(ms).unwrap_or(u64::MAX))
}

fn parse_tkhd(b: &[u8], fmt: &'static str) -> Result<(u32, u32, u16), MediaError> {
    // Offsets of the 3×3 matrix: after version/flags, times, track id,
    // reserved and duration (whose widths depend on the version), then 16
    // bytes of reserved/layer/alternate group/volume.
    let matrix_at = match b.first() {
        Some(0) => 40,
        Some(1) => 52,
        Some(v) => return Err(malformed(fmt, format!("unknown tkhd version {v}"))),
        None => return Err(malformed(fmt, "tkhd box too short")),
    };
    let short = || malformed(fmt, "tkhd box too short");
    let a = be_u32(b, matrix_at).ok_or_else(short)? as i32;
    let bb = be_u32(b, matrix_at + 4).ok_or_else(short)? as i32;
    let width = be_u32(b, matrix_at + 36).ok_or_else(short)? >> 16;
    let height = be_u32(b, matrix_at + 40).ok_or_else(short)? >> 16;
    // Judge by sign only, so scaled matrices (a = b·k) still map to a right
    // angle; anything that is not a right angle is shown unrotated.
    let rotation = match (a.signum(), bb.signum()) {
        (0, 1) => 90,
        (-1, 0) => 180,
        (0, -1) => 270,
        _ => 0,
    };
    Ok((width, height, rotation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::time::{Duration, Instant};

    fn run(bytes: &[u8]) -> Result<MediaInfo, MediaError> {
        inspect_reader(Cursor::new(bytes), bytes.len() as u64)
    }

    fn format_of(bytes: &[u8]) -> Format {
        run(bytes).expect("inspectable").format
    }

    fn assert_malformed(bytes: &[u8], want_format: &str) {
        match run(bytes) {
            Err(MediaError::Malformed { format, .. }) => assert_eq!(format, want_format),
            other => panic!("expected Malformed {want_format}, got {other:?}"),
        }
    }

    // ---- JPEG builders

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn sof(marker: u8, width: u16, height: u16) -> Vec<u8> {
        let mut p = vec![8];
        p.extend_from_slice(&height.to_be_bytes());
        p.extend_from_slice(&width.to_be_bytes());
        p.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        segment(marker, &p)
    }

    // An APP1 Exif payload with IFD0 holding a dummy tag and Orientation.
    fn exif(big_endian: bool, orientation: u16) -> Vec<u8> {
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut t = b"Exif\0\0".to_vec();
        t.extend_from_slice(if big_endian { b"MM" } else { b"II" });
        t.extend_from_slice(&w16(42));
        t.extend_from_slice(&w32(8));
        t.extend_from_slice(&w16(2));
        // 0x010F Make, ASCII, count 4, inline "Cam\0"
        t.extend_from_slice(&w16(0x010F));
        t.extend_from_slice(&w16(2));
        t.extend_from_slice(&w32(4));
        t.extend_from_slice(b"Cam\0");
        // 0x0112 Orientation, SHORT, count 1, value left-justified
        t.extend_from_slice(&w16(0x0112));
        t.extend_from_slice(&w16(3));
        t.extend_from_slice(&w32(1));
        t.extend_from_slice(&w16(orientation));
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&w32(0));
        segment(0xE1, &t)
    }

    fn jfif() -> Vec<u8> {
        segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    }

    fn dqt() -> Vec<u8> {
        let mut p = vec![0];
        p.extend_from_slice(&[1u8; 64]);
        segment(0xDB, &p)
    }

    fn jpeg(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        for p in parts {
            v.extend_from_slice(p);
        }
        v.extend_from_slice(&segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]);
        v
    }

    #[test]
    fn jpeg_jfif_baseline() {
        let f = format_of(&jpeg(&[jfif(), dqt(), sof(0xC0, 1080, 1350)]));
        assert_eq!(
            f,
            Format::Jpeg {
                width: 1080,
                height: 1350,
                orientation: 1
            }
        );
        assert_eq!(f.display_size(), Some((1080, 1350)));
        assert_eq!(f.describe(), "JPEG 1080×1350");
        assert!(!f.is_video());
    }

    #[test]
    fn jpeg_progressive_and_other_sofs() {
        for marker in [0xC1, 0xC2, 0xC3, 0xC9, 0xCF] {
            assert_eq!(
                format_of(&jpeg(&[sof(marker, 640, 480)])),
                Format::Jpeg {
                    width: 640,
                    height: 480,
                    orientation: 1
                },
                "marker {marker:02X}"
            );
        }
    }

    #[test]
    fn jpeg_dht_jpg_dac_are_not_frame_headers() {
        // If C4/C8/CC were taken for SOF, their bytes would be read as 8×8.
        let fake = [8u8, 0, 8, 0, 8, 1, 1, 0x11, 0];
        let f = format_of(&jpeg(&[
            segment(0xC4, &fake),
            segment(0xC8, &fake),
            segment(0xCC, &fake),
            sof(0xC0, 100, 200),
        ]));
        assert_eq!(
            f,
            Format::Jpeg {
                width: 100,
                height: 200,
                orientation: 1
            }
        );
    }

    #[test]
    fn jpeg_exif_little_endian_orientation() {
        let f = format_of(&jpeg(&[exif(false, 6), sof(0xC0, 1920, 1080)]));
        assert_eq!(
            f,
            Format::Jpeg {
                width: 1920,
                height: 1080,
                orientation: 6
            }
        );
        assert_eq!(f.display_size(), Some((1080, 1920)));
        assert_eq!(
            f.describe(),
            "JPEG 1080×1920 (stored 1920×1080, EXIF orientation 6)"
        );
    }

    #[test]
    fn jpeg_exif_big_endian_orientation() {
        let f = format_of(&jpeg(&[exif(true, 8), dqt(), sof(0xC2, 1080, 1920)]));
        assert_eq!(
            f,
            Format::Jpeg {
                width: 1080,
                height: 1920,
                orientation: 8
            }
        );
        assert_eq!(f.display_size(), Some((1920, 1080)));
    }

    #[test]
    fn jpeg_orientation_1_to_4_keeps_size() {
        for o in 1..=4 {
            let f = format_of(&jpeg(&[exif(true, o), sof(0xC0, 30, 20)]));
            assert_eq!(f.display_size(), Some((30, 20)), "orientation {o}");
        }
        for o in 5..=8 {
            let f = format_of(&jpeg(&[exif(false, o), sof(0xC0, 30, 20)]));
            assert_eq!(f.display_size(), Some((20, 30)), "orientation {o}");
        }
    }

    #[test]
    fn jpeg_out_of_range_orientation_is_1() {
        for o in [0u16, 9, 0x0600, 0xFFFF] {
            let f = format_of(&jpeg(&[exif(false, o), sof(0xC0, 30, 20)]));
            assert_eq!(
                f,
                Format::Jpeg {
                    width: 30,
                    height: 20,
                    orientation: 1
                },
                "value {o}"
            );
        }
    }

    #[test]
    fn jpeg_broken_exif_is_orientation_1() {
        let cases: Vec<Vec<u8>> = vec![
            segment(0xE1, b"Exif\0\0"),
            segment(0xE1, b"Exif\0\0XX*\0\x08\0\0\0"),
            segment(0xE1, b"Exif\0\0II*\0\xFF\xFF\xFF\xFF"),
            segment(0xE1, b"Exif\0\0II*\0\x08\0\0\0\xFF\xFF"), // count runs past the end
            segment(0xE1, b"Exif\0\0MM\0\x2B\0\0\0\x08"),      // wrong magic 43
            segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>"),
        ];
        for app1 in cases {
            assert_eq!(
                format_of(&jpeg(&[app1, sof(0xC0, 7, 9)])),
                Format::Jpeg {
                    width: 7,
                    height: 9,
                    orientation: 1
                }
            );
        }
    }

    #[test]
    fn jpeg_first_exif_wins() {
        let f = format_of(&jpeg(&[exif(false, 3), exif(true, 6), sof(0xC0, 4, 2)]));
        assert_eq!(
            f,
            Format::Jpeg {
                width: 4,
                height: 2,
                orientation: 3
            }
        );
    }

    #[test]
    fn jpeg_fill_bytes_and_standalone_markers() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xFF, 0xFF];
        v.extend_from_slice(&jfif()[1..]); // jfif() starts with FF; keep fill run
        v.extend_from_slice(&[0xFF, 0xD0, 0xFF, 0x01, 0xFF, 0xFF]);
        v.extend_from_slice(&sof(0xC0, 12, 34));
        assert_eq!(
            format_of(&v),
            Format::Jpeg {
                width: 12,
                height: 34,
                orientation: 1
            }
        );
    }

    #[test]
    fn jpeg_mpo_and_jps() {
        let mpf = segment(0xE2, b"MPF\0MM\0*\0\0\0\x08\0\0");
        assert_eq!(
            format_of(&jpeg(&[exif(false, 1), mpf, sof(0xC0, 8, 8)])),
            Format::Mpo
        );
        let jps = segment(0xE3, b"_JPSJPS_\0\x04\0\0\0\0");
        assert_eq!(format_of(&jpeg(&[jps, sof(0xC0, 8, 8)])), Format::Mpo);
        // An ICC profile in APP2 is not MPF.
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01");
        assert!(matches!(
            format_of(&jpeg(&[icc, sof(0xC0, 8, 8)])),
            Format::Jpeg { .. }
        ));
        assert_eq!(Format::Mpo.display_size(), None);
    }

    #[test]
    fn jpeg_sos_before_sof_is_malformed() {
        assert_malformed(&jpeg(&[jfif()]), "JPEG");
    }

    #[test]
    fn jpeg_truncations_are_malformed() {
        let full = jpeg(&[jfif(), exif(true, 6), dqt(), sof(0xC0, 1080, 1080)]);
        let sof_end = full.len() - 10 - 7; // end of SOF = start of the SOS segment
        for cut in 3..sof_end {
            match run(&full[..cut]) {
                Err(MediaError::Malformed { format: "JPEG", .. }) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        assert!(run(&full[..sof_end]).is_ok());
    }

    #[test]
    fn jpeg_garbage_between_segments_is_malformed() {
        let mut v = jpeg(&[jfif(), sof(0xC0, 1, 1)]);
        v.insert(2 + jfif().len(), 0x00);
        assert_malformed(&v, "JPEG");
    }

    #[test]
    fn jpeg_bad_segment_lengths() {
        assert_malformed(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01], "JPEG");
        assert_malformed(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xC0], "JPEG");
        assert_malformed(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0, 0, 0, 0], "JPEG");
        // Zero width in SOF.
        assert_malformed(&jpeg(&[sof(0xC0, 0, 10)]), "JPEG");
        // SOF segment too short to hold dimensions.
        assert_malformed(&jpeg(&[segment(0xC0, &[8, 0, 1])]), "JPEG");
        // EOI before a frame.
        assert_malformed(&[0xFF, 0xD8, 0xFF, 0xD9], "JPEG");
    }

    #[test]
    fn len_smaller_than_data_is_respected() {
        let full = jpeg(&[jfif(), sof(0xC0, 5, 5)]);
        let r = inspect_reader(Cursor::new(&full), 10);
        assert!(matches!(r, Err(MediaError::Malformed { .. })), "{r:?}");
    }

    #[test]
    fn len_larger_than_data_is_malformed_not_a_hang() {
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&jfif());
        let r = inspect_reader(Cursor::new(&v), u64::MAX);
        assert!(matches!(r, Err(MediaError::Malformed { .. })), "{r:?}");
    }

    // ---- Sniffing

    #[test]
    fn sniffs_other_images() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
            (b"GIF89a\x01\0\x01\0", "GIF"),
            (b"GIF87a", "GIF"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "WebP"),
            (b"II*\0\x08\0\0\0", "TIFF"),
            (b"MM\0*\0\0\0\x08", "TIFF"),
            (b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0", "BMP"),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC"),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heix", "HEIC"),
            (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "AVIF"),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif", "AVIF"),
            (b"\0\0\0\x14ftypisom\0\0\0\0msf1", "HEIC"),
        ];
        for (bytes, name) in cases {
            let f = format_of(bytes);
            assert_eq!(f, Format::OtherImage(name), "{name}");
            assert_eq!(f.describe(), format!("{name} image"));
            assert_eq!(f.display_size(), None);
            assert!(!f.is_video());
        }
    }

    #[test]
    fn sniffs_other_videos() {
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01".to_vec(),
                "WebM/Matroska",
            ),
            (b"RIFF\0\0\0\0AVI LIST".to_vec(), "AVI"),
            (b"FLV\x01\x05\0\0\0\x09".to_vec(), "FLV"),
            (ts, "MPEG-TS"),
            (b"\0\0\x01\xba\x44\0\x04\0".to_vec(), "MPEG-PS"),
        ];
        for (bytes, name) in cases {
            let f = format_of(&bytes);
            assert_eq!(f, Format::OtherVideo(name));
            assert!(f.is_video());
            assert_eq!(f.describe(), format!("{name} video"));
        }
    }

    #[test]
    fn sniffs_unknown() {
        for bytes in [
            &b""[..],
            b"\xff",
            b"\xff\xd8",
            b"hello world, this is text",
            b"BM but not a bitmap at all....",
            b"RIFF\0\0\0\0WAVEfmt ",
            b"\0\0\0\0\0\0\0\0",
        ] {
            assert_eq!(format_of(bytes), Format::Unknown, "{bytes:?}");
        }
        assert_eq!(Format::Unknown.describe(), "unrecognised file");
        assert!(!Format::Unknown.is_video());
    }

    // ---- ISO-BMFF builders

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = major.to_vec();
        b.extend_from_slice(&512u32.to_be_bytes());
        for c in compat {
            b.extend_from_slice(*c);
        }
        bx(b"ftyp", &b)
    }

    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut b = vec![0u8; 4 + 8];
        b.extend_from_slice(&timescale.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
        b.extend_from_slice(&[0u8; 80]);
        bx(b"mvhd", &b)
    }

    fn mvhd_v1(timescale: u32, duration: u64) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0];
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(&timescale.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
        b.extend_from_slice(&[0u8; 80]);
        bx(b"mvhd", &b)
    }

    fn matrix(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        let mut m = Vec::new();
        for v in [a, b, 0, c, d, 0, 0, 0, 0x4000_0000] {
            m.extend_from_slice(&v.to_be_bytes());
        }
        m
    }

    fn tkhd(version: u8, m: &[u8], width: u32, height: u32) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 7];
        b.extend_from_slice(&vec![0u8; if version == 1 { 32 } else { 20 }]);
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(m);
        b.extend_from_slice(&(width << 16).to_be_bytes());
        b.extend_from_slice(&(height << 16).to_be_bytes());
        bx(b"tkhd", &b)
    }

    fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0u8; 8];
        b.extend_from_slice(handler);
        b.extend_from_slice(&[0u8; 12]);
        b.extend_from_slice(b"Handler\0");
        bx(b"hdlr", &b)
    }

    fn trak(tkhd: Vec<u8>, handler: &[u8; 4]) -> Vec<u8> {
        let mdia = bx(b"mdia", &[bx(b"mdhd", &[0u8; 24]), hdlr(handler)].concat());
        bx(b"trak", &[tkhd, mdia].concat())
    }

    fn identity() -> Vec<u8> {
        matrix(0x10000, 0, 0, 0x10000)
    }

    fn simple_moov(mvhd: Vec<u8>) -> Vec<u8> {
        bx(
            b"moov",
            &[
                mvhd,
                trak(tkhd(0, &identity(), 0, 0), b"soun"),
                trak(tkhd(0, &identity(), 720, 1280), b"vide"),
            ]
            .concat(),
        )
    }

    fn video(bytes: &[u8]) -> VideoInfo {
        match format_of(bytes) {
            Format::Video(v) => v,
            other => panic!("expected video, got {other:?}"),
        }
    }

    #[test]
    fn mp4_faststart_v0() {
        let file = [
            ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]),
            simple_moov(mvhd_v0(1000, 5000)),
            bx(b"mdat", &[0u8; 100]),
        ]
        .concat();
        let f = format_of(&file);
        assert_eq!(
            f,
            Format::Video(VideoInfo {
                container: Container::Mp4,
                width: 720,
                height: 1280,
                rotation: 0,
                duration_ms: 5000,
                has_video_track: true,
                moov_before_mdat: true,
            })
        );
        assert!(f.is_video());
        assert_eq!(f.display_size(), Some((720, 1280)));
        assert_eq!(f.describe(), "MP4 video 720×1280, 5.0 s");
        assert_eq!(run(&file).unwrap().bytes, file.len() as u64);
    }

    #[test]
    fn mp4_mvhd_v1_and_tkhd_v1() {
        let moov = bx(
            b"moov",
            &[
                mvhd_v1(90_000, 90_000 * 965 + 45_000),
                trak(tkhd(1, &identity(), 144, 256), b"vide"),
            ]
            .concat(),
        );
        let v = video(&[ftyp(b"mp42", &[b"mp42"]), moov, bx(b"mdat", &[])].concat());
        assert_eq!(v.duration_ms, 965_500);
        assert_eq!((v.width, v.height), (144, 256));
        let f = Format::Video(v);
        assert_eq!(f.describe(), "MP4 video 144×256, 965.5 s");
    }

    #[test]
    fn mp4_mdat_before_moov() {
        let v = video(
            &[
                ftyp(b"mp42", &[b"isom"]),
                bx(b"free", &[]),
                bx(b"mdat", &[0u8; 64]),
                simple_moov(mvhd_v0(600, 600 * 3)),
            ]
            .concat(),
        );
        assert!(!v.moov_before_mdat);
        assert_eq!(v.duration_ms, 3000);
    }

    #[test]
    fn mp4_rotation_matrices() {
        let one = 0x10000;
        for (m, rot, display) in [
            (matrix(0, one, -one, 0), 90, (720, 1280)),
            (matrix(-one, 0, 0, -one), 180, (1280, 720)),
            (matrix(0, -one, one, 0), 270, (720, 1280)),
            (matrix(one, 0, 0, one), 0, (1280, 720)),
            (matrix(0, 2 * one, -2 * one, 0), 90, (720, 1280)),
            (matrix(one / 2, one / 2, -one / 2, one / 2), 0, (1280, 720)),
        ] {
            let moov = bx(
                b"moov",
                &[mvhd_v0(1000, 1000), trak(tkhd(0, &m, 1280, 720), b"vide")].concat(),
            );
            let f = format_of(&[ftyp(b"isom", &[]), moov, bx(b"mdat", &[])].concat());
            let Format::Video(v) = &f else { panic!() };
            assert_eq!(v.rotation, rot);
            assert_eq!((v.width, v.height), (1280, 720));
            assert_eq!(f.display_size(), Some(display));
            if rot == 90 {
                assert_eq!(f.describe(), "MP4 video 720×1280 (rotated 90°), 1.0 s");
            }
        }
    }

    #[test]
    fn mov_by_brand_and_without_ftyp() {
        let v = video(&[ftyp(b"qt  ", &[b"qt  "]), simple_moov(mvhd_v0(600, 2400))].concat());
        assert_eq!(v.container, Container::Mov);
        assert_eq!(v.duration_ms, 4000);
        for first in [b"wide", b"free", b"skip"] {
            let v = video(
                &[
                    bx(first, &[]),
                    bx(b"mdat", &[1, 2, 3]),
                    simple_moov(mvhd_v0(600, 600)),
                ]
                .concat(),
            );
            assert_eq!(v.container, Container::Mov);
            assert!(!v.moov_before_mdat);
        }
        let v = video(&simple_moov(mvhd_v0(600, 600)));
        assert_eq!(v.container, Container::Mov);
        assert!(v.moov_before_mdat);
        assert_eq!(Format::Video(v).describe(), "MOV video 720×1280, 1.0 s");
    }

    #[test]
    fn three_gp_is_mp4() {
        let v = video(
            &[
                ftyp(b"3gp5", &[b"3gp5", b"isom"]),
                simple_moov(mvhd_v0(1000, 10)),
            ]
            .concat(),
        );
        assert_eq!(v.container, Container::Mp4);
    }

    #[test]
    fn mp4_without_video_track() {
        let moov = bx(
            b"moov",
            &[
                mvhd_v0(44_100, 44_100 * 2),
                trak(tkhd(0, &identity(), 0, 0), b"soun"),
            ]
            .concat(),
        );
        let f = format_of(&[ftyp(b"M4A ", &[b"M4A "]), moov].concat());
        let Format::Video(v) = &f else { panic!() };
        assert!(!v.has_video_track);
        assert_eq!((v.width, v.height, v.rotation), (0, 0, 0));
        assert_eq!(f.display_size(), None);
        assert_eq!(f.describe(), "MP4 file without a video track, 2.0 s");
    }

    #[test]
    fn first_video_track_wins() {
        let moov = bx(
            b"moov",
            &[
                mvhd_v0(1000, 1000),
                trak(tkhd(0, &identity(), 100, 200), b"vide"),
                trak(tkhd(0, &identity(), 300, 400), b"vide"),
            ]
            .concat(),
        );
        let v = video(&[ftyp(b"isom", &[]), moov].concat());
        assert_eq!((v.width, v.height), (100, 200));
    }

    #[test]
    fn zero_sized_box_runs_to_end() {
        // mdat of size 0 after moov: "to end of file".
        let mut file = [ftyp(b"isom", &[]), simple_moov(mvhd_v0(1000, 1000))].concat();
        file.extend_from_slice(&[0, 0, 0, 0]);
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&[0xAB; 50]);
        assert!(video(&file).moov_before_mdat);
        // mdat of size 0 before moov swallows the moov: no moov.
        let mut file = ftyp(b"isom", &[]);
        file.extend_from_slice(&[0, 0, 0, 0]);
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&simple_moov(mvhd_v0(1000, 1000)));
        assert_malformed(&file, "MP4");
    }

    #[test]
    fn largesize_box() {
        let mut file = ftyp(b"isom", &[]);
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(16u64 + 10).to_be_bytes());
        file.extend_from_slice(&[0u8; 10]);
        file.extend_from_slice(&simple_moov(mvhd_v0(1000, 1500)));
        let v = video(&file);
        assert!(!v.moov_before_mdat);
        assert_eq!(v.duration_ms, 1500);
        // largesize smaller than its own header is malformed, not a loop.
        let mut bad = ftyp(b"isom", &[]);
        bad.extend_from_slice(&1u32.to_be_bytes());
        bad.extend_from_slice(b"free");
        bad.extend_from_slice(&0u64.to_be_bytes());
        assert_malformed(&bad, "MP4");
    }

    #[test]
    fn bmff_malformed_cases() {
        let ft = ftyp(b"isom", &[]);
        // Box size 1..7 (smaller than a header).
        for size in 2u32..8 {
            let mut f = ft.clone();
            f.extend_from_slice(&size.to_be_bytes());
            f.extend_from_slice(b"free");
            assert_malformed(&f, "MP4");
        }
        // Box running past the end.
        let mut f = ft.clone();
        f.extend_from_slice(&1000u32.to_be_bytes());
        f.extend_from_slice(b"mdat\0\0");
        assert_malformed(&f, "MP4");
        // No moov at all.
        assert_malformed(&[ft.clone(), bx(b"mdat", &[0; 4])].concat(), "MP4");
        // moov without mvhd.
        assert_malformed(
            &[
                ft.clone(),
                bx(b"moov", &trak(tkhd(0, &identity(), 1, 1), b"vide")),
            ]
            .concat(),
            "MP4",
        );
        // mvhd with timescale 0 / too short / unknown version.
        assert_malformed(&[ft.clone(), simple_moov(mvhd_v0(0, 10))].concat(), "MP4");
        assert_malformed(
            &[ft.clone(), bx(b"moov", &bx(b"mvhd", &[0; 10]))].concat(),
            "MP4",
        );
        assert_malformed(
            &[ft.clone(), bx(b"moov", &bx(b"mvhd", &[7; 100]))].concat(),
            "MP4",
        );
        // Child box overrunning moov.
        let mut moov_body = mvhd_v0(1000, 1000);
        moov_body.extend_from_slice(&500u32.to_be_bytes());
        moov_body.extend_from_slice(b"trak");
        assert_malformed(&[ft.clone(), bx(b"moov", &moov_body)].concat(), "MP4");
        // Video track whose tkhd is cut short.
        let short_tkhd = bx(b"tkhd", &[0u8; 30]);
        assert_malformed(
            &[
                ft.clone(),
                bx(
                    b"moov",
                    &[mvhd_v0(1, 1), trak(short_tkhd, b"vide")].concat(),
                ),
            ]
            .concat(),
            "MP4",
        );
        // Oversized moov is refused before reading it.
        let mut huge = ft.clone();
        huge.extend_from_slice(&1u32.to_be_bytes());
        huge.extend_from_slice(b"moov");
        huge.extend_from_slice(&(MAX_MOOV + 17).to_be_bytes());
        let r = inspect_reader(Cursor::new(&huge), MAX_MOOV + 17 + huge.len() as u64);
        assert!(
            matches!(r, Err(MediaError::Malformed { format: "MP4", .. })),
            "{r:?}"
        );
        // MOV errors say MOV.
        assert_malformed(&bx(b"moov", &[]), "MOV");
    }

    #[test]
    fn mvhd_unknown_duration_is_zero() {
        let v = video(&[ftyp(b"isom", &[]), simple_moov(mvhd_v0(1000, u32::MAX))].concat());
        assert_eq!(v.duration_ms, 0);
        let v = video(&[ftyp(b"isom", &[]), simple_moov(mvhd_v1(1000, u64::MAX))].concat());
        assert_eq!(v.duration_ms, 0);
        let v = video(&[ftyp(b"isom", &[]), simple_moov(mvhd_v1(1, u64::MAX - 1))].concat());
        assert_eq!(v.duration_ms, u64::MAX);
    }

    #[test]
    fn short_padding_is_ignored() {
        // Fewer than 8 bytes after the last top-level box, and inside moov.
        let mut moov_body = [mvhd_v0(10, 10), trak(tkhd(0, &identity(), 2, 4), b"vide")].concat();
        moov_body.extend_from_slice(&[0, 0, 0, 0]);
        let mut f = [ftyp(b"isom", &[]), bx(b"free", &[])].concat();
        f.extend_from_slice(&[0, 0, 0]);
        assert_malformed(&f, "MP4"); // padding, then nothing: no moov
        let f = [ftyp(b"isom", &[]), bx(b"moov", &moov_body)].concat();
        let v = video(&f);
        assert_eq!((v.duration_ms, v.width, v.height), (1000, 2, 4));
    }

    #[test]
    fn describe_rounds_to_tenths() {
        assert_eq!(format_seconds(0), "0.0 s");
        assert_eq!(format_seconds(5021), "5.0 s");
        assert_eq!(format_seconds(5050), "5.1 s");
        assert_eq!(format_seconds(59_960), "60.0 s");
    }

    #[test]
    fn error_messages() {
        let e = run(&jpeg(&[jfif()])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "JPEG header is malformed: scan data (SOS) before any frame header"
        );
        let e = inspect(Path::new("/nonexistent/postwright/file.jpg")).unwrap_err();
        assert!(matches!(e, MediaError::Io(_)));
        assert!(e.to_string().starts_with("cannot read: "));
    }

    // ---- Robustness

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn seeds() -> Vec<Vec<u8>> {
        vec![
            jpeg(&[
                jfif(),
                exif(false, 6),
                exif(true, 8),
                dqt(),
                sof(0xC0, 1080, 1350),
            ]),
            jpeg(&[segment(0xE2, b"MPF\0MM\0*"), sof(0xC2, 10, 10)]),
            [
                ftyp(b"isom", &[b"isom", b"avc1"]),
                simple_moov(mvhd_v1(1000, 5000)),
                bx(b"mdat", &[0u8; 32]),
            ]
            .concat(),
            [
                bx(b"wide", &[]),
                bx(b"mdat", &[0u8; 16]),
                bx(
                    b"moov",
                    &[
                        mvhd_v0(600, 60),
                        trak(tkhd(1, &matrix(0, 1 << 16, -1 << 16, 0), 9, 9), b"vide"),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        ]
    }

    #[test]
    fn random_and_mutated_inputs_never_panic_and_finish_fast() {
        let start = Instant::now();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut seeds = seeds();
        let synthetic = seeds.len();
        // Real encoder output reaches deeper (exiftool's IFD layout, ffmpeg's
        // full moov); only header bytes are mutated, where the parser looks.
        for name in ["rotated-tall.jpg", "mpo.jpg", "rotated.mp4", "clip.mov"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/media")
                .join(name);
            let mut bytes = std::fs::read(path).unwrap();
            if name.ends_with(".jpg") {
                bytes.truncate(4096);
            }
            seeds.push(bytes);
        }
        let magics: &[&[u8]] = &[
            b"\xff\xd8\xff",
            b"\0\0\0\x10ftypisom",
            b"\0\0\0\0moov",
            b"\0\0\0\x01mdat",
            b"\x89PNG",
            b"RIFF\0\0\0\0WEBP",
        ];
        let mut runs = 0u32;
        for round in 0..20_000 {
            let mut buf: Vec<u8> = match round % 3 {
                0 => {
                    let n = rng.below(600);
                    let mut b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                    let m = magics[rng.below(magics.len())];
                    if b.len() >= m.len() {
                        b[..m.len()].copy_from_slice(m);
                    }
                    b
                }
                _ => {
                    let mut b = seeds[rng.below(seeds.len())].clone();
                    let hot = b.len().min(4096);
                    for _ in 0..1 + rng.below(6) {
                        let i = rng.below(hot);
                        b[i] = match rng.below(4) {
                            0 => 0,
                            1 => 0xFF,
                            2 => 1,
                            _ => rng.next() as u8,
                        };
                    }
                    b
                }
            };
            if rng.below(3) == 0 && !buf.is_empty() {
                let cut = rng.below(buf.len());
                buf.truncate(cut);
            }
            // Sometimes lie about the length, both ways.
            let len = match rng.below(8) {
                0 => buf.len() as u64 + rng.below(1 << 20) as u64,
                1 => rng.below(buf.len() + 1) as u64,
                2 => u64::MAX - rng.below(1000) as u64,
                _ => buf.len() as u64,
            };
            let _ = inspect_reader(Cursor::new(&buf), len);
            runs += 1;
        }
        // Every truncation of every synthetic seed, exactly.
        for s in &seeds[..synthetic] {
            for cut in 0..=s.len() {
                let _ = inspect_reader(Cursor::new(&s[..cut]), cut as u64);
                runs += 1;
            }
        }
        assert!(runs > 20_000);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn huge_claimed_len_of_fill_bytes_terminates() {
        let mut v = vec![0xFF, 0xD8];
        v.extend(std::iter::repeat_n(0xFF, 100_000));
        let r = inspect_reader(Cursor::new(&v), v.len() as u64);
        assert!(matches!(r, Err(MediaError::Malformed { .. })));
        // Thousands of empty boxes: each step advances by 8 bytes.
        let mut f = ftyp(b"isom", &[]);
        for _ in 0..10_000 {
            f.extend_from_slice(&bx(b"free", &[]));
        }
        f.extend_from_slice(&simple_moov(mvhd_v0(1, 2)));
        assert_eq!(video(&f).duration_ms, 2000);
    }

    // ---- Fixture files (regenerate with scripts/make-media-fixtures.sh)

    fn fixture(name: &str) -> MediaInfo {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/media")
            .join(name);
        let info = inspect(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.bytes, std::fs::metadata(&path).unwrap().len());
        info
    }

    fn example(name: &str) -> MediaInfo {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("example-content/media")
            .join(name);
        inspect(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn jpeg_fmt(width: u32, height: u32, orientation: u8) -> Format {
        Format::Jpeg {
            width,
            height,
            orientation,
        }
    }

    #[test]
    fn fixture_images() {
        for (name, w, h, o) in [
            ("square.jpg", 1080, 1080, 1),
            ("portrait.jpg", 1080, 1350, 1),
            ("landscape.jpg", 1440, 754, 1),
            ("story.jpg", 1080, 1920, 1),
            ("wide.jpg", 1080, 400, 1),
            ("rotated-tall.jpg", 1920, 1080, 6),
            ("rotated-wide.jpg", 1080, 1920, 8),
        ] {
            assert_eq!(fixture(name).format, jpeg_fmt(w, h, o), "{name}");
        }
        assert_eq!(
            fixture("rotated-tall.jpg").format.display_size(),
            Some((1080, 1920))
        );
        assert_eq!(
            fixture("rotated-wide.jpg").format.display_size(),
            Some((1920, 1080))
        );
        assert_eq!(fixture("png-named.jpg").format, Format::OtherImage("PNG"));
        assert_eq!(fixture("image.png").format, Format::OtherImage("PNG"));
        assert_eq!(fixture("mpo.jpg").format, Format::Mpo);
    }

    // Durations come from ffmpeg, whose AAC priming can add a few tens of
    // milliseconds; allow for that so a re-generation with another ffmpeg
    // does not break the test.
    fn assert_video(info: &MediaInfo, container: Container, w: u32, h: u32, rot: u16, secs: u64) {
        let Format::Video(v) = &info.format else {
            panic!("expected video, got {:?}", info.format)
        };
        assert_eq!(v.container, container);
        assert_eq!((v.width, v.height, v.rotation), (w, h, rot));
        assert!(v.has_video_track);
        assert!(v.moov_before_mdat, "not faststart");
        let want = secs * 1000;
        assert!(
            v.duration_ms.abs_diff(want) <= 150,
            "duration {} ms, want about {want}",
            v.duration_ms
        );
    }

    #[test]
    fn fixture_videos() {
        use Container::{Mov, Mp4};
        assert_video(&fixture("reel.mp4"), Mp4, 720, 1280, 0, 5);
        assert_video(&fixture("reel-short.mp4"), Mp4, 720, 1280, 0, 1);
        assert_video(&fixture("reel-long.mp4"), Mp4, 144, 256, 0, 16 * 60 + 5);
        assert_video(&fixture("story-video.mp4"), Mp4, 720, 1280, 0, 10);
        assert_video(&fixture("story-long.mp4"), Mp4, 720, 1280, 0, 75);
        assert_video(&fixture("clip.mov"), Mov, 720, 1280, 0, 4);
        assert_video(&fixture("square-video.mp4"), Mp4, 1080, 1080, 0, 4);
        let rotated = fixture("rotated.mp4");
        assert_video(&rotated, Mp4, 1280, 720, 90, 3);
        assert_eq!(rotated.format.display_size(), Some((720, 1280)));
        assert_eq!(
            fixture("clip.webm").format,
            Format::OtherVideo("WebM/Matroska")
        );
    }

    #[test]
    fn example_content_media() {
        for name in ["mug-desk.jpg", "mug-hand.jpg", "mug-kiln.jpg"] {
            assert_eq!(example(name).format, jpeg_fmt(1080, 1350, 1), "{name}");
        }
        for name in ["glaze-cover.jpg", "story-sale.jpg"] {
            assert_eq!(example(name).format, jpeg_fmt(1080, 1920, 1), "{name}");
        }
        for name in ["studio.jpg", "holiday.jpg"] {
            assert_eq!(example(name).format, jpeg_fmt(1080, 1080, 1), "{name}");
        }
        assert_video(
            &example("kiln-timelapse.mp4"),
            Container::Mp4,
            1080,
            1350,
            0,
            4,
        );
        assert_video(&example("glaze-reel.mp4"), Container::Mp4, 720, 1280, 0, 8);
    }
}

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

mod bmff;
pub mod digest;
mod jpeg;
pub mod lfs;
mod sniff;

pub use bmff::{MAX_FRAGMENTS, MAX_MOOF};
pub use jpeg::{MAX_HEADER, MAX_STRAY};

use bmff::inspect_bmff;
use jpeg::inspect_jpeg;
use sniff::{sniff, Sniffed};

/// What the header of a media file says.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// Size of the file in bytes.
    pub bytes: u64,
    /// The detected format and, where inspectable, its dimensions.
    pub format: Format,
    /// The file is a Git LFS pointer: `bytes` and `format` are those of
    /// its content (the object, when the local store has it; else the
    /// pointer's size and [`Format::LfsAbsent`]).
    pub lfs: Option<lfs::Lfs>,
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
        /// What the file holds besides its picture (MPF images, a gain map).
        extra: JpegExtra,
    },
    /// A multi-picture JPEG whose pictures are views of one scene (an MPO
    /// of 3D and panorama cameras) or a JPS stereo pair: Instagram rejects
    /// these ("Extended JPEG formats such as MPO and JPS are not supported").
    Mpo(MultiPicture),
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
    /// A Git LFS pointer whose object this checkout does not have: only
    /// the pointer's size and, from the file's name, whether it is a video
    /// are known (`inspect_reader` cannot see the name: false there).
    LfsAbsent {
        /// A video by the file's extension.
        video: bool,
    },
}

/// What a JPEG holds besides its primary picture, from its MPF index (CIPA
/// DC-007, APP2 "MPF\0") and its metadata. All of these are JPEGs: a reader
/// that knows nothing of MPF decodes the primary picture and ignores the
/// images appended after it, as libjpeg does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegExtra {
    /// Nothing: a plain JPEG (or an MPF index listing only the primary).
    None,
    /// MPF lists only large thumbnails of the primary (MP types 0x010001
    /// VGA, 0x010002 Full HD), as many cameras write into ordinary JPEGs.
    Previews,
    /// An HDR gain map: Ultra HDR (Google, v1: XMP `hdrgm:` metadata plus
    /// an MPF image of type 0x000000) or ISO 21496-1 (APP2
    /// "urn:iso:std:iso:ts:21496:-1"), as Pixel, Samsung and recent iPhone
    /// cameras write. Viewers without HDR show the primary picture.
    GainMap,
    /// MPF lists images of undefined (0x000000) or unknown type and there is
    /// no gain-map metadata: a depth map, a vendor's own gain map, ...
    Auxiliary,
}

/// The kinds of multi-picture file Instagram rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiPicture {
    /// MP type 0x020002 (multi-frame, disparity): a stereo pair or
    /// multi-view set from a 3D camera, the classic `.mpo`.
    Disparity,
    /// MP type 0x020001 (multi-frame, panorama): the frames of a panorama.
    Panorama,
    /// MP type 0x020003 (multi-frame, multi-angle): one subject from several angles.
    MultiAngle,
    /// A JPS stereo pair (APP3 "_JPSJPS_"): both views side by side in one picture.
    Jps,
}

impl MultiPicture {
    /// What it is, for messages: "stereo (3D) MPO", ...
    pub fn name(self) -> &'static str {
        match self {
            MultiPicture::Disparity => "stereo (3D) MPO",
            MultiPicture::Panorama => "panorama MPO",
            MultiPicture::MultiAngle => "multi-angle MPO",
            MultiPicture::Jps => "JPS stereo",
        }
    }
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
    /// Fragmented MP4: moov has an mvex box and the samples are in moof
    /// fragments; `duration_ms` then comes from mehd or the fragments.
    pub fragmented: bool,
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
        matches!(
            self,
            Format::Video(_) | Format::OtherVideo(_) | Format::LfsAbsent { video: true }
        )
    }

    /// A one-line human description, e.g. "JPEG 1080×1350", "PNG image",
    /// "MP4 video 1080×1920, 6.0 s". Sizes are as displayed.
    pub fn describe(&self) -> String {
        match self {
            Format::Jpeg {
                width,
                height,
                orientation,
                extra,
            } => {
                let (dw, dh) = self.display_size().unwrap_or((*width, *height));
                let extra = match extra {
                    JpegExtra::None => "",
                    JpegExtra::Previews => " with MPF previews",
                    JpegExtra::GainMap => " with an HDR gain map (Ultra HDR)",
                    JpegExtra::Auxiliary => " with auxiliary MPF images",
                };
                if *orientation == 1 {
                    format!("JPEG {dw}×{dh}{extra}")
                } else {
                    format!(
                        "JPEG {dw}×{dh}{extra} (stored {width}×{height}, EXIF orientation {orientation})"
                    )
                }
            }
            Format::Mpo(kind) => format!("{} image (multi-picture JPEG)", kind.name()),
            Format::OtherImage(name) => format!("{name} image"),
            Format::Video(v) => {
                let secs = format_seconds(v.duration_ms);
                let fragmented = if v.fragmented { "fragmented " } else { "" };
                match self.display_size() {
                    Some((w, h)) if v.rotation != 0 => format!(
                        "{}{} video {w}×{h} (rotated {}°), {secs}",
                        fragmented,
                        v.container.name(),
                        v.rotation
                    ),
                    Some((w, h)) => {
                        format!("{fragmented}{} video {w}×{h}, {secs}", v.container.name())
                    }
                    None => format!(
                        "{fragmented}{} file without a video track, {secs}",
                        v.container.name()
                    ),
                }
            }
            Format::OtherVideo(name) => format!("{name} video"),
            Format::Unknown => "unrecognised file".to_string(),
            Format::LfsAbsent { video } => format!(
                "Git LFS pointer without its object ({} by its name)",
                if *video { "a video" } else { "an image" }
            ),
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
                ..
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
    /// The file starts like a Git LFS pointer but is not a valid one.
    #[error("it starts like a Git LFS pointer but is not a valid one: {0}")]
    Pointer(#[from] lfs::PointerError),
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

pub(crate) fn malformed(format: &'static str, detail: impl fmt::Display) -> MediaError {
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
/// buffer from an unchecked length field (EXIF, MPF and XMP are bounded by
/// the 64 KiB JPEG segment limit, moov by [`MAX_MOOV`], each moof by
/// [`MAX_MOOF`]), never scans unboundedly (JPEG segments up to [`MAX_HEADER`], at most
/// [`MAX_STRAY`] junk bytes between them; at most [`MAX_FRAGMENTS`] MP4
/// fragments) and terminates on any
/// input.
pub fn inspect_reader<R: Read + Seek>(reader: R, len: u64) -> Result<MediaInfo, MediaError> {
    let mut src = Source::new(reader, len)?;
    let mut head = [0u8; SNIFF_LEN];
    let n = src.read_head(&mut head)?;
    let head = &head[..n];
    if lfs::looks_like_pointer(head) && len < lfs::MAX_POINTER as u64 {
        return pointer(&mut src, head);
    }
    let format = match sniff(head) {
        Sniffed::Jpeg => inspect_jpeg(&mut src)?,
        Sniffed::Bmff(container) => Format::Video(inspect_bmff(&mut src, container)?),
        Sniffed::Done(format) => format,
    };
    Ok(MediaInfo {
        bytes: len,
        format,
        lfs: None,
    })
}

// A Git LFS pointer, read whole (it is shorter than MAX_POINTER, which
// `len` bounds): its content's size; the object is the caller's to find.
fn pointer<R: Read + Seek>(src: &mut Source<R>, head: &[u8]) -> Result<MediaInfo, MediaError> {
    let mut all = head.to_vec();
    let rest = src.remaining();
    all.extend(src.read_vec(rest)?);
    let pointer = lfs::parse(&all)?;
    Ok(MediaInfo {
        bytes: pointer.size,
        format: Format::LfsAbsent { video: false },
        lfs: Some(lfs::Lfs {
            pointer,
            object: None,
        }),
    })
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
pub(crate) struct Source<R> {
    inner: BufReader<R>,
    pub(crate) pos: u64,
    pub(crate) len: u64,
    pub(crate) format: &'static str,
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

    pub(crate) fn remaining(&self) -> u64 {
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

    pub(crate) fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), MediaError> {
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

    pub(crate) fn read_u8(&mut self) -> Result<u8, MediaError> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    pub(crate) fn read_u16_be(&mut self) -> Result<u16, MediaError> {
        let mut b = [0u8; 2];
        self.read_exact(&mut b)?;
        Ok(u16::from_be_bytes(b))
    }

    // Reads exactly `n` bytes into a fresh Vec. The caller has already
    // bounded `n`; `take` + `read_to_end` additionally grows the Vec only as
    // bytes actually arrive, so a reader shorter than `len` cannot make us
    // allocate memory for data that is not there.
    pub(crate) fn read_vec(&mut self, n: u64) -> Result<Vec<u8>, MediaError> {
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

    pub(crate) fn seek_to(&mut self, target: u64) -> Result<(), MediaError> {
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

#[cfg(test)]
mod tests {
    use super::bmff::tests::{bx, ftyp, matrix, mvhd_v0, mvhd_v1, simple_moov, tkhd, trak, video};
    use super::jpeg::tests::{dqt, exif, jfif, jpeg, mpf, segment, sof};
    use super::*;
    use std::io::Cursor;
    use std::time::{Duration, Instant};

    pub(crate) fn run(bytes: &[u8]) -> Result<MediaInfo, MediaError> {
        inspect_reader(Cursor::new(bytes), bytes.len() as u64)
    }

    pub(crate) fn format_of(bytes: &[u8]) -> Format {
        run(bytes).expect("inspectable").format
    }

    pub(crate) fn assert_malformed(bytes: &[u8], want_format: &str) {
        match run(bytes) {
            Err(MediaError::Malformed { format, .. }) => assert_eq!(format, want_format),
            other => panic!("expected Malformed {want_format}, got {other:?}"),
        }
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

    // A file of `len` bytes that holds `parts` at their offsets and zeros
    // elsewhere, counting the bytes read from it: gigabytes of mdat cost no
    // memory, and the count shows what the reader touched.
    pub(crate) struct Sparse {
        parts: Vec<(u64, Vec<u8>)>,
        len: u64,
        pos: u64,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl Sparse {
        pub(crate) fn new(
            parts: Vec<(u64, Vec<u8>)>,
            len: u64,
        ) -> (Sparse, std::rc::Rc<std::cell::Cell<u64>>) {
            let read = std::rc::Rc::new(std::cell::Cell::new(0));
            let file = Sparse {
                parts,
                len,
                pos: 0,
                read: read.clone(),
            };
            (file, read)
        }
    }

    impl std::io::Read for Sparse {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                let at = self.pos + i as u64;
                *b = self
                    .parts
                    .iter()
                    .find(|(o, p)| at >= *o && at < o + p.len() as u64)
                    .map_or(0, |(o, p)| p[(at - o) as usize]);
            }
            self.pos += n as u64;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    impl std::io::Seek for Sparse {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            self.pos = match to {
                std::io::SeekFrom::Start(p) => p,
                std::io::SeekFrom::End(d) => self.len.saturating_add_signed(d),
                std::io::SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
            };
            Ok(self.pos)
        }
    }

    // ---- Robustness (proptest: random and mutated inputs, lying lengths)

    // Synthetic seeds reach every branch the builders know; real encoder
    // output (exiftool's IFD layout, ffmpeg's full moov and fragments, the
    // quirk fixtures) reaches deeper.
    fn synthetic_seeds() -> Vec<Vec<u8>> {
        vec![
            jpeg(&[
                jfif(),
                exif(false, 6),
                exif(true, 8),
                dqt(),
                sof(0xC0, 1080, 1350),
            ]),
            jpeg(&[
                segment(0xE2, b"MPF\0MM\0*"),
                mpf(true, &[0x0003_0000, 0x0000_0000]),
                sof(0xC2, 10, 10),
                exif(false, 3),
            ]),
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

    fn seeds() -> &'static [Vec<u8>] {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        SEEDS.get_or_init(|| {
            let mut seeds = synthetic_seeds();
            for name in [
                "rotated-tall.jpg",
                "mpo.jpg",
                "ultrahdr.jpg",
                "junk.jpg",
                "exif-after-sof.jpg",
                "rotated.mp4",
                "clip.mov",
                "fragmented.mp4",
            ] {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/media")
                    .join(name);
                let mut bytes = std::fs::read(path).unwrap();
                if name.ends_with(".jpg") && !name.starts_with("ultrahdr") {
                    bytes.truncate(4096); // the header; the scan data is never read
                }
                seeds.push(bytes);
            }
            seeds
        })
    }

    const MAGICS: &[&[u8]] = &[
        b"\xff\xd8\xff",
        b"\0\0\0\x10ftypisom",
        b"\0\0\0\0moov",
        b"\0\0\0\x01mdat",
        b"\x89PNG",
        b"RIFF\0\0\0\0WEBP",
        b"version https://git-lfs.github.com/spec/v1\noid sha256:",
    ];

    // Runs one input with a claimed length: exact, longer, shorter or huge.
    fn run_lying(buf: &[u8], lie: u8, by: u64) {
        let len = match lie {
            0 => buf.len() as u64 + by,
            1 => by % (buf.len() as u64 + 1),
            2 => u64::MAX - by % 1000,
            _ => buf.len() as u64,
        };
        let start = Instant::now();
        let _ = inspect_reader(Cursor::new(buf), len);
        // Debug build, shared machine: generous, but a hang or a scan of
        // the claimed length would blow far past it.
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn mutated_seeds_never_panic(
            seed in proptest::sample::select((0..seeds().len()).collect::<Vec<_>>()),
            edits in proptest::collection::vec(
                (proptest::prelude::any::<proptest::sample::Index>(),
                 proptest::prop_oneof![
                     proptest::strategy::Just(0u8),
                     proptest::strategy::Just(0xFF),
                     proptest::strategy::Just(1),
                     proptest::prelude::any::<u8>(),
                 ]),
                1..7,
            ),
            cut in proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
            lie in 0u8..8,
            by in 0u64..(1 << 20),
        ) {
            let mut buf = seeds()[seed].clone();
            // Mutate where the parser looks: the header (and, for the
            // fragmented MP4, its moof boxes).
            let hot = buf.len().min(16 * 1024);
            for (at, value) in edits {
                buf[at.index(hot)] = value;
            }
            if let Some(cut) = cut {
                buf.truncate(cut.index(buf.len() + 1));
            }
            run_lying(&buf, lie, by);
        }

        #[test]
        fn random_bytes_after_a_magic_never_panic(
            magic in proptest::sample::select(MAGICS.to_vec()),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            lie in 0u8..8,
            by in 0u64..(1 << 20),
        ) {
            let buf = [magic, &body[..]].concat();
            run_lying(&buf, lie, by);
        }
    }

    #[test]
    fn every_truncation_of_the_synthetic_seeds_is_handled() {
        for s in synthetic_seeds() {
            for cut in 0..=s.len() {
                let _ = inspect_reader(Cursor::new(&s[..cut]), cut as u64);
            }
        }
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
            extra: JpegExtra::None,
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
        assert_eq!(
            fixture("mpo.jpg").format,
            Format::Mpo(MultiPicture::Disparity)
        );
    }

    // The real-world quirks of issue 13 (see scripts/make-media-fixtures.sh);
    // the figures are those of libjpeg-turbo, Pillow and ffprobe.
    #[test]
    fn fixture_quirks_images() {
        let with = |w, h, o, extra| Format::Jpeg {
            width: w,
            height: h,
            orientation: o,
            extra,
        };
        // djpeg: "9 extraneous bytes before marker 0xdb", "3 ... before marker 0xc0".
        assert_eq!(fixture("junk.jpg").format, jpeg_fmt(1080, 1080, 1));
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/junk.jpg");
        let bytes = std::fs::read(path).unwrap();
        let mut src = Source::new(std::io::Cursor::new(&bytes), bytes.len() as u64).unwrap();
        assert_eq!(jpeg::scan(&mut src).unwrap().extraneous, 9 + 3);
        // Pillow: orientation 6 from the APP1 after SOF.
        let f = fixture("exif-after-sof.jpg").format;
        assert_eq!(f, jpeg_fmt(1920, 1080, 6));
        assert_eq!(f.display_size(), Some((1080, 1920)));
        // Pillow 13: format JPEG (Ultra HDR is not an MPO), 1 frame.
        assert_eq!(
            fixture("ultrahdr.jpg").format,
            with(1080, 1080, 1, JpegExtra::GainMap)
        );
        // Pillow: MPO with 2 frames; its second picture is a preview.
        assert_eq!(
            fixture("mpf-preview.jpg").format,
            with(1080, 1080, 1, JpegExtra::Previews)
        );
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
    fn fixture_quirks_videos() {
        // ffprobe: displaymatrix -1 65535 / -65535 1, "rotation=-90" (90° clockwise).
        let noisy = fixture("rotated-noisy.mp4");
        assert_video(&noisy, Container::Mp4, 1280, 720, 90, 3);
        assert_eq!(noisy.format.display_size(), Some((720, 1280)));
        // ffprobe: format duration 5.200 s (audio 5.2 s, video 5.0 s).
        let frag = fixture("fragmented.mp4");
        let Format::Video(v) = &frag.format else {
            panic!("{:?}", frag.format)
        };
        assert!(v.fragmented && v.moov_before_mdat && v.has_video_track);
        assert_eq!((v.width, v.height, v.rotation), (720, 1280, 0));
        assert_eq!(v.duration_ms, 5200);
        assert_eq!(
            frag.format.describe(),
            "fragmented MP4 video 720×1280, 5.2 s"
        );
        // Cut short (a recording that crashed): the complete fragments
        // count. ffprobe: video 4.000 s, audio 4.040 s (cut before the last
        // moof); video 5.0 s, audio 5.2 s (cut inside the last mdat).
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/fragmented.mp4");
        let bytes = std::fs::read(path).unwrap();
        for (cut, ms) in [(11_658, 4040), (12_500, 5200)] {
            let info = inspect_reader(std::io::Cursor::new(&bytes[..cut]), cut as u64).unwrap();
            let Format::Video(v) = info.format else {
                panic!()
            };
            assert_eq!(v.duration_ms, ms, "cut at {cut}");
        }
        for name in ["reel.mp4", "clip.mov", "rotated.mp4"] {
            let Format::Video(v) = fixture(name).format else {
                panic!()
            };
            assert!(!v.fragmented, "{name}");
        }
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

//! JPEG: the segments up to the first scan (SOS): the frame header (SOF),
//! EXIF orientation, and what else the file holds (MPF index, XMP gain-map
//! metadata, JPS stereo marker).
//!
//! Resynchronisation follows libjpeg's `next_marker` (jdmarker.c): bytes that
//! are not a marker between two segments are skipped up to the next 0xFF,
//! with the warning "Corrupt JPEG data: N extraneous bytes before marker";
//! 0xFF fill bytes before a marker are legal padding (T.81 B.1.1.2) and a
//! stuffed `FF 00` pair outside scan data is skipped like stray bytes. Pillow
//! opens such files too. Unlike libjpeg, the skipping is bounded by
//! [`MAX_STRAY`] so that hostile input cannot make us read far past the
//! header area.

use super::{malformed, Format, JpegExtra, MediaError, MultiPicture, Source};
use std::io::{Read, Seek};

/// The most stray, fill and stuffed bytes skipped between the segments of
/// one file. Real damage is a few bytes (a bad byte count in an editor); 64
/// KiB is a whole segment's worth.
pub const MAX_STRAY: u64 = 64 * 1024;

/// How far into a file the segments before the first scan may reach. Real
/// headers are kilobytes (an EXIF block, an ICC profile, XMP; a few MB for a
/// huge chunked ICC profile); past this, a file of endless tiny segments is
/// refused instead of walked to its end.
pub const MAX_HEADER: u64 = 16 * 1024 * 1024;

// Longest segment identifier we look at: "http://ns.adobe.com/xap/1.0/\0" (29
// bytes) and "urn:iso:std:iso:ts:21496:-1\0" (28).
const ID_LEN: u64 = 32;
const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const ISO_21496_ID: &[u8] = b"urn:iso:std:iso:ts:21496:-1\0";
// The Adobe/Google gain-map XMP namespace (Ultra HDR v1, Adobe Gain Map 1.0).
const HDRGM_NS: &[u8] = b"http://ns.adobe.com/hdr-gain-map/1.0/";

/// What the segments before the first scan say.
#[derive(Debug, Default)]
pub(super) struct Scan {
    frame: Option<(u16, u16)>,
    orientation: Option<u8>,
    mpf: Option<Mpf>,
    jps: bool,
    gain_map_metadata: bool,
    /// Bytes skipped as libjpeg counts them: stray bytes and stuffed pairs,
    /// not fill bytes (those are legal).
    pub(super) extraneous: u64,
}

/// What an MPF index (CIPA DC-007, APP2 "MPF\0") lists besides the first image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mpf {
    /// A multi-frame set (any entry of MP type 0x0200xx): the images are views.
    Views(MultiPicture),
    /// Only large thumbnails of the primary (MP types 0x010001, 0x010002).
    Previews,
    /// Images of undefined (0x000000) or unknown type: gain maps, depth maps.
    Auxiliary,
    /// No image besides the first, or an index we cannot read.
    Nothing,
}

pub(super) fn inspect_jpeg<R: Read + Seek>(src: &mut Source<R>) -> Result<Format, MediaError> {
    let scan = scan(src)?;
    let (width, height) = scan
        .frame
        .ok_or_else(|| malformed("JPEG", "no frame header"))?;
    if scan.jps {
        return Ok(Format::Mpo(MultiPicture::Jps));
    }
    if let Some(Mpf::Views(kind)) = scan.mpf {
        return Ok(Format::Mpo(kind));
    }
    let extra = match scan.mpf {
        _ if scan.gain_map_metadata => JpegExtra::GainMap,
        Some(Mpf::Previews) => JpegExtra::Previews,
        Some(Mpf::Auxiliary) => JpegExtra::Auxiliary,
        _ => JpegExtra::None,
    };
    Ok(Format::Jpeg {
        width: width.into(),
        height: height.into(),
        orientation: scan.orientation.unwrap_or(1),
        extra,
    })
}

/// Reads the segments from SOI to the first SOS. Before the frame header
/// every problem is an error; after it, a problem (truncation, a broken
/// segment) ends the scan with what was found, because the picture's size is
/// known and later metadata is optional.
pub(super) fn scan<R: Read + Seek>(src: &mut Source<R>) -> Result<Scan, MediaError> {
    src.format = "JPEG";
    src.seek_to(2)?; // past SOI
    let mut scan = Scan::default();
    let mut skipped = 0u64;
    loop {
        match segment(src, &mut scan, &mut skipped) {
            Ok(true) => {}
            Ok(false) => return Ok(scan),
            Err(MediaError::Malformed { .. }) if scan.frame.is_some() => return Ok(scan),
            Err(e) => return Err(e),
        }
    }
}

// Finds the next marker as libjpeg does: skip to a 0xFF, skip fill 0xFFs,
// treat FF 00 as stray. Counts everything skipped against MAX_STRAY.
fn next_marker<R: Read + Seek>(
    src: &mut Source<R>,
    scan: &mut Scan,
    skipped: &mut u64,
) -> Result<u8, MediaError> {
    let from = src.pos;
    let mut skip = |scan: &mut Scan, n: u64, extraneous: bool| {
        *skipped += n;
        if extraneous {
            scan.extraneous += n;
        }
        if *skipped > MAX_STRAY {
            Err(malformed(
                "JPEG",
                format!(
                    "more than {MAX_STRAY} stray bytes between segments (the last run from \
                     byte {from}): too many for a damaged header"
                ),
            ))
        } else {
            Ok(())
        }
    };
    let mut c = src.read_u8()?;
    loop {
        while c != 0xFF {
            skip(scan, 1, true)?;
            c = src.read_u8()?;
        }
        c = src.read_u8()?;
        while c == 0xFF {
            skip(scan, 1, false)?;
            c = src.read_u8()?;
        }
        if c != 0x00 {
            return Ok(c);
        }
        skip(scan, 2, true)?;
        c = src.read_u8()?;
    }
}

// Reads one marker and its segment. Ok(false) at the first SOS (or EOI)
// after the frame header.
fn segment<R: Read + Seek>(
    src: &mut Source<R>,
    scan: &mut Scan,
    skipped: &mut u64,
) -> Result<bool, MediaError> {
    if src.pos > MAX_HEADER {
        return Err(malformed(
            "JPEG",
            format!("no scan (SOS) in the first {MAX_HEADER} bytes"),
        ));
    }
    let marker = next_marker(src, scan, skipped)?;
    match marker {
        // Standalone markers: no length field.
        0x01 | 0xD0..=0xD8 => return Ok(true),
        0xD9 | 0xDA if scan.frame.is_some() => return Ok(false),
        0xD9 => {
            return Err(malformed(
                "JPEG",
                "image ends (EOI) before any frame header",
            ))
        }
        0xDA => return Err(malformed("JPEG", "scan data (SOS) before any frame header")),
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
        // SOF0..SOF15; C4 (DHT), C8 (JPG extension) and CC (DAC) share the
        // range but are not frame headers. The first frame header counts.
        0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && scan.frame.is_none() => {
            if payload < 6 {
                return Err(malformed("JPEG", "frame header too short"));
            }
            let _precision = src.read_u8()?;
            let height = src.read_u16_be()?;
            let width = src.read_u16_be()?;
            if width == 0 || height == 0 {
                // Height 0 defers to a DNL marker after the first scan; no
                // camera or editor writes that, and a 0 would poison every
                // aspect-ratio check downstream.
                return Err(malformed(
                    "JPEG",
                    format!("frame header says {width}×{height}"),
                ));
            }
            scan.frame = Some((width, height));
        }
        0xE1..=0xE3 => {
            let mut id = vec![0u8; payload.min(ID_LEN) as usize];
            src.read_exact(&mut id)?;
            // A JPEG segment is at most 65533 bytes, so reading the rest of
            // one is bounded by the format itself.
            let rest = |src: &mut Source<R>, skip: usize| -> Result<Vec<u8>, MediaError> {
                src.seek_to(payload_end - payload + skip as u64)?;
                src.read_vec(payload - skip as u64)
            };
            match marker {
                0xE1 if id.starts_with(b"Exif\0\0") && scan.orientation.is_none() => {
                    let tiff = rest(src, 6)?;
                    scan.orientation = Some(exif_orientation(&tiff).unwrap_or(1));
                }
                0xE1 if id.starts_with(XMP_ID) && !scan.gain_map_metadata => {
                    let packet = rest(src, XMP_ID.len())?;
                    scan.gain_map_metadata = contains(&packet, HDRGM_NS);
                }
                0xE2 if id.starts_with(b"MPF\0") && scan.mpf.is_none() => {
                    let tiff = rest(src, 4)?;
                    scan.mpf = Some(mpf_index(&tiff).unwrap_or(Mpf::Nothing));
                }
                0xE2 if id.starts_with(ISO_21496_ID) => scan.gain_map_metadata = true,
                0xE3 if id.starts_with(b"_JPSJPS_") => scan.jps = true,
                _ => {}
            }
        }
        _ => {}
    }
    src.seek_to(payload_end)?;
    Ok(true)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// A TIFF structure (EXIF, and MPF which reuses it): byte order from its
// header, every read bounds-checked.
struct Tiff<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl<'a> Tiff<'a> {
    fn new(data: &'a [u8]) -> Option<Tiff<'a>> {
        let big_endian = match data.get(0..2)? {
            b"II" => false,
            b"MM" => true,
            _ => return None,
        };
        let t = Tiff { data, big_endian };
        (t.u16_at(2)? == 42).then_some(t)
    }

    fn u16_at(&self, off: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(off..off.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, off: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    // The first IFD's entries as (tag, type, count, offset of the value
    // field); stops at the first entry that does not fit.
    fn ifd0(&self) -> impl Iterator<Item = (u16, u16, u32, usize)> + '_ {
        let ifd = self
            .u32_at(4)
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(usize::MAX);
        let count = self.u16_at(ifd).map_or(0, usize::from);
        (0..count).map_while(move |i| {
            let entry = ifd.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
            Some((
                self.u16_at(entry)?,
                self.u16_at(entry.checked_add(2)?)?,
                self.u32_at(entry.checked_add(4)?)?,
                entry.checked_add(8)?,
            ))
        })
    }
}

// Finds tag 0x0112 in IFD0 of a TIFF structure. None means "not there or not
// readable": a broken EXIF block is common (editors mangle it) and must not
// make an otherwise good JPEG unusable.
fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let t = Tiff::new(tiff)?;
    let (_, kind, _, value_at) = t.ifd0().find(|e| e.0 == 0x0112)?;
    let value = match kind {
        3 => t.u16_at(value_at)?,                      // SHORT, the standard type
        4 => u16::try_from(t.u32_at(value_at)?).ok()?, // LONG, seen from sloppy writers
        _ => return None,
    };
    u8::try_from(value).ok().filter(|v| (1..=8).contains(v))
}

// MP type codes (CIPA DC-007 §5.2.3.3.1, the low 24 bits of an MP entry's
// individual image attribute).
const MP_LARGE_THUMBNAIL_VGA: u32 = 0x01_0001;
const MP_LARGE_THUMBNAIL_FULL_HD: u32 = 0x01_0002;
const MP_PANORAMA: u32 = 0x02_0001;
const MP_DISPARITY: u32 = 0x02_0002;
const MP_MULTI_ANGLE: u32 = 0x02_0003;

// Reads the MP Index IFD: tag 0xB002 (MPEntry, 16 bytes per image: attribute,
// size, offset, two dependent-image entries). None when unreadable: like a
// broken EXIF block, a broken index must not make the primary unusable.
fn mpf_index(tiff: &[u8]) -> Option<Mpf> {
    let t = Tiff::new(tiff)?;
    let (_, _, bytes, value_at) = t.ifd0().find(|e| e.0 == 0xB002)?;
    let n = usize::try_from(bytes / 16).ok()?;
    let at = if bytes <= 4 {
        value_at
    } else {
        usize::try_from(t.u32_at(value_at)?).ok()?
    };
    // Every entry must lie inside the segment (so at most 4 K of them): an
    // index that claims more is not one we can read.
    if n == 0 || at.checked_add(n.checked_mul(16)?)? > tiff.len() {
        return None;
    }
    let types: Vec<u32> = (0..n)
        .map(|i| t.u32_at(at + 16 * i).map(|attr| attr & 0x00FF_FFFF))
        .collect::<Option<_>>()?;
    let views = types.iter().find_map(|&ty| match ty {
        MP_PANORAMA => Some(MultiPicture::Panorama),
        MP_DISPARITY => Some(MultiPicture::Disparity),
        MP_MULTI_ANGLE => Some(MultiPicture::MultiAngle),
        _ => None,
    });
    let others = &types[1..];
    Some(if let Some(kind) = views {
        Mpf::Views(kind)
    } else if others.is_empty() {
        Mpf::Nothing
    } else if others
        .iter()
        .all(|&ty| matches!(ty, MP_LARGE_THUMBNAIL_VGA | MP_LARGE_THUMBNAIL_FULL_HD))
    {
        Mpf::Previews
    } else {
        Mpf::Auxiliary
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::media::tests::{assert_malformed, format_of, run, Sparse};

    pub(crate) fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    pub(crate) fn sof(marker: u8, width: u16, height: u16) -> Vec<u8> {
        let mut p = vec![8];
        p.extend_from_slice(&height.to_be_bytes());
        p.extend_from_slice(&width.to_be_bytes());
        p.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        segment(marker, &p)
    }

    fn ordered16(big_endian: bool, v: u16) -> [u8; 2] {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn ordered32(big_endian: bool, v: u32) -> [u8; 4] {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    // An APP1 Exif payload with IFD0 holding a dummy tag and Orientation.
    pub(crate) fn exif(big_endian: bool, orientation: u16) -> Vec<u8> {
        let w16 = |v: u16| ordered16(big_endian, v);
        let w32 = |v: u32| ordered32(big_endian, v);
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

    pub(crate) fn jfif() -> Vec<u8> {
        segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    }

    pub(crate) fn dqt() -> Vec<u8> {
        let mut p = vec![0];
        p.extend_from_slice(&[1u8; 64]);
        segment(0xDB, &p)
    }

    pub(crate) fn jpeg(parts: &[Vec<u8>]) -> Vec<u8> {
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
                orientation: 1,
                extra: JpegExtra::None,
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
                    orientation: 1,
                    extra: JpegExtra::None,
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
                orientation: 1,
                extra: JpegExtra::None,
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
                orientation: 6,
                extra: JpegExtra::None,
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
                orientation: 8,
                extra: JpegExtra::None,
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
                    orientation: 1,
                    extra: JpegExtra::None,
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
                    orientation: 1,
                    extra: JpegExtra::None,
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
                orientation: 3,
                extra: JpegExtra::None,
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
                orientation: 1,
                extra: JpegExtra::None,
            }
        );
    }

    // An APP2 MPF segment whose MP Index IFD lists one entry per attribute
    // (the MP type in the low 24 bits), in either byte order.
    pub(crate) fn mpf(big_endian: bool, attributes: &[u32]) -> Vec<u8> {
        let w16 = |v: u16| ordered16(big_endian, v);
        let w32 = |v: u32| ordered32(big_endian, v);
        let n = attributes.len() as u32;
        let mut t = b"MPF\0".to_vec();
        t.extend_from_slice(if big_endian { b"MM\0*" } else { b"II*\0" });
        t.extend_from_slice(&w32(8));
        t.extend_from_slice(&w16(3));
        t.extend_from_slice(&w16(0xB000));
        t.extend_from_slice(&w16(7));
        t.extend_from_slice(&w32(4));
        t.extend_from_slice(b"0100");
        t.extend_from_slice(&w16(0xB001));
        t.extend_from_slice(&w16(4));
        t.extend_from_slice(&w32(1));
        t.extend_from_slice(&w32(n));
        t.extend_from_slice(&w16(0xB002));
        t.extend_from_slice(&w16(7));
        t.extend_from_slice(&w32(16 * n));
        t.extend_from_slice(&w32(8 + 2 + 36 + 4));
        t.extend_from_slice(&w32(0));
        for (i, attr) in attributes.iter().enumerate() {
            t.extend_from_slice(&w32(*attr));
            t.extend_from_slice(&w32(1000));
            t.extend_from_slice(&w32(if i == 0 { 0 } else { 5000 }));
            t.extend_from_slice(&[0; 4]);
        }
        segment(0xE2, &t)
    }

    fn xmp(packet: &str) -> Vec<u8> {
        let mut p = XMP_ID.to_vec();
        p.extend_from_slice(packet.as_bytes());
        segment(0xE1, &p)
    }

    const HDRGM_XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"/></rdf:RDF></x:xmpmeta>"#;

    fn extra_of(parts: &[Vec<u8>]) -> JpegExtra {
        let mut all = parts.to_vec();
        all.push(sof(0xC0, 8, 8));
        match format_of(&jpeg(&all)) {
            Format::Jpeg { extra, .. } => extra,
            other => panic!("expected a JPEG, got {other:?}"),
        }
    }

    #[test]
    fn jpeg_true_mpo_and_jps_are_refused_kinds() {
        for (attrs, kind) in [
            (&[0x2002_0002u32, 0x0002_0002][..], MultiPicture::Disparity),
            (
                &[0x2002_0001, 0x0002_0001, 0x0002_0001],
                MultiPicture::Panorama,
            ),
            (&[0x0003_0000, 0x0002_0003], MultiPicture::MultiAngle),
        ] {
            for be in [true, false] {
                let f = format_of(&jpeg(&[exif(false, 1), mpf(be, attrs), sof(0xC0, 8, 8)]));
                assert_eq!(f, Format::Mpo(kind), "{attrs:x?}");
                assert_eq!(f.display_size(), None);
            }
        }
        // Views win over gain-map metadata.
        let f = format_of(&jpeg(&[
            xmp(HDRGM_XMP),
            mpf(true, &[0x2002_0002, 0x0002_0002]),
            sof(0xC0, 8, 8),
        ]));
        assert_eq!(f, Format::Mpo(MultiPicture::Disparity));
        let jps = segment(0xE3, b"_JPSJPS_\0\x04\0\0\0\0");
        let f = format_of(&jpeg(&[jps, sof(0xC0, 8, 8)]));
        assert_eq!(f, Format::Mpo(MultiPicture::Jps));
        assert_eq!(f.describe(), "JPS stereo image (multi-picture JPEG)");
        assert_eq!(
            Format::Mpo(MultiPicture::Disparity).describe(),
            "stereo (3D) MPO image (multi-picture JPEG)"
        );
    }

    #[test]
    fn jpeg_ultra_hdr_previews_and_auxiliary_images_are_jpegs() {
        // Ultra HDR v1: hdrgm XMP + MPF primary 0x030000, gain map 0x000000.
        let uhdr = [xmp(HDRGM_XMP), mpf(true, &[0x0003_0000, 0x0000_0000])];
        assert_eq!(extra_of(&uhdr), JpegExtra::GainMap);
        // Libultrahdr can write the MPF little-endian; order does not matter.
        assert_eq!(
            extra_of(&[mpf(false, &[0x0003_0000, 0]), xmp(HDRGM_XMP)]),
            JpegExtra::GainMap
        );
        // ISO 21496-1 metadata in APP2 marks a gain map too.
        let iso = segment(0xE2, b"urn:iso:std:iso:ts:21496:-1\0\0\0");
        assert_eq!(
            extra_of(&[iso, mpf(true, &[0x0003_0000, 0])]),
            JpegExtra::GainMap
        );
        // Large thumbnails only (VGA, Full HD).
        assert_eq!(
            extra_of(&[mpf(true, &[0x0003_0000, 0x0001_0001, 0x0001_0002])]),
            JpegExtra::Previews
        );
        // Undefined type without gain-map metadata (a depth map, Apple's gain map).
        assert_eq!(
            extra_of(&[mpf(true, &[0x0003_0000, 0x0000_0000])]),
            JpegExtra::Auxiliary
        );
        assert_eq!(
            extra_of(&[mpf(true, &[0x0003_0000, 0x0001_0001, 0x0004_0000])]),
            JpegExtra::Auxiliary
        );
        // An index with only the primary, or an unreadable one: nothing else.
        for seg in [
            mpf(true, &[0x0003_0000]),
            segment(0xE2, b"MPF\0MM\0*\0\0\0\x08\0\0"),
            segment(0xE2, b"MPF\0MM\0*\0\0\xff\xff"),
            segment(0xE2, b"MPF\0"),
            segment(
                0xE2,
                b"MPF\0II*\0\x08\0\0\0\x01\0\x02\xb0\x07\0\xff\xff\xff\xff\0\0\0\0",
            ),
        ] {
            assert_eq!(extra_of(&[seg]), JpegExtra::None);
        }
        // An ICC profile in APP2 is not MPF, nor is an XMP without hdrgm.
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01");
        assert_eq!(extra_of(&[icc, xmp("<x:xmpmeta/>")]), JpegExtra::None);
        let f = format_of(&jpeg(&[xmp(HDRGM_XMP), exif(false, 6), sof(0xC0, 40, 30)]));
        assert_eq!(
            f.describe(),
            "JPEG 30×40 with an HDR gain map (Ultra HDR) (stored 40×30, EXIF orientation 6)"
        );
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

    fn scan_of(bytes: &[u8]) -> Result<Scan, MediaError> {
        let mut src = Source::new(std::io::Cursor::new(bytes), bytes.len() as u64)?;
        scan(&mut src)
    }

    #[test]
    fn jpeg_resynchronises_over_junk_like_libjpeg() {
        // Stray bytes, a stuffed FF 00 pair, fill bytes: skipped to the next
        // marker, counted as libjpeg counts "extraneous bytes".
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&jfif());
        v.extend_from_slice(b"\x00\x13\x37junk\xff\x00");
        v.extend_from_slice(&dqt());
        v.extend_from_slice(b"abc\xff\xff\xff");
        v.extend_from_slice(&exif(true, 8));
        v.extend_from_slice(&[0x00]);
        v.extend_from_slice(&sof(0xC0, 64, 48));
        v.extend_from_slice(&segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        let scan = scan_of(&v).unwrap();
        assert_eq!(scan.extraneous, 9 + 3 + 1);
        assert_eq!(
            format_of(&v),
            Format::Jpeg {
                width: 64,
                height: 48,
                orientation: 8,
                extra: JpegExtra::None,
            }
        );
        // Junk right after SOI is not sniffed as a JPEG at all (Pillow
        // requires FF D8 FF too); junk at the end with no frame is malformed.
        let mut v = vec![0xFF, 0xD8, 1, 2, 3];
        v.extend_from_slice(&sof(0xC0, 2, 2));
        assert_eq!(format_of(&v), Format::Unknown);
        assert_malformed(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 2, b'x', b'y', b'z'], "JPEG");
    }

    #[test]
    fn jpeg_junk_is_bounded() {
        // MAX_STRAY bytes of junk are skipped; one more is refused, with no
        // further read.
        for (n, ok) in [(MAX_STRAY, true), (MAX_STRAY + 1, false)] {
            let mut v = vec![0xFF, 0xD8];
            v.extend_from_slice(&jfif());
            v.extend(std::iter::repeat_n(0x20, n as usize));
            v.extend_from_slice(&sof(0xC0, 3, 3));
            assert_eq!(run(&v).is_ok(), ok, "{n}");
        }
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&jfif());
        v.extend(std::iter::repeat_n(0xFF, 2 * MAX_STRAY as usize));
        v.extend_from_slice(&sof(0xC0, 3, 3)[1..]);
        let e = run(&v).unwrap_err().to_string();
        assert!(e.contains("stray bytes between segments"), "{e}");
    }

    #[test]
    fn jpeg_reads_headers_only() {
        // A 500 MB JPEG: the reader stops at SOS, one buffer fill in.
        let head = jpeg(&[jfif(), exif(false, 6), dqt(), sof(0xC0, 8000, 6000)]);
        let len = 500 * 1000 * 1000;
        let (file, read) = Sparse::new(vec![(0, head)], len);
        let f = crate::media::inspect_reader(file, len).unwrap().format;
        assert_eq!(f.display_size(), Some((6000, 8000)));
        assert!(read.get() <= 8 * 1024, "read {} bytes", read.get());
    }

    #[test]
    fn jpeg_header_area_is_bounded() {
        // Endless empty APP0 segments: refused once past MAX_HEADER, whether
        // the frame header came before them (then the frame is kept) or not.
        let empty = [0xFF, 0xE0, 0x00, 0x02];
        let n = (MAX_HEADER / 4 + 2) as usize;
        let mut v = vec![0xFF, 0xD8];
        v.extend(empty.iter().copied().cycle().take(4 * n));
        v.extend_from_slice(&sof(0xC0, 9, 9));
        let e = run(&v).unwrap_err().to_string();
        assert!(e.contains("no scan (SOS) in the first"), "{e}");
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&sof(0xC0, 9, 9));
        v.extend(empty.iter().copied().cycle().take(4 * n));
        assert!(matches!(format_of(&v), Format::Jpeg { width: 9, .. }));
    }

    #[test]
    fn jpeg_metadata_after_the_frame_header_counts() {
        // APP1 EXIF after SOF and DHT, before SOS, as some editors write it.
        let dht = segment(0xC4, &[0x00; 17]);
        let f = format_of(&jpeg(&[
            jfif(),
            dqt(),
            sof(0xC0, 1920, 1080),
            dht,
            exif(false, 6),
        ]));
        assert_eq!(f.display_size(), Some((1080, 1920)));
        // MPF and JPS after SOF are seen too.
        let f = format_of(&jpeg(&[
            sof(0xC2, 8, 8),
            mpf(true, &[0x2002_0002, 0x0002_0002]),
        ]));
        assert_eq!(f, Format::Mpo(MultiPicture::Disparity));
        // A second SOF (another frame in the header) does not replace the first.
        let f = format_of(&jpeg(&[sof(0xC0, 10, 20), sof(0xC0, 30, 40)]));
        assert!(matches!(
            f,
            Format::Jpeg {
                width: 10,
                height: 20,
                ..
            }
        ));
        // After the frame header, damage ends the scan: the picture is known.
        let mut v = jpeg(&[sof(0xC0, 5, 6)]);
        v.truncate(2 + sof(0xC0, 5, 6).len());
        v.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xFF, 0x00]);
        assert!(matches!(format_of(&v), Format::Jpeg { width: 5, .. }));
        // EOI right after the frame header.
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&sof(0xC0, 7, 7));
        v.extend_from_slice(&[0xFF, 0xD9]);
        assert!(matches!(format_of(&v), Format::Jpeg { width: 7, .. }));
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

    // kamadak-exif (a maintained EXIF parser) reads the same orientation as
    // we do, on every fixture JPEG and on synthetic EXIF before and after
    // the frame header, in both byte orders. It also scans all segments up
    // to SOS, so EXIF after SOF is found by both.
    fn kamadak_orientation(bytes: &[u8]) -> u8 {
        let mut r = std::io::BufReader::new(std::io::Cursor::new(bytes));
        exif::Reader::new()
            .read_from_container(&mut r)
            .ok()
            .and_then(|e| {
                e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                    .and_then(|f| f.value.get_uint(0))
            })
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=8).contains(v))
            .unwrap_or(1)
    }

    fn our_orientation(bytes: &[u8]) -> u8 {
        match format_of(bytes) {
            Format::Jpeg { orientation, .. } => orientation,
            Format::Mpo(_) => scan_of(bytes).unwrap().orientation.unwrap_or(1),
            other => panic!("not a JPEG: {other:?}"),
        }
    }

    #[test]
    fn orientation_agrees_with_kamadak_exif() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["tests/fixtures/media", "example-content/media"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().and_then(|e| e.to_str()) != Some("jpg") || path.is_symlink() {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
                    continue; // png-named.jpg
                }
                assert_eq!(
                    our_orientation(&bytes),
                    kamadak_orientation(&bytes),
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked >= 15, "{checked}");
        let dht = segment(0xC4, &[0x00; 17]);
        for o in 0..=9 {
            for be in [true, false] {
                for file in [
                    jpeg(&[jfif(), exif(be, o), dqt(), sof(0xC0, 30, 20)]),
                    jpeg(&[jfif(), dqt(), sof(0xC2, 30, 20), dht.clone(), exif(be, o)]),
                ] {
                    assert_eq!(
                        our_orientation(&file),
                        kamadak_orientation(&file),
                        "orientation {o}"
                    );
                }
            }
        }
    }
}

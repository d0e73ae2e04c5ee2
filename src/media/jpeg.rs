//! JPEG: the segments up to the frame header (SOF), EXIF orientation, and
//! the MPF/JPS markers of multi-picture files.

use super::{malformed, Format, MediaError, Source};
use std::io::{Read, Seek};
pub(super) fn inspect_jpeg<R: Read + Seek>(src: &mut Source<R>) -> Result<Format, MediaError> {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::media::tests::{assert_malformed, format_of, run};
    use crate::media::MediaError;

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

    // An APP1 Exif payload with IFD0 holding a dummy tag and Orientation.
    pub(crate) fn exif(big_endian: bool, orientation: u16) -> Vec<u8> {
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
}

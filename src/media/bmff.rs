//! ISO-BMFF (MP4, MOV): the top-level box walk and the moov box (mvhd,
//! tkhd, hdlr).

use super::{malformed, Container, MediaError, Source, VideoInfo, MAX_MOOV};
use std::io::{Read, Seek};
pub(super) fn inspect_bmff<R: Read + Seek>(
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
pub(super) mod tests {
    use super::*;
    use crate::media::tests::{assert_malformed, format_of, run};
    use crate::media::{inspect_reader, Format, MediaError};
    use std::io::Cursor;

    pub(crate) fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    pub(crate) fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = major.to_vec();
        b.extend_from_slice(&512u32.to_be_bytes());
        for c in compat {
            b.extend_from_slice(*c);
        }
        bx(b"ftyp", &b)
    }

    pub(crate) fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut b = vec![0u8; 4 + 8];
        b.extend_from_slice(&timescale.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
        b.extend_from_slice(&[0u8; 80]);
        bx(b"mvhd", &b)
    }

    pub(crate) fn mvhd_v1(timescale: u32, duration: u64) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0];
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(&timescale.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
        b.extend_from_slice(&[0u8; 80]);
        bx(b"mvhd", &b)
    }

    pub(crate) fn matrix(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        let mut m = Vec::new();
        for v in [a, b, 0, c, d, 0, 0, 0, 0x4000_0000] {
            m.extend_from_slice(&v.to_be_bytes());
        }
        m
    }

    pub(crate) fn tkhd(version: u8, m: &[u8], width: u32, height: u32) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 7];
        b.extend_from_slice(&vec![0u8; if version == 1 { 32 } else { 20 }]);
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(m);
        b.extend_from_slice(&(width << 16).to_be_bytes());
        b.extend_from_slice(&(height << 16).to_be_bytes());
        bx(b"tkhd", &b)
    }

    pub(crate) fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0u8; 8];
        b.extend_from_slice(handler);
        b.extend_from_slice(&[0u8; 12]);
        b.extend_from_slice(b"Handler\0");
        bx(b"hdlr", &b)
    }

    pub(crate) fn trak(tkhd: Vec<u8>, handler: &[u8; 4]) -> Vec<u8> {
        let mdia = bx(b"mdia", &[bx(b"mdhd", &[0u8; 24]), hdlr(handler)].concat());
        bx(b"trak", &[tkhd, mdia].concat())
    }

    pub(crate) fn identity() -> Vec<u8> {
        matrix(0x10000, 0, 0, 0x10000)
    }

    pub(crate) fn simple_moov(mvhd: Vec<u8>) -> Vec<u8> {
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

    pub(crate) fn video(bytes: &[u8]) -> VideoInfo {
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
}

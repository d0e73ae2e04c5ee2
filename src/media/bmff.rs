//! ISO-BMFF (MP4, MOV): the top-level box walk, the moov box (mvhd, tkhd,
//! mdhd, hdlr, mvex) and, for fragmented files, the moof boxes' sample
//! durations.
//!
//! # Fragmented MP4
//!
//! Screen recorders, browsers' MediaRecorder and `ffmpeg -movflags
//! frag_keyframe+empty_moov` write a `moov` without samples (its `mvhd`
//! duration is 0) followed by `moof`+`mdat` fragments. The duration is then
//! `mvex/mehd` (fragment_duration) when the muxer wrote one, otherwise the sum
//! of the fragments' sample durations (`trun`, or the `tfhd`/`trex`
//! defaults), placed by `tfdt` where present; like ffprobe, the movie lasts
//! as long as its longest track. Only the `moof` boxes are read (a few hundred
//! bytes each); `mdat` is seeked over.
//!
//! Such files are accepted, not refused: Meta's only container requirement
//! is "MOV or MP4 (MPEG-4 Part 14), no edit lists, moov atom at the front of
//! the file" (<https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media>),
//! which an empty-moov file meets; Meta says nothing of fragments, and the
//! one public report of a refused ffmpeg MP4 that pointed at
//! `frag_keyframe+empty_moov` (pankod/canvas2video#20) was fixed by choosing
//! libx264 (pankod/canvas2video#22), not by un-fragmenting. Refusing them
//! would block files that may well publish. [`VideoInfo::fragmented`]
//! records it (and `Format::describe` says "fragmented") so that a caller
//! can tell a failure at Meta apart; `ffmpeg -i in.mp4 -c copy -movflags
//! +faststart out.mp4` turns one into a plain MP4 (see docs/instagram.md,
//! Media).

use super::{malformed, Container, MediaError, Source, VideoInfo, MAX_MOOV};
use std::io::{Read, Seek};

/// Largest `moof` box we load: its sample table for one fragment. ffmpeg's
/// are a few hundred bytes; a minute-long fragment at 60 fps is under 60 KB.
pub const MAX_MOOF: u64 = 4 * 1024 * 1024;

/// Most fragments read to sum a duration: one per frame of 30 fps for over
/// 55 minutes, far past Instagram's 15-minute reels.
pub const MAX_FRAGMENTS: u32 = 100_000;

/// A rotation within this many degrees of a multiple of 90° is that
/// multiple (rounding noise in 16.16 fixed point, e.g. 0x0000FFFF for 1.0);
/// ffmpeg warns of an "odd rotation angle" beyond 2°. Anything else is shown
/// unrotated.
const ROTATION_TOLERANCE_DEG: f64 = 2.0;

// One top-level box: its type, where it starts, its size and header length.
struct TopBox {
    kind: [u8; 4],
    pos: u64,
    size: u64,
    header: u64,
}

// Reads the header of the top-level box at `pos`. None when fewer than 8
// bytes remain (stray bytes after the last box: players ignore them).
fn top_box<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
    fmt: &'static str,
) -> Result<Option<TopBox>, MediaError> {
    let len = src.len;
    if pos >= len || len - pos < 8 {
        return Ok(None);
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
    Ok(Some(TopBox {
        kind,
        pos,
        size,
        header,
    }))
}

// Reads a top-level box's body, refusing one larger than `limit`.
fn read_body<R: Read + Seek>(
    src: &mut Source<R>,
    b: &TopBox,
    limit: u64,
    fmt: &'static str,
) -> Result<Vec<u8>, MediaError> {
    let body = b.size - b.header;
    if body > limit {
        return Err(malformed(
            fmt,
            format!(
                "{} box of {body} bytes is larger than the {limit} byte limit",
                fourcc(&b.kind)
            ),
        ));
    }
    src.read_vec(body)
}

pub(super) fn inspect_bmff<R: Read + Seek>(
    src: &mut Source<R>,
    container: Container,
) -> Result<VideoInfo, MediaError> {
    let fmt = container.name();
    src.format = fmt;
    let mut pos = 0u64;
    let mut seen_mdat = false;
    let (moov, moov_end, moov_before_mdat) = loop {
        let Some(b) = top_box(src, pos, fmt)? else {
            return Err(malformed(fmt, "no moov box"));
        };
        // size >= 8, so the walk always moves forward.
        pos = b.pos + b.size;
        match &b.kind {
            b"moov" => break (read_body(src, &b, MAX_MOOV, fmt)?, pos, !seen_mdat),
            b"mdat" => seen_mdat = true,
            _ => {}
        }
    };
    let (mut info, fragments) = parse_moov(&moov, container, moov_before_mdat)?;
    if let Some(mut frag) = fragments {
        info.fragmented = true;
        let ms = match frag.mehd {
            Some(d) if d > 0 => to_ms(d, frag.movie_timescale),
            _ => {
                sum_fragments(src, moov_end, &mut frag, fmt)?;
                frag.tracks
                    .iter()
                    .map(|t| to_ms(t.end, t.timescale))
                    .max()
                    .unwrap_or(0)
            }
        };
        info.duration_ms = info.duration_ms.max(ms);
    }
    Ok(info)
}

fn to_ms(duration: u64, timescale: u32) -> u64 {
    if timescale == 0 {
        return 0;
    }
    u64::try_from(u128::from(duration) * 1000 / u128::from(timescale)).unwrap_or(u64::MAX)
}

// What the moov of a fragmented file (one with mvex) says about its tracks.
struct Fragments {
    movie_timescale: u32,
    /// mvex/mehd fragment_duration, in the movie timescale.
    mehd: Option<u64>,
    tracks: Vec<Track>,
}

struct Track {
    id: u32,
    timescale: u32,
    /// trex default_sample_duration.
    default_duration: u32,
    /// Where the track's samples end so far, in its timescale: the mdhd
    /// duration of the samples inside moov, then each fragment's end.
    end: u64,
}

// Walks the top-level boxes after moov and adds each moof's traf durations
// to its track.
fn sum_fragments<R: Read + Seek>(
    src: &mut Source<R>,
    mut pos: u64,
    frag: &mut Fragments,
    fmt: &'static str,
) -> Result<(), MediaError> {
    let mut count = 0u32;
    // A damaged tail (a recording cut short mid-fragment) ends the sum: the
    // fragments before it play, which is the point of fragmenting.
    while let Ok(Some(b)) = top_box(src, pos, fmt) {
        pos = b.pos + b.size;
        if &b.kind != b"moof" {
            continue;
        }
        count += 1;
        if count > MAX_FRAGMENTS {
            return Err(malformed(
                fmt,
                format!(
                    "more than {MAX_FRAGMENTS} movie fragments (moof boxes); re-mux it as a \
                     plain MP4: ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4"
                ),
            ));
        }
        let moof = read_body(src, &b, MAX_MOOF, fmt)?;
        for traf in boxes(&moof, fmt) {
            let (kind, traf) = traf?;
            if &kind == b"traf" {
                add_traf(traf, frag, fmt)?;
            }
        }
    }
    Ok(())
}

// One track fragment: tfhd (track, default duration), tfdt (start), truns.
// A traf naming no known track, or without tfhd, adds nothing.
fn add_traf(traf: &[u8], frag: &mut Fragments, fmt: &'static str) -> Result<(), MediaError> {
    let Some(tfhd) = find_box(traf, b"tfhd", fmt)? else {
        return Ok(());
    };
    let (Some(flags), Some(id)) = (be_u32(tfhd, 0), be_u32(tfhd, 4)) else {
        return Ok(());
    };
    let Some(track) = frag.tracks.iter_mut().find(|t| t.id == id) else {
        return Ok(());
    };
    // Optional tfhd fields, in order: base_data_offset (8 bytes, flag 0x01),
    // sample_description_index (4, 0x02), default_sample_duration (4, 0x08).
    let mut at = 8;
    if flags & 0x01 != 0 {
        at += 8;
    }
    if flags & 0x02 != 0 {
        at += 4;
    }
    let default = if flags & 0x08 != 0 {
        be_u32(tfhd, at).unwrap_or(track.default_duration)
    } else {
        track.default_duration
    };
    let start = match find_box(traf, b"tfdt", fmt)? {
        Some(t) if t.first() == Some(&1) => be_u64(t, 4),
        Some(t) => be_u32(t, 4).map(u64::from),
        None => None,
    }
    .unwrap_or(track.end);
    let mut sum = 0u64;
    for b in boxes(traf, fmt) {
        let (kind, trun) = b?;
        if &kind == b"trun" {
            sum = sum.saturating_add(trun_duration(trun, default));
        }
    }
    track.end = track.end.max(start.saturating_add(sum));
    Ok(())
}

// The sum of a trun's sample durations: per sample (flag 0x100) or the
// default for each. Per-sample fields are read only as far as the box holds
// them, so a hostile sample_count cannot make us read past it.
fn trun_duration(trun: &[u8], default: u32) -> u64 {
    let (Some(flags), Some(count)) = (be_u32(trun, 0), be_u32(trun, 4)) else {
        return 0;
    };
    if flags & 0x100 == 0 {
        return u64::from(count) * u64::from(default);
    }
    // data_offset (0x01) and first_sample_flags (0x04) precede the samples;
    // each sample has duration (0x100), size (0x200), flags (0x400) and
    // composition time offset (0x800), 4 bytes each when present.
    let mut at = 8 + 4 * ((flags & 0x01) + ((flags >> 2) & 0x01)) as usize;
    let stride = 4 * (flags >> 8 & 0x0F).count_ones() as usize;
    let mut sum = 0u64;
    for _ in 0..count {
        let Some(d) = be_u32(trun, at) else { break };
        sum += u64::from(d);
        at += stride;
    }
    sum
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
) -> Result<(VideoInfo, Option<Fragments>), MediaError> {
    let fmt = container.name();
    let mut mvhd = None;
    let mut video: Option<(u32, u32, u16)> = None;
    let mut has_video_track = false;
    let mut tracks = Vec::new();
    let mut mvex = None;
    for b in boxes(moov, fmt) {
        let (kind, body) = b?;
        match &kind {
            b"mvhd" if mvhd.is_none() => mvhd = Some(parse_mvhd(body, fmt)?),
            b"mvex" => mvex = Some(body),
            b"trak" => {
                let Some(mdia) = find_box(body, b"mdia", fmt)? else {
                    continue;
                };
                if let (Some(tkhd), Some(mdhd)) =
                    (find_box(body, b"tkhd", fmt)?, find_box(mdia, b"mdhd", fmt)?)
                {
                    if let Some(t) = track(tkhd, mdhd) {
                        tracks.push(t);
                    }
                }
                if has_video_track {
                    continue;
                }
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
    let (timescale, duration) = mvhd.ok_or_else(|| malformed(fmt, "moov has no mvhd box"))?;
    let (width, height, rotation) = video.unwrap_or((0, 0, 0));
    let info = VideoInfo {
        container,
        width,
        height,
        rotation,
        duration_ms: duration.map_or(0, |d| to_ms(d, timescale)),
        has_video_track,
        moov_before_mdat,
        fragmented: false,
    };
    let fragments = match mvex {
        None => None,
        Some(mvex) => Some(parse_mvex(mvex, timescale, tracks, fmt)?),
    };
    Ok((info, fragments))
}

// A track's id (tkhd) and timescale and duration (mdhd), for summing
// fragments. None if either box is too short to say.
fn track(tkhd: &[u8], mdhd: &[u8]) -> Option<Track> {
    let id = match tkhd.first()? {
        0 => be_u32(tkhd, 12)?,
        1 => be_u32(tkhd, 20)?,
        _ => return None,
    };
    let (timescale, duration) = match mdhd.first()? {
        0 => (be_u32(mdhd, 12)?, be_u32(mdhd, 16).map(u64::from)?),
        1 => (be_u32(mdhd, 20)?, be_u64(mdhd, 24)?),
        _ => return None,
    };
    // All ones: duration unknown, as in a live fragmented file.
    let end = if duration == u64::from(u32::MAX) || duration == u64::MAX {
        0
    } else {
        duration
    };
    Some(Track {
        id,
        timescale,
        default_duration: 0,
        end,
    })
}

// mvex: mehd (whole duration, optional) and one trex per track (defaults).
fn parse_mvex(
    mvex: &[u8],
    movie_timescale: u32,
    mut tracks: Vec<Track>,
    fmt: &'static str,
) -> Result<Fragments, MediaError> {
    let mut mehd = None;
    for b in boxes(mvex, fmt) {
        let (kind, body) = b?;
        match &kind {
            b"mehd" => {
                mehd = match body.first() {
                    Some(1) => be_u64(body, 4),
                    Some(_) => be_u32(body, 4).map(u64::from),
                    None => None,
                }
            }
            b"trex" => {
                if let (Some(id), Some(d)) = (be_u32(body, 4), be_u32(body, 12)) {
                    if let Some(t) = tracks.iter_mut().find(|t| t.id == id) {
                        t.default_duration = d;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Fragments {
        movie_timescale,
        mehd,
        tracks,
    })
}

// mvhd: (timescale, duration); duration None when it is the spec's "unknown"
// (all ones, as live fragmented files write).
fn parse_mvhd(b: &[u8], fmt: &'static str) -> Result<(u32, Option<u64>), MediaError> {
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
    Ok((timescale, (!unknown).then_some(duration)))
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
    Ok((width, height, rotation(a, bb)))
}

// The clockwise display rotation of a tkhd matrix from its first row (a, b)
// = (cos θ, sin θ)·scale: the angle rounded to the nearest multiple of 90°
// when within ROTATION_TOLERANCE_DEG of it, so that rounding noise (a =
// 0xFFFFFFFF for 0, b = 0x0000FFFF for 1.0) and scaled matrices still give a
// right angle; 0 for any other angle (and for a zero matrix).
fn rotation(a: i32, b: i32) -> u16 {
    if a == 0 && b == 0 {
        return 0;
    }
    let degrees = f64::from(b).atan2(f64::from(a)).to_degrees();
    let quarters = (degrees / 90.0).round();
    if (degrees - quarters * 90.0).abs() > ROTATION_TOLERANCE_DEG {
        return 0;
    }
    // quarters is in -2..=2.
    match quarters as i32 {
        1 => 90,
        2 | -2 => 180,
        -1 => 270,
        _ => 0,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::media::tests::{assert_malformed, format_of, run, Sparse};
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
                fragmented: false,
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
    fn mp4_noisy_rotation_matrices_round_to_right_angles() {
        // 16.16 fixed point: 0x0000FFFF ≈ 1.0, 0xFFFF0001 ≈ -1.0, ±1 ≈ 0.
        let (one, near, tiny) = (0x10000, 0xFFFF, 1);
        for (m, rot) in [
            (matrix(-tiny, near, -near, tiny), 90),
            (matrix(tiny, near, -near, -tiny), 90),
            (matrix(near, tiny, -tiny, near), 0),
            (matrix(near, -tiny, tiny, near), 0),
            (matrix(-near, tiny, -tiny, -near), 180),
            (matrix(-near, -tiny, tiny, -near), 180),
            (matrix(tiny, -near, near, tiny), 270),
            (matrix(-tiny, -one, one, -tiny), 270),
            // 1.5° off a right angle still counts; 3° or 45° do not.
            (matrix(65514, 1715, -1715, 65514), 0),
            (matrix(-1715, 65514, -65514, -1715), 90),
            (matrix(65446, 3430, -3430, 65446), 0),
            (matrix(3430, 65446, -65446, 3430), 0),
            (matrix(0, 0, 0, 0), 0),
        ] {
            let moov = bx(
                b"moov",
                &[mvhd_v0(1000, 1000), trak(tkhd(0, &m, 1280, 720), b"vide")].concat(),
            );
            let v = video(&[ftyp(b"isom", &[]), moov].concat());
            assert_eq!(v.rotation, rot, "{m:02x?}");
        }
        assert_eq!(rotation(i32::MIN, i32::MIN), 0);
        assert_eq!(rotation(i32::MIN, 0), 180);
        assert_eq!(rotation(0, i32::MAX), 90);
    }

    // ---- Fragmented MP4 builders

    fn full(kind: &[u8; 4], version: u8, flags: u32, fields: &[u8]) -> Vec<u8> {
        let mut b = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
        b.extend_from_slice(fields);
        bx(kind, &b)
    }

    fn u32s(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    // A track with an id (tkhd), a timescale and duration (mdhd) and a handler.
    fn frag_trak(id: u32, timescale: u32, duration: u32, handler: &[u8; 4]) -> Vec<u8> {
        let mut t = tkhd(0, &identity(), 720, 1280);
        t[8 + 12..8 + 16].copy_from_slice(&id.to_be_bytes());
        let mdhd = full(b"mdhd", 0, 0, &u32s(&[0, 0, timescale, duration, 0]));
        let mdia = bx(b"mdia", &[mdhd, hdlr(handler)].concat());
        bx(b"trak", &[t, mdia].concat())
    }

    fn trex(id: u32, default_duration: u32) -> Vec<u8> {
        full(b"trex", 0, 0, &u32s(&[id, 1, default_duration, 0, 0]))
    }

    fn frag_moov(tracks: &[Vec<u8>], mvex: &[Vec<u8>]) -> Vec<u8> {
        let mut body = mvhd_v0(1000, 0);
        for t in tracks {
            body.extend_from_slice(t);
        }
        body.extend_from_slice(&bx(b"mvex", &mvex.concat()));
        bx(b"moov", &body)
    }

    fn moof(trafs: &[Vec<u8>]) -> Vec<u8> {
        let mfhd = full(b"mfhd", 0, 0, &u32s(&[1]));
        bx(b"moof", &[mfhd, trafs.concat()].concat())
    }

    // traf: tfhd(id, optional default duration), optional tfdt, truns.
    fn traf(id: u32, default: Option<u32>, tfdt: Option<u64>, truns: &[Vec<u8>]) -> Vec<u8> {
        let mut parts = vec![match default {
            // base_data_offset and sample_description_index present too, so
            // the default is found past them.
            Some(d) => full(b"tfhd", 0, 0x0B, &[u32s(&[id, 0, 0, 1, d])].concat()),
            None => full(b"tfhd", 0, 0x02_0000, &u32s(&[id])),
        }];
        if let Some(t) = tfdt {
            parts.push(full(b"tfdt", 1, 0, &t.to_be_bytes()));
        }
        parts.extend_from_slice(truns);
        bx(b"traf", &parts.concat())
    }

    // trun with per-sample durations (and sizes, so the stride is 8) or,
    // with `durations` empty, `count` samples of the default duration.
    fn trun(durations: &[u32], count: u32) -> Vec<u8> {
        if durations.is_empty() {
            return full(b"trun", 0, 0x01, &u32s(&[count, 0]));
        }
        let mut f = u32s(&[durations.len() as u32, 0, 0]);
        for d in durations {
            f.extend_from_slice(&u32s(&[*d, 100]));
        }
        full(b"trun", 0, 0x0305, &f)
    }

    #[test]
    fn mp4_fragmented_sums_the_fragments() {
        let moov = frag_moov(
            &[
                frag_trak(1, 90_000, 0, b"vide"),
                frag_trak(2, 8_000, 0, b"soun"),
            ],
            &[trex(1, 3000), trex(2, 1024)],
        );
        let file = [
            ftyp(b"isom", &[b"iso6"]),
            moov,
            // Per-sample durations: 3 × 3000.
            moof(&[traf(1, None, Some(0), &[trun(&[3000, 3000, 3000], 0)])]),
            bx(b"mdat", &[0; 16]),
            // tfhd default 6000 for 2 samples, placed by tfdt at 9000; an
            // audio traf of 10 trex-default samples in the same moof.
            moof(&[
                traf(1, Some(6000), Some(9000), &[trun(&[], 2)]),
                traf(2, None, None, &[trun(&[], 10)]),
            ]),
            bx(b"mdat", &[0; 16]),
            // No tfdt: follows the previous fragment (21000), 2 truns.
            moof(&[traf(1, None, None, &[trun(&[], 2), trun(&[4500], 0)])]),
            bx(b"mdat", &[0; 16]),
            // A traf of an unknown track and a moof without trafs add nothing.
            moof(&[traf(9, Some(90_000), None, &[trun(&[], 100)])]),
            moof(&[]),
            bx(b"mfra", &[0; 8]),
        ]
        .concat();
        let v = video(&file);
        assert!(v.fragmented && v.moov_before_mdat);
        // Video: 21000 + 2×3000 + 4500 = 31500 / 90000 = 350 ms; audio
        // 10×1024/8000 = 1280 ms: the longest track counts.
        assert_eq!(v.duration_ms, 1280);
        assert_eq!(
            Format::Video(v).describe(),
            "fragmented MP4 video 720×1280, 1.3 s"
        );
    }

    #[test]
    fn mp4_fragmented_uses_mehd_without_reading_fragments() {
        // mehd v0 and v1 (movie timescale 1000); the moof after it is too
        // large to be read, so reading it would fail.
        for mehd in [
            full(b"mehd", 0, 0, &u32s(&[4500])),
            full(b"mehd", 1, 0, &4500u64.to_be_bytes()),
        ] {
            let moov = frag_moov(&[frag_trak(1, 90_000, 0, b"vide")], &[mehd, trex(1, 0)]);
            let mut file = [ftyp(b"isom", &[]), moov].concat();
            file.extend_from_slice(&((MAX_MOOF + 16) as u32).to_be_bytes());
            file.extend_from_slice(b"moof");
            file.resize(file.len() + MAX_MOOF as usize + 8, 0);
            let v = video(&file);
            assert!(v.fragmented);
            assert_eq!(v.duration_ms, 4500);
        }
        // Without mehd the same file is refused for its oversized moof.
        let moov = frag_moov(&[frag_trak(1, 90_000, 0, b"vide")], &[trex(1, 0)]);
        let mut file = [ftyp(b"isom", &[]), moov].concat();
        file.extend_from_slice(&((MAX_MOOF + 16) as u32).to_be_bytes());
        file.extend_from_slice(b"moof");
        file.resize(file.len() + MAX_MOOF as usize + 8, 0);
        assert_malformed(&file, "MP4");
    }

    #[test]
    fn mp4_fragmented_edge_cases() {
        // Samples inside moov (frag_keyframe without empty_moov) count via
        // mdhd, then the fragments follow them.
        let moov = frag_moov(&[frag_trak(1, 1000, 2000, b"vide")], &[trex(1, 500)]);
        let file = [
            ftyp(b"isom", &[]),
            moov.clone(),
            moof(&[traf(1, None, None, &[trun(&[], 3)])]),
        ]
        .concat();
        assert_eq!(video(&file).duration_ms, 3500);
        // An init segment alone: fragmented, as long as the samples in moov.
        let v = video(&[ftyp(b"isom", &[]), moov].concat());
        assert!(v.fragmented);
        assert_eq!(v.duration_ms, 2000);
        let empty = frag_moov(&[frag_trak(1, 1000, 0, b"vide")], &[trex(1, 500)]);
        assert_eq!(video(&[ftyp(b"isom", &[]), empty].concat()).duration_ms, 0);
        // A hostile sample count with per-sample durations reads only what
        // the box holds; without them it multiplies without overflow.
        let mut huge = trun(&[1000, 1000], 0);
        huge[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        let moov = frag_moov(&[frag_trak(1, 1000, 0, b"vide")], &[trex(1, u32::MAX)]);
        let file = [
            ftyp(b"isom", &[]),
            moov,
            moof(&[traf(1, None, None, &[huge])]),
            moof(&[traf(1, None, None, &[trun(&[], u32::MAX)])]),
        ]
        .concat();
        let v = video(&file);
        assert_eq!(
            v.duration_ms,
            2000 + u64::from(u32::MAX) * u64::from(u32::MAX)
        );
        // Broken boxes inside a moof are malformed, like inside moov.
        let moov = frag_moov(&[frag_trak(1, 1000, 0, b"vide")], &[trex(1, 1)]);
        let mut bad = moof(&[]);
        bad.extend_from_slice(&500u32.to_be_bytes());
        bad.extend_from_slice(b"traf");
        let len = (bad.len() as u32).to_be_bytes();
        bad[..4].copy_from_slice(&len);
        assert_malformed(&[ftyp(b"isom", &[]), moov, bad].concat(), "MP4");
    }

    #[test]
    fn fragmented_mp4_reads_headers_only() {
        // 20 fragments of 100 MB of mdat each: 2 GB, of which the reader
        // may touch the moov, the moofs and the buffer around each header.
        let moov = frag_moov(&[frag_trak(1, 1000, 0, b"vide")], &[trex(1, 0)]);
        let head = [ftyp(b"isom", &[]), moov].concat();
        let mut parts = vec![(0u64, head.clone())];
        let mut pos = head.len() as u64;
        let mdat_len: u64 = 100 * 1000 * 1000;
        for _ in 0..20 {
            let m = moof(&[traf(1, None, None, &[trun(&[500, 500], 0)])]);
            let mut mdat = (mdat_len as u32).to_be_bytes().to_vec();
            mdat.extend_from_slice(b"mdat");
            let at = pos;
            pos += m.len() as u64 + mdat_len;
            parts.push((at, [m, mdat].concat()));
        }
        let (file, read) = Sparse::new(parts, pos);
        let info = inspect_reader(file, pos).unwrap();
        let Format::Video(v) = info.format else {
            panic!()
        };
        assert!(v.fragmented);
        assert_eq!(v.duration_ms, 20_000);
        // One 8 KiB buffer fill per fragment at most, not 2 GB.
        assert!(read.get() < 21 * 8 * 1024, "read {} bytes", read.get());
    }

    #[test]
    fn mp4_fragment_count_is_bounded() {
        let moov = frag_moov(&[frag_trak(1, 1000, 0, b"vide")], &[trex(1, 1)]);
        let empty = moof(&[]);
        for (n, ok) in [(MAX_FRAGMENTS, true), (MAX_FRAGMENTS + 1, false)] {
            let mut file = [ftyp(b"isom", &[]), moov.clone()].concat();
            for _ in 0..n {
                file.extend_from_slice(&empty);
            }
            assert_eq!(run(&file).is_ok(), ok, "{n}");
        }
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

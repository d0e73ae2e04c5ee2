//! Thumbnails for the preview: each JPEG decoded once, at the smallest
//! scale that still gives the grid's width ([`decode`]: a reduced inverse
//! DCT with jpeg-decoder for photos twice that wide and more; else a full
//! decode with zune-jpeg), shrunk to at most that width, turned upright by
//! its EXIF orientation ([`picture`]), and kept in a cache named by the
//! source's content hash (the one `plan` computed: no photo is hashed
//! twice), so a second preview decodes nothing that did not change.
//!
//! A video's thumbnail is one frame, taken by `ffmpeg` when it is on PATH
//! (no shell: the program and its arguments, the paths as `file:` URLs),
//! under a time limit, into the same cache (named by the video's content
//! hash and the frame's offset).

mod decode;
mod picture;

use crate::media::{Format, MediaInfo};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Thumbnail width in pixels: a grid tile is at most ~310 CSS px wide, and
/// 2× that stays sharp on a phone.
pub const WIDTH: u32 = 640;

/// Where thumbnails are kept between runs (dot folders are not content).
pub fn cache_dir(repo: &Path) -> PathBuf {
    repo.join(".postwright/cache/thumbs")
}

/// A suffix no other writer uses (this process, a counter): files are
/// written under it, then renamed, so two workers or two previews making
/// the same thumbnail never write into one file.
pub fn unique_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}.partial", std::process::id())
}

/// The first 16 bytes of the SHA-256 of `source`, in hex: a thumbnail's
/// cache name. A Git LFS pointer's oid is that hash; else the hash `plan`
/// computed this run ([`crate::media::digest`]), so a warm preview reads
/// no photo; else None, and the caller hashes what it reads.
fn known_name(source: &Path, info: &MediaInfo) -> Option<String> {
    if let Some(lfs) = &info.lfs {
        return lfs.pointer.oid.get(..32).map(str::to_string);
    }
    crate::media::digest::remembered(source).map(|sha256| crate::hex::hex(&sha256[..16]))
}

/// The thumbnail of `source` (a JPEG in the repo) as a file in `cache`,
/// made when missing; its name is the source's content hash.
pub fn thumbnail(source: &Path, info: &MediaInfo, cache: &Path) -> Result<PathBuf, String> {
    let Format::Jpeg { orientation, .. } = info.format else {
        return Err("not a JPEG".into());
    };
    let (name, read) = match known_name(source, info) {
        Some(name) => (name, None),
        None => {
            let mut file = std::fs::File::open(source).map_err(|e| e.to_string())?;
            let meta = file.metadata().map_err(|e| e.to_string())?;
            let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
            file.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            let sha256 = crate::media::digest::of_bytes(source, &meta, &bytes);
            (crate::hex::hex(&sha256[..16]), Some(bytes))
        }
    };
    let path = cache.join(format!("{name}-{WIDTH}.jpg"));
    if path.is_file() {
        return Ok(path);
    }
    let bytes = match read {
        Some(bytes) => bytes,
        None => std::fs::read(source).map_err(|e| e.to_string())?,
    };
    let jpeg = picture::jpeg(&bytes, orientation)?;
    drop(bytes);
    std::fs::create_dir_all(cache).map_err(|e| e.to_string())?;
    // Written beside, then renamed: a preview killed mid-write leaves no
    // half file under the final name.
    let partial = path.with_extension(unique_suffix());
    std::fs::write(&partial, jpeg).map_err(|e| e.to_string())?;
    std::fs::rename(&partial, &path).map_err(|e| e.to_string())?;
    Ok(path)
}

/// How long one frame may take before ffmpeg is stopped: a broken or
/// hostile file must not hang the preview.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a video has no frame: the placeholder's label says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoFrame {
    /// ffmpeg is not on PATH.
    NoFfmpeg,
    /// ffmpeg ran and gave no picture, or the video could not be read.
    Failed(String),
}

impl NoFrame {
    /// The placeholder's text.
    pub fn label(&self) -> String {
        match self {
            NoFrame::NoFfmpeg => "video — install ffmpeg for a frame".into(),
            NoFrame::Failed(why) => format!("video — no frame: {why}"),
        }
    }
}

/// `name` on `path` (a PATH value): the first executable file of that name.
pub fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// ffmpeg on this process's PATH.
pub fn ffmpeg() -> Option<PathBuf> {
    find_on_path("ffmpeg", std::env::var_os("PATH").as_deref())
}

/// A path as an ffmpeg `file:` URL: whatever the name holds (a leading
/// `-`, a `:` that would read as a protocol, `%`, spaces), ffmpeg opens
/// that file. Relative paths are made absolute first.
fn file_url(path: &Path) -> OsString {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = OsString::from("file:");
    url.push(absolute.as_os_str());
    url
}

/// `-ss` as ffmpeg reads it: seconds, to the millisecond.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The arguments that make ffmpeg write one frame of `video`, `offset_ms`
/// in, as a JPEG on its standard output: seeking before `-i` (fast, and
/// exact since ffmpeg 2.1 when decoding), turned as the video's display
/// matrix says (ffmpeg's default autorotation), square pixels, at most
/// [`WIDTH`] wide.
pub fn frame_args(video: &Path, offset_ms: u64) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-ss",
        &seconds(offset_ms),
        "-i",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(file_url(video));
    for a in [
        "-map",
        "0:v:0",
        "-frames:v",
        "1",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        &format!("scale=iw*sar:ih,setsar=1,scale='min({WIDTH},iw)':-2,setsar=1"),
        "-q:v",
        "3",
        "-c:v",
        "mjpeg",
        "-f",
        "image2pipe",
        "pipe:1",
    ] {
        args.push(a.into());
    }
    args
}

/// Runs `cmd` (stdin closed, stdout and stderr read) for at most
/// `timeout`; past it the process is killed. Ok(stdout) on a zero exit,
/// else Err(a short reason).
pub fn run_limited(mut cmd: Command, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ffmpeg did not start ({e})"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    // Read on threads, handed back by channel: a process left behind
    // holding the pipes (a killed program's child) can't block the run.
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        let _ = out_tx.send(buf);
    });
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        // The reason comes first; a flood of messages is cut.
        let _ = (&mut stderr).take(1 << 20).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        let _ = err_tx.send(buf);
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("ffmpeg took over {} s", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => break Err(e.to_string()),
        }
    };
    let status = status?;
    let grace = Duration::from_secs(1);
    let stdout = out_rx.recv_timeout(grace).unwrap_or_default();
    let stderr = err_rx.recv_timeout(grace).unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(short_reason(&String::from_utf8_lossy(&stderr))
            .unwrap_or_else(|| format!("ffmpeg failed ({status})")))
    }
}

/// The first error ffmpeg printed (the cause; what follows is often only
/// its consequence), without the file's URL in front, cut to fit a tile.
fn short_reason(stderr: &str) -> Option<String> {
    let line = stderr.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = match line.strip_prefix("file:") {
        Some(rest) => rest.rsplit_once(": ").map_or(rest, |(_, why)| why),
        None => line,
    };
    let mut short: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        short.push('…');
    }
    Some(short)
}

/// The first 16 bytes of the SHA-256 of the video at `path`, in hex: the
/// hash `plan` already computed this run, else read in pieces (a video may
/// be large).
fn file_hash(path: &Path) -> std::io::Result<String> {
    crate::media::digest::file(path).map(|sha256| crate::hex::hex(&sha256[..16]))
}

/// The cache file of the frame `offset_ms` into the video with content
/// hash `hash`.
pub fn frame_name(hash: &str, offset_ms: u64) -> String {
    format!("{hash}-{offset_ms}ms-{WIDTH}.jpg")
}

/// The thumbnail of the video `source` at `offset_ms` as a file in `cache`:
/// found there, else taken with `ffmpeg` (None: not installed).
pub fn frame(
    source: &Path,
    offset_ms: u64,
    duration_ms: Option<u64>,
    ffmpeg: Option<&Path>,
    cache: &Path,
) -> Result<PathBuf, NoFrame> {
    let hash = file_hash(source).map_err(|e| NoFrame::Failed(e.to_string()))?;
    let path = cache.join(frame_name(&hash, offset_ms));
    if path.is_file() {
        return Ok(path);
    }
    let ffmpeg = ffmpeg.ok_or(NoFrame::NoFfmpeg)?;
    if let Some(d) = duration_ms.filter(|&d| d > 0 && offset_ms >= d) {
        return Err(NoFrame::Failed(format!(
            "thumb_offset {offset_ms} ms is past the end ({d} ms)"
        )));
    }
    let mut cmd = Command::new(ffmpeg);
    cmd.args(frame_args(source, offset_ms));
    let jpeg = run_limited(cmd, FRAME_TIMEOUT).map_err(NoFrame::Failed)?;
    if jpeg.is_empty() {
        return Err(NoFrame::Failed("ffmpeg found no frame there".into()));
    }
    // Only a picture that decodes goes into the cache.
    image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .map_err(|e| NoFrame::Failed(format!("ffmpeg's frame does not decode ({e})")))?;
    std::fs::create_dir_all(cache).map_err(|e| NoFrame::Failed(e.to_string()))?;
    let partial = path.with_extension(unique_suffix());
    std::fs::write(&partial, &jpeg)
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| NoFrame::Failed(e.to_string()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/media")
            .join(name)
    }

    #[test]
    fn thumbnails_are_upright_resized_and_cached() {
        let cache = tempfile::tempdir().unwrap();
        // Stored landscape, EXIF orientation 6: shown portrait.
        let source = fixture("rotated-tall.jpg");
        let info = crate::media::inspect(&source).unwrap();
        let Format::Jpeg {
            width,
            height,
            orientation,
            ..
        } = info.format
        else {
            panic!("{info:?}");
        };
        assert_eq!(orientation, 6);
        assert!(width > height, "stored landscape");
        let thumb = thumbnail(&source, &info, cache.path()).unwrap();
        let made = image::open(&thumb).unwrap();
        assert!(made.height() > made.width(), "upright: portrait");
        // Shown 1080 wide: decoded in full (half would be 540), shrunk to
        // 640×1137 upright.
        assert_eq!((made.width(), made.height()), (640, 1137));
        // A second call finds it: the same file, not made again.
        let modified = std::fs::metadata(&thumb).unwrap().modified().unwrap();
        let again = thumbnail(&source, &info, cache.path()).unwrap();
        assert_eq!(again, thumb);
        assert_eq!(
            std::fs::metadata(&again).unwrap().modified().unwrap(),
            modified
        );
    }

    #[test]
    fn a_photo_plan_hashed_is_named_by_that_hash_without_reading_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let source = dir.path().join("photo.jpg");
        std::fs::copy(fixture("rotated-tall.jpg"), &source).unwrap();
        let info = crate::media::inspect(&source).unwrap();
        // What plan computes for the content hash.
        let planned = crate::plan::hash::hash_file(&source).unwrap();
        let first = thumbnail(&source, &info, &cache).unwrap();
        assert_eq!(
            first.file_name().unwrap().to_string_lossy(),
            format!("{}-{WIDTH}.jpg", &planned[..32])
        );
        // Other bytes of the same length under the same modification
        // time: the remembered hash names it, so it was not read again.
        let meta = std::fs::metadata(&source).unwrap();
        let mut other = std::fs::read(&source).unwrap();
        let last = other.len() - 3;
        other[last] ^= 0xff;
        std::fs::write(&source, &other).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(meta.modified().unwrap())
            .unwrap();
        assert_eq!(thumbnail(&source, &info, &cache).unwrap(), first);
        // A later modification time: not trusted, the file is read again.
        let later = meta.modified().unwrap() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(known_name(&source, &info), None);
    }

    #[test]
    fn an_lfs_object_is_named_by_its_oid() {
        let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
        let info = MediaInfo {
            bytes: 10,
            format: Format::Unknown,
            lfs: Some(crate::media::lfs::Lfs {
                pointer: crate::media::lfs::Pointer {
                    oid: oid.into(),
                    size: 10,
                },
                object: None,
            }),
        };
        assert_eq!(
            known_name(Path::new("/nowhere/a.jpg"), &info).as_deref(),
            Some(&oid[..32])
        );
    }

    #[test]
    fn the_frame_command_seeks_first_and_names_files_as_urls() {
        let args = frame_args(Path::new("/feed/media/-odd: name %d.mp4"), 2500);
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = |flag: &str| args.iter().position(|a| a == flag).unwrap();
        // -ss before -i: the input is seeked, not decoded up to there.
        assert!(at("-ss") < at("-i"));
        assert_eq!(args[at("-ss") + 1], "2.500");
        // The path, whatever it holds, is one argument and a file: URL.
        assert_eq!(args[at("-i") + 1], "file:/feed/media/-odd: name %d.mp4");
        assert_eq!(args[at("-frames:v") + 1], "1");
        assert!(args[at("-vf") + 1].contains("scale='min(640,iw)':-2"));
        assert_eq!(args[at("-c:v") + 1], "mjpeg");
        assert_eq!(args.last().unwrap(), "pipe:1");
        // No autorotation switch: ffmpeg's default turns the frame upright.
        assert!(!args.iter().any(|a| a.contains("autorotate")));
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(61_007), "61.007");
        // Relative paths become absolute: `-` or `x:` can't lead.
        let rel = file_url(Path::new("-x.mp4"));
        assert!(rel.to_string_lossy().starts_with("file:/"), "{rel:?}");
    }

    #[test]
    fn the_cache_name_carries_the_offset() {
        assert_ne!(frame_name("ab", 0), frame_name("ab", 1500));
        assert_eq!(frame_name("ab", 1500), "ab-1500ms-640.jpg");
    }

    #[test]
    fn no_ffmpeg_or_a_past_the_end_offset_is_a_reason_not_an_error() {
        let cache = tempfile::tempdir().unwrap();
        let video = fixture("reel.mp4");
        assert_eq!(
            frame(&video, 0, Some(5000), None, cache.path()),
            Err(NoFrame::NoFfmpeg)
        );
        assert_eq!(
            NoFrame::NoFfmpeg.label(),
            "video — install ffmpeg for a frame"
        );
        // Checked before ffmpeg runs (any program stands in for it here).
        let Err(NoFrame::Failed(why)) = frame(
            &video,
            9000,
            Some(5000),
            Some(Path::new("/nonexistent/ffmpeg")),
            cache.path(),
        ) else {
            panic!("past the end")
        };
        assert!(why.contains("past the end"), "{why}");
        // A program that does not start is a reason too.
        let Err(NoFrame::Failed(why)) = frame(
            &video,
            0,
            Some(5000),
            Some(Path::new("/nonexistent/ffmpeg")),
            cache.path(),
        ) else {
            panic!("no program")
        };
        assert!(why.starts_with("ffmpeg did not start"), "{why}");
    }

    #[cfg(unix)]
    #[test]
    fn a_hanging_ffmpeg_is_stopped() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 10"]);
        let started = Instant::now();
        let why = run_limited(cmd, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "killed");
        assert!(why.starts_with("ffmpeg took over"), "{why}");
        // A failure's reason is ffmpeg's first line, without the file's URL.
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'file:/x/a: b.mp4: Invalid data found when processing input' >&2; echo 'Error marking filters as finished' >&2; exit 1",
        ]);
        assert_eq!(
            run_limited(cmd, FRAME_TIMEOUT).unwrap_err(),
            "Invalid data found when processing input"
        );
    }

    #[test]
    fn ffmpeg_is_looked_for_on_the_path_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        assert_eq!(find_on_path("ffmpeg", Some(&path)), None);
        assert_eq!(find_on_path("ffmpeg", None), None);
        let fake = dir.path().join("ffmpeg");
        std::fs::write(&fake, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            // Not executable: not a program.
            assert_eq!(find_on_path("ffmpeg", Some(&path)), None);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(find_on_path("ffmpeg", Some(&path)), Some(fake));
    }
}

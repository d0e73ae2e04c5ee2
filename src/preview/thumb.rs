//! Thumbnails for the preview: each JPEG decoded once (`image`, with the
//! zune-jpeg decoder), turned upright by its EXIF orientation, resized to
//! the grid's width and kept in a cache named by the source's content
//! hash, so a second preview decodes nothing that did not change.

use crate::media::{Format, MediaInfo};
use image::imageops::FilterType;
use image::DynamicImage;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Thumbnail width in pixels: a grid tile is at most ~310 CSS px wide, and
/// 2× that stays sharp on a phone.
pub const WIDTH: u32 = 640;

/// Where thumbnails are kept between runs (dot folders are not content).
pub fn cache_dir(repo: &Path) -> PathBuf {
    repo.join(".postwright/cache/thumbs")
}

/// Turns the stored pixels as EXIF orientation says (1..=8).
fn upright(img: DynamicImage, orientation: u8) -> DynamicImage {
    match orientation {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    }
}

/// The thumbnail of `source` (a JPEG in the repo) as a file in `cache`,
/// made when missing; its name is the source's content hash.
pub fn thumbnail(source: &Path, info: &MediaInfo, cache: &Path) -> Result<PathBuf, String> {
    let Format::Jpeg { orientation, .. } = info.format else {
        return Err("not a JPEG".into());
    };
    let bytes = std::fs::read(source).map_err(|e| e.to_string())?;
    let hash = Sha256::digest(&bytes);
    let name: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let path = cache.join(format!("{name}-{WIDTH}.jpg"));
    if path.is_file() {
        return Ok(path);
    }
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map_err(|e| e.to_string())?;
    let img = upright(img, orientation);
    let img = if img.width() > WIDTH {
        let height = (u64::from(img.height()) * u64::from(WIDTH) / u64::from(img.width())).max(1);
        img.resize_exact(WIDTH, height as u32, FilterType::Triangle)
    } else {
        img
    };
    std::fs::create_dir_all(cache).map_err(|e| e.to_string())?;
    // Written beside, then renamed: a preview killed mid-write leaves no
    // half file under the final name.
    let partial = path.with_extension("partial");
    img.to_rgb8()
        .save_with_format(&partial, image::ImageFormat::Jpeg)
        .map_err(|e| e.to_string())?;
    std::fs::rename(&partial, &path).map_err(|e| e.to_string())?;
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
        assert!(made.width() <= WIDTH);
        // A second call finds it: the same file, not made again.
        let modified = std::fs::metadata(&thumb).unwrap().modified().unwrap();
        let again = thumbnail(&source, &info, cache.path()).unwrap();
        assert_eq!(again, thumb);
        assert_eq!(
            std::fs::metadata(&again).unwrap().modified().unwrap(),
            modified
        );
    }
}

//! A photo's thumbnail as JPEG bytes: decoded ([`super::decode`]), shrunk
//! to at most [`super::WIDTH`] wide once upright, turned upright by its
//! EXIF orientation, encoded.
//!
//! Each worker thread keeps its buffers (the decoded photo, the shrunk
//! one, the resizer's) from photo to photo: fresh ones, mapped and faulted
//! in for every photo, were most of a cold preview's system time.

use super::decode;
use image::{DynamicImage, RgbImage};
use std::cell::RefCell;

/// JPEG quality of a thumbnail: no visible blocking at a tile's size.
const QUALITY: u8 = 80;

/// What a worker thread keeps between photos.
#[derive(Default)]
struct Scratch {
    decoded: Vec<u8>,
    shrunk: Vec<u8>,
    resizer: fast_image_resize::Resizer,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Three bytes a pixel, `width` × `height`, row by row.
struct Pixels<'a> {
    width: u32,
    height: u32,
    data: &'a [u8],
}

/// The thumbnail of `bytes` (a JPEG whose EXIF orientation is
/// `orientation`), encoded.
pub fn jpeg(bytes: &[u8], orientation: u8) -> Result<Vec<u8>, String> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let Scratch {
            decoded,
            shrunk,
            resizer,
        } = &mut *scratch;
        // A photo twice the thumbnail's width and more: decoded at a
        // reduced scale (RGB); else in full, into the kept buffer.
        let reduced = decode::scaled(bytes, orientation);
        let picture = match &reduced {
            Some(img) => Pixels {
                width: img.width(),
                height: img.height(),
                data: img.as_raw(),
            },
            None => {
                let (width, height) = decode::full(bytes, decoded)?;
                Pixels {
                    width,
                    height,
                    data: decoded.as_slice(),
                }
            }
        };
        let small = shrink(picture, orientation, resizer, shrunk)?;
        // Turned after shrinking: the turn moves the small picture's pixels.
        let turned;
        let small = if (2..=8).contains(&orientation) {
            turned = upright(small, orientation)?;
            Pixels {
                width: turned.width(),
                height: turned.height(),
                data: turned.as_raw(),
            }
        } else {
            small
        };
        encode(&small)
    })
}

/// `picture` scaled so that, once upright, it is at most [`super::WIDTH`]
/// wide (into `out`), or as it is when it already is.
fn shrink<'a>(
    picture: Pixels<'a>,
    orientation: u8,
    resizer: &mut fast_image_resize::Resizer,
    out: &'a mut Vec<u8>,
) -> Result<Pixels<'a>, String> {
    let (w, h) = (picture.width, picture.height);
    let upright_width = if orientation >= 5 { h } else { w };
    if upright_width <= super::WIDTH {
        return Ok(picture);
    }
    let scale =
        |n: u32| (u64::from(n) * u64::from(super::WIDTH) / u64::from(upright_width)).max(1) as u32;
    let (tw, th) = (scale(w), scale(h));
    resize(&picture, tw, th, resizer, out)?;
    let out: &'a Vec<u8> = out;
    Ok(Pixels {
        width: tw,
        height: th,
        data: out.as_slice(),
    })
}

/// `picture` resized to `tw`×`th` into `out` with fast_image_resize's
/// convolution (a triangle filter widened to the reduction, SIMD):
/// `image`'s own resize was half of a cold preview of distinct photos,
/// float rounding per pixel.
fn resize(
    picture: &Pixels<'_>,
    tw: u32,
    th: u32,
    resizer: &mut fast_image_resize::Resizer,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    use fast_image_resize::{images, FilterType, PixelType, ResizeAlg, ResizeOptions};
    let src = images::ImageRef::new(picture.width, picture.height, picture.data, PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    out.clear();
    out.resize(tw as usize * th as usize * 3, 0);
    let mut dst = images::Image::from_slice_u8(tw, th, out.as_mut_slice(), PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    resizer
        .resize(&src, &mut dst, &options)
        .map_err(|e| e.to_string())
}

/// The pixels turned as EXIF orientation says (1..=8).
fn upright(picture: Pixels<'_>, orientation: u8) -> Result<RgbImage, String> {
    let img = RgbImage::from_raw(picture.width, picture.height, picture.data.to_vec())
        .ok_or("the picture's buffer has the wrong size")?;
    let img = DynamicImage::ImageRgb8(img);
    let turned = match orientation {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    };
    Ok(turned.into_rgb8())
}

/// The JPEG of `picture`, with jpeg-encoder (SIMD) rather than `image`'s
/// own encoder: a quarter of a cold preview's time went to the latter.
fn encode(picture: &Pixels<'_>) -> Result<Vec<u8>, String> {
    let width = u16::try_from(picture.width).map_err(|_| "too wide to encode")?;
    let height = u16::try_from(picture.height).map_err(|_| "too tall to encode")?;
    let mut out = Vec::with_capacity(picture.data.len() / 8);
    jpeg_encoder::Encoder::new(&mut out, QUALITY)
        .encode(picture.data, width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` picture: a red ramp left to right, a green one top to
    /// bottom, a blue square top-left.
    fn ramps(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let blue = if x < w / 4 && y < h / 4 { 220 } else { 30 };
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, blue])
        })
    }

    fn jpeg_of(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        let (w, h) = (img.width() as u16, img.height() as u16);
        jpeg_encoder::Encoder::new(&mut out, 92)
            .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    fn close(a: &image::Rgb<u8>, b: [u8; 3]) -> bool {
        a.0.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 12)
    }

    #[test]
    fn a_photo_comes_back_with_its_colours_shrunk_and_turned() {
        // An Instagram export's size: decoded in full, shrunk to 640 wide.
        let source = ramps(1080, 1350);
        let bytes = jpeg_of(&source);
        let thumb = image::load_from_memory(&jpeg(&bytes, 1).unwrap())
            .unwrap()
            .into_rgb8();
        assert_eq!(thumb.dimensions(), (640, 800));
        let expect = |x: u32, y: u32| {
            let p = source.get_pixel(x * 1080 / 640, y * 1350 / 800);
            [p[0], p[1], p[2]]
        };
        for (x, y) in [(40, 40), (600, 40), (40, 760), (600, 760), (320, 400)] {
            let got = thumb.get_pixel(x, y);
            assert!(
                close(got, expect(x, y)),
                "({x}, {y}): {got:?} vs {:?}",
                expect(x, y)
            );
        }
        // The same kept buffers, a second photo of another size, turned
        // clockwise (6): the blue corner goes from top-left to top-right.
        let stored = ramps(900, 600);
        let turned = image::load_from_memory(&jpeg(&jpeg_of(&stored), 6).unwrap())
            .unwrap()
            .into_rgb8();
        assert_eq!(
            turned.dimensions(),
            (600, 900),
            "under 640 wide: not shrunk"
        );
        assert!(
            turned.get_pixel(560, 40)[2] > 180,
            "{:?}",
            turned.get_pixel(560, 40)
        );
        assert!(
            turned.get_pixel(40, 40)[2] < 80,
            "{:?}",
            turned.get_pixel(40, 40)
        );
        // Cut short: an error or a picture, never a panic.
        let _ = jpeg(&bytes[..bytes.len() / 2], 1);
        assert!(jpeg(b"not a jpeg", 1).is_err());
    }

    #[test]
    fn grey_photos_come_back_grey() {
        let grey = image::GrayImage::from_fn(700, 700, |x, _| image::Luma([(x % 256) as u8]));
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 90)
            .encode(grey.as_raw(), 700, 700, jpeg_encoder::ColorType::Luma)
            .unwrap();
        let thumb = image::load_from_memory(&jpeg(&bytes, 1).unwrap())
            .unwrap()
            .into_rgb8();
        assert_eq!(thumb.dimensions(), (640, 640));
        let p = thumb.get_pixel(100, 100);
        assert!(p[0].abs_diff(p[1]) < 4 && p[1].abs_diff(p[2]) < 4, "{p:?}");
    }
}

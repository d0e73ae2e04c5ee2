//! A JPEG decoded at the smallest size its thumbnail needs.
//!
//! A JPEG's 8×8 blocks can be turned back into 4×4, 2×2 or 1×1 pixels
//! instead of 8×8 (a reduced inverse DCT): 1/2, 1/4 or 1/8 of the size, with
//! a half, a sixteenth or a sixty-fourth of the pixels to upsample, convert
//! and resize, and that much less memory. `jpeg-decoder`'s `scale` does it;
//! zune-jpeg (what `image` uses) has no such mode, so a photo too small to
//! halve keeps its full decode through `image`.
//!
//! Measured before choosing (docs: BENCHMARKS.md, "preview with distinct
//! photos"), CPU time per 1080×1350 photo, single-threaded, on the busy
//! 2-core machine: zune-jpeg's full decode 5.8 ms, and with the resize to
//! 640 px and the encode 15.6 ms; jpeg-decoder at 1/2 (540×675) 8.7 ms,
//! 11.3 ms with the encode (no resize left to do); libjpeg-turbo at 1/2
//! 3.9 ms, but only with a C build (cmake and nasm) that the project's
//! builds do not have. Most of a decode is reading the entropy-coded
//! coefficients, which every scale pays in full.

use image::RgbImage;

/// The narrowest a thumbnail is decoded: a grid tile or a card's picture
/// is at most about 320 CSS px wide, and 512 px keeps them sharp up to a
/// device pixel ratio of 1.6 (an Instagram export, 1080 px wide, halves to
/// 540). Wider than [`super::WIDTH`] is then shrunk to it.
pub const MIN_WIDTH: u32 = 512;

/// The largest decoded picture this path makes (bytes): past it the full
/// decode, with `image`'s own limits, decides.
const MAX_DECODED: usize = 64 << 20;

/// How many times smaller (1, 2, 4 or 8) a picture `upright_width` px wide
/// can be decoded and stay at least [`MIN_WIDTH`] wide.
pub fn reduction(upright_width: u32) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|&d| upright_width.div_ceil(d) >= MIN_WIDTH)
        .unwrap_or(1)
}

/// The stored pixels of `bytes` (a JPEG) decoded at a reduced scale, as
/// RGB; None when no reduction applies (a picture under twice
/// [`MIN_WIDTH`]), the colours are not plain RGB or grey (CMYK, 16-bit
/// lossless), or jpeg-decoder refuses the file: the caller then decodes it
/// in full, as before (zune-jpeg accepts some files this decoder does not).
pub fn scaled(bytes: &[u8], orientation: u8) -> Option<RgbImage> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(MAX_DECODED);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    // EXIF 5–8 turn the picture a quarter: its shown width is the stored height.
    let d = reduction(if orientation >= 5 { h } else { w });
    if d == 1 {
        return None;
    }
    // jpeg-decoder takes the smallest scale that reaches the size asked
    // for, so asking for the size at 1/d gives exactly 1/d.
    let ask = |n: u32| u16::try_from(n.div_ceil(d)).ok();
    let (sw, sh) = decoder.scale(ask(w)?, ask(h)?).ok()?;
    let pixels = decoder.decode().ok()?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let rgb = match decoder.info()?.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return None,
    };
    RgbImage::from_raw(sw, sh, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::DynamicImage;

    #[test]
    fn the_reduction_keeps_a_thumbnail_at_least_512_wide() {
        assert_eq!(reduction(1080), 2, "an Instagram export: 540");
        assert_eq!(reduction(1024), 2, "exactly 512");
        assert_eq!(reduction(1023), 2, "rounded up, as the decoder does");
        assert_eq!(reduction(1022), 1);
        assert_eq!(reduction(640), 1);
        assert_eq!(reduction(4032), 4, "a phone's photo: 1008, not 504");
        assert_eq!(reduction(4096), 8);
        assert_eq!(reduction(0), 1);
    }

    /// A 1600×1200 picture with edges, gradients and fine detail, as a
    /// JPEG carrying EXIF orientation `orientation` (the decoders ignore
    /// it: the caller turns the pixels).
    fn photo(orientation: u8) -> Vec<u8> {
        let img = RgbImage::from_fn(1600, 1200, |x, y| {
            let stripe = if (x / 40 + y / 40) % 2 == 0 { 60 } else { 0 };
            image::Rgb([
                (x * 255 / 1600) as u8,
                (y * 255 / 1200) as u8 / 2 + stripe,
                ((x + y) % 256) as u8 / 4 + 100,
            ])
        });
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
        // Exif, little-endian TIFF, one IFD entry: Orientation (0x0112), SHORT.
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        exif.extend_from_slice(&[orientation, 0, 0, 0, 0, 0, 0, 0]);
        encoder.add_app_segment(1, exif).unwrap();
        encoder
            .encode(img.as_raw(), 1600, 1200, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    #[test]
    fn a_rotated_photo_decodes_at_half_size_close_to_a_full_decode_resized() {
        let bytes = photo(6);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        // The project's own header reader sees the turn.
        let info = crate::media::inspect(file.path()).unwrap();
        let crate::media::Format::Jpeg { orientation, .. } = info.format else {
            panic!("{info:?}")
        };
        assert_eq!(orientation, 6);
        // Shown 1200 wide: halved to 600, the stored 1600×1200 to 800×600.
        let small = scaled(&bytes, orientation).expect("scaled");
        assert_eq!(small.dimensions(), (800, 600));
        let full = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .unwrap()
            .into_rgb8();
        let reference = super::super::resize(full, 800, 600).unwrap();
        let diff: u64 = small
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        let mean = diff as f64 / small.as_raw().len() as f64;
        assert!(mean < 2.0, "mean absolute difference {mean:.2}");
        // Turned upright: portrait, 600×800.
        let upright = super::super::upright(DynamicImage::ImageRgb8(small), orientation);
        assert_eq!((upright.width(), upright.height()), (600, 800));
        // Stored upright, the same photo is shown 1600 wide: 1/2 again (800).
        assert_eq!(scaled(&photo(1), 1).unwrap().dimensions(), (800, 600));
    }

    #[test]
    fn what_cannot_be_reduced_is_left_to_the_full_decode() {
        // 800 px shown: halving would give 400.
        let img = RgbImage::from_pixel(800, 600, image::Rgb([10, 20, 30]));
        let mut small = Vec::new();
        jpeg_encoder::Encoder::new(&mut small, 80)
            .encode(img.as_raw(), 800, 600, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        assert!(scaled(&small, 1).is_none());
        // Not a JPEG, or cut short: the full decode says why.
        assert!(scaled(b"not a jpeg", 1).is_none());
        let cut = photo(1);
        assert!(scaled(&cut[..cut.len() / 3], 1).is_none());
        // Grey pictures come out as RGB.
        let grey = image::GrayImage::from_fn(1200, 1200, |x, _| image::Luma([(x % 256) as u8]));
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 90)
            .encode(grey.as_raw(), 1200, 1200, jpeg_encoder::ColorType::Luma)
            .unwrap();
        let rgb = scaled(&bytes, 1).unwrap();
        assert_eq!(rgb.dimensions(), (600, 600));
        let p = rgb.get_pixel(300, 300);
        assert!(p[0] == p[1] && p[1] == p[2], "{p:?}");
    }
}

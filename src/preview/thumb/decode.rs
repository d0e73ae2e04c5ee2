//! A JPEG decoded at the smallest size its thumbnail needs.
//!
//! A JPEG's 8×8 blocks can be turned back into 4×4, 2×2 or 1×1 pixels
//! instead of 8×8 (a reduced inverse DCT): 1/2, 1/4 or 1/8 of the size, with
//! a quarter, a sixteenth or a sixty-fourth of the pixels to upsample,
//! convert and resize, and that much less memory. `jpeg-decoder`'s `scale`
//! does it; zune-jpeg (what `image` uses) has no such mode.
//!
//! Measured before choosing (docs: BENCHMARKS.md, "preview with distinct
//! photos"), CPU time per photo (user + system, every thread) for the
//! whole thumbnail — read, hash, decode, resize to 640 px, encode — on the
//! busy 2-core machine. A 1080×1350 Instagram export: zune-jpeg's full
//! decode 10.6 ms, jpeg-decoder at 1/2 (540 px, under the thumbnail's
//! width) 11.2 ms: most of a decode is reading the entropy-coded
//! coefficients, which every scale pays in full, and jpeg-decoder reads
//! them more slowly and hands rows to a thread per colour component. A
//! 4032×3024 camera photo: zune-jpeg 74 ms, jpeg-decoder at 1/4 48 ms (and
//! 2 MB decoded instead of 37 MB). libjpeg-turbo decodes the 1080×1350
//! photo in 4.8 ms (4.0 ms at 1/2), but only with a C build (cmake, nasm)
//! the project's builds do not have. So a photo is decoded at a reduced
//! scale only when that scale still gives the full thumbnail width.

use image::RgbImage;

/// The largest decoded picture the reduced path makes (bytes): past it the
/// full decode decides.
const MAX_DECODED: usize = 64 << 20;

/// The largest picture the full decode makes (bytes), as `image`'s
/// default limit was: a header may claim 65,535 × 65,535 pixels.
const MAX_FULL: usize = 512 << 20;

/// A picture decoded in full by zune-jpeg, as RGB, into `out` (a buffer
/// the caller keeps from photo to photo: a fresh 4 MB one is mapped and
/// faulted in for every photo); its (width, height).
///
/// RGB even for YCbCr photos: keeping YCbCr through to the encoder was
/// measured slower, as both crates convert colours with AVX2 but move
/// YCbCr bytes one by one.
pub fn full(bytes: &[u8], out: &mut Vec<u8>) -> Result<(u32, u32), String> {
    use zune_jpeg::zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options};
    let options = options::DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| e.to_string())?;
    let (w, h) = decoder.dimensions().ok_or("no picture size")?;
    let size = decoder.output_buffer_size().ok_or("no picture size")?;
    if size > MAX_FULL {
        return Err(format!("{w}×{h} pixels is too large to decode"));
    }
    // Zeroed: a file cut short must not show the previous photo's pixels.
    out.clear();
    out.resize(size, 0);
    decoder.decode_into(out).map_err(|e| e.to_string())?;
    let dim = |n: usize| u32::try_from(n).map_err(|_| "too large".to_string());
    Ok((dim(w)?, dim(h)?))
}

/// How many times smaller (1, 2, 4 or 8) a picture `upright_width` px wide
/// can be decoded and stay at least [`super::WIDTH`] wide.
pub fn reduction(upright_width: u32) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|&d| upright_width.div_ceil(d) >= super::WIDTH)
        .unwrap_or(1)
}

/// The stored pixels of `bytes` (a JPEG) decoded at a reduced scale, as
/// RGB; None when no reduction applies (a picture under twice
/// [`super::WIDTH`]), the colours are not plain RGB or grey (CMYK, 16-bit
/// lossless), or jpeg-decoder refuses the file: the caller then decodes it
/// in full, as before (zune-jpeg accepts some files this decoder does not).
pub fn scaled(bytes: &[u8], orientation: u8) -> Option<RgbImage> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(MAX_DECODED);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    use jpeg_decoder::PixelFormat::{L8, RGB24};
    if !matches!(info.pixel_format, RGB24 | L8) {
        return None;
    }
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
    let rgb = match info.pixel_format {
        L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => pixels,
    };
    RgbImage::from_raw(sw, sh, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reduction_keeps_the_thumbnail_width() {
        assert_eq!(reduction(1080), 1, "an Instagram export: 540 is too narrow");
        assert_eq!(reduction(1280), 2, "exactly 640");
        assert_eq!(reduction(1279), 2, "rounded up, as the decoder does");
        assert_eq!(reduction(1278), 1);
        assert_eq!(reduction(4032), 4, "a phone's photo: 1008, not 504");
        assert_eq!(reduction(5120), 8);
        assert_eq!(reduction(0), 1);
    }

    /// A 2000×1400 picture with edges, gradients and fine detail, as a
    /// JPEG carrying EXIF orientation `orientation` (the decoders ignore
    /// it: the caller turns the pixels).
    fn photo(orientation: u8) -> Vec<u8> {
        let img = RgbImage::from_fn(2000, 1400, |x, y| {
            let stripe = if (x / 40 + y / 40) % 2 == 0 { 60 } else { 0 };
            image::Rgb([
                (x * 255 / 2000) as u8,
                (y * 255 / 1400) as u8 / 2 + stripe,
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
            .encode(img.as_raw(), 2000, 1400, jpeg_encoder::ColorType::Rgb)
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
        // Shown 1400 wide: halved to 700 (a quarter would be 350), the
        // stored 2000×1400 to 1000×700.
        let small = scaled(&bytes, orientation).expect("scaled");
        assert_eq!(small.dimensions(), (1000, 700));
        let full = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .unwrap()
            .into_rgb8();
        let reference =
            image::imageops::resize(&full, 1000, 700, image::imageops::FilterType::Triangle);
        let diff: u64 = small
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        let mean = diff as f64 / small.as_raw().len() as f64;
        assert!(mean < 2.0, "mean absolute difference {mean:.2}");
        // The thumbnail made from it: upright, shrunk to 640 wide.
        let cache = tempfile::tempdir().unwrap();
        let thumb = super::super::thumbnail(file.path(), &info, cache.path()).unwrap();
        let made = image::open(&thumb).unwrap();
        assert_eq!((made.width(), made.height()), (640, 914));
        // Turned clockwise (6), not anticlockwise: the stored left-to-right
        // red ramp runs top to bottom.
        let red = |y| made.to_rgb8().get_pixel(320, y)[0];
        assert!(
            red(20) < 60 && red(890) > 190,
            "{} .. {}",
            red(20),
            red(890)
        );
        // Stored upright, the same photo is shown 2000 wide: a quarter (500)
        // is too narrow, so 1/2 again.
        assert_eq!(scaled(&photo(1), 1).unwrap().dimensions(), (1000, 700));
    }

    #[test]
    fn what_cannot_be_reduced_is_left_to_the_full_decode() {
        // An Instagram export, 1080 px: halving would give 540.
        let img = RgbImage::from_pixel(1080, 1350, image::Rgb([10, 20, 30]));
        let mut export = Vec::new();
        jpeg_encoder::Encoder::new(&mut export, 80)
            .encode(img.as_raw(), 1080, 1350, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        assert!(scaled(&export, 1).is_none());
        // Not a JPEG, or cut short: the full decode says why.
        assert!(scaled(b"not a jpeg", 1).is_none());
        let cut = photo(1);
        assert!(scaled(&cut[..cut.len() / 3], 1).is_none());
        // Grey pictures come out as RGB.
        let grey = image::GrayImage::from_fn(1400, 1400, |x, _| image::Luma([(x % 256) as u8]));
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 90)
            .encode(grey.as_raw(), 1400, 1400, jpeg_encoder::ColorType::Luma)
            .unwrap();
        let rgb = scaled(&bytes, 1).unwrap();
        assert_eq!(rgb.dimensions(), (700, 700));
        let p = rgb.get_pixel(300, 300);
        assert!(p[0] == p[1] && p[1] == p[2], "{p:?}");
    }
}

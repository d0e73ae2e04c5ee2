//! Sniffing: what a file is, from its first bytes (magic numbers and the
//! ftyp brands of ISO-BMFF).

use super::{Container, Format};
pub(super) enum Sniffed {
    Jpeg,
    Bmff(Container),
    Done(Format),
}

// Brands that mark an ISO-BMFF file as a still image (HEIF family), not a video.
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];
const HEIC_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
];
// Top-level atoms that legacy QuickTime files (no ftyp) start with.
const BARE_MOV_ATOMS: &[&[u8; 4]] = &[b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

pub(super) fn sniff(h: &[u8]) -> Sniffed {
    let at = |off: usize, magic: &[u8]| h.get(off..off + magic.len()) == Some(magic);
    let image = |name| Sniffed::Done(Format::OtherImage(name));
    let video = |name| Sniffed::Done(Format::OtherVideo(name));

    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if at(0, &[0x89, b'P', b'N', b'G']) {
        return image("PNG");
    }
    if at(0, b"GIF8") {
        return image("GIF");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return image("WebP");
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return video("AVI");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return video("WebM/Matroska");
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return image("TIFF");
    }
    if at(0, b"FLV") {
        return video("FLV");
    }
    if h.len() > 188 && h[0] == 0x47 && h[188] == 0x47 {
        return video("MPEG-TS");
    }
    if at(0, &[0x00, 0x00, 0x01, 0xBA]) {
        return video("MPEG-PS");
    }
    if at(4, b"ftyp") {
        return sniff_ftyp(h);
    }
    if h.len() >= 8 && BARE_MOV_ATOMS.iter().any(|t| at(4, *t)) {
        let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        if size == 0 || size == 1 || size >= 8 {
            return Sniffed::Bmff(Container::Mov);
        }
    }
    // "BM" alone is two printable letters; requiring a known DIB header size
    // keeps text files that happen to start with "BM" out.
    if at(0, b"BM") && h.len() >= 18 {
        let dib = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
        if matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
            return image("BMP");
        }
    }
    Sniffed::Done(Format::Unknown)
}

fn sniff_ftyp(h: &[u8]) -> Sniffed {
    let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
    // Only brands inside both the ftyp box and the sniffed prefix count; a
    // bogus size just means fewer brands, the box walk reports it later.
    let end = size.clamp(8, h.len());
    let major = h.get(8..12);
    let brands: Vec<&[u8]> = h[8..end]
        .chunks_exact(4)
        .enumerate()
        .filter(|(i, _)| *i != 1) // minor_version, not a brand
        .map(|(_, b)| b)
        .collect();
    let has = |set: &[&[u8; 4]]| brands.iter().any(|b| set.iter().any(|s| &s[..] == *b));
    if has(AVIF_BRANDS) {
        return Sniffed::Done(Format::OtherImage("AVIF"));
    }
    if has(HEIC_BRANDS) {
        return Sniffed::Done(Format::OtherImage("HEIC"));
    }
    if major == Some(&b"qt  "[..]) {
        Sniffed::Bmff(Container::Mov)
    } else {
        Sniffed::Bmff(Container::Mp4)
    }
}

#[cfg(test)]
mod tests {
    use crate::media::tests::format_of;
    use crate::media::Format;

    #[test]
    fn sniffs_other_images() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
            (b"GIF89a\x01\0\x01\0", "GIF"),
            (b"GIF87a", "GIF"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "WebP"),
            (b"II*\0\x08\0\0\0", "TIFF"),
            (b"MM\0*\0\0\0\x08", "TIFF"),
            (b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0", "BMP"),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC"),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heix", "HEIC"),
            (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "AVIF"),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif", "AVIF"),
            (b"\0\0\0\x14ftypisom\0\0\0\0msf1", "HEIC"),
        ];
        for (bytes, name) in cases {
            let f = format_of(bytes);
            assert_eq!(f, Format::OtherImage(name), "{name}");
            assert_eq!(f.describe(), format!("{name} image"));
            assert_eq!(f.display_size(), None);
            assert!(!f.is_video());
        }
    }

    #[test]
    fn sniffs_other_videos() {
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01".to_vec(),
                "WebM/Matroska",
            ),
            (b"RIFF\0\0\0\0AVI LIST".to_vec(), "AVI"),
            (b"FLV\x01\x05\0\0\0\x09".to_vec(), "FLV"),
            (ts, "MPEG-TS"),
            (b"\0\0\x01\xba\x44\0\x04\0".to_vec(), "MPEG-PS"),
        ];
        for (bytes, name) in cases {
            let f = format_of(&bytes);
            assert_eq!(f, Format::OtherVideo(name));
            assert!(f.is_video());
            assert_eq!(f.describe(), format!("{name} video"));
        }
    }

    #[test]
    fn sniffs_unknown() {
        for bytes in [
            &b""[..],
            b"\xff",
            b"\xff\xd8",
            b"hello world, this is text",
            b"BM but not a bitmap at all....",
            b"RIFF\0\0\0\0WAVEfmt ",
            b"\0\0\0\0\0\0\0\0",
        ] {
            assert_eq!(format_of(bytes), Format::Unknown, "{bytes:?}");
        }
        assert_eq!(Format::Unknown.describe(), "unrecognised file");
        assert!(!Format::Unknown.is_video());
    }
}

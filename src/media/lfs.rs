//! Git LFS pointer files: what a checkout holds in place of a file whose
//! content lives in Git LFS (until `git lfs pull`, or `lfs: true` on
//! actions/checkout, brings it).
//!
//! A pointer is three lines of text (git-lfs's docs/spec.md):
//!
//! ```text
//! version https://git-lfs.github.com/spec/v1
//! oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
//! size 12345
//! ```
//!
//! The file is any file of a pull request, so it is parsed strictly and
//! never trusted: at most [`MAX_POINTER`] bytes are read, every line must be
//! exactly one of the three, the oid is 64 lower-case hex digits (it names a
//! file in the local store, so nothing else may reach a path), and the size
//! a plain decimal number. Anything else is not a pointer postwright uses.

use std::path::PathBuf;

/// Pointer files are smaller than this (the spec's own limit).
pub const MAX_POINTER: usize = 1024;

/// The version line of a pointer; `hawser` is the name git-lfs had before
/// its 1.0 and still reads.
const VERSIONS: [&str; 2] = [
    "version https://git-lfs.github.com/spec/v1",
    "version https://hawser.github.com/spec/v1",
];

/// What a valid pointer says about the content it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// The SHA-256 of the content: 64 lower-case hex digits.
    pub oid: String,
    /// The content's size in bytes.
    pub size: u64,
}

/// A media file that is a Git LFS pointer: the pointer, and where its
/// content is when the local LFS store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lfs {
    pub pointer: Pointer,
    /// The object in the local store (`<lfs dir>/objects/aa/bb/<oid>`);
    /// `None` when this checkout did not fetch it.
    pub object: Option<PathBuf>,
}

/// Why a file that starts like a pointer is not a valid one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    #[error("it is {0} bytes; a pointer is under 1024")]
    TooLong(usize),
    #[error("line {0} is not valid UTF-8 text")]
    NotText(usize),
    #[error("line {0} ends with a carriage return (CRLF); pointers use LF line endings")]
    CarriageReturn(usize),
    #[error("its first line is not `version https://git-lfs.github.com/spec/v1`")]
    Version,
    #[error("line {line}: expected `{want} …`, found `{found}`")]
    Unexpected {
        line: usize,
        want: &'static str,
        found: String,
    },
    #[error("line 2: the oid is not `sha256:` and 64 lower-case hex digits")]
    Oid,
    #[error("line 3: the size is not a plain decimal number of bytes")]
    Size,
    #[error(
        "it has more than the three lines version, oid and size (LFS extensions are not read)"
    )]
    Extra,
}

/// Whether `head` (a file's first bytes) starts like a pointer: its
/// version line. Cheap, for sniffing; [`parse`] decides.
pub fn looks_like_pointer(head: &[u8]) -> bool {
    VERSIONS.iter().any(|v| head.starts_with(v.as_bytes()))
}

/// Parses a whole pointer file (its every byte, at most [`MAX_POINTER`]).
pub fn parse(bytes: &[u8]) -> Result<Pointer, PointerError> {
    if bytes.len() >= MAX_POINTER {
        return Err(PointerError::TooLong(bytes.len()));
    }
    // The last line may lack its newline; git-lfs writes one.
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut lines = Vec::with_capacity(3);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.last() == Some(&b'\r') {
            return Err(PointerError::CarriageReturn(i + 1));
        }
        let text = std::str::from_utf8(line).map_err(|_| PointerError::NotText(i + 1))?;
        lines.push(text);
        if lines.len() > 3 {
            return Err(PointerError::Extra);
        }
    }
    let mut lines = lines.into_iter();
    if !lines.next().is_some_and(|l| VERSIONS.contains(&l)) {
        return Err(PointerError::Version);
    }
    let oid = value(lines.next(), 2, "oid")?;
    let oid = oid
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or(PointerError::Oid)?;
    let size = value(lines.next(), 3, "size")?;
    let canonical = !size.is_empty()
        && size.len() <= 20
        && size.bytes().all(|b| b.is_ascii_digit())
        && (size == "0" || !size.starts_with('0'));
    let size = canonical
        .then(|| size.parse::<u64>().ok())
        .flatten()
        .ok_or(PointerError::Size)?;
    Ok(Pointer {
        oid: oid.to_string(),
        size,
    })
}

/// The value of line `line`, which must be `key value`.
fn value<'a>(line: Option<&'a str>, n: usize, key: &'static str) -> Result<&'a str, PointerError> {
    let found = line.unwrap_or("");
    found
        .strip_prefix(key)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| PointerError::Unexpected {
            line: n,
            want: key,
            // Quoted in a message: cut short, control characters shown.
            found: found
                .chars()
                .take(40)
                .flat_map(char::escape_debug)
                .collect(),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    pub(crate) fn pointer_text(oid: &str, size: u64) -> String {
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")
    }

    #[test]
    fn reads_what_git_lfs_writes() {
        let p = parse(pointer_text(OID, 12345).as_bytes()).unwrap();
        assert_eq!(
            p,
            Pointer {
                oid: OID.into(),
                size: 12345
            }
        );
        // Without the final newline, and with the pre-1.0 version URL.
        let text = pointer_text(OID, 0);
        assert_eq!(parse(text.trim_end().as_bytes()).unwrap().size, 0);
        let old = text.replace("git-lfs.github.com", "hawser.github.com");
        assert_eq!(parse(old.as_bytes()).unwrap().oid, OID);
        assert!(looks_like_pointer(text.as_bytes()));
        assert!(!looks_like_pointer(b"\xff\xd8\xff\xe0"));
    }

    #[test]
    fn refuses_what_is_not_exactly_a_pointer() {
        let good = pointer_text(OID, 10);
        let upper = good.replace(OID, &OID.to_uppercase());
        let short = good.replace(OID, &OID[..63]);
        let cases: Vec<(String, PointerError)> = vec![
            (good.replace('\n', "\r\n"), PointerError::CarriageReturn(1)),
            (good.replace("spec/v1", "spec/v2"), PointerError::Version),
            (format!("\n{good}"), PointerError::Extra),
            (format!("x{good}"), PointerError::Version),
            (upper, PointerError::Oid),
            (short, PointerError::Oid),
            (good.replace("sha256:", "sha512:"), PointerError::Oid),
            (good.replace("size 10", "size -1"), PointerError::Size),
            (good.replace("size 10", "size +10"), PointerError::Size),
            (good.replace("size 10", "size 010"), PointerError::Size),
            (good.replace("size 10", "size 1e3"), PointerError::Size),
            (
                good.replace("size 10", "size 99999999999999999999"),
                PointerError::Size,
            ),
            (good.replace("size 10", "size "), PointerError::Size),
            (
                format!("{good}ext-0-foo sha256:{OID}\n"),
                PointerError::Extra,
            ),
            (format!("{good}\n"), PointerError::Extra),
            (good.replace("oid ", "oid  "), PointerError::Oid),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text.as_bytes()), Err(want), "{text:?}");
        }
        let swapped = "version https://git-lfs.github.com/spec/v1\nsize 10\noid sha256:x\n";
        assert!(matches!(
            parse(swapped.as_bytes()),
            Err(PointerError::Unexpected {
                line: 2,
                want: "oid",
                ..
            })
        ));
        let mut long = good.into_bytes();
        long.resize(MAX_POINTER, b'x');
        assert_eq!(parse(&long), Err(PointerError::TooLong(MAX_POINTER)));
        let bad = b"version https://git-lfs.github.com/spec/v1\noid \xff\n";
        assert_eq!(parse(bad), Err(PointerError::NotText(2)));
    }

    #[test]
    fn a_quoted_line_is_cut_and_escaped() {
        let text = format!(
            "version https://git-lfs.github.com/spec/v1\n\x1b[31m{}\n",
            "a".repeat(500)
        );
        let e = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(!e.contains('\x1b'), "{e}");
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn inspect_reads_a_pointer_as_its_contents_size() {
        use crate::media::{inspect_reader, Format, MediaError};
        use std::io::Cursor;
        let run = |b: &[u8]| inspect_reader(Cursor::new(b), b.len() as u64);
        let text = pointer_text(OID, 300_000_000);
        let info = run(text.as_bytes()).unwrap();
        assert_eq!(info.bytes, 300_000_000);
        assert_eq!(info.format, Format::LfsAbsent { video: false });
        let lfs = info.lfs.unwrap();
        assert_eq!((lfs.pointer.oid.as_str(), lfs.object), (OID, None));
        // Past the 512 bytes sniffed, up to the limit: read whole, judged.
        let mut long = text.clone().into_bytes();
        long.resize(900, b'x');
        let e = run(&long).unwrap_err();
        assert!(matches!(e, MediaError::Pointer(PointerError::Extra)), "{e}");
        assert!(e.to_string().contains("Git LFS pointer"), "{e}");
        // From 1024 bytes on it is no pointer: an unrecognised file.
        long.resize(MAX_POINTER, b'x');
        assert_eq!(run(&long).unwrap().format, Format::Unknown);
        assert!(run(&long).unwrap().lfs.is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 3000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        // Any bytes: an answer, never a panic; an accepted pointer is
        // canonical (it prints back to the very bytes read).
        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1100)) {
            if let Ok(p) = parse(&bytes) {
                let again = pointer_text(&p.oid, p.size);
                proptest::prop_assert!(again.as_bytes() == &bytes[..] || again.trim_end().as_bytes() == &bytes[..]);
            }
        }

        // A real pointer with a few bytes changed: accepted only when it
        // still prints back to itself.
        #[test]
        fn mutated_pointers_are_answered(
            size in proptest::prelude::any::<u64>(),
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..4),
            cut in proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
        ) {
            let mut bytes = pointer_text(OID, size).into_bytes();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Ok(p) = parse(&bytes) {
                let again = pointer_text(&p.oid, p.size);
                proptest::prop_assert!(again.as_bytes() == &bytes[..] || again.trim_end().as_bytes() == &bytes[..]);
                proptest::prop_assert_eq!(p.oid.len(), 64);
            }
        }
    }
}

//! Finding post files: the content folders walked once, each file a post,
//! a candidate left out (with the reason people see), or not a post.

use super::*;
use std::collections::HashSet;

/// Lists candidate post files under the content folders, sorted by path.
/// Missing content folders are reported, not fatal.
pub fn discover(repo: &Path, content: &[String]) -> (Vec<PostFile>, Vec<String>) {
    let scan = scan(repo, content);
    (scan.files, scan.missing)
}

/// Why a file in a content folder is not read as a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// An image or a video (by its extension): quiet, counted.
    Media,
    /// A Markdown file without front matter, such as a README: quiet, counted.
    NoFrontMatter,
    /// Any other file that does not look like a post: quiet, counted.
    Other,
    /// A symlinked folder: not followed (it can loop or leave the repo).
    SymlinkedFolder,
    /// Looks like a post but is not read as one: a warning says what to do.
    LooksLikePost { message: String, help: String },
    /// A FIFO, socket or device: an error (git cannot hold one).
    NotRegular(&'static str),
}

impl Skip {
    /// The reason as counted in the scan summary.
    pub fn label(&self) -> &'static str {
        match self {
            Skip::Media => "media",
            Skip::NoFrontMatter => "Markdown without front matter",
            Skip::Other => "other",
            Skip::SymlinkedFolder => "symlinked folder",
            Skip::LooksLikePost { .. } => "looks like a post",
            Skip::NotRegular(_) => "not a regular file",
        }
    }

    /// The problem to report for it, if it deserves one.
    pub fn problem(&self, rel: &str) -> Option<Problem> {
        match self {
            Skip::LooksLikePost { message, help } => {
                Some(Problem::new(Rule::NotAPost, rel, Pos::START, message.clone()).with_help(help.clone()))
            }
            Skip::SymlinkedFolder => Some(
                Problem::new(
                    Rule::NotAPost,
                    rel,
                    Pos::START,
                    "this is a symlink to a folder; symlinked folders are not followed, so no post in it is read",
                )
                .with_help("move the posts into the content folder itself"),
            ),
            Skip::NotRegular(kind) => Some(
                Problem::new(
                    Rule::FileNotRegular,
                    rel,
                    Pos::START,
                    format!("this is {kind}, not a regular file; it is not read"),
                )
                .with_help("remove it: a content folder holds regular files only"),
            ),
            _ => None,
        }
    }
}

/// What the walk of the content folders found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Candidate post files, sorted by path.
    pub files: Vec<PostFile>,
    /// Content folders that do not exist.
    pub missing: Vec<String>,
    /// The folders scanned, in config order, with how many files each holds.
    pub folders: Vec<(String, usize)>,
    /// Files that are not candidates, with why.
    pub left_out: Vec<(String, Skip)>,
}

impl Scan {
    /// The content folder a file found by the walk belongs to.
    pub fn folder_of(&self, rel: &str) -> Option<&str> {
        self.folders
            .iter()
            .map(|(f, _)| f.as_str())
            .find(|f| rel.strip_prefix(f).is_some_and(|r| r.starts_with('/')))
    }
}

const MEDIA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "tif", "tiff", "bmp", "svg",
    "mpo", "mp4", "mov", "m4v", "webm", "avi", "mkv",
];

/// Walks the content folders. Symlinked folders are not followed; FIFOs,
/// sockets and devices are never opened.
pub fn scan(repo: &Path, content: &[String]) -> Scan {
    let mut found = Vec::new();
    let mut left_out = Vec::new();
    let mut scan = Scan::default();
    let repo_canonical = safe::canonical_repo(repo);
    // Each folder with its repo path (`posts`, `` for the root).
    let folders: Vec<(&str, Option<String>)> = content
        .iter()
        .map(|f| f.trim_matches('/'))
        .map(|f| (f, relative(repo, &repo.join(f))))
        .collect();
    // A file is found once, in the first folder that holds it: only
    // folders listed twice, or one inside another, can meet a path again.
    let rels: Vec<&str> = folders.iter().filter_map(|(_, r)| r.as_deref()).collect();
    let overlap = rels
        .iter()
        .enumerate()
        .any(|(i, a)| rels[i + 1..].iter().any(|b| under(a, b) || under(b, a)));
    let mut seen: HashSet<String> = HashSet::new();
    for (folder, rel) in folders {
        let dir = repo.join(folder);
        if !dir.is_dir() {
            scan.missing.push(folder.to_string());
            continue;
        }
        let Some(rel) = rel else {
            scan.folders.push((folder.to_string(), 0));
            continue;
        };
        let mut count = 0;
        // Each folder with its repo path: a file's is its folder's and its
        // name, with no path taken apart again.
        let mut stack = vec![(dir, rel)];
        while let Some((dir, dir_rel)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') {
                    continue;
                }
                // Symlinked folders are not followed: they can loop, or leave the repo.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let rel = if dir_rel.is_empty() {
                    name.into_owned()
                } else {
                    format!("{dir_rel}/{name}")
                };
                if kind.is_dir() {
                    stack.push((entry.path(), rel));
                    continue;
                }
                if overlap && !seen.insert(rel.clone()) {
                    continue;
                }
                count += 1;
                if !kind.is_file() && !kind.is_symlink() {
                    left_out.push((rel, Skip::NotRegular(safe::kind_name(&kind))));
                } else if Syntax::of(Path::new(&rel)).is_some() {
                    found.push(PostFile {
                        default_id: default_id(&rel, folder),
                        rel,
                        in_content: true,
                        named: false,
                        walked: kind.is_file(),
                    });
                } else {
                    let skip = classify(repo, &repo_canonical, &rel, kind.is_symlink());
                    left_out.push((rel, skip));
                }
            }
        }
        scan.folders.push((folder.to_string(), count));
    }
    // Paths are unique here: sorted by them.
    found.sort_unstable_by(|a: &PostFile, b| a.rel.cmp(&b.rel));
    left_out.sort_unstable_by(|a: &(String, Skip), b| a.0.cmp(&b.0));
    scan.files = found;
    scan.left_out = left_out;
    scan
}

/// Whether folder `inner` is `outer` or lies inside it (`` is the root).
fn under(inner: &str, outer: &str) -> bool {
    outer.is_empty()
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Why a file whose extension is not read is left out; files that are not
/// media are sniffed (a few bytes, regular files inside the repo only) for
/// front matter.
fn classify(repo: &Path, repo_canonical: &Path, rel: &str, symlink: bool) -> Skip {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    // Stat (no open) through the link: a symlinked folder is worth a word.
    if symlink && std::fs::metadata(repo.join(rel)).is_ok_and(|m| m.is_dir()) {
        return Skip::SymlinkedFolder;
    }
    if ext
        .as_deref()
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e))
    {
        return Skip::Media;
    }
    let Ok(regular) = safe::inspect(repo, repo_canonical, rel) else {
        return Skip::Other;
    };
    let Ok(head) = safe::read_head(&regular, 256) else {
        return Skip::Other;
    };
    let text = decode_head(&head);
    let first = text.split(['\n', '\r']).next().unwrap_or("").trim_end();
    let shown = ext.map_or_else(|| "without an extension".to_string(), |e| format!("`.{e}`"));
    if first == "---" || first == "+++" {
        let what = if first == "+++" {
            "TOML front matter (`+++`)"
        } else {
            "front matter (`---`)"
        };
        return Skip::LooksLikePost {
            message: format!(
                "this file opens with {what} but files {shown} are not read as posts"
            ),
            help: "posts are `.md`/`.markdown` with YAML front matter between `---` lines, or `.yaml`/`.yml`; rename it, or move it out of the content folder".into(),
        };
    }
    Skip::Other
}

/// The start of a file as text, whatever its Unicode encoding (lossy).
fn decode_head(head: &[u8]) -> String {
    match bom(head) {
        Some((Bom::Utf16Le, n)) => utf16(&head[n..], u16::from_le_bytes),
        Some((Bom::Utf16Be, n)) => utf16(&head[n..], u16::from_be_bytes),
        Some((Bom::Utf32Le | Bom::Utf32Be, _)) => String::new(),
        Some((Bom::Utf8, n)) => String::from_utf8_lossy(&head[n..]).into_owned(),
        None => String::from_utf8_lossy(head).into_owned(),
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> String {
    let words = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(words)
        .map(|c| c.unwrap_or('\u{fffd}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_found_once_in_the_first_folder_that_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        for (rel, text) in [
            ("posts/a.md", "---\nid: a\n---\n"),
            ("posts/2026/b.yaml", "id: b\n"),
            ("posts/README", "notes\n"),
            ("posts/pic.jpg", "\u{ff}"),
            ("posts/.hidden.md", "---\n---\n"),
            ("notes/x.md", "---\n---\n"),
        ] {
            std::fs::create_dir_all(repo.join(rel).parent().unwrap()).unwrap();
            std::fs::write(repo.join(rel), text).unwrap();
        }
        std::os::unix::fs::symlink("2026", repo.join("posts/linked")).unwrap();
        let folders = |s: &Scan| s.folders.clone();
        let rels = |s: &Scan| s.files.iter().map(|f| f.rel.clone()).collect::<Vec<_>>();
        let left = |s: &Scan| {
            s.left_out
                .iter()
                .map(|(r, k)| format!("{r}: {}", k.label()))
                .collect::<Vec<_>>()
        };

        let alone = scan(repo, &["posts".to_string()]);
        assert_eq!(rels(&alone), ["posts/2026/b.yaml", "posts/a.md"]);
        assert_eq!(
            left(&alone),
            [
                "posts/README: other",
                "posts/linked: symlinked folder",
                "posts/pic.jpg: media"
            ]
        );
        assert_eq!(folders(&alone), [("posts".to_string(), 5)]);
        assert!(alone.files.iter().all(|f| f.walked && !f.named));

        // A folder inside another, and the root: nothing twice, ids from
        // the first folder that holds the file.
        let content = ["/posts/", "posts/2026", ".", "gone"].map(String::from);
        let all = scan(repo, &content);
        assert_eq!(
            rels(&all),
            ["notes/x.md", "posts/2026/b.yaml", "posts/a.md"]
        );
        assert_eq!(left(&all), left(&alone));
        assert_eq!(
            folders(&all),
            [
                ("posts".to_string(), 5),
                ("posts/2026".to_string(), 0),
                (".".to_string(), 1)
            ]
        );
        assert_eq!(all.missing, ["gone"]);
        let ids: Vec<&str> = all.files.iter().map(|f| f.default_id.as_str()).collect();
        assert_eq!(ids, ["notes/x", "2026/b", "a"]);
    }
}

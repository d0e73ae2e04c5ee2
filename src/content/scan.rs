//! Finding post files: the content folders walked once, each file a post,
//! a candidate left out (with the reason people see), or not a post.

use super::*;

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
    let mut found = BTreeMap::new();
    let mut left_out = BTreeMap::new();
    let mut scan = Scan::default();
    let repo_canonical = safe::canonical_repo(repo);
    for folder in content {
        let folder = folder.trim_matches('/');
        let dir = repo.join(folder);
        if !dir.is_dir() {
            scan.missing.push(folder.to_string());
            continue;
        }
        let mut count = 0;
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                // Symlinked folders are not followed: they can loop, or leave the repo.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Some(rel) = relative(repo, &path) else {
                    continue;
                };
                if found.contains_key(&rel) || left_out.contains_key(&rel) {
                    continue;
                }
                count += 1;
                if !kind.is_file() && !kind.is_symlink() {
                    left_out.insert(rel, Skip::NotRegular(safe::kind_name(&kind)));
                } else if Syntax::of(&path).is_some() {
                    let default_id = default_id(&rel, folder);
                    found.insert(
                        rel.clone(),
                        PostFile {
                            rel,
                            default_id,
                            in_content: true,
                            named: false,
                            walked: kind.is_file(),
                        },
                    );
                } else {
                    let skip = classify(repo, &repo_canonical, &rel, kind.is_symlink());
                    left_out.insert(rel, skip);
                }
            }
        }
        scan.folders.push((folder.to_string(), count));
    }
    scan.files = found.into_values().collect();
    scan.left_out = left_out.into_iter().collect();
    scan
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

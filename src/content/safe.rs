//! Reading repo files safely: only regular files inside the repo, and never
//! more than a bound.
//!
//! A content repo may come from an unknown contributor's pull request. A
//! file in it may be a symlink leading out of the repo (to a `.env`), to a
//! device (`/dev/zero`), to nothing, or around in a loop; it may be a FIFO
//! that blocks whoever opens it. Every such file is refused from its
//! metadata, before it is opened, and the file named is the link itself:
//! an `lstat` for a file named on the command line, the folder walk's own
//! file type for a file it found. A file the walk saw as regular is opened
//! without following a symlink and without blocking, and checked again
//! after the open ([`Inspector::read_walked`]): a symlink or special file
//! put in its place since is never read as the regular file the walk saw.

use std::collections::HashMap;
use std::fs::{File, FileType};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A repo file checked to be a regular file inside the repo.
#[derive(Debug, Clone)]
pub struct Regular {
    /// The resolved path (no symlinks left in it).
    pub path: PathBuf,
    /// Whether the repo path was a symlink (to a file inside the repo).
    pub symlink: bool,
    /// The size metadata gives (a hint only: reads are bounded anyway).
    pub len: u64,
}

/// Why a repo path is not a regular file inside the repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Nothing at that path (and it is no symlink).
    Missing,
    /// A symlink (or a symlinked folder on the way) leading out of the repo.
    Outside,
    /// A symlink to nothing.
    Dangling,
    /// A symlink that cannot be resolved: a loop, or a chain too long.
    Unresolvable(String),
    /// A folder, FIFO, socket or device; `symlink` when reached through one.
    Kind { kind: &'static str, symlink: bool },
    /// The metadata cannot be read.
    Unreadable(String),
}

impl Refused {
    /// What is wrong, for a message that names the file (never its target).
    pub fn describe(&self) -> String {
        match self {
            Refused::Missing => "the file does not exist".into(),
            Refused::Outside => {
                "it is a symlink leading outside the repository, so it is not read".into()
            }
            Refused::Dangling => "it is a dangling symlink: its target does not exist".into(),
            Refused::Unresolvable(e) => {
                format!("it is a symlink that cannot be resolved (a loop?): {e}")
            }
            Refused::Kind {
                kind,
                symlink: true,
            } => format!("it is a symlink to {kind}, not to a regular file, so it is not read"),
            Refused::Kind {
                kind,
                symlink: false,
            } => format!("it is {kind}, not a regular file, so it is not read"),
            Refused::Unreadable(e) => format!("cannot read the file: {e}"),
        }
    }
}

/// A name for a file type that is not a regular file.
pub fn kind_name(ft: &FileType) -> &'static str {
    if ft.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

/// Checks, from metadata only (nothing is opened), that `rel` is a regular
/// file inside the repo; a symlink is followed only when it resolves inside.
/// `repo_canonical` is the repo's canonical path.
pub fn inspect(repo: &Path, repo_canonical: &Path, rel: &str) -> Result<Regular, Refused> {
    inspect_with(repo, repo_canonical, rel, |path, _| path.canonicalize())
}

/// [`inspect`] for the many files of one repo (validation reads every post):
/// the repo's canonical path is found once, and each folder's once. A file
/// that is not itself a symlink resolves to its folder's canonical path and
/// its own name; what `realpath` would give, without a `readlink` and a
/// `getcwd` for every component of every file.
pub struct Inspector {
    repo: PathBuf,
    repo_canonical: PathBuf,
    folders: HashMap<PathBuf, PathBuf>,
}

impl Inspector {
    pub fn new(repo: &Path) -> Inspector {
        Inspector {
            repo: repo.to_path_buf(),
            repo_canonical: canonical_repo(repo),
            folders: HashMap::new(),
        }
    }

    /// [`inspect`] of `rel` in this inspector's repo.
    pub fn inspect(&mut self, rel: &str) -> Result<Regular, Refused> {
        let folders = &mut self.folders;
        inspect_with(&self.repo, &self.repo_canonical, rel, |path, symlink| {
            match split(path).filter(|_| !symlink) {
                // The folder's error is the file's: resolve the whole path then.
                Some((folder, name)) => match folder_canonical(folders, folder) {
                    Some(c) => Ok(c.join(name)),
                    None => path.canonicalize(),
                },
                None => path.canonicalize(),
            }
        })
    }

    /// Reads, at most `limit` bytes, a file the folder walk saw as a
    /// regular file and not a symlink, in four system calls where
    /// [`Inspector::inspect`] and [`read_bounded`] make six (a 10,000-post
    /// plan made 60,000): no `lstat` first, since the open follows no
    /// symlink at the file (`O_NOFOLLOW`) nor any in its folder's
    /// resolved path, and never blocks; the `fstat` after it refuses what
    /// is not a regular file; and no read past the end when the first
    /// read gives the size the `fstat` said.
    ///
    /// `None` when the file is no longer what the walk saw (a symlink,
    /// gone), its folder resolves outside the repo, or its size is over
    /// `limit`: the caller inspects it then, for the refusal people read.
    pub fn read_walked(&mut self, rel: &str, limit: u64) -> Option<Result<Vec<u8>, ReadError>> {
        let path = self.repo.join(rel);
        let (folder, name) = split(&path)?;
        let resolved = folder_canonical(&mut self.folders, folder)?.join(name);
        if !resolved.starts_with(&self.repo_canonical) {
            return None;
        }
        match open_with(&resolved, O_NONBLOCK | O_NOFOLLOW) {
            Ok((_, len)) if len > limit => None,
            Ok(file) => Some(read_to_limit(file, limit)),
            Err(ReadError::Io(_)) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// A path's folder and its last component, when that is a name.
fn split(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    let name = match path.components().next_back() {
        Some(std::path::Component::Normal(name)) => Some(name),
        _ => None,
    };
    path.parent().zip(name)
}

/// `folder`'s canonical path, resolved once per folder.
fn folder_canonical<'f>(
    folders: &'f mut HashMap<PathBuf, PathBuf>,
    folder: &Path,
) -> Option<&'f PathBuf> {
    if !folders.contains_key(folder) {
        let c = folder.canonicalize().ok()?;
        folders.insert(folder.to_path_buf(), c);
    }
    folders.get(folder)
}

/// [`inspect`] with the canonical path of `path` (given whether it is
/// itself a symlink) made by `canonicalize`.
fn inspect_with(
    repo: &Path,
    repo_canonical: &Path,
    rel: &str,
    canonicalize: impl FnOnce(&Path, bool) -> std::io::Result<PathBuf>,
) -> Result<Regular, Refused> {
    let path = repo.join(rel);
    let lmeta = std::fs::symlink_metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refused::Missing,
        _ => Refused::Unreadable(e.to_string()),
    })?;
    let symlink = lmeta.file_type().is_symlink();
    // Canonicalizing stats every component; it opens nothing.
    let canonical = match canonicalize(&path, symlink) {
        Ok(c) => c,
        Err(e) if symlink && e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Refused::Dangling)
        }
        Err(e) if symlink => return Err(Refused::Unresolvable(e.to_string())),
        Err(e) => return Err(Refused::Unreadable(e.to_string())),
    };
    // Also catches a symlinked folder on the way that leads out.
    if !canonical.starts_with(repo_canonical) {
        return Err(Refused::Outside);
    }
    let meta = if symlink {
        std::fs::metadata(&canonical).map_err(|e| Refused::Unreadable(e.to_string()))?
    } else {
        lmeta
    };
    if !meta.is_file() {
        return Err(Refused::Kind {
            kind: kind_name(&meta.file_type()),
            symlink,
        });
    }
    Ok(Regular {
        path: canonical,
        symlink,
        len: meta.len(),
    })
}

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    /// More than the limit: the file holds at least this many bytes.
    TooLarge(u64),
    /// It stopped being a regular file between the check and the open.
    NotRegular(&'static str),
    Io(std::io::Error),
}

/// Opens a checked file without ever blocking (a FIFO swapped in after the
/// check does not block the open) and verifies again it is a regular file.
pub fn open(regular: &Regular) -> Result<File, ReadError> {
    open_with(&regular.path, O_NONBLOCK).map(|(file, _)| file)
}

/// [`open`] with these flags; the file and its size.
fn open_with(path: &Path, flags: i32) -> Result<(File, u64), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    let _ = flags;
    let file = options.open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_name(&meta.file_type())));
    }
    Ok((file, meta.len()))
}

#[cfg(target_os = "linux")]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(all(unix, not(target_os = "linux")))]
const O_NONBLOCK: i32 = 0x0004;
#[cfg(not(unix))]
const O_NONBLOCK: i32 = 0;
#[cfg(target_os = "linux")]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(all(unix, not(target_os = "linux")))]
const O_NOFOLLOW: i32 = 0x0100;
#[cfg(not(unix))]
const O_NOFOLLOW: i32 = 0;

/// Reads at most `limit` bytes; more is an error however small metadata
/// said the file was (a file that grows, a size of 0 that lies).
pub fn read_bounded(regular: &Regular, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_to_limit(open_with(&regular.path, O_NONBLOCK)?, limit)
}

/// The file's bytes, at most `limit`. The buffer has room for one byte
/// more than the size `fstat` gave: a first read that returns exactly that
/// size read the whole file as it was then, and ends the read (a file that
/// grows may always grow after the last read); a shorter one (a file that
/// shrank, a file system that reads in pieces) or a longer one (it grew)
/// goes on to the end, or to `limit`.
fn read_to_limit((file, len): (File, u64), limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut file = file.take(limit + 1);
    let want = len.min(limit) as usize + 1;
    let mut bytes = vec![0; want];
    let n = loop {
        match file.read(&mut bytes) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    };
    bytes.truncate(n);
    if n as u64 != len && n > 0 {
        file.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    }
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads the first `n` bytes (or fewer) of a checked file.
pub fn read_head(regular: &Regular, n: u64) -> Result<Vec<u8>, ReadError> {
    let file = open(regular)?;
    let mut bytes = Vec::with_capacity(n as usize);
    file.take(n)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok(bytes)
}

/// The canonical path of the repo (itself when it cannot be resolved).
pub fn canonical_repo(repo: &Path) -> PathBuf {
    repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf())
}

/// A regular file inside the repo read with a bound, or None: what may be
/// quoted in output.
pub fn read_quotable(repo: &Path, rel: &str, limit: u64) -> Option<Vec<u8>> {
    let regular = inspect(repo, &canonical_repo(repo), rel).ok()?;
    read_bounded(&regular, limit).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_whatever_the_metadata_says() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), vec![b'a'; 5000]).unwrap();
        let mut regular = inspect(dir.path(), &canonical_repo(dir.path()), "big").unwrap();
        regular.len = 0; // metadata that lies (a /proc file, a file that grows)
        assert!(matches!(
            read_bounded(&regular, 4096),
            Err(ReadError::TooLarge(4097))
        ));
        assert_eq!(read_bounded(&regular, 5000).unwrap().len(), 5000);
    }

    #[test]
    fn a_read_takes_the_whole_file_whatever_size_metadata_gave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        // The size fstat gives, one that lies short (a file that grew
        // since), one that lies long (it shrank), and none.
        for len in [5000, 10, 4999, 5001, 9000, 0] {
            let file = File::open(&path).unwrap();
            assert_eq!(read_to_limit((file, len), 8000).unwrap(), bytes, "{len}");
            let file = File::open(&path).unwrap();
            assert!(
                matches!(
                    read_to_limit((file, len), 4096),
                    Err(ReadError::TooLarge(4097))
                ),
                "{len}"
            );
        }
        std::fs::write(&path, "").unwrap();
        let file = File::open(&path).unwrap();
        assert!(read_to_limit((file, 0), 10).unwrap().is_empty());
    }

    #[test]
    fn a_walked_file_is_read_only_while_it_is_a_regular_file_inside() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("posts")).unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/x.md"), "secret").unwrap();
        std::fs::write(repo.join("posts/a.md"), "id: a\n").unwrap();
        std::fs::write(repo.join("posts/big.md"), "x".repeat(100)).unwrap();
        let link = |name: &str, to: &str| std::os::unix::fs::symlink(to, repo.join(name)).unwrap();
        // What the walk saw as files, swapped for a symlink since, or
        // reached through a folder that leads out: left to `inspect`.
        link("posts/in.md", "a.md");
        link("posts/out.md", "../../outside/x.md");
        link("linked", "../outside");
        let fifo = repo.join("posts/pipe.md");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut inspector = Inspector::new(&repo);
        let read = |i: &mut Inspector, rel: &str, limit: u64| {
            i.read_walked(rel, limit).map(|r| match r {
                Ok(bytes) => String::from_utf8(bytes).unwrap(),
                Err(e) => format!("{e:?}"),
            })
        };
        assert_eq!(
            read(&mut inspector, "posts/a.md", 64).as_deref(),
            Some("id: a\n")
        );
        for rel in [
            "posts/in.md",
            "posts/out.md",
            "linked/x.md",
            "posts/gone.md",
        ] {
            assert_eq!(read(&mut inspector, rel, 64), None, "{rel}");
        }
        // Over the limit by its size: inspected, for the size in the message.
        assert_eq!(read(&mut inspector, "posts/big.md", 64), None);
        assert_eq!(
            read(&mut inspector, "posts/big.md", 100).map(|s| s.len()),
            Some(100)
        );
        // A FIFO is opened without blocking and refused after the open.
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(
                read(&mut inspector, "posts/pipe.md", 64).as_deref(),
                Some("NotRegular(\"a FIFO (named pipe)\")")
            );
        }
    }

    #[test]
    fn symlinks_out_dangling_and_looping_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::fs::write(repo.join("real"), "x").unwrap();
        let link = |name: &str, to: &str| std::os::unix::fs::symlink(to, repo.join(name)).unwrap();
        link("out", "../secret");
        link("gone", "nothing");
        link("a", "b");
        link("b", "a");
        link("in", "real");
        let canon = canonical_repo(&repo);
        assert_eq!(inspect(&repo, &canon, "out").unwrap_err(), Refused::Outside);
        assert_eq!(
            inspect(&repo, &canon, "gone").unwrap_err(),
            Refused::Dangling
        );
        assert!(matches!(
            inspect(&repo, &canon, "a").unwrap_err(),
            Refused::Unresolvable(_)
        ));
        assert_eq!(
            inspect(&repo, &canon, "missing").unwrap_err(),
            Refused::Missing
        );
        assert!(inspect(&repo, &canon, "in").unwrap().symlink);
    }

    #[test]
    fn the_inspector_agrees_with_inspect_on_every_kind_of_path() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let posts = repo.join("posts");
        std::fs::create_dir_all(posts.join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/x.md"), "x").unwrap();
        std::fs::write(posts.join("a.md"), "abc").unwrap();
        std::fs::write(posts.join("sub/b.md"), "de").unwrap();
        let link = |name: &str, to: &str| std::os::unix::fs::symlink(to, repo.join(name)).unwrap();
        link("posts/in.md", "a.md");
        link("posts/out.md", "../../outside/x.md");
        link("posts/gone.md", "nothing");
        link("posts/loop.md", "loop.md");
        link("linked", "../outside");
        link("alias", "posts");
        let rels = [
            "posts/a.md",
            "posts/sub/b.md",
            "posts/sub/../a.md",
            "posts/./a.md",
            "posts/in.md",
            "posts/out.md",
            "posts/gone.md",
            "posts/loop.md",
            "posts/missing.md",
            "posts/sub",
            "posts/sub/..",
            "linked/x.md",
            "alias/a.md",
            "alias/sub/b.md",
            "nowhere/a.md",
        ];
        let canon = canonical_repo(&repo);
        let show = |r: Result<Regular, Refused>| match r {
            Ok(r) => format!("{} {} {}", r.path.display(), r.symlink, r.len),
            Err(e) => format!("{e:?}"),
        };
        let mut inspector = Inspector::new(&repo);
        // Twice: the second round answers from the folders already resolved.
        for _ in 0..2 {
            for rel in rels {
                assert_eq!(
                    show(inspector.inspect(rel)),
                    show(inspect(&repo, &canon, rel)),
                    "{rel}"
                );
            }
        }
        assert_eq!(
            inspector.inspect("linked/x.md").unwrap_err(),
            Refused::Outside
        );
        assert_eq!(
            inspector.inspect("alias/a.md").unwrap().path,
            canon.join("posts/a.md")
        );
    }
}

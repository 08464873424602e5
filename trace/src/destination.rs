//! Where an output file goes, written as `cp` writes it: through a symbolic link to where
//! it points, straight into a device, FIFO or socket (`-o /dev/null`, `-t /dev/stdout`),
//! and over a regular file (or none) through a temporary file beside it that takes its
//! place only when complete: a failure, or a kill, leaves what was there as it was. Renaming
//! a temporary file over `/dev/null` would replace the device itself.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many symbolic links are followed before giving up, as Linux's `ELOOP` does.
const MAX_LINKS: usize = 40;

/// An output file being written.
#[derive(Debug)]
pub struct Destination {
    /// What the user named.
    path: PathBuf,
    /// Where the bytes go in the end: `path` with its symbolic links followed.
    target: PathBuf,
    /// The temporary file, beside `target`, until it takes its place.
    temporary: Option<PathBuf>,
    /// Whether what was written is gone.
    discarded: bool,
}

/// How the temporary file takes the target's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placing {
    /// Replaces whatever file is at the target.
    Replace,
    /// Only where no file is: a file there is left alone, and placing fails with
    /// [`io::ErrorKind::AlreadyExists`] (two servers writing traces into one directory).
    New,
}

impl Destination {
    /// Opens `path` for writing: the file to write into, and what [`Destination::place`]s
    /// it when it is complete.
    pub fn create(path: &Path) -> io::Result<(File, Destination)> {
        let target = follow_links(path)?;
        let direct = match std::fs::metadata(&target) {
            Ok(metadata) if metadata.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory",
                ))
            }
            Ok(metadata) => !metadata.is_file(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(error) => return Err(error),
        };
        let mut destination = Destination {
            path: path.into(),
            target,
            temporary: None,
            discarded: false,
        };
        if direct {
            // A device, FIFO or socket: written into, as `cp` does.
            let file = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&destination.target)?;
            return Ok((file, destination));
        }
        let temporary = temporary_beside(&destination.target);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        destination.temporary = Some(temporary);
        Ok((file, destination))
    }

    /// The path the user gave, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the file written at the target (nothing to do for a device or FIFO, or once
    /// placed). The file handle stays good: what is written after goes there too.
    pub fn place(&mut self, placing: Placing) -> io::Result<()> {
        let Some(temporary) = self.temporary.as_ref() else {
            return Ok(());
        };
        match placing {
            Placing::Replace => std::fs::rename(temporary, &self.target)?,
            Placing::New => {
                // A link fails where a file is, which a rename would replace.
                std::fs::hard_link(temporary, &self.target)?;
                std::fs::remove_file(temporary)?;
            }
        }
        self.temporary = None;
        Ok(())
    }

    /// Removes what was written: the temporary file, or, once placed, the target (a
    /// trace that could not be completed). A device or FIFO is left alone; a second call
    /// does nothing.
    pub fn discard(&mut self) -> io::Result<()> {
        match self.temporary.take() {
            Some(temporary) => std::fs::remove_file(temporary),
            None if !self.discarded && is_regular(&self.target) => {
                self.discarded = true;
                std::fs::remove_file(&self.target)
            }
            None => Ok(()),
        }
    }
}

impl Drop for Destination {
    /// An output never placed leaves no temporary file behind.
    fn drop(&mut self) {
        if let Some(temporary) = self.temporary.take() {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Writes `bytes` to `path` as [`Destination`] writes: a failure leaves what was at `path`
/// as it was.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let (mut file, mut destination) = Destination::create(path)?;
    file.write_all(bytes)?;
    file.flush()?;
    destination.place(Placing::Replace)
}

fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_file())
}

/// `path` with its symbolic links followed, even a last one that points nowhere yet (the
/// file is then made where it points, as `cp` makes it).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// A name beside `target` that no other writer uses: hidden, with this process's id and
/// a number of its own.
fn temporary_beside(target: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.{}-{number}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("wasm-rr-destination-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    #[test]
    fn a_symbolic_link_is_written_through() -> io::Result<()> {
        let dir = scratch("link");
        std::fs::write(dir.join("real"), b"old")?;
        std::os::unix::fs::symlink("real", dir.join("link"))?;
        write_replacing(&dir.join("link"), b"new")?;
        assert!(std::fs::symlink_metadata(dir.join("link"))?
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(dir.join("real"))?, b"new");
        // A link to nothing yet: the file is made where it points.
        std::os::unix::fs::symlink("made", dir.join("dangling"))?;
        write_replacing(&dir.join("dangling"), b"made")?;
        assert_eq!(std::fs::read(dir.join("made"))?, b"made");
        std::fs::remove_dir_all(dir)
    }

    #[test]
    fn a_new_file_never_replaces_one() -> io::Result<()> {
        let dir = scratch("new");
        std::fs::write(dir.join("taken"), b"theirs")?;
        let (_, mut destination) = Destination::create(&dir.join("taken"))?;
        let placed = destination.place(Placing::New);
        assert_eq!(
            placed.err().map(|e| e.kind()),
            Some(io::ErrorKind::AlreadyExists)
        );
        drop(destination);
        assert_eq!(std::fs::read(dir.join("taken"))?, b"theirs");
        assert_eq!(
            std::fs::read_dir(&dir)?.count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(dir)
    }
}

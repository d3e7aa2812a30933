//! Files that hold secrets (card images, key sets): written atomically — a temporary file in
//! the same directory, created with mode 0600, fsynced, renamed over the target, and the
//! directory fsynced — so a crash leaves the old file or the new one, never half of either.
//! Reads have a size limit. Every error names the file.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("issuer.json");
//! jinka_secret_file::write(&path, b"{}", jinka_secret_file::Overwrite::Refuse).unwrap();
//! assert_eq!(jinka_secret_file::read(&path, 1024).unwrap(), b"{}");
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Whether [`write`] may replace an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace it (saving a card image again).
    Allow,
    /// Refuse: never destroy a key set by accident.
    Refuse,
}

/// A file operation that failed, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is larger than the caller allows.
    #[error("{path}: larger than {bytes_max} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        bytes_max: u64,
    },
    /// The file exists and overwriting was refused.
    #[error("{path}: already exists (refusing to overwrite it)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` atomically with mode 0600.
pub fn write(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), FileError> {
    if overwrite == Overwrite::Refuse && path.exists() {
        return Err(FileError::Exists {
            path: path.to_owned(),
        });
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| FileError::Io {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let mut temporary_name = name.to_owned();
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = directory.join(temporary_name);
    let result = write_new(&temporary, bytes)
        .and_then(|()| fs::rename(&temporary, path).map_err(io_error(path)));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
        return result;
    }
    // The rename is durable only once the directory entry is.
    File::open(&directory)
        .and_then(|d| d.sync_all())
        .map_err(io_error(&directory))
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Reads all of `path`, refusing files over `bytes_max`.
pub fn read(path: &Path, bytes_max: u64) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(bytes_max + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > bytes_max {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
            bytes_max,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_private_and_replace_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.jcard");
        write(&path, b"first", Overwrite::Refuse).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(matches!(
            write(&path, b"second", Overwrite::Refuse),
            Err(FileError::Exists { .. })
        ));
        write(&path, b"second", Overwrite::Allow).unwrap();
        assert_eq!(read(&path, 100).unwrap(), b"second");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.jcard");
        let error = read(&missing, 10).unwrap_err().to_string();
        assert!(error.contains("missing.jcard"), "{error}");
        let path = dir.path().join("big");
        write(&path, &[0; 11], Overwrite::Allow).unwrap();
        assert!(
            read(&path, 10)
                .unwrap_err()
                .to_string()
                .contains("larger than 10 bytes")
        );
        let no_dir = dir.path().join("nope").join("x");
        assert!(
            write(&no_dir, b"x", Overwrite::Allow)
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }
}

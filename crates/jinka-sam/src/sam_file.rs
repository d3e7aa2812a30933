//! The software SAM's file: its [`SamState`] as JSON, sealed under a key-encryption key when
//! one is given, else in clear with mode 0600 (the caller warns). Written atomically with
//! `jinka-secret-file`; every error names the file.

use core::fmt;
use std::path::{Path, PathBuf};

use jinka_card::Entropy;
use jinka_crypto::Key16;
use jinka_secret_file::{FileError, Overwrite};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::sam_state::{SAM_STATE_FORMAT, SamState, StateError};
use crate::sealed::{self, NONCE_BYTES, OpenError, SEALED_FORMAT};
use crate::software_sam::SoftwareSam;
use crate::store::{StateStore, StoreError};

/// The largest SAM file read.
pub const SAM_FILE_BYTES_MAX: u64 = 1 << 20;

/// Whether a SAM file is encrypted at rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Sealed under a key-encryption key.
    Encrypted,
    /// Clear JSON, protected only by its mode 0600: warn the operator.
    Clear,
}

/// Why a SAM file could not be read or written. Names the file; never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum SamFileError {
    /// Reading or writing failed (missing, unreadable, too large, exists).
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is sealed under another key-encryption key.
    #[error("{path}: wrong key-encryption key")]
    WrongKek {
        /// The file.
        path: PathBuf,
    },
    /// The file's authentication tag does not verify: it was altered.
    #[error("{path}: the file was altered (authentication failed)")]
    Tampered {
        /// The file.
        path: PathBuf,
    },
    /// The file is sealed and no key-encryption key was given.
    #[error("{path}: the file is encrypted; give its key-encryption key")]
    KekRequired {
        /// The file.
        path: PathBuf,
    },
    /// A key-encryption key was given but the file is in clear: refused, because a clear file
    /// where a sealed one is expected may have been swapped (for one with an older serial).
    #[error("{path}: a key-encryption key was given but the file is not encrypted")]
    NotEncrypted {
        /// The file.
        path: PathBuf,
    },
    /// Not a SAM file (bad JSON, unknown format, bad envelope).
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The sealed envelope has a version this code does not read.
    #[error("{path}: sealed file version {version} is not supported")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The envelope's version.
        version: u32,
    },
    /// The state inside is invalid.
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with the state.
        source: StateError,
    },
}

/// The file a software SAM lives in: path, optional key-encryption key, and the randomness for
/// the nonces of sealing. Implements [`StateStore`].
pub struct SamFile<E> {
    path: PathBuf,
    kek: Option<Key16>,
    entropy: E,
}

#[derive(Deserialize)]
struct Probe {
    format: String,
}

impl<E: Entropy> SamFile<E> {
    /// The file at `path`, sealed under `kek` if given.
    pub fn new(path: impl Into<PathBuf>, kek: Option<Key16>, entropy: E) -> SamFile<E> {
        SamFile {
            path: path.into(),
            kek,
            entropy,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is (and will be) kept.
    pub fn protection(&self) -> Protection {
        match self.kek {
            Some(_) => Protection::Encrypted,
            None => Protection::Clear,
        }
    }

    /// Writes `state` atomically (mode 0600), sealed if there is a key-encryption key.
    pub fn write(&mut self, state: &SamState, overwrite: Overwrite) -> Result<(), SamFileError> {
        let text = state.to_json();
        match &self.kek {
            Some(kek) => {
                let mut nonce = Zeroizing::new([0u8; NONCE_BYTES]);
                self.entropy.fill(nonce.as_mut());
                let sealed = sealed::seal(text.as_bytes(), kek, &nonce);
                jinka_secret_file::write(&self.path, sealed.as_bytes(), overwrite)?;
            }
            None => jinka_secret_file::write(&self.path, text.as_bytes(), overwrite)?,
        }
        Ok(())
    }

    /// Reads and checks the state.
    pub fn read(&self) -> Result<SamState, SamFileError> {
        let bytes = Zeroizing::new(jinka_secret_file::read(&self.path, SAM_FILE_BYTES_MAX)?);
        let text = std::str::from_utf8(&bytes).map_err(|_| self.unreadable("not UTF-8 text"))?;
        let probe: Probe =
            serde_json::from_str(text).map_err(|_| self.unreadable("not a SAM file (JSON)"))?;
        let clear = match (probe.format.as_str(), &self.kek) {
            (SAM_STATE_FORMAT, None) => Zeroizing::new(text.as_bytes().to_vec()),
            (SAM_STATE_FORMAT, Some(_)) => {
                let path = self.path.clone();
                return Err(SamFileError::NotEncrypted { path });
            }
            (SEALED_FORMAT, None) => {
                let path = self.path.clone();
                return Err(SamFileError::KekRequired { path });
            }
            (SEALED_FORMAT, Some(kek)) => {
                sealed::open(text, kek).map_err(|e| self.open_error(e))?
            }
            _ => return Err(self.unreadable("unknown format (not a SAM file)")),
        };
        let clear = std::str::from_utf8(&clear).map_err(|_| self.unreadable("not UTF-8 text"))?;
        SamState::from_json(clear).map_err(|source| SamFileError::Invalid {
            path: self.path.clone(),
            source,
        })
    }

    fn unreadable(&self, reason: &'static str) -> SamFileError {
        SamFileError::Unreadable {
            path: self.path.clone(),
            reason,
        }
    }

    fn open_error(&self, error: OpenError) -> SamFileError {
        let path = self.path.clone();
        match error {
            OpenError::Malformed(reason) => SamFileError::Unreadable { path, reason },
            OpenError::UnsupportedVersion(version) => {
                SamFileError::UnsupportedVersion { path, version }
            }
            OpenError::WrongKek => SamFileError::WrongKek { path },
            OpenError::Tampered => SamFileError::Tampered { path },
        }
    }
}

impl<E: Entropy> StateStore for SamFile<E> {
    fn save(&mut self, state: &SamState) -> Result<(), StoreError> {
        self.write(state, Overwrite::Allow).map_err(StoreError::new)
    }
}

impl<E> fmt::Debug for SamFile<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamFile")
            .field("path", &self.path)
            .field("encrypted", &self.kek.is_some())
            .finish_non_exhaustive()
    }
}

/// Creates a new SAM file holding `state` (refusing to overwrite one) and the SAM on it.
/// [`Protection::Clear`] when no key-encryption key was given: the caller warns.
pub fn create_software_sam<E: Entropy>(
    mut file: SamFile<E>,
    state: SamState,
) -> Result<(SoftwareSam<SamFile<E>>, Protection), SamFileError> {
    file.write(&state, Overwrite::Refuse)?;
    let protection = file.protection();
    Ok((SoftwareSam::new(state, file), protection))
}

/// Loads the SAM from its file. [`Protection::Clear`] when the file is not encrypted: the
/// caller warns.
pub fn load_software_sam<E: Entropy>(
    file: SamFile<E>,
) -> Result<(SoftwareSam<SamFile<E>>, Protection), SamFileError> {
    let state = file.read()?;
    let protection = file.protection();
    Ok((SoftwareSam::new(state, file), protection))
}

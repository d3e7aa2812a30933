//! The crate's one error type, with its variants grouped by what the caller does about them.

use std::path::PathBuf;

/// What a caller does about a [`HubError`]: the CLI maps it to an exit code, the HTTP API to a
/// status class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Fix the input or the configuration and try again (CLI exit code 2, HTTP 4xx).
    BadInput,
    /// Nothing was changed; try again later (the database was busy, the OS had no randomness).
    Unavailable,
    /// The data directory or database is damaged, or this is a bug: an operator must look.
    Broken,
}

/// Why a hub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    // --- Reject the input (ErrorKind::BadInput) ---
    /// A field of a request or command has a value outside its domain.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field, as the request names it.
        field: &'static str,
        /// What is wrong with it (never a secret).
        reason: String,
    },
    /// The thing named does not exist.
    #[error("no {what}")]
    NotFound {
        /// What was looked for, e.g. "participant 7".
        what: String,
    },
    /// The change conflicts with what is already registered (a duplicate id, an issuer id of
    /// another participant).
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts.
        reason: String,
    },
    /// The configuration is unusable (a bad KEK file, a database URL this build cannot open).
    #[error("configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The key-encryption key is not the one the database's keys were sealed under.
    #[error(
        "the key-encryption key ({source_name}) does not open the keys sealed in this \
         database: give the KEK it was created with (--kek-file or JINKA_KEK)"
    )]
    WrongKek {
        /// Where the KEK came from ("JINKA_KEK / --kek-file" or the data directory's file).
        source_name: String,
    },
    /// A file of the data directory could not be read or written.
    #[error(transparent)]
    File(#[from] jinka_secret_file::FileError),

    // --- Retry later (ErrorKind::Unavailable) ---
    /// The database could not do it now (locked, I/O error, disk full).
    #[error("database unavailable: {reason}")]
    Unavailable {
        /// The engine's message.
        reason: String,
    },

    // --- A damaged store or a bug (ErrorKind::Broken) ---
    /// Stored data breaks an invariant of its own (a sealed key set that does not open, a row
    /// out of its domain, a migration changed after it was applied).
    #[error("corrupt data: {what}")]
    Corrupt {
        /// What is wrong, naming the table or file.
        what: String,
    },
}

impl HubError {
    /// What the caller does about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HubError::Invalid { .. }
            | HubError::NotFound { .. }
            | HubError::Conflict { .. }
            | HubError::Config { .. }
            | HubError::WrongKek { .. } => ErrorKind::BadInput,
            HubError::File(jinka_secret_file::FileError::Io { .. }) => ErrorKind::Unavailable,
            HubError::File(_) => ErrorKind::BadInput,
            HubError::Unavailable { .. } => ErrorKind::Unavailable,
            HubError::Corrupt { .. } => ErrorKind::Broken,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> HubError {
        HubError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> HubError {
        HubError::NotFound { what: what.into() }
    }

    pub(crate) fn conflict(reason: impl Into<String>) -> HubError {
        HubError::Conflict {
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> HubError {
        HubError::Corrupt { what: what.into() }
    }

    pub(crate) fn config(reason: impl Into<String>) -> HubError {
        HubError::Config {
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> HubError {
        HubError::File(jinka_secret_file::FileError::Io {
            path: path.into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_group_the_variants() {
        assert_eq!(
            HubError::invalid("name", "empty").kind(),
            ErrorKind::BadInput
        );
        assert_eq!(
            HubError::Unavailable {
                reason: "locked".into()
            }
            .kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(HubError::corrupt("x").kind(), ErrorKind::Broken);
        assert_eq!(
            HubError::invalid("name", "must not be empty").to_string(),
            "`name`: must not be empty"
        );
    }
}

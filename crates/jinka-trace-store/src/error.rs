//! The crate's one error type, grouped by what the caller does about it.

/// What the caller does about a [`StoreError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The input is refused (an event that conflicts with stored ones, a bad query): say
    /// why; nothing changed.
    RejectInput,
    /// Nothing changed; try again later (the database is busy or unreachable).
    Unavailable,
    /// The configuration is unusable (a database URL that does not parse, a newer schema).
    Config,
    /// Stored data breaks its own rules, or this is a bug: an operator must look.
    Broken,
}

/// Why a trace store operation failed. A failed capture changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // --- Reject the input ---
    /// The event at `index` of the batch conflicts with what is stored; the batch is
    /// refused whole.
    #[error("event {index}: {reason}")]
    Event { index: usize, reason: &'static str },
    /// The trace core refused the input (a query parameter, a page token, event ids
    /// exhausted).
    #[error(transparent)]
    Trace(#[from] jinka_trace::Error),

    // --- Retry later ---
    /// The database cannot do it now (locked, unreachable, disk full).
    #[error("trace database unavailable: {reason}")]
    Unavailable { reason: String },

    // --- Configuration ---
    /// The database cannot be used as configured.
    #[error("trace database configuration: {reason}")]
    Config { reason: String },

    // --- Broken ---
    /// Stored data out of its domain, a migration changed after it was applied, or a bug.
    #[error("trace database corrupt: {what}")]
    Corrupt { what: String },
}

impl StoreError {
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            StoreError::Event { .. } => StoreErrorKind::RejectInput,
            StoreError::Trace(error) => match error.kind() {
                jinka_trace::ErrorKind::RejectInput => StoreErrorKind::RejectInput,
                jinka_trace::ErrorKind::CapacityExhausted => StoreErrorKind::Broken,
            },
            StoreError::Unavailable { .. } => StoreErrorKind::Unavailable,
            StoreError::Config { .. } => StoreErrorKind::Config,
            StoreError::Corrupt { .. } => StoreErrorKind::Broken,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { what: what.into() }
    }

    /// A stored value the trace core does not read back.
    pub(crate) fn stored(table: &str, error: jinka_trace::Error) -> StoreError {
        StoreError::corrupt(format!("{table}: {error}"))
    }
}

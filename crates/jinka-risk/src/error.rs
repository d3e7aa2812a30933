//! The crate's one error enum.
//!
//! A rule firing is not an error: it is a [`crate::RiskDecision`]. An error means a
//! configuration, a stored state or a blacklist update could not be taken.

/// Why a configuration, a state or a blacklist operation was refused, grouped by what the
/// caller does about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    // Reject the input: the same input fails the same way.
    /// A configuration value out of its range, or contradicting another.
    #[error("risk configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The setting, as its JSON path (`issuers[].velocity.min_travel_minutes`).
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A configuration that is not JSON of the documented shape (unknown field, wrong type).
    #[error("risk configuration: {0}")]
    ConfigJson(String),
    /// A stored risk state that breaks its own invariants (a duplicate card, a window longer
    /// than its limit).
    #[error("risk state: {0}")]
    InvalidState(&'static str),
    /// A stored risk state (binary) that could not be read: the reader failed (its error's
    /// text). Retry later, or start without the state.
    #[error("risk state: reading failed: {0}")]
    StateRead(String),
    /// A stored blacklist that breaks its invariants (versions not consecutive, a change log
    /// that contradicts the list).
    #[error("blacklist state: {0}")]
    InvalidBlacklist(&'static str),
    /// A blacklist update (binary or JSON) that is not one: bad magic, truncated, unsorted,
    /// an ASN both added and removed.
    #[error("blacklist update: {0}")]
    InvalidUpdate(&'static str),
    /// A delta asked from a version the blacklist has not reached: the asker's list did not
    /// come from this blacklist (or the hub's was restored from an older backup).
    #[error("the blacklist is at version {current}; version {asked} is ahead of it")]
    VersionAhead {
        /// The version asked from.
        asked: u64,
        /// The blacklist's version.
        current: u64,
    },
    /// Listing one more card would pass the blacklist's limit.
    #[error("the blacklist holds at most {max} cards")]
    BlacklistFull {
        /// [`crate::BlacklistLimits::listed_cards_max`].
        max: usize,
    },
}

impl RiskError {
    pub(crate) const fn config(field: &'static str, reason: &'static str) -> RiskError {
        RiskError::InvalidConfig { field, reason }
    }
}

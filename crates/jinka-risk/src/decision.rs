//! What a rule decides, with its evidence and a sentence a person can read.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::rule::{Action, Rule, Subject};

/// The caller's id for a record or a load authorization it showed the evaluator, given back
/// as evidence. Opaque here: the hub chooses the numbering (its row id, or batch key and
/// index packed together) so that it can find the record again.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct RecordId(u64);

impl RecordId {
    /// Wraps the caller's number.
    pub const fn new(id: u64) -> RecordId {
        RecordId(id)
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A rule fired. The hub stores it (rule, action, subject, evidence, time, explanation),
/// carries out its [`Action`], and lists and explains it by API and CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDecision {
    /// Which rule.
    pub rule: Rule,
    /// What to do (the rule's configured action for the card's issuer, or the network's).
    pub action: Action,
    /// The card or terminal it acts on.
    pub subject: Subject,
    /// The records (and load authorizations) that made the rule fire, by the caller's ids,
    /// oldest first; each rule's documentation says which.
    pub evidence: Vec<RecordId>,
    /// When it fired: the hub's time (epoch ms) given with the observation or tick that made
    /// it fire.
    pub at_ms: i64,
    /// One sentence that says why, with the figures.
    pub explanation: String,
}

/// An amount in fen, shown in yuan: `1050.00`.
pub(crate) struct Yuan(pub(crate) u64);

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A duration in milliseconds, shown in seconds below a minute, then in whole minutes (or
/// hours when whole).
pub(crate) struct Minutes(pub(crate) i64);

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = self.0 / 60_000;
        match minutes {
            0 => write!(f, "{} seconds", self.0 / 1000),
            1 => f.write_str("1 minute"),
            m if m >= 120 && m % 60 == 0 => write!(f, "{} hours", m / 60),
            m => write!(f, "{m} minutes"),
        }
    }
}

//! The hub's answer for one uploaded record (`hub.md` § Offline batch ingest): accepted, with
//! flags that do not reject it, or rejected with one reason code.

use core::fmt;

use serde::{Serialize, Serializer};

/// Why a record was rejected. The codes (`code`, `Display`, serde) are the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The record could not be read, or its fields contradict each other or the card's
    /// registry entry (issuer id), or describe a balance no card can have.
    Malformed,
    /// Its terminal is not in the registry.
    UnknownTerminal,
    /// Its terminal belongs to another acquirer than the uploader.
    NotYourTerminal,
    /// Its card is not in the registry.
    UnknownCard,
    /// Its card is closed: nothing more is cleared on it.
    CardClosed,
    /// The TAC does not verify under the card's issuer key (forged or corrupted), or names a
    /// key version or profile the issuer does not have for this card.
    BadTac,
    /// The same (ASN, counter kind, ATC), or the same purchase (ASN, terminal, terminal serial),
    /// was already accepted: a replayed record.
    Duplicate,
}

/// Every reject reason, in the order the checks run.
pub const REJECT_REASONS: [RejectReason; 7] = [
    RejectReason::Malformed,
    RejectReason::UnknownTerminal,
    RejectReason::NotYourTerminal,
    RejectReason::UnknownCard,
    RejectReason::CardClosed,
    RejectReason::BadTac,
    RejectReason::Duplicate,
];

impl RejectReason {
    /// The reason code: `bad_tac`, `duplicate`, `unknown_card`, `unknown_terminal`,
    /// `not_your_terminal`, `malformed`, `card_closed`.
    pub const fn code(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed",
            RejectReason::UnknownTerminal => "unknown_terminal",
            RejectReason::NotYourTerminal => "not_your_terminal",
            RejectReason::UnknownCard => "unknown_card",
            RejectReason::CardClosed => "card_closed",
            RejectReason::BadTac => "bad_tac",
            RejectReason::Duplicate => "duplicate",
        }
    }

    /// The reason's position in [`REJECT_REASONS`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something an accepted record shows that risk control should look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The record's ATC is past the next expected one: records before it are missing.
    CounterGap,
    /// Its balance does not follow from the card's known chain: a cloned or tampered card.
    BalanceDiscontinuity,
    /// The card was hotlisted or blocked when the record arrived.
    HotlistedCardUsed,
}

/// Every flag.
pub const FLAGS: [Flag; 3] = [
    Flag::CounterGap,
    Flag::BalanceDiscontinuity,
    Flag::HotlistedCardUsed,
];

impl Flag {
    /// The flag code: `counter_gap`, `balance_discontinuity`, `hotlisted_card_used`.
    pub const fn code(self) -> &'static str {
        match self {
            Flag::CounterGap => "counter_gap",
            Flag::BalanceDiscontinuity => "balance_discontinuity",
            Flag::HotlistedCardUsed => "hotlisted_card_used",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A set of [`Flag`]s; serializes as the list of their codes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);

    /// The set with `flag` added.
    #[must_use]
    pub const fn with(self, flag: Flag) -> Flags {
        Flags(self.0 | flag.bit())
    }

    /// Whether `flag` is in the set.
    pub const fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of the set, in [`FLAGS`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        FLAGS.into_iter().filter(move |flag| self.contains(*flag))
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(flags: I) -> Flags {
        flags.into_iter().fold(Flags::NONE, Flags::with)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Flag::code)).finish()
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The decision on one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Accepted: it will be cleared. The flags do not change that.
    Accepted {
        /// What risk control should look at.
        flags: Flags,
    },
    /// Rejected: it will not be cleared.
    Rejected {
        /// Why.
        reason: RejectReason,
    },
}

impl Decision {
    /// Whether the record was accepted.
    pub const fn is_accepted(self) -> bool {
        matches!(self, Decision::Accepted { .. })
    }

    /// The reject reason, if rejected.
    pub const fn reason(self) -> Option<RejectReason> {
        match self {
            Decision::Accepted { .. } => None,
            Decision::Rejected { reason } => Some(reason),
        }
    }

    /// The flags (none when rejected).
    pub const fn flags(self) -> Flags {
        match self {
            Decision::Accepted { flags } => flags,
            Decision::Rejected { .. } => Flags::NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_api_s() {
        let codes: Vec<_> = REJECT_REASONS.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "malformed",
                "unknown_terminal",
                "not_your_terminal",
                "unknown_card",
                "card_closed",
                "bad_tac",
                "duplicate"
            ]
        );
        for (index, reason) in REJECT_REASONS.iter().enumerate() {
            assert_eq!(reason.index(), index);
        }
        let decision = Decision::Rejected {
            reason: RejectReason::NotYourTerminal,
        };
        assert_eq!(
            serde_json::to_string(&decision).unwrap(),
            r#"{"decision":"rejected","reason":"not_your_terminal"}"#
        );
        let flags: Flags = [Flag::HotlistedCardUsed, Flag::CounterGap]
            .into_iter()
            .collect();
        assert_eq!(
            serde_json::to_string(&Decision::Accepted { flags }).unwrap(),
            r#"{"decision":"accepted","flags":["counter_gap","hotlisted_card_used"]}"#
        );
        assert_eq!(
            format!("{flags:?}"),
            r#"{"counter_gap", "hotlisted_card_used"}"#
        );
        assert!(!flags.contains(Flag::BalanceDiscontinuity));
        assert!(Flags::NONE.is_empty());
    }
}

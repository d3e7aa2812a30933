//! What the evaluator keeps per card: one table entry, so a record costs one lookup.

use serde::{Deserialize, Serialize};

use crate::daily_spend::{SpendDays, days_hold};
use crate::quiet_period::QuietPeriod;
use crate::state_table::Touched;
use crate::velocity::Sighting;

/// A card's state across its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CardState {
    /// When the hub last showed the evaluator something of the card (epoch ms).
    pub(crate) touched_at_ms: i64,
    /// Daily spend: the card's latest days.
    pub(crate) days: SpendDays,
    /// Velocity: where and when the card was last seen.
    pub(crate) sighting: Option<Sighting>,
    /// Velocity's quiet period.
    pub(crate) velocity_quiet: QuietPeriod,
    /// Balance discontinuity's quiet period.
    pub(crate) discontinuity_quiet: QuietPeriod,
}

impl Default for CardState {
    fn default() -> CardState {
        CardState {
            touched_at_ms: i64::MIN,
            days: [None; crate::daily_spend::SPEND_DAYS_PER_CARD],
            sighting: None,
            velocity_quiet: QuietPeriod::default(),
            discontinuity_quiet: QuietPeriod::default(),
        }
    }
}

impl Touched for CardState {
    fn touched_at_ms(&self) -> i64 {
        self.touched_at_ms
    }
}

impl CardState {
    /// Marks the card seen at `at_ms` (the hub's clock may repeat a time; it never takes
    /// the card back).
    pub(crate) fn touch(&mut self, at_ms: i64) {
        self.touched_at_ms = self.touched_at_ms.max(at_ms);
    }

    /// Whether the state can go: untouched for `idle_ms` and no quiet period running.
    pub(crate) fn idle(&self, idle_ms: i64, at_ms: i64) -> bool {
        self.touched_at_ms.saturating_add(idle_ms) <= at_ms
            && !self.velocity_quiet.runs_at(at_ms)
            && !self.discontinuity_quiet.runs_at(at_ms)
    }

    /// Whether a stored state is possible.
    pub(crate) fn holds(&self) -> bool {
        days_hold(&self.days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`crate::RiskSettings`] promises about 220 bytes a card: the 192-byte table entry (ASN
    /// and state), and the hash table's control byte and spare room.
    #[test]
    fn a_card_entry_stays_within_192_bytes() {
        assert!(size_of::<(jinka_clearing::Asn, CardState)>() <= 192);
    }
}

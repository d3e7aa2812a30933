//! What the evaluator keeps per card: one table entry, so a record costs one lookup.
//!
//! A network holds a million cards or more, so a card's state is kept small (120 bytes): a
//! day's evidence ring in 24 bytes ([`SpendEvidence`]), its day number beside its `fired`
//! bit, and the quiet periods (which few cards ever have) out of line. [`StoredCard`] is the
//! same state as plain data, as it is stored and checked when taken back.
//!
//! [`SpendEvidence`]: crate::spend_evidence::SpendEvidence

use serde::{Deserialize, Serialize};

use crate::daily_spend::{DayFigures, DaySpend, SPEND_DAYS_PER_CARD, SpendDays, days_hold};
use crate::error::RiskError;
use crate::quiet_period::QuietPeriod;
use crate::state_table::Touched;
use crate::velocity::Sighting;

/// A card's state across its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CardState {
    /// When the hub last showed the evaluator something of the card (epoch ms).
    pub(crate) touched_at_ms: i64,
    /// Daily spend: the card's latest days.
    pub(crate) days: SpendDays,
    /// Velocity: where and when the card was last seen.
    pub(crate) sighting: Option<Sighting>,
    /// Velocity's and balance discontinuity's quiet periods.
    pub(crate) quiet: CardQuiet,
}

impl Default for CardState {
    fn default() -> CardState {
        CardState {
            touched_at_ms: i64::MIN,
            days: [None, None],
            sighting: None,
            quiet: CardQuiet::default(),
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
            && !self.quiet.velocity().runs_at(at_ms)
            && !self.quiet.discontinuity().runs_at(at_ms)
    }
}

/// A card's two quiet periods, out of line: a card has them only once velocity or balance
/// discontinuity held for it, and most never do.
#[derive(Clone, Debug, Default)]
pub(crate) struct CardQuiet(Option<Box<[QuietPeriod; 2]>>);

impl PartialEq for CardQuiet {
    /// The same periods, kept out of line or not.
    fn eq(&self, other: &CardQuiet) -> bool {
        (self.velocity(), self.discontinuity()) == (other.velocity(), other.discontinuity())
    }
}

impl Eq for CardQuiet {}

impl CardQuiet {
    const VELOCITY: usize = 0;
    const DISCONTINUITY: usize = 1;

    fn of(velocity: QuietPeriod, discontinuity: QuietPeriod) -> CardQuiet {
        let none = QuietPeriod::default();
        if velocity == none && discontinuity == none {
            return CardQuiet(None);
        }
        CardQuiet(Some(Box::new([velocity, discontinuity])))
    }

    fn get(&self, which: usize) -> QuietPeriod {
        let periods = self.0.as_deref();
        periods
            .and_then(|p| p.get(which))
            .copied()
            .unwrap_or_default()
    }

    /// Velocity's quiet period.
    pub(crate) fn velocity(&self) -> QuietPeriod {
        self.get(CardQuiet::VELOCITY)
    }

    /// Balance discontinuity's quiet period.
    pub(crate) fn discontinuity(&self) -> QuietPeriod {
        self.get(CardQuiet::DISCONTINUITY)
    }

    fn get_mut(&mut self, which: usize) -> &mut QuietPeriod {
        let periods = self.0.get_or_insert_with(Box::default);
        &mut periods[which]
    }

    /// Velocity's quiet period, to change (taking room for both periods on first use).
    pub(crate) fn velocity_mut(&mut self) -> &mut QuietPeriod {
        self.get_mut(CardQuiet::VELOCITY)
    }

    /// Balance discontinuity's quiet period, to change.
    pub(crate) fn discontinuity_mut(&mut self) -> &mut QuietPeriod {
        self.get_mut(CardQuiet::DISCONTINUITY)
    }
}

/// A card's state as plain data: its JSON form in a [`crate::RiskState`] and the fields of
/// its binary form (both as they were before the state was packed), checked by
/// [`CardState::try_from`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCard {
    /// When the hub last showed the evaluator something of the card (epoch ms).
    pub(crate) touched_at_ms: i64,
    /// Daily spend: the card's latest days.
    pub(crate) days: [Option<DayFigures>; SPEND_DAYS_PER_CARD],
    /// Velocity: where and when the card was last seen.
    pub(crate) sighting: Option<StoredSighting>,
    /// Velocity's quiet period.
    pub(crate) velocity_quiet: QuietPeriod,
    /// Balance discontinuity's quiet period.
    pub(crate) discontinuity_quiet: QuietPeriod,
}

/// A [`Sighting`] as plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredSighting {
    /// The region code of the terminal.
    pub(crate) region: u32,
    /// The record's (or load request's) date and time, in seconds (`civil_time`).
    pub(crate) time_s: i64,
    /// The caller's id of the record or authorization.
    pub(crate) id: crate::decision::RecordId,
}

impl From<&CardState> for StoredCard {
    fn from(card: &CardState) -> StoredCard {
        StoredCard {
            touched_at_ms: card.touched_at_ms,
            days: [0, 1].map(|index| {
                let day = card.days.get(index).and_then(Option::as_ref);
                day.map(DaySpend::figures)
            }),
            sighting: card.sighting.map(|sighting| StoredSighting {
                region: sighting.region,
                time_s: sighting.time_s,
                id: sighting.id,
            }),
            velocity_quiet: card.quiet.velocity(),
            discontinuity_quiet: card.quiet.discontinuity(),
        }
    }
}

impl TryFrom<&StoredCard> for CardState {
    type Error = RiskError;

    /// The state, when it is one an evaluator could have: days counted, distinct, and dated
    /// within [`crate::daily_spend::DAY_NUMBER_RANGE`].
    fn try_from(stored: &StoredCard) -> Result<CardState, RiskError> {
        if !days_hold(&stored.days) {
            return Err(RiskError::InvalidState(
                "a card's days must be distinct and counted",
            ));
        }
        let day = |figures: &Option<DayFigures>| match figures {
            Some(figures) => DaySpend::of(figures)
                .map(Some)
                .ok_or(RiskError::InvalidState(
                    "a card's day number is out of range",
                )),
            None => Ok(None),
        };
        let [first, second] = &stored.days;
        Ok(CardState {
            touched_at_ms: stored.touched_at_ms,
            days: [day(first)?, day(second)?],
            sighting: (stored.sighting)
                .map(|seen| Sighting::new(seen.region, seen.time_s, seen.id)),
            quiet: CardQuiet::of(stored.velocity_quiet, stored.discontinuity_quiet),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::RecordId;

    /// [`crate::RiskSettings`] promises about 150 bytes a card: the 120-byte state in the
    /// table's slots, and its ASN and slot index (12 bytes) in a hash table, whose buckets
    /// are at most twice the entries.
    #[test]
    fn a_card_state_stays_within_120_bytes() {
        assert_eq!(size_of::<Option<DaySpend>>(), 40);
        assert_eq!(size_of::<Option<Sighting>>(), 24);
        assert_eq!(size_of::<CardQuiet>(), 8);
        assert!(size_of::<CardState>() <= 120);
        assert!(size_of::<(jinka_clearing::Asn, u32)>() <= 12);
    }

    #[test]
    fn a_stored_card_comes_back_as_it_was_or_is_refused() {
        let figures = DayFigures {
            day: 20_419,
            purchases: 5,
            spent_fen: 100_001,
            fired: true,
            recent: [7, 1 << 63, 5, 6].map(RecordId::new),
        };
        let stored = StoredCard {
            touched_at_ms: 1_795_000_000_000,
            days: [None, Some(figures)],
            sighting: Some(StoredSighting {
                region: 310_000,
                time_s: -5,
                id: RecordId::new(u64::MAX),
            }),
            velocity_quiet: QuietPeriod::default(),
            discontinuity_quiet: QuietPeriod(Some(i64::MIN)),
        };
        let card = CardState::try_from(&stored).unwrap();
        assert_eq!(StoredCard::from(&card), stored);
        for day in [i64::from(i32::MAX), -(1 << 30) - 1, 1 << 30] {
            let mut far = stored.clone();
            far.days[1] = Some(DayFigures { day, ..figures });
            assert_eq!(
                CardState::try_from(&far),
                Err(RiskError::InvalidState(
                    "a card's day number is out of range"
                ))
            );
        }
        let mut edge = stored.clone();
        let (mut latest, mut earliest) = (figures, figures);
        (latest.day, earliest.day) = ((1 << 30) - 1, -(1 << 30));
        edge.days = [Some(latest), Some(earliest)];
        let card = CardState::try_from(&edge).unwrap();
        assert_eq!(StoredCard::from(&card), edge);
        assert_eq!(StoredCard::from(&CardState::default()).days, [None, None]);
    }
}

//! What the hub knows of one of a card's transaction counters: the highest ATC accepted and
//! the ATCs below it still missing (counter gaps), as sorted, disjoint ranges.

use serde::{Deserialize, Serialize};

use crate::error::ClearingError;
use crate::view::ChainPoint;

/// An inclusive range of ATC values, `first ≤ last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "AtcRangeWire", into = "AtcRangeWire")]
pub struct AtcRange {
    first: u16,
    last: u16,
}

#[derive(Serialize, Deserialize)]
struct AtcRangeWire {
    first: u16,
    last: u16,
}

impl AtcRange {
    /// The range `first..=last`.
    pub const fn new(first: u16, last: u16) -> Result<AtcRange, ClearingError> {
        if first > last {
            return Err(ClearingError::InvalidAtcRange);
        }
        Ok(AtcRange { first, last })
    }

    /// The first ATC of the range.
    pub const fn first(self) -> u16 {
        self.first
    }

    /// The last ATC of the range.
    pub const fn last(self) -> u16 {
        self.last
    }

    /// Whether `atc` is in the range.
    pub const fn contains(self, atc: u16) -> bool {
        self.first <= atc && atc <= self.last
    }

    /// How many ATCs the range holds (1 to 65536).
    pub const fn len(self) -> u32 {
        self.last as u32 - self.first as u32 + 1
    }

    /// Always false: a range holds at least one ATC.
    pub const fn is_empty(self) -> bool {
        false
    }
}

impl TryFrom<AtcRangeWire> for AtcRange {
    type Error = ClearingError;

    fn try_from(wire: AtcRangeWire) -> Result<AtcRange, ClearingError> {
        AtcRange::new(wire.first, wire.last)
    }
}

impl From<AtcRange> for AtcRangeWire {
    fn from(range: AtcRange) -> AtcRangeWire {
        AtcRangeWire {
            first: range.first,
            last: range.last,
        }
    }
}

/// One counter of one card, as accepted records have shown it.
///
/// A genuine card uses every value of a counter once, in order (`card.md`: the offline ATC
/// advances with each purchase, the online ATC with each load). So every ATC at or below the
/// highest accepted one is either accepted or missing; a missing ATC is a record the hub has
/// not received yet (a terminal still offline, a lost upload) and stays in a gap until it
/// arrives. A new card starts at ATC 0: its first record at ATC `n > 0` opens the gap `0..n-1`.
///
/// The state may also know the balances of the record at the highest ATC
/// ([`CounterState::highest_point`]): the neighbour a new record's balance chain is checked
/// against, kept here so the check reads no stored record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CounterState {
    highest: Option<u16>,
    /// Sorted, disjoint, not touching each other, all below `highest`.
    gaps: Vec<AtcRange>,
    /// The balances of the accepted record at `highest`; `None` when not known (a state
    /// stored before they were kept, or moved by [`CounterState::accept`]).
    highest_point: Option<ChainPoint>,
}

/// What accepting one ATC did to a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterStep {
    /// The next ATC after the highest: nothing missing.
    Next,
    /// Past the next one: the ATCs between are now missing (the `counter_gap` flag).
    OpenedGap(AtcRange),
    /// A missing ATC arrived late and left its gap.
    FilledGap,
}

impl CounterState {
    /// The state of a counter no accepted record has used yet.
    pub const fn new() -> CounterState {
        CounterState {
            highest: None,
            gaps: Vec::new(),
            highest_point: None,
        }
    }

    /// A state as the storage layer kept it; refused unless `gaps` are sorted, disjoint, not
    /// touching and all below `highest`.
    pub fn from_parts(
        highest: Option<u16>,
        gaps: Vec<AtcRange>,
    ) -> Result<CounterState, ClearingError> {
        let below_highest = match (highest, gaps.last()) {
            (_, None) => true,
            (Some(highest), Some(last)) => last.last < highest,
            (None, Some(_)) => false,
        };
        let separated = gaps
            .windows(2)
            .all(|pair| u32::from(pair[0].last) + 1 < u32::from(pair[1].first));
        if !below_highest || !separated {
            return Err(ClearingError::InconsistentState(
                "counter gaps must be sorted, separated and below the highest ATC",
            ));
        }
        Ok(CounterState {
            highest,
            gaps,
            highest_point: None,
        })
    }

    /// This state knowing `point` as the balances of the record at its highest ATC (`None`:
    /// not known). Refused when there is no highest ATC to have balances.
    pub fn with_highest_point(
        self,
        point: Option<ChainPoint>,
    ) -> Result<CounterState, ClearingError> {
        if point.is_some() && self.highest.is_none() {
            return Err(ClearingError::InconsistentState(
                "a counter with no accepted ATC has no balances at its highest",
            ));
        }
        Ok(CounterState {
            highest_point: point,
            ..self
        })
    }

    /// The highest ATC accepted, if any.
    pub const fn highest(&self) -> Option<u16> {
        self.highest
    }

    /// The balances of the accepted record at the highest ATC, when known.
    pub const fn highest_point(&self) -> Option<ChainPoint> {
        self.highest_point
    }

    /// The balances of the accepted record at `atc`, when this state knows them (it knows
    /// only the highest's).
    pub fn point_at(&self, atc: u16) -> Option<ChainPoint> {
        self.highest_point.filter(|_| self.highest == Some(atc))
    }

    /// The missing ATCs below the highest, as sorted disjoint ranges.
    pub fn gaps(&self) -> &[AtcRange] {
        &self.gaps
    }

    /// How many ATCs are missing.
    pub fn missing(&self) -> u32 {
        self.gaps.iter().map(|gap| gap.len()).sum()
    }

    /// The index of the gap holding `atc`.
    fn gap_of(&self, atc: u16) -> Option<usize> {
        let index = self.gaps.partition_point(|gap| gap.last < atc);
        self.gaps
            .get(index)
            .filter(|gap| gap.contains(atc))
            .map(|_| index)
    }

    /// Whether an accepted record has used `atc`: at or below the highest and in no gap.
    pub fn is_used(&self, atc: u16) -> bool {
        self.highest.is_some_and(|highest| atc <= highest) && self.gap_of(atc).is_none()
    }

    /// Marks `atc` used, by the record whose balances are `point`. `None` when it already was
    /// (the caller's duplicate check should have caught that: the view and the counter
    /// disagree).
    pub fn accept_record(&mut self, atc: u16, point: ChainPoint) -> Option<CounterStep> {
        let step = self.accept(atc)?;
        if self.highest == Some(atc) {
            self.highest_point = Some(point);
        }
        Some(step)
    }

    /// Marks `atc` used. `None` when it already was (the caller's duplicate check should have
    /// caught that: the view and the counter disagree). A new highest ATC's balances are not
    /// known ([`CounterState::accept_record`] keeps them).
    pub fn accept(&mut self, atc: u16) -> Option<CounterStep> {
        let next = match self.highest {
            None => 0,
            Some(highest) if atc > highest => highest + 1,
            Some(_) => return self.fill(atc),
        };
        self.highest = Some(atc);
        self.highest_point = None;
        if atc == next {
            return Some(CounterStep::Next);
        }
        let gap = AtcRange {
            first: next,
            last: atc - 1,
        };
        self.gaps.push(gap);
        Some(CounterStep::OpenedGap(gap))
    }

    fn fill(&mut self, atc: u16) -> Option<CounterStep> {
        let index = self.gap_of(atc)?;
        let gap = self.gaps[index];
        match (atc == gap.first, atc == gap.last) {
            (true, true) => {
                self.gaps.remove(index);
            }
            (true, false) => self.gaps[index].first = atc + 1,
            (false, true) => self.gaps[index].last = atc - 1,
            (false, false) => {
                self.gaps[index].last = atc - 1;
                let upper = AtcRange {
                    first: atc + 1,
                    last: gap.last,
                };
                self.gaps.insert(index + 1, upper);
            }
        }
        Some(CounterStep::FilledGap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: u16, last: u16) -> AtcRange {
        AtcRange::new(first, last).unwrap()
    }

    #[test]
    fn in_order_use_opens_no_gap() {
        let mut counter = CounterState::new();
        for atc in 0..5 {
            assert_eq!(counter.accept(atc), Some(CounterStep::Next));
        }
        assert_eq!(counter.highest(), Some(4));
        assert!(counter.gaps().is_empty());
        assert_eq!(counter.accept(3), None);
        assert!(counter.is_used(0) && counter.is_used(4) && !counter.is_used(5));
    }

    #[test]
    fn gaps_open_split_and_close() {
        let mut counter = CounterState::new();
        assert_eq!(counter.accept(2), Some(CounterStep::OpenedGap(range(0, 1))));
        assert_eq!(counter.accept(9), Some(CounterStep::OpenedGap(range(3, 8))));
        assert_eq!(counter.gaps(), [range(0, 1), range(3, 8)]);
        assert_eq!(counter.missing(), 8);
        assert_eq!(counter.accept(5), Some(CounterStep::FilledGap));
        assert_eq!(counter.gaps(), [range(0, 1), range(3, 4), range(6, 8)]);
        for atc in [0, 1, 3, 4, 6, 8, 7] {
            assert_eq!(counter.accept(atc), Some(CounterStep::FilledGap));
        }
        assert!(counter.gaps().is_empty());
        assert_eq!(counter.accept(5), None);
        assert_eq!(
            counter.accept(u16::MAX),
            Some(CounterStep::OpenedGap(range(10, u16::MAX - 1)))
        );
        assert_eq!(counter.gaps()[0].len(), 65_525);
    }

    fn point(before: u32, after: u32) -> ChainPoint {
        ChainPoint {
            balance_before_fen: before,
            balance_after_fen: after,
        }
    }

    #[test]
    fn the_highest_records_balances_follow_the_highest_atc() {
        let mut counter = CounterState::new();
        assert_eq!(
            counter.accept_record(0, point(500, 400)),
            Some(CounterStep::Next)
        );
        assert_eq!(counter.point_at(0), Some(point(500, 400)));
        assert_eq!(
            counter.accept_record(3, point(300, 250)),
            Some(CounterStep::OpenedGap(range(1, 2)))
        );
        assert_eq!(counter.highest_point(), Some(point(300, 250)));
        assert_eq!(
            counter.point_at(0),
            None,
            "only the highest's balances are kept"
        );
        // A late record below the highest leaves the highest's balances.
        assert_eq!(
            counter.accept_record(1, point(400, 350)),
            Some(CounterStep::FilledGap)
        );
        assert_eq!(counter.point_at(3), Some(point(300, 250)));
        assert_eq!(counter.point_at(1), None);
        // A duplicate changes nothing.
        assert_eq!(counter.accept_record(3, point(1, 1)), None);
        assert_eq!(counter.point_at(3), Some(point(300, 250)));
        // Moved without balances, the state no longer claims to know them.
        assert_eq!(counter.accept(4), Some(CounterStep::Next));
        assert_eq!(counter.highest_point(), None);
        assert_eq!(counter.point_at(4), None);
    }

    #[test]
    fn stored_balances_need_a_highest_atc() {
        let stored = CounterState::from_parts(Some(7), Vec::new()).unwrap();
        assert_eq!(stored.highest_point(), None);
        let known = stored.with_highest_point(Some(point(10, 5))).unwrap();
        assert_eq!(known.point_at(7), Some(point(10, 5)));
        assert!(
            CounterState::new()
                .with_highest_point(Some(point(10, 5)))
                .is_err()
        );
        assert_eq!(
            CounterState::new().with_highest_point(None),
            Ok(CounterState::new())
        );
    }

    #[test]
    fn stored_states_are_checked() {
        assert!(CounterState::from_parts(Some(9), vec![range(0, 1), range(3, 8)]).is_ok());
        for (highest, gaps) in [
            (None, vec![range(0, 1)]),
            (Some(8), vec![range(3, 8)]),
            (Some(9), vec![range(0, 2), range(3, 4)]),
            (Some(9), vec![range(3, 4), range(0, 1)]),
        ] {
            assert!(CounterState::from_parts(highest, gaps).is_err());
        }
        assert_eq!(AtcRange::new(2, 1), Err(ClearingError::InvalidAtcRange));
    }
}

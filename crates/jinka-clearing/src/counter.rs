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
/// ([`CounterState::highest_point`]) and of the records at the edges of its gaps
/// ([`CounterState::edge_points`]): the neighbours a new record's balance chain is checked
/// against, whether it comes next or fills a gap, kept here so the check reads no stored
/// record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CounterState {
    highest: Option<u16>,
    /// Sorted, disjoint, not touching each other, all below `highest`.
    gaps: Vec<AtcRange>,
    /// The balances of the accepted record at `highest`; `None` when not known (a state
    /// stored before they were kept, or moved by [`CounterState::accept`]).
    highest_point: Option<ChainPoint>,
    /// The balances of accepted records below `highest` next to a gap (at a gap's
    /// `first - 1` or `last + 1`), sorted by ATC; an edge missing here is not known.
    edges: Vec<AtcPoint>,
}

/// The balances of the accepted record at one ATC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AtcPoint {
    /// The record's ATC.
    pub atc: u16,
    /// Its balances.
    pub point: ChainPoint,
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
            edges: Vec::new(),
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
            edges: Vec::new(),
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

    /// This state knowing `edges` as the balances of records at the edges of its gaps.
    /// Refused unless they are sorted by ATC, each at most once, and each is at an edge of a
    /// gap (the accepted ATC just before or just after one) below the highest ATC.
    pub fn with_edge_points(self, edges: Vec<AtcPoint>) -> Result<CounterState, ClearingError> {
        let sorted = edges.windows(2).all(|pair| pair[0].atc < pair[1].atc);
        let at_edges = edges.iter().all(|edge| self.is_edge(edge.atc));
        if !sorted || !at_edges {
            return Err(ClearingError::InconsistentState(
                "a counter's edge balances must be sorted and at the edges of its gaps",
            ));
        }
        Ok(CounterState { edges, ..self })
    }

    /// The highest ATC accepted, if any.
    pub const fn highest(&self) -> Option<u16> {
        self.highest
    }

    /// The balances of the accepted record at the highest ATC, when known.
    pub const fn highest_point(&self) -> Option<ChainPoint> {
        self.highest_point
    }

    /// The balances of the records at the edges of the gaps that this state knows, sorted
    /// by ATC (the highest's are [`CounterState::highest_point`]).
    pub fn edge_points(&self) -> &[AtcPoint] {
        &self.edges
    }

    /// The balances of the accepted record at `atc`, when this state knows them (it knows
    /// the highest's and those at the edges of its gaps).
    pub fn point_at(&self, atc: u16) -> Option<ChainPoint> {
        if self.highest == Some(atc) {
            return self.highest_point;
        }
        self.edges
            .binary_search_by_key(&atc, |edge| edge.atc)
            .ok()
            .map(|index| self.edges[index].point)
    }

    /// Whether `atc` is used, below the highest, and next to a gap.
    fn is_edge(&self, atc: u16) -> bool {
        let below_highest = self.highest.is_some_and(|highest| atc < highest);
        // The first gap past `atc`, and the one before it.
        let index = self.gaps.partition_point(|gap| gap.last < atc);
        let gap_after = self
            .gaps
            .get(index)
            .is_some_and(|gap| u32::from(gap.first) == u32::from(atc) + 1);
        let gap_before = index
            .checked_sub(1)
            .and_then(|before| self.gaps.get(before))
            .is_some_and(|gap| u32::from(gap.last) + 1 == u32::from(atc));
        below_highest && self.is_used(atc) && (gap_after || gap_before)
    }

    /// Keeps `point` as the balances at `atc` if that is an edge, and forgets those of ATCs
    /// that no longer are.
    fn keep_edges(&mut self, known: Option<AtcPoint>) {
        if let Some(known) = known
            && let Err(index) = self.edges.binary_search_by_key(&known.atc, |edge| edge.atc)
        {
            self.edges.insert(index, known);
        }
        let mut edges = std::mem::take(&mut self.edges);
        edges.retain(|edge| self.is_edge(edge.atc));
        self.edges = edges;
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
        } else {
            self.keep_edges(Some(AtcPoint { atc, point }));
        }
        Some(step)
    }

    /// Marks `atc` used. `None` when it already was (the caller's duplicate check should have
    /// caught that: the view and the counter disagree). A new highest ATC's balances are not
    /// known ([`CounterState::accept_record`] keeps them).
    pub fn accept(&mut self, atc: u16) -> Option<CounterStep> {
        let previous = self
            .highest
            .zip(self.highest_point)
            .map(|(atc, point)| AtcPoint { atc, point });
        let step = self.mark_used(atc)?;
        // The previous highest record may now border the gap this one opened; a filled
        // gap's edges may border nothing any more.
        self.keep_edges(previous.filter(|previous| self.highest != Some(previous.atc)));
        Some(step)
    }

    fn mark_used(&mut self, atc: u16) -> Option<CounterStep> {
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
            Some(point(500, 400)),
            "the record before the gap 1..=2"
        );
        // A late record below the highest leaves the highest's balances.
        assert_eq!(
            counter.accept_record(1, point(400, 350)),
            Some(CounterStep::FilledGap)
        );
        assert_eq!(counter.point_at(3), Some(point(300, 250)));
        assert_eq!(
            counter.point_at(1),
            Some(point(400, 350)),
            "before the gap 2..=2"
        );
        assert_eq!(counter.point_at(0), None, "next to no gap any more");
        // A duplicate changes nothing.
        assert_eq!(counter.accept_record(3, point(1, 1)), None);
        assert_eq!(counter.point_at(3), Some(point(300, 250)));
        // Moved without balances, the state no longer claims to know them.
        assert_eq!(counter.accept(4), Some(CounterStep::Next));
        assert_eq!(counter.highest_point(), None);
        assert_eq!(counter.point_at(4), None);
    }

    fn edge(atc: u16, before: u32, after: u32) -> AtcPoint {
        AtcPoint {
            atc,
            point: point(before, after),
        }
    }

    #[test]
    fn the_balances_at_each_gaps_edges_are_kept_while_the_gap_is() {
        let mut counter = CounterState::new();
        counter.accept_record(2, point(1_000, 900));
        assert_eq!(
            counter.edge_points(),
            [],
            "a gap below the first record has no edge before it"
        );
        // 3 follows 2; 10 opens 4..=9 above 3; 20 opens 11..=19 above 10.
        counter.accept_record(3, point(900, 800));
        counter.accept_record(10, point(500, 450));
        counter.accept_record(20, point(300, 200));
        assert_eq!(counter.gaps(), [range(0, 1), range(4, 9), range(11, 19)]);
        assert_eq!(
            counter.edge_points(),
            [edge(2, 1_000, 900), edge(3, 900, 800), edge(10, 500, 450)]
        );
        assert_eq!(counter.point_at(20), Some(point(300, 200)), "the highest");
        // 6 splits 4..=9: it borders both halves.
        assert_eq!(
            counter.accept_record(6, point(700, 650)),
            Some(CounterStep::FilledGap)
        );
        assert_eq!(counter.point_at(6), Some(point(700, 650)));
        // 4 and 5 close the lower half: 3 and 6 no longer border it, 6 borders 7..=9.
        counter.accept_record(4, point(800, 750));
        counter.accept_record(5, point(750, 700));
        assert_eq!(counter.gaps(), [range(0, 1), range(7, 9), range(11, 19)]);
        assert_eq!(
            counter.edge_points(),
            [edge(2, 1_000, 900), edge(6, 700, 650), edge(10, 500, 450)]
        );
        // Accepted without balances, an edge is not known.
        assert_eq!(counter.accept(9), Some(CounterStep::FilledGap));
        assert_eq!(counter.point_at(9), None);
        assert_eq!(
            counter.point_at(10),
            Some(point(500, 450)),
            "before 11..=19"
        );
        // Past the highest, its balances stay known while it is an edge: 20 after 11..=19,
        // 21 before 22..=24.
        counter.accept_record(21, point(200, 150));
        counter.accept_record(25, point(150, 100));
        assert_eq!(counter.point_at(20), Some(point(300, 200)));
        assert_eq!(counter.point_at(21), Some(point(200, 150)));
        // Filling 11..=19 whole leaves 10 and 20 next to no gap.
        for atc in 11..20 {
            counter.accept(atc);
        }
        assert_eq!((counter.point_at(10), counter.point_at(20)), (None, None));
        assert_eq!(
            counter.edge_points(),
            [edge(2, 1_000, 900), edge(6, 700, 650), edge(21, 200, 150)]
        );
        // Stored and read back, the edges are checked against the gaps.
        let stored = CounterState::from_parts(counter.highest(), counter.gaps().to_vec())
            .and_then(|state| state.with_highest_point(counter.highest_point()))
            .and_then(|state| state.with_edge_points(counter.edge_points().to_vec()))
            .unwrap();
        assert_eq!(stored, counter);
        let base = || CounterState::from_parts(Some(9), vec![range(3, 5)]).unwrap();
        assert!(
            base()
                .with_edge_points(vec![edge(2, 5, 4), edge(6, 4, 3)])
                .is_ok()
        );
        for wrong in [
            vec![edge(6, 4, 3), edge(2, 5, 4)],
            vec![edge(2, 5, 4), edge(2, 5, 4)],
            vec![edge(4, 5, 4)],
            vec![edge(7, 5, 4)],
            vec![edge(9, 5, 4)],
        ] {
            assert!(base().with_edge_points(wrong.clone()).is_err(), "{wrong:?}");
        }
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

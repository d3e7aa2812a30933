//! The balance chain rule: when a record's balance does not follow from its card's known
//! history (the `balance_discontinuity` flag).

use jinka_record::CounterKind;

use crate::view::{ChainPoint, LoadPoint};

/// Whether `later` can follow `earlier` on a genuine card, where they are neighbours on the
/// counter `kind`. `loads` gives the card's known loads; it is called only when needed.
///
/// A card's balance changes only by its own transactions, and each transaction advances one
/// of its two counters: a purchase (which can only lower the balance) the offline ATC, a load
/// (which can only raise it) the online ATC. Records that are neighbours on one counter (ATC
/// `n − 1` and `n`) are therefore linked, whatever happened on the other counter between them:
///
/// - two purchases: between them only loads can have happened, each of them authorized by the
///   hub. So the later one's balance before equals the earlier one's balance after, or exceeds
///   it by a run of loads of consecutive online ATCs that the hub knows and that chain exactly
///   (the first starts at the earlier purchase's balance after, each starts where the previous
///   ended, the last ends at the later purchase's balance before);
/// - two loads: between them only purchases can have happened, so the later one's balance
///   before is at most the earlier one's balance after.
///
/// A link is judged once, when the later-arriving of its two records is accepted; a record
/// whose neighbours have not arrived yet is not judged against them, and is judged when they
/// come. A cloned card (two chips spending from one state) reuses ATCs: the second chip's
/// records at used ATCs are `duplicate`, and its first record past them links to the first
/// chip's chain with a balance that does not follow.
///
/// Limits: a purchase's balance before is not covered by its TAC, so an acquirer can make
/// purchase links lie in either direction; a load's balance is covered (by MAC1 and its TAC).
pub fn link_holds(
    kind: CounterKind,
    earlier: ChainPoint,
    later: ChainPoint,
    loads: impl FnOnce() -> Vec<LoadPoint>,
) -> bool {
    let (after, before) = (earlier.balance_after_fen, later.balance_before_fen);
    match kind {
        CounterKind::Offline => {
            before == after || (before > after && loads_bridge(after, before, loads()))
        }
        CounterKind::Online => before <= after,
    }
}

/// Whether a run of loads of consecutive online ATCs, chaining exactly, takes the balance from
/// `from` to `to`.
pub fn loads_bridge(from: u32, to: u32, mut loads: Vec<LoadPoint>) -> bool {
    loads.sort_unstable();
    loads.dedup();
    // reachable[i]: some run ending with loads[i] starts at `from`.
    let mut reachable = vec![false; loads.len()];
    for index in 0..loads.len() {
        let load = loads[index];
        let continues = load.online_atc.checked_sub(1).is_some_and(|previous_atc| {
            let start = loads.partition_point(|l| l.online_atc < previous_atc);
            loads[start..index]
                .iter()
                .zip(&reachable[start..index])
                .any(|(previous, reached)| {
                    *reached
                        && previous.online_atc == previous_atc
                        && previous.balance_after_fen == load.balance_before_fen
                })
        });
        reachable[index] = load.balance_before_fen == from || continues;
        if reachable[index] && load.balance_after_fen == to {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(before: u32, after: u32) -> ChainPoint {
        ChainPoint {
            balance_before_fen: before,
            balance_after_fen: after,
        }
    }

    fn load(atc: u16, before: u32, after: u32) -> LoadPoint {
        LoadPoint {
            online_atc: atc,
            balance_before_fen: before,
            balance_after_fen: after,
        }
    }

    #[test]
    fn purchases_link_directly_or_through_loads() {
        let none = Vec::new;
        assert!(link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(800, 700),
            none
        ));
        assert!(!link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(700, 600),
            none
        ));
        assert!(!link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(900, 600),
            none
        ));
        // 800 → load 500 → 1300 → load 200 → 1500.
        let loads = || vec![load(4, 1300, 1500), load(3, 800, 1300), load(9, 0, 5)];
        assert!(link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(1500, 0),
            loads
        ));
        assert!(link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(1300, 0),
            loads
        ));
        assert!(!link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(1400, 0),
            loads
        ));
        // Not consecutive ATCs: no run.
        let apart = || vec![load(3, 800, 1300), load(5, 1300, 1500)];
        assert!(!link_holds(
            CounterKind::Offline,
            point(1000, 800),
            point(1500, 0),
            apart
        ));
    }

    #[test]
    fn a_retry_at_the_same_atc_does_not_hide_the_run() {
        // Two authorizations at online ATC 3 from balance 800: 100 (torn, never credited) and
        // 500; then 200 at ATC 4.
        let loads = vec![load(3, 800, 900), load(3, 800, 1300), load(4, 1300, 1500)];
        assert!(loads_bridge(800, 1500, loads.clone()));
        assert!(!loads_bridge(800, 1100, loads));
    }

    #[test]
    fn loads_link_when_money_only_went_down_between() {
        let never = || -> Vec<LoadPoint> { unreachable!("loads are not looked up for loads") };
        assert!(link_holds(
            CounterKind::Online,
            point(0, 1000),
            point(1000, 2000),
            never
        ));
        assert!(link_holds(
            CounterKind::Online,
            point(0, 1000),
            point(400, 2000),
            never
        ));
        assert!(!link_holds(
            CounterKind::Online,
            point(0, 1000),
            point(1001, 2000),
            never
        ));
    }
}

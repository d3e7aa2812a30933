//! Properties: a terminal at any version reaches the full list through what
//! `delta_since` gives; the wire forms round-trip and never panic on bytes; and an evaluator
//! restored from a snapshot anywhere decides as the original does; its binary state reads
//! back as it was written, and truncated or mutated bytes are refused or read, never panic.

use std::collections::BTreeSet;

use jinka_clearing::{Asn, Flag, Flags, RejectReason};
use jinka_risk::{
    BlacklistLimits, BlacklistUpdate, ListOutcome, ListingReason, NetworkBlacklist, RiskConfig,
    RiskEvaluator, UnlistOutcome,
};
use jinka_terminal::Blacklist;
use proptest::prelude::*;

use crate::blacklist::apply;
use crate::support::*;

const REASONS: [ListingReason; 5] = [
    ListingReason::Lost,
    ListingReason::RiskRule,
    ListingReason::IssuerRequest,
    ListingReason::Replaced,
    ListingReason::Closed,
];

/// List (true) or remove (false) one of 12 cards.
fn operations() -> impl Strategy<Value = Vec<(bool, u32, usize)>> {
    prop::collection::vec((any::<bool>(), 0u32..12, 0usize..5), 0..60)
}

proptest! {
    #[test]
    fn from_any_version_the_update_gives_the_full_list(
        ops in operations(),
        delta_versions_max in 1u64..12,
    ) {
        let limits = BlacklistLimits::new(delta_versions_max, 1_000).unwrap();
        let mut list = NetworkBlacklist::new(limits);
        // The listed cards at every version, as a model.
        let mut model = BTreeSet::new();
        let mut at_version = vec![Vec::new()];
        for (listing, card, reason) in ops {
            let changed = if listing {
                let outcome = list.list(asn(card), REASONS[reason], T0).unwrap();
                matches!(outcome, ListOutcome::Listed { .. }) && model.insert(card)
            } else {
                let outcome = list.unlist(asn(card), T0);
                matches!(outcome, UnlistOutcome::Unlisted { .. }) && model.remove(&card)
            };
            if changed {
                at_version.push(model.iter().map(|card| asn(*card).bytes()).collect());
            }
        }
        prop_assert_eq!(list.version() as usize, at_version.len() - 1);
        let full: Vec<Asn> = model.iter().copied().map(asn).collect();
        let expected = BlacklistUpdate::Full { version: list.version(), entries: full.clone() };
        prop_assert_eq!(list.full(), expected);
        for (version, listed) in at_version.iter().enumerate() {
            let mut terminal = Blacklist::default();
            terminal.replace(version as u64, listed).unwrap();
            let update = list.delta_since(version as u64).unwrap();
            prop_assert_eq!(BlacklistUpdate::decode(&update.encode()).unwrap(), update.clone());
            let json = serde_json::to_string(&update).unwrap();
            let parsed: BlacklistUpdate = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(parsed, update.clone());
            apply(&mut terminal, &update);
            prop_assert_eq!(terminal.version(), list.version());
            prop_assert_eq!(terminal.len(), full.len());
            for card in &full {
                prop_assert!(terminal.contains(&card.bytes()));
            }
        }
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = BlacklistUpdate::decode(&bytes);
        let mut framed = b"JKBL\x01".to_vec();
        framed.extend_from_slice(&bytes);
        if let Ok(update) = BlacklistUpdate::decode(&framed) {
            prop_assert_eq!(update.encode(), framed);
        }
    }

    #[test]
    fn a_restored_evaluator_decides_as_the_original(
        events in prop::collection::vec(
            (0u8..4, 0u32..6, 0u8..3, 0u32..80_000, 0i64..240),
            1..120,
        ),
        split in 0usize..120,
    ) {
        let split = split.min(events.len());
        let mut original = Harness::with_defaults();
        let mut copy = Harness::with_defaults();
        for (index, (kind, card, region, amount_fen, minute)) in events.into_iter().enumerate() {
            if index == split {
                let state = original.risk.snapshot();
                let json = serde_json::to_string(&state).unwrap();
                let state = serde_json::from_str(&json).unwrap();
                copy.risk = RiskEvaluator::restore(RiskConfig::default(), state).unwrap();
            }
            let at_ms = T0 + minute * 20 * MINUTE_MS;
            let region = [SHANGHAI, SUZHOU, BEIJING][usize::from(region)];
            let (day, hour) = (27 + (minute / 72) as u8, (minute % 24) as u8);
            let tx = purchase(card, index as u16, amount_fen).on(day, hour, 0);
            for hub in [&mut original, &mut copy] {
                match kind {
                    0 => { hub.ok(tx, region, at_ms); }
                    1 => {
                        let flags = Flags::NONE.with(Flag::BalanceDiscontinuity);
                        hub.accept(tx, region, flags, at_ms);
                    }
                    2 => { hub.reject(card, RejectReason::BadTac, at_ms); }
                    _ => hub.tick(at_ms),
                }
            }
            prop_assert_eq!(copy.take(), original.take());
        }
    }

    #[test]
    fn a_written_state_reads_back_the_same(
        events in prop::collection::vec((0u8..5, 0u32..6, 0u32..80_000, 0i64..240), 1..80),
    ) {
        let hub = busy(&events);
        let mut bytes = Vec::new();
        hub.risk.write_state(&mut bytes).unwrap();
        let read = RiskEvaluator::read_state(RiskConfig::default(), &mut bytes.as_slice()).unwrap();
        prop_assert_eq!(read.snapshot(), hub.risk.snapshot());
        let mut again = Vec::new();
        read.write_state(&mut again).unwrap();
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn damaged_state_bytes_never_panic(
        events in prop::collection::vec((0u8..5, 0u32..6, 0u32..80_000, 0i64..240), 1..40),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let hub = busy(&events);
        let mut bytes = Vec::new();
        hub.risk.write_state(&mut bytes).unwrap();
        // Every strict prefix is refused.
        let short = &bytes[..cut.index(bytes.len())];
        prop_assert!(RiskEvaluator::read_state(RiskConfig::default(), &mut &short[..]).is_err());
        // Changed bytes are refused, or read as a state that writes those very bytes.
        let mut damaged = bytes.clone();
        for (at, flip) in flips {
            damaged[at.index(bytes.len())] ^= flip;
        }
        if let Ok(read) = RiskEvaluator::read_state(RiskConfig::default(), &mut damaged.as_slice()) {
            let mut again = Vec::new();
            read.write_state(&mut again).unwrap();
            prop_assert_eq!(again, damaged);
        }
    }
}

/// An evaluator after `events`: purchases in three regions, discontinuities, bad TACs,
/// counter gaps, ticks.
fn busy(events: &[(u8, u32, u32, i64)]) -> Harness {
    let mut hub = Harness::with_defaults();
    for (index, &(kind, card, amount_fen, minute)) in events.iter().enumerate() {
        let at_ms = T0 + minute * 20 * MINUTE_MS;
        let region = [SHANGHAI, SUZHOU, BEIJING][(minute % 3) as usize];
        let (day, hour) = (27 + (minute / 72) as u8, (minute % 24) as u8);
        let tx = purchase(card, index as u16, amount_fen).on(day, hour, 0);
        match kind {
            0 => {
                hub.ok(tx, region, at_ms);
            }
            1 => {
                let flags = Flags::NONE
                    .with(Flag::BalanceDiscontinuity)
                    .with(Flag::CounterGap);
                hub.accept(tx, region, flags, at_ms);
            }
            2 => {
                hub.reject(card, RejectReason::BadTac, at_ms);
            }
            3 => hub.gaps(
                card,
                &[
                    (0, (amount_fen % 7) as u16),
                    (9, 9 + (amount_fen % 3) as u16),
                ],
                at_ms,
            ),
            _ => hub.tick(at_ms),
        }
    }
    hub
}

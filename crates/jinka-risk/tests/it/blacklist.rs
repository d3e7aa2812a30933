//! The network blacklist: versions, folded deltas, the full list when behind, compaction,
//! both wire forms, and a terminal's `Blacklist` applying them.

use jinka_clearing::Asn;
use jinka_risk::{
    BlacklistLimits, BlacklistState, BlacklistUpdate, Change, ChangeKind, LISTED_CARDS_MAX,
    ListOutcome, Listing, ListingReason, NetworkBlacklist, RiskError, UnlistOutcome,
};
use jinka_terminal::Blacklist;

use crate::support::{T0, asn};

fn limits(delta_versions_max: u64) -> BlacklistLimits {
    BlacklistLimits::new(delta_versions_max, 1_000).unwrap()
}

fn delta(from: u64, to: u64, added: &[u32], removed: &[u32]) -> BlacklistUpdate {
    BlacklistUpdate::Delta {
        from,
        to,
        added: added.iter().copied().map(asn).collect(),
        removed: removed.iter().copied().map(asn).collect(),
    }
}

/// A terminal's list brought up to date with `update`.
pub fn apply(terminal: &mut Blacklist, update: &BlacklistUpdate) {
    let bytes = |list: &[Asn]| list.iter().map(|asn| asn.bytes()).collect::<Vec<_>>();
    match update {
        BlacklistUpdate::Delta { from, to, .. } if from == to => {}
        BlacklistUpdate::Delta {
            from,
            to,
            added,
            removed,
        } => terminal
            .apply_delta(*from, *to, &bytes(added), &bytes(removed))
            .unwrap(),
        BlacklistUpdate::Full { version, entries } => {
            terminal.replace(*version, &bytes(entries)).unwrap()
        }
    }
}

#[test]
fn every_listing_and_removal_bumps_the_version_by_one() {
    let mut list = NetworkBlacklist::new(limits(100));
    assert_eq!(list.version(), 0);
    assert_eq!(
        list.list(asn(1), ListingReason::Lost, T0).unwrap(),
        ListOutcome::Listed { version: 1 }
    );
    assert_eq!(
        list.list(asn(2), ListingReason::RiskRule, T0 + 1).unwrap(),
        ListOutcome::Listed { version: 2 }
    );
    // Listing a listed card keeps its first listing.
    let first = Listing {
        asn: asn(1),
        reason: ListingReason::Lost,
        listed_at_ms: T0,
    };
    assert_eq!(
        list.list(asn(1), ListingReason::Closed, T0 + 2).unwrap(),
        ListOutcome::AlreadyListed(first)
    );
    assert_eq!(
        list.unlist(asn(1), T0 + 3),
        UnlistOutcome::Unlisted {
            version: 3,
            listing: first
        }
    );
    assert_eq!(list.unlist(asn(1), T0 + 4), UnlistOutcome::NotListed);
    assert_eq!(list.version(), 3);
    assert!(list.contains(asn(2)) && !list.contains(asn(1)));
    assert_eq!(
        list.listing(asn(2)).map(|l| l.reason),
        Some(ListingReason::RiskRule)
    );
    let kinds: Vec<_> = list.changes().map(|c| (c.version, c.kind)).collect();
    assert_eq!(
        kinds,
        [
            (1, ChangeKind::Listed(ListingReason::Lost)),
            (2, ChangeKind::Listed(ListingReason::RiskRule)),
            (3, ChangeKind::Unlisted)
        ]
    );
}

#[test]
fn a_delta_folds_the_changes_since_a_version() {
    let mut list = NetworkBlacklist::new(limits(100));
    list.list(asn(1), ListingReason::Lost, T0).unwrap(); // 1
    list.list(asn(2), ListingReason::IssuerRequest, T0).unwrap(); // 2
    list.unlist(asn(1), T0); // 3
    list.list(asn(3), ListingReason::Replaced, T0).unwrap(); // 4
    list.unlist(asn(3), T0); // 5
    list.list(asn(3), ListingReason::Closed, T0).unwrap(); // 6
    assert_eq!(list.delta_since(0).unwrap(), delta(0, 6, &[2, 3], &[]));
    assert_eq!(list.delta_since(1).unwrap(), delta(1, 6, &[2, 3], &[1]));
    assert_eq!(
        list.delta_since(4).unwrap(),
        delta(4, 6, &[], &[]),
        "3 out and back in"
    );
    assert_eq!(list.delta_since(5).unwrap(), delta(5, 6, &[3], &[]));
    let up_to_date = list.delta_since(6).unwrap();
    assert_eq!(up_to_date, delta(6, 6, &[], &[]));
    assert!(up_to_date.is_up_to_date());
    assert_eq!(
        list.delta_since(7),
        Err(RiskError::VersionAhead {
            asked: 7,
            current: 6
        })
    );
}

#[test]
fn a_holder_behind_the_log_gets_the_full_list_and_the_log_is_compacted() {
    let mut list = NetworkBlacklist::new(limits(3));
    for card in 1..=5 {
        list.list(asn(card), ListingReason::Lost, T0).unwrap();
    }
    list.unlist(asn(2), T0); // version 6
    assert_eq!(list.changes().count(), 3, "versions 4 to 6 kept");
    assert_eq!(list.oldest_delta_base(), 3);
    let full = BlacklistUpdate::Full {
        version: 6,
        entries: [1, 3, 4, 5].map(asn).to_vec(),
    };
    assert_eq!(list.delta_since(2).unwrap(), full);
    assert_eq!(list.delta_since(0).unwrap(), full);
    assert_eq!(list.full(), full);
    assert_eq!(list.delta_since(3).unwrap(), delta(3, 6, &[4, 5], &[2]));
}

#[test]
fn the_list_holds_at_most_its_limit() {
    let mut list = NetworkBlacklist::new(BlacklistLimits::new(10, 2).unwrap());
    list.list(asn(1), ListingReason::Lost, T0).unwrap();
    list.list(asn(2), ListingReason::Lost, T0).unwrap();
    assert_eq!(
        list.list(asn(3), ListingReason::Lost, T0),
        Err(RiskError::BlacklistFull { max: 2 })
    );
    assert_eq!(list.version(), 2);
    assert!(BlacklistLimits::new(0, 10).is_err());
    assert!(BlacklistLimits::new(10, LISTED_CARDS_MAX + 1).is_err());
    assert_eq!(
        LISTED_CARDS_MAX,
        jinka_terminal::blacklist::BLACKLIST_CARDS_MAX,
        "every full list fits a terminal"
    );
}

#[test]
fn the_binary_form_is_the_documented_layout() {
    let full = BlacklistUpdate::Full {
        version: 0x0102,
        entries: vec![asn(1), asn(2)],
    };
    let bytes = full.encode();
    assert_eq!(
        hex::encode_upper(&bytes),
        concat!(
            "4A4B424C",         // JKBL
            "01",               // format
            "01",               // full
            "0000000000000102", // version
            "00000002",
            "3104000000000001",
            "3104000000000002"
        )
    );
    assert_eq!(BlacklistUpdate::decode(&bytes).unwrap(), full);
    let update = delta(7, 9, &[3], &[1]);
    assert_eq!(
        hex::encode_upper(update.encode()),
        concat!(
            "4A4B424C",
            "01",
            "02",
            "0000000000000007",
            "0000000000000009",
            "00000001",
            "3104000000000003",
            "00000001",
            "3104000000000001"
        )
    );
    assert_eq!(BlacklistUpdate::decode(&update.encode()).unwrap(), update);
}

#[test]
fn binary_forms_that_break_the_rules_are_refused() {
    let good = delta(7, 9, &[3], &[1]).encode();
    let with = |change: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        change(&mut bytes);
        BlacklistUpdate::decode(&bytes).unwrap_err()
    };
    let invalid = RiskError::InvalidUpdate;
    assert_eq!(
        with(&|b| b[0] = b'X'),
        invalid("not a blacklist update (magic)")
    );
    assert_eq!(with(&|b| b[4] = 2), invalid("unknown format version"));
    assert_eq!(with(&|b| b[5] = 3), invalid("unknown kind"));
    assert_eq!(with(&|b| b.push(0)), invalid("bytes after the end"));
    assert_eq!(with(&|b| b.truncate(b.len() - 1)), invalid("truncated"));
    assert_eq!(with(&|b| b.truncate(3)), invalid("truncated"));
    // from 9 to 7
    assert_eq!(
        with(&|b| b.swap(13, 21)),
        invalid("a delta runs from a version to a later one")
    );
    // from 8 to 9: two cards in one version
    assert_eq!(
        with(&|b| b[13] = 8),
        invalid("a delta changes at most one card per version")
    );
    // the removed card is the added one
    assert_eq!(
        with(&|b| {
            let end = b.len();
            b[end - 1] = 3;
        }),
        invalid("a card is both added and removed")
    );
    // a count past the bytes there
    assert_eq!(with(&|b| b[25] = 9), invalid("truncated"));
    let unsorted = BlacklistUpdate::Full {
        version: 5,
        entries: vec![asn(2), asn(1)],
    }
    .encode();
    assert_eq!(
        BlacklistUpdate::decode(&unsorted).unwrap_err(),
        invalid("lists must be ascending without repeats")
    );
    let repeated = BlacklistUpdate::Full {
        version: 5,
        entries: vec![asn(1), asn(1)],
    }
    .encode();
    assert!(BlacklistUpdate::decode(&repeated).is_err());
}

#[test]
fn the_json_form_is_checked_too() {
    let update = delta(7, 9, &[3], &[1]);
    let json = serde_json::to_string(&update).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"delta","from":7,"to":9,"added":["3104000000000003"],"removed":["3104000000000001"]}"#
    );
    assert_eq!(
        serde_json::from_str::<BlacklistUpdate>(&json).unwrap(),
        update
    );
    let full = r#"{"kind":"full","version":4,"entries":["3104000000000001","3104000000000002"]}"#;
    let parsed: BlacklistUpdate = serde_json::from_str(full).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), full);
    for bad in [
        r#"{"kind":"full","version":4,"entries":["3104000000000002","3104000000000001"]}"#,
        r#"{"kind":"full","version":4,"entries":["31040000"]}"#,
        r#"{"kind":"delta","from":9,"to":7,"added":[],"removed":[]}"#,
        r#"{"kind":"delta","from":7,"to":9,"added":["3104000000000001"],"removed":["3104000000000001"]}"#,
        r#"{"kind":"full","version":4,"entries":[],"extra":1}"#,
        r#"{"kind":"other"}"#,
    ] {
        assert!(
            serde_json::from_str::<BlacklistUpdate>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_terminal_applies_deltas_and_full_lists() {
    let mut list = NetworkBlacklist::new(limits(4));
    let mut terminal = Blacklist::default();
    list.list(asn(1), ListingReason::Lost, T0).unwrap();
    list.list(asn(2), ListingReason::RiskRule, T0).unwrap();
    let update = list.delta_since(terminal.version()).unwrap();
    apply(&mut terminal, &update);
    assert_eq!((terminal.version(), terminal.len()), (2, 2));
    let update = list.delta_since(terminal.version()).unwrap();
    apply(&mut terminal, &update);
    assert_eq!(terminal.version(), 2, "up to date: nothing to apply");
    list.unlist(asn(1), T0);
    let update = list.delta_since(terminal.version()).unwrap();
    apply(&mut terminal, &update);
    assert!(!terminal.contains(&asn(1).bytes()) && terminal.contains(&asn(2).bytes()));
    // Offline for a while: more changes than the log keeps.
    for card in 10..20 {
        list.list(asn(card), ListingReason::Lost, T0).unwrap();
    }
    let update = list.delta_since(terminal.version()).unwrap();
    assert!(matches!(update, BlacklistUpdate::Full { .. }));
    apply(&mut terminal, &update);
    assert_eq!(
        (terminal.version(), terminal.len()),
        (list.version(), list.len())
    );
}

#[test]
fn the_state_round_trips_and_is_checked() {
    let mut list = NetworkBlacklist::new(limits(3));
    for card in 1..=4 {
        list.list(asn(card), ListingReason::Lost, T0 + i64::from(card))
            .unwrap();
    }
    list.unlist(asn(3), T0 + 9);
    let state = list.state();
    let json = serde_json::to_string(&state).unwrap();
    assert!(json.contains(r#"{"asn":"3104000000000001","reason":"lost","listed_at_ms":"#));
    let state: BlacklistState = serde_json::from_str(&json).unwrap();
    let restored = NetworkBlacklist::restore(limits(3), state.clone()).unwrap();
    assert_eq!(restored, list);
    // A smaller limit keeps the newest changes.
    let smaller = NetworkBlacklist::restore(limits(1), state.clone()).unwrap();
    assert_eq!(smaller.changes().count(), 1);
    assert!(matches!(
        smaller.delta_since(4).unwrap(),
        BlacklistUpdate::Delta { .. }
    ));
    assert!(matches!(
        smaller.delta_since(3).unwrap(),
        BlacklistUpdate::Full { .. }
    ));
    // Broken states.
    let broken = |change: &dyn Fn(&mut BlacklistState)| {
        let mut state = state.clone();
        change(&mut state);
        NetworkBlacklist::restore(limits(3), state).unwrap_err()
    };
    let invalid = RiskError::InvalidBlacklist;
    assert_eq!(
        broken(&|s| s.version = 9),
        invalid("changes must be at consecutive versions ending at the list's")
    );
    assert_eq!(
        broken(&|s| s.entries.push(s.entries[0])),
        invalid("a card is listed twice")
    );
    assert_eq!(
        broken(&|s| s.entries.retain(|l| l.asn != asn(4))),
        invalid("a card's last change contradicts the entries")
    );
    assert_eq!(
        broken(&|s| {
            s.version = 1;
            s.changes = vec![
                Change {
                    version: 1,
                    asn: asn(1),
                    kind: ChangeKind::Unlisted,
                    at_ms: T0,
                };
                2
            ];
        }),
        invalid("more changes than versions")
    );
}

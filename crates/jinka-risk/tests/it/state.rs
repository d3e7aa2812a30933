//! The evaluator's state: bounded, forgotten by time, and kept across a restart.

use jinka_clearing::{Flag, Flags, RejectReason};
use jinka_risk::{
    RiskConfig, RiskError, RiskEvaluator, RiskSettings, RiskState, StateLimits, StateSizes,
};

use crate::support::*;

/// Half a day of a busy network: riders, a clone in two cities, a forging terminal, a gap.
fn first_half(hub: &mut Harness) {
    for card in 10..40 {
        for atc in 0..4 {
            hub.ok(
                purchase(card, atc, 20_000).on(27, 8 + atc as u8, 0),
                SHANGHAI,
                T0,
            );
        }
    }
    hub.ok(purchase(1, 0, 300).on(27, 9, 0), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 300).on(27, 9, 30), BEIJING, T0);
    for _ in 0..6 {
        hub.reject(7, RejectReason::BadTac, T0);
    }
    hub.accept(
        purchase(2, 6, 300),
        SHANGHAI,
        Flags::NONE.with(Flag::CounterGap),
        T0,
    );
    hub.gaps(2, &[(0, 5)], T0);
}

/// What comes after: more of the same, each pattern continuing.
fn second_half(hub: &mut Harness) {
    for card in 10..40 {
        hub.ok(
            purchase(card, 4, 30_000).on(27, 14, 0),
            SHANGHAI,
            T0 + HOUR_MS,
        );
    }
    hub.ok(purchase(1, 2, 300).on(27, 10, 0), SHANGHAI, T0 + HOUR_MS);
    for _ in 0..6 {
        hub.reject(7, RejectReason::BadTac, T0 + HOUR_MS / 2);
    }
    hub.tick(T0 + 4 * DAY_MS);
}

#[test]
fn a_restored_evaluator_decides_as_the_original_would_have() {
    let mut original = Harness::with_defaults();
    first_half(&mut original);
    let before = original.take();
    assert_eq!(before.len(), 1, "the clone's velocity");
    let json = serde_json::to_string(&original.risk.snapshot()).unwrap();
    let state: RiskState = serde_json::from_str(&json).unwrap();
    assert_eq!(state, original.risk.snapshot());
    assert_eq!(
        (state.cards(), state.terminals(), state.counters()),
        (32, 1, 1)
    );
    // A harness that has numbered as many records as the original, with the restored state.
    let mut restored = Harness::with_defaults();
    first_half(&mut restored);
    restored.take();
    restored.risk = RiskEvaluator::restore(RiskConfig::default(), state).unwrap();
    second_half(&mut original);
    second_half(&mut restored);
    let after = original.take();
    // 30 riders past 1000.00 yuan, the terminal's tenth bad TAC, the gap after 4 days; the
    // clone's second trip is inside its quiet period.
    assert_eq!(after.len(), 32);
    assert_eq!(restored.take(), after);
    assert_eq!(restored.risk.snapshot(), original.risk.snapshot());
}

#[test]
fn idle_state_is_forgotten_at_a_tick() {
    let mut hub = Harness::with_defaults();
    first_half(&mut hub);
    let sizes = hub.risk.sizes();
    assert_eq!(
        sizes,
        StateSizes {
            cards: 32,
            terminals: 1,
            gap_counters: 1
        }
    );
    // After an hour the bad TACs left their window; the cards are kept 3 days.
    hub.tick(T0 + HOUR_MS);
    assert_eq!(hub.risk.sizes().terminals, 0);
    assert_eq!(hub.risk.sizes().cards, 32);
    // After 3 days the cards go, but for card 1, seen again an hour before.
    hub.ok(
        purchase(1, 2, 300).on(30, 9, 0),
        BEIJING,
        T0 + 3 * DAY_MS - HOUR_MS,
    );
    hub.tick(T0 + 3 * DAY_MS);
    assert_eq!(hub.risk.sizes().cards, 1);
    hub.tick(T0 + 6 * DAY_MS);
    assert_eq!(hub.risk.sizes().cards, 0);
    // The gap counter stays until it has gone unreported for 30 days.
    assert_eq!(hub.risk.sizes().gap_counters, 1);
    hub.tick(T0 + 30 * DAY_MS);
    assert_eq!(hub.risk.sizes().gap_counters, 0);
}

fn small(cards_max: usize) -> RiskConfig {
    RiskConfig::new(RiskSettings {
        limits: StateLimits {
            cards_max,
            ..StateLimits::default()
        },
        ..RiskSettings::default()
    })
    .unwrap()
}

#[test]
fn a_full_table_forgets_the_least_recently_seen_cards() {
    let mut hub = Harness::new(small(16));
    for card in 0..100 {
        hub.ok(
            purchase(card, 0, 60_000),
            SHANGHAI,
            T0 + i64::from(card) * MINUTE_MS,
        );
        assert!(hub.risk.sizes().cards <= 16);
    }
    assert_eq!(hub.take(), []);
    // The latest card's day is still summed; the first card's is gone.
    hub.ok(purchase(99, 1, 60_000), SHANGHAI, T0 + 100 * MINUTE_MS);
    assert_eq!(hub.take().len(), 1);
    hub.ok(purchase(0, 1, 60_000), SHANGHAI, T0 + 101 * MINUTE_MS);
    assert_eq!(hub.take(), []);
}

#[test]
fn restoring_into_smaller_limits_keeps_the_most_recent() {
    let mut hub = Harness::with_defaults();
    for card in 0..40 {
        hub.ok(
            purchase(card, 0, 60_000),
            SHANGHAI,
            T0 + i64::from(card) * MINUTE_MS,
        );
    }
    let restored = RiskEvaluator::restore(small(16), hub.risk.snapshot()).unwrap();
    assert!(restored.sizes().cards <= 16);
    let mut restored = Harness::from(restored);
    restored.ok(purchase(39, 1, 60_000), SHANGHAI, T0 + HOUR_MS);
    assert_eq!(restored.take().len(), 1);
}

#[test]
fn a_state_an_evaluator_cannot_have_is_refused() {
    let mut hub = Harness::with_defaults();
    first_half(&mut hub);
    let mut json = serde_json::to_value(hub.risk.snapshot()).unwrap();
    let first_card = json["cards"][0].clone();
    json["cards"].as_array_mut().unwrap().push(first_card);
    let state: RiskState = serde_json::from_value(json).unwrap();
    assert_eq!(
        RiskEvaluator::restore(RiskConfig::default(), state).unwrap_err(),
        RiskError::InvalidState("a card appears twice")
    );
    let mut json = serde_json::to_value(hub.risk.snapshot()).unwrap();
    json["cards"][0]["state"]["days"][0]["purchases"] = 0.into();
    let state: RiskState = serde_json::from_value(json).unwrap();
    assert_eq!(
        RiskEvaluator::restore(RiskConfig::default(), state).unwrap_err(),
        RiskError::InvalidState("a card's days must be distinct and counted")
    );
    let mut json = serde_json::to_value(hub.risk.snapshot()).unwrap();
    json["surprise"] = 1.into();
    assert!(serde_json::from_value::<RiskState>(json).is_err());
}

fn written(risk: &RiskEvaluator) -> Vec<u8> {
    let mut bytes = Vec::new();
    risk.write_state(&mut bytes).unwrap();
    bytes
}

fn read(bytes: &[u8]) -> Result<RiskEvaluator, RiskError> {
    RiskEvaluator::read_state(RiskConfig::default(), &mut &bytes[..])
}

#[test]
fn a_state_written_in_binary_reads_back_and_decides_as_the_original() {
    let mut original = Harness::with_defaults();
    first_half(&mut original);
    original.take();
    let bytes = written(&original.risk);
    assert_eq!(bytes[..5], *b"JKRS\x01");
    let mut restored = Harness::with_defaults();
    first_half(&mut restored);
    restored.take();
    restored.risk = read(&bytes).unwrap();
    assert_eq!(restored.risk.snapshot(), original.risk.snapshot());
    assert_eq!(
        restored.risk.sizes(),
        StateSizes {
            cards: 32,
            terminals: 1,
            gap_counters: 1
        }
    );
    second_half(&mut original);
    second_half(&mut restored);
    let after = original.take();
    assert_eq!(after.len(), 32);
    assert_eq!(restored.take(), after);
    // Far smaller than the JSON of the same state.
    let json = serde_json::to_string(&original.risk.snapshot()).unwrap();
    assert!(written(&original.risk).len() * 2 < json.len());
}

#[test]
fn an_empty_state_is_a_header() {
    let risk = RiskEvaluator::new(RiskConfig::default());
    let bytes = written(&risk);
    assert_eq!(bytes, b"JKRS\x01\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(read(&bytes).unwrap().sizes().cards, 0);
}

#[test]
fn a_damaged_binary_state_is_refused() {
    let mut hub = Harness::with_defaults();
    first_half(&mut hub);
    let bytes = written(&hub.risk);
    let refused = |bytes: &[u8]| read(bytes).unwrap_err();
    for len in 0..bytes.len() {
        assert!(read(&bytes[..len]).is_err(), "a prefix of {len} bytes");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        refused(&longer),
        RiskError::InvalidState("bytes after the last counter")
    );
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(
        refused(&magic),
        RiskError::InvalidState("not a risk state (bad magic)")
    );
    let mut version = bytes.clone();
    version[4] = 2;
    assert_eq!(
        refused(&version),
        RiskError::InvalidState("a risk state of an unknown version")
    );
    // The first card's first day: its tag (after the 17-byte header, the ASN and the
    // touch time), then its purchases (after the day number).
    let day_tag = 17 + 8 + 8;
    let mut tag = bytes.clone();
    tag[day_tag] = 2;
    assert_eq!(
        refused(&tag),
        RiskError::InvalidState("a tag or boolean that is not 0 or 1")
    );
    let mut uncounted = bytes.clone();
    uncounted[day_tag + 1 + 8..day_tag + 1 + 12].fill(0);
    assert_eq!(
        refused(&uncounted),
        RiskError::InvalidState("a card's days must be distinct and counted")
    );
    // One card more than the bytes hold; and the second card's ASN made the first's.
    let mut counted = bytes.clone();
    counted[8] += 1;
    assert!(read(&counted).is_err());
    let mut twice = Harness::with_defaults();
    twice.ok(purchase(10, 0, 300), SHANGHAI, T0);
    twice.ok(purchase(11, 0, 300), SHANGHAI, T0);
    let mut bytes = written(&twice.risk);
    let card_bytes = (bytes.len() - 17) / 2;
    let first_asn: Vec<u8> = bytes[17..25].to_vec();
    bytes[17 + card_bytes..25 + card_bytes].copy_from_slice(&first_asn);
    assert_eq!(
        refused(&bytes),
        RiskError::InvalidState("keys out of order or twice")
    );
}

#[test]
fn a_day_number_no_date_gives_is_refused() {
    let mut hub = Harness::with_defaults();
    hub.ok(purchase(10, 0, 300), SHANGHAI, T0);
    let bytes = written(&hub.risk);
    // The card's first day number: after the header, the ASN, the touch time and the tag.
    let day = 17 + 8 + 8 + 1;
    let day_number = i64::from_be_bytes(bytes[day..day + 8].try_into().unwrap());
    assert!((0..100_000).contains(&day_number));
    for far in [i64::MAX, i64::MIN, 1 << 30, -(1 << 30) - 1] {
        let mut changed = bytes.clone();
        changed[day..day + 8].copy_from_slice(&far.to_be_bytes());
        assert_eq!(
            read(&changed).unwrap_err(),
            RiskError::InvalidState("a card's day number is out of range")
        );
    }
    // A far day that still fits reads back and writes the same bytes.
    let mut edge = bytes.clone();
    edge[day..day + 8].copy_from_slice(&(-(1i64 << 30)).to_be_bytes());
    assert_eq!(written(&read(&edge).unwrap()), edge);
    let mut json = serde_json::to_value(hub.risk.snapshot()).unwrap();
    json["cards"][0]["state"]["days"][0]["day"] = i64::MAX.into();
    let state: RiskState = serde_json::from_value(json).unwrap();
    assert_eq!(
        RiskEvaluator::restore(RiskConfig::default(), state).unwrap_err(),
        RiskError::InvalidState("a card's day number is out of range")
    );
}

#[test]
fn a_failing_reader_is_a_read_error() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("the disk is gone"))
        }
    }
    let error = RiskEvaluator::read_state(RiskConfig::default(), &mut Failing).unwrap_err();
    assert_eq!(error, RiskError::StateRead("the disk is gone".into()));
}

#[test]
fn an_undone_journal_puts_the_state_back_and_the_rules_decide_as_if_nothing_was_seen() {
    let mut journaled = Harness::with_defaults();
    let mut reference = Harness::with_defaults();
    for hub in [&mut journaled, &mut reference] {
        first_half(hub);
        hub.take();
    }
    let before = journaled.risk.snapshot();
    // Seen in a transaction that fails: every pattern goes on, a tick forgets idle state.
    journaled.risk.begin();
    second_half(&mut journaled);
    assert_eq!(journaled.take().len(), 32);
    assert_ne!(journaled.risk.snapshot(), before);
    journaled.risk.undo();
    assert_eq!(journaled.risk.snapshot(), before);
    // The reference forgets the same records by going back to a copy (and numbers them, so
    // that both harnesses give the next records the same ids).
    let copy = reference.risk.clone();
    second_half(&mut reference);
    reference.take();
    reference.risk = copy;
    // Undone twice, or without a journal: nothing changes.
    journaled.risk.undo();
    assert_eq!(journaled.risk.snapshot(), before);
    // The same records again decide as they do for the first time.
    second_half(&mut journaled);
    second_half(&mut reference);
    assert_eq!(journaled.take(), reference.take());
    assert_eq!(journaled.risk.snapshot(), reference.risk.snapshot());
}

#[test]
fn a_kept_journal_keeps_every_change() {
    let mut journaled = Harness::with_defaults();
    let mut reference = Harness::with_defaults();
    journaled.risk.begin();
    first_half(&mut journaled);
    journaled.risk.keep();
    first_half(&mut reference);
    assert_eq!(journaled.take(), reference.take());
    journaled.risk.undo();
    assert_eq!(journaled.risk.snapshot(), reference.risk.snapshot());
    // A journal begun over one not ended: the first one's changes stay.
    journaled.risk.begin();
    second_half(&mut journaled);
    journaled.risk.begin();
    journaled.risk.undo();
    second_half(&mut reference);
    assert_eq!(journaled.risk.snapshot(), reference.risk.snapshot());
}

#[test]
fn an_undone_journal_brings_back_the_cards_a_full_table_forgot() {
    let mut hub = Harness::new(small(16));
    for card in 0..16 {
        hub.ok(
            purchase(card, 0, 60_000),
            SHANGHAI,
            T0 + i64::from(card) * MINUTE_MS,
        );
    }
    let before = hub.risk.snapshot();
    assert_eq!(before.cards(), 16);
    hub.risk.begin();
    // New cards push the oldest out, again and again; one of the first is seen again.
    for card in 100..140 {
        hub.ok(
            purchase(card, 0, 60_000),
            SHANGHAI,
            T0 + i64::from(card) * MINUTE_MS,
        );
        assert!(hub.risk.sizes().cards <= 16);
    }
    hub.ok(purchase(15, 1, 60_000), SHANGHAI, T0 + 200 * MINUTE_MS);
    hub.take();
    hub.risk.undo();
    assert_eq!(hub.risk.snapshot(), before);
    // Card 15's day is summed from its first purchase again: the second crosses the line.
    hub.ok(purchase(15, 1, 60_000), SHANGHAI, T0 + 200 * MINUTE_MS);
    assert_eq!(hub.take().len(), 1);
}

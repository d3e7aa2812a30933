//! A reader's stream of repeated reads becomes one OBSERVE event per object and read point
//! per time window.

use jinka_epc::{Filter, Sgtin};
use jinka_trace::{
    Action, Epc, Error, Event, EventContent, EventId, Projections, READ_WINDOW_MS_DEFAULT,
    ReadDeduplicator, ReadStats, TagRead, TimeZoneOffset, Timestamp, What,
};

use crate::support::{DOCK, STORE, item};

/// Item `n` as its tag reports it, with tag filter `filter`.
fn tag(n: u64, filter: u8) -> String {
    let sgtin =
        Sgtin::from_tag_uri(&format!("urn:epc:tag:sgtin-96:{filter}.0614141.812345.{n}")).unwrap();
    sgtin.with_filter(Filter::new(filter).unwrap()).to_hex()
}

fn deduplicator() -> ReadDeduplicator {
    ReadDeduplicator::new(
        READ_WINDOW_MS_DEFAULT,
        TimeZoneOffset::from_minutes(480).unwrap(),
    )
    .unwrap()
}

fn epcs(content: &EventContent) -> Vec<String> {
    content.what.epc_list().iter().map(Epc::pure_uri).collect()
}

/// 1 000 000 ms after the epoch: the start of window 200.
const T0: i64 = 1_000_000;

#[test]
fn repeated_reads_become_one_event_per_window() {
    let tags: Vec<String> = (1..=3).map(|n| tag(n, 3)).collect();
    // Each of three tags read every 100 ms for 12 s at the dock: windows 200, 201, 202.
    let mut reads = Vec::new();
    for step in 0..120 {
        for tag in &tags {
            reads.push(TagRead {
                epc_hex: tag,
                read_point: DOCK,
                time_ms: T0 + step * 100,
            });
        }
    }
    let mut deduplicator = deduplicator();
    let mut events = deduplicator.push(&reads).unwrap();
    // Windows 200 and 201 closed when later reads came; 202 is still open.
    assert_eq!(events.len(), 2);
    events.extend(deduplicator.finish());
    assert_eq!(events.len(), 3);
    for (window, event) in events.iter().enumerate() {
        assert_eq!(epcs(event), [item(1), item(2), item(3)]);
        assert_eq!(event.what.action(), Some(Action::Observe));
        assert_eq!(event.read_point.as_ref().unwrap().as_str(), DOCK);
        let window = i64::try_from(window).unwrap();
        assert_eq!(
            event.time.at.epoch_ms(),
            T0 + window * READ_WINDOW_MS_DEFAULT
        );
        assert_eq!(event.time.offset.minutes(), 480);
    }
    assert_eq!(
        deduplicator.stats(),
        ReadStats {
            reads: 360,
            repeated: 360 - 9,
            late: 0,
            events: 3
        }
    );
}

#[test]
fn read_points_are_separate_and_filters_do_not_matter() {
    let mut deduplicator = deduplicator();
    let (a, a_other_filter, b) = (tag(1, 3), tag(1, 1), tag(2, 3));
    let reads = [
        TagRead {
            epc_hex: &a,
            read_point: DOCK,
            time_ms: T0 + 10,
        },
        TagRead {
            epc_hex: &a_other_filter,
            read_point: DOCK,
            time_ms: T0 + 20,
        },
        TagRead {
            epc_hex: &b,
            read_point: STORE,
            time_ms: T0 + 5,
        },
        TagRead {
            epc_hex: &a,
            read_point: STORE,
            time_ms: T0 + 30,
        },
    ];
    assert!(deduplicator.push(&reads).unwrap().is_empty());
    let events = deduplicator.flush_before(T0 + READ_WINDOW_MS_DEFAULT);
    assert_eq!(events.len(), 2);
    // Sorted by time: the store's batch started first.
    assert_eq!(events[0].read_point.as_ref().unwrap().as_str(), STORE);
    assert_eq!(epcs(&events[0]), [item(2), item(1)]);
    assert_eq!(events[0].time.at.epoch_ms(), T0 + 5);
    assert_eq!(epcs(&events[1]), [item(1)]);
    assert_eq!(deduplicator.stats().repeated, 1);
    assert!(deduplicator.finish().is_empty());
}

#[test]
fn flushing_waits_for_the_window_to_end() {
    let mut deduplicator = deduplicator();
    let a = tag(1, 3);
    deduplicator
        .push(&[TagRead {
            epc_hex: &a,
            read_point: DOCK,
            time_ms: T0 + 4_000,
        }])
        .unwrap();
    assert!(deduplicator.flush_before(T0 + 4_999).is_empty());
    assert_eq!(deduplicator.flush_before(T0 + 5_000).len(), 1);
}

#[test]
fn late_reads_are_counted_and_dropped() {
    let mut deduplicator = deduplicator();
    let a = tag(1, 3);
    let b = tag(2, 3);
    let events = deduplicator
        .push(&[
            TagRead {
                epc_hex: &a,
                read_point: DOCK,
                time_ms: T0 + 6_000,
            },
            TagRead {
                epc_hex: &b,
                read_point: DOCK,
                time_ms: T0 + 1_000,
            },
        ])
        .unwrap();
    assert!(events.is_empty());
    assert_eq!(deduplicator.stats().late, 1);
    assert_eq!(epcs(&deduplicator.finish()[0]), [item(1)]);
}

#[test]
fn a_bad_read_refuses_the_batch_with_its_index() {
    let mut deduplicator = deduplicator();
    let a = tag(1, 3);
    let cases = [
        ("3074257BF7194E4000001A8", DOCK, T0, "epc"),
        ("3074257BF7194E4000001A8G", DOCK, T0, "epc"),
        ("E280689400005003D45E8A3C", DOCK, T0, "epc"),
        (a.as_str(), "dock door 1", T0, "readPoint"),
        (a.as_str(), DOCK, i64::MAX, "time"),
    ];
    for (hex, read_point, time_ms, field) in cases {
        let reads = [
            TagRead {
                epc_hex: &a,
                read_point: DOCK,
                time_ms: T0,
            },
            TagRead {
                epc_hex: hex,
                read_point,
                time_ms,
            },
        ];
        let error = deduplicator.push(&reads).unwrap_err();
        assert!(matches!(error, Error::Read { index: 1, .. }), "{error}");
        assert_eq!(error.field().as_deref(), Some(field), "{error}");
    }
    assert_eq!(deduplicator.stats(), ReadStats::default(), "nothing taken");
    assert!(ReadDeduplicator::new(0, TimeZoneOffset::UTC).is_err());
}

#[test]
fn events_are_captured_like_any_other() {
    let mut deduplicator = deduplicator();
    let a = tag(7, 3);
    deduplicator
        .push(&[TagRead {
            epc_hex: &a,
            read_point: STORE,
            time_ms: T0,
        }])
        .unwrap();
    let content = deduplicator.finish().remove(0);
    assert!(matches!(content.what, What::Object(_)));
    let event = Event::new(
        EventId::parse("urn:jinka:read:1").unwrap(),
        Timestamp::from_epoch_ms(T0 + 10_000).unwrap(),
        content,
    )
    .unwrap();
    let mut projections = Projections::new();
    projections.apply(&event).unwrap();
    let location = projections.where_is(&item(7).parse().unwrap()).unwrap();
    assert_eq!(location.read_point.unwrap().as_str(), STORE);
}

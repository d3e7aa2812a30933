//! The stored projections agree with `jinka-trace`'s in-memory `Projections` (the reference)
//! on arbitrary sets of packing, unpacking, loading, unloading and sightings, some declared
//! erroneous, captured in any order and any split into documents.

use std::sync::atomic::{AtomicUsize, Ordering};

use jinka_trace::{
    Action, AggregationWhat, Epc, ErrorDeclaration, Event, EventContent, EventId, EventTime,
    LocationId, ObjectWhat, Projections, TimeZoneOffset, Timestamp, What,
};
use jinka_trace_store::{PostgresTraceStore, SqliteTraceStore, TraceStore, Viewer};
use proptest::prelude::*;

use crate::engines::{FreshDatabase, postgres_admin_url};
use crate::support::{case, epc, item, pallet, participant, record_time};

/// How many cases also run on PostgreSQL (each creates a database).
const POSTGRES_CASES: usize = 12;

#[derive(Clone, Debug)]
enum Step {
    Seen {
        epcs: Vec<String>,
    },
    Pack {
        case: u64,
        items: Vec<u64>,
        action: Action,
    },
    Unpack {
        case: u64,
        items: Vec<u64>,
    },
    Load {
        pallet: u64,
        cases: Vec<u64>,
    },
    Unload {
        pallet: u64,
        cases: Vec<u64>,
    },
}

const PLACES: [&str; 3] = [
    "urn:epc:id:sgln:0614141.00001.0",
    "urn:epc:id:sgln:0614141.00002.0",
    "urn:epc:id:sgln:0614141.00003.0",
];

fn subset(range: std::ops::Range<u64>, min: usize) -> impl Strategy<Value = Vec<u64>> {
    proptest::sample::subsequence(range.collect::<Vec<_>>(), min..=3)
}

fn step() -> impl Strategy<Value = Step> {
    let any_epc = prop_oneof![
        (0..6u64).prop_map(item),
        (0..3u64).prop_map(case),
        (0..2u64).prop_map(pallet)
    ];
    prop_oneof![
        proptest::collection::hash_set(any_epc, 1..3).prop_map(|epcs| Step::Seen {
            epcs: epcs.into_iter().collect()
        }),
        (
            0..3u64,
            subset(0..6, 1),
            prop_oneof![Just(Action::Add), Just(Action::Observe)]
        )
            .prop_map(|(case, items, action)| Step::Pack {
                case,
                items,
                action
            }),
        (0..3u64, subset(0..6, 0)).prop_map(|(case, items)| Step::Unpack { case, items }),
        (0..2u64, subset(0..3, 1)).prop_map(|(pallet, cases)| Step::Load { pallet, cases }),
        (0..2u64, subset(0..3, 0)).prop_map(|(pallet, cases)| Step::Unload { pallet, cases }),
    ]
}

fn aggregation(action: Action, parent: String, children: Vec<String>) -> What {
    What::Aggregation(AggregationWhat {
        action,
        parent_id: Some(epc(&parent)),
        child_epcs: children.iter().map(|text| epc(text)).collect(),
        child_quantity_list: Vec::new(),
    })
}

/// The event of step `index`, at one of few minutes (so times tie), at a place, maybe a
/// declaration that it was wrong.
fn build(index: usize, step: &Step, minute: i64, place: usize, declared: bool) -> Event {
    let at = Timestamp::from_epoch_ms(1_700_000_000_000 + minute * 60_000).unwrap();
    let what = match step.clone() {
        Step::Seen { epcs } => What::Object(ObjectWhat {
            action: Action::Observe,
            epc_list: epcs.iter().map(|text| epc(text)).collect(),
            quantity_list: Vec::new(),
            ilmd: None,
        }),
        Step::Pack {
            case: parent,
            items,
            action,
        } => aggregation(action, case(parent), items.into_iter().map(item).collect()),
        Step::Unpack {
            case: parent,
            items,
        } => aggregation(
            Action::Delete,
            case(parent),
            items.into_iter().map(item).collect(),
        ),
        Step::Load {
            pallet: parent,
            cases,
        } => aggregation(
            Action::Add,
            pallet(parent),
            cases.into_iter().map(case).collect(),
        ),
        Step::Unload {
            pallet: parent,
            cases,
        } => aggregation(
            Action::Delete,
            pallet(parent),
            cases.into_iter().map(case).collect(),
        ),
    };
    let mut content = EventContent::new(EventTime::new(at, TimeZoneOffset::UTC), what);
    content.read_point = Some(LocationId::parse(PLACES[place]).unwrap());
    if declared {
        content.error_declaration = Some(ErrorDeclaration {
            declaration_time: at,
            reason: None,
            corrective_event_ids: vec![EventId::parse(&format!("urn:x:{}", index + 1)).unwrap()],
        });
    }
    let id = EventId::parse(&format!("urn:x:{index}")).unwrap();
    Event::new(id, record_time(), content).unwrap()
}

/// Events of a scenario, some declared erroneous by a second event with the same id, and
/// how to cut them into documents.
fn scenario() -> impl Strategy<Value = (Vec<Event>, Vec<usize>)> {
    let steps = proptest::collection::vec((step(), 0..4i64, 0..PLACES.len(), any::<bool>()), 1..20)
        .prop_map(|steps| {
            let mut events = Vec::new();
            for (index, (step, minute, place, declared)) in steps.iter().enumerate() {
                events.push(build(index, step, *minute, *place, false));
                if *declared && index % 3 == 0 {
                    events.push(build(index, step, *minute, *place, true));
                }
            }
            events
        })
        .prop_shuffle();
    (steps, proptest::collection::vec(1..6usize, 1..8))
}

fn universe() -> Vec<Epc> {
    (0..6)
        .map(item)
        .chain((0..3).map(case))
        .chain((0..2).map(pallet))
        .map(|text| epc(&text))
        .collect()
}

fn check(store: &dyn TraceStore, events: &[Event], cuts: &[usize]) -> Result<(), TestCaseError> {
    let mut projections = Projections::new();
    for event in events {
        projections.apply(event).unwrap();
    }
    let mut rest = events;
    for cut in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, after) = rest.split_at((*cut).min(rest.len()));
        store
            .capture_events(participant(2), record_time(), batch)
            .unwrap();
        rest = after;
    }
    let all = Viewer::Operator;
    for epc in universe() {
        prop_assert_eq!(
            store.where_is(all, &epc).unwrap(),
            projections.where_is(&epc),
            "where is {}",
            epc
        );
        prop_assert_eq!(
            store.history(all, &epc).unwrap(),
            projections.history(&epc),
            "history of {}",
            epc
        );
        prop_assert_eq!(
            store.contents(all, &epc, false).unwrap(),
            projections.contents(&epc, false)
        );
        prop_assert_eq!(
            store.contents(all, &epc, true).unwrap(),
            projections.contents(&epc, true)
        );
    }
    Ok(())
}

static POSTGRES_RUNS: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn stored_projections_agree_with_the_reference((events, cuts) in scenario()) {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteTraceStore::open(&directory.path().join("trace.sqlite3")).unwrap();
        check(&store, &events, &cuts)?;
        if let Some(admin) = postgres_admin_url()
            && POSTGRES_RUNS.fetch_add(1, Ordering::Relaxed) < POSTGRES_CASES
        {
            let database = FreshDatabase::create(&admin, "reference");
            let store = PostgresTraceStore::open(&database.url).unwrap();
            check(&store, &events, &cuts)?;
        }
    }
}

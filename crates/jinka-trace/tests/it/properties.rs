//! Properties: no JSON makes capture panic, what capture accepts round-trips through the
//! stored form, and the projections agree whatever order a set of events is applied in.

use jinka_trace::{
    Action, AggregationWhat, CaptureContext, Document, Epc, Event, EventContent, EventId,
    EventTime, LocationId, ObjectWhat, Projections, SequentialEventIds, TimeZoneOffset, Timestamp,
    What,
};
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::{
    DOCK, at, case, document_value, epc, event, item, pallet, place, record_time,
};

/// Field names capture looks for, so that arbitrary objects reach its checks.
const KEYS: [&str; 24] = [
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "action",
    "epcList",
    "childEPCs",
    "parentID",
    "quantityList",
    "readPoint",
    "bizLocation",
    "id",
    "bizStep",
    "disposition",
    "bizTransactionList",
    "bizTransaction",
    "sensorElementList",
    "sensorReport",
    "value",
    "errorDeclaration",
    "declarationTime",
    "epcisBody",
    "eventList",
    "example:x",
];

/// Strings near the valid ones.
fn near_valid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ObjectEvent".to_owned()),
        Just("AggregationEvent".to_owned()),
        Just("TransformationEvent".to_owned()),
        Just("ADD".to_owned()),
        Just("DELETE".to_owned()),
        Just("shipping".to_owned()),
        Just("+08:00".to_owned()),
        "2026-0[1-3]-0[1-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,4})?(Z|[+-][0-2][0-9]:[0-5][0-9])",
        "urn:epc:id:(sgtin|sscc|grai):[0-9.]{0,20}",
        "https://id\\.gs1\\.org/0[01]/[0-9]{0,20}(/21/[0-9]{0,5})?",
        "urn:epc:id:sgln:[0-9.]{1,20}",
        ".{0,20}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|x| json!(x)),
        near_valid_text().prop_map(Value::from),
    ];
    let key = prop_oneof![
        proptest::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
        "[a-zA-Z:@]{0,12}",
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Valid events with one field replaced by an arbitrary value (or removed).
fn mutated_event() -> impl Strategy<Value = Value> {
    let valid = prop_oneof![
        Just(event(
            "ObjectEvent",
            &at(8, 0),
            json!({"action": "OBSERVE", "epcList": [item(1)], "readPoint": place(DOCK),
                   "bizStep": "shipping"}),
        )),
        Just(event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "ADD", "parentID": case(1), "childEPCs": [item(1), item(2)],
                   "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.812345.1",
                                          "quantity": 3}]}),
        )),
        Just(event(
            "ObjectEvent",
            &at(10, 0),
            json!({"action": "OBSERVE", "readPoint": place(DOCK),
                   "sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature",
                                                            "value": 3}]}]}),
        )),
    ];
    let key = proptest::sample::select(KEYS.to_vec());
    (valid, key, proptest::option::of(json_value())).prop_map(|(mut event, key, value)| {
        let object = event.as_object_mut().expect("an object");
        match value {
            Some(value) => object.insert(key.to_owned(), value),
            None => object.remove(key),
        };
        event
    })
}

/// Whatever capture accepts is an event whose stored form reads back the same.
fn check_accepted(value: Value) -> Result<(), TestCaseError> {
    let Ok(document) = Document::from_json(value, &CaptureContext::default()) else {
        return Ok(());
    };
    let mut ids = SequentialEventIds::new("urn:jinka:event:", 0).expect("a valid prefix");
    let Ok(events) = document.into_events(&mut ids, record_time()) else {
        return Ok(());
    };
    let mut projections = Projections::new();
    for event in events {
        prop_assert_eq!(Event::from_json(event.to_json()), Ok(event.clone()));
        prop_assert!(projections.apply(&event).is_ok());
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = Document::parse(&text, &CaptureContext::default());
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let _ = Document::parse(&value.to_string(), &CaptureContext::default());
        check_accepted(document_value(vec![value]))?;
    }

    #[test]
    fn mutated_events_never_panic(events in proptest::collection::vec(mutated_event(), 1..4)) {
        check_accepted(document_value(events))?;
    }
}

// Order independence.

/// An event of a scenario, over items 0..6 in cases 0..3 on pallets 0..2.
#[derive(Clone, Debug)]
enum Step {
    Seen {
        epcs: Vec<String>,
        place: usize,
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
        (
            proptest::collection::hash_set(any_epc, 1..3),
            0..PLACES.len()
        )
            .prop_map(|(epcs, place)| Step::Seen {
                epcs: epcs.into_iter().collect(),
                place
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

fn epcs(texts: impl IntoIterator<Item = String>) -> Vec<Epc> {
    texts.into_iter().map(|text| epc(&text)).collect()
}

fn aggregation(action: Action, parent: String, children: Vec<String>) -> What {
    What::Aggregation(AggregationWhat {
        action,
        parent_id: Some(epc(&parent)),
        child_epcs: epcs(children),
        child_quantity_list: Vec::new(),
    })
}

/// The event of step `index`, at one of few times (so that times tie), at a place.
fn build(index: usize, step: &Step, minute: i64, place: usize, declared: bool) -> Event {
    let at = Timestamp::from_epoch_ms(1_700_000_000_000 + minute * 60_000).expect("in range");
    let what = match step.clone() {
        Step::Seen { epcs: seen, .. } => What::Object(ObjectWhat {
            action: Action::Observe,
            epc_list: epcs(seen),
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
    let place = match step {
        Step::Seen { place, .. } => *place,
        _ => place,
    };
    content.read_point = Some(LocationId::parse(PLACES[place]).expect("a URI"));
    if declared {
        content.error_declaration = Some(jinka_trace::ErrorDeclaration {
            declaration_time: at,
            reason: None,
            corrective_event_ids: Vec::new(),
        });
    }
    let id = EventId::parse(&format!("urn:x:{index}")).expect("a URI");
    Event::new(id, record_time(), content).expect("a valid event")
}

/// A scenario: steps with their minute (0..4) and place, some declared erroneous by a second
/// event with the same id.
fn scenario() -> impl Strategy<Value = Vec<Event>> {
    proptest::collection::vec((step(), 0..4i64, 0..PLACES.len(), any::<bool>()), 1..24).prop_map(
        |steps| {
            let mut events = Vec::new();
            for (index, (step, minute, place, declared)) in steps.iter().enumerate() {
                events.push(build(index, step, *minute, *place, false));
                if *declared && index % 3 == 0 {
                    events.push(build(index, step, *minute, *place, true));
                }
            }
            events
        },
    )
}

fn apply(events: &[Event]) -> Projections {
    let mut projections = Projections::new();
    for event in events {
        projections.apply(event).expect("capacity");
    }
    projections
}

fn universe() -> Vec<Epc> {
    let texts = (0..6)
        .map(item)
        .chain((0..3).map(case))
        .chain((0..2).map(pallet));
    epcs(texts)
}

/// The parent of each EPC after replaying the uncorrected events in event order, the
/// plain way: ADD and OBSERVE put children in the parent, DELETE takes the named children
/// out if they are in it, DELETE with no children empties the parent.
fn replayed_parents(events: &[Event]) -> HashMap<Epc, Epc> {
    let corrected: HashSet<&EventId> = events
        .iter()
        .filter(|event| event.content().error_declaration.is_some())
        .map(Event::id)
        .collect();
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|event| !corrected.contains(event.id()))
        .collect();
    sorted.sort_by_key(|event| (event.time().at, event.id().as_str().to_owned()));
    let mut parents = HashMap::new();
    for event in sorted {
        let What::Aggregation(aggregation) = &event.content().what else {
            continue;
        };
        let parent = aggregation.parent_id.expect("scenarios name parents");
        match aggregation.action {
            Action::Add | Action::Observe => {
                for child in &aggregation.child_epcs {
                    parents.insert(*child, parent);
                }
            }
            Action::Delete if aggregation.child_epcs.is_empty() => {
                parents.retain(|_, holder| *holder != parent);
            }
            Action::Delete => {
                for child in &aggregation.child_epcs {
                    if parents.get(child) == Some(&parent) {
                        parents.remove(child);
                    }
                }
            }
        }
    }
    parents
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn containment_agrees_with_a_plain_replay(events in scenario().prop_shuffle()) {
        let projections = apply(&events);
        let parents = replayed_parents(&events);
        for epc in universe() {
            prop_assert_eq!(projections.parent_of(&epc), parents.get(&epc).copied(), "{}", epc);
            let mut children: Vec<Epc> = parents
                .iter()
                .filter(|(_, holder)| **holder == epc)
                .map(|(child, _)| *child)
                .collect();
            children.sort();
            prop_assert_eq!(projections.contents(&epc, false), children);
        }
    }

    #[test]
    fn projections_do_not_depend_on_arrival_order(
        (events, shuffled) in scenario().prop_flat_map(|events| {
            let shuffled = Just(events.clone()).prop_shuffle();
            (Just(events), shuffled)
        })
    ) {
        let (first, second) = (apply(&events), apply(&shuffled));
        prop_assert_eq!(first.event_count(), second.event_count());
        for epc in universe() {
            prop_assert_eq!(first.where_is(&epc), second.where_is(&epc), "where is {}", epc);
            prop_assert_eq!(first.parent_of(&epc), second.parent_of(&epc), "parent of {}", epc);
            prop_assert_eq!(first.contents(&epc, false), second.contents(&epc, false));
            prop_assert_eq!(first.contents(&epc, true), second.contents(&epc, true));
            prop_assert_eq!(first.history(&epc), second.history(&epc), "history of {}", epc);
        }
    }

    #[test]
    fn applying_twice_changes_nothing(events in scenario()) {
        let once = apply(&events);
        let mut twice = apply(&events);
        for event in &events {
            twice.apply(event).expect("capacity");
        }
        for epc in universe() {
            prop_assert_eq!(once.where_is(&epc), twice.where_is(&epc));
            prop_assert_eq!(once.contents(&epc, true), twice.contents(&epc, true));
            prop_assert_eq!(once.history(&epc), twice.history(&epc));
        }
    }
}

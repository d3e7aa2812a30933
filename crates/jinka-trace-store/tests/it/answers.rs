//! The three answers through aggregation and disaggregation: a pallet of cases of items is
//! packed, loaded, shipped, received, unloaded and unpacked.

use jinka_trace::Epc;
use jinka_trace_store::{TraceStore, Viewer};
use serde_json::json;

use crate::engines::each_engine;
use crate::support::{
    DOCK, FACTORY, STORE, WAREHOUSE, capture, case, epc, event, item, pallet, place,
};

const MAKER: u32 = 2;

fn steps(store: &dyn TraceStore, epc_text: &str) -> Vec<String> {
    store
        .history(Viewer::Operator, &epc(epc_text))
        .expect("history")
        .entries
        .iter()
        .map(|entry| {
            let step = entry
                .biz_step
                .as_ref()
                .map_or("-".to_owned(), |s| s.to_string());
            match &entry.via {
                Some(via) => format!("{step} via {via}"),
                None => step,
            }
        })
        .collect()
}

fn contents(store: &dyn TraceStore, parent: &str, recursive: bool) -> Vec<Epc> {
    store
        .contents(Viewer::Operator, &epc(parent), recursive)
        .expect("contents")
}

fn read_point(store: &dyn TraceStore, epc_text: &str) -> Option<String> {
    store
        .where_is(Viewer::Operator, &epc(epc_text))
        .expect("where is")
        .and_then(|location| location.read_point)
        .map(|place| place.to_string())
}

fn pack_and_load(store: &dyn TraceStore) {
    capture(
        store,
        MAKER,
        vec![
            event(
                "ObjectEvent",
                &at(8),
                json!({"action": "ADD", "bizStep": "commissioning",
                "epcList": [item(1), item(2), item(3), item(4)], "readPoint": place(FACTORY)}),
            ),
            event(
                "AggregationEvent",
                &at(9),
                json!({"action": "ADD", "bizStep": "packing",
                "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": place(FACTORY)}),
            ),
            event(
                "AggregationEvent",
                &at(9),
                json!({"action": "ADD", "bizStep": "packing",
                "parentID": case(2), "childEPCs": [item(3), item(4)], "readPoint": place(FACTORY)}),
            ),
            event(
                "AggregationEvent",
                &at(10),
                json!({"action": "ADD", "bizStep": "loading",
                "parentID": pallet(1), "childEPCs": [case(1), case(2)], "readPoint": place(DOCK)}),
            ),
        ],
    );
}

fn at(hour: u32) -> String {
    crate::support::at(hour, 0)
}

#[test]
fn a_pallet_is_packed_shipped_unpacked_and_traced() {
    each_engine("pallet", |store| {
        pack_and_load(store);
        assert_eq!(
            contents(store, &pallet(1), false),
            vec![epc(&case(1)), epc(&case(2))]
        );
        assert_eq!(contents(store, &pallet(1), true).len(), 6);
        assert_eq!(
            contents(store, &case(1), true),
            vec![epc(&item(1)), epc(&item(2))]
        );
        assert_eq!(
            read_point(store, &item(1)).as_deref(),
            Some(DOCK),
            "where its pallet was"
        );

        capture(
            store,
            MAKER,
            vec![
                event(
                    "ObjectEvent",
                    &at(11),
                    json!({"action": "OBSERVE", "bizStep": "shipping",
                "disposition": "in_transit", "epcList": [pallet(1)], "readPoint": place(DOCK)}),
                ),
                event(
                    "ObjectEvent",
                    &at(16),
                    json!({"action": "OBSERVE", "bizStep": "receiving",
                "epcList": [pallet(1)], "readPoint": place(WAREHOUSE),
                "bizLocation": place(WAREHOUSE)}),
                ),
            ],
        );
        let location = store
            .where_is(Viewer::Operator, &epc(&item(3)))
            .unwrap()
            .unwrap();
        assert_eq!(location.biz_location.unwrap().as_str(), WAREHOUSE);
        assert_eq!(location.via, Some(epc(&pallet(1))));

        // Unload (no children listed: all of them), unpack case 1, shelve item 1.
        capture(
            store,
            MAKER,
            vec![
                event(
                    "AggregationEvent",
                    &at(17),
                    json!({"action": "DELETE", "bizStep": "unloading",
                "parentID": pallet(1), "readPoint": place(WAREHOUSE)}),
                ),
                event(
                    "AggregationEvent",
                    &at(18),
                    json!({"action": "DELETE", "bizStep": "unpacking",
                "parentID": case(1), "childEPCs": [item(1), item(2)],
                "readPoint": place(WAREHOUSE)}),
                ),
                event(
                    "ObjectEvent",
                    &at(19),
                    json!({"action": "OBSERVE", "bizStep": "stocking",
                "epcList": [item(1)], "readPoint": place(STORE)}),
                ),
            ],
        );
        assert!(contents(store, &pallet(1), true).is_empty());
        assert!(contents(store, &case(1), true).is_empty());
        assert_eq!(
            contents(store, &case(2), true),
            vec![epc(&item(3)), epc(&item(4))]
        );
        assert_eq!(read_point(store, &item(1)).as_deref(), Some(STORE));
        assert_eq!(
            read_point(store, &item(2)).as_deref(),
            Some(WAREHOUSE),
            "unpacked there"
        );
        assert_eq!(
            read_point(store, &item(4)).as_deref(),
            Some(WAREHOUSE),
            "its case was taken off the pallet there"
        );
        let case1 = case(1);
        let pallet1 = pallet(1);
        assert_eq!(
            steps(store, &item(1)),
            [
                "commissioning".to_owned(),
                "packing".to_owned(),
                format!("loading via {case1}"),
                format!("shipping via {pallet1}"),
                format!("receiving via {pallet1}"),
                format!("unloading via {case1}"),
                "unpacking".to_owned(),
                "stocking".to_owned(),
            ]
        );
        // The pallet's history has none of its items' events.
        assert_eq!(
            steps(store, &pallet(1)),
            ["loading", "shipping", "receiving", "unloading"]
        );
        let unknown = epc(&item(99));
        assert_eq!(store.where_is(Viewer::Operator, &unknown).unwrap(), None);
        assert!(
            store
                .history(Viewer::Operator, &unknown)
                .unwrap()
                .entries
                .is_empty()
        );
        assert!(
            store
                .contents(Viewer::Operator, &unknown, true)
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn late_events_fill_in_history_without_moving_objects() {
    each_engine("late_events", |store| {
        pack_and_load(store);
        // The unloading arrives first, then a late ADD of item 5 into case 1 before it.
        capture(
            store,
            MAKER,
            vec![event(
                "AggregationEvent",
                &at(12),
                json!({"action": "DELETE",
            "bizStep": "unloading", "parentID": pallet(1), "readPoint": place(WAREHOUSE)}),
            )],
        );
        capture(
            store,
            MAKER,
            vec![
                event(
                    "AggregationEvent",
                    &at(11),
                    json!({"action": "ADD", "bizStep": "packing",
                "parentID": case(1), "childEPCs": [item(5)], "readPoint": place(DOCK)}),
                ),
                event(
                    "AggregationEvent",
                    &at(10),
                    json!({"action": "ADD", "bizStep": "loading",
                "parentID": pallet(2), "childEPCs": [case(3)], "readPoint": place(DOCK)}),
                ),
            ],
        );
        assert!(
            contents(store, &pallet(1), false).is_empty(),
            "the later DELETE-all wins"
        );
        assert_eq!(contents(store, &case(1), false).len(), 3);
        assert_eq!(contents(store, &pallet(2), false), vec![epc(&case(3))]);
        // Item 5 went into case 1 while the case was on the pallet, which was then unloaded
        // at the warehouse: that is where it is, through its case.
        let location = store
            .where_is(Viewer::Operator, &epc(&item(5)))
            .unwrap()
            .unwrap();
        assert_eq!(location.read_point.unwrap().as_str(), WAREHOUSE);
        assert_eq!(location.via, Some(epc(&case(1))));
        assert_eq!(
            steps(store, &item(5)),
            ["packing".to_owned(), format!("unloading via {}", case(1))]
        );
    });
}

#[test]
fn an_error_declaration_marks_the_event_and_undoes_its_containment() {
    each_engine("corrections", |store| {
        pack_and_load(store);
        let wrong = json!({"action": "ADD", "bizStep": "packing", "parentID": case(9),
            "childEPCs": [item(1)], "readPoint": place(WAREHOUSE), "eventID": "urn:x:wrong"});
        capture(
            store,
            MAKER,
            vec![event("AggregationEvent", &at(12), wrong.clone())],
        );
        assert_eq!(contents(store, &case(9), false), vec![epc(&item(1))]);
        assert_eq!(read_point(store, &item(1)).as_deref(), Some(WAREHOUSE));
        let mut declared = wrong;
        declared["errorDeclaration"] = json!({"declarationTime": "2026-03-02T13:00:00Z",
            "reason": "incorrect_data", "correctiveEventIDs": ["urn:x:right"]});
        capture(
            store,
            MAKER,
            vec![
                event("AggregationEvent", &at(12), declared),
                event(
                    "ObjectEvent",
                    &at(12),
                    json!({"action": "OBSERVE", "bizStep": "inspecting",
                "epcList": [case(1)], "readPoint": place(DOCK), "eventID": "urn:x:right"}),
                ),
            ],
        );
        assert!(contents(store, &case(9), false).is_empty());
        assert_eq!(
            contents(store, &case(1), false),
            vec![epc(&item(1)), epc(&item(2))]
        );
        assert_eq!(read_point(store, &item(1)).as_deref(), Some(DOCK));
        let history = store.history(Viewer::Operator, &epc(&item(1))).unwrap();
        let wrong = history
            .entries
            .iter()
            .find(|entry| entry.event_id.as_str() == "urn:x:wrong")
            .expect("a corrected event stays in the history");
        let correction = wrong.correction.as_ref().expect("marked corrected");
        assert_eq!(correction.corrective_event_ids[0].as_str(), "urn:x:right");
        let right = history
            .entries
            .iter()
            .find(|entry| entry.event_id.as_str() == "urn:x:right")
            .expect("the case's inspection, through the case");
        assert_eq!(right.corrects[0].as_str(), "urn:x:wrong");
    });
}

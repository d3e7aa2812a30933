//! Who sees what: a participant sees the events it captured and those that name it as an
//! owning or possessing party; containers count only through links it may see.

use jinka_trace::{Epc, EventQuery};
use jinka_trace_store::{TraceStore, Viewer};
use serde_json::json;

use crate::engines::each_engine;
use crate::support::{
    DOCK, FACTORY, WAREHOUSE, at, capture, case, epc, event, item, pallet, participant, place,
    receiver,
};

const MAKER: u32 = 2;
const RETAILER: u32 = 3;
const STRANGER: u32 = 4;

fn viewer(n: u32) -> Viewer {
    Viewer::Participant(participant(n))
}

fn ship(store: &dyn TraceStore) {
    capture(
        store,
        MAKER,
        vec![
            event(
                "AggregationEvent",
                &at(9, 0),
                json!({"action": "ADD", "bizStep": "packing",
            "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": place(FACTORY)}),
            ),
            event(
                "AggregationEvent",
                &at(10, 0),
                json!({"action": "ADD", "bizStep": "loading",
            "parentID": pallet(1), "childEPCs": [case(1)], "readPoint": place(DOCK),
            "destinationList": receiver(RETAILER)}),
            ),
            event(
                "ObjectEvent",
                &at(11, 0),
                json!({"action": "OBSERVE", "bizStep": "shipping",
            "epcList": [pallet(1)], "readPoint": place(DOCK),
            "destinationList": receiver(RETAILER)}),
            ),
        ],
    );
    capture(
        store,
        RETAILER,
        vec![event(
            "ObjectEvent",
            &at(16, 0),
            json!({"action": "OBSERVE", "bizStep": "receiving",
            "epcList": [pallet(1)], "readPoint": place(WAREHOUSE)}),
        )],
    );
}

fn steps(store: &dyn TraceStore, who: Viewer, epc_text: &str) -> Vec<String> {
    store
        .history(who, &epc(epc_text))
        .unwrap()
        .entries
        .iter()
        .map(|entry| {
            entry
                .biz_step
                .as_ref()
                .map_or("-".into(), |step| step.to_string())
        })
        .collect()
}

fn read_point(store: &dyn TraceStore, who: Viewer, epc_text: &str) -> Option<String> {
    store
        .where_is(who, &epc(epc_text))
        .unwrap()
        .and_then(|location| location.read_point)
        .map(|place| place.to_string())
}

#[test]
fn participants_see_their_own_and_what_is_shared_with_them() {
    each_engine("visibility", |store| {
        ship(store);
        let ids = |who: Viewer| -> Vec<String> {
            let query = EventQuery::from_pairs([("orderDirection", "ASC")]).unwrap();
            let page = store.events(who, &query).unwrap();
            page.events
                .iter()
                .map(|e| e.content().biz_step.as_ref().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            ids(Viewer::Operator),
            ["packing", "loading", "shipping", "receiving"]
        );
        assert_eq!(ids(viewer(MAKER)), ["packing", "loading", "shipping"]);
        assert_eq!(ids(viewer(RETAILER)), ["loading", "shipping", "receiving"]);
        assert!(ids(viewer(STRANGER)).is_empty());

        // The retailer sees the case on the pallet (the loading was shared), not the items
        // in the case (the packing was not).
        let contents = |who: Viewer, parent: &str| -> Vec<Epc> {
            store.contents(who, &epc(parent), true).unwrap()
        };
        assert_eq!(contents(Viewer::Operator, &pallet(1)).len(), 3);
        assert_eq!(contents(viewer(RETAILER), &pallet(1)), vec![epc(&case(1))]);
        assert!(contents(viewer(STRANGER), &pallet(1)).is_empty());

        assert_eq!(
            read_point(store, Viewer::Operator, &item(1)).as_deref(),
            Some(WAREHOUSE)
        );
        assert_eq!(
            read_point(store, viewer(MAKER), &item(1)).as_deref(),
            Some(DOCK)
        );
        assert_eq!(read_point(store, viewer(RETAILER), &item(1)), None);
        assert_eq!(
            read_point(store, viewer(RETAILER), &case(1)).as_deref(),
            Some(WAREHOUSE)
        );
        assert_eq!(read_point(store, viewer(STRANGER), &case(1)), None);

        assert_eq!(
            steps(store, Viewer::Operator, &item(1)),
            ["packing", "loading", "shipping", "receiving"]
        );
        assert_eq!(
            steps(store, viewer(MAKER), &item(1)),
            ["packing", "loading", "shipping"]
        );
        assert!(steps(store, viewer(RETAILER), &item(1)).is_empty());
        assert_eq!(
            steps(store, viewer(RETAILER), &case(1)),
            ["loading", "shipping", "receiving"]
        );
        assert!(steps(store, viewer(STRANGER), &case(1)).is_empty());
    });
}

#[test]
fn a_query_filter_does_not_widen_what_is_visible() {
    each_engine("visibility_filters", |store| {
        ship(store);
        for pairs in [
            vec![("MATCH_anyEPC", "urn:epc:idpat:sgtin:*.*.*")],
            vec![("EQ_bizStep", "packing")],
            vec![
                ("eventType", "AggregationEvent"),
                ("MATCH_parentID", "urn:epc:idpat:sscc:*.*"),
            ],
        ] {
            let query = EventQuery::from_pairs(pairs.clone()).unwrap();
            let seen = store.events(viewer(RETAILER), &query).unwrap().events;
            assert!(
                seen.iter()
                    .all(|e| e.content().biz_step.as_ref().unwrap().as_str() != "packing"),
                "{pairs:?}"
            );
            assert!(
                store
                    .events(viewer(STRANGER), &query)
                    .unwrap()
                    .events
                    .is_empty()
            );
        }
    });
}

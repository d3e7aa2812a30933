//! The projections through aggregation and disaggregation: items packed in cases, cases
//! loaded on a pallet, the pallet shipped, received and unloaded, the cases unpacked, an item
//! sold; where is an item, its history, and what the pallet holds at each stage.

use jinka_trace::{Epc, EventType, Location};
use serde_json::json;

use crate::support::{
    Capture, DOCK, FACTORY, STORE, WAREHOUSE, at, case, epc, event, item, pallet, place,
};

fn epcs(texts: &[String]) -> Vec<Epc> {
    let mut epcs: Vec<Epc> = texts.iter().map(|text| epc(text)).collect();
    epcs.sort();
    epcs
}

fn location(capture: &Capture, text: &str) -> Location {
    capture
        .projections
        .where_is(&epc(text))
        .expect("seen somewhere")
}

/// Commission four items, pack two per case.
fn packed() -> Capture {
    let mut capture = Capture::new();
    capture.capture(vec![
        event(
            "ObjectEvent",
            &at(8, 0),
            json!({"action": "ADD", "bizStep": "commissioning", "disposition": "active",
                   "epcList": [item(1), item(2), item(3), item(4)], "readPoint": place(FACTORY),
                   "bizLocation": place(FACTORY)}),
        ),
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "ADD", "bizStep": "packing", "parentID": case(1),
                   "childEPCs": [item(1), item(2)], "readPoint": place(FACTORY)}),
        ),
        event(
            "AggregationEvent",
            &at(9, 1),
            json!({"action": "ADD", "bizStep": "packing", "parentID": case(2),
                   "childEPCs": [item(3), item(4)], "readPoint": place(FACTORY)}),
        ),
    ]);
    capture
}

fn loaded() -> Capture {
    let mut capture = packed();
    capture.capture(vec![event(
        "AggregationEvent",
        &at(10, 0),
        json!({"action": "ADD", "bizStep": "loading", "parentID": pallet(1),
               "childEPCs": [case(1), case(2)], "readPoint": place(DOCK)}),
    )]);
    capture
}

fn shipped() -> Capture {
    let mut capture = loaded();
    capture.capture(vec![event(
        "ObjectEvent",
        &at(11, 0),
        json!({"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
               "epcList": [pallet(1)], "readPoint": place(DOCK)}),
    )]);
    capture
}

fn received() -> Capture {
    let mut capture = shipped();
    capture.capture(vec![event(
        "ObjectEvent",
        &at(16, 0),
        json!({"action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
               "epcList": [pallet(1)], "readPoint": place(WAREHOUSE),
               "bizLocation": place(WAREHOUSE)}),
    )]);
    capture
}

/// Unload the pallet (DELETE with no children: all), unpack case 1 naming its items and
/// case 2 with no children.
fn unpacked() -> Capture {
    let mut capture = received();
    capture.capture(vec![
        event(
            "AggregationEvent",
            &at(17, 0),
            json!({"action": "DELETE", "bizStep": "unloading", "parentID": pallet(1),
                   "readPoint": place(WAREHOUSE)}),
        ),
        event(
            "AggregationEvent",
            &at(18, 0),
            json!({"action": "DELETE", "bizStep": "unpacking", "parentID": case(1),
                   "childEPCs": [item(1), item(2)], "readPoint": place(STORE),
                   "bizLocation": place(STORE)}),
        ),
        event(
            "AggregationEvent",
            &at(18, 5),
            json!({"action": "DELETE", "bizStep": "unpacking", "parentID": case(2),
                   "readPoint": place(STORE), "bizLocation": place(STORE)}),
        ),
    ]);
    capture
}

#[test]
fn packing_puts_items_in_cases() {
    let capture = packed();
    let projections = &capture.projections;
    assert_eq!(
        projections.contents(&epc(&case(1)), false),
        epcs(&[item(1), item(2)])
    );
    assert_eq!(projections.parent_of(&epc(&item(3))), Some(epc(&case(2))));
    assert!(projections.contents(&epc(&pallet(1)), true).is_empty());
    // The packing event named the item: its own sighting.
    let location = location(&capture, &item(1));
    assert_eq!(location.read_point.unwrap().as_str(), FACTORY);
    assert_eq!(location.via, None);
}

#[test]
fn loading_puts_cases_on_the_pallet() {
    let capture = loaded();
    let projections = &capture.projections;
    let pallet = epc(&pallet(1));
    assert_eq!(
        projections.contents(&pallet, false),
        epcs(&[case(1), case(2)])
    );
    assert_eq!(
        projections.contents(&pallet, true),
        epcs(&[case(1), case(2), item(1), item(2), item(3), item(4)])
    );
    assert_eq!(projections.parent_of(&epc(&case(1))), Some(pallet));
    // The loading event saw case 1 at the dock, after the item was packed in it.
    let location = location(&capture, &item(1));
    assert_eq!(location.read_point.unwrap().as_str(), DOCK);
    assert_eq!(location.via, Some(epc(&case(1))));
}

#[test]
fn an_item_travels_with_its_pallet() {
    let capture = shipped();
    let shipping = location(&capture, &item(2));
    assert_eq!(shipping.read_point.as_ref().unwrap().as_str(), DOCK);
    assert_eq!(shipping.biz_location, None, "in transit");
    assert_eq!(shipping.via, Some(epc(&pallet(1))));
    assert_eq!(
        shipping.event_id,
        capture.events.last().unwrap().id().clone()
    );

    let capture = received();
    let at_warehouse = location(&capture, &item(2));
    assert_eq!(at_warehouse.biz_location.unwrap().as_str(), WAREHOUSE);
    assert_eq!(at_warehouse.via, Some(epc(&pallet(1))));
    assert_eq!(
        at_warehouse.event_time.at,
        jinka_trace::Timestamp::parse(&at(16, 0)).unwrap()
    );
    // The pallet itself: its own sighting.
    assert_eq!(location(&capture, &pallet(1)).via, None);
}

#[test]
fn unloading_and_unpacking_empty_the_containers() {
    let capture = unpacked();
    let projections = &capture.projections;
    assert!(projections.contents(&epc(&pallet(1)), true).is_empty());
    assert!(projections.contents(&epc(&case(1)), false).is_empty());
    assert!(projections.contents(&epc(&case(2)), false).is_empty());
    for n in 1..=4 {
        assert_eq!(projections.parent_of(&epc(&item(n))), None, "item {n}");
    }
    assert_eq!(projections.parent_of(&epc(&case(1))), None);
    // Item 1 was named by its unpacking; item 3 was taken out by a DELETE of all children.
    for n in [1, 3] {
        let location = location(&capture, &item(n));
        assert_eq!(location.biz_location.unwrap().as_str(), STORE, "item {n}");
        assert_eq!(location.via, None, "item {n}");
    }
}

#[test]
fn between_unloading_and_unpacking_an_item_is_where_its_case_was_unloaded() {
    let mut capture = received();
    capture.capture(vec![event(
        "AggregationEvent",
        &at(17, 0),
        json!({"action": "DELETE", "bizStep": "unloading", "parentID": pallet(1),
               "readPoint": place(WAREHOUSE)}),
    )]);
    assert_eq!(
        capture.projections.parent_of(&epc(&item(1))),
        Some(epc(&case(1)))
    );
    let location = location(&capture, &item(1));
    assert_eq!(location.read_point.unwrap().as_str(), WAREHOUSE);
    assert_eq!(location.via, Some(epc(&case(1))));
    assert_eq!(
        location.event_time.at,
        jinka_trace::Timestamp::parse(&at(17, 0)).unwrap()
    );
}

#[test]
fn full_history_includes_the_periods_inside_containers() {
    let mut capture = unpacked();
    capture.capture(vec![event(
        "ObjectEvent",
        &at(19, 0),
        json!({"action": "OBSERVE", "bizStep": "retail_selling", "disposition": "retail_sold",
               "epcList": [item(1)], "readPoint": place(STORE), "bizLocation": place(STORE)}),
    )]);
    let history = capture.projections.history(&epc(&item(1)));
    assert!(!history.truncated);
    let steps: Vec<(String, Option<Epc>)> = history
        .entries
        .iter()
        .map(|entry| (entry.biz_step.as_ref().unwrap().to_string(), entry.via))
        .collect();
    let case1 = Some(epc(&case(1)));
    let pallet1 = Some(epc(&pallet(1)));
    assert_eq!(
        steps,
        [
            ("commissioning".to_owned(), None),
            ("packing".to_owned(), None),
            ("loading".to_owned(), case1),
            ("shipping".to_owned(), pallet1),
            ("receiving".to_owned(), pallet1),
            ("unloading".to_owned(), case1),
            ("unpacking".to_owned(), None),
            ("retail_selling".to_owned(), None),
        ]
    );
    assert_eq!(history.entries[3].event_type, EventType::Object);
    // Item 3: its case was emptied by a DELETE of all children; no retail sale.
    let steps: Vec<String> = capture
        .projections
        .history(&epc(&item(3)))
        .entries
        .iter()
        .map(|entry| entry.biz_step.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        [
            "commissioning",
            "packing",
            "loading",
            "shipping",
            "receiving",
            "unloading",
            "unpacking"
        ]
    );
    // The pallet's own history does not include its contents' events.
    let pallet_steps: Vec<String> = capture
        .projections
        .history(&epc(&pallet(1)))
        .entries
        .iter()
        .map(|entry| entry.biz_step.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        pallet_steps,
        ["loading", "shipping", "receiving", "unloading"]
    );
}

#[test]
fn containers_reused_later_do_not_leak_into_old_contents_history() {
    let mut capture = unpacked();
    // The pallet goes on, loaded with something else: not item 1's business.
    capture.capture(vec![
        event(
            "AggregationEvent",
            &at(20, 0),
            json!({"action": "ADD", "bizStep": "loading", "parentID": pallet(1),
                   "childEPCs": [case(9)], "readPoint": place(WAREHOUSE)}),
        ),
        event(
            "ObjectEvent",
            &at(21, 0),
            json!({"action": "OBSERVE", "bizStep": "shipping", "epcList": [pallet(1)],
                   "readPoint": place(WAREHOUSE)}),
        ),
    ]);
    let history = capture.projections.history(&epc(&item(1)));
    assert_eq!(history.entries.len(), 7);
    assert_eq!(
        location(&capture, &item(1)).biz_location.unwrap().as_str(),
        STORE
    );
    assert_eq!(
        capture.projections.contents(&epc(&pallet(1)), true),
        epcs(&[case(9)])
    );
}

#[test]
fn unknown_epcs_have_no_answers() {
    let capture = unpacked();
    let stranger = epc(&item(99));
    assert_eq!(capture.projections.where_is(&stranger), None);
    assert!(capture.projections.history(&stranger).entries.is_empty());
    assert!(capture.projections.contents(&stranger, true).is_empty());
    assert_eq!(capture.projections.parent_of(&stranger), None);
}

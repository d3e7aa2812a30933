//! Events that arrive out of `eventTime` order: the projections follow event order
//! (`eventTime`, then `eventID`), not arrival order.

use jinka_trace::Projections;
use serde_json::{Value, json};

use crate::support::{
    DOCK, STORE, WAREHOUSE, at, case, epc, event, item, one_event, pallet, place,
};

fn seen(id: &str, epc_text: &str, hour: u32, minute: u32, place_id: &str) -> Value {
    event(
        "ObjectEvent",
        &at(hour, minute),
        json!({"eventID": id, "action": "OBSERVE", "epcList": [epc_text],
               "readPoint": place(place_id)}),
    )
}

fn aggregation(id: &str, action: &str, parent: &str, children: &[String], hour: u32) -> Value {
    let mut fields = json!({"eventID": id, "action": action, "parentID": parent,
                            "readPoint": place(DOCK)});
    if !children.is_empty() {
        fields["childEPCs"] = json!(children);
    }
    event("AggregationEvent", &at(hour, 0), fields)
}

fn apply_all(values: &[Value]) -> Projections {
    let mut projections = Projections::new();
    for value in values {
        projections
            .apply(&one_event(value.clone(), "urn:unused:"))
            .unwrap();
    }
    projections
}

#[test]
fn a_late_older_sighting_does_not_move_the_object() {
    let newer = seen("urn:x:newer", &item(1), 15, 0, STORE);
    let older = seen("urn:x:older", &item(1), 9, 0, WAREHOUSE);
    let projections = apply_all(&[newer, older]);
    let item1 = epc(&item(1));
    let location = projections.where_is(&item1).unwrap();
    assert_eq!(location.event_id.as_str(), "urn:x:newer");
    assert_eq!(location.read_point.unwrap().as_str(), STORE);
    // The late event fills in history, in event order.
    let ids: Vec<String> = projections
        .history(&item1)
        .entries
        .iter()
        .map(|entry| entry.event_id.to_string())
        .collect();
    assert_eq!(ids, ["urn:x:older", "urn:x:newer"]);
}

#[test]
fn equal_times_are_ordered_by_event_id() {
    let b = seen("urn:x:b", &item(1), 10, 0, STORE);
    let a = seen("urn:x:a", &item(1), 10, 0, WAREHOUSE);
    for order in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
        let projections = apply_all(&order);
        let location = projections.where_is(&epc(&item(1))).unwrap();
        assert_eq!(location.event_id.as_str(), "urn:x:b");
    }
}

#[test]
fn a_late_add_before_a_delete_of_all_children_stays_out() {
    let pallet1 = pallet(1);
    let add = aggregation("urn:x:add", "ADD", &pallet1, &[case(1)], 10);
    let unload = aggregation("urn:x:unload", "DELETE", &pallet1, &[], 12);
    let later_add = aggregation("urn:x:add2", "ADD", &pallet1, &[case(2)], 13);
    for order in [
        vec![add.clone(), unload.clone(), later_add.clone()],
        vec![unload.clone(), later_add.clone(), add.clone()],
        vec![later_add.clone(), add.clone(), unload.clone()],
    ] {
        let projections = apply_all(&order);
        assert_eq!(projections.contents(&epc(&pallet1), false), [epc(&case(2))]);
        assert_eq!(projections.parent_of(&epc(&case(1))), None);
        // Case 1's history shows it went in and was taken out.
        let ids: Vec<String> = projections
            .history(&epc(&case(1)))
            .entries
            .iter()
            .map(|entry| entry.event_id.to_string())
            .collect();
        assert_eq!(ids, ["urn:x:add", "urn:x:unload"]);
    }
}

#[test]
fn a_late_older_move_does_not_override_a_newer_one() {
    let into_a = aggregation("urn:x:a", "ADD", &pallet(1), &[case(1)], 10);
    let into_b = aggregation("urn:x:b", "ADD", &pallet(2), &[case(1)], 12);
    let projections = apply_all(&[into_b, into_a]);
    assert_eq!(projections.parent_of(&epc(&case(1))), Some(epc(&pallet(2))));
    assert!(projections.contents(&epc(&pallet(1)), false).is_empty());
}

#[test]
fn a_late_container_sighting_before_the_item_joined_does_not_count() {
    // The pallet was at the store before the case was loaded on it at the dock.
    let load = aggregation("urn:x:load", "ADD", &pallet(1), &[case(1)], 10);
    let early = seen("urn:x:early", &pallet(1), 8, 0, STORE);
    let projections = apply_all(&[load, early]);
    let location = projections.where_is(&epc(&case(1))).unwrap();
    assert_eq!(location.event_id.as_str(), "urn:x:load");
    assert_eq!(location.read_point.unwrap().as_str(), DOCK);
}

#[test]
fn emptying_a_container_the_object_left_does_not_concern_it() {
    let into_a = aggregation("urn:x:a", "ADD", &case(1), &[item(1)], 9);
    let into_b = aggregation("urn:x:b", "ADD", &case(2), &[item(1)], 10);
    let empty_a = aggregation("urn:x:empty", "DELETE", &case(1), &[], 11);
    for order in [
        vec![into_a.clone(), into_b.clone(), empty_a.clone()],
        vec![empty_a.clone(), into_b.clone(), into_a.clone()],
    ] {
        let projections = apply_all(&order);
        let item1 = epc(&item(1));
        assert_eq!(projections.parent_of(&item1), Some(epc(&case(2))));
        let ids: Vec<String> = projections
            .history(&item1)
            .entries
            .iter()
            .map(|entry| entry.event_id.to_string())
            .collect();
        assert_eq!(ids, ["urn:x:a", "urn:x:b"]);
    }
}

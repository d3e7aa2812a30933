//! Error declarations: the erroneous event is marked in histories, no longer counts for
//! locations and containment, and its corrective events link back to it.

use jinka_trace::{Applied, CbvErrorReason, ErrorReason, EventId, Projections};
use serde_json::{Value, json};

use crate::support::{
    Capture, DOCK, STORE, WAREHOUSE, at, case, epc, event, one_event, pallet, place,
};

fn declaration(of: Value, corrective: &[&str]) -> Value {
    let mut declared = of;
    declared["errorDeclaration"] = json!({
        "declarationTime": "2026-03-03T09:00:00.000Z",
        "reason": "urn:epcglobal:cbv:er:incorrect_data",
        "correctiveEventIDs": corrective,
    });
    declared
}

fn received_at(place_id: &str, id: &str, hour: u32) -> Value {
    event(
        "ObjectEvent",
        &at(hour, 0),
        json!({"eventID": id, "action": "OBSERVE", "bizStep": "receiving",
               "epcList": [pallet(1)], "readPoint": place(place_id),
               "bizLocation": place(place_id)}),
    )
}

#[test]
fn a_declared_event_is_marked_and_its_correction_linked() {
    let mut capture = Capture::new();
    let wrong = received_at(STORE, "urn:x:wrong", 16);
    capture.capture(vec![
        event(
            "ObjectEvent",
            &at(11, 0),
            json!({"eventID": "urn:x:shipped", "action": "OBSERVE", "bizStep": "shipping",
                   "epcList": [pallet(1)], "readPoint": place(DOCK)}),
        ),
        wrong.clone(),
    ]);
    let pallet1 = epc(&pallet(1));
    assert_eq!(
        capture
            .projections
            .where_is(&pallet1)
            .unwrap()
            .event_id
            .as_str(),
        "urn:x:wrong"
    );
    capture.capture(vec![
        declaration(wrong, &["urn:x:right"]),
        received_at(WAREHOUSE, "urn:x:right", 15),
    ]);
    let location = capture.projections.where_is(&pallet1).unwrap();
    assert_eq!(location.event_id.as_str(), "urn:x:right");
    assert_eq!(location.biz_location.unwrap().as_str(), WAREHOUSE);

    let history = capture.projections.history(&pallet1);
    let ids: Vec<&str> = history
        .entries
        .iter()
        .map(|entry| entry.event_id.as_str())
        .collect();
    assert_eq!(ids, ["urn:x:shipped", "urn:x:right", "urn:x:wrong"]);
    let wrong = &history.entries[2];
    let correction = wrong.correction.as_ref().expect("marked corrected");
    assert_eq!(
        correction.reason,
        Some(ErrorReason::Cbv(CbvErrorReason::IncorrectData))
    );
    assert_eq!(
        correction.corrective_event_ids,
        [EventId::parse("urn:x:right").unwrap()]
    );
    let right = &history.entries[1];
    assert_eq!(right.correction, None);
    assert_eq!(right.corrects, [EventId::parse("urn:x:wrong").unwrap()]);
    assert!(history.entries[0].correction.is_none());
}

#[test]
fn a_declared_aggregation_no_longer_contains() {
    let mut capture = Capture::new();
    let loaded = event(
        "AggregationEvent",
        &at(10, 0),
        json!({"eventID": "urn:x:load", "action": "ADD", "bizStep": "loading",
               "parentID": pallet(1), "childEPCs": [case(1), case(2)],
               "readPoint": place(DOCK)}),
    );
    capture.capture(vec![loaded.clone()]);
    assert_eq!(
        capture.projections.contents(&epc(&pallet(1)), false).len(),
        2
    );
    capture.capture(vec![
        declaration(loaded, &["urn:x:load-again"]),
        event(
            "AggregationEvent",
            &at(10, 1),
            json!({"eventID": "urn:x:load-again", "action": "ADD", "bizStep": "loading",
                   "parentID": pallet(1), "childEPCs": [case(1)], "readPoint": place(DOCK)}),
        ),
    ]);
    assert_eq!(
        capture.projections.contents(&epc(&pallet(1)), false),
        [epc(&case(1))]
    );
    assert_eq!(capture.projections.parent_of(&epc(&case(2))), None);
    let history = capture.projections.history(&epc(&case(2)));
    assert_eq!(history.entries.len(), 1);
    assert!(history.entries[0].correction.is_some());
}

#[test]
fn a_declaration_before_its_event_gives_the_same_result() {
    let original = one_event(received_at(STORE, "urn:x:wrong", 16), "urn:unused:");
    let declared = one_event(
        declaration(received_at(STORE, "urn:x:wrong", 16), &[]),
        "urn:unused:",
    );
    let mut in_order = Projections::new();
    assert_eq!(in_order.apply(&original), Ok(Applied::Recorded));
    assert_eq!(in_order.apply(&declared), Ok(Applied::Declared));
    assert_eq!(in_order.apply(&original), Ok(Applied::Duplicate));

    let mut reversed = Projections::new();
    assert_eq!(reversed.apply(&declared), Ok(Applied::Recorded));
    assert_eq!(reversed.apply(&original), Ok(Applied::Duplicate));

    let pallet1 = epc(&pallet(1));
    for projections in [&in_order, &reversed] {
        assert_eq!(projections.where_is(&pallet1), None, "a corrected sighting");
        let history = projections.history(&pallet1);
        assert_eq!(history.entries.len(), 1);
        assert!(history.entries[0].correction.is_some());
    }
    assert_eq!(in_order.history(&pallet1), reversed.history(&pallet1));
}

//! A document with an invalid event is refused whole, with the event's index, the field and
//! the reason.

use jinka_trace::{
    CaptureContext, DOCUMENT_BYTES_MAX, Document, Error, ErrorKind, SequentialEventIds,
};
use serde_json::{Value, json};

use crate::support::{DOCK, at, document, document_value, event, item, pallet, place};

fn valid() -> Value {
    event(
        "ObjectEvent",
        &at(8, 0),
        json!({"action": "OBSERVE", "epcList": [item(1)], "readPoint": place(DOCK)}),
    )
}

/// The error for a document of two valid events and `bad` third.
fn refusal(bad: Value) -> Error {
    let text = document(vec![valid(), valid(), bad]);
    let error = Document::parse(&text, &CaptureContext::default()).unwrap_err();
    assert_eq!(error.event_index(), Some(2), "{error}");
    assert_eq!(error.kind(), ErrorKind::RejectInput);
    error
}

fn with(fields: Value) -> Value {
    let mut value = valid();
    for (key, field) in fields.as_object().unwrap() {
        if field.is_null() {
            value.as_object_mut().unwrap().remove(key);
        } else {
            value[key] = field.clone();
        }
    }
    value
}

#[test]
fn the_event_index_field_and_reason_are_named() {
    let error = refusal(with(
        json!({"epcList": [item(1), "urn:epc:id:sgtin:0614141.812345.06"]}),
    ));
    assert_eq!(error.field().as_deref(), Some("epcList[1]"));
    assert_eq!(
        error.innermost(),
        &Error::Epc(jinka_epc::Error::SerialLeadingZero)
    );
    assert_eq!(
        error.to_string(),
        "event 2: epcList[1]: invalid EPC: serial has a leading zero"
    );
}

#[test]
fn field_level_refusals() {
    let cases: Vec<(Value, &str, Error)> = vec![
        (
            with(json!({"eventTime": null})),
            "eventTime",
            Error::Missing,
        ),
        (
            with(json!({"eventTime": "2026-03-02T08:00:00"})),
            "eventTime",
            Error::Time {
                reason: "missing or malformed offset (Z or ±hh:mm)",
            },
        ),
        (
            with(json!({"eventTimeZoneOffset": "+15:00"})),
            "eventTimeZoneOffset",
            Error::Time {
                reason: "time zone offset beyond ±14:00",
            },
        ),
        (
            with(json!({"epclist": [item(2)]})),
            "epclist",
            Error::UnknownField,
        ),
        (
            with(json!({"type": "ThingEvent"})),
            "type",
            Error::UnknownEventType {
                found: "ThingEvent".to_owned(),
            },
        ),
        (
            with(json!({"action": "ADDED"})),
            "action",
            Error::UnknownTerm {
                vocabulary: "action (ADD, OBSERVE, DELETE)",
                found: "ADDED".to_owned(),
            },
        ),
        (
            with(json!({"bizStep": "https://ref.gs1.org/cbv/BizStep-shiping"})),
            "bizStep",
            Error::UnknownTerm {
                vocabulary: "business step",
                found: "https://ref.gs1.org/cbv/BizStep-shiping".to_owned(),
            },
        ),
        (
            with(json!({"disposition": "lost"})),
            "disposition",
            Error::UnknownTerm {
                vocabulary: "disposition",
                found: "lost".to_owned(),
            },
        ),
        (
            with(json!({"readPoint": {"id": "dock 1"}})),
            "readPoint.id",
            Error::Uri {
                reason: "no scheme (expected scheme:rest)",
            },
        ),
        (
            with(json!({"readPoint": "urn:epc:id:sgln:0614141.00001.1"})),
            "readPoint",
            Error::WrongType {
                expected: "an object",
            },
        ),
        (
            with(json!({"epcList": [item(1), item(2), item(1)]})),
            "epcList[2]",
            Error::DuplicateEpc,
        ),
        (
            with(json!({"epcList": ["urn:epc:id:grai:0614141.12345.400"]})),
            "epcList[0]",
            Error::UnsupportedEpcScheme {
                scheme: "grai".to_owned(),
            },
        ),
        (
            with(
                json!({"quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.812345.1",
                                          "quantity": -2}]}),
            ),
            "quantityList[0].quantity",
            Error::Number {
                reason: "a quantity is finite and not negative",
            },
        ),
        (
            with(
                json!({"sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature",
                                                                 "value": "cold"}]}]}),
            ),
            "sensorElementList[0].sensorReport[0].value",
            Error::WrongType {
                expected: "a number",
            },
        ),
        (
            with(json!({"errorDeclaration": {"reason": "did_not_occur"}})),
            "errorDeclaration.declarationTime",
            Error::Missing,
        ),
    ];
    for (bad, field, reason) in cases {
        let error = refusal(bad.clone());
        assert_eq!(error.field().as_deref(), Some(field), "{bad}");
        assert_eq!(error.innermost(), &reason, "{bad}");
    }
}

#[test]
fn event_type_rules() {
    let aggregation = |fields: Value| event("AggregationEvent", &at(9, 0), fields);
    let rule = |bad: Value| match refusal(bad.clone()).innermost() {
        Error::Rule { reason } => *reason,
        other => panic!("{bad}: {other:?}"),
    };
    assert_eq!(
        rule(aggregation(
            json!({"action": "ADD", "childEPCs": [item(1)]})
        )),
        "an AggregationEvent with ADD or DELETE needs a parentID"
    );
    assert_eq!(
        rule(aggregation(json!({"action": "ADD", "parentID": pallet(1)}))),
        "an AggregationEvent with ADD or OBSERVE needs children"
    );
    assert_eq!(
        rule(event(
            "TransactionEvent",
            &at(9, 0),
            json!({"action": "ADD", "epcList": [item(1)]})
        )),
        "a TransactionEvent needs a bizTransactionList"
    );
    assert_eq!(
        rule(event(
            "TransformationEvent",
            &at(9, 0),
            json!({"inputEPCList": [item(1)]})
        )),
        "a TransformationEvent has inputs and outputs, or one of them and a transformationID"
    );
    assert_eq!(
        rule(event(
            "AssociationEvent",
            &at(9, 0),
            json!({"action": "ADD", "childEPCs": [item(1)]})
        )),
        "an AssociationEvent needs a parentID"
    );
    assert_eq!(
        rule(with(json!({"epcList": []}))),
        "an ObjectEvent names objects (epcList or quantityList) or sensor data with a readPoint"
    );
    assert_eq!(
        rule(with(json!({"ilmd": {"example:lot": "1"}}))),
        "ilmd is only allowed with action ADD"
    );
    // A TransformationEvent has no action.
    let error = refusal(event(
        "TransformationEvent",
        &at(9, 0),
        json!({"action": "ADD", "inputEPCList": [item(1)], "outputEPCList": [item(2)]}),
    ));
    assert_eq!(error.field().as_deref(), Some("action"));
    // A parent is not its own child.
    let error = refusal(aggregation(
        json!({"action": "ADD", "parentID": pallet(1), "childEPCs": [item(1), pallet(1)]}),
    ));
    assert_eq!(error.field().as_deref(), Some("childEPCs[1]"));
    assert_eq!(error.innermost(), &Error::DuplicateEpc);
}

#[test]
fn allowed_variants_are_accepted() {
    let text = document(vec![
        // DELETE of all children: no childEPCs.
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "DELETE", "parentID": pallet(1)}),
        ),
        // OBSERVE of children without a parent.
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "OBSERVE", "childEPCs": [item(1)]}),
        ),
        // Sensor data at a read point, no objects.
        event(
            "ObjectEvent",
            &at(9, 0),
            json!({"action": "OBSERVE", "readPoint": place(DOCK),
                   "sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature",
                                                            "value": 3.5, "uom": "CEL"}]}]}),
        ),
        // Extension values: a bizStep URI outside the CBV, a namespaced field.
        with(json!({"bizStep": "urn:example:bizstep:inspected-twice",
                    "example:note": {"any": ["json", 1]}})),
        // A transformation with one side and an id.
        event(
            "TransformationEvent",
            &at(9, 0),
            json!({"outputEPCList": [item(5)], "transformationID": "urn:example:tx:1"}),
        ),
    ]);
    let parsed = Document::parse(&text, &CaptureContext::default()).unwrap();
    assert_eq!(parsed.events().len(), 5);
}

#[test]
fn document_level_refusals() {
    let context = CaptureContext::default();
    assert!(matches!(
        Document::parse("{\"type\": ", &context),
        Err(Error::Json { line: 1, .. })
    ));
    let mut wrong_type = document_value(vec![valid()]);
    wrong_type["type"] = json!("EPCISQueryDocument");
    let mut wrong_version = document_value(vec![valid()]);
    wrong_version["schemaVersion"] = json!("1.2");
    let mut no_context = document_value(vec![valid()]);
    no_context.as_object_mut().unwrap().remove("@context");
    let mut no_list = document_value(vec![valid()]);
    no_list["epcisBody"] = json!({"event": valid()});
    for (value, reason) in [
        (wrong_type, "type is not EPCISDocument"),
        (wrong_version, "schemaVersion is not 2.0"),
        (no_context, "no @context"),
        (no_list, "no epcisBody.eventList array"),
        (json!([1, 2]), "not a JSON object"),
    ] {
        assert_eq!(
            Document::parse(&value.to_string(), &context),
            Err(Error::Document { reason })
        );
    }
    let mut bad_date = document_value(vec![valid()]);
    bad_date["creationDate"] = json!("today");
    let error = Document::parse(&bad_date.to_string(), &context).unwrap_err();
    assert_eq!(error.field().as_deref(), Some("creationDate"));
    let huge = " ".repeat(DOCUMENT_BYTES_MAX + 1);
    assert_eq!(
        Document::parse(&huge, &context),
        Err(Error::DocumentTooLarge {
            bytes: DOCUMENT_BYTES_MAX + 1,
            max: DOCUMENT_BYTES_MAX
        })
    );
}

#[test]
fn event_ids_are_unique_in_a_document_but_for_declarations() {
    let with_id = |id: &str| with(json!({"eventID": id}));
    let text = document(vec![with_id("urn:x:1"), valid(), with_id("urn:x:1")]);
    let error = Document::parse(&text, &CaptureContext::default()).unwrap_err();
    assert_eq!(error.event_index(), Some(2));
    assert_eq!(
        error.innermost(),
        &Error::DuplicateEventId { first_index: 0 }
    );

    let mut declaration = with_id("urn:x:1");
    declaration["errorDeclaration"] = json!({"declarationTime": "2026-03-03T00:00:00Z"});
    let text = document(vec![with_id("urn:x:1"), declaration.clone()]);
    assert!(Document::parse(&text, &CaptureContext::default()).is_ok());

    declaration.as_object_mut().unwrap().remove("eventID");
    let error = refusal(declaration);
    assert!(matches!(error.innermost(), Error::Rule { .. }));
}

#[test]
fn a_refused_document_draws_no_event_id() {
    let mut ids = SequentialEventIds::new("urn:jinka:event:", 1).unwrap();
    let bad = document(vec![valid(), with(json!({"action": "NOPE"}))]);
    assert!(Document::parse(&bad, &CaptureContext::default()).is_err());
    assert_eq!(ids.next_number(), 1);
    let good = Document::parse(&document(vec![valid()]), &CaptureContext::default()).unwrap();
    let events = good
        .into_events(&mut ids, crate::support::record_time())
        .unwrap();
    assert_eq!(events[0].id().as_str(), "urn:jinka:event:1");
    assert_eq!(ids.next_number(), 2);
}

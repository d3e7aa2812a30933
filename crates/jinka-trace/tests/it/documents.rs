//! Every event type, read from EPCIS 2.0 JSON in the standard's shapes, and written back.

use jinka_trace::{
    Action, BizStep, BizTransactionType, CaptureContext, CbvBizStep, CbvBizTransactionType,
    CbvDisposition, CbvErrorReason, CbvSourceDestinationType, CompanyPrefixLengths, Disposition,
    Document, Event, EventType, SequentialEventIds, TimeZoneOffset, Timestamp, What,
};
use serde_json::{Value, json};

use crate::support::{CONTEXT, document, epc, record_time};

/// An EPCIS 2.0 document with one event of each type, in the shapes of the standard's
/// examples (EPCIS 2.0 §9.6 and the JSON schema's test files).
fn every_event_type() -> Value {
    json!({
        "@context": [CONTEXT, {"example": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2005-07-11T11:30:47.0Z",
        "epcisHeader": {},
        "epcisBody": {"eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2005-04-03T20:33:31.116-06:00",
                "eventTimeZoneOffset": "-06:00",
                "epcList": ["urn:epc:id:sgtin:0614141.107346.2017",
                            "urn:epc:id:sgtin:0614141.107346.2018"],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                "bizTransactionList": [
                    {"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}
                ],
                "example:myField": "Example of a vendor/user extension"
            },
            {
                "type": "AggregationEvent",
                "eventID": "urn:uuid:8b3e9a1e-6d0c-4b3c-9d1a-2f6b1c7e4a55",
                "eventTime": "2013-06-08T14:58:56.591Z",
                "eventTimeZoneOffset": "+02:00",
                "parentID": "urn:epc:id:sscc:0614141.1234567890",
                "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2017",
                              "urn:epc:id:sgtin:0614141.107346.2018"],
                "childQuantityList": [
                    {"epcClass": "urn:epc:idpat:sgtin:4012345.098765.*", "quantity": 10},
                    {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                     "quantity": 200.5, "uom": "KGM"}
                ],
                "action": "ADD",
                "bizStep": "urn:epcglobal:cbv:bizstep:packing",
                "disposition": "https://ref.gs1.org/cbv/Disp-container_closed",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
                "bizLocation": {"id": "urn:epc:id:sgln:0614141.00888.0"}
            },
            {
                "type": "TransactionEvent",
                "eventTime": "2005-04-03T20:33:31.116-06:00",
                "eventTimeZoneOffset": "-06:00",
                "bizTransactionList": [
                    {"type": "https://ref.gs1.org/cbv/BTT-po",
                     "bizTransaction": "http://transaction.acme.com/po/12345678"},
                    {"bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}
                ],
                "parentID": "urn:epc:id:sscc:0614141.1234567890",
                "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
                "action": "ADD",
                "bizStep": "shipping",
                "sourceList": [
                    {"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00001"}
                ],
                "destinationList": [
                    {"type": "https://ref.gs1.org/cbv/SDT-location",
                     "destination": "urn:epc:id:sgln:0614141.00777.0"}
                ]
            },
            {
                "type": "TransformationEvent",
                "eventTime": "2013-10-31T14:58:56.591Z",
                "eventTimeZoneOffset": "+02:00",
                "inputEPCList": ["urn:epc:id:sgtin:4012345.011122.25",
                                 "urn:epc:id:sgtin:4000001.065432.99886655"],
                "inputQuantityList": [
                    {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444",
                     "quantity": 10, "uom": "KGM"}
                ],
                "outputEPCList": ["urn:epc:id:sgtin:4012345.077889.25",
                                  "urn:epc:id:sgtin:4012345.077889.26"],
                "transformationID": "urn:epc:id:gdti:0614141.12345.400",
                "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
                "disposition": "in_progress",
                "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
                "ilmd": {"example:bestBeforeDate": "2014-12-10",
                         "example:batch": "XYZ"}
            },
            {
                "type": "AssociationEvent",
                "eventTime": "2019-11-01T14:00:00.000+01:00",
                "eventTimeZoneOffset": "+01:00",
                "parentID": "urn:epc:id:sscc:4012345.0000000111",
                "childEPCs": ["urn:epc:id:sgtin:4012345.000111.1001"],
                "action": "ADD",
                "bizStep": "assembling",
                "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
                "sensorElementList": [{
                    "sensorMetadata": {"time": "2019-11-01T13:59:59.000+01:00",
                                       "deviceID": "urn:epc:id:sgtin:4012345.000111.1001"},
                    "sensorReport": [
                        {"type": "gs1:Temperature", "value": 4.5, "uom": "CEL"},
                        {"type": "gs1:RelativeHumidity", "value": 40, "uom": "A93",
                         "minValue": 38.5, "maxValue": 41.0}
                    ]
                }]
            },
            {
                "type": "ObjectEvent",
                "eventID": "urn:uuid:0d5e0a8c-1111-4a44-9e2b-1c7f0c9e1001",
                "eventTime": "2005-04-03T20:33:31.116-06:00",
                "eventTimeZoneOffset": "-06:00",
                "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
                "action": "OBSERVE",
                "bizStep": "receiving",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                "errorDeclaration": {
                    "declarationTime": "2005-07-11T11:30:47.0Z",
                    "reason": "incorrect_data",
                    "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]
                }
            }
        ]}
    })
}

fn parse(value: &Value) -> Document {
    Document::parse(&value.to_string(), &CaptureContext::default()).expect("a valid document")
}

fn captured(value: &Value) -> Vec<Event> {
    let mut ids = SequentialEventIds::new("urn:jinka:event:", 100).unwrap();
    parse(value).into_events(&mut ids, record_time()).unwrap()
}

#[test]
fn every_event_type_is_read() {
    let document = parse(&every_event_type());
    assert_eq!(
        document.creation_date(),
        Timestamp::parse("2005-07-11T11:30:47Z").unwrap()
    );
    let types: Vec<EventType> = document
        .events()
        .iter()
        .map(|event| event.content.what.event_type())
        .collect();
    assert_eq!(
        types,
        [
            EventType::Object,
            EventType::Aggregation,
            EventType::Transaction,
            EventType::Transformation,
            EventType::Association,
            EventType::Object
        ]
    );
}

#[test]
fn object_event_fields() {
    let document = parse(&every_event_type());
    let object = &document.events()[0];
    assert_eq!(object.event_id, None);
    let content = &object.content;
    assert_eq!(
        content.time.at,
        Timestamp::parse("2005-04-04T02:33:31.116Z").unwrap()
    );
    assert_eq!(
        content.time.offset,
        TimeZoneOffset::parse("-06:00").unwrap()
    );
    let What::Object(what) = &content.what else {
        panic!("an ObjectEvent");
    };
    assert_eq!(what.action, Action::Observe);
    assert_eq!(
        what.epc_list,
        [
            epc("urn:epc:id:sgtin:0614141.107346.2017"),
            epc("urn:epc:id:sgtin:0614141.107346.2018")
        ]
    );
    assert_eq!(content.biz_step, Some(BizStep::Cbv(CbvBizStep::Shipping)));
    assert_eq!(
        content.disposition,
        Some(Disposition::Cbv(CbvDisposition::InTransit))
    );
    assert_eq!(
        content.read_point.as_ref().map(|place| place.as_str()),
        Some("urn:epc:id:sgln:0614141.07346.1234")
    );
    assert_eq!(
        content.biz_transactions[0].kind,
        Some(BizTransactionType::Cbv(CbvBizTransactionType::Po))
    );
    assert_eq!(
        content.extensions["example:myField"],
        "Example of a vendor/user extension"
    );
}

#[test]
fn aggregation_event_fields_and_cbv_spellings() {
    let document = parse(&every_event_type());
    let aggregation = &document.events()[1];
    assert_eq!(
        aggregation.event_id.as_ref().map(|id| id.as_str()),
        Some("urn:uuid:8b3e9a1e-6d0c-4b3c-9d1a-2f6b1c7e4a55")
    );
    let What::Aggregation(what) = &aggregation.content.what else {
        panic!("an AggregationEvent");
    };
    assert_eq!(what.action, Action::Add);
    assert_eq!(
        what.parent_id,
        Some(epc("urn:epc:id:sscc:0614141.1234567890"))
    );
    assert_eq!(what.child_epcs.len(), 2);
    assert_eq!(what.child_quantity_list.len(), 2);
    assert_eq!(what.child_quantity_list[1].quantity, 200.5);
    // The URN and web URI spellings are read as the CBV terms.
    assert_eq!(
        aggregation.content.biz_step,
        Some(BizStep::Cbv(CbvBizStep::Packing))
    );
    assert_eq!(
        aggregation.content.disposition,
        Some(Disposition::Cbv(CbvDisposition::ContainerClosed))
    );
    assert!(aggregation.content.biz_location.is_some());
}

#[test]
fn transaction_transformation_association_fields() {
    let document = parse(&every_event_type());
    let transaction = &document.events()[2].content;
    let What::Transaction(what) = &transaction.what else {
        panic!("a TransactionEvent");
    };
    assert_eq!(
        what.parent_id,
        Some(epc("urn:epc:id:sscc:0614141.1234567890"))
    );
    assert_eq!(transaction.biz_transactions.len(), 2);
    assert_eq!(transaction.biz_transactions[1].kind, None);
    assert_eq!(
        transaction.sources[0].kind.to_string(),
        CbvSourceDestinationType::OwningParty.name()
    );
    assert_eq!(transaction.destinations[0].kind.as_str(), "location");

    let transformation = &document.events()[3].content;
    let What::Transformation(what) = &transformation.what else {
        panic!("a TransformationEvent");
    };
    assert_eq!(transformation.what.action(), None);
    assert_eq!(what.input_epc_list.len(), 2);
    assert_eq!(what.output_epc_list.len(), 2);
    assert_eq!(
        what.input_quantity_list[0].uom.as_ref().unwrap().as_str(),
        "KGM"
    );
    assert_eq!(
        what.transformation_id.as_ref().unwrap().as_str(),
        "urn:epc:id:gdti:0614141.12345.400"
    );
    assert_eq!(what.ilmd.as_ref().unwrap()["example:batch"], "XYZ");

    let association = &document.events()[4].content;
    assert_eq!(association.what.event_type(), EventType::Association);
    let sensor = &association.sensor_elements[0];
    assert_eq!(sensor.reports.len(), 2);
    assert_eq!(sensor.reports[0].value, Some(4.5));
    assert_eq!(sensor.reports[1].other["maxValue"], 41.0);
}

#[test]
fn error_declaration_is_read() {
    let document = parse(&every_event_type());
    let declared = &document.events()[5];
    let declaration = declared.content.error_declaration.as_ref().unwrap();
    assert_eq!(
        declaration.reason.as_ref().unwrap().as_str(),
        CbvErrorReason::IncorrectData.name()
    );
    assert_eq!(declaration.corrective_event_ids.len(), 1);
}

#[test]
fn ids_and_record_times_are_assigned() {
    let events = captured(&every_event_type());
    let ids: Vec<&str> = events.iter().map(|event| event.id().as_str()).collect();
    assert_eq!(
        ids,
        [
            "urn:jinka:event:100",
            "urn:uuid:8b3e9a1e-6d0c-4b3c-9d1a-2f6b1c7e4a55",
            "urn:jinka:event:101",
            "urn:jinka:event:102",
            "urn:jinka:event:103",
            "urn:uuid:0d5e0a8c-1111-4a44-9e2b-1c7f0c9e1001",
        ]
    );
    assert!(
        events
            .iter()
            .all(|event| event.record_time() == record_time())
    );
}

#[test]
fn events_round_trip_through_their_json_and_serde_forms() {
    for event in captured(&every_event_type()) {
        let json = event.to_json();
        assert_eq!(json["recordTime"], "2026-03-02T18:00:00.000Z");
        assert_eq!(
            Event::from_json(json.clone()).as_ref(),
            Ok(&event),
            "{json}"
        );
        let text = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn written_form_is_normalised() {
    let events = captured(&every_event_type());
    let aggregation = events[1].to_json();
    assert_eq!(aggregation["bizStep"], "packing");
    assert_eq!(aggregation["disposition"], "container_closed");
    assert_eq!(aggregation["eventTime"], "2013-06-08T14:58:56.591Z");
    assert_eq!(aggregation["eventTimeZoneOffset"], "+02:00");
    assert_eq!(
        aggregation["parentID"],
        "urn:epc:id:sscc:0614141.1234567890"
    );
    let object = events[0].to_json();
    assert_eq!(object["eventTime"], "2005-04-04T02:33:31.116Z");
    assert_eq!(
        object["example:myField"],
        "Example of a vendor/user extension"
    );
}

#[test]
fn stored_events_need_their_id_and_record_time() {
    let event = captured(&every_event_type()).remove(0);
    for key in ["eventID", "recordTime"] {
        let mut json = event.to_json();
        json.as_object_mut().unwrap().remove(key);
        let error = Event::from_json(json).unwrap_err();
        assert_eq!(error.field().as_deref(), Some(key));
    }
}

#[test]
fn digital_link_epcs_become_pure_identity_uris() {
    let value = json!({
        "type": "ObjectEvent",
        "eventTime": "2005-04-03T20:33:31.116-06:00",
        "eventTimeZoneOffset": "-06:00",
        "epcList": ["https://id.gs1.org/01/10614141073464/21/2017",
                    "https://example.com/00/106141412345678908"],
        "action": "OBSERVE",
    });
    let text = document(vec![value]);
    let mut context = CaptureContext::default();
    context.company_prefix_lengths.insert("0614141", 7).unwrap();
    let parsed = Document::parse(&text, &context).unwrap();
    assert_eq!(
        parsed.events()[0].content.what.epc_list(),
        [
            epc("urn:epc:id:sgtin:0614141.107346.2017"),
            epc("urn:epc:id:sscc:0614141.1234567890")
        ]
    );
    // Without the company prefix length there is no pure identity URI.
    let error = Document::parse(&text, &CaptureContext::default()).unwrap_err();
    assert_eq!(error.event_index(), Some(0));
    assert_eq!(error.field().as_deref(), Some("epcList[0]"));
    assert_eq!(error.innermost(), &jinka_trace::Error::UnknownCompanyPrefix);
    let _: CompanyPrefixLengths = context.company_prefix_lengths;
}

//! EPCIS documents for the tests.

use jinka_trace::{CaptureContext, Document, Epc, Timestamp};
use jinka_trace_store::{Captured, Participant, TraceStore};
use serde_json::{Value, json};

pub const FACTORY: &str = "urn:epc:id:sgln:0614141.00001.0";
pub const DOCK: &str = "urn:epc:id:sgln:0614141.00001.1";
pub const WAREHOUSE: &str = "urn:epc:id:sgln:0012345.00001.0";
pub const STORE: &str = "urn:epc:id:sgln:0012345.00002.0";

pub fn item(n: u64) -> String {
    format!("urn:epc:id:sgtin:0614141.812345.{n}")
}

pub fn case(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.1{n:09}")
}

pub fn pallet(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.2{n:09}")
}

pub fn epc(text: &str) -> Epc {
    text.parse().expect("a pure identity URI")
}

pub fn participant(number: u32) -> Participant {
    Participant::new(number).expect("not 0")
}

/// `2026-03-02T{hour}:{minute}:00.000+08:00`.
pub fn at(hour: u32, minute: u32) -> String {
    format!("2026-03-02T{hour:02}:{minute:02}:00.000+08:00")
}

pub fn record_time() -> Timestamp {
    Timestamp::parse("2026-03-02T20:00:00Z").expect("a time")
}

/// An event of `kind` at `time` with `fields`.
pub fn event(kind: &str, time: &str, fields: Value) -> Value {
    let mut event = json!({"type": kind, "eventTime": time, "eventTimeZoneOffset": "+08:00"});
    if let (Some(object), Value::Object(fields)) = (event.as_object_mut(), fields) {
        object.extend(fields);
    }
    event
}

pub fn place(id: &str) -> Value {
    json!({ "id": id })
}

pub fn document_json(events: Vec<Value>) -> String {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T18:00:00.000Z",
        "epcisBody": { "eventList": events },
    })
    .to_string()
}

pub fn document(events: Vec<Value>) -> Document {
    Document::parse(&document_json(events), &CaptureContext::default()).expect("a valid document")
}

/// Captures `events` for participant `who`; the ids, in order.
pub fn capture(store: &dyn TraceStore, who: u32, events: Vec<Value>) -> Vec<String> {
    let captured: Captured = store
        .capture(participant(who), record_time(), document(events))
        .expect("captured");
    captured
        .events
        .iter()
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Participant `n` as the owning party a transfer goes to, for `destinationList`.
pub fn receiver(n: u32) -> Value {
    json!([{ "type": "owning_party", "destination": format!("urn:jinka:participant:{n}") }])
}

//! Builders for EPCIS 2.0 JSON documents and a capture helper.

use jinka_trace::{
    CaptureContext, Document, Epc, Event, Projections, SequentialEventIds, Timestamp,
};
use serde_json::{Value, json};

pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
pub const FACTORY: &str = "urn:epc:id:sgln:0614141.00001.0";
pub const DOCK: &str = "urn:epc:id:sgln:0614141.00001.1";
pub const WAREHOUSE: &str = "urn:epc:id:sgln:0012345.00001.0";
pub const STORE: &str = "urn:epc:id:sgln:0012345.00002.0";

/// Item `n` (an SGTIN of GTIN 80614141123458).
pub fn item(n: u64) -> String {
    format!("urn:epc:id:sgtin:0614141.812345.{n}")
}

/// Case `n` (an SSCC).
pub fn case(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.1{n:09}")
}

/// Pallet `n` (an SSCC).
pub fn pallet(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.2{n:09}")
}

pub fn epc(text: &str) -> Epc {
    text.parse().expect("a valid pure identity URI")
}

pub fn place(id: &str) -> Value {
    json!({ "id": id })
}

/// `2026-03-02T{hour}:{minute}:00.000+08:00`.
pub fn at(hour: u32, minute: u32) -> String {
    format!("2026-03-02T{hour:02}:{minute:02}:00.000+08:00")
}

/// An event of `kind` at `time` with `fields` added.
pub fn event(kind: &str, time: &str, fields: Value) -> Value {
    let mut event = json!({
        "type": kind,
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
    });
    let object = event.as_object_mut().expect("an object");
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    event
}

pub fn document(events: Vec<Value>) -> String {
    document_value(events).to_string()
}

pub fn document_value(events: Vec<Value>) -> Value {
    json!({
        "@context": [CONTEXT, {"example": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T18:00:00.000Z",
        "epcisBody": { "eventList": events },
    })
}

pub fn record_time() -> Timestamp {
    Timestamp::parse("2026-03-02T18:00:00Z").expect("a valid time")
}

/// Captures documents into projections, numbering events without ids.
pub struct Capture {
    pub projections: Projections,
    pub ids: SequentialEventIds,
    pub events: Vec<Event>,
}

impl Capture {
    pub fn new() -> Capture {
        Capture {
            projections: Projections::new(),
            ids: SequentialEventIds::new("urn:jinka:test:event:", 1).expect("a valid prefix"),
            events: Vec::new(),
        }
    }

    /// Parses, captures and applies the events; returns their ids.
    pub fn capture(&mut self, events: Vec<Value>) -> Vec<String> {
        let parsed = Document::parse(&document(events), &CaptureContext::default())
            .expect("a valid document");
        let events = parsed
            .into_events(&mut self.ids, record_time())
            .expect("ids available");
        let mut ids = Vec::new();
        for event in events {
            self.projections.apply(&event).expect("capacity");
            ids.push(event.id().to_string());
            self.events.push(event);
        }
        ids
    }
}

/// Parses one event (in a document) and returns it captured, with id `id` if it has none.
pub fn one_event(value: Value, id: &str) -> Event {
    let parsed = Document::parse(&document(vec![value]), &CaptureContext::default())
        .expect("a valid document");
    let mut ids = SequentialEventIds::new(id, 0).expect("a valid prefix");
    parsed
        .into_events(&mut ids, record_time())
        .expect("ids")
        .remove(0)
}

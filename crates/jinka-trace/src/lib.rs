//! The pure core of RFID traceability: EPCIS 2.0 events in, answers to "where is it, what
//! happened to it, what does it hold" out. No I/O, no clock: times, ids and documents come
//! in as arguments, and every type is plain data with a serde form for storage to keep.
//!
//! - **Capture.** [`Document::parse`] reads an EPCIS 2.0 JSON(-LD) document and checks every
//!   event ([`EventContent::check`]); one invalid event refuses the document whole, with the
//!   event's index and the reason ([`Error::Event`], [`Error::field`]). Events are
//!   ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent and
//!   AssociationEvent ([`What`]) with their when ([`EventTime`]: epoch milliseconds and the
//!   time zone offset, from a small RFC 3339 reader), where ([`LocationId`]: `readPoint`,
//!   `bizLocation`) and why ([`BizStep`], [`Disposition`] from the CBV 2.0 in any spelling,
//!   normalised; [`BizTransaction`], [`SourceDestination`], [`SensorElement`]), and
//!   [`ErrorDeclaration`]. EPCs are [`Epc`]: SGTIN or SSCC pure identity URIs checked by
//!   `jinka-epc`, or GS1 Digital Links turned into them through a
//!   [`CompanyPrefixLengths`] table. [`Document::into_events`] gives each event without an
//!   `eventID` one from an [`EventIdSource`] and stamps the record time: an [`Event`].
//! - **Projections.** [`Projections::apply`] updates, per captured event, each EPC's own
//!   event list, its containment timeline and its current parent and children, so the three
//!   traceability questions read precomputed state: [`Projections::where_is`] (following
//!   containers), [`Projections::history`] (including the container's events while inside,
//!   corrected events marked) and [`Projections::contents`] (recursive). Answers depend on
//!   the set of events, not their arrival order: events are ordered by `eventTime`, then
//!   `eventID`.
//! - **Queries.** [`EventQuery`] is the standard EPCIS event query (`eventType`,
//!   `GE_/LT_eventTime`, `EQ_bizStep`, `MATCH_anyEPC` with [`EpcPattern`]s like
//!   `urn:epc:idpat:sgtin:0614141.*.*`, `orderBy`, `eventCountLimit`, paging with an
//!   opaque [`PageToken`]) read from query-string pairs, as a filter and a reference
//!   implementation over events.
//! - **Readers.** [`ReadDeduplicator`] turns raw tag reads (EPC hex, read point, time) into
//!   OBSERVE ObjectEvents: one per object and read point per time window.
//!
//! One error type, [`Error`]; no input panics.
//!
//! # The pallet story
//!
//! Two cases of two items each are packed and loaded on a pallet at the factory; the
//! pallet is shipped, received at the store's warehouse and unloaded; a case is unpacked.
//!
//! ```
//! use jinka_trace::{CaptureContext, Document, Epc, Projections, SequentialEventIds, Timestamp};
//! use serde_json::{Value, json};
//!
//! let item = |n: u32| format!("urn:epc:id:sgtin:0614141.812345.{n}");
//! let case = |n: u32| format!("urn:epc:id:sscc:0614141.100000000{n}");
//! let pallet = "urn:epc:id:sscc:0614141.2000000001";
//! let factory = json!({"id": "urn:epc:id:sgln:0614141.00001.0"});
//! let warehouse = json!({"id": "urn:epc:id:sgln:0012345.00001.0"});
//! let at = |hour: u32| format!("2026-03-02T{hour:02}:00:00.000+08:00");
//! let event = |kind: &str, hour: u32, fields: Value| {
//!     let mut event = json!({"type": kind, "eventTime": at(hour), "eventTimeZoneOffset": "+08:00"});
//!     event.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
//!     event
//! };
//! let document = |events: Vec<Value>| json!({
//!     "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
//!     "type": "EPCISDocument", "schemaVersion": "2.0",
//!     "creationDate": "2026-03-02T18:00:00Z",
//!     "epcisBody": {"eventList": events},
//! }).to_string();
//!
//! let mut projections = Projections::new();
//! let mut ids = SequentialEventIds::new("urn:jinka:event:", 1)?;
//! let record_time = Timestamp::parse("2026-03-02T18:00:00Z")?;
//! let mut capture = |json: String, projections: &mut Projections| -> Result<(), jinka_trace::Error> {
//!     let document = Document::parse(&json, &CaptureContext::default())?;
//!     for event in document.into_events(&mut ids, record_time)? {
//!         projections.apply(&event)?;
//!     }
//!     Ok(())
//! };
//!
//! // Commission, pack, load.
//! capture(document(vec![
//!     event("ObjectEvent", 8, json!({"action": "ADD", "bizStep": "commissioning",
//!         "epcList": [item(1), item(2), item(3), item(4)], "readPoint": factory})),
//!     event("AggregationEvent", 9, json!({"action": "ADD", "bizStep": "packing",
//!         "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": factory})),
//!     event("AggregationEvent", 9, json!({"action": "ADD", "bizStep": "packing",
//!         "parentID": case(2), "childEPCs": [item(3), item(4)], "readPoint": factory})),
//!     event("AggregationEvent", 10, json!({"action": "ADD", "bizStep": "loading",
//!         "parentID": pallet, "childEPCs": [case(1), case(2)], "readPoint": factory})),
//! ]), &mut projections)?;
//! let pallet: Epc = pallet.parse()?;
//! assert_eq!(projections.contents(&pallet, false).len(), 2);
//! assert_eq!(projections.contents(&pallet, true).len(), 6);
//!
//! // Ship, receive: item 1 is where its pallet is.
//! capture(document(vec![
//!     event("ObjectEvent", 11, json!({"action": "OBSERVE", "bizStep": "shipping",
//!         "disposition": "in_transit", "epcList": [pallet.to_string()], "readPoint": factory})),
//!     event("ObjectEvent", 16, json!({"action": "OBSERVE", "bizStep": "receiving",
//!         "epcList": [pallet.to_string()], "readPoint": warehouse, "bizLocation": warehouse})),
//! ]), &mut projections)?;
//! let item1: Epc = item(1).parse()?;
//! let location = projections.where_is(&item1).unwrap();
//! assert_eq!(location.biz_location.unwrap().as_str(), "urn:epc:id:sgln:0012345.00001.0");
//! assert_eq!(location.via, Some(pallet));
//!
//! // Unload the pallet (no children listed: all of them), unpack case 1.
//! capture(document(vec![
//!     event("AggregationEvent", 17, json!({"action": "DELETE", "bizStep": "unloading",
//!         "parentID": pallet.to_string(), "readPoint": warehouse})),
//!     event("AggregationEvent", 18, json!({"action": "DELETE", "bizStep": "unpacking",
//!         "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": warehouse})),
//! ]), &mut projections)?;
//! assert!(projections.contents(&pallet, true).is_empty());
//! assert_eq!(projections.parent_of(&item1), None);
//!
//! // Item 1's history: its own events and its containers' while it was inside them.
//! let steps: Vec<String> = projections.history(&item1).entries.iter()
//!     .map(|entry| entry.biz_step.as_ref().unwrap().to_string()).collect();
//! assert_eq!(steps, ["commissioning", "packing", "loading", "shipping", "receiving",
//!                    "unloading", "unpacking"]);
//! # Ok::<(), jinka_trace::Error>(())
//! ```

mod action;
mod biz_step;
mod biz_transaction;
mod cbv;
mod company_prefix_lengths;
mod containment;
mod disposition;
mod document;
mod epc;
mod epc_pattern;
mod error;
mod error_declaration;
mod event;
mod event_content;
mod event_id;
mod event_json;
mod event_query;
mod event_type;
mod history;
mod json_object;
mod location;
mod location_id;
mod page_token;
mod persistent_disposition;
mod projections;
mod quantity;
mod read_deduplicator;
mod sensor;
mod source_destination;
mod timestamp;
mod uri;
mod what;

pub use action::Action;
pub use biz_step::{BizStep, CbvBizStep};
pub use biz_transaction::{BizTransaction, BizTransactionType, CbvBizTransactionType};
pub use company_prefix_lengths::{COMPANY_PREFIX_ENTRIES_MAX, CompanyPrefixLengths};
pub use disposition::{CbvDisposition, Disposition};
pub use document::{
    CaptureContext, DOCUMENT_BYTES_MAX, DOCUMENT_EVENTS_MAX, Document, ParsedEvent,
};
pub use epc::Epc;
pub use epc_pattern::EpcPattern;
pub use error::{Error, ErrorKind, QUOTE_CHARS_MAX, Result};
pub use error_declaration::{CbvErrorReason, ErrorDeclaration, ErrorReason};
pub use event::Event;
pub use event_content::{EVENT_EPCS_MAX, EVENT_LIST_ITEMS_MAX, EventContent};
pub use event_id::{EventId, EventIdSource, SequentialEventIds};
pub use event_query::{
    EventQuery, OrderBy, OrderDirection, PAGE_EVENTS_DEFAULT, PAGE_EVENTS_MAX,
    QUERY_PARAMETERS_MAX, QUERY_VALUES_MAX, QueryPage,
};
pub use event_type::EventType;
pub use history::{HISTORY_ENTRIES_MAX, History, HistoryEntry};
pub use location::Location;
pub use location_id::LocationId;
pub use page_token::{PAGE_TOKEN_CHARS_MAX, PageToken};
pub use persistent_disposition::PersistentDisposition;
pub use projections::{
    Applied, CONTAINMENT_DEPTH_MAX, PROJECTION_EPCS_MAX, PROJECTION_EVENTS_MAX, Projections,
};
pub use quantity::{QuantityElement, Uom};
pub use read_deduplicator::{
    READ_BATCH_MAX, READ_POINTS_OPEN_MAX, READ_WINDOW_MS_DEFAULT, READ_WINDOW_MS_MAX,
    ReadDeduplicator, ReadStats, TagRead,
};
pub use sensor::{SENSOR_REPORTS_MAX, SensorElement, SensorReport};
pub use source_destination::{CbvSourceDestinationType, SourceDestination, SourceDestinationType};
pub use timestamp::{EventTime, TimeZoneOffset, Timestamp};
pub use uri::{IDENTIFIER_BYTES_MAX, Uri};
pub use what::{
    AggregationWhat, AssociationWhat, ObjectWhat, TransactionWhat, TransformationWhat, What,
};

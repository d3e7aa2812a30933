//! Durable RFID traceability for the hub: EPCIS 2.0 events captured into SQL (SQLite by
//! default, PostgreSQL), the traceability projections kept in tables and updated in the
//! capture's own transaction, and every answer restricted to what the asking participant may
//! see.
//!
//! - [`TraceStore`] is what the hub calls: [`TraceStore::capture`] takes a checked
//!   `jinka_trace::Document` for a [`Participant`], gives the events without an `eventID`
//!   one (`urn:jinka:event:<n>`, [`EVENT_ID_PREFIX`]) and stores every event and its effect
//!   on the projections in **one** transaction ([`Captured`]: the capture id and what
//!   became of each event); [`TraceStore::events`] answers the standard EPCIS event query
//!   ([`jinka_trace::EventQuery`], paged, [`EventPage`]); [`TraceStore::where_is`],
//!   [`TraceStore::history`] and [`TraceStore::contents`] answer the three traceability
//!   questions from the projection tables (indexed reads, not replays).
//! - [`SqliteTraceStore`] keeps its own database file ([`TRACE_DATABASE_FILE_NAME`]) in the
//!   hub's data directory; [`PostgresTraceStore`] keeps `trace_*` tables in the hub's
//!   PostgreSQL database. Both run the same code over a small internal SQL interface, with
//!   one migrations folder per engine.
//! - **Visibility** ([`Viewer`]): the operator sees every event; a participant sees the events
//!   it captured and those shared with it ([`shared_with`]: an owning or possessing party
//!   `urn:jinka:participant:<N>` in the event's `sourceList` or `destinationList`).
//!   Containment is what all events together say, but a container counts for an object
//!   only if the viewer may see the event that put the object in it.
//! - The rules are `jinka-trace`'s `Projections` (the pure reference): answers depend on the
//!   set of events captured, not on their arrival order; error declarations mark events
//!   corrected and withdraw their containment effect. A property test holds the two
//!   together.
//!
//! ```
//! use jinka_trace::{CaptureContext, Document, Timestamp};
//! use jinka_trace_store::{Participant, SqliteTraceStore, TraceStore, Viewer};
//!
//! let directory = tempfile::tempdir()?;
//! let store = SqliteTraceStore::open(&directory.path().join("trace.sqlite3"))?;
//! let factory = Participant::new(2).unwrap();
//! let document = Document::parse(r#"{
//!     "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
//!     "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-02T09:00:00Z",
//!     "epcisBody": {"eventList": [{
//!         "type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
//!         "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+08:00",
//!         "parentID": "urn:epc:id:sscc:0614141.1000000001",
//!         "childEPCs": ["urn:epc:id:sgtin:0614141.812345.1"],
//!         "readPoint": {"id": "urn:epc:id:sgln:0614141.00001.0"}}]}}"#,
//!     &CaptureContext::default())?;
//! let captured = store.capture(factory, Timestamp::parse("2026-03-02T09:00:01Z")?, document)?;
//! assert_eq!(captured.events[0].0.as_str(), "urn:jinka:event:1");
//!
//! let item = "urn:epc:id:sgtin:0614141.812345.1".parse()?;
//! let seen = store.where_is(Viewer::Participant(factory), &item)?.unwrap();
//! assert_eq!(seen.read_point.unwrap().as_str(), "urn:epc:id:sgln:0614141.00001.0");
//! let stranger = Viewer::Participant(Participant::new(3).unwrap());
//! assert_eq!(store.where_is(stranger, &item)?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod capture;
mod containment;
mod contents;
mod epc_range;
mod error;
mod event_query;
mod event_row;
mod history;
mod location;
mod migrations;
mod order_key;
mod participant;
mod postgres;
mod sharing;
mod sql;
mod sqlite;

use jinka_trace::{Document, Epc, Event, EventQuery, History, Location, Timestamp};

pub use capture::{Captured, EVENT_ID_PREFIX};
pub use error::{StoreError, StoreErrorKind};
pub use event_query::EventPage;
pub use participant::{Participant, Viewer};
pub use postgres::PostgresTraceStore;
pub use sharing::{PARTICIPANT_URI_PREFIX, shared_with};
pub use sqlite::{
    SqliteTraceStore, TRACE_BUSY_TIMEOUT_MS, TRACE_DATABASE_FILE_NAME, TRACE_READER_CACHE_KIB,
    TRACE_WRITER_CACHE_KIB,
};

/// Durable capture and the traceability answers, on one engine. Each method is one
/// transaction; a refused or failed capture stored nothing.
pub trait TraceStore: Send + Sync {
    /// Captures a checked document for `participant`, at `record_time` (the capture's
    /// clock): ids for the events that lack one, then each event as [`TraceStore::capture_events`].
    fn capture(
        &self,
        participant: Participant,
        record_time: Timestamp,
        document: Document,
    ) -> Result<Captured, StoreError>;

    /// Captures events that have their ids (and keep their record times), in order: each is
    /// recorded, a duplicate, or an error declaration for a stored event. An event whose id
    /// another participant captured refuses the batch ([`StoreError::Event`]).
    fn capture_events(
        &self,
        participant: Participant,
        record_time: Timestamp,
        events: &[Event],
    ) -> Result<Captured, StoreError>;

    /// The page of events `query` asks for among those `viewer` may see.
    fn events(&self, viewer: Viewer, query: &EventQuery) -> Result<EventPage, StoreError>;

    /// Where `epc` is now, following its containers; `None` if the viewer may see no
    /// sighting of it.
    fn where_is(&self, viewer: Viewer, epc: &Epc) -> Result<Option<Location>, StoreError>;

    /// Everything `epc` went through, including while inside containers, oldest first.
    fn history(&self, viewer: Viewer, epc: &Epc) -> Result<History, StoreError>;

    /// What `parent` holds now (with `recursive`, what its children hold too).
    fn contents(
        &self,
        viewer: Viewer,
        parent: &Epc,
        recursive: bool,
    ) -> Result<Vec<Epc>, StoreError>;
}

/// The [`TraceStore`] of an engine with `write` and `read` transactions.
macro_rules! trace_store {
    ($engine:ty) => {
        impl TraceStore for $engine {
            fn capture(
                &self,
                participant: Participant,
                record_time: Timestamp,
                document: Document,
            ) -> Result<Captured, StoreError> {
                self.write(|sql| capture::capture_document(sql, participant, record_time, document))
            }

            fn capture_events(
                &self,
                participant: Participant,
                record_time: Timestamp,
                events: &[Event],
            ) -> Result<Captured, StoreError> {
                self.write(|sql| capture::capture_events(sql, participant, record_time, events))
            }

            fn events(&self, viewer: Viewer, query: &EventQuery) -> Result<EventPage, StoreError> {
                self.read(|sql| event_query::events(sql, viewer, query))
            }

            fn where_is(&self, viewer: Viewer, epc: &Epc) -> Result<Option<Location>, StoreError> {
                self.read(|sql| location::where_is(sql, viewer, epc))
            }

            fn history(&self, viewer: Viewer, epc: &Epc) -> Result<History, StoreError> {
                self.read(|sql| history::history(sql, viewer, epc))
            }

            fn contents(
                &self,
                viewer: Viewer,
                parent: &Epc,
                recursive: bool,
            ) -> Result<Vec<Epc>, StoreError> {
                self.read(|sql| contents::contents(sql, viewer, parent, recursive))
            }
        }
    };
}

trace_store!(SqliteTraceStore);
trace_store!(PostgresTraceStore);

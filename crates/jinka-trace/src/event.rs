//! A captured event: checked content with its id and record time.

use serde_json::Value;

use crate::error::Result;
use crate::event_content::EventContent;
use crate::event_id::EventId;
use crate::event_json;
use crate::event_type::EventType;
use crate::timestamp::{EventTime, Timestamp};

/// An EPCIS event as the repository keeps it: its content passed [`EventContent::check`],
/// it has an `eventID` (given or assigned) and a `recordTime` (when it was captured).
///
/// Its serde form is the EPCIS 2.0 JSON event ([`Event::to_json`]); deserializing checks it
/// again, so a stored event read back is as valid as when it was captured.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    id: EventId,
    record_time: Timestamp,
    content: EventContent,
}

impl Event {
    pub fn new(id: EventId, record_time: Timestamp, content: EventContent) -> Result<Event> {
        content.check()?;
        Ok(Event {
            id,
            record_time,
            content,
        })
    }

    pub fn id(&self) -> &EventId {
        &self.id
    }

    pub fn record_time(&self) -> Timestamp {
        self.record_time
    }

    pub fn content(&self) -> &EventContent {
        &self.content
    }

    pub fn into_content(self) -> EventContent {
        self.content
    }

    pub fn event_type(&self) -> EventType {
        self.content.what.event_type()
    }

    pub fn time(&self) -> EventTime {
        self.content.time
    }

    /// The EPCIS 2.0 JSON event, with `eventID` and `recordTime`.
    pub fn to_json(&self) -> Value {
        event_json::write_event(self)
    }

    /// Reads an event as [`Event::to_json`] writes it (`eventID` and `recordTime` required;
    /// EPCs as pure identity URIs).
    pub fn from_json(value: Value) -> Result<Event> {
        event_json::read_stored_event(value)
    }
}

impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Event::from_json(value).map_err(serde::de::Error::custom)
    }
}

//! An EPCIS 2.0 document, checked whole before any event in it is captured.

use std::collections::HashMap;

use serde_json::Value;

use crate::company_prefix_lengths::CompanyPrefixLengths;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::event_content::EventContent;
use crate::event_id::{EventId, EventIdSource};
use crate::event_json::read_event;
use crate::json_object::JsonObject;
use crate::timestamp::Timestamp;

/// The longest document read, in bytes.
pub const DOCUMENT_BYTES_MAX: usize = 16 * 1024 * 1024;
/// The most events in one document.
pub const DOCUMENT_EVENTS_MAX: usize = 10_000;
/// The longest JSON parser message kept in [`Error::Json`].
const JSON_MESSAGE_CHARS_MAX: usize = 200;

/// What capture needs besides the document.
#[derive(Clone, Debug, Default)]
pub struct CaptureContext {
    /// Splits the GS1 keys of Digital Link EPCs into pure identity URIs; with an empty table,
    /// events that name EPCs by Digital Link are refused ([`Error::UnknownCompanyPrefix`]).
    pub company_prefix_lengths: CompanyPrefixLengths,
}

/// One event of a document, checked, with the `eventID` it came with, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedEvent {
    pub event_id: Option<EventId>,
    pub content: EventContent,
}

/// An `EPCISDocument` of schema version 2.0 whose every event is valid.
///
/// ```json
/// {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
///  "type": "EPCISDocument", "schemaVersion": "2.0",
///  "creationDate": "2005-07-11T11:30:47.0Z",
///  "epcisBody": {"eventList": [ … ]}}
/// ```
///
/// Other top-level fields (`epcisHeader`, `sender`, `receiver`, `instanceIdentifier`, …) are
/// accepted and not kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    creation_date: Timestamp,
    events: Vec<ParsedEvent>,
}

impl Document {
    /// Reads and checks a document. Any invalid event refuses the document whole, with the
    /// event's index ([`Error::Event`]) and the reason.
    pub fn parse(json: &str, context: &CaptureContext) -> Result<Document> {
        if json.len() > DOCUMENT_BYTES_MAX {
            return Err(Error::DocumentTooLarge {
                bytes: json.len(),
                max: DOCUMENT_BYTES_MAX,
            });
        }
        let value: Value = serde_json::from_str(json).map_err(|error| Error::Json {
            line: error.line(),
            column: error.column(),
            message: error
                .to_string()
                .chars()
                .take(JSON_MESSAGE_CHARS_MAX)
                .collect(),
        })?;
        Document::from_json(value, context)
    }

    /// Like [`Document::parse`], from JSON already parsed.
    pub fn from_json(value: Value, context: &CaptureContext) -> Result<Document> {
        let document = |reason| Error::Document { reason };
        let mut object = JsonObject::new(value).map_err(|_| document("not a JSON object"))?;
        if object.take("@context").is_none() {
            return Err(document("no @context"));
        }
        if object.string("type").ok().flatten().as_deref() != Some("EPCISDocument") {
            return Err(document("type is not EPCISDocument"));
        }
        if object.string("schemaVersion").ok().flatten().as_deref() != Some("2.0") {
            return Err(document("schemaVersion is not 2.0"));
        }
        let creation_date = object.required("creationDate", Timestamp::parse)?;
        let Some(Value::Object(mut body)) = object.take("epcisBody") else {
            return Err(document("no epcisBody object"));
        };
        let Some(Value::Array(list)) = body.remove("eventList") else {
            return Err(document("no epcisBody.eventList array"));
        };
        if list.len() > DOCUMENT_EVENTS_MAX {
            return Err(Error::TooManyEvents {
                count: list.len(),
                max: DOCUMENT_EVENTS_MAX,
            });
        }
        let events = read_events(list, context)?;
        Ok(Document {
            creation_date,
            events,
        })
    }

    pub fn creation_date(&self) -> Timestamp {
        self.creation_date
    }

    pub fn events(&self) -> &[ParsedEvent] {
        &self.events
    }

    /// The events to capture: those without an `eventID` take the next ids of `ids`, in
    /// document order, and all get `record_time`. Ids are drawn only here, after the whole
    /// document was checked, so a refused document consumes none.
    pub fn into_events(
        self,
        ids: &mut dyn EventIdSource,
        record_time: Timestamp,
    ) -> Result<Vec<Event>> {
        self.events
            .into_iter()
            .enumerate()
            .map(|(index, parsed)| {
                let id = match parsed.event_id {
                    Some(id) => id,
                    None => ids.next_event_id()?,
                };
                Event::new(id, record_time, parsed.content).map_err(|error| Error::Event {
                    index,
                    error: Box::new(error),
                })
            })
            .collect()
    }
}

/// Reads every event; eventIDs must differ, except that of an error declaration, which
/// repeats the id of the event it declares erroneous.
fn read_events(list: Vec<Value>, context: &CaptureContext) -> Result<Vec<ParsedEvent>> {
    let mut first_with_id: HashMap<EventId, usize> = HashMap::new();
    let mut events = Vec::with_capacity(list.len());
    for (index, value) in list.into_iter().enumerate() {
        let at_event = |error: Error| Error::Event {
            index,
            error: Box::new(error),
        };
        let read = read_event(value, &context.company_prefix_lengths).map_err(at_event)?;
        let declaring = read.content.error_declaration.is_some();
        match (&read.event_id, declaring) {
            (None, true) => {
                return Err(at_event(Error::Rule {
                    reason: "an errorDeclaration carries the eventID of the event it declares erroneous",
                }));
            }
            (Some(id), false) => {
                if let Some(&first_index) = first_with_id.get(id) {
                    return Err(at_event(
                        Error::DuplicateEventId { first_index }.at("eventID"),
                    ));
                }
                first_with_id.insert(id.clone(), index);
            }
            _ => {}
        }
        events.push(ParsedEvent {
            event_id: read.event_id,
            content: read.content,
        });
    }
    Ok(events)
}

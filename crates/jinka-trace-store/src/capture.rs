//! Capture: events into `trace_events` and the projections updated in the same transaction,
//! with `jinka-trace`'s `Projections::apply` rules (the property tests hold the two
//! together):
//!
//! - a new event is recorded; an error declaration for an event not seen yet is recorded as
//!   that event, already corrected;
//! - an event whose id is stored, without an error declaration, changes nothing
//!   ([`Applied::Duplicate`]: a client may post a document again after a lost answer);
//! - an error declaration for a stored event marks it corrected (declarations merge) and
//!   withdraws its containment effect ([`Applied::Declared`]).
//!
//! An event id belongs to the participant that captured it first: the same id from another
//! participant refuses the batch.

use std::collections::{BTreeSet, HashSet};

use jinka_trace::{
    Action, Applied, Document, ErrorDeclaration, Event, EventId, EventIdSource, Timestamp, What,
};

use crate::containment::{self, EpcBytes, role};
use crate::error::StoreError;
use crate::order_key::order_key;
use crate::participant::Participant;
use crate::sharing::shared_with;
use crate::sql::{Cells, Param, Sql, insert_rows};

/// The prefix of the ids the store gives events captured without one: `urn:jinka:event:1`,
/// `urn:jinka:event:2`, … in capture order.
pub const EVENT_ID_PREFIX: &str = "urn:jinka:event:";

/// What a capture did: its id and, per event in order, its id and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    pub capture_id: u64,
    pub events: Vec<(EventId, Applied)>,
}

/// A stored event, as capture looks it up by id.
struct Stored {
    key: i64,
    order_key: Vec<u8>,
    participant: Option<Participant>,
    correction: Option<ErrorDeclaration>,
}

/// Captures a checked document: ids for the events without one, then every event.
pub(crate) fn capture_document(
    sql: &mut dyn Sql,
    participant: Participant,
    record_time: Timestamp,
    document: Document,
) -> Result<Captured, StoreError> {
    let mut ids = reserve_ids(sql, &document)?;
    let events = document.into_events(&mut ids, record_time)?;
    capture_events(sql, participant, record_time, &events)
}

/// Captures events that have their ids.
pub(crate) fn capture_events(
    sql: &mut dyn Sql,
    participant: Participant,
    record_time: Timestamp,
    events: &[Event],
) -> Result<Captured, StoreError> {
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let capture_key = sql
        .insert_returning(
            "INSERT INTO trace_captures (participant, record_time_ms, event_count) \
             VALUES ($1, $2, $3)",
            "capture_key",
            &[
                Param::Int(participant.column()),
                Param::Int(record_time.epoch_ms()),
                Param::Int(count),
            ],
        )?
        .ok_or_else(|| StoreError::corrupt("trace_captures: an insert gave no key"))?;
    let mut outcomes = Vec::with_capacity(events.len());
    let mut unsettled = BTreeSet::new();
    for (index, event) in events.iter().enumerate() {
        let applied = apply(sql, participant, capture_key, index, event, &mut unsettled)?;
        outcomes.push((event.id().clone(), applied));
    }
    for child in &unsettled {
        containment::settle(sql, child)?;
    }
    Ok(Captured {
        capture_id: u64::try_from(capture_key)
            .map_err(|_| StoreError::corrupt("trace_captures: a negative key"))?,
        events: outcomes,
    })
}

/// The integer in the first column of the first row, which `table` must have.
fn first_int(rows: &[crate::sql::Row], table: &'static str) -> Result<i64, StoreError> {
    let row = rows
        .first()
        .ok_or_else(|| StoreError::corrupt(format!("{table}: a row is missing")))?;
    Cells::new(table, row).int()
}

/// Ids `urn:jinka:event:<n>` for the document's events without one, from the stored
/// counter on, skipping numbers a client already used as ids (in the store or the
/// document).
fn reserve_ids(sql: &mut dyn Sql, document: &Document) -> Result<ReservedIds, StoreError> {
    let needed = document
        .events()
        .iter()
        .filter(|event| event.event_id.is_none())
        .count();
    if needed == 0 {
        return Ok(ReservedIds(Vec::new().into_iter()));
    }
    let given: HashSet<&str> = document
        .events()
        .iter()
        .filter_map(|event| event.event_id.as_ref().map(EventId::as_str))
        .collect();
    let rows = sql.query(
        "SELECT value FROM trace_meta WHERE name = 'next_event_number'",
        &[],
    )?;
    let mut next = first_int(&rows, "trace_meta")?;
    let mut ids = Vec::with_capacity(needed);
    while ids.len() < needed {
        let id = format!("{EVENT_ID_PREFIX}{next}");
        next = next
            .checked_add(1)
            .ok_or(jinka_trace::Error::EventIdsExhausted)?;
        if given.contains(id.as_str()) || find(sql, &id)?.is_some() {
            continue;
        }
        ids.push(EventId::parse(&id)?);
    }
    sql.execute(
        "UPDATE trace_meta SET value = $1 WHERE name = 'next_event_number'",
        &[Param::Int(next)],
    )?;
    Ok(ReservedIds(ids.into_iter()))
}

/// Ids drawn from the counter inside the capture's transaction.
struct ReservedIds(std::vec::IntoIter<EventId>);

impl EventIdSource for ReservedIds {
    fn next_event_id(&mut self) -> jinka_trace::Result<EventId> {
        self.0.next().ok_or(jinka_trace::Error::EventIdsExhausted)
    }
}

fn find(sql: &mut dyn Sql, event_id: &str) -> Result<Option<Stored>, StoreError> {
    let rows = sql.query(
        "SELECT event_key, event_time_ms, participant, correction FROM trace_events \
         WHERE event_id = $1",
        &[Param::Text(event_id)],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut cells = Cells::new("trace_events", row);
    Ok(Some(Stored {
        key: cells.int()?,
        order_key: order_key(cells.int()?, event_id),
        participant: Participant::from_column(cells.int()?),
        correction: cells.opt_text()?.map(read_correction).transpose()?,
    }))
}

pub(crate) fn read_correction(json: &str) -> Result<ErrorDeclaration, StoreError> {
    serde_json::from_str(json)
        .map_err(|error| StoreError::corrupt(format!("trace_events.correction: {error}")))
}

fn write_correction(declaration: &ErrorDeclaration) -> Result<String, StoreError> {
    serde_json::to_string(declaration)
        .map_err(|error| StoreError::corrupt(format!("an error declaration: {error}")))
}

/// The EPCs whose containment a batch changed, settled once at its end.
type Unsettled = BTreeSet<EpcBytes>;

fn apply(
    sql: &mut dyn Sql,
    participant: Participant,
    capture_key: i64,
    index: usize,
    event: &Event,
    unsettled: &mut Unsettled,
) -> Result<Applied, StoreError> {
    let declaration = event.content().error_declaration.as_ref();
    if let Some((key, order)) = record(sql, participant, capture_key, event)? {
        match declaration {
            Some(declaration) => link_corrections(sql, event.id(), declaration)?,
            None => contain(sql, event, &order, key, unsettled)?,
        }
        return Ok(Applied::Recorded);
    }
    let stored = find(sql, event.id().as_str())?.ok_or_else(|| {
        StoreError::corrupt("trace_events: an event id conflicts but is not there")
    })?;
    if stored.participant != Some(participant) {
        return Err(StoreError::Event {
            index,
            reason: "another participant captured an event with this eventID",
        });
    }
    match declaration {
        Some(declaration) => {
            declare(sql, event.id(), stored, declaration, unsettled)?;
            Ok(Applied::Declared)
        }
        None => Ok(Applied::Duplicate),
    }
}

/// Inserts the event, its shares and its rows in the per-EPC index; its key and order key,
/// or `None` if an event with its id is stored (nothing inserted).
fn record(
    sql: &mut dyn Sql,
    participant: Participant,
    capture_key: i64,
    event: &Event,
) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let content = event.content();
    let id = event.id().as_str();
    let order = order_key(content.time.at.epoch_ms(), id);
    let correction = content
        .error_declaration
        .as_ref()
        .map(|declaration| {
            // Merging with itself sorts and dedups the corrective ids, as later merges keep
            // them.
            let mut normalized = declaration.clone();
            normalized.merge(declaration);
            write_correction(&normalized)
        })
        .transpose()?;
    let body = serde_json::to_string(&event.to_json())
        .map_err(|error| StoreError::corrupt(format!("an event's JSON: {error}")))?;
    let inserted = sql.insert_returning(
        "INSERT INTO trace_events (event_id, capture_key, participant, event_type, \
         event_time_ms, time_zone_minutes, record_time_ms, action, biz_step, disposition, \
         read_point, biz_location, correction, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (event_id) DO NOTHING",
        "event_key",
        &[
            Param::Text(id),
            Param::Int(capture_key),
            Param::Int(participant.column()),
            Param::Text(event.event_type().name()),
            Param::Int(content.time.at.epoch_ms()),
            Param::Int(i64::from(content.time.offset.minutes())),
            Param::Int(event.record_time().epoch_ms()),
            Param::OptText(content.what.action().map(Action::name)),
            Param::OptText(content.biz_step.as_ref().map(|step| step.as_str())),
            Param::OptText(content.disposition.as_ref().map(|value| value.as_str())),
            Param::OptText(content.read_point.as_ref().map(|place| place.as_str())),
            Param::OptText(content.biz_location.as_ref().map(|place| place.as_str())),
            Param::OptText(correction.as_deref()),
            Param::Text(&body),
        ],
    )?;
    let Some(key) = inserted else {
        return Ok(None);
    };
    for shared in shared_with(content)
        .into_iter()
        .filter(|shared| *shared != participant)
    {
        sql.execute(
            "INSERT INTO trace_shares (event_key, participant) VALUES ($1, $2)",
            &[Param::Int(key), Param::Int(shared.column())],
        )?;
    }
    let named = named(&content.what);
    let params: Vec<Param<'_>> = named
        .iter()
        .flat_map(|(epc, roles)| {
            [
                Param::Blob(epc),
                Param::Blob(&order),
                Param::Int(key),
                Param::Int(*roles),
            ]
        })
        .collect();
    // An EPC is named once per event, and no event both names an EPC and takes it out of a
    // parent by a DELETE of all children (that event names the parent only, never a child
    // of it), so these rows are new.
    insert_rows(
        sql,
        "INSERT INTO trace_epc_events (epc, order_key, event_key, roles)",
        4,
        &params,
        "",
    )?;
    Ok(Some((key, order)))
}

/// Every EPC the event names, once, with the roles it names it in.
fn named(what: &What) -> Vec<(EpcBytes, i64)> {
    let mut named: Vec<(EpcBytes, i64)> = what
        .parent_id()
        .map(|parent| (parent.to_bytes(), role::PARENT))
        .into_iter()
        .chain(
            what.epc_list()
                .iter()
                .map(|epc| (epc.to_bytes(), role::LISTED)),
        )
        .chain(
            what.input_epc_list()
                .iter()
                .map(|epc| (epc.to_bytes(), role::INPUT)),
        )
        .chain(
            what.output_epc_list()
                .iter()
                .map(|epc| (epc.to_bytes(), role::OUTPUT)),
        )
        .collect();
    named.sort_unstable();
    named.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 |= later.1;
        }
        same
    });
    named
}

/// What an AggregationEvent does to containment: `None` for other events and for a DELETE
/// of class-level quantities only (it takes no identified child out).
fn containment(event: &Event) -> Option<(EpcBytes, Action, Vec<EpcBytes>)> {
    let What::Aggregation(aggregation) = &event.content().what else {
        return None;
    };
    let parent = aggregation.parent_id?;
    let children: Vec<EpcBytes> = aggregation
        .child_epcs
        .iter()
        .map(|c| c.to_bytes())
        .collect();
    let quantities_only = aggregation.action == Action::Delete
        && children.is_empty()
        && !aggregation.child_quantity_list.is_empty();
    (!quantities_only).then(|| (parent.to_bytes(), aggregation.action, children))
}

fn contain(
    sql: &mut dyn Sql,
    event: &Event,
    key: &[u8],
    event_key: i64,
    unsettled: &mut Unsettled,
) -> Result<(), StoreError> {
    let Some((parent, action, children)) = containment(event) else {
        return Ok(());
    };
    if action == Action::Delete && children.is_empty() {
        containment::add_delete_all(sql, &parent, key, event_key)?;
        unsettled.extend(containment::members(sql, &parent)?);
        return Ok(());
    }
    containment::add_marks(
        sql,
        &parent,
        &children,
        key,
        event_key,
        action != Action::Delete,
    )?;
    unsettled.extend(children);
    Ok(())
}

/// Withdraws the containment effect of a stored event declared erroneous.
fn uncontain(
    sql: &mut dyn Sql,
    stored: &Stored,
    unsettled: &mut Unsettled,
) -> Result<(), StoreError> {
    let rows = sql.query(
        "SELECT body FROM trace_events WHERE event_key = $1",
        &[Param::Int(stored.key)],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::corrupt("trace_events: a found event is gone"))?;
    let event = read_body(Cells::new("trace_events", row).text()?)?;
    let Some((parent, action, children)) = containment(&event) else {
        return Ok(());
    };
    if action == Action::Delete && children.is_empty() {
        containment::remove_delete_all(sql, &parent, &stored.order_key)?;
        unsettled.extend(containment::members(sql, &parent)?);
        return Ok(());
    }
    for child in children {
        containment::remove_mark(sql, &child, &stored.order_key)?;
        unsettled.insert(child);
    }
    Ok(())
}

pub(crate) fn read_body(body: &str) -> Result<Event, StoreError> {
    let value = serde_json::from_str(body)
        .map_err(|error| StoreError::corrupt(format!("trace_events.body: {error}")))?;
    Event::from_json(value).map_err(|error| StoreError::stored("trace_events.body", error))
}

/// Marks a stored event corrected (merging with an earlier declaration) and, the first
/// time, withdraws its containment effect.
fn declare(
    sql: &mut dyn Sql,
    id: &EventId,
    stored: Stored,
    declaration: &ErrorDeclaration,
    unsettled: &mut Unsettled,
) -> Result<(), StoreError> {
    let newly = stored.correction.is_none();
    let mut merged = stored
        .correction
        .clone()
        .unwrap_or_else(|| declaration.clone());
    merged.merge(declaration);
    sql.execute(
        "UPDATE trace_events SET correction = $1 WHERE event_key = $2",
        &[
            Param::Text(&write_correction(&merged)?),
            Param::Int(stored.key),
        ],
    )?;
    link_corrections(sql, id, declaration)?;
    if newly {
        uncontain(sql, &stored, unsettled)?;
    }
    Ok(())
}

fn link_corrections(
    sql: &mut dyn Sql,
    corrected: &EventId,
    declaration: &ErrorDeclaration,
) -> Result<(), StoreError> {
    for corrective in &declaration.corrective_event_ids {
        sql.execute(
            "INSERT INTO trace_corrections (corrective_id, corrected_id) VALUES ($1, $2) \
             ON CONFLICT (corrective_id, corrected_id) DO NOTHING",
            &[
                Param::Text(corrective.as_str()),
                Param::Text(corrected.as_str()),
            ],
        )?;
    }
    Ok(())
}

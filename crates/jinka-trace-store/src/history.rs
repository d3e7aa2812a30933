//! What an object went through, including while inside containers: `jinka-trace`'s
//! `history` over the tables, for the events a viewer may see.

use jinka_trace::{
    CONTAINMENT_DEPTH_MAX, Epc, EventId, HISTORY_ENTRIES_MAX, History, HistoryEntry,
};

use crate::containment::{EpcBytes, epc_of, intervals, marks_of};
use crate::error::StoreError;
use crate::event_row::{ENTRY_COLUMNS, history_entry};
use crate::location::is_visible;
use crate::order_key::{KEY_MAX, KEY_MIN};
use crate::participant::Viewer;
use crate::sql::{Cells, Param, Sql};

/// An entry found, with its order key and the container it was seen through.
struct Found {
    key: Vec<u8>,
    via: Option<EpcBytes>,
    entry: HistoryEntry,
    /// Whether some error declaration names the event as corrective.
    corrective: bool,
}

/// Every visible event that concerns `epc`, in event order: those that name it, the
/// DELETEs of all children that took it out of a parent, and the events of each container
/// it was in (recursively) while it was inside, if the viewer may see the event that put it
/// there. Corrected events are included and marked; the newest [`HISTORY_ENTRIES_MAX`].
pub(crate) fn history(sql: &mut dyn Sql, viewer: Viewer, epc: &Epc) -> Result<History, StoreError> {
    let mut found = Vec::new();
    collect(
        sql,
        viewer,
        &epc.to_bytes(),
        (KEY_MIN, KEY_MAX),
        None,
        0,
        &mut found,
    )?;
    // Each event once, its direct sighting preferred over one through a container.
    found.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(a.via.is_some().cmp(&b.via.is_some()))
    });
    found.dedup_by(|later, earlier| later.key == earlier.key);
    let skip = found.len().saturating_sub(HISTORY_ENTRIES_MAX);
    let mut entries = Vec::with_capacity(found.len() - skip);
    for found in found.into_iter().skip(skip) {
        let mut entry = found.entry;
        entry.via = found
            .via
            .map(|parent| epc_of("trace_marks", &parent))
            .transpose()?;
        if found.corrective {
            entry.corrects = corrects(sql, viewer, &entry.event_id)?;
        }
        entries.push(entry);
    }
    Ok(History {
        epc: *epc,
        entries,
        truncated: skip > 0,
    })
}

/// Adds the visible events of `epc` within `[from, until)`, seen through `via`, then those
/// of its containers over the same span.
fn collect(
    sql: &mut dyn Sql,
    viewer: Viewer,
    epc: &EpcBytes,
    (from, until): (&[u8], &[u8]),
    via: Option<EpcBytes>,
    depth: usize,
    found: &mut Vec<Found>,
) -> Result<(), StoreError> {
    let who = viewer.who();
    let statement = format!(
        "SELECT ee.order_key, {ENTRY_COLUMNS}, EXISTS (SELECT 1 FROM trace_corrections c \
         WHERE c.corrective_id = e.event_id) FROM trace_epc_events ee \
         JOIN trace_events e ON e.event_key = ee.event_key \
         WHERE ee.epc = $1 AND ee.order_key >= $2 AND ee.order_key < $3 AND {} \
         ORDER BY ee.order_key",
        viewer.visible(4)
    );
    let rows = sql.query(
        &statement,
        &[
            Param::Blob(epc),
            Param::Blob(from),
            Param::Blob(until),
            Param::Int(who),
        ],
    )?;
    for row in &rows {
        let mut cells = Cells::new("trace_events", row);
        let key = cells.blob()?.to_vec();
        let entry = history_entry(&mut cells)?;
        found.push(Found {
            key,
            via,
            entry,
            corrective: cells.int()? != 0,
        });
    }
    if depth >= CONTAINMENT_DEPTH_MAX {
        return Ok(());
    }
    for interval in intervals(&marks_of(sql, epc)?) {
        let start = from.max(interval.from_key.as_slice());
        let end = interval
            .until_key
            .as_deref()
            .map_or(until, |end| until.min(end));
        if start < end && is_visible(sql, viewer, interval.from_event)? {
            let parent = interval.parent;
            collect(
                sql,
                viewer,
                &parent,
                (start, end),
                Some(parent),
                depth + 1,
                found,
            )?;
        }
    }
    Ok(())
}

/// The visible events that `corrective` corrects, sorted.
fn corrects(
    sql: &mut dyn Sql,
    viewer: Viewer,
    corrective: &EventId,
) -> Result<Vec<EventId>, StoreError> {
    let who = viewer.who();
    let statement = format!(
        "SELECT c.corrected_id FROM trace_corrections c \
         JOIN trace_events e ON e.event_id = c.corrected_id \
         WHERE c.corrective_id = $1 AND {}",
        viewer.visible(2)
    );
    let rows = sql.query(
        &statement,
        &[Param::Text(corrective.as_str()), Param::Int(who)],
    )?;
    let mut ids = rows
        .iter()
        .map(|row| {
            EventId::parse(Cells::new("trace_corrections", row).text()?)
                .map_err(|error| StoreError::stored("trace_corrections", error))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort();
    Ok(ids)
}

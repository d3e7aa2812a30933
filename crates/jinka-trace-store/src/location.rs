//! Where an object is now, following its containers: `jinka-trace`'s `where_is` over the
//! tables, for the events a viewer may see.

use jinka_trace::{CONTAINMENT_DEPTH_MAX, Epc, EventId, EventTime, Location, LocationId};

use crate::containment::{EpcBytes, container_of, epc_of};
use crate::error::StoreError;
use crate::event_row::event_time;
use crate::order_key::KEY_MIN;
use crate::participant::Viewer;
use crate::sql::{Cells, Param, Sql};

/// The latest sighting of `epc` or of the containers it is in (since it has been inside
/// them); a container counts only if the viewer may see the event that put the object in
/// it. Corrected events do not count; an event is a sighting if it has a read point or a
/// business location.
pub(crate) fn where_is(
    sql: &mut dyn Sql,
    viewer: Viewer,
    epc: &Epc,
) -> Result<Option<Location>, StoreError> {
    let start = epc.to_bytes();
    let mut best = sighting(sql, viewer, &start, KEY_MIN)?.map(|seen| (seen, None));
    let mut inside_since: Option<Vec<u8>> = None;
    let mut current = start;
    for _ in 0..CONTAINMENT_DEPTH_MAX {
        let Some(inside) = container_of(sql, &current)? else {
            break;
        };
        if !is_visible(sql, viewer, inside.since_event)? {
            break;
        }
        // Inside every container of the chain since the latest of the joins.
        let since = match inside_since {
            Some(earlier) if inside.since_key < earlier => earlier,
            _ => inside.since_key,
        };
        if let Some(seen) = sighting(sql, viewer, &inside.parent, &since)?
            && best.as_ref().is_none_or(|(known, _)| known.0 < seen.0)
        {
            best = Some((seen, Some(inside.parent)));
        }
        inside_since = Some(since);
        current = inside.parent;
    }
    best.map(|((_, event), via)| location(sql, event, via))
        .transpose()
}

/// The latest visible, uncorrected, located event of `epc` (named, or a DELETE of all its
/// parent's children) at or after `not_before`: its order key and event key.
fn sighting(
    sql: &mut dyn Sql,
    viewer: Viewer,
    epc: &EpcBytes,
    not_before: &[u8],
) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    let who = viewer.who();
    let statement = format!(
        "SELECT ee.order_key, ee.event_key FROM trace_epc_events ee \
         JOIN trace_events e ON e.event_key = ee.event_key \
         WHERE ee.epc = $1 AND ee.order_key >= $2 AND e.correction IS NULL \
         AND (e.read_point IS NOT NULL OR e.biz_location IS NOT NULL) AND {} \
         ORDER BY ee.order_key DESC LIMIT 1",
        viewer.visible(3)
    );
    let rows = sql.query(
        &statement,
        &[Param::Blob(epc), Param::Blob(not_before), Param::Int(who)],
    )?;
    rows.first()
        .map(|row| {
            let mut cells = Cells::new("trace_epc_events", row);
            Ok((cells.blob()?.to_vec(), cells.int()?))
        })
        .transpose()
}

/// Whether the viewer may see the event `event_key`.
pub(crate) fn is_visible(
    sql: &mut dyn Sql,
    viewer: Viewer,
    event_key: i64,
) -> Result<bool, StoreError> {
    let Viewer::Participant(_) = viewer else {
        return Ok(true);
    };
    let who = viewer.who();
    let statement = format!(
        "SELECT 1 FROM trace_events e WHERE e.event_key = $1 AND {}",
        viewer.visible(2)
    );
    let rows = sql.query(&statement, &[Param::Int(event_key), Param::Int(who)])?;
    Ok(!rows.is_empty())
}

fn location(
    sql: &mut dyn Sql,
    event_key: i64,
    via: Option<EpcBytes>,
) -> Result<Location, StoreError> {
    let rows = sql.query(
        "SELECT read_point, biz_location, event_id, event_time_ms, time_zone_minutes \
         FROM trace_events WHERE event_key = $1",
        &[Param::Int(event_key)],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::corrupt("trace_events: a sighting's event is gone"))?;
    let mut cells = Cells::new("trace_events", row);
    let place = |text: Option<&str>| {
        text.map(LocationId::parse)
            .transpose()
            .map_err(|error| StoreError::stored("trace_events", error))
    };
    let read_point = place(cells.opt_text()?)?;
    let biz_location = place(cells.opt_text()?)?;
    let event_id = EventId::parse(cells.text()?)
        .map_err(|error| StoreError::stored("trace_events.event_id", error))?;
    let event_time: EventTime = event_time(cells.int()?, cells.int()?)?;
    Ok(Location {
        read_point,
        biz_location,
        event_id,
        event_time,
        via: via
            .map(|parent| epc_of("trace_containers", &parent))
            .transpose()?,
    })
}

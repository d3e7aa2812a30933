//! Stored event columns read back into the trace core's types.

use jinka_trace::{
    Action, BizStep, Disposition, EventId, EventTime, EventType, HistoryEntry, LocationId,
    TimeZoneOffset, Timestamp,
};

use crate::capture::read_correction;
use crate::error::StoreError;
use crate::sql::Cells;

/// The columns a history entry reads, in this order, from `trace_events e`.
pub(crate) const ENTRY_COLUMNS: &str = "e.event_id, e.event_type, e.event_time_ms, \
    e.time_zone_minutes, e.action, e.biz_step, e.disposition, e.read_point, e.biz_location, \
    e.correction";

fn stored<T>(result: jinka_trace::Result<T>) -> Result<T, StoreError> {
    result.map_err(|error| StoreError::stored("trace_events", error))
}

pub(crate) fn event_time(time_ms: i64, offset_minutes: i64) -> Result<EventTime, StoreError> {
    let minutes = i16::try_from(offset_minutes)
        .map_err(|_| StoreError::corrupt("trace_events: time zone offset out of range"))?;
    Ok(EventTime::new(
        stored(Timestamp::from_epoch_ms(time_ms))?,
        stored(TimeZoneOffset::from_minutes(minutes))?,
    ))
}

/// A history entry from [`ENTRY_COLUMNS`] (without `via` and `corrects`).
pub(crate) fn history_entry(cells: &mut Cells<'_>) -> Result<HistoryEntry, StoreError> {
    let event_id = stored(EventId::parse(cells.text()?))?;
    let event_type = stored(EventType::parse(cells.text()?))?;
    let event_time = event_time(cells.int()?, cells.int()?)?;
    let action = cells.opt_text()?.map(Action::parse).transpose();
    let biz_step = cells.opt_text()?.map(BizStep::parse).transpose();
    let disposition = cells.opt_text()?.map(Disposition::parse).transpose();
    let read_point = cells.opt_text()?.map(LocationId::parse).transpose();
    let biz_location = cells.opt_text()?.map(LocationId::parse).transpose();
    let correction = cells.opt_text()?.map(read_correction).transpose()?;
    Ok(HistoryEntry {
        event_id,
        event_type,
        event_time,
        action: stored(action)?,
        biz_step: stored(biz_step)?,
        disposition: stored(disposition)?,
        read_point: stored(read_point)?,
        biz_location: stored(biz_location)?,
        via: None,
        correction,
        corrects: Vec::new(),
    })
}

//! The standard EPCIS event query in SQL: every filter of [`EventQuery`] becomes a condition
//! on `trace_events` (the EPC patterns ranges of the per-EPC index), the order an index, a
//! page token a position in it. The page itself (its size, the count limit across pages,
//! the next token) is made by [`EventQuery::select`] over the rows read, so storage and the
//! pure reference cannot disagree on paging.

use jinka_trace::{Event, EventQuery, OrderBy, OrderDirection, PAGE_EVENTS_MAX};

use crate::capture::{read_body, read_correction};
use crate::containment::role;
use crate::epc_range::epc_range;
use crate::error::StoreError;
use crate::participant::Viewer;
use crate::sql::{Cells, OwnedParam, Param, Sql};

/// One page of events and the token for the next, if there is more.
#[derive(Clone, Debug, PartialEq)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_page_token: Option<String>,
}

/// A `WHERE` clause being built, with its parameters.
struct Conditions {
    clauses: Vec<String>,
    params: Vec<OwnedParam>,
}

impl Conditions {
    fn new(viewer: Viewer) -> Conditions {
        let who = viewer.who();
        Conditions {
            clauses: vec![viewer.visible(1)],
            params: vec![OwnedParam::Int(who)],
        }
    }

    /// The placeholder of a new parameter.
    fn param(&mut self, value: OwnedParam) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    fn compare(&mut self, column: &str, operator: &str, value: OwnedParam) {
        let placeholder = self.param(value);
        self.clauses
            .push(format!("{column} {operator} {placeholder}"));
    }

    /// `column IN (...)`; nothing for an empty list (no filter).
    fn one_of<'v>(&mut self, column: &str, values: impl IntoIterator<Item = &'v str>) {
        let placeholders: Vec<String> = values
            .into_iter()
            .map(|value| self.param(OwnedParam::Text(value.to_owned())))
            .collect();
        if !placeholders.is_empty() {
            self.clauses
                .push(format!("{column} IN ({})", placeholders.join(", ")));
        }
    }

    /// Events naming, in one of `roles`, an EPC that one of `patterns` matches.
    fn naming(
        &mut self,
        patterns: &[jinka_trace::EpcPattern],
        roles: i64,
    ) -> Result<(), StoreError> {
        if patterns.is_empty() {
            return Ok(());
        }
        let mut ranges = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let (low, high) = epc_range(pattern).map_err(jinka_trace::Error::from)?;
            let low = self.param(OwnedParam::Blob(low.to_vec()));
            let high = self.param(OwnedParam::Blob(high.to_vec()));
            ranges.push(format!("m.epc BETWEEN {low} AND {high}"));
        }
        self.clauses.push(format!(
            "e.event_key IN (SELECT m.event_key FROM trace_epc_events m \
             WHERE (m.roles & {roles}) != 0 AND ({}))",
            ranges.join(" OR ")
        ));
        Ok(())
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }

    fn params(&self) -> Vec<Param<'_>> {
        self.params.iter().map(OwnedParam::as_param).collect()
    }
}

/// Every filter of the query, for `viewer`.
fn conditions(viewer: Viewer, query: &EventQuery) -> Result<Conditions, StoreError> {
    let mut conditions = Conditions::new(viewer);
    conditions.one_of(
        "e.event_type",
        query.event_types.iter().map(|kind| kind.name()),
    );
    let bound = |time: jinka_trace::Timestamp| OwnedParam::Int(time.epoch_ms());
    if let Some(time) = query.ge_event_time {
        conditions.compare("e.event_time_ms", ">=", bound(time));
    }
    if let Some(time) = query.lt_event_time {
        conditions.compare("e.event_time_ms", "<", bound(time));
    }
    if let Some(time) = query.ge_record_time {
        conditions.compare("e.record_time_ms", ">=", bound(time));
    }
    if let Some(time) = query.lt_record_time {
        conditions.compare("e.record_time_ms", "<", bound(time));
    }
    conditions.one_of(
        "e.action",
        query.eq_action.iter().map(|action| action.name()),
    );
    conditions.one_of(
        "e.biz_step",
        query.eq_biz_step.iter().map(|step| step.as_str()),
    );
    conditions.one_of(
        "e.disposition",
        query.eq_disposition.iter().map(|value| value.as_str()),
    );
    conditions.one_of(
        "e.read_point",
        query.eq_read_point.iter().map(|place| place.as_str()),
    );
    conditions.one_of(
        "e.biz_location",
        query.eq_biz_location.iter().map(|place| place.as_str()),
    );
    conditions.one_of("e.event_id", query.eq_event_id.iter().map(|id| id.as_str()));
    conditions.naming(&query.match_epc, role::LISTED)?;
    conditions.naming(&query.match_parent_id, role::PARENT)?;
    conditions.naming(&query.match_input_epc, role::INPUT)?;
    conditions.naming(&query.match_output_epc, role::OUTPUT)?;
    conditions.naming(&query.match_any_epc, role::NAMED)?;
    if query.exists_error_declaration {
        conditions
            .clauses
            .push("e.correction IS NOT NULL".to_owned());
    }
    Ok(conditions)
}

/// The page of events `query` asks for, among those `viewer` may see.
pub(crate) fn events(
    sql: &mut dyn Sql,
    viewer: Viewer,
    query: &EventQuery,
) -> Result<EventPage, StoreError> {
    let mut conditions = conditions(viewer, query)?;
    if let Some(max) = query.max_event_count {
        check_count(sql, &conditions, max)?;
    }
    // Events are ordered by the time, then by eventID byte by byte (PostgreSQL's column
    // has collation "C").
    let column = match query.order_by {
        OrderBy::EventTime => "e.event_time_ms",
        OrderBy::RecordTime => "e.record_time_ms",
    };
    let (direction, after) = match query.order_direction {
        OrderDirection::Ascending => ("ASC", ">"),
        OrderDirection::Descending => ("DESC", "<"),
    };
    if let Some(token) = &query.page_token {
        let time = conditions.param(OwnedParam::Int(token.key_ms()));
        let id = conditions.param(OwnedParam::Text(token.event_id().as_str().to_owned()));
        conditions.clauses.push(format!(
            "({column} {after} {time} OR ({column} = {time} AND e.event_id {after} {id}))"
        ));
    }
    // One more than a page tells whether there is a next one.
    let limit = query.per_page.min(PAGE_EVENTS_MAX) + 1;
    let statement = format!(
        "SELECT e.body, e.correction FROM trace_events e WHERE {} \
         ORDER BY {column} {direction}, e.event_id {direction} LIMIT {limit}",
        conditions.sql()
    );
    let rows = sql.query(&statement, &conditions.params())?;
    let events = rows
        .iter()
        .map(|row| {
            let mut cells = Cells::new("trace_events", row);
            stored_event(cells.text()?, cells.opt_text()?)
        })
        .collect::<Result<Vec<Event>, StoreError>>()?;
    let page = query.select(&events)?;
    Ok(EventPage {
        events: page.events.into_iter().cloned().collect(),
        next_page_token: page.next_page_token,
    })
}

/// Refuses the query if more than `max` events match (EPCIS `maxEventCount`).
fn check_count(sql: &mut dyn Sql, conditions: &Conditions, max: usize) -> Result<(), StoreError> {
    let cap = i64::try_from(max).unwrap_or(i64::MAX).saturating_add(1);
    let statement = format!(
        "SELECT count(*) FROM (SELECT 1 FROM trace_events e WHERE {} LIMIT {cap}) matching",
        conditions.sql()
    );
    let rows = sql.query(&statement, &conditions.params())?;
    let count = rows
        .first()
        .map(|row| Cells::new("trace_events", row).int())
        .transpose()?
        .unwrap_or(0);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > max {
        return Err(jinka_trace::Error::TooManyMatches { count, max }.into());
    }
    Ok(())
}

/// An event as stored, with its error declaration as merged since.
pub(crate) fn stored_event(body: &str, correction: Option<&str>) -> Result<Event, StoreError> {
    let event = read_body(body)?;
    let Some(correction) = correction else {
        return Ok(event);
    };
    let declaration = read_correction(correction)?;
    let (id, record_time) = (event.id().clone(), event.record_time());
    let mut content = event.into_content();
    content.error_declaration = Some(declaration);
    Event::new(id, record_time, content).map_err(|error| StoreError::stored("trace_events", error))
}

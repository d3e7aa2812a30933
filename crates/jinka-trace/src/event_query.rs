//! The standard EPCIS event query (EPCIS 2.0 §8.2.7.1, `SimpleEventQuery`) as a filter
//! over events, with ordering, limits and paging.
//!
//! Parameters come as query-string pairs (already percent-decoded). A list-valued
//! parameter takes several values separated by `|` (the EPCIS 2.0 REST binding) or repeated;
//! a single-valued one may not repeat. A parameter EPCIS does not define is refused
//! ([`Error::UnknownQueryParameter`], EPCIS's `QueryParameterException`); a standard one this
//! core does not implement is refused too ([`Error::UnsupportedQueryParameter`]), rather
//! than ignored, so a query never silently returns more than asked.

use std::cmp::Ordering;

use crate::action::Action;
use crate::biz_step::BizStep;
use crate::disposition::Disposition;
use crate::epc::Epc;
use crate::epc_pattern::EpcPattern;
use crate::error::{Error, Result, quote};
use crate::event::Event;
use crate::event_id::EventId;
use crate::event_type::EventType;
use crate::location_id::LocationId;
use crate::page_token::{PageToken, fingerprint};
use crate::timestamp::Timestamp;

/// Events per page when the query does not say (`perPage`; the EPCIS 2.0 REST default).
pub const PAGE_EVENTS_DEFAULT: usize = 30;
/// The most events per page.
pub const PAGE_EVENTS_MAX: usize = 1_000;
/// The most parameters one query takes.
pub const QUERY_PARAMETERS_MAX: usize = 64;
/// The most values of one list-valued parameter.
pub const QUERY_VALUES_MAX: usize = 256;

/// The standard parameters this core does not implement (EPCIS 2.0 query schema).
const UNSUPPORTED: [&str; 39] = [
    "EQ_persistentDisposition_set",
    "EQ_persistentDisposition_unset",
    "EQ_quantity",
    "GT_quantity",
    "GE_quantity",
    "LT_quantity",
    "LE_quantity",
    "WD_readPoint",
    "WD_bizLocation",
    "EQ_transformationID",
    "MATCH_epcClass",
    "MATCH_inputEPCClass",
    "MATCH_outputEPCClass",
    "MATCH_anyEPCClass",
    "GE_errorDeclaration_Time",
    "LT_errorDeclaration_Time",
    "EQ_errorReason",
    "EQ_correctiveEventID",
    "EXISTS_sensorElementList",
    "GE_time",
    "LT_time",
    "GE_startTime",
    "LT_startTime",
    "GE_endTime",
    "LT_endTime",
    "EQ_type",
    "EQ_deviceID",
    "EQ_dataProcessingMethod",
    "EQ_microorganism",
    "EQ_chemicalSubstance",
    "EQ_bizRules",
    "EQ_stringValue",
    "EQ_booleanValue",
    "EQ_hexBinaryValue",
    "EQ_uriValue",
    "GE_percRank",
    "LT_percRank",
    "GT_percRank",
    "LE_percRank",
];
/// The prefixes of the standard families of parameters over extension fields, sensor values
/// and master data (`EQ_example:field`, `EQ_bizTransaction_po`, `GE_value_CEL`, …).
const FAMILY_PREFIXES: [&str; 9] = [
    "EQ_", "GT_", "GE_", "LT_", "LE_", "EXISTS_", "HASATTR_", "EQATTR_", "WD_",
];
/// What follows a family prefix in a standard parameter that is not an extension field.
const FAMILY_SUBJECTS: [&str; 15] = [
    "bizTransaction_",
    "source_",
    "destination_",
    "ILMD_",
    "INNER_",
    "ERROR_DECLARATION_",
    "ATTR_",
    "value_",
    "minValue_",
    "maxValue_",
    "meanValue_",
    "sDev_",
    "percValue_",
    "quantity_",
    "readPoint_",
];

/// Whether `name` is a standard EPCIS query parameter this core does not implement.
fn is_unsupported_standard(name: &str) -> bool {
    UNSUPPORTED.contains(&name)
        || FAMILY_PREFIXES
            .iter()
            .filter_map(|prefix| name.strip_prefix(prefix))
            .any(|subject| {
                subject.contains(':')
                    || subject.starts_with("bizLocation_")
                    || FAMILY_SUBJECTS
                        .iter()
                        .any(|family| subject.starts_with(family))
            })
}

/// The key events are ordered by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OrderBy {
    #[default]
    EventTime,
    RecordTime,
}

/// EPCIS: `DESC` unless `ASC` is asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OrderDirection {
    Ascending,
    #[default]
    Descending,
}

/// A standard EPCIS event query. Empty lists and `None` do not filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    pub event_types: Vec<EventType>,
    pub ge_event_time: Option<Timestamp>,
    pub lt_event_time: Option<Timestamp>,
    pub ge_record_time: Option<Timestamp>,
    pub lt_record_time: Option<Timestamp>,
    pub eq_action: Vec<Action>,
    pub eq_biz_step: Vec<BizStep>,
    pub eq_disposition: Vec<Disposition>,
    pub eq_read_point: Vec<LocationId>,
    pub eq_biz_location: Vec<LocationId>,
    pub eq_event_id: Vec<EventId>,
    /// `epcList` or `childEPCs`.
    pub match_epc: Vec<EpcPattern>,
    pub match_parent_id: Vec<EpcPattern>,
    pub match_input_epc: Vec<EpcPattern>,
    pub match_output_epc: Vec<EpcPattern>,
    /// Any EPC of the event: listed, child, parent, input or output.
    pub match_any_epc: Vec<EpcPattern>,
    /// `EXISTS_errorDeclaration`: only events declared erroneous.
    pub exists_error_declaration: bool,
    pub order_by: OrderBy,
    pub order_direction: OrderDirection,
    /// At most this many events in all, the first in order (across pages).
    pub event_count_limit: Option<usize>,
    /// Refuse the query if more events than this match.
    pub max_event_count: Option<usize>,
    pub per_page: usize,
    pub page_token: Option<PageToken>,
}

impl Default for EventQuery {
    fn default() -> EventQuery {
        EventQuery {
            event_types: Vec::new(),
            ge_event_time: None,
            lt_event_time: None,
            ge_record_time: None,
            lt_record_time: None,
            eq_action: Vec::new(),
            eq_biz_step: Vec::new(),
            eq_disposition: Vec::new(),
            eq_read_point: Vec::new(),
            eq_biz_location: Vec::new(),
            eq_event_id: Vec::new(),
            match_epc: Vec::new(),
            match_parent_id: Vec::new(),
            match_input_epc: Vec::new(),
            match_output_epc: Vec::new(),
            match_any_epc: Vec::new(),
            exists_error_declaration: false,
            order_by: OrderBy::default(),
            order_direction: OrderDirection::default(),
            event_count_limit: None,
            max_event_count: None,
            per_page: PAGE_EVENTS_DEFAULT,
            page_token: None,
        }
    }
}

/// One page of a query's result, and the token for the next if there is more.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPage<'e> {
    pub events: Vec<&'e Event>,
    pub next_page_token: Option<String>,
}

impl EventQuery {
    /// Reads the query from its parameters; errors name the parameter
    /// ([`Error::InField`]).
    ///
    /// ```
    /// use jinka_trace::EventQuery;
    /// let query = EventQuery::from_pairs([
    ///     ("eventType", "ObjectEvent|AggregationEvent"),
    ///     ("EQ_bizStep", "shipping"),
    ///     ("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614141.*.*"),
    /// ])?;
    /// assert_eq!(query.event_types.len(), 2);
    /// assert!(EventQuery::from_pairs([("EQ_bizstep", "shipping")]).is_err());
    /// # Ok::<(), jinka_trace::Error>(())
    /// ```
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<EventQuery> {
        let mut query = EventQuery::default();
        let mut seen: Vec<&str> = Vec::new();
        for (count, (name, value)) in pairs.into_iter().enumerate() {
            if count >= QUERY_PARAMETERS_MAX {
                return Err(Error::TooMany {
                    count: count + 1,
                    max: QUERY_PARAMETERS_MAX,
                });
            }
            let repeated = seen.contains(&name);
            seen.push(name);
            query
                .set(name, value, repeated)
                .map_err(|error| match error {
                    Error::UnknownQueryParameter { .. }
                    | Error::UnsupportedQueryParameter { .. } => error,
                    _ => error.at(quote(name)),
                })?;
        }
        if query.event_count_limit.is_some() && query.max_event_count.is_some() {
            return Err(Error::QueryValue {
                reason: "eventCountLimit and maxEventCount cannot be combined",
            }
            .at("maxEventCount"));
        }
        Ok(query)
    }

    fn set(&mut self, name: &str, value: &str, repeated: bool) -> Result<()> {
        match name {
            "eventType" => extend(&mut self.event_types, value, EventType::parse),
            "GE_eventTime" => set_once(&mut self.ge_event_time, value, repeated),
            "LT_eventTime" => set_once(&mut self.lt_event_time, value, repeated),
            "GE_recordTime" => set_once(&mut self.ge_record_time, value, repeated),
            "LT_recordTime" => set_once(&mut self.lt_record_time, value, repeated),
            "EQ_action" => extend(&mut self.eq_action, value, Action::parse),
            "EQ_bizStep" => extend(&mut self.eq_biz_step, value, BizStep::parse),
            "EQ_disposition" => extend(&mut self.eq_disposition, value, Disposition::parse),
            "EQ_readPoint" => extend(&mut self.eq_read_point, value, LocationId::parse),
            "EQ_bizLocation" => extend(&mut self.eq_biz_location, value, LocationId::parse),
            "EQ_eventID" => extend(&mut self.eq_event_id, value, EventId::parse),
            "MATCH_epc" => extend(&mut self.match_epc, value, EpcPattern::parse),
            "MATCH_parentID" => extend(&mut self.match_parent_id, value, EpcPattern::parse),
            "MATCH_inputEPC" => extend(&mut self.match_input_epc, value, EpcPattern::parse),
            "MATCH_outputEPC" => extend(&mut self.match_output_epc, value, EpcPattern::parse),
            "MATCH_anyEPC" => extend(&mut self.match_any_epc, value, EpcPattern::parse),
            _ => self.set_control(name, value, repeated),
        }
    }

    /// The parameters that shape the result rather than filter events.
    fn set_control(&mut self, name: &str, value: &str, repeated: bool) -> Result<()> {
        if repeated {
            return Err(Error::QueryValue {
                reason: "given more than once",
            });
        }
        match name {
            "EXISTS_errorDeclaration" => {
                if !value.is_empty() {
                    return Err(Error::QueryValue {
                        reason: "EXISTS_ parameters take no value",
                    });
                }
                self.exists_error_declaration = true;
            }
            "orderBy" => {
                self.order_by = match value {
                    "eventTime" => OrderBy::EventTime,
                    "recordTime" => OrderBy::RecordTime,
                    _ => {
                        return Err(Error::UnsupportedQueryParameter {
                            name: value_name(value),
                        });
                    }
                }
            }
            "orderDirection" => {
                self.order_direction = match value {
                    "ASC" => OrderDirection::Ascending,
                    "DESC" => OrderDirection::Descending,
                    _ => {
                        return Err(Error::QueryValue {
                            reason: "orderDirection is ASC or DESC",
                        });
                    }
                }
            }
            "eventCountLimit" => self.event_count_limit = Some(count(value, usize::MAX)?),
            "maxEventCount" => self.max_event_count = Some(count(value, usize::MAX)?),
            "perPage" => self.per_page = count(value, PAGE_EVENTS_MAX)?,
            "nextPageToken" => self.page_token = Some(PageToken::parse(value)?),
            _ if is_unsupported_standard(name) => {
                return Err(Error::UnsupportedQueryParameter { name: quote(name) });
            }
            _ => return Err(Error::UnknownQueryParameter { name: quote(name) }),
        }
        Ok(())
    }

    /// Whether `event` passes every filter of the query.
    pub fn matches(&self, event: &Event) -> bool {
        let content = event.content();
        let what = &content.what;
        let within = |at: Timestamp, from: Option<Timestamp>, until: Option<Timestamp>| {
            from.is_none_or(|from| at >= from) && until.is_none_or(|until| at < until)
        };
        let one_of = |list_empty: bool, found: bool| list_empty || found;
        one_of(
            self.event_types.is_empty(),
            self.event_types.contains(&event.event_type()),
        ) && within(content.time.at, self.ge_event_time, self.lt_event_time)
            && within(
                event.record_time(),
                self.ge_record_time,
                self.lt_record_time,
            )
            && one_of(
                self.eq_action.is_empty(),
                what.action()
                    .is_some_and(|action| self.eq_action.contains(&action)),
            )
            && contains(&self.eq_biz_step, content.biz_step.as_ref())
            && contains(&self.eq_disposition, content.disposition.as_ref())
            && contains(&self.eq_read_point, content.read_point.as_ref())
            && contains(&self.eq_biz_location, content.biz_location.as_ref())
            && contains(&self.eq_event_id, Some(event.id()))
            && any_of(&self.match_epc, what.epc_list())
            && any_of(&self.match_parent_id, what.parent_id())
            && any_of(&self.match_input_epc, what.input_epc_list())
            && any_of(&self.match_output_epc, what.output_epc_list())
            && any_of(&self.match_any_epc, what.all_epcs())
            && (!self.exists_error_declaration || content.error_declaration.is_some())
    }

    /// The page of matching events this query asks for, in its order (then by `eventID`),
    /// from `events` (in any order): the pure reference of what storage does with indexes.
    pub fn select<'e>(&self, events: impl IntoIterator<Item = &'e Event>) -> Result<QueryPage<'e>> {
        let mut matching: Vec<&Event> = events.into_iter().filter(|e| self.matches(e)).collect();
        if let Some(max) = self.max_event_count
            && matching.len() > max
        {
            return Err(Error::TooManyMatches {
                count: matching.len(),
                max,
            });
        }
        matching.sort_by(|a, b| self.compare(self.key(a), a.id(), self.key(b), b.id()));
        let fingerprint = self.fingerprint();
        let (start, returned) = match &self.page_token {
            None => (0, 0),
            Some(token) => {
                if token.fingerprint != fingerprint {
                    return Err(Error::PageToken {
                        reason: "issued for another query",
                    });
                }
                let start = matching.partition_point(|event| {
                    self.compare(self.key(event), event.id(), token.key_ms, &token.event_id)
                        != Ordering::Greater
                });
                (start, usize::try_from(token.returned).unwrap_or(usize::MAX))
            }
        };
        let left = self
            .event_count_limit
            .map_or(usize::MAX, |limit| limit.saturating_sub(returned));
        let take = self.per_page.min(left);
        let page: Vec<&Event> = matching.iter().skip(start).take(take).copied().collect();
        let more = matching.len() > start + page.len() && take < left;
        let next_page_token = match page.last() {
            Some(last) if more => Some(
                PageToken {
                    fingerprint,
                    returned: u64::try_from(returned + page.len()).unwrap_or(u64::MAX),
                    key_ms: self.key(last),
                    event_id: last.id().clone(),
                }
                .to_string(),
            ),
            _ => None,
        };
        Ok(QueryPage {
            events: page,
            next_page_token,
        })
    }

    fn key(&self, event: &Event) -> i64 {
        match self.order_by {
            OrderBy::EventTime => event.time().at.epoch_ms(),
            OrderBy::RecordTime => event.record_time().epoch_ms(),
        }
    }

    fn compare(&self, a_key: i64, a_id: &EventId, b_key: i64, b_id: &EventId) -> Ordering {
        let ascending = (a_key, a_id.as_str()).cmp(&(b_key, b_id.as_str()));
        match self.order_direction {
            OrderDirection::Ascending => ascending,
            OrderDirection::Descending => ascending.reverse(),
        }
    }

    /// What identifies the query for its page tokens: everything but the paging itself.
    fn fingerprint(&self) -> u64 {
        let unpaged = EventQuery {
            per_page: 0,
            page_token: None,
            ..self.clone()
        };
        fingerprint(&format!("{unpaged:?}"))
    }
}

/// Whether one of `epcs` matches one of `patterns` (no patterns: no filter).
fn any_of<'e>(patterns: &[EpcPattern], epcs: impl IntoIterator<Item = &'e Epc>) -> bool {
    patterns.is_empty()
        || epcs
            .into_iter()
            .any(|epc| patterns.iter().any(|pattern| pattern.matches(epc)))
}

/// Whether `value` is in `list` (an empty list lets anything through, `None` included).
fn contains<T: PartialEq>(list: &[T], value: Option<&T>) -> bool {
    list.is_empty() || value.is_some_and(|value| list.contains(value))
}

/// Sets a single-valued time parameter.
fn set_once(slot: &mut Option<Timestamp>, value: &str, repeated: bool) -> Result<()> {
    if repeated {
        return Err(Error::QueryValue {
            reason: "given more than once",
        });
    }
    *slot = Some(Timestamp::parse(value)?);
    Ok(())
}

/// Adds the `|`-separated values of a list-valued parameter.
fn extend<T>(list: &mut Vec<T>, value: &str, parse: impl Fn(&str) -> Result<T>) -> Result<()> {
    for item in value.split('|') {
        if list.len() >= QUERY_VALUES_MAX {
            return Err(Error::TooMany {
                count: list.len() + 1,
                max: QUERY_VALUES_MAX,
            });
        }
        list.push(parse(item)?);
    }
    Ok(())
}

/// A positive count, at most `max`.
fn count(value: &str, max: usize) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(count) if (1..=max).contains(&count) => Ok(count),
        _ => Err(Error::QueryValue {
            reason: "expected a positive integer within the limit",
        }),
    }
}

fn value_name(value: &str) -> String {
    format!("orderBy={}", quote(value))
}

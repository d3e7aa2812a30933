//! What an object went through, including while inside containers.

use crate::action::Action;
use crate::biz_step::BizStep;
use crate::disposition::Disposition;
use crate::epc::Epc;
use crate::error_declaration::ErrorDeclaration;
use crate::event_id::EventId;
use crate::event_type::EventType;
use crate::location_id::LocationId;
use crate::projections::{CONTAINMENT_DEPTH_MAX, EpcIx, EventIx, Projections};
use crate::timestamp::EventTime;

/// The most entries [`Projections::history`] returns: the newest ones.
pub const HISTORY_ENTRIES_MAX: usize = 10_000;

/// One event in an object's history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub event_id: EventId,
    pub event_type: EventType,
    pub event_time: EventTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_step: Option<BizStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_point: Option<LocationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_location: Option<LocationId>,
    /// The container the event is about, if it concerns the object only by being inside it
    /// (the pallet's shipping event, in the history of an item in a case on the pallet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Epc>,
    /// Set when the event was declared erroneous: when, why, and the corrective events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<ErrorDeclaration>,
    /// The events this one corrects (it is among their `correctiveEventIDs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrects: Vec<EventId>,
}

/// An object's history, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub epc: Epc,
    pub entries: Vec<HistoryEntry>,
    /// Whether older entries were left out to keep [`HISTORY_ENTRIES_MAX`].
    pub truncated: bool,
}

impl Projections {
    /// Every event that concerns `epc`, in event order: those that name it, the DELETEs of
    /// all children that took it out of a parent, and the events of each container it was
    /// in (recursively) during the time it was inside — from the event that put it in,
    /// until the one that took it out. Corrected events are included and marked.
    pub fn history(&self, epc: &Epc) -> History {
        let mut found = Vec::new();
        if let Some(&ix) = self.epc_ixs.get(epc) {
            self.collect(ix, (None, None), None, 0, &mut found);
        }
        // Each event once, its direct sighting preferred over one through a container.
        found.sort_by(|a, b| {
            crate::projections::order(&self.events, a.0, b.0)
                .then(a.1.is_some().cmp(&b.1.is_some()))
        });
        found.dedup_by_key(|(ev, _)| *ev);
        let skip = found.len().saturating_sub(HISTORY_ENTRIES_MAX);
        History {
            epc: *epc,
            entries: found
                .iter()
                .skip(skip)
                .map(|&(ev, via)| self.history_entry(ev, via))
                .collect(),
            truncated: skip > 0,
        }
    }

    /// Adds to `found` the events of `epc` within `[from, until)` (open ends: `None`), as
    /// seen through `via`, then those of its containers over the same span.
    fn collect(
        &self,
        epc: EpcIx,
        (from, until): (Option<EventIx>, Option<EventIx>),
        via: Option<EpcIx>,
        depth: usize,
        found: &mut Vec<(EventIx, Option<EpcIx>)>,
    ) {
        let in_span = |ev: EventIx| {
            from.is_none_or(|from| !self.is_before(ev, from))
                && until.is_none_or(|until| self.is_before(ev, until))
        };
        let state = self.state(epc);
        let start = from.map_or(0, |from| {
            state.own.partition_point(|&ev| self.is_before(ev, from))
        });
        let own = state.own.iter().skip(start).copied();
        found.extend(own.take_while(|&ev| in_span(ev)).map(|ev| (ev, via)));
        let derived = state.marks.iter().filter(|mark| mark.derived);
        found.extend(
            derived
                .map(|mark| mark.event)
                .filter(|&ev| in_span(ev))
                .map(|ev| (ev, via)),
        );
        if depth >= CONTAINMENT_DEPTH_MAX {
            return;
        }
        for interval in self.intervals(epc) {
            let from = self.later(from, Some(interval.from));
            let until = self.earlier(until, interval.until);
            let empty =
                matches!((from, until), (Some(from), Some(until)) if !self.is_before(from, until));
            if !empty {
                let parent = interval.parent;
                self.collect(parent, (from, until), Some(parent), depth + 1, found);
            }
        }
    }

    /// The later of two span starts (`None`: unbounded).
    fn later(&self, a: Option<EventIx>, b: Option<EventIx>) -> Option<EventIx> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if self.is_before(a, b) { b } else { a }),
            (a, None) => a,
            (None, b) => b,
        }
    }

    /// The earlier of two span ends (`None`: unbounded).
    fn earlier(&self, a: Option<EventIx>, b: Option<EventIx>) -> Option<EventIx> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if self.is_before(a, b) { a } else { b }),
            (a, None) => a,
            (None, b) => b,
        }
    }

    fn history_entry(&self, ev: EventIx, via: Option<EpcIx>) -> HistoryEntry {
        let entry = self.entry(ev);
        HistoryEntry {
            event_id: entry.id.clone(),
            event_type: entry.event_type,
            event_time: entry.time,
            action: entry.action,
            biz_step: entry.biz_step.clone(),
            disposition: entry.disposition.clone(),
            read_point: entry.read_point.clone(),
            biz_location: entry.biz_location.clone(),
            via: via.map(|parent| self.epc(parent)),
            correction: entry.correction.as_deref().cloned(),
            corrects: self.corrects.get(&entry.id).cloned().unwrap_or_default(),
        }
    }
}

//! Where an object is now, following its containers.

use crate::epc::Epc;
use crate::event_id::EventId;
use crate::location_id::LocationId;
use crate::projections::{CONTAINMENT_DEPTH_MAX, EpcIx, EventIx, Projections};
use crate::timestamp::EventTime;

/// The latest place an object was seen: the read point and business location of the event
/// that saw it (either may be absent: a shipping event usually has no business location,
/// the goods being in transit), when, and through which container.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_point: Option<LocationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_location: Option<LocationId>,
    /// The event that saw it there.
    pub event_id: EventId,
    pub event_time: EventTime,
    /// The container that event saw, if it saw the object inside one (a case, a pallet);
    /// `None` when the event named the object itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Epc>,
}

impl Projections {
    /// Where `epc` is now: the latest of its own sightings and those of the containers it is
    /// in (its parent, the parent's parent, …) since it has been inside them. An item in a
    /// case on a pallet is where the pallet was last seen, if the pallet was seen after the
    /// item. Events declared erroneous do not count; an event counts as a sighting if it has
    /// a read point or a business location. `None` for an EPC never seen anywhere.
    pub fn where_is(&self, epc: &Epc) -> Option<Location> {
        let &ix = self.epc_ixs.get(epc)?;
        let mut best = self.sighting(ix, None).map(|ev| (ev, None));
        let mut inside_since: Option<EventIx> = None;
        let mut current = ix;
        for _ in 0..CONTAINMENT_DEPTH_MAX {
            let Some((parent, since)) = self.state(current).container else {
                break;
            };
            // Inside every container of the chain since the latest of the joins.
            let since = match inside_since {
                Some(earlier) if self.is_before(since, earlier) => earlier,
                _ => since,
            };
            inside_since = Some(since);
            if let Some(seen) = self.sighting(parent, Some(since))
                && best.is_none_or(|(known, _)| self.is_before(known, seen))
            {
                best = Some((seen, Some(parent)));
            }
            current = parent;
        }
        best.map(|(ev, via)| self.location(ev, via))
    }

    /// The latest located, uncorrected event naming `epc` or taking it out of a parent by a
    /// DELETE of all children, not before `not_before`.
    fn sighting(&self, epc: EpcIx, not_before: Option<EventIx>) -> Option<EventIx> {
        let counts = |&ev: &EventIx| {
            let entry = self.entry(ev);
            entry.correction.is_none() && entry.is_located()
        };
        let in_time = |&ev: &EventIx| not_before.is_none_or(|first| !self.is_before(ev, first));
        let state = self.state(epc);
        let own = state
            .own
            .iter()
            .rev()
            .copied()
            .take_while(in_time)
            .find(counts);
        let derived = state
            .marks
            .iter()
            .rev()
            .filter(|mark| mark.derived)
            .map(|mark| mark.event)
            .take_while(in_time)
            .find(counts);
        match (own, derived) {
            (Some(own), Some(derived)) if self.is_before(own, derived) => Some(derived),
            (Some(own), _) => Some(own),
            (None, derived) => derived,
        }
    }

    fn location(&self, ev: EventIx, via: Option<EpcIx>) -> Location {
        let entry = self.entry(ev);
        Location {
            read_point: entry.read_point.clone(),
            biz_location: entry.biz_location.clone(),
            event_id: entry.id.clone(),
            event_time: entry.time,
            via: via.map(|parent| self.epc(parent)),
        }
    }
}

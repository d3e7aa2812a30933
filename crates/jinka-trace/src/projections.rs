//! The traceability projections, kept up to date as events are captured.
//!
//! # What is kept
//!
//! Events and EPCs are interned to 32-bit indexes. Per event: its time, id, type, action,
//! step, disposition, read point, business location, its containment effect (for an
//! AggregationEvent) and its error declaration, if any. Per EPC:
//!
//! - `own`: the events that name it (in any role), sorted by event order;
//! - `marks`: its containment timeline as a child, sorted: "into parent P" (ADD or OBSERVE
//!   of an AggregationEvent), "out of P" (DELETE naming it), and "out of P" marks derived
//!   from DELETEs of P with no children listed (EPCIS §7.4.3: all children);
//! - `container`: its current parent and since when, derived from the marks;
//! - as a parent: its current `children`, every child ever put in it (`members`), and its
//!   delete-all events.
//!
//! # Event order, and events that arrive out of order
//!
//! Events are ordered by `eventTime`, then by `eventID` (so ties have one order whatever
//! arrives first). Every answer is a function of the *set* of events captured, never of
//! their arrival order: the lists are kept sorted, and an EPC's containment is recomputed
//! from its marks (and its parents' delete-alls) whenever one of them changes. So a late
//! event with an older `eventTime` fills in history but does not move an object whose newer
//! location is known, and a late ADD into a pallet that a later DELETE-all emptied leaves the
//! object out of the pallet.
//!
//! # Corrections
//!
//! An event that carries an `errorDeclaration` is the erroneous event again (same
//! `eventID`, EPCIS §7.4.1.2). It marks the recorded event as corrected (or is recorded,
//! already corrected, if the original has not arrived). A corrected event stays in
//! histories, marked, and no longer counts for locations or containment; the events that
//! `correctiveEventIDs` name are linked back to it.
//!
//! Only AggregationEvents change containment; AssociationEvents (a sensor tied to an asset)
//! and TransactionEvents with a `parentID` count as sightings of the objects they name but
//! put nothing inside anything.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::action::Action;
use crate::biz_step::BizStep;
use crate::disposition::Disposition;
use crate::epc::Epc;
use crate::error::{Error, Result};
use crate::error_declaration::ErrorDeclaration;
use crate::event::Event;
use crate::event_id::EventId;
use crate::event_type::EventType;
use crate::location_id::LocationId;
use crate::timestamp::EventTime;
use crate::what::What;

/// The most events the projections index (32-bit indexes).
pub const PROJECTION_EVENTS_MAX: usize = u32::MAX as usize;
/// The most distinct EPCs the projections index (32-bit indexes).
pub const PROJECTION_EPCS_MAX: usize = u32::MAX as usize;
/// How many containers deep the queries follow (an item in a case on a pallet in a
/// container is 3); also what stops them on a containment cycle in bad data.
pub const CONTAINMENT_DEPTH_MAX: usize = 16;

pub(crate) type EventIx = u32;
pub(crate) type EpcIx = u32;

/// What [`Projections::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A new event (an error declaration for an event not seen yet is recorded as that
    /// event, already corrected).
    Recorded,
    /// An event with an id already recorded, and no error declaration: nothing changed.
    Duplicate,
    /// An error declaration for an event already recorded: it is now marked corrected.
    Declared,
}

/// What the projections keep of one event.
pub(crate) struct EventEntry {
    pub(crate) id: EventId,
    pub(crate) time: EventTime,
    pub(crate) event_type: EventType,
    pub(crate) action: Option<Action>,
    pub(crate) biz_step: Option<BizStep>,
    pub(crate) disposition: Option<Disposition>,
    pub(crate) read_point: Option<LocationId>,
    pub(crate) biz_location: Option<LocationId>,
    pub(crate) containment: Option<Box<Containment>>,
    pub(crate) correction: Option<Box<ErrorDeclaration>>,
}

impl EventEntry {
    /// Whether the event says where its objects were.
    pub(crate) fn is_located(&self) -> bool {
        self.read_point.is_some() || self.biz_location.is_some()
    }
}

/// What an AggregationEvent does to containment. No children with DELETE: all children.
pub(crate) struct Containment {
    pub(crate) parent: EpcIx,
    pub(crate) action: Action,
    pub(crate) children: Box<[EpcIx]>,
}

/// One change in an EPC's containment: into or out of `parent` at `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) event: EventIx,
    pub(crate) parent: EpcIx,
    pub(crate) into: bool,
    /// Derived from a DELETE of all of the parent's children, not from an event naming the
    /// child.
    pub(crate) derived: bool,
}

/// What the projections keep of one EPC.
#[derive(Default)]
pub(crate) struct EpcState {
    pub(crate) own: Vec<EventIx>,
    pub(crate) marks: Vec<Mark>,
    pub(crate) container: Option<(EpcIx, EventIx)>,
    /// Where this EPC is in its container's `children`, while it has a container.
    pub(crate) position_in_parent: u32,
    pub(crate) children: Vec<EpcIx>,
    pub(crate) members: Vec<EpcIx>,
    pub(crate) delete_all: Vec<EventIx>,
}

/// Where every EPC is, what it went through and what it holds, updated by each captured
/// event ([`Projections::apply`]) so that the queries ([`Projections::where_is`],
/// [`Projections::history`], [`Projections::contents`]) read precomputed state.
#[derive(Default)]
pub struct Projections {
    pub(crate) events: Vec<EventEntry>,
    pub(crate) event_ixs: HashMap<EventId, EventIx>,
    pub(crate) epcs: Vec<Epc>,
    pub(crate) epc_ixs: HashMap<Epc, EpcIx>,
    pub(crate) states: Vec<EpcState>,
    /// Corrective event id → the ids of the events it corrects, sorted.
    pub(crate) corrects: HashMap<EventId, Vec<EventId>>,
}

/// Counts only: the projections of a real deployment are too large to print.
impl std::fmt::Debug for Projections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projections")
            .field("events", &self.events.len())
            .field("epcs", &self.epcs.len())
            .finish_non_exhaustive()
    }
}

impl Projections {
    pub fn new() -> Projections {
        Projections::default()
    }

    /// Events recorded.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Distinct EPCs named by the events recorded.
    pub fn epc_count(&self) -> usize {
        self.epcs.len()
    }

    /// Takes a captured event into the projections. Applying the same event again changes
    /// nothing ([`Applied::Duplicate`]); the result does not depend on the order events are
    /// applied in (see the module documentation).
    pub fn apply(&mut self, event: &Event) -> Result<Applied> {
        let declaration = event.content().error_declaration.as_ref();
        if let Some(&known) = self.event_ixs.get(event.id()) {
            return Ok(match declaration {
                Some(declaration) => {
                    self.declare(known, declaration);
                    Applied::Declared
                }
                None => Applied::Duplicate,
            });
        }
        self.check_capacity(event)?;
        let ev = self.record(event);
        if let Some(declaration) = declaration {
            self.link_corrections(event.id(), declaration);
        } else {
            self.contain(ev);
        }
        Ok(Applied::Recorded)
    }

    fn check_capacity(&self, event: &Event) -> Result<()> {
        if self.events.len() >= PROJECTION_EVENTS_MAX {
            return Err(Error::ProjectionFull {
                what: "events",
                max: PROJECTION_EVENTS_MAX,
            });
        }
        let named = event.content().what.all_epcs().count();
        if self.epcs.len().saturating_add(named) > PROJECTION_EPCS_MAX {
            return Err(Error::ProjectionFull {
                what: "EPCs",
                max: PROJECTION_EPCS_MAX,
            });
        }
        Ok(())
    }

    /// Adds the event's entry and puts it in the `own` list of every EPC it names.
    fn record(&mut self, event: &Event) -> EventIx {
        let ev = index(self.events.len());
        let content = event.content();
        let named: Vec<EpcIx> = content
            .what
            .all_epcs()
            .map(|epc| self.intern(*epc))
            .collect();
        let containment = match &content.what {
            What::Aggregation(aggregation) => aggregation.parent_id.map(|parent| {
                Box::new(Containment {
                    parent: self.intern(parent),
                    action: aggregation.action,
                    children: aggregation
                        .child_epcs
                        .iter()
                        .map(|child| self.intern(*child))
                        .collect(),
                })
            }),
            _ => None,
        }
        // A DELETE of class-level quantities only takes no identified child out.
        .filter(|containment| {
            !(containment.action == Action::Delete
                && containment.children.is_empty()
                && content.what.quantities().next().is_some())
        });
        let correction = content.error_declaration.clone().map(|mut declaration| {
            declaration.corrective_event_ids.sort();
            declaration.corrective_event_ids.dedup();
            Box::new(declaration)
        });
        self.events.push(EventEntry {
            id: event.id().clone(),
            time: content.time,
            event_type: content.what.event_type(),
            action: content.what.action(),
            biz_step: content.biz_step.clone(),
            disposition: content.disposition.clone(),
            read_point: content.read_point.clone(),
            biz_location: content.biz_location.clone(),
            containment,
            correction,
        });
        self.event_ixs.insert(event.id().clone(), ev);
        for epc in named {
            let own = &mut self.states[slot(epc)].own;
            let at = insertion_point(&self.events, own, ev);
            own.insert(at, ev);
        }
        ev
    }

    fn intern(&mut self, epc: Epc) -> EpcIx {
        if let Some(&ix) = self.epc_ixs.get(&epc) {
            return ix;
        }
        let ix = index(self.epcs.len());
        self.epcs.push(epc);
        self.states.push(EpcState::default());
        self.epc_ixs.insert(epc, ix);
        ix
    }

    /// Marks a recorded event as corrected and withdraws its containment effect.
    fn declare(&mut self, ev: EventIx, declaration: &ErrorDeclaration) {
        let entry = &mut self.events[slot(ev)];
        let id = entry.id.clone();
        let newly = entry.correction.is_none();
        match &mut entry.correction {
            Some(existing) => existing.merge(declaration),
            None => {
                let mut declaration = declaration.clone();
                declaration.corrective_event_ids.sort();
                declaration.corrective_event_ids.dedup();
                entry.correction = Some(Box::new(declaration));
            }
        }
        self.link_corrections(&id, declaration);
        if newly {
            self.uncontain(ev);
        }
    }

    fn link_corrections(&mut self, corrected: &EventId, declaration: &ErrorDeclaration) {
        for corrective in &declaration.corrective_event_ids {
            let list = self.corrects.entry(corrective.clone()).or_default();
            if let Err(at) = list.binary_search(corrected) {
                list.insert(at, corrected.clone());
            }
        }
    }

    /// Whether event `a` comes before event `b`.
    pub(crate) fn is_before(&self, a: EventIx, b: EventIx) -> bool {
        order(&self.events, a, b) == Ordering::Less
    }

    pub(crate) fn entry(&self, ev: EventIx) -> &EventEntry {
        &self.events[slot(ev)]
    }

    pub(crate) fn state(&self, epc: EpcIx) -> &EpcState {
        &self.states[slot(epc)]
    }

    pub(crate) fn epc(&self, epc: EpcIx) -> Epc {
        self.epcs[slot(epc)]
    }
}

/// The order of events: `eventTime`, then `eventID`.
pub(crate) fn order(events: &[EventEntry], a: EventIx, b: EventIx) -> Ordering {
    let (a, b) = (&events[slot(a)], &events[slot(b)]);
    (a.time.at, a.id.as_str()).cmp(&(b.time.at, b.id.as_str()))
}

/// Where `ev` goes in `list`, sorted by event order; the end in the common case of events
/// arriving in order.
pub(crate) fn insertion_point(events: &[EventEntry], list: &[EventIx], ev: EventIx) -> usize {
    match list.last() {
        None => 0,
        Some(&last) if order(events, last, ev) == Ordering::Less => list.len(),
        Some(_) => list.partition_point(|&other| order(events, other, ev) == Ordering::Less),
    }
}

/// A new index; the capacity check before recording keeps it within 32 bits.
fn index(len: usize) -> u32 {
    u32::try_from(len).expect("capacity checked before recording")
}

/// The position of an index in its vector.
pub(crate) fn slot(ix: u32) -> usize {
    ix as usize
}

//! Containment: which parent each EPC is in, derived from its AggregationEvents, and what
//! each parent holds.
//!
//! An EPC's containment is a function of its marks (into or out of a parent, by event
//! order) and of its parents' DELETEs of all children: walking the marks in order, "into P"
//! puts it in P, "out of P" takes it out if it is in P (and does nothing otherwise), and a
//! DELETE-all of P between two marks while it is in P takes it out (a derived mark, kept so
//! that history and locations see it). [`Projections::settle`] recomputes this for one EPC
//! whenever its marks or a delete-all of a parent it was ever in change.
//!
//! Costs: an ADD or DELETE naming children settles each child (a pass over its few marks);
//! a DELETE of all children settles every child ever put in that parent, since a late
//! event may have put one there before the DELETE. An SSCC is not reused (GS1 General
//! Specifications), so for a pallet that is its own contents.

use std::collections::HashSet;

use crate::action::Action;
use crate::epc::Epc;
use crate::projections::{
    CONTAINMENT_DEPTH_MAX, EpcIx, EventIx, Mark, Projections, insertion_point, order, slot,
};

/// A period an EPC spent in a parent: from the event that put it there to the one that took
/// it out (exclusive), or open.
pub(crate) struct Interval {
    pub(crate) parent: EpcIx,
    pub(crate) from: EventIx,
    pub(crate) until: Option<EventIx>,
}

impl Projections {
    /// Applies an AggregationEvent's effect on containment.
    pub(crate) fn contain(&mut self, ev: EventIx) {
        let Some(containment) = self.events[slot(ev)].containment.as_deref() else {
            return;
        };
        let (parent, action) = (containment.parent, containment.action);
        let children = containment.children.clone();
        if action == Action::Delete && children.is_empty() {
            let delete_all = &mut self.states[slot(parent)].delete_all;
            let at = insertion_point(&self.events, delete_all, ev);
            delete_all.insert(at, ev);
            self.settle_members(parent);
            return;
        }
        let into = action != Action::Delete;
        for &child in &children {
            let marks = &self.states[slot(child)].marks;
            let member_already = marks
                .iter()
                .any(|mark| mark.into && !mark.derived && mark.parent == parent);
            let mark = Mark {
                event: ev,
                parent,
                into,
                derived: false,
            };
            let at = mark_position(self, marks, ev);
            self.states[slot(child)].marks.insert(at, mark);
            if into && !member_already {
                self.states[slot(parent)].members.push(child);
            }
            self.settle(child);
        }
    }

    /// Withdraws the containment effect of an event declared erroneous.
    pub(crate) fn uncontain(&mut self, ev: EventIx) {
        let Some(containment) = self.events[slot(ev)].containment.as_deref() else {
            return;
        };
        let parent = containment.parent;
        let children = containment.children.clone();
        if containment.action == Action::Delete && children.is_empty() {
            self.states[slot(parent)]
                .delete_all
                .retain(|&other| other != ev);
            self.settle_members(parent);
            return;
        }
        for &child in &children {
            self.states[slot(child)]
                .marks
                .retain(|mark| mark.event != ev);
            self.settle(child);
        }
    }

    fn settle_members(&mut self, parent: EpcIx) {
        let members = self.states[slot(parent)].members.clone();
        for member in members {
            self.settle(member);
        }
    }

    /// Recomputes an EPC's derived marks and its current container from its explicit marks
    /// and its parents' delete-alls.
    pub(crate) fn settle(&mut self, child: EpcIx) {
        let mut marks = std::mem::take(&mut self.states[slot(child)].marks);
        marks.retain(|mark| !mark.derived);
        let mut derived = Vec::new();
        let mut inside: Option<(EpcIx, EventIx)> = None;
        for (position, mark) in marks.iter().enumerate() {
            inside = step(inside, mark);
            let Some((parent, _)) = inside else {
                continue;
            };
            let next = marks.get(position + 1).map(|next| next.event);
            if let Some(delete_all) = self.first_delete_all(parent, mark.event, next) {
                derived.push(Mark {
                    event: delete_all,
                    parent,
                    into: false,
                    derived: true,
                });
                inside = None;
            }
        }
        for mark in derived {
            let at = mark_position(self, &marks, mark.event);
            marks.insert(at, mark);
        }
        self.states[slot(child)].marks = marks;
        self.set_container(child, inside);
    }

    /// The first DELETE-all of `parent` strictly between `after` and `before` (or after
    /// `after` when `before` is `None`).
    fn first_delete_all(
        &self,
        parent: EpcIx,
        after: EventIx,
        before: Option<EventIx>,
    ) -> Option<EventIx> {
        let delete_all = &self.states[slot(parent)].delete_all;
        let at = delete_all.partition_point(|&other| !self.is_before(after, other));
        let &candidate = delete_all.get(at)?;
        match before {
            Some(before) if !self.is_before(candidate, before) => None,
            _ => Some(candidate),
        }
    }

    /// Moves `child` to its new container, keeping the parents' children lists (each
    /// child knows its position in its parent's list, so leaving is O(1)).
    fn set_container(&mut self, child: EpcIx, inside: Option<(EpcIx, EventIx)>) {
        let old = self.states[slot(child)].container.map(|(parent, _)| parent);
        let new = inside.map(|(parent, _)| parent);
        if old != new {
            if let Some(old) = old {
                let at = self.states[slot(child)].position_in_parent;
                let children = &mut self.states[slot(old)].children;
                assert_eq!(
                    children.get(slot(at)),
                    Some(&child),
                    "a child knows its place in its parent's list"
                );
                children.swap_remove(slot(at));
                if let Some(&moved) = children.get(slot(at)) {
                    self.states[slot(moved)].position_in_parent = at;
                }
            }
            if let Some(new) = new {
                let children = &mut self.states[slot(new)].children;
                let at = u32::try_from(children.len()).expect("children are EPCs, within u32");
                children.push(child);
                self.states[slot(child)].position_in_parent = at;
            }
        }
        self.states[slot(child)].container = inside;
    }

    /// The periods `child` spent in parents, in order.
    pub(crate) fn intervals(&self, child: EpcIx) -> Vec<Interval> {
        let mut intervals: Vec<Interval> = Vec::new();
        let mut inside: Option<(EpcIx, EventIx)> = None;
        for mark in &self.state(child).marks {
            let next = step(inside, mark);
            if next.map(|(parent, _)| parent) != inside.map(|(parent, _)| parent) {
                if let Some(open) = intervals.last_mut()
                    && open.until.is_none()
                    && inside.is_some()
                {
                    open.until = Some(mark.event);
                }
                if let Some((parent, from)) = next {
                    intervals.push(Interval {
                        parent,
                        from,
                        until: None,
                    });
                }
            }
            inside = next;
        }
        intervals
    }

    /// The parent `epc` is in now, if any.
    pub fn parent_of(&self, epc: &Epc) -> Option<Epc> {
        let &ix = self.epc_ixs.get(epc)?;
        self.state(ix).container.map(|(parent, _)| self.epc(parent))
    }

    /// What `parent` holds now: its children, and with `recursive` theirs too, down to
    /// [`CONTAINMENT_DEPTH_MAX`] levels; in EPC order, each once.
    pub fn contents(&self, parent: &Epc, recursive: bool) -> Vec<Epc> {
        let Some(&root) = self.epc_ixs.get(parent) else {
            return Vec::new();
        };
        let depth = if recursive { CONTAINMENT_DEPTH_MAX } else { 1 };
        let mut seen = HashSet::from([root]);
        let mut found = Vec::new();
        let mut level = vec![root];
        for _ in 0..depth {
            let mut next = Vec::new();
            for &holder in &level {
                for &child in &self.state(holder).children {
                    if seen.insert(child) {
                        found.push(self.epc(child));
                        next.push(child);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        found.sort_unstable();
        found
    }
}

/// The container after `mark`, from the one before (with since when).
fn step(inside: Option<(EpcIx, EventIx)>, mark: &Mark) -> Option<(EpcIx, EventIx)> {
    match inside {
        Some((parent, since)) if parent == mark.parent => {
            if mark.into {
                Some((parent, since))
            } else {
                None
            }
        }
        _ if mark.into => Some((mark.parent, mark.event)),
        _ => inside,
    }
}

fn mark_position(projections: &Projections, marks: &[Mark], ev: EventIx) -> usize {
    let events = &projections.events;
    match marks.last() {
        None => 0,
        Some(last) if order(events, last.event, ev).is_lt() => marks.len(),
        Some(_) => marks.partition_point(|mark| order(events, mark.event, ev).is_lt()),
    }
}

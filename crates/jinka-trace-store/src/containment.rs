//! Containment in SQL: the same rules as `jinka-trace`'s projections (its `containment`
//! module is the reference, and a property test holds the two together), kept in tables.
//!
//! - `trace_marks`: each EPC's containment timeline as a child, in event order: "into P"
//!   (an AggregationEvent ADD or OBSERVE naming it), "out of P" (a DELETE naming it), and
//!   derived "out of P" marks for the DELETEs of P that name no child (EPCIS §7.4.3: all of
//!   them). The periods an EPC spent in a parent (its containment intervals) are read off
//!   these marks.
//! - `trace_delete_all`: the uncorrected DELETEs of all children, per parent.
//! - `trace_containers`: each EPC's current parent and the event that put it there.
//!
//! [`settle`] recomputes one child's derived marks and current parent from its explicit
//! marks and its parents' DELETE-alls, and writes only what changed: the answer depends on
//! the set of events captured, not on the order they arrive in. Capture records the marks
//! and DELETE-alls of a whole batch first and settles each child they concern once, at the
//! end of the batch (an item packed and unpacked in one document is settled once).

use jinka_trace::Epc;

use crate::error::StoreError;
use crate::order_key::KEY_MAX;
use crate::sql::{Cells, Param, Row, Sql, insert_rows};

/// A 96-bit EPC encoding, as the tables key EPCs.
pub(crate) type EpcBytes = [u8; jinka_epc::EPC_BYTES];

/// Role bits of an EPC in an event (`trace_epc_events.roles`).
pub(crate) mod role {
    /// `epcList` or `childEPCs`.
    pub(crate) const LISTED: i64 = 1;
    pub(crate) const PARENT: i64 = 2;
    pub(crate) const INPUT: i64 = 4;
    pub(crate) const OUTPUT: i64 = 8;
    /// Not named: a DELETE of all its parent's children took it out.
    pub(crate) const DERIVED: i64 = 16;
    /// Every role in which the event names the EPC.
    pub(crate) const NAMED: i64 = LISTED | PARENT | INPUT | OUTPUT;
}

/// One change in a child's containment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) key: Vec<u8>,
    pub(crate) event: i64,
    pub(crate) parent: EpcBytes,
    pub(crate) into: bool,
    pub(crate) derived: bool,
}

/// The parent an EPC is in, since the event `(key, event)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Inside {
    pub(crate) parent: EpcBytes,
    pub(crate) since_key: Vec<u8>,
    pub(crate) since_event: i64,
}

/// A period a child spent in a parent: from the mark that put it there to the one that took
/// it out (exclusive), or open.
pub(crate) struct Interval {
    pub(crate) parent: EpcBytes,
    pub(crate) from_key: Vec<u8>,
    pub(crate) from_event: i64,
    pub(crate) until_key: Option<Vec<u8>>,
}

pub(crate) fn epc_bytes(table: &str, bytes: &[u8]) -> Result<EpcBytes, StoreError> {
    EpcBytes::try_from(bytes)
        .map_err(|_| StoreError::corrupt(format!("{table}: an EPC is not 12 bytes")))
}

pub(crate) fn epc_of(table: &str, bytes: &[u8]) -> Result<Epc, StoreError> {
    jinka_epc::Epc::from_bytes(&epc_bytes(table, bytes)?)
        .map(Epc::from)
        .map_err(|error| StoreError::corrupt(format!("{table}: {error}")))
}

/// The container after `mark`, from the one before (`jinka-trace`'s `step`).
fn step(inside: Option<Inside>, mark: &Mark) -> Option<Inside> {
    match inside {
        Some(inside) if inside.parent == mark.parent => mark.into.then_some(inside),
        _ if mark.into => Some(Inside {
            parent: mark.parent,
            since_key: mark.key.clone(),
            since_event: mark.event,
        }),
        inside => inside,
    }
}

/// The periods in parents that `marks` (explicit and derived, in order) make.
pub(crate) fn intervals(marks: &[Mark]) -> Vec<Interval> {
    let mut intervals: Vec<Interval> = Vec::new();
    let mut inside: Option<Inside> = None;
    for mark in marks {
        let before = inside.as_ref().map(|inside| inside.parent);
        let next = step(inside, mark);
        if next.as_ref().map(|inside| inside.parent) != before {
            if let Some(open) = intervals.last_mut()
                && open.until_key.is_none()
                && before.is_some()
            {
                open.until_key = Some(mark.key.clone());
            }
            if let Some(next) = &next {
                intervals.push(Interval {
                    parent: next.parent,
                    from_key: next.since_key.clone(),
                    from_event: next.since_event,
                    until_key: None,
                });
            }
        }
        inside = next;
    }
    intervals
}

/// Every mark of `child`, in event order.
pub(crate) fn marks_of(sql: &mut dyn Sql, child: &EpcBytes) -> Result<Vec<Mark>, StoreError> {
    let rows = sql.query(
        "SELECT order_key, event_key, parent, into_parent, derived FROM trace_marks \
         WHERE child = $1 ORDER BY order_key",
        &[Param::Blob(child)],
    )?;
    rows.iter().map(read_mark).collect()
}

fn read_mark(row: &Row) -> Result<Mark, StoreError> {
    let mut cells = Cells::new("trace_marks", row);
    Ok(Mark {
        key: cells.blob()?.to_vec(),
        event: cells.int()?,
        parent: epc_bytes("trace_marks", cells.blob()?)?,
        into: cells.int()? != 0,
        derived: cells.int()? != 0,
    })
}

/// Records the explicit marks of an AggregationEvent (into `parent` or out of it) for its
/// `children`, to be settled.
pub(crate) fn add_marks(
    sql: &mut dyn Sql,
    parent: &EpcBytes,
    children: &[EpcBytes],
    key: &[u8],
    event: i64,
    into: bool,
) -> Result<(), StoreError> {
    let into = i64::from(into);
    let params: Vec<Param<'_>> = children
        .iter()
        .flat_map(|child| {
            [
                Param::Blob(child),
                Param::Blob(key),
                Param::Int(event),
                Param::Blob(parent),
                Param::Int(into),
                Param::Int(0),
            ]
        })
        .collect();
    insert_rows(
        sql,
        "INSERT INTO trace_marks (child, order_key, event_key, parent, into_parent, derived)",
        6,
        &params,
        "",
    )
}

/// Withdraws the explicit mark an event declared erroneous made (the child to be settled).
pub(crate) fn remove_mark(
    sql: &mut dyn Sql,
    child: &EpcBytes,
    key: &[u8],
) -> Result<(), StoreError> {
    sql.execute(
        "DELETE FROM trace_marks WHERE child = $1 AND order_key = $2 AND derived = 0",
        &[Param::Blob(child), Param::Blob(key)],
    )?;
    Ok(())
}

/// Records a DELETE of all of `parent`'s children (every child it ever had to be settled).
pub(crate) fn add_delete_all(
    sql: &mut dyn Sql,
    parent: &EpcBytes,
    key: &[u8],
    event: i64,
) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO trace_delete_all (parent, order_key, event_key) VALUES ($1, $2, $3)",
        &[Param::Blob(parent), Param::Blob(key), Param::Int(event)],
    )?;
    Ok(())
}

/// Withdraws a DELETE-all declared erroneous (the parent's children to be settled).
pub(crate) fn remove_delete_all(
    sql: &mut dyn Sql,
    parent: &EpcBytes,
    key: &[u8],
) -> Result<(), StoreError> {
    sql.execute(
        "DELETE FROM trace_delete_all WHERE parent = $1 AND order_key = $2",
        &[Param::Blob(parent), Param::Blob(key)],
    )?;
    Ok(())
}

/// Every child ever put in `parent` (by an uncorrected event).
pub(crate) fn members(sql: &mut dyn Sql, parent: &EpcBytes) -> Result<Vec<EpcBytes>, StoreError> {
    let rows = sql.query(
        "SELECT DISTINCT child FROM trace_marks WHERE parent = $1 AND into_parent = 1",
        &[Param::Blob(parent)],
    )?;
    rows.iter()
        .map(|row| epc_bytes("trace_marks", Cells::new("trace_marks", row).blob()?))
        .collect()
}

/// Recomputes `child`'s derived marks and current parent from its explicit marks and its
/// parents' DELETE-alls, and writes what changed.
pub(crate) fn settle(sql: &mut dyn Sql, child: &EpcBytes) -> Result<(), StoreError> {
    let marks = marks_of(sql, child)?;
    let explicit: Vec<&Mark> = marks.iter().filter(|mark| !mark.derived).collect();
    let mut derived: Vec<Mark> = Vec::new();
    let mut inside: Option<Inside> = None;
    for (position, mark) in explicit.iter().enumerate() {
        inside = step(inside, mark);
        let Some(parent) = inside.as_ref().map(|inside| inside.parent) else {
            continue;
        };
        let before = explicit.get(position + 1).map(|next| next.key.as_slice());
        if let Some((key, event)) = first_delete_all(sql, &parent, &mark.key, before)? {
            derived.push(Mark {
                key,
                event,
                parent,
                into: false,
                derived: true,
            });
            inside = None;
        }
    }
    let old: Vec<&Mark> = marks.iter().filter(|mark| mark.derived).collect();
    for gone in old.iter().filter(|mark| !derived.contains(mark)) {
        remove_derived(sql, child, gone)?;
    }
    for new in derived.iter().filter(|mark| !old.contains(mark)) {
        insert_derived(sql, child, new)?;
    }
    set_container(sql, child, inside)
}

/// The first DELETE-all of `parent` strictly after `after` and before `before` (if given).
fn first_delete_all(
    sql: &mut dyn Sql,
    parent: &EpcBytes,
    after: &[u8],
    before: Option<&[u8]>,
) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    let rows = sql.query(
        "SELECT order_key, event_key FROM trace_delete_all \
         WHERE parent = $1 AND order_key > $2 AND order_key < $3 ORDER BY order_key LIMIT 1",
        &[
            Param::Blob(parent),
            Param::Blob(after),
            Param::Blob(before.unwrap_or(KEY_MAX)),
        ],
    )?;
    rows.first()
        .map(|row| {
            let mut cells = Cells::new("trace_delete_all", row);
            Ok((cells.blob()?.to_vec(), cells.int()?))
        })
        .transpose()
}

fn insert_derived(sql: &mut dyn Sql, child: &EpcBytes, mark: &Mark) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO trace_marks (child, order_key, event_key, parent, into_parent, derived) \
         VALUES ($1, $2, $3, $4, 0, 1)",
        &[
            Param::Blob(child),
            Param::Blob(&mark.key),
            Param::Int(mark.event),
            Param::Blob(&mark.parent),
        ],
    )?;
    sql.execute(
        "INSERT INTO trace_epc_events (epc, order_key, event_key, roles) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (epc, order_key) DO UPDATE SET roles = trace_epc_events.roles | $4",
        &[
            Param::Blob(child),
            Param::Blob(&mark.key),
            Param::Int(mark.event),
            Param::Int(role::DERIVED),
        ],
    )?;
    Ok(())
}

fn remove_derived(sql: &mut dyn Sql, child: &EpcBytes, mark: &Mark) -> Result<(), StoreError> {
    sql.execute(
        "DELETE FROM trace_marks WHERE child = $1 AND order_key = $2 AND derived = 1",
        &[Param::Blob(child), Param::Blob(&mark.key)],
    )?;
    sql.execute(
        "UPDATE trace_epc_events SET roles = roles & $1 WHERE epc = $2 AND order_key = $3",
        &[
            Param::Int(!role::DERIVED),
            Param::Blob(child),
            Param::Blob(&mark.key),
        ],
    )?;
    sql.execute(
        "DELETE FROM trace_epc_events WHERE epc = $1 AND order_key = $2 AND roles = 0",
        &[Param::Blob(child), Param::Blob(&mark.key)],
    )?;
    Ok(())
}

/// The parent `child` is in now, if any.
pub(crate) fn container_of(
    sql: &mut dyn Sql,
    child: &EpcBytes,
) -> Result<Option<Inside>, StoreError> {
    let rows = sql.query(
        "SELECT parent, since_key, since_event FROM trace_containers WHERE child = $1",
        &[Param::Blob(child)],
    )?;
    rows.first()
        .map(|row| {
            let mut cells = Cells::new("trace_containers", row);
            Ok(Inside {
                parent: epc_bytes("trace_containers", cells.blob()?)?,
                since_key: cells.blob()?.to_vec(),
                since_event: cells.int()?,
            })
        })
        .transpose()
}

fn set_container(
    sql: &mut dyn Sql,
    child: &EpcBytes,
    inside: Option<Inside>,
) -> Result<(), StoreError> {
    if container_of(sql, child)? == inside {
        return Ok(());
    }
    match inside {
        Some(inside) => sql.execute(
            "INSERT INTO trace_containers (child, parent, since_key, since_event) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (child) DO UPDATE SET parent = $2, \
             since_key = $3, since_event = $4",
            &[
                Param::Blob(child),
                Param::Blob(&inside.parent),
                Param::Blob(&inside.since_key),
                Param::Int(inside.since_event),
            ],
        )?,
        None => sql.execute(
            "DELETE FROM trace_containers WHERE child = $1",
            &[Param::Blob(child)],
        )?,
    };
    Ok(())
}

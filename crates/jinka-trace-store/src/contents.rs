//! What a parent holds now, recursively: `jinka-trace`'s `contents` over the tables, for
//! the containment links a viewer may see.

use std::collections::HashSet;

use jinka_trace::{CONTAINMENT_DEPTH_MAX, Epc};

use crate::containment::{EpcBytes, epc_bytes, epc_of};
use crate::error::StoreError;
use crate::participant::Viewer;
use crate::sql::{Cells, Param, Sql};

/// The children of `parent` now, and with `recursive` theirs too, down to
/// [`CONTAINMENT_DEPTH_MAX`] levels; only those put in by an event the viewer may see. In EPC
/// order, each once.
pub(crate) fn contents(
    sql: &mut dyn Sql,
    viewer: Viewer,
    parent: &Epc,
    recursive: bool,
) -> Result<Vec<Epc>, StoreError> {
    let who = viewer.who();
    let statement = format!(
        "SELECT c.child FROM trace_containers c JOIN trace_events e ON e.event_key = c.since_event \
         WHERE c.parent = $1 AND {}",
        viewer.visible(2)
    );
    let root = parent.to_bytes();
    let depth = if recursive { CONTAINMENT_DEPTH_MAX } else { 1 };
    let mut seen: HashSet<EpcBytes> = HashSet::from([root]);
    let mut found: Vec<EpcBytes> = Vec::new();
    let mut level = vec![root];
    for _ in 0..depth {
        let mut next = Vec::new();
        for holder in &level {
            let rows = sql.query(&statement, &[Param::Blob(holder), Param::Int(who)])?;
            for row in &rows {
                let child = epc_bytes(
                    "trace_containers",
                    Cells::new("trace_containers", row).blob()?,
                )?;
                if seen.insert(child) {
                    found.push(child);
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
        .iter()
        .map(|child| epc_of("trace_containers", child))
        .collect()
}

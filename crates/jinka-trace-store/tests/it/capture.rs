//! Capture: ids, duplicates, refusals, durability.

use jinka_trace::{Applied, EventQuery};
use jinka_trace_store::{SqliteTraceStore, StoreError, TraceStore, Viewer};
use serde_json::json;

use crate::engines::each_engine;
use crate::support::{
    FACTORY, at, capture, document, event, item, participant, place, record_time,
};

fn observe(n: u64, id: Option<&str>) -> serde_json::Value {
    let mut fields =
        json!({"action": "OBSERVE", "epcList": [item(n)], "readPoint": place(FACTORY)});
    if let Some(id) = id {
        fields["eventID"] = json!(id);
    }
    event("ObjectEvent", &at(9, 0), fields)
}

fn count(store: &dyn TraceStore) -> usize {
    let query = EventQuery::from_pairs([("perPage", "1000")]).unwrap();
    store.events(Viewer::Operator, &query).unwrap().events.len()
}

#[test]
fn ids_are_given_in_order_skipping_those_clients_used() {
    each_engine("ids", |store| {
        let ids = capture(
            store,
            2,
            vec![
                observe(1, None),
                observe(2, Some("urn:jinka:event:2")),
                observe(3, None),
            ],
        );
        assert_eq!(
            ids,
            [
                "urn:jinka:event:1",
                "urn:jinka:event:2",
                "urn:jinka:event:3"
            ]
        );
        let ids = capture(store, 2, vec![observe(4, None)]);
        assert_eq!(ids, ["urn:jinka:event:4"]);
    });
}

#[test]
fn a_document_captured_again_changes_nothing() {
    each_engine("duplicates", |store| {
        let events = vec![observe(1, Some("urn:x:1")), observe(2, Some("urn:x:2"))];
        let first = store
            .capture(participant(2), record_time(), document(events.clone()))
            .unwrap();
        assert!(
            first
                .events
                .iter()
                .all(|(_, applied)| *applied == Applied::Recorded)
        );
        let again = store
            .capture(participant(2), record_time(), document(events))
            .unwrap();
        assert!(
            again
                .events
                .iter()
                .all(|(_, applied)| *applied == Applied::Duplicate)
        );
        assert_ne!(first.capture_id, again.capture_id);
        assert_eq!(count(store), 2);
    });
}

#[test]
fn an_event_id_of_another_participant_refuses_the_document_whole() {
    each_engine("foreign_id", |store| {
        capture(store, 2, vec![observe(1, Some("urn:x:1"))]);
        let refused = store.capture(
            participant(3),
            record_time(),
            document(vec![observe(2, None), observe(3, Some("urn:x:1"))]),
        );
        match refused {
            Err(StoreError::Event { index, reason }) => {
                assert_eq!(index, 1);
                assert!(reason.contains("another participant"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(count(store), 1, "nothing of the refused document is stored");
        // No id was used up by the refused document.
        assert_eq!(
            capture(store, 3, vec![observe(2, None)]),
            ["urn:jinka:event:1"]
        );
    });
}

#[test]
fn a_reopened_database_has_everything() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("trace.sqlite3");
    {
        let store = SqliteTraceStore::open(&path).unwrap();
        capture(&store, 2, vec![observe(1, None), observe(2, None)]);
    }
    let store = SqliteTraceStore::open(&path).unwrap();
    assert_eq!(count(&store), 2);
    assert_eq!(
        capture(&store, 2, vec![observe(3, None)]),
        ["urn:jinka:event:3"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

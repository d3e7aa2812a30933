//! The EPCIS event query on the store, page by page, against the pure reference
//! (`EventQuery::select` over the same events).

use jinka_trace::{CaptureContext, Document, Event, EventQuery, SequentialEventIds};
use jinka_trace_store::{TraceStore, Viewer};
use serde_json::{Value, json};

use crate::engines::each_engine;
use crate::support::{
    DOCK, FACTORY, WAREHOUSE, at, case, document_json, event, item, pallet, participant, place,
    record_time,
};

/// Events of every kind, with ids given so the reference has the same ones.
pub fn varied_events() -> Vec<Value> {
    let mut events = vec![
        event(
            "ObjectEvent",
            &at(8, 0),
            json!({"action": "ADD", "bizStep": "commissioning",
            "epcList": [item(1), item(2), item(3)], "readPoint": place(FACTORY)}),
        ),
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "ADD", "bizStep": "packing",
            "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": place(FACTORY)}),
        ),
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "ADD", "bizStep": "packing",
            "parentID": case(2), "childEPCs": [item(3)], "readPoint": place(FACTORY)}),
        ),
        event(
            "AggregationEvent",
            &at(10, 0),
            json!({"action": "ADD", "bizStep": "loading",
            "parentID": pallet(1), "childEPCs": [case(1), case(2)], "readPoint": place(DOCK)}),
        ),
        event(
            "ObjectEvent",
            &at(11, 0),
            json!({"action": "OBSERVE", "bizStep": "shipping",
            "disposition": "in_transit", "epcList": [pallet(1)], "readPoint": place(DOCK)}),
        ),
        event(
            "ObjectEvent",
            &at(16, 0),
            json!({"action": "OBSERVE", "bizStep": "receiving",
            "epcList": [pallet(1)], "readPoint": place(WAREHOUSE),
            "bizLocation": place(WAREHOUSE)}),
        ),
        event(
            "AggregationEvent",
            &at(17, 0),
            json!({"action": "DELETE",
            "bizStep": "unloading", "parentID": pallet(1), "readPoint": place(WAREHOUSE)}),
        ),
        event(
            "TransactionEvent",
            &at(17, 0),
            json!({"action": "ADD",
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}],
            "epcList": [item(1)], "parentID": case(1)}),
        ),
        event(
            "TransformationEvent",
            &at(18, 0),
            json!({"inputEPCList": [item(3)],
            "outputEPCList": [item(4)], "bizStep": "repairing"}),
        ),
        event(
            "ObjectEvent",
            &at(18, 30),
            json!({"action": "DELETE", "bizStep": "destroying",
            "epcList": [item(2)], "readPoint": place(WAREHOUSE)}),
        ),
    ];
    for (index, event) in events.iter_mut().enumerate() {
        event["eventID"] = json!(format!("urn:x:{index}"));
    }
    let mut declared = events[5].clone();
    declared["errorDeclaration"] = json!({"declarationTime": "2026-03-02T12:00:00Z"});
    events.push(declared);
    events
}

/// The events as the store holds them: parsed, record time set, a declaration merged.
fn reference(events: Vec<Value>) -> Vec<Event> {
    let document = Document::parse(&document_json(events), &CaptureContext::default()).unwrap();
    let mut ids = SequentialEventIds::new("urn:unused:", 0).unwrap();
    let mut stored: Vec<Event> = Vec::new();
    for event in document.into_events(&mut ids, record_time()).unwrap() {
        match stored.iter_mut().find(|known| known.id() == event.id()) {
            Some(known) => *known = event,
            None => stored.push(event),
        }
    }
    stored
}

/// Every page of `pairs` from the store, and from the reference over `visible`.
fn both(
    store: &dyn TraceStore,
    viewer: Viewer,
    visible: &[Event],
    pairs: &[(&str, &str)],
) -> (Pages, Pages) {
    let stored = pages(pairs, |query| {
        store
            .events(viewer, query)
            .map(|page| (page.events, page.next_page_token))
            .map_err(|error| error.to_string())
    });
    let expected = pages(pairs, |query| {
        query
            .select(visible)
            .map(|page| {
                (
                    page.events.into_iter().cloned().collect(),
                    page.next_page_token,
                )
            })
            .map_err(|error| error.to_string())
    });
    (stored, expected)
}

type PageOf = (Vec<Event>, Option<String>);
/// Every page of a query, or why it was refused.
type Pages = Result<Vec<Vec<Event>>, String>;

fn pages(
    pairs: &[(&str, &str)],
    mut page: impl FnMut(&EventQuery) -> Result<PageOf, String>,
) -> Pages {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if let Some(token) = &token {
            all.push(("nextPageToken", token));
        }
        let query = EventQuery::from_pairs(all).map_err(|error| error.to_string())?;
        let (events, next) = page(&query)?;
        found.push(events);
        match next {
            Some(next) => token = Some(next),
            None => return Ok(found),
        }
    }
    panic!("more than 20 pages for {pairs:?}");
}

pub const QUERIES: &[&[(&str, &str)]] = &[
    &[],
    &[("orderDirection", "ASC"), ("perPage", "3")],
    &[("perPage", "2"), ("eventCountLimit", "5")],
    &[("eventType", "AggregationEvent|TransformationEvent")],
    &[
        ("GE_eventTime", "2026-03-02T10:00:00+08:00"),
        ("LT_eventTime", "2026-03-02T17:00:00+08:00"),
    ],
    &[
        ("GE_recordTime", "2026-03-02T20:00:00Z"),
        ("orderBy", "recordTime"),
        ("perPage", "4"),
    ],
    &[("LT_recordTime", "2026-03-02T20:00:00Z")],
    &[("EQ_bizStep", "shipping|receiving")],
    &[("EQ_bizStep", "urn:epcglobal:cbv:bizstep:packing")],
    &[("EQ_disposition", "in_transit")],
    &[("EQ_readPoint", DOCK)],
    &[("EQ_bizLocation", WAREHOUSE)],
    &[("EQ_action", "DELETE")],
    &[("EQ_eventID", "urn:x:3|urn:x:7")],
    &[("MATCH_epc", "urn:epc:id:sgtin:0614141.812345.1")],
    &[
        ("MATCH_epc", "urn:epc:idpat:sgtin:0614141.812345.*"),
        ("perPage", "2"),
    ],
    &[("MATCH_parentID", "urn:epc:idpat:sscc:0614141.*")],
    &[("MATCH_parentID", "urn:epc:id:sscc:0614141.1000000001")],
    &[("MATCH_inputEPC", "urn:epc:id:sgtin:0614141.812345.3")],
    &[("MATCH_outputEPC", "urn:epc:idpat:sgtin:*.*.*")],
    &[(
        "MATCH_anyEPC",
        "urn:epc:id:sscc:0614141.1000000001|urn:epc:id:sgtin:0614141.812345.4",
    )],
    &[("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614142.*.*")],
    &[("EXISTS_errorDeclaration", "")],
    &[("maxEventCount", "30"), ("EQ_bizStep", "packing")],
    &[("EQ_bizstep", "packing")],
];

#[test]
fn every_query_agrees_with_the_reference_page_by_page() {
    each_engine("queries", |store| {
        store
            .capture(
                participant(2),
                record_time(),
                crate::support::document(varied_events()),
            )
            .unwrap();
        let visible = reference(varied_events());
        assert_eq!(visible.len(), 10);
        for pairs in QUERIES {
            let (stored, expected) = both(store, Viewer::Operator, &visible, pairs);
            assert_eq!(stored, expected, "{pairs:?}");
        }
        let (stored, _) = both(store, Viewer::Operator, &visible, &[("maxEventCount", "3")]);
        assert!(stored.is_err());
    });
}

#[test]
fn a_token_of_another_query_is_refused() {
    each_engine("tokens", |store| {
        store
            .capture(
                participant(2),
                record_time(),
                crate::support::document(varied_events()),
            )
            .unwrap();
        let query = EventQuery::from_pairs([("perPage", "2")]).unwrap();
        let token = store
            .events(Viewer::Operator, &query)
            .unwrap()
            .next_page_token
            .unwrap();
        let other = EventQuery::from_pairs([
            ("perPage", "2"),
            ("EQ_bizStep", "packing"),
            ("nextPageToken", &token),
        ])
        .unwrap();
        assert!(store.events(Viewer::Operator, &other).is_err());
    });
}

//! Standard EPCIS query parameters: parsing with typed errors, filtering, EPC patterns,
//! ordering, limits and paging.

use jinka_trace::{EpcPattern, Error, Event, EventQuery, OrderDirection};
use serde_json::json;

use crate::support::{Capture, DOCK, STORE, WAREHOUSE, at, case, epc, event, item, pallet, place};

/// Six events over a morning: commissioning, packing, loading, shipping, receiving, and an
/// item of another company seen at the store.
fn events() -> Vec<Event> {
    let mut capture = Capture::new();
    capture.capture(vec![
        event(
            "ObjectEvent",
            &at(8, 0),
            json!({"action": "ADD", "bizStep": "commissioning", "epcList": [item(1), item(2)],
                   "readPoint": place(DOCK)}),
        ),
        event(
            "AggregationEvent",
            &at(9, 0),
            json!({"action": "ADD", "bizStep": "packing", "parentID": case(1),
                   "childEPCs": [item(1), item(2)], "readPoint": place(DOCK)}),
        ),
        event(
            "AggregationEvent",
            &at(10, 0),
            json!({"action": "ADD", "bizStep": "loading", "parentID": pallet(1),
                   "childEPCs": [case(1)], "readPoint": place(DOCK)}),
        ),
        event(
            "ObjectEvent",
            &at(11, 0),
            json!({"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                   "epcList": [pallet(1)], "readPoint": place(DOCK)}),
        ),
        event(
            "ObjectEvent",
            &at(16, 0),
            json!({"action": "OBSERVE", "bizStep": "receiving", "epcList": [pallet(1)],
                   "readPoint": place(WAREHOUSE), "bizLocation": place(WAREHOUSE)}),
        ),
        event(
            "ObjectEvent",
            &at(17, 0),
            json!({"action": "OBSERVE", "bizStep": "stocking",
                   "epcList": ["urn:epc:id:sgtin:0012345.011111.7"],
                   "readPoint": place(STORE)}),
        ),
    ]);
    capture.events
}

/// The business steps of the events `pairs` select, in the query's order.
fn steps(pairs: &[(&str, &str)]) -> Vec<String> {
    let events = events();
    let query = EventQuery::from_pairs(pairs.iter().copied()).unwrap();
    query
        .select(&events)
        .unwrap()
        .events
        .iter()
        .map(|event| event.content().biz_step.as_ref().unwrap().to_string())
        .collect()
}

#[test]
fn filters() {
    let asc = ("orderDirection", "ASC");
    assert_eq!(
        steps(&[("eventType", "AggregationEvent"), asc]),
        ["packing", "loading"]
    );
    assert_eq!(
        steps(&[
            ("eventType", "ObjectEvent|AggregationEvent"),
            ("EQ_action", "ADD"),
            asc
        ]),
        ["commissioning", "packing", "loading"]
    );
    assert_eq!(
        steps(&[
            ("GE_eventTime", "2026-03-02T09:00:00+08:00"),
            ("LT_eventTime", "2026-03-02T03:00:00Z"),
            asc
        ]),
        ["packing", "loading"]
    );
    // Any CBV spelling of the value, normalised like the events.
    assert_eq!(
        steps(&[
            (
                "EQ_bizStep",
                "https://ref.gs1.org/cbv/BizStep-shipping|receiving"
            ),
            asc
        ]),
        ["shipping", "receiving"]
    );
    assert_eq!(
        steps(&[("EQ_disposition", "urn:epcglobal:cbv:disp:in_transit")]),
        ["shipping"]
    );
    assert_eq!(steps(&[("EQ_readPoint", WAREHOUSE)]), ["receiving"]);
    assert_eq!(steps(&[("EQ_bizLocation", WAREHOUSE)]), ["receiving"]);
    assert!(steps(&[("EXISTS_errorDeclaration", "")]).is_empty());
}

#[test]
fn epc_matches_look_at_the_right_fields() {
    let asc = ("orderDirection", "ASC");
    // MATCH_epc: epcList and childEPCs.
    assert_eq!(
        steps(&[("MATCH_epc", &item(1)), asc]),
        ["commissioning", "packing"]
    );
    assert_eq!(steps(&[("MATCH_epc", &case(1)), asc]), ["loading"]);
    // MATCH_parentID: the parent only.
    assert_eq!(steps(&[("MATCH_parentID", &case(1))]), ["packing"]);
    // MATCH_anyEPC: any role.
    assert_eq!(
        steps(&[("MATCH_anyEPC", &case(1)), asc]),
        ["packing", "loading"]
    );
    // idpat patterns.
    assert_eq!(
        steps(&[("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614141.*.*"), asc]),
        ["commissioning", "packing"]
    );
    assert_eq!(
        steps(&[("MATCH_epc", "urn:epc:idpat:sgtin:0012345.011111.*")]),
        ["stocking"]
    );
    assert_eq!(
        steps(&[("MATCH_epc", "urn:epc:idpat:sscc:0614141.*"), asc]),
        ["loading", "shipping", "receiving"]
    );
    assert!(steps(&[("MATCH_inputEPC", "urn:epc:idpat:sgtin:*.*.*")]).is_empty());
}

#[test]
fn order_limits_and_pages() {
    assert_eq!(
        steps(&[("eventCountLimit", "2")]),
        ["stocking", "receiving"],
        "DESC by default"
    );
    assert_eq!(
        steps(&[
            ("orderBy", "eventTime"),
            ("orderDirection", "ASC"),
            ("eventCountLimit", "2")
        ]),
        ["commissioning", "packing"]
    );
    let events = events();
    let error = EventQuery::from_pairs([("maxEventCount", "3")])
        .unwrap()
        .select(&events)
        .unwrap_err();
    assert_eq!(error, Error::TooManyMatches { count: 6, max: 3 });

    // Pages of 2 with a limit of 5 in all: 2 + 2 + 1.
    let base = [
        ("orderDirection", "ASC"),
        ("perPage", "2"),
        ("eventCountLimit", "5"),
    ];
    let mut token: Option<String> = None;
    let mut pages: Vec<Vec<String>> = Vec::new();
    for _ in 0..10 {
        let mut pairs: Vec<(&str, &str)> = base.to_vec();
        if let Some(token) = &token {
            pairs.push(("nextPageToken", token));
        }
        let query = EventQuery::from_pairs(pairs).unwrap();
        let page = query.select(&events).unwrap();
        pages.push(
            page.events
                .iter()
                .map(|event| event.content().biz_step.as_ref().unwrap().to_string())
                .collect(),
        );
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        pages,
        [
            vec!["commissioning", "packing"],
            vec!["loading", "shipping"],
            vec!["receiving"]
        ]
    );
}

#[test]
fn a_token_only_serves_its_query() {
    let events = events();
    let first = EventQuery::from_pairs([("perPage", "1")])
        .unwrap()
        .select(&events)
        .unwrap();
    let token = first.next_page_token.unwrap();
    let other = EventQuery::from_pairs([
        ("perPage", "1"),
        ("eventType", "ObjectEvent"),
        ("nextPageToken", token.as_str()),
    ])
    .unwrap();
    assert!(matches!(
        other.select(&events),
        Err(Error::PageToken { .. })
    ));
    let same = EventQuery::from_pairs([("perPage", "3"), ("nextPageToken", token.as_str())])
        .unwrap()
        .select(&events)
        .unwrap();
    assert_eq!(
        same.events.len(),
        3,
        "the page size may change between pages"
    );
}

#[test]
fn parameter_errors_are_typed() {
    let error = |pairs: &[(&str, &str)]| EventQuery::from_pairs(pairs.iter().copied()).unwrap_err();
    assert_eq!(
        error(&[("EQ_bizstep", "shipping")]),
        Error::UnknownQueryParameter {
            name: "EQ_bizstep".to_owned()
        }
    );
    for name in [
        "EQ_example:lot",
        "EQ_bizTransaction_po",
        "GE_value_CEL",
        "WD_readPoint",
    ] {
        assert_eq!(
            error(&[(name, "x")]),
            Error::UnsupportedQueryParameter {
                name: name.to_owned()
            }
        );
    }
    assert_eq!(
        error(&[("colour", "red")]),
        Error::UnknownQueryParameter {
            name: "colour".to_owned()
        }
    );
    assert_eq!(
        error(&[("MATCH_epcClass", "urn:epc:class:lgtin:0614141.812345.1")]),
        Error::UnsupportedQueryParameter {
            name: "MATCH_epcClass".to_owned()
        }
    );
    let located = [
        (vec![("eventType", "ThingEvent")], "eventType"),
        (vec![("GE_eventTime", "yesterday")], "GE_eventTime"),
        (
            vec![
                ("GE_eventTime", "2026-03-02T00:00:00Z"),
                ("GE_eventTime", "2026-03-03T00:00:00Z"),
            ],
            "GE_eventTime",
        ),
        (vec![("EQ_bizStep", "shiping")], "EQ_bizStep"),
        (
            vec![("MATCH_anyEPC", "urn:epc:idpat:sgtin:*.812345.*")],
            "MATCH_anyEPC",
        ),
        (vec![("orderDirection", "UP")], "orderDirection"),
        (vec![("perPage", "0")], "perPage"),
        (vec![("perPage", "100000")], "perPage"),
        (vec![("eventCountLimit", "-1")], "eventCountLimit"),
        (vec![("nextPageToken", "not-a-token")], "nextPageToken"),
        (
            vec![("eventCountLimit", "1"), ("maxEventCount", "1")],
            "maxEventCount",
        ),
    ];
    for (pairs, field) in located {
        let error = error(&pairs);
        assert_eq!(error.field().as_deref(), Some(field), "{pairs:?}: {error}");
    }
}

#[test]
fn idpat_matching() {
    let pattern = |text: &str| EpcPattern::parse(text).unwrap();
    let item1 = epc(&item(1));
    assert!(pattern("urn:epc:idpat:sgtin:0614141.812345.*").matches(&item1));
    assert!(pattern("urn:epc:idpat:sgtin:0614141.*.*").matches(&item1));
    assert!(pattern("urn:epc:idpat:sgtin:*.*.*").matches(&item1));
    assert!(pattern(&item(1)).matches(&item1));
    assert!(!pattern(&item(2)).matches(&item1));
    assert!(!pattern("urn:epc:idpat:sgtin:0614141.812346.*").matches(&item1));
    assert!(!pattern("urn:epc:idpat:sscc:*.*").matches(&item1));
    assert!(pattern("urn:epc:idpat:sscc:0614141.*").matches(&epc(&pallet(1))));
    // The same GTIN split at another company prefix length is another pattern.
    assert!(!pattern("urn:epc:idpat:sgtin:061414112.8345.*").matches(&item1));
    let _ = OrderDirection::Ascending;
}

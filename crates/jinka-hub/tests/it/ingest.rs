//! Offline batch ingest over HTTP, with records made by real cards and software terminals.

use jinka_record::{RecordFields, TransactionRecord};
use serde_json::json;

use crate::engine::{Db, Value};
use crate::network::{
    BUS_TERMINAL, METRO_TERMINAL, Network, STRAY_TERMINAL, accepted, asn, count, database,
    decisions, funded_card, purchases, rejected, terminal,
};
use crate::test_hub::TestHub;

fn with_tac(record: &TransactionRecord, tac: [u8; 4]) -> TransactionRecord {
    TransactionRecord::new(RecordFields {
        tac,
        ..record.fields()
    })
    .unwrap()
}

#[tokio::test]
async fn purchases_are_accepted_and_a_reupload_gets_the_first_answer() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let records = purchases(&mut metro, &mut card, &[1250, 300, 99]);

    let first = network
        .upload(&network.metro, "T0001-000001", &records)
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let answer = first.json();
    assert_eq!(answer["batch_id"], "T0001-000001");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(decisions(&answer), vec![accepted(""); 3]);
    assert_eq!(answer["decisions"][2]["index"], 2);

    // The same batch again: the first answer, byte for byte; nothing accepted twice.
    let again = network
        .upload(&network.metro, "T0001-000001", &records)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    let db = database(&network.hub);
    assert_eq!(count(&db, "accepted_records"), 3);
    assert_eq!(count(&db, "batches"), 1);

    // The same id with other records (a terminal store that restarted its sequence): refused.
    let reused = network
        .upload(&network.metro, "T0001-000001", &records[..2])
        .await;
    assert_eq!(reused.status, 409, "{}", reused.text());
    assert_eq!(reused.error_code(), "batch_id_reused");

    // The records in a new batch: every one a duplicate. So is a purchase replayed under
    // another ATC (its TAC does not cover the ATC): same card, terminal and SAM serial.
    let moved = TransactionRecord::new(RecordFields {
        atc: 7,
        ..records[0].fields()
    })
    .unwrap();
    let mut replayed = records.clone();
    replayed.push(moved);
    let replay = network
        .upload(&network.metro, "T0001-000002", &replayed)
        .await;
    assert_eq!(decisions(&replay.json()), vec![rejected("duplicate"); 4]);

    // Another acquirer's batch with the same id is its own batch: Metro's records are not its.
    let bus = network.upload(&network.bus, "T0001-000001", &records).await;
    assert_eq!(bus.status, 200, "{}", bus.text());
    assert_eq!(
        decisions(&bus.json()),
        vec![rejected("not_your_terminal"); 3]
    );
    // Rejected records are kept with their reason.
    assert_eq!(count(&db, "rejected_records"), 7);
    let reason = db
        .one(
            "SELECT reason FROM rejected_records r JOIN batches b ON b.id = r.batch
             WHERE b.acquirer_id = $1 AND r.record_index = 0",
            &[(network.bus.id as i64).into()],
        )
        .text();
    assert_eq!(reason, "not_your_terminal");
}

#[tokio::test]
async fn bad_records_are_rejected_each_with_its_reason() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let genuine = purchases(&mut metro, &mut card, &[100, 200, 300]);
    // Records of a terminal nobody registered, of Bus's terminal, of a card not registered.
    let stray = purchases(
        &mut terminal(&network.keys, STRAY_TERMINAL),
        &mut card,
        &[10],
    )[0];
    let bus = purchases(&mut terminal(&network.keys, BUS_TERMINAL), &mut card, &[20])[0];
    let mut unregistered = funded_card(&network.keys, asn(9), 1_000);
    let unknown_card = purchases(&mut metro, &mut unregistered, &[30])[0];
    let tampered = with_tac(&genuine[1], [0xDE, 0xAD, 0xBE, 0xEF]);

    let mut values: Vec<_> = [genuine[0], tampered, stray, bus, unknown_card]
        .iter()
        .map(|record| serde_json::to_value(record).unwrap())
        .collect();
    values.push(json!({ "asn": "not a record" }));
    let mut amount_changed = serde_json::to_value(genuine[2]).unwrap();
    amount_changed["amount"] = json!(1);
    values.push(amount_changed);
    let reply = network.upload_values(&network.metro, "B-1", values).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(
        decisions(&answer),
        vec![
            accepted(""),
            rejected("bad_tac"),
            rejected("unknown_terminal"),
            rejected("not_your_terminal"),
            rejected("unknown_card"),
            rejected("malformed"),
            // The TAC covers the amount: a changed amount does not verify.
            rejected("bad_tac"),
        ]
    );
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(1), Some(6))
    );
    // The unreadable element is kept as sent, with why.
    let db = database(&network.hub);
    let row = db.row(
        "SELECT record, detail FROM rejected_records WHERE record_index = 5",
        &[],
    );
    let (record, detail) = (row[0].bytes(), row[1].text());
    assert_eq!(record, br#"{"asn":"not a record"}"#);
    assert!(detail.contains("missing field"), "{detail}");

    // The genuine record at ATC 1 (whose forgery was refused) comes later: accepted, and it
    // fills the gap the record at ATC 2 would have opened.
    let reply = network
        .upload(&network.metro, "B-2", &[genuine[2], genuine[1]])
        .await;
    assert_eq!(
        decisions(&reply.json()),
        vec![accepted("counter_gap"), accepted("")]
    );
}

#[tokio::test]
async fn a_gap_is_flagged_and_its_late_record_fills_it() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let records = purchases(&mut metro, &mut card, &[100, 200, 300, 400]);
    let reply = network
        .upload(&network.metro, "B-1", &[records[0], records[3]])
        .await;
    assert_eq!(
        decisions(&reply.json()),
        vec![accepted(""), accepted("counter_gap")]
    );
    let db = database(&network.hub);
    let gaps = db.one("SELECT offline_gaps FROM cards", &[]).bytes();
    assert_eq!(gaps, [0, 1, 0, 2], "the gap is ATC 1 to 2");
    let reply = network
        .upload(&network.metro, "B-2", &[records[2], records[1], records[1]])
        .await;
    assert_eq!(
        decisions(&reply.json()),
        vec![accepted(""), accepted(""), rejected("duplicate")]
    );
    let row = db.row("SELECT offline_gaps, shadow_balance_fen FROM cards", &[]);
    let (gaps, shadow) = (row[0].bytes(), row[1].int());
    assert!(gaps.is_empty());
    // The hub never heard of the card's load: purchases alone.
    assert_eq!(shadow, -1000);
}

#[tokio::test]
async fn the_bulk_path_answers_as_the_json_path() {
    let by_json = Network::start().await;
    let by_bulk = Network::start().await;
    for network in [&by_json, &by_bulk] {
        network.register_card(asn(1)).await;
    }
    let mut card = funded_card(&by_json.keys, asn(1), 10_000);
    let mut metro = terminal(&by_json.keys, METRO_TERMINAL);
    let mut records = purchases(&mut metro, &mut card, &[100, 200, 300, 400]);
    records.push(with_tac(&records[3], [0; 4]));
    records.push(purchases(&mut terminal(&by_json.keys, BUS_TERMINAL), &mut card, &[5])[0]);
    records.remove(2);

    let json = by_json
        .upload(&by_json.metro, "T0001-000007", &records)
        .await;
    let bulk = by_bulk
        .upload_bulk(&by_bulk.metro, "T0001-000007", &records)
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text());
    assert_eq!(bulk.body, json.body);
    assert_eq!(
        decisions(&bulk.json()),
        vec![
            accepted(""),
            accepted(""),
            accepted("counter_gap"),
            // The TAC is checked before the counter.
            rejected("bad_tac"),
            rejected("not_your_terminal")
        ]
    );
    // A bulk re-upload of the JSON batch is the same batch (the digest is over binary forms).
    let again = by_json
        .upload_bulk(&by_json.metro, "T0001-000007", &records)
        .await;
    assert_eq!(again.body, json.body);

    // Bulk bodies are checked; a record that does not decode is rejected, not the batch.
    let hub = &by_bulk.hub;
    let key = Some(by_bulk.metro.key.as_str());
    let mut body = crate::network::bulk_body("B-2", &records[..1]);
    let reply = hub
        .post_typed("/v1/batches/bulk", key, "application/json", body.clone())
        .await;
    assert_eq!(reply.status, 415);
    body.push(0);
    let reply = hub
        .post_typed("/v1/batches/bulk", key, "application/octet-stream", body)
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "invalid_field");
    let mut body = crate::network::bulk_body("B-3", &records[..1]);
    body.extend_from_slice(&[0xFF; jinka_record::RECORD_BYTES]);
    let reply = hub
        .post_typed("/v1/batches/bulk", key, "application/octet-stream", body)
        .await;
    assert_eq!(
        decisions(&reply.json()),
        vec![rejected("duplicate"), rejected("malformed")]
    );
}

#[tokio::test]
async fn only_terminal_owners_upload_and_bad_batches_are_refused_whole() {
    let network = Network::start().await;
    let hub = &network.hub;
    let reply = network
        .upload_values(&network.issuer, "B-1", vec![json!({})])
        .await;
    assert_eq!(reply.status, 403);
    for (body, code) in [
        (
            json!({ "batch_id": "B 1", "records": [{}] }),
            "invalid_field",
        ),
        (json!({ "batch_id": "B-1", "records": [] }), "invalid_field"),
        (json!({ "batch_id": "B-1" }), "invalid_request"),
        (
            json!({ "batch_id": "B-1", "records": {} }),
            "invalid_request",
        ),
    ] {
        let reply = hub
            .post("/v1/batches", Some(&network.metro.key), &body)
            .await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.error_code(), code, "{body}");
    }
    let reply = hub
        .post_raw(
            "/v1/batches",
            Some(&network.metro.key),
            b"{\"batch_id\":".to_vec(),
        )
        .await;
    assert_eq!(reply.error_code(), "malformed_json");
    assert_eq!(count(&database(hub), "batches"), 0);
}

#[tokio::test]
async fn a_batch_that_fails_midway_leaves_nothing() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let records = purchases(&mut metro, &mut card, &[100, 200, 300]);

    // A trigger refuses the second record's row (ATC 1), so the batch fails after the first
    // record's row went in: the decisions see nothing of it, as of a disk failing midway.
    let db = database(&network.hub);
    let (plant, unplant) = match &db {
        Db::Sqlite(..) => (
            "CREATE TRIGGER planted BEFORE INSERT ON accepted_records WHEN NEW.atc = 1
             BEGIN SELECT RAISE(ABORT, 'planted failure'); END",
            "DROP TRIGGER planted",
        ),
        Db::Postgres(_) => (
            "CREATE FUNCTION planted() RETURNS trigger LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION 'planted failure'; END $$;
             CREATE TRIGGER planted BEFORE INSERT ON accepted_records
                FOR EACH ROW WHEN (NEW.atc = 1) EXECUTE FUNCTION planted()",
            "DROP TRIGGER planted ON accepted_records; DROP FUNCTION planted()",
        ),
    };
    db.execute_batch(plant);
    let reply = network.upload(&network.metro, "B-1", &records).await;
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert_eq!(reply.error_code(), "internal");
    // Nothing of the batch: no batch, no record, no card change, no ledger posting.
    for (table, rows) in [
        ("batches", 0),
        ("accepted_records", 0),
        ("rejected_records", 0),
        ("ledger_accounts", 0),
        ("window_lines", 0),
    ] {
        assert_eq!(count(&db, table), rows, "{table}");
    }
    let row = db.row(
        "SELECT shadow_balance_fen, offline_highest_atc FROM cards",
        &[],
    );
    let (shadow, highest) = (row[0].int(), row[1].opt_int());
    assert_eq!((shadow, highest), (0, None));

    // Without the trigger the same upload goes through whole.
    db.execute_batch(unplant);
    let reply = network.upload(&network.metro, "B-1", &records).await;
    assert_eq!(decisions(&reply.json()), vec![accepted(""); 3]);
    assert_eq!(count(&db, "accepted_records"), 3);
}

#[tokio::test]
async fn a_fresh_hub_with_no_card_rejects_everything_as_unknown() {
    let hub = TestHub::start().await;
    let network = Network::on(hub).await;
    let mut card = funded_card(&network.keys, asn(3), 500);
    let records = purchases(
        &mut terminal(&network.keys, METRO_TERMINAL),
        &mut card,
        &[1],
    );
    let reply = network.upload_bulk(&network.metro, "B-1", &records).await;
    assert_eq!(decisions(&reply.json()), vec![rejected("unknown_card")]);
}

/// A counter's stored balances of its highest record: before then after, 4 bytes each.
fn point(before: u32, after: u32) -> Vec<u8> {
    [before.to_be_bytes(), after.to_be_bytes()].concat()
}

#[tokio::test]
async fn each_counter_keeps_its_highest_records_balances_for_the_chain_check() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let db = database(&network.hub);
    let highest_point = || db.one("SELECT offline_point FROM cards", &[]);
    assert!(matches!(highest_point(), Value::Null), "a new card");
    // The genuine card and its clone: the same card image, spent at two acquirers.
    let mut genuine = funded_card(&network.keys, asn(1), 10_000);
    let mut clone = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut bus = terminal(&network.keys, BUS_TERMINAL);

    let spent = purchases(&mut metro, &mut genuine, &[300, 200]);
    let reply = network.upload(&network.metro, "M-1", &spent).await;
    assert_eq!(decisions(&reply.json()), [accepted(""), accepted("")]);
    assert_eq!(highest_point().bytes(), point(9_700, 9_500), "ATC 1's");
    // The next purchase chains on to the balances the counter keeps.
    let spent = purchases(&mut metro, &mut genuine, &[100]);
    let reply = network.upload(&network.metro, "M-2", &spent).await;
    assert_eq!(decisions(&reply.json()), [accepted("")]);
    assert_eq!(highest_point().bytes(), point(9_500, 9_400));

    // As a card whose counter moved before migrations 013 and 016: the balances are not
    // known, and the chain is checked against the record at ATC 2 stored before 016.
    db.execute("UPDATE cards SET offline_point = NULL", &[]);
    db.execute(
        "INSERT INTO accepted_purchases_before_016 (asn, atc, record)
         SELECT asn, atc, record FROM accepted_records WHERE counter_kind = 0",
        &[],
    );
    let copied = purchases(&mut bus, &mut clone, &[500, 200, 100, 50]);
    let reply = network.upload(&network.bus, "B-1", &copied).await;
    assert_eq!(
        decisions(&reply.json()),
        [
            rejected("duplicate"),
            rejected("duplicate"),
            rejected("duplicate"),
            accepted("balance_discontinuity")
        ]
    );
    assert_eq!(
        highest_point().bytes(),
        point(9_200, 9_150),
        "the clone's ATC 3"
    );

    // The genuine card's next purchase is checked against the clone's balances, kept with
    // the counter: 9,340 fen before, 9,150 after its predecessor, and no load between.
    let spent = purchases(&mut metro, &mut genuine, &[60, 70]);
    let reply = network.upload(&network.metro, "M-3", &spent).await;
    let answer = decisions(&reply.json());
    assert_eq!(answer[0], rejected("duplicate"));
    assert!(answer[1].2.contains("balance_discontinuity"), "{answer:?}");
}

/// A counter's stored balances at the edges of its gaps: ATC, before, after.
fn edge(atc: u16, before: u32, after: u32) -> Vec<u8> {
    [
        atc.to_be_bytes().as_slice(),
        &before.to_be_bytes(),
        &after.to_be_bytes(),
    ]
    .concat()
}

#[tokio::test]
async fn a_late_record_is_chained_to_the_balances_kept_at_its_gaps_edges() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let db = database(&network.hub);
    let edges = || db.one("SELECT offline_edges FROM cards", &[]).bytes();
    assert_eq!(edges(), Vec::<u8>::new(), "a new card");
    let mut genuine = funded_card(&network.keys, asn(1), 10_000);
    let mut clone = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut bus = terminal(&network.keys, BUS_TERMINAL);
    // ATCs 0 to 3, and the clone's 0 and 1.
    let spent = purchases(&mut metro, &mut genuine, &[300, 200, 100, 100]);
    let copied = purchases(&mut bus, &mut clone, &[500, 50]);

    // ATC 1 has not arrived: ATCs 0 and 2 are the edges of its gap (3 is the highest).
    let reply = network
        .upload(&network.metro, "M-1", &[spent[0], spent[2], spent[3]])
        .await;
    assert_eq!(
        decisions(&reply.json()),
        [accepted(""), accepted("counter_gap"), accepted("")]
    );
    assert_eq!(
        edges(),
        [edge(0, 10_000, 9_700), edge(2, 9_500, 9_400)].concat()
    );

    // With the stored records gone, the clone's ATC 1 fills the gap and its chain is still
    // judged on both sides from the counter: 9,700 after ATC 0 but 9,500 before it, 9,450
    // after it but 9,500 before ATC 2, with no load between.
    db.execute("DELETE FROM accepted_records", &[]);
    let reply = network.upload(&network.bus, "B-1", &copied[1..]).await;
    assert_eq!(
        decisions(&reply.json()),
        [accepted("balance_discontinuity")]
    );
    assert_eq!(edges(), Vec::<u8>::new(), "no gap left");

    // A gap split in two: the record that split it borders both halves, the highest before
    // it the lower one. (Risk control hotlisted the card for the clone's discontinuity.)
    let spent = purchases(&mut metro, &mut genuine, &[10, 20, 30, 40]);
    let reply = network
        .upload(&network.metro, "M-2", &[spent[3], spent[1]])
        .await;
    assert_eq!(
        decisions(&reply.json()),
        [
            accepted("counter_gap+hotlisted_card_used"),
            accepted("hotlisted_card_used")
        ]
    );
    assert_eq!(
        edges(),
        [edge(3, 9_400, 9_300), edge(5, 9_290, 9_270)].concat()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_uploaded_at_once_are_all_answered_and_each_replays_its_own_answer() {
    let network = Network::start().await;
    let mut batches = Vec::new();
    for n in 1..=4 {
        network.register_card(asn(n)).await;
        let mut card = funded_card(&network.keys, asn(n), 5_000);
        let mut metro = terminal(&network.keys, METRO_TERMINAL);
        let amounts = vec![100; usize::from(n)];
        batches.push(purchases(&mut metro, &mut card, &amounts));
    }
    // In flight together: the batch committer takes those waiting as one group.
    let ids = ["C-1", "C-2", "C-3", "C-4"];
    let all_at_once = || async {
        let (a, b, c, d) = tokio::join!(
            network.upload(&network.metro, ids[0], &batches[0]),
            network.upload(&network.metro, ids[1], &batches[1]),
            network.upload(&network.metro, ids[2], &batches[2]),
            network.upload(&network.metro, ids[3], &batches[3]),
        );
        [a, b, c, d]
    };
    let first = all_at_once().await;
    for (n, reply) in (1..).zip(&first) {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(decisions(&reply.json()), vec![accepted(""); n], "batch {n}");
    }
    let again = all_at_once().await;
    for (reply, before) in again.iter().zip(&first) {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.body, before.body);
    }
    let db = database(&network.hub);
    assert_eq!(count(&db, "batches"), 4);
    assert_eq!(count(&db, "accepted_records"), 1 + 2 + 3 + 4);
}

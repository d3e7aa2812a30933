//! Counter gaps open past the limit, tracked from the hub's reports; and a whole decided
//! batch from the clearing core shown through `observe_batch`.

use jinka_clearing::{
    Batch, BatchId, CardEntry, Flag, Flags, IngestOutcome, IssuerId, MasterKeys, MemoryKeyStore,
    MemoryView, ParticipantId, RejectReason, TerminalEntry, UploadedRecord, decide_batch,
};
use jinka_crypto::{Key16, Profile, diversify, tac_key};
use jinka_record::TransactionRecord;
use jinka_risk::{Action, RecordId, RiskConfig, RiskDecision, RiskEvaluator, Rule, Subject};

use crate::support::*;

/// The default limit, 72 hours, and a minute past it.
const PAST_LIMIT_MS: i64 = 72 * HOUR_MS + MINUTE_MS;

fn gap_opened(hub: &mut Harness, atc: u16) -> RecordId {
    let flags = Flags::NONE.with(Flag::CounterGap);
    hub.accept(purchase(1, atc, 300), SHANGHAI, flags, T0)
}

#[test]
fn a_gap_filled_in_time_stays_quiet() {
    let mut hub = Harness::with_defaults();
    hub.ok(purchase(1, 0, 300), SHANGHAI, T0);
    gap_opened(&mut hub, 5);
    hub.gaps(1, &[(1, 4)], T0);
    // A terminal that was offline uploads ATCs 1 to 4 the next day.
    hub.gaps(1, &[(3, 4)], T0 + 20 * HOUR_MS);
    hub.gaps(1, &[], T0 + DAY_MS);
    hub.tick(T0 + PAST_LIMIT_MS);
    hub.tick(T0 + 10 * DAY_MS);
    assert_eq!(hub.take(), []);
    assert_eq!(hub.risk.sizes().gap_counters, 0);
}

#[test]
fn a_gap_open_past_the_limit_fires_once() {
    let mut hub = Harness::with_defaults();
    let opener = gap_opened(&mut hub, 5);
    hub.gaps(1, &[(0, 4)], T0);
    hub.tick(T0 + 72 * HOUR_MS);
    assert_eq!(hub.take(), [], "at the limit, not past it");
    // Part of it fills; the rest stays open.
    hub.gaps(1, &[(0, 1), (3, 4)], T0 + 72 * HOUR_MS);
    hub.tick(T0 + PAST_LIMIT_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    let decision = &fired[0];
    assert_eq!(
        (decision.rule, decision.action, decision.subject),
        (Rule::CounterGap, Action::Flag, Subject::Card(asn(1)))
    );
    assert_eq!(decision.evidence, [opener]);
    assert_eq!(decision.at_ms, T0 + PAST_LIMIT_MS);
    assert_eq!(
        decision.explanation,
        "Card 3104000000000001's offline counter has been missing ATCs 0 to 4 for 4321 minutes \
         (the limit is 72 hours): their records have not reached the hub."
    );
    hub.tick(T0 + 5 * DAY_MS);
    hub.gaps(1, &[(3, 4)], T0 + 5 * DAY_MS);
    assert_eq!(hub.take(), [], "the same gap does not fire again");
}

#[test]
fn a_new_gap_is_tracked_from_its_own_report() {
    let mut hub = Harness::with_defaults();
    gap_opened(&mut hub, 3);
    hub.gaps(1, &[(1, 2)], T0);
    let later = gap_opened(&mut hub, 9);
    hub.gaps(1, &[(1, 2), (5, 8)], T0 + DAY_MS);
    // The first gap is past the limit at a later report; the second is not yet.
    hub.gaps(1, &[(1, 2), (5, 8)], T0 + PAST_LIMIT_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert!(fired[0].explanation.contains("missing ATCs 1 to 2"));
    hub.tick(T0 + DAY_MS + PAST_LIMIT_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, [later]);
    assert!(fired[0].explanation.contains("missing ATCs 5 to 8"));
}

#[test]
fn a_gap_reported_without_its_opener_has_no_evidence_but_still_fires() {
    let mut hub = Harness::with_defaults();
    hub.gaps(1, &[(7, 7)], T0);
    hub.tick(T0 + PAST_LIMIT_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, []);
    assert!(fired[0].explanation.contains("missing ATC 7 for"));
}

const TAC_MASTER: &str = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";

/// A purchase of `card` at `atc` with its genuine sm4 TAC, continuing a balance chain that
/// starts at 500.00 yuan and spends 3.00 yuan a ride.
fn genuine(card: u32, atc: u16, terminal_index: u32) -> TransactionRecord {
    let master = Key16::from_hex(TAC_MASTER).unwrap();
    let key = tac_key(
        Profile::Sm4,
        &diversify(Profile::Sm4, &master, &asn(card).bytes()),
    );
    let mut fields = purchase(card, atc, 300).record().fields();
    fields.balance_before_fen = 50_000 - 300 * u32::from(atc);
    fields.terminal_id = terminal(terminal_index).bytes();
    fields.terminal_serial = Some(1000 * u32::from(atc) + card);
    let unsigned = TransactionRecord::new(fields).unwrap();
    fields.tac = key.mac(&[unsigned.tac_input().as_bytes()]);
    TransactionRecord::new(fields).unwrap()
}

/// The hub in memory: cards 1 and 2 of [`ISSUER`], terminal 1 in Shanghai and terminal 2
/// in Beijing, owned by the acquirer; the issuer's sm4 keys.
fn hub() -> (MemoryView, MemoryKeyStore, ParticipantId) {
    let acquirer = ParticipantId::new(2);
    let mut view = MemoryView::new();
    for card in 1..=2 {
        let issuer = (ParticipantId::new(1), IssuerId::new(ISSUER));
        let entry = CardEntry::issued(asn(card), issuer.0, issuer.1, Profile::Sm4);
        view.insert_card(entry);
    }
    for (index, region) in [(1, SHANGHAI), (2, BEIJING)] {
        let terminal_id = terminal(index);
        let owner = acquirer;
        view.insert_terminal(TerminalEntry {
            terminal_id,
            owner,
            region,
        });
    }
    let keys = MemoryKeyStore::new([MasterKeys {
        issuer_id: IssuerId::new(ISSUER),
        key_version: 1,
        profile: Profile::Sm4,
        load: Key16::from_hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8").unwrap(),
        tac: Key16::from_hex(TAC_MASTER).unwrap(),
    }])
    .unwrap();
    (view, keys, acquirer)
}

/// Decides `records` as one batch, applies it to `view`, and shows it to `risk`; the
/// decisions risk gave.
fn ingest(
    (view, keys, acquirer): &mut (MemoryView, MemoryKeyStore, ParticipantId),
    risk: &mut RiskEvaluator,
    records: Vec<UploadedRecord>,
    at_ms: i64,
) -> (IngestOutcome, Vec<RiskDecision>) {
    let id = BatchId::new(&format!("risk-{at_ms}")).unwrap();
    let batch = Batch {
        id: &id,
        acquirer: *acquirer,
        records: &records,
    };
    let outcome = decide_batch(&batch, &*view, &*keys).unwrap();
    let mut decisions = Vec::new();
    let region = |terminal_id| view.registered_terminal(terminal_id).map(|t| t.region);
    let record_id = |index: usize| RecordId::new(1000 + index as u64);
    risk.observe_batch(
        (&records, &outcome),
        record_id,
        region,
        at_ms,
        &mut decisions,
    );
    view.apply(&records, &outcome).unwrap();
    (outcome, decisions)
}

#[test]
fn a_batch_decided_by_the_clearing_core_feeds_every_rule() {
    let mut hub = hub();
    // Card 1: ATCs 0 and 1, then 5 (2 to 4 missing). Card 2: a ride in Shanghai, then one in
    // Beijing at the same minute. Then ten forged records from the Beijing terminal.
    let mut records: Vec<UploadedRecord> = [genuine(1, 0, 1), genuine(1, 1, 1), genuine(1, 5, 1)]
        .into_iter()
        .chain([genuine(2, 0, 1), genuine(2, 1, 2)])
        .map(Ok)
        .collect();
    for serial in 0..10 {
        let mut fields = genuine(2, 2 + serial, 2).fields();
        fields.tac = [0xBA, 0xD0, 0, serial as u8];
        records.push(Ok(TransactionRecord::new(fields).unwrap()));
    }
    let mut risk = RiskEvaluator::new(RiskConfig::default());
    let (outcome, decisions) = ingest(&mut hub, &mut risk, records, T0);
    assert_eq!(outcome.summary.accepted, 5);
    assert_eq!(outcome.summary.rejected[RejectReason::BadTac.index()], 10);
    let fired: Vec<_> = decisions.iter().map(|d| (d.rule, d.subject)).collect();
    assert_eq!(
        fired,
        [
            (Rule::Velocity, Subject::Card(asn(2))),
            (Rule::BadTac, Subject::Terminal(terminal(2))),
        ]
    );
    assert_eq!(
        decisions[0].evidence,
        [RecordId::new(1003), RecordId::new(1004)]
    );
    assert_eq!(risk.sizes().gap_counters, 1);
    let mut decisions = Vec::new();
    risk.tick(T0 + PAST_LIMIT_MS, &mut decisions);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].rule, Rule::CounterGap);
    assert_eq!(
        decisions[0].evidence,
        [RecordId::new(1002)],
        "the record at ATC 5"
    );
    assert!(decisions[0].explanation.contains("missing ATCs 2 to 4"));
}

#[test]
fn a_later_batch_that_fills_the_gap_ends_it() {
    let mut hub = hub();
    let mut risk = RiskEvaluator::new(RiskConfig::default());
    let opening = [genuine(1, 0, 1), genuine(1, 4, 1), genuine(2, 0, 1)];
    ingest(&mut hub, &mut risk, opening.map(Ok).to_vec(), T0);
    assert_eq!(risk.sizes().gap_counters, 1);
    // A batch of other cards' records changes nothing.
    ingest(
        &mut hub,
        &mut risk,
        vec![Ok(genuine(2, 1, 1))],
        T0 + HOUR_MS,
    );
    assert_eq!(risk.sizes().gap_counters, 1);
    // The offline terminal's records arrive in two batches.
    ingest(&mut hub, &mut risk, vec![Ok(genuine(1, 2, 1))], T0 + DAY_MS);
    assert_eq!(risk.sizes().gap_counters, 1, "1 and 3 still missing");
    let filling = vec![Ok(genuine(1, 1, 1)), Ok(genuine(1, 3, 1))];
    let (_, decisions) = ingest(&mut hub, &mut risk, filling, T0 + 2 * DAY_MS);
    assert_eq!(decisions, []);
    assert_eq!(risk.sizes().gap_counters, 0);
    let mut decisions = Vec::new();
    risk.tick(T0 + PAST_LIMIT_MS, &mut decisions);
    assert_eq!(decisions, []);
}

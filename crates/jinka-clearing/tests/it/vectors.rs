//! Every case of `testdata/vectors.json` through the key store: the TAC verifies, a changed
//! covered field does not; every load case's MAC1 gives the vector's MAC2.

use jinka_clearing::{
    Asn, ClearingError, IssuerId, KeyId, KeyStore, LoadDecision, LoadMac, LoadRefusal, LoadRequest,
    MasterKeys, MemoryKeyStore, RequestId, TerminalId,
};
use jinka_crypto::{Key16, Profile};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use serde_json::Value;

use crate::support::{CardSim, Hub, ISSUER_ID, changed};

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors.json");
    let text = std::fs::read_to_string(path).expect("testdata/vectors.json is in the repository");
    let vectors: Value = serde_json::from_str(&text).expect("vectors.json parses");
    let cases = vectors["cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 12);
    cases
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field}"))
}

fn bytes<const N: usize>(case: &Value, field: &str) -> [u8; N] {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text(case, field), &mut bytes).expect("hex of the right length");
    bytes
}

fn number<T: TryFrom<u64>>(case: &Value, field: &str) -> T {
    let value = case[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field {field}"));
    T::try_from(value).unwrap_or_else(|_| panic!("field {field} fits"))
}

fn profile(case: &Value) -> Profile {
    Profile::from_name(text(case, "profile")).expect("profile")
}

fn is_load(case: &Value) -> bool {
    text(case, "kind") == "load"
}

/// A store holding the case's master keys (a purchase case has no load key: any will do).
fn store(case: &Value) -> MemoryKeyStore {
    let load = if is_load(case) {
        text(case, "master_load_key")
    } else {
        text(case, "master_tac_key")
    };
    MemoryKeyStore::new([MasterKeys {
        issuer_id: ISSUER_ID,
        key_version: 1,
        profile: profile(case),
        load: Key16::from_hex(load).unwrap(),
        tac: Key16::from_hex(text(case, "master_tac_key")).unwrap(),
    }])
    .unwrap()
}

fn key_id(case: &Value) -> KeyId {
    KeyId {
        issuer_id: ISSUER_ID,
        key_version: 1,
        profile: profile(case),
    }
}

fn date_time(case: &Value) -> (Date, Time) {
    (
        Date::from_bcd(bytes(case, "date")).unwrap(),
        Time::from_bcd(bytes(case, "time")).unwrap(),
    )
}

fn record(case: &Value) -> TransactionRecord {
    let (date, time) = date_time(case);
    let (kind, atc, terminal_serial) = if is_load(case) {
        (TransactionKind::Load, number(case, "online_counter"), None)
    } else {
        let serial = u32::from_be_bytes(bytes(case, "terminal_serial"));
        (
            TransactionKind::Purchase,
            number(case, "offline_counter"),
            Some(serial),
        )
    };
    TransactionRecord::new(RecordFields {
        asn: bytes(case, "asn"),
        issuer_id: ISSUER_ID.bytes(),
        kind,
        amount_fen: number(case, "amount"),
        balance_before_fen: number(case, "balance_before"),
        atc,
        terminal_id: bytes(case, "terminal_id"),
        terminal_serial,
        date,
        time,
        key_version: 1,
        algorithm_id: number(case, "alg_id"),
        tac: bytes(case, "tac"),
    })
    .expect("a vector is a record")
}

fn verifies(store: &MemoryKeyStore, key: &KeyId, record: &TransactionRecord) -> bool {
    store
        .verify_tac(
            key,
            Asn::new(record.asn()),
            record.tac_input().as_bytes(),
            &record.tac(),
        )
        .expect("the key is there")
}

#[test]
fn every_vector_tac_verifies_and_a_changed_field_does_not() {
    for case in cases() {
        let store = store(&case);
        let key = key_id(&case);
        let record = record(&case);
        assert!(verifies(&store, &key, &record), "{case}");
        // Again, from the cached TAC key.
        assert!(verifies(&store, &key, &record), "cached, {case}");
        assert_eq!(store.cached_tac_keys(), 1);
        let mut tampered = vec![
            changed(&record, |f| f.amount_fen ^= 1),
            changed(&record, |f| f.terminal_id[0] ^= 1),
            changed(&record, |f| f.date = Date::from_ymd(2027, 1, 1).unwrap()),
            changed(&record, |f| f.time = Time::from_hms(12, 0, 1).unwrap()),
            changed(&record, |f| f.tac[3] ^= 1),
        ];
        if is_load(&case) {
            tampered.push(changed(&record, |f| f.atc ^= 1));
            tampered.push(changed(&record, |f| f.balance_before_fen ^= 2));
        } else {
            tampered.push(changed(&record, |f| {
                f.terminal_serial = f.terminal_serial.map(|s| s ^ 1);
            }));
            tampered.push(changed(&record, |f| f.kind = TransactionKind::CappPurchase));
        }
        for record in &tampered {
            assert!(!verifies(&store, &key, record), "{record:?} of {case}");
        }
        // The same record under another card's key does not verify either.
        let other_asn = Asn::new([0x55; 8]);
        let input = record.tac_input();
        assert_eq!(
            store.verify_tac(&key, other_asn, input.as_bytes(), &record.tac()),
            Ok(false)
        );
    }
}

fn load_request(case: &Value) -> LoadRequest {
    let (date, time) = date_time(case);
    LoadRequest {
        request_id: RequestId::new("vector").unwrap(),
        issuer_id: ISSUER_ID,
        asn: Asn::new(bytes(case, "asn")),
        key_version: 1,
        algorithm_id: number(case, "alg_id"),
        balance_before_fen: number(case, "balance_before"),
        online_atc: number(case, "online_counter"),
        card_random: bytes(case, "card_random"),
        mac1: bytes(case, "mac1"),
        amount_fen: number(case, "amount"),
        terminal_id: TerminalId::new(bytes(case, "terminal_id")),
        date,
        time,
    }
}

#[test]
fn every_load_vector_gives_its_mac2_and_a_wrong_mac1_none() {
    let loads: Vec<_> = cases().into_iter().filter(is_load).collect();
    assert_eq!(loads.len(), 6);
    for case in loads {
        let store = store(&case);
        let key = key_id(&case);
        let mut request = load_request(&case);
        assert_eq!(
            store.load_mac2(&key, &request),
            Ok(LoadMac::Mac2(bytes(&case, "mac2"))),
            "{case}"
        );
        request.mac1[0] ^= 1;
        assert_eq!(store.load_mac2(&key, &request), Ok(LoadMac::Mac1Invalid));
        request.mac1[0] ^= 1;
        request.amount_fen += 1;
        assert_eq!(store.load_mac2(&key, &request), Ok(LoadMac::Mac1Invalid));
        let other_version = KeyId {
            key_version: 2,
            ..key
        };
        assert_eq!(
            store.load_mac2(&other_version, &request),
            Err(ClearingError::UnknownKey(other_version))
        );
    }
}

/// Through `authorize_load`, each load vector's card (registered, its terminal ours) gets the
/// vector's MAC2, except the one that would take the balance past 2^31 − 1.
#[test]
fn authorizing_the_load_vectors_reproduces_their_mac2() {
    for case in cases().into_iter().filter(is_load) {
        let mut hub = Hub::new();
        hub.keys = store(&case);
        let request = load_request(&case);
        let mut card = CardSim::new(u64::from_be_bytes(request.asn.bytes()), profile(&case), 0);
        card.terminal_id = request.terminal_id;
        hub.issue(&card);
        hub.view.insert_terminal(jinka_clearing::TerminalEntry {
            terminal_id: request.terminal_id,
            owner: crate::support::ACQUIRER,
            region: jinka_clearing::Region::new(1),
        });
        let balance_after: u64 = number(&case, "balance_after");
        match hub.authorize(&request, 0) {
            LoadDecision::Approved(approval) => {
                assert!(balance_after <= u64::from(jinka_clearing::BALANCE_FEN_MAX));
                assert_eq!(approval.mac2, bytes(&case, "mac2"), "{case}");
                assert!(!approval.replayed);
            }
            LoadDecision::Refused(refusal) => {
                assert_eq!(refusal, LoadRefusal::BalanceOverLimit, "{case}");
                assert!(balance_after > u64::from(jinka_clearing::BALANCE_FEN_MAX));
            }
        }
    }
}

#[test]
fn keys_are_named_by_issuer_version_and_profile() {
    let store = MemoryKeyStore::new([
        crate::support::master_keys(Profile::Sm4, 1),
        crate::support::master_keys(Profile::Des3, 1),
        crate::support::master_keys(Profile::Sm4, 2),
    ])
    .unwrap();
    let unknown = KeyId {
        issuer_id: IssuerId::new([9; 8]),
        key_version: 1,
        profile: Profile::Sm4,
    };
    assert_eq!(
        store.verify_tac(&unknown, Asn::new([0; 8]), b"", &[0; 4]),
        Err(ClearingError::UnknownKey(unknown))
    );
    let shown = format!("{store:?}");
    assert!(
        !shown.contains("A1A2") && !shown.contains("0F1E"),
        "{shown}"
    );
}

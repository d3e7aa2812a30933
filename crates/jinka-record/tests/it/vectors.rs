//! Every case of `testdata/vectors.json` (the shared vectors) as a record whose TAC verifies
//! under the issuer's TAC key, and fails to verify once any field the TAC covers changes.

use jinka_crypto::{Key16, MacKey, Profile, diversify, tac_key};
use jinka_record::{
    CounterKind, Date, RecordFields, TAC_INPUT_LOAD_BYTES, TAC_INPUT_PURCHASE_BYTES, Time,
    TransactionKind, TransactionRecord,
};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors.json");
    let text = std::fs::read_to_string(path).expect("testdata/vectors.json is in the repository");
    serde_json::from_str(&text).expect("vectors.json parses")
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} in {case}"))
}

fn array<const N: usize>(case: &Value, field: &str) -> [u8; N] {
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

struct Case {
    record: TransactionRecord,
    key: MacKey,
    balance_after_fen: u64,
}

fn case(case: &Value) -> Case {
    let profile = Profile::from_name(text(case, "profile")).expect("profile");
    let kind = TransactionKind::from_code(number(case, "transaction_type")).expect("type");
    let (atc_field, terminal_serial) = match kind {
        TransactionKind::Load => ("online_counter", None),
        _ => (
            "offline_counter",
            Some(u32::from_be_bytes(array(case, "terminal_serial"))),
        ),
    };
    let record = TransactionRecord::new(RecordFields {
        asn: array(case, "asn"),
        issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 0x01],
        kind,
        amount_fen: number(case, "amount"),
        balance_before_fen: number(case, "balance_before"),
        atc: number(case, atc_field),
        terminal_id: array(case, "terminal_id"),
        terminal_serial,
        date: Date::from_bcd(array(case, "date")).expect("date"),
        time: Time::from_bcd(array(case, "time")).expect("time"),
        key_version: 1,
        algorithm_id: number(case, "alg_id"),
        tac: array(case, "tac"),
    })
    .expect("a vector is a valid record");
    assert_eq!(record.profile(), Some(profile));
    let master = Key16::from_hex(text(case, "master_tac_key")).expect("key");
    let dtk = diversify(profile, &master, &record.asn());
    assert_eq!(dtk, Key16::from_hex(text(case, "dtk")).expect("dtk"));
    Case {
        record,
        key: tac_key(profile, &dtk),
        balance_after_fen: number(case, "balance_after"),
    }
}

#[test]
fn every_vector_tac_verifies() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 12);
    let mut seen = [0; 2];
    for value in cases {
        let Case {
            record,
            key,
            balance_after_fen,
        } = case(value);
        assert!(record.verify_tac(&key), "TAC of {value}");
        let input = record.tac_input();
        match record.counter_kind() {
            CounterKind::Offline => {
                seen[0] += 1;
                assert_eq!(input.as_bytes().len(), TAC_INPUT_PURCHASE_BYTES);
            }
            CounterKind::Online => {
                seen[1] += 1;
                assert_eq!(input.as_bytes().len(), TAC_INPUT_LOAD_BYTES);
                // The load's TAC covers the new balance first, which may pass balance_fen_max.
                let new_balance = u32::try_from(balance_after_fen).unwrap().to_be_bytes();
                assert_eq!(input.as_bytes()[..4], new_balance);
                assert_eq!(
                    record.new_balance_fen(),
                    Some(u32::from_be_bytes(new_balance))
                );
            }
        }
        // Both encodings keep what the TAC covers.
        let decoded = TransactionRecord::decode(&record.encode()).unwrap();
        assert!(decoded.verify_tac(&key));
        let json = serde_json::to_string(&record).unwrap();
        assert!(
            serde_json::from_str::<TransactionRecord>(&json)
                .unwrap()
                .verify_tac(&key)
        );
    }
    assert_eq!(seen, [6, 6]);
}

/// Changes to each field the TAC covers (and to the TAC itself) make verification fail;
/// fields it does not cover (issuer id, key version, and a purchase's balance before and ATC)
/// do not.
#[test]
fn a_changed_covered_field_fails_verification() {
    let vectors = vectors();
    for value in vectors["cases"].as_array().expect("cases") {
        let Case { record, key, .. } = case(value);
        let fields = record.fields();
        let is_load = fields.kind == TransactionKind::Load;
        let changed = |change: &dyn Fn(&mut RecordFields)| {
            let mut fields = fields;
            change(&mut fields);
            TransactionRecord::new(fields).expect("still a record")
        };
        let mut covered: Vec<(&str, TransactionRecord)> = vec![
            ("amount", changed(&|f| f.amount_fen ^= 1)),
            ("terminal_id", changed(&|f| f.terminal_id[5] ^= 1)),
            (
                "date",
                changed(&|f| f.date = Date::from_ymd(2027, 1, 1).unwrap()),
            ),
            (
                "time",
                changed(&|f| f.time = Time::from_hms(12, 0, 1).unwrap()),
            ),
            ("tac", changed(&|f| f.tac[0] ^= 0x80)),
        ];
        if is_load {
            covered.push(("atc", changed(&|f| f.atc ^= 1)));
            covered.push(("balance_before", changed(&|f| f.balance_before_fen ^= 2)));
        } else {
            covered.push((
                "terminal_serial",
                changed(&|f| f.terminal_serial = f.terminal_serial.map(|s| s ^ 1)),
            ));
            covered.push(("type", changed(&|f| f.kind = TransactionKind::CappPurchase)));
        }
        for (field, record) in covered {
            assert!(!record.verify_tac(&key), "changed {field} of {value}");
        }
        let uncovered = changed(&|f| {
            f.issuer_id = [0xFF; 8];
            f.key_version ^= 1;
            if !is_load {
                f.balance_before_fen ^= 1;
                f.atc ^= 1;
            }
        });
        assert!(uncovered.verify_tac(&key), "uncovered fields of {value}");
    }
}

//! TACs verified ahead of the decisions, on a thread of their own.
//!
//! A record's TAC verdict depends on the record alone: the key set its issuer id, key version
//! and algorithm id name, the card's key diversified from its ASN, the MAC over its fields
//! (the decision refuses, before it asks, a record whose issuer id or profile is not its
//! card's). At a million cards most TACs also cost a diversification and a key schedule (the
//! key store caches the keys of 65,536 cards): the upload path's one piece of pure CPU work
//! of any size, done while the deciding thread waits on its database.
//!
//! [`TacVerdicts::fill`] runs on a helper thread over a group's uploads, in record order,
//! while the deciding thread reads the group's cards and decides. [`Preverified`] is the key
//! store the decisions see: asked about a record, it answers the helper's verdict if the
//! helper has one for exactly that key, card, input and TAC, and asks the key store itself
//! otherwise (the helper has not got there yet, or the key store answered an error, which
//! the decision then meets as it would without the helper). The answers, and so every
//! decision, are the key store's own; only where the work is done changes.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use jinka_clearing::{
    Asn, ClearingError, IssuerId, KeyId, KeyStore, LoadMac, LoadRequest, UploadedRecord,
};
use jinka_record::TransactionRecord;

/// The helper has not judged the record (yet).
const PENDING: u8 = 0;
/// The TAC verified.
const VERIFIED: u8 = 1;
/// The TAC did not verify.
const FAILED: u8 = 2;
/// Not for the helper to answer: no key id (an unknown algorithm), or the key store answered
/// an error (an unknown key set among them).
const LEFT: u8 = 3;

/// Fewest records in a group worth a helper thread (starting one costs tens of µs; a TAC
/// about one).
pub(crate) const HELPER_RECORDS_MIN: usize = 256;

/// The verdicts on one upload's records, by index.
pub(crate) struct TacVerdicts {
    verdicts: Vec<AtomicU8>,
}

/// The key id a record's own fields name.
fn key_of(record: &TransactionRecord) -> Option<KeyId> {
    record.profile().map(|profile| KeyId {
        issuer_id: IssuerId::new(record.issuer_id()),
        key_version: record.key_version(),
        profile,
    })
}

impl TacVerdicts {
    /// No verdicts yet on `records` records.
    pub(crate) fn new(records: usize) -> TacVerdicts {
        TacVerdicts {
            verdicts: (0..records).map(|_| AtomicU8::new(PENDING)).collect(),
        }
    }

    /// Verifies the TACs of `records` (the upload these verdicts are for) in order with
    /// `keys`, until done or `stop` is set.
    pub(crate) fn fill(&self, records: &[UploadedRecord], keys: &dyn KeyStore, stop: &AtomicBool) {
        for (record, verdict) in records.iter().zip(&self.verdicts) {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let judged = match record {
                Ok(record) => judge(record, keys),
                Err(_) => LEFT,
            };
            verdict.store(judged, Ordering::Release);
        }
    }
}

fn judge(record: &TransactionRecord, keys: &dyn KeyStore) -> u8 {
    let Some(key) = key_of(record) else {
        return LEFT;
    };
    let asn = Asn::new(record.asn());
    match keys.verify_tac(&key, asn, record.tac_input().as_bytes(), &record.tac()) {
        Ok(true) => VERIFIED,
        Ok(false) => FAILED,
        Err(_) => LEFT,
    }
}

/// A key store answering TACs from the verdicts on one upload where it can.
///
/// The decisions ask about an upload's records in order, each at most once: the verdict
/// sought is at the first record, from the one after the last answered, whose fields give
/// exactly the key, card, input and TAC asked about. A question matching no record from there
/// on (not expected) turns the verdicts off for the rest of the upload, so no question scans
/// the upload twice.
pub(crate) struct Preverified<'a> {
    keys: &'a dyn KeyStore,
    records: &'a [UploadedRecord],
    verdicts: &'a TacVerdicts,
    next: Cell<Option<usize>>,
}

impl<'a> Preverified<'a> {
    /// `keys`, answering from `verdicts` on `records`.
    pub(crate) fn new(
        keys: &'a dyn KeyStore,
        records: &'a [UploadedRecord],
        verdicts: &'a TacVerdicts,
    ) -> Preverified<'a> {
        Preverified {
            keys,
            records,
            verdicts,
            next: Cell::new(Some(0)),
        }
    }

    fn verdict(&self, key: &KeyId, asn: Asn, tac_input: &[u8], tac: &[u8; 4]) -> Option<bool> {
        let start = self.next.get()?;
        let found = self
            .records
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, record)| {
                record.as_ref().is_ok_and(|record| {
                    record.asn() == asn.bytes()
                        && record.tac() == *tac
                        && key_of(record).as_ref() == Some(key)
                        && record.tac_input().as_bytes() == tac_input
                })
            })
            .map(|(index, _)| index);
        self.next.set(found.map(|index| index + 1));
        let verdict = self.verdicts.verdicts.get(found?)?;
        match verdict.load(Ordering::Acquire) {
            VERIFIED => Some(true),
            FAILED => Some(false),
            _ => None,
        }
    }
}

impl KeyStore for Preverified<'_> {
    fn verify_tac(
        &self,
        key: &KeyId,
        asn: Asn,
        tac_input: &[u8],
        tac: &[u8; 4],
    ) -> Result<bool, ClearingError> {
        match self.verdict(key, asn, tac_input, tac) {
            Some(verdict) => Ok(verdict),
            None => self.keys.verify_tac(key, asn, tac_input, tac),
        }
    }

    fn load_mac2(&self, key: &KeyId, request: &LoadRequest) -> Result<LoadMac, ClearingError> {
        self.keys.load_mac2(key, request)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use jinka_clearing::{
        Batch, BatchId, CardEntry, MasterKeys, MemoryKeyStore, MemoryView, ParticipantId, Region,
        TerminalEntry, TerminalId, decide_batch,
    };
    use jinka_crypto::{Key16, Profile, diversify, tac_key};
    use jinka_record::{Date, RecordFields, Time, TransactionKind};

    use super::*;

    const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
    const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];

    fn master_tac() -> Key16 {
        Key16::from_hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0").unwrap()
    }

    fn key_store() -> MemoryKeyStore {
        MemoryKeyStore::new([MasterKeys {
            issuer_id: IssuerId::new(ISSUER_ID),
            key_version: 1,
            profile: Profile::Sm4,
            load: Key16::from_hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8").unwrap(),
            tac: master_tac(),
        }])
        .unwrap()
    }

    /// Counts the questions reaching the key store.
    struct Counting<'a> {
        keys: &'a dyn KeyStore,
        asked: AtomicUsize,
    }

    impl<'a> Counting<'a> {
        fn new(keys: &'a dyn KeyStore) -> Counting<'a> {
            Counting {
                keys,
                asked: AtomicUsize::new(0),
            }
        }
    }

    impl KeyStore for Counting<'_> {
        fn verify_tac(
            &self,
            key: &KeyId,
            asn: Asn,
            tac_input: &[u8],
            tac: &[u8; 4],
        ) -> Result<bool, ClearingError> {
            self.asked.fetch_add(1, Ordering::Relaxed);
            self.keys.verify_tac(key, asn, tac_input, tac)
        }

        fn load_mac2(&self, key: &KeyId, request: &LoadRequest) -> Result<LoadMac, ClearingError> {
            self.keys.load_mac2(key, request)
        }
    }

    fn asn(n: u8) -> [u8; 8] {
        [0, 0, 0, 0, 0, 0, 0, n]
    }

    /// Card `n`'s purchase at `atc`, its TAC made with the card's key (`forged`: one bit off).
    fn purchase(n: u8, atc: u16, key_version: u8, forged: bool) -> TransactionRecord {
        let fields = RecordFields {
            asn: asn(n),
            issuer_id: ISSUER_ID,
            kind: TransactionKind::Purchase,
            amount_fen: 200,
            balance_before_fen: 10_000 - 200 * u32::from(atc),
            atc,
            terminal_id: TERMINAL,
            terminal_serial: Some(u32::from(n) * 100 + u32::from(atc)),
            date: Date::from_ymd(2026, 11, 28).unwrap(),
            time: Time::from_hms(8, 30, 0).unwrap(),
            key_version,
            algorithm_id: Profile::Sm4.algorithm_id(),
            tac: [0; 4],
        };
        let unsigned = TransactionRecord::new(fields).unwrap();
        let dtk = diversify(Profile::Sm4, &master_tac(), &asn(n));
        let mut tac = tac_key(Profile::Sm4, &dtk).mac(&[unsigned.tac_input().as_bytes()]);
        if forged {
            tac[0] ^= 1;
        }
        TransactionRecord::new(RecordFields { tac, ..fields }).unwrap()
    }

    /// An upload of every kind of TAC: good, forged, under a key version the store lacks, of
    /// an algorithm that is not ours, a record that could not be read, and the same good
    /// record twice.
    fn upload() -> Vec<UploadedRecord> {
        let mut unknown_algorithm = purchase(2, 5, 1, false).fields();
        unknown_algorithm.algorithm_id = 0x07;
        vec![
            Ok(purchase(1, 0, 1, false)),
            Ok(purchase(1, 1, 1, true)),
            Ok(purchase(2, 0, 1, false)),
            Ok(purchase(2, 1, 9, false)),
            Ok(TransactionRecord::new(unknown_algorithm).unwrap()),
            Err(jinka_record::RecordError::MissingTerminalSerial),
            Ok(purchase(3, 0, 1, false)),
            Ok(purchase(3, 0, 1, false)),
            Ok(purchase(1, 2, 1, false)),
        ]
    }

    fn view() -> MemoryView {
        let mut view = MemoryView::new();
        for n in 1..=3 {
            view.insert_card(CardEntry::issued(
                Asn::new(asn(n)),
                ParticipantId::new(1),
                IssuerId::new(ISSUER_ID),
                Profile::Sm4,
            ));
        }
        view.insert_terminal(TerminalEntry {
            terminal_id: TerminalId::new(TERMINAL),
            owner: ParticipantId::new(2),
            region: Region::new(31),
        });
        view
    }

    fn decide(records: &[UploadedRecord], keys: &dyn KeyStore) -> jinka_clearing::IngestOutcome {
        let id = BatchId::new("tac-verdicts").unwrap();
        let batch = Batch {
            id: &id,
            acquirer: ParticipantId::new(2),
            records,
        };
        decide_batch(&batch, &view(), keys).unwrap()
    }

    #[test]
    fn decisions_over_the_verdicts_are_the_key_stores_and_ask_it_only_what_is_left() {
        let keys = key_store();
        let records = upload();
        let alone = Counting::new(&keys);
        let expected = decide(&records, &alone);
        let reasons: Vec<_> = expected.decisions.iter().map(|d| d.reason()).collect();
        assert_eq!(
            reasons.iter().filter(|r| r.is_none()).count(),
            4,
            "{reasons:?}"
        );
        assert!(reasons.contains(&Some(jinka_clearing::RejectReason::BadTac)));
        let asked_alone = alone.asked.load(Ordering::Relaxed);

        // Verdicts on every record: only the key the store lacks is asked again.
        let verdicts = TacVerdicts::new(records.len());
        verdicts.fill(&records, &keys, &AtomicBool::new(false));
        let counting = Counting::new(&keys);
        let outcome = decide(&records, &Preverified::new(&counting, &records, &verdicts));
        assert_eq!(outcome, expected);
        assert_eq!(counting.asked.load(Ordering::Relaxed), 1, "the unknown key");
        assert!(asked_alone > 1);

        // No verdicts yet (the helper stopped before the first): all asked, same decisions.
        let none = TacVerdicts::new(records.len());
        none.fill(&records, &keys, &AtomicBool::new(true));
        let counting = Counting::new(&keys);
        let outcome = decide(&records, &Preverified::new(&counting, &records, &none));
        assert_eq!(outcome, expected);
        assert_eq!(counting.asked.load(Ordering::Relaxed), asked_alone);
    }

    #[test]
    fn a_question_about_no_record_of_the_upload_turns_the_verdicts_off() {
        let keys = key_store();
        let records = upload();
        let verdicts = TacVerdicts::new(records.len());
        verdicts.fill(&records, &keys, &AtomicBool::new(false));
        let counting = Counting::new(&keys);
        let preverified = Preverified::new(&counting, &records, &verdicts);
        let stranger = purchase(4, 0, 1, false);
        let key = key_of(&stranger).unwrap();
        let ask = |record: &TransactionRecord| {
            preverified.verify_tac(
                &key,
                Asn::new(record.asn()),
                record.tac_input().as_bytes(),
                &record.tac(),
            )
        };
        assert_eq!(ask(&stranger), Ok(true));
        assert_eq!(counting.asked.load(Ordering::Relaxed), 1);
        // The upload's own first record now goes to the key store too.
        let Ok(first) = &records[0] else {
            unreachable!("the upload starts with a record")
        };
        assert_eq!(ask(first), Ok(true));
        assert_eq!(counting.asked.load(Ordering::Relaxed), 2);
    }
}

//! A hub in memory, and cards whose records carry genuine TACs (computed here with
//! `jinka_crypto`, independently of the key store under test).

use jinka_clearing::{
    Asn, Batch, BatchId, CardEntry, Decision, IngestOutcome, IssuerId, LoadApproval,
    LoadAuthorization, LoadContext, LoadDecision, LoadLimits, LoadRequest, MasterKeys,
    MemoryKeyStore, MemoryView, ParticipantId, Region, RequestId, TerminalEntry, TerminalId,
    UploadedRecord, authorize_load, decide_batch,
};
use jinka_crypto::{Key16, MacKey, Profile, diversify, mac_eq, session_key, tac_key};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

pub const ISSUER_ID: IssuerId = IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]);
pub const ISSUER: ParticipantId = ParticipantId::new(1);
pub const ACQUIRER: ParticipantId = ParticipantId::new(2);
pub const OTHER_ACQUIRER: ParticipantId = ParticipantId::new(3);
/// Owned by [`ACQUIRER`].
pub const TERMINAL: TerminalId = TerminalId::new([0, 0, 0, 0, 0x20, 0x01]);
/// Owned by [`ACQUIRER`] too.
pub const SECOND_TERMINAL: TerminalId = TerminalId::new([0, 0, 0, 0, 0x20, 0x02]);
/// Owned by [`OTHER_ACQUIRER`].
pub const OTHER_TERMINAL: TerminalId = TerminalId::new([0, 0, 0, 0, 0x30, 0x01]);
pub const LOAD_MASTER: &str = "A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8";
pub const TAC_MASTER: &str = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";

pub fn master_keys(profile: Profile, key_version: u8) -> MasterKeys {
    MasterKeys {
        issuer_id: ISSUER_ID,
        key_version,
        profile,
        load: Key16::from_hex(LOAD_MASTER).unwrap(),
        tac: Key16::from_hex(TAC_MASTER).unwrap(),
    }
}

pub fn limits() -> LoadLimits {
    LoadLimits::new(100_000, 1_000_000, 300_000).unwrap()
}

pub fn batch_id() -> BatchId {
    BatchId::new("batch-1").unwrap()
}

/// A hub with both profiles' keys (version 1) and three terminals.
pub struct Hub {
    pub view: MemoryView,
    pub keys: MemoryKeyStore,
}

impl Hub {
    pub fn new() -> Hub {
        let keys =
            MemoryKeyStore::new([master_keys(Profile::Sm4, 1), master_keys(Profile::Des3, 1)])
                .unwrap();
        let mut view = MemoryView::new();
        for (terminal_id, owner) in [
            (TERMINAL, ACQUIRER),
            (SECOND_TERMINAL, ACQUIRER),
            (OTHER_TERMINAL, OTHER_ACQUIRER),
        ] {
            view.insert_terminal(TerminalEntry {
                terminal_id,
                owner,
                region: Region::new(310_000),
            });
        }
        Hub { view, keys }
    }

    pub fn issue(&mut self, card: &CardSim) {
        self.view
            .insert_card(CardEntry::issued(card.asn, ISSUER, ISSUER_ID, card.profile));
    }

    pub fn card(&self, asn: Asn) -> &CardEntry {
        self.view.registered_card(asn).expect("issued")
    }

    /// Decides a batch of `acquirer` without applying it.
    pub fn decide(&self, acquirer: ParticipantId, records: &[UploadedRecord]) -> IngestOutcome {
        let id = batch_id();
        let batch = Batch {
            id: &id,
            acquirer,
            records,
        };
        decide_batch(&batch, &self.view, &self.keys).expect("decided")
    }

    /// Decides and applies a batch of [`ACQUIRER`]; the decisions.
    pub fn upload(&mut self, records: &[TransactionRecord]) -> Vec<Decision> {
        self.upload_as(ACQUIRER, records)
    }

    pub fn upload_as(
        &mut self,
        acquirer: ParticipantId,
        records: &[TransactionRecord],
    ) -> Vec<Decision> {
        let records: Vec<UploadedRecord> = records.iter().copied().map(Ok).collect();
        let outcome = self.decide(acquirer, &records);
        self.view.apply(&records, &outcome).expect("applied");
        outcome.decisions
    }

    /// Authorizes a load the way the hub's API would, for [`ACQUIRER`].
    pub fn authorize(&self, request: &LoadRequest, loaded_today_fen: u64) -> LoadDecision {
        let card = self.view.registered_card(request.asn).cloned();
        let terminal = self.view.registered_terminal(request.terminal_id).copied();
        let limits = limits();
        let context = LoadContext {
            requester: ACQUIRER,
            card: card.as_ref(),
            terminal: terminal.as_ref(),
            limits: &limits,
            loaded_today_fen,
        };
        authorize_load(request, &context, &self.view, &self.keys).expect("decided")
    }

    /// Authorizes and stores the authorization; the approval.
    pub fn approve(&mut self, request: &LoadRequest) -> LoadApproval {
        match self.authorize(request, 0) {
            LoadDecision::Approved(approval) => {
                if !approval.replayed {
                    self.view
                        .insert_authorization(approval.authorization.clone())
                        .unwrap();
                }
                approval
            }
            LoadDecision::Refused(refusal) => panic!("load refused: {refusal}"),
        }
    }

    pub fn authorization(&self, request: &LoadRequest) -> &LoadAuthorization {
        self.view
            .authorization(&request.request_id)
            .expect("stored")
    }
}

/// A genuine card's purse, producing its records with real TACs.
#[derive(Clone)]
pub struct CardSim {
    pub asn: Asn,
    pub profile: Profile,
    pub balance_fen: u32,
    pub offline_atc: u16,
    pub online_atc: u16,
    /// The terminal's serial counter (one terminal per card here, serials never repeat).
    pub serial: u32,
    pub terminal_id: TerminalId,
    /// Seconds since midnight of the transaction date.
    pub clock_s: u32,
    pub loads: u32,
}

impl CardSim {
    pub fn new(asn: u64, profile: Profile, balance_fen: u32) -> CardSim {
        CardSim {
            asn: Asn::new(asn.to_be_bytes()),
            profile,
            balance_fen,
            offline_atc: 0,
            online_atc: 0,
            serial: 1,
            terminal_id: TERMINAL,
            clock_s: 8 * 3600,
            loads: 0,
        }
    }

    fn moment(&mut self) -> (Date, Time) {
        self.clock_s += 1;
        let day = 1 + (self.clock_s / 86_400) % 28;
        let second = self.clock_s % 86_400;
        (
            Date::from_ymd(2026, 11, day as u8).unwrap(),
            Time::from_hms(
                (second / 3600) as u8,
                (second / 60 % 60) as u8,
                (second % 60) as u8,
            )
            .unwrap(),
        )
    }

    fn dtk_key(&self) -> MacKey {
        let master = Key16::from_hex(TAC_MASTER).unwrap();
        tac_key(
            self.profile,
            &diversify(self.profile, &master, &self.asn.bytes()),
        )
    }

    /// Signs fields with the card's TAC.
    pub fn sign(&self, mut fields: RecordFields) -> TransactionRecord {
        fields.tac = [0; 4];
        let unsigned = TransactionRecord::new(fields).unwrap();
        fields.tac = self.dtk_key().mac(&[unsigned.tac_input().as_bytes()]);
        TransactionRecord::new(fields).unwrap()
    }

    fn fields(
        &self,
        kind: TransactionKind,
        amount_fen: u32,
        date: Date,
        time: Time,
    ) -> RecordFields {
        RecordFields {
            asn: self.asn.bytes(),
            issuer_id: ISSUER_ID.bytes(),
            kind,
            amount_fen,
            balance_before_fen: self.balance_fen,
            atc: 0,
            terminal_id: self.terminal_id.bytes(),
            terminal_serial: None,
            date,
            time,
            key_version: 1,
            algorithm_id: self.profile.algorithm_id(),
            tac: [0; 4],
        }
    }

    /// A purchase the card makes offline.
    pub fn purchase(&mut self, amount_fen: u32) -> TransactionRecord {
        let (date, time) = self.moment();
        let mut fields = self.fields(TransactionKind::Purchase, amount_fen, date, time);
        fields.atc = self.offline_atc;
        fields.terminal_serial = Some(self.serial);
        let record = self.sign(fields);
        self.balance_fen = self.balance_fen.checked_sub(amount_fen).expect("funds");
        self.offline_atc += 1;
        self.serial += 1;
        record
    }

    /// INITIALIZE FOR LOAD: the request with the card's genuine MAC1.
    pub fn initialize_load(&mut self, request_id: &str, amount_fen: u32) -> LoadRequest {
        let (date, time) = self.moment();
        let card_random = [0x12, 0x34, 0x56, (self.loads % 256) as u8];
        self.loads += 1;
        let session = self.load_session(card_random);
        let mac1 = session.mac(&[
            &self.balance_fen.to_be_bytes(),
            &amount_fen.to_be_bytes(),
            &[0x02],
            &self.terminal_id.bytes(),
        ]);
        LoadRequest {
            request_id: RequestId::new(request_id).unwrap(),
            issuer_id: ISSUER_ID,
            asn: self.asn,
            key_version: 1,
            algorithm_id: self.profile.algorithm_id(),
            balance_before_fen: self.balance_fen,
            online_atc: self.online_atc,
            card_random,
            mac1,
            amount_fen,
            terminal_id: self.terminal_id,
            date,
            time,
        }
    }

    fn load_session(&self, random: [u8; 4]) -> MacKey {
        let master = Key16::from_hex(LOAD_MASTER).unwrap();
        let dlk = diversify(self.profile, &master, &self.asn.bytes());
        let [a, b] = self.online_atc.to_be_bytes();
        session_key(
            self.profile,
            &dlk,
            &[random[0], random[1], random[2], random[3], a, b, 0x80, 0x00],
        )
    }

    /// CREDIT FOR LOAD: checks MAC2 as the card does, credits, and returns the load record.
    pub fn credit(&mut self, request: &LoadRequest, mac2: [u8; 4]) -> TransactionRecord {
        let expected = self.load_session(request.card_random).mac(&[
            &request.amount_fen.to_be_bytes(),
            &[0x02],
            &request.terminal_id.bytes(),
            &request.date.bcd(),
            &request.time.bcd(),
        ]);
        assert!(mac_eq(&expected, &mac2), "the card refuses a wrong MAC2");
        let mut fields = self.fields(
            TransactionKind::Load,
            request.amount_fen,
            request.date,
            request.time,
        );
        fields.atc = self.online_atc;
        let record = self.sign(fields);
        self.balance_fen += request.amount_fen;
        self.online_atc += 1;
        record
    }

    /// A load authorized by `hub` and credited: the record.
    pub fn load(&mut self, hub: &mut Hub, request_id: &str, amount_fen: u32) -> TransactionRecord {
        let request = self.initialize_load(request_id, amount_fen);
        let approval = hub.approve(&request);
        self.credit(&request, approval.mac2)
    }
}

/// Changes fields of a record and rebuilds it (keeping its TAC).
pub fn changed(
    record: &TransactionRecord,
    change: impl FnOnce(&mut RecordFields),
) -> TransactionRecord {
    let mut fields = record.fields();
    change(&mut fields);
    TransactionRecord::new(fields).unwrap()
}

pub fn accepted() -> Decision {
    Decision::Accepted {
        flags: jinka_clearing::Flags::NONE,
    }
}

pub fn rejected(reason: jinka_clearing::RejectReason) -> Decision {
    Decision::Rejected { reason }
}

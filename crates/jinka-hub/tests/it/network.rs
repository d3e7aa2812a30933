//! A small network over a [`TestHub`]: an issuer (interchange 50 bp) whose keys the hub
//! holds, an acquirer Metro (network fee 10 bp + 1 fen), another acquirer Bus, a load agent
//! Top-up, their terminals; and real cards and software terminals (`jinka-card`,
//! `jinka-terminal`, `jinka-sam`) that make the records the tests upload.

use std::net::SocketAddr;

use hyper::Method;
use jinka_card::{Card, Issuance, IssuerKeys, SeededEntropy, Template, issue};
use jinka_crypto::Profile;
use jinka_record::{Date, Time, TransactionRecord};
use jinka_sam::{IssuerMasterKeys, KeyTable, MemoryStore, SamState, SoftwareSam};
use jinka_terminal::{
    AuthorizeError, LoadAuthorizer, LoadRequest, LocalAuthorizer, MemoryJournal, Moment, Terminal,
};
use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::client::{Call, Reply, send};
use crate::engine::Db;
use crate::test_hub::{Member, TestHub};

pub const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
/// Metro's.
pub const METRO_TERMINAL: [u8; 6] = [0, 0, 0, 0, 0x20, 0x01];
/// Bus's.
pub const BUS_TERMINAL: [u8; 6] = [0, 0, 0, 0, 0x30, 0x01];
/// Top-up's (loads).
pub const TOPUP_TERMINAL: [u8; 6] = [0, 0, 0, 0, 0x40, 0x01];
/// Registered by nobody.
pub const STRAY_TERMINAL: [u8; 6] = [0, 0, 0, 0, 0x50, 0x01];

pub const ISSUER_INTERCHANGE_BP: u64 = 50;
pub const METRO_NETWORK_BP: u64 = 10;
pub const METRO_NETWORK_FIXED_FEN: u64 = 1;

pub type SoftTerminal = Terminal<SoftwareSam<MemoryStore>, MemoryJournal>;
pub type SoftCard = Card<SeededEntropy>;

pub struct Network {
    pub hub: TestHub,
    pub keys: IssuerKeys,
    pub issuer: Member,
    pub metro: Member,
    pub bus: Member,
    pub topup: Member,
}

pub fn issuer_keys() -> IssuerKeys {
    IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(11))
}

/// `asn` for card number `n`.
pub fn asn(n: u8) -> [u8; 8] {
    [0x31, 0x04, 0, 0, 0, 1, 0, n]
}

impl Network {
    pub async fn start() -> Network {
        let hub = TestHub::start().await;
        Network::on(hub).await
    }

    /// Registers the participants, keys and terminals on `hub`.
    pub async fn on(hub: TestHub) -> Network {
        let issuer = hub
            .member_with(json!({
                "name": "City Card", "roles": ["issuer"], "region": 310000,
                "fees": { "interchange": { "basis_points": ISSUER_INTERCHANGE_BP, "fixed_fen": 0 } }
            }))
            .await;
        let metro = hub
            .member_with(json!({
                "name": "Metro", "roles": ["acquirer"], "region": 310000,
                "fees": { "network": {
                    "basis_points": METRO_NETWORK_BP, "fixed_fen": METRO_NETWORK_FIXED_FEN } }
            }))
            .await;
        let bus = hub.member("Bus", &["acquirer"]).await;
        let topup = hub.member("Top-up", &["load_agent"]).await;
        let keys = issuer_keys();
        let reply = hub
            .post_raw(
                &format!("/v1/issuers/{}/keys", issuer.id),
                Some(&hub.operator_key),
                keys.to_json().as_bytes().to_vec(),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        for (owner, terminal) in [
            (&metro, METRO_TERMINAL),
            (&bus, BUS_TERMINAL),
            (&topup, TOPUP_TERMINAL),
        ] {
            let reply = hub
                .post(
                    "/v1/terminals",
                    Some(&owner.key),
                    &json!({ "terminal_id": hex::encode(terminal), "region": 310000 }),
                )
                .await;
            assert_eq!(reply.status, 201, "{}", reply.text());
        }
        Network {
            hub,
            keys,
            issuer,
            metro,
            bus,
            topup,
        }
    }

    /// Registers card `asn` of the issuer.
    pub async fn register_card(&self, asn: [u8; 8]) {
        let reply = self
            .hub
            .post(
                "/v1/cards",
                Some(&self.issuer.key),
                &json!({ "asn": hex::encode(asn), "issuer_id": hex::encode(ISSUER_ID),
                         "profile": "sm4" }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }

    /// Uploads `records` as a JSON batch of `who`.
    pub async fn upload(
        &self,
        who: &Member,
        batch_id: &str,
        records: &[TransactionRecord],
    ) -> Reply {
        let values = records
            .iter()
            .map(|record| serde_json::to_value(record).unwrap())
            .collect();
        self.upload_values(who, batch_id, values).await
    }

    pub async fn upload_values(&self, who: &Member, batch_id: &str, records: Vec<Value>) -> Reply {
        self.hub
            .post(
                "/v1/batches",
                Some(&who.key),
                &json!({ "batch_id": batch_id, "records": records }),
            )
            .await
    }

    /// Uploads `records` as a bulk batch of `who`.
    pub async fn upload_bulk(
        &self,
        who: &Member,
        batch_id: &str,
        records: &[TransactionRecord],
    ) -> Reply {
        self.hub
            .post_typed(
                "/v1/batches/bulk",
                Some(&who.key),
                "application/octet-stream",
                bulk_body(batch_id, records),
            )
            .await
    }

    /// An authorizer that asks this hub, as `who`.
    pub fn authorizer(&self, who: &Member, prefix: &str) -> HubAuthorizer {
        HubAuthorizer {
            handle: Handle::current(),
            address: self.hub.address,
            key: who.key.clone(),
            prefix: prefix.to_owned(),
            authorize_path: "/v1/loads/authorize".to_owned(),
            confirms: true,
            sent: Vec::new(),
            answers: Vec::new(),
        }
    }
}

pub fn bulk_body(batch_id: &str, records: &[TransactionRecord]) -> Vec<u8> {
    let mut body = vec![u8::try_from(batch_id.len()).unwrap()];
    body.extend_from_slice(batch_id.as_bytes());
    for record in records {
        body.extend_from_slice(&record.encode());
    }
    body
}

/// A fresh card `asn` of `keys`, empty.
pub fn card(keys: &IssuerKeys, asn: [u8; 8]) -> SoftCard {
    let issuance = Issuance {
        asn,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: [0x20, 0x36, 0x12, 0x31],
    };
    let nvm = issue(keys, &issuance, &[(Template::EPurse, keys)]).unwrap();
    Card::new(nvm, SeededEntropy::new(u64::from(asn[7])))
}

/// A software terminal `terminal_id` with a SAM holding `keys`.
pub fn terminal(keys: &IssuerKeys, terminal_id: [u8; 6]) -> SoftTerminal {
    let table = KeyTable::new(vec![IssuerMasterKeys::from(keys)]).unwrap();
    let sam = SoftwareSam::new(SamState::new(terminal_id, table), MemoryStore::new());
    Terminal::new(sam, MemoryJournal::default())
}

pub fn moment(day: u8, hour: u8, minute: u8, second: u8) -> Moment {
    Moment {
        date: Date::from_ymd(2026, 11, day).unwrap(),
        time: Time::from_hms(hour, minute, second).unwrap(),
    }
}

/// Card `asn` loaded with `amount_fen` at the Top-up terminal by a local authorizer (the
/// hub does not hear of that load).
pub fn funded_card(keys: &IssuerKeys, asn: [u8; 8], amount_fen: u32) -> SoftCard {
    let mut card = card(keys, asn);
    terminal(keys, TOPUP_TERMINAL)
        .load(
            &mut card,
            &mut LocalAuthorizer::new(vec![keys.clone()]),
            amount_fen,
            moment(1, 7, 0, 0),
        )
        .unwrap();
    card
}

/// Purchases of `amounts` by `card` at `terminal`, a minute apart: their records.
pub fn purchases(
    terminal: &mut SoftTerminal,
    card: &mut SoftCard,
    amounts: &[u32],
) -> Vec<TransactionRecord> {
    (0u8..)
        .zip(amounts)
        .map(|(minute, amount)| {
            terminal
                .purchase(card, *amount, moment(2, 9, minute, 0))
                .unwrap()
                .record
        })
        .collect()
}

/// The decisions of a batch answer as (decision, reason or "", flags joined by `+`).
pub fn decisions(answer: &Value) -> Vec<(String, String, String)> {
    answer["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|decision| {
            let flags: Vec<&str> = decision["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|flag| flag.as_str().unwrap())
                .collect();
            (
                decision["decision"].as_str().unwrap().to_owned(),
                decision["reason"].as_str().unwrap_or("").to_owned(),
                flags.join("+"),
            )
        })
        .collect()
}

pub fn accepted(flags: &str) -> (String, String, String) {
    ("accepted".into(), String::new(), flags.into())
}

pub fn rejected(reason: &str) -> (String, String, String) {
    ("rejected".into(), reason.into(), String::new())
}

/// The terminal's `LoadAuthorizer` that asks the hub over HTTP (blocking on the test's
/// runtime: run the terminal on the blocking pool).
pub struct HubAuthorizer {
    handle: Handle,
    address: SocketAddr,
    key: String,
    prefix: String,
    /// Where authorizations go: `/v1/loads/authorize`, or a replacement's
    /// `/v1/card-operations/{id}/credit`.
    pub authorize_path: String,
    /// Whether `confirm` sends the TAC to the hub.
    pub confirms: bool,
    /// The authorization bodies sent.
    pub sent: Vec<Value>,
    /// Every answer: (path, status, body).
    pub answers: Vec<(String, u16, Value)>,
}

impl HubAuthorizer {
    fn post(&mut self, path: String, body: &Value) -> (u16, Value) {
        let reply = self.handle.block_on(send(
            self.address,
            Call {
                method: Method::POST,
                path: &path,
                key: Some(&self.key),
                content_type: Some("application/json"),
                body: body.to_string().into_bytes(),
            },
        ));
        let answer = (reply.status.as_u16(), reply.json());
        self.answers.push((path, answer.0, answer.1.clone()));
        answer
    }

    /// The load id of the last approval.
    pub fn last_load_id(&self) -> Option<String> {
        self.answers
            .iter()
            .rev()
            .find(|(path, status, _)| *path == self.authorize_path && *status == 200)
            .map(|(_, _, body)| body["load_id"].as_str().unwrap().to_owned())
    }
}

impl LoadAuthorizer for HubAuthorizer {
    fn authorize(&mut self, request: &LoadRequest) -> Result<[u8; 4], AuthorizeError> {
        let request_id = format!("{}-{}", self.prefix, self.sent.len() + 1);
        let body = json!({
            "request_id": request_id,
            "issuer_id": hex::encode_upper(request.issuer_id),
            "asn": hex::encode_upper(request.asn),
            "key_version": request.key_version,
            "algorithm_id": request.algorithm_id,
            "balance_fen": request.balance_fen,
            "online_atc": request.online_atc,
            "card_random": hex::encode_upper(request.card_random),
            "mac1": hex::encode_upper(request.mac1),
            "amount_fen": request.amount_fen,
            "terminal_id": hex::encode_upper(request.terminal_id),
            "date": hex::encode_upper(request.date.bcd()),
            "time": hex::encode_upper(request.time.bcd()),
        });
        self.sent.push(body.clone());
        let (status, answer) = self.post(self.authorize_path.clone(), &body);
        if status != 200 {
            let code = answer["error"].as_str().unwrap_or_default().to_owned();
            return Err(match code.as_str() {
                "mac1_invalid" => AuthorizeError::Mac1Invalid,
                _ => AuthorizeError::Refused(code),
            });
        }
        let mut mac2 = [0u8; 4];
        hex::decode_to_slice(answer["mac2"].as_str().unwrap(), &mut mac2).unwrap();
        Ok(mac2)
    }

    fn confirm(&mut self, _request: &LoadRequest, tac: [u8; 4]) -> Result<(), AuthorizeError> {
        if !self.confirms {
            return Ok(());
        }
        let load_id = self.last_load_id().expect("an approved load");
        let path = format!("/v1/loads/{load_id}/confirm");
        let (status, answer) = self.post(path, &json!({ "tac": hex::encode(tac) }));
        if status == 200 {
            Ok(())
        } else {
            Err(AuthorizeError::Refused(answer.to_string()))
        }
    }
}

/// Runs a terminal's load on the blocking pool (the authorizer blocks on HTTP calls): the
/// terminal, the card, the authorizer and the load's record (or the refusal).
pub async fn load_through_hub(
    mut terminal: SoftTerminal,
    mut card: SoftCard,
    mut authorizer: HubAuthorizer,
    amount_fen: u32,
    at: Moment,
) -> (
    SoftTerminal,
    SoftCard,
    HubAuthorizer,
    Result<TransactionRecord, jinka_terminal::Refusal>,
) {
    tokio::task::spawn_blocking(move || {
        let loaded = terminal
            .load(&mut card, &mut authorizer, amount_fen, at)
            .map(|approved| approved.record);
        (terminal, card, authorizer, loaded)
    })
    .await
    .unwrap()
}

/// The hub's database, opened beside the running hub (for what the API cannot do yet, or
/// to look under it), whichever engine it runs on.
pub fn database(hub: &TestHub) -> Db {
    hub.database()
}

pub fn count(db: &Db, table: &str) -> i64 {
    db.count(table)
}

//! What the hub's benches share: the network registered in a data directory, the cards'
//! purchases batch after batch (each continuing the counters and balance chains), the bulk
//! body, one keep-alive HTTP/1.1 client, a card's MAC1 and TAC of a load, and sizes from the
//! environment. Each bench uses a part of it.
#![allow(dead_code)]

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use jinka_card::IssuerKeys;
use jinka_crypto::{MacKey, Profile, diversify, session_key, tac_key};
use jinka_hub::{
    Admin, Asn, HubConfig, IssuerId, NewCard, NewParticipant, NewTerminal, ParticipantId, Region,
    Role, Roles, TerminalId,
};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

pub const CARDS: u32 = 1_000;
pub const PURCHASES_PER_CARD: u16 = 10;
pub const TERMINALS: u32 = 50;
pub const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
pub const START_BALANCE_FEN: u32 = 100_000_000;

pub fn asn(card: u32) -> [u8; 8] {
    (0x3104_0000_0000_0000u64 + u64::from(card)).to_be_bytes()
}

pub fn terminal_id(index: u32) -> [u8; 6] {
    let [a, b, c, d] = index.to_be_bytes();
    [0, 0x20, a, b, c, d]
}

/// The cards' and terminals' state between batches.
pub struct Purchases {
    tac_keys: Vec<MacKey>,
    balances: Vec<u32>,
    next_atc: u16,
    serials: Vec<u32>,
}

impl Purchases {
    pub fn new(keys: &IssuerKeys) -> Purchases {
        Purchases {
            tac_keys: (0..CARDS)
                .map(|card| {
                    tac_key(
                        Profile::Sm4,
                        &diversify(Profile::Sm4, &keys.tac, &asn(card)),
                    )
                })
                .collect(),
            balances: vec![START_BALANCE_FEN; CARDS as usize],
            next_atc: 0,
            serials: vec![0; TERMINALS as usize],
        }
    }

    /// The next batch: round by round, each card buys once for 1 to 20 yuan.
    pub fn batch(&mut self) -> Vec<TransactionRecord> {
        let mut records = Vec::with_capacity((CARDS * u32::from(PURCHASES_PER_CARD)) as usize);
        for _ in 0..PURCHASES_PER_CARD {
            let atc = self.next_atc;
            self.next_atc += 1;
            for card in 0..CARDS {
                let index = card as usize;
                let amount_fen = 100 * (1 + (card + u32::from(atc)) % 20);
                let terminal = (card * 7 + u32::from(atc)) % TERMINALS;
                self.serials[terminal as usize] += 1;
                let record = signed_purchase(
                    &self.tac_keys[index],
                    Purchase {
                        card,
                        atc,
                        balance_before_fen: self.balances[index],
                        amount_fen,
                        terminal,
                        serial: self.serials[terminal as usize],
                    },
                );
                self.balances[index] -= amount_fen;
                records.push(record);
            }
        }
        records
    }
}

/// A purchase of card number `card` at terminal number `terminal`, on 2026-11-27 from 08:00.
pub struct Purchase {
    pub card: u32,
    pub atc: u16,
    pub balance_before_fen: u32,
    pub amount_fen: u32,
    pub terminal: u32,
    pub serial: u32,
}

/// The record of `purchase` with its TAC under the card's `tac_key`.
pub fn signed_purchase(tac_key: &MacKey, purchase: Purchase) -> TransactionRecord {
    let atc = purchase.atc;
    let mut fields = RecordFields {
        asn: asn(purchase.card),
        issuer_id: ISSUER_ID,
        kind: TransactionKind::Purchase,
        amount_fen: purchase.amount_fen,
        balance_before_fen: purchase.balance_before_fen,
        atc,
        terminal_id: terminal_id(purchase.terminal),
        terminal_serial: Some(purchase.serial),
        date: Date::from_ymd(2026, 11, 27).unwrap(),
        time: Time::from_hms(8, (atc / 60 % 60) as u8, (atc % 60) as u8).unwrap(),
        key_version: 1,
        algorithm_id: Profile::Sm4.algorithm_id(),
        tac: [0; 4],
    };
    let unsigned = TransactionRecord::new(fields).unwrap();
    fields.tac = tac_key.mac(&[unsigned.tac_input().as_bytes()]);
    TransactionRecord::new(fields).unwrap()
}

/// Registers the sm4 cards `asns` of `issuer` (issuer id `issuer_id`) in one call.
pub fn register_cards(
    admin: &Admin,
    issuer: ParticipantId,
    issuer_id: [u8; 8],
    asns: impl Iterator<Item = [u8; 8]>,
) {
    let new_cards = asns
        .map(|asn| {
            NewCard::new(
                Asn::new(asn),
                issuer,
                IssuerId::new(issuer_id),
                Profile::Sm4,
                Vec::new(),
            )
            .unwrap()
        })
        .collect();
    admin.register_cards(new_cards).unwrap();
}

/// A data directory with the network registered: the operator, the issuer (its keys), the
/// acquirer (its terminals), the cards. The acquirer's API key.
pub fn network(config: &HubConfig, keys: &IssuerKeys) -> String {
    let admin = Admin::open(config).unwrap();
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let issuer = participant("Issuer", Role::Issuer);
    let acquirer: ParticipantId = participant("Acquirer", Role::Acquirer);
    admin.upload_issuer_keys(issuer, keys).unwrap();
    for index in 0..TERMINALS {
        let terminal_id = TerminalId::new(terminal_id(index));
        let region = Region::new(310_000);
        let owner = acquirer;
        admin
            .register_terminal(NewTerminal {
                terminal_id,
                owner,
                region,
            })
            .unwrap();
    }
    for card in 0..CARDS {
        let new = NewCard::new(
            Asn::new(asn(card)),
            issuer,
            IssuerId::new(ISSUER_ID),
            Profile::Sm4,
            Vec::new(),
        );
        admin.register_card(new.unwrap()).unwrap();
    }
    let key = admin.create_credential(acquirer, "bench").unwrap().api_key;
    key.expose().to_string()
}

pub fn bulk_body(batch_id: &str, records: &[TransactionRecord]) -> Vec<u8> {
    let mut body = vec![u8::try_from(batch_id.len()).unwrap()];
    body.extend_from_slice(batch_id.as_bytes());
    for record in records {
        body.extend_from_slice(&record.encode());
    }
    body
}

/// The `accepted` count at the head of an answer (`{"batch_id":..,"accepted":n,..`), read
/// without parsing the decisions a client would go on to read.
pub fn accepted_count(answer: &[u8]) -> u64 {
    let text = std::str::from_utf8(answer).unwrap();
    let (_, rest) = text.split_once("\"accepted\":").unwrap();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// One keep-alive HTTP/1.1 connection to the hub.
pub struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    address: SocketAddr,
    key: String,
}

impl Client {
    pub async fn connect(address: SocketAddr, key: String) -> Client {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Client {
            sender,
            address,
            key,
        }
    }

    /// Uploads a bulk body; the answer's accepted count.
    pub async fn upload(&mut self, body: Vec<u8>) -> u64 {
        if self.sender.ready().await.is_err() {
            *self = Client::connect(self.address, self.key.clone()).await;
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri("/v1/batches/bulk")
            .header("host", self.address.to_string())
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/octet-stream")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = self.sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        accepted_count(&body)
    }
}

/// A size from the environment variable `name`, or `default`.
pub fn from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// What sm4 card `asn` answers to INITIALIZE FOR LOAD as MAC1 (JR/T 0025: the session key
/// from the card random, the online ATC and 8000 under the card's DLK; MAC1 over balance,
/// amount, type 02 and terminal id).
pub fn load_mac1(
    keys: &IssuerKeys,
    asn: &[u8; 8],
    online_atc: u16,
    card_random: [u8; 4],
    balance_fen: u32,
    amount_fen: u32,
    terminal: &[u8; 6],
) -> [u8; 4] {
    let dlk = diversify(Profile::Sm4, &keys.load, asn);
    let [atc_high, atc_low] = online_atc.to_be_bytes();
    let [r0, r1, r2, r3] = card_random;
    let session = session_key(
        Profile::Sm4,
        &dlk,
        &[r0, r1, r2, r3, atc_high, atc_low, 0x80, 0x00],
    );
    session.mac(&[
        &balance_fen.to_be_bytes(),
        &amount_fen.to_be_bytes(),
        &[0x02],
        terminal,
    ])
}

/// The card's TAC over an approved load's record (CREDIT FOR LOAD), with its DTK.
pub fn load_tac(keys: &IssuerKeys, decision: &jinka_clearing::LoadDecision) -> [u8; 4] {
    let jinka_clearing::LoadDecision::Approved(approval) = decision else {
        panic!("not approved: {decision:?}");
    };
    let authorization = &approval.authorization;
    let record = authorization.confirmation_record([0; 4]).unwrap();
    let dtk = diversify(Profile::Sm4, &keys.tac, &authorization.request.asn.bytes());
    let mac = tac_key(Profile::Sm4, &dtk).mac(&[record.tac_input().as_bytes()]);
    let mut tac = [0u8; 4];
    tac.copy_from_slice(&mac[..4]);
    tac
}

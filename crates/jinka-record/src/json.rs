//! The JSON form of a record, as the CLI prints it and the hub's API carries it:
//!
//! ```json
//! {"asn":"0000000000000001","issuer_id":"3104000000000001","type":"purchase","amount":200,
//!  "balance_before":10000,"atc":0,"terminal_id":"112233445566","terminal_serial":1,
//!  "date":"20261127","time":"083000","key_version":1,"algorithm_id":4,"tac":"D41CCE81"}
//! ```
//!
//! Byte fields (ASN, issuer id, terminal id, BCD date and time, TAC) are upper-case hex (either
//! case is read); amounts are integers in fen; `type` is `purchase`, `capp-purchase` or `load`;
//! `atc`, `terminal_serial` (`null` for a load), `key_version` and `algorithm_id` are integers.
//! Unknown fields are refused, and a parsed record is checked as [`TransactionRecord::new`]
//! checks one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date_time::{Date, Time};
use crate::error::RecordError;
use crate::kind::TransactionKind;
use crate::record::{RecordFields, TransactionRecord};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordJson {
    asn: String,
    issuer_id: String,
    #[serde(rename = "type")]
    kind: TransactionKind,
    amount: u32,
    balance_before: u32,
    atc: u16,
    terminal_id: String,
    terminal_serial: Option<u32>,
    date: String,
    time: String,
    key_version: u8,
    algorithm_id: u8,
    tac: String,
}

fn from_hex<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], RecordError> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| RecordError::Hex { field, bytes: N })?;
    Ok(bytes)
}

impl From<&TransactionRecord> for RecordJson {
    fn from(record: &TransactionRecord) -> RecordJson {
        let fields = record.fields();
        RecordJson {
            asn: hex::encode_upper(fields.asn),
            issuer_id: hex::encode_upper(fields.issuer_id),
            kind: fields.kind,
            amount: fields.amount_fen,
            balance_before: fields.balance_before_fen,
            atc: fields.atc,
            terminal_id: hex::encode_upper(fields.terminal_id),
            terminal_serial: fields.terminal_serial,
            date: hex::encode_upper(fields.date.bcd()),
            time: hex::encode_upper(fields.time.bcd()),
            key_version: fields.key_version,
            algorithm_id: fields.algorithm_id,
            tac: hex::encode_upper(fields.tac),
        }
    }
}

impl TryFrom<RecordJson> for TransactionRecord {
    type Error = RecordError;

    fn try_from(json: RecordJson) -> Result<TransactionRecord, RecordError> {
        TransactionRecord::new(RecordFields {
            asn: from_hex("asn", &json.asn)?,
            issuer_id: from_hex("issuer_id", &json.issuer_id)?,
            kind: json.kind,
            amount_fen: json.amount,
            balance_before_fen: json.balance_before,
            atc: json.atc,
            terminal_id: from_hex("terminal_id", &json.terminal_id)?,
            terminal_serial: json.terminal_serial,
            date: Date::from_bcd(from_hex("date", &json.date)?)?,
            time: Time::from_bcd(from_hex("time", &json.time)?)?,
            key_version: json.key_version,
            algorithm_id: json.algorithm_id,
            tac: from_hex("tac", &json.tac)?,
        })
    }
}

impl Serialize for TransactionRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RecordJson::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TransactionRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TransactionRecord, D::Error> {
        let json = RecordJson::deserialize(deserializer)?;
        TransactionRecord::try_from(json).map_err(serde::de::Error::custom)
    }
}

//! The PSAM command set of card.md § SAM (PSAM) commands, as both the emulator and the client
//! speak it: headers, data layouts and the status words that carry each [`SamError`].
//!
//! - `80 70 00 00 1C` INIT SAM FOR PURCHASE: `card-random(4) card-ATC(2) amount(4) type(1)
//!   date(4) time(3) key-version(1) algorithm-id(1) ASN8(8)` → `terminal-serial(4) MAC1(4)`.
//!   The PSAM picks the key set by key version and algorithm id among its issuers; when more
//!   than one issuer matches it answers [`AMBIGUOUS_KEY`].
//! - jinka's extension: `80 70 00 00 24`, the same data with `issuer-id(8)` appended, which
//!   names the key set and also lets the PSAM refuse a card of an issuer it does not serve.
//! - `80 72 00 00 04 MAC2` CREDIT SAM FOR PURCHASE → `9000` or `9302`.
//! - `00 B0 96 00 06` READ BINARY of EF 0x16 (SFI in P1): the terminal id.
//! - jinka's extension: `80 7C 00 00 1D issuer-id(8) ASN8(8) key-version(1) challenge(8)
//!   header(4)` → the MAC(4) of APPLICATION BLOCK. Not in card.md or JR/T 0025; a PSAM that
//!   lacks it answers `6D00`.

use jinka_apdu::StatusWord;

use crate::error::SamError;
use crate::sam::{BlockRequest, PurchaseRequest, PurchaseType};

/// `CLA INS P1 P2` of INIT SAM FOR PURCHASE.
pub const INIT_SAM_FOR_PURCHASE: [u8; 4] = [0x80, 0x70, 0x00, 0x00];
/// Data bytes of INIT SAM FOR PURCHASE as card.md defines it.
pub const INIT_DATA_BYTES: usize = 28;
/// Data bytes of jinka's extended INIT SAM FOR PURCHASE (issuer id appended).
pub const INIT_DATA_BYTES_EXTENDED: usize = 36;
/// Data bytes of the INIT answer: terminal serial(4) MAC1(4).
pub const INIT_ANSWER_BYTES: usize = 8;
/// `CLA INS P1 P2` of CREDIT SAM FOR PURCHASE.
pub const CREDIT_SAM_FOR_PURCHASE: [u8; 4] = [0x80, 0x72, 0x00, 0x00];
/// READ BINARY of the terminal id from EF 0x16.
pub const READ_TERMINAL_ID: [u8; 5] = [0x00, 0xB0, 0x80 | TERMINAL_ID_SFI, 0x00, 0x06];
/// SFI of the PSAM's EF holding the terminal id.
pub const TERMINAL_ID_SFI: u8 = 0x16;
/// `CLA INS P1 P2` of jinka's APPLICATION BLOCK MAC extension.
pub const BLOCK_MAC: [u8; 4] = [0x80, 0x7C, 0x00, 0x00];
/// Data bytes of the APPLICATION BLOCK MAC extension.
pub const BLOCK_MAC_DATA_BYTES: usize = 29;

/// `6A88`: the PSAM holds no keys of the issuer (extended INIT, block MAC).
pub const UNKNOWN_ISSUER: StatusWord = StatusWord::DATA_NOT_FOUND;
/// `9403`: no key set of that key version.
pub const MISSING_KEY_VERSION: StatusWord = StatusWord::KEY_INDEX_NOT_SUPPORTED;
/// `6A81`: an algorithm id that is neither `00` nor `04`.
pub const UNKNOWN_ALGORITHM: StatusWord = StatusWord::FUNCTION_NOT_SUPPORTED;
/// `6984`: the key set of that version has another profile.
pub const ALGORITHM_MISMATCH: StatusWord = StatusWord::DATA_INVALID;
/// `6985` to INIT: several issuers have a key set of that version and algorithm; resend in the
/// extended form.
pub const AMBIGUOUS_KEY: StatusWord = StatusWord::CONDITIONS_NOT_SATISFIED;
/// `6985` to CREDIT: no purchase in progress.
pub const NO_SESSION: StatusWord = StatusWord::CONDITIONS_NOT_SATISFIED;
/// `6A80`: a transaction type that is neither `06` nor `09`.
pub const INVALID_TRANSACTION_TYPE: StatusWord = StatusWord::WRONG_DATA;
/// `9402`: every terminal serial is used.
pub const SERIALS_EXHAUSTED: StatusWord = StatusWord::COUNTER_EXHAUSTED;
/// `6581`: the PSAM could not make its serial counter durable.
pub const STORE_FAILED: StatusWord = StatusWord::MEMORY_FAILURE;
/// `6982`: the PSAM refuses to MAC that command header.
pub const COMMAND_NOT_ALLOWED: StatusWord = StatusWord::SECURITY_NOT_SATISFIED;
/// `6F00`: no precise diagnosis.
pub const NO_DIAGNOSIS: StatusWord = StatusWord(0x6F00);

/// The fields of INIT SAM FOR PURCHASE; `issuer_id` only in the extended form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitSamForPurchase {
    /// The issuer, in jinka's extended form.
    pub issuer_id: Option<[u8; 8]>,
    /// Everything else; `issuer_id` is all zeros when the command has none (card.md's form).
    pub request: PurchaseRequest,
}

impl InitSamForPurchase {
    /// Parses the command data (28 or 36 bytes).
    pub fn parse(data: &[u8]) -> Result<InitSamForPurchase, StatusWord> {
        let (fixed, issuer_id) = match data.len() {
            INIT_DATA_BYTES => (data, None),
            INIT_DATA_BYTES_EXTENDED => {
                let (fixed, issuer) = data.split_at(INIT_DATA_BYTES);
                (fixed, issuer.try_into().ok())
            }
            _ => return Err(StatusWord::WRONG_LENGTH),
        };
        let wrong_length = StatusWord::WRONG_LENGTH;
        let (card_random, rest) = fixed.split_first_chunk::<4>().ok_or(wrong_length)?;
        let (atc, rest) = rest.split_first_chunk::<2>().ok_or(wrong_length)?;
        let (amount, rest) = rest.split_first_chunk::<4>().ok_or(wrong_length)?;
        let (&[code], rest) = rest.split_first_chunk::<1>().ok_or(wrong_length)?;
        let (date, rest) = rest.split_first_chunk::<4>().ok_or(wrong_length)?;
        let (time, rest) = rest.split_first_chunk::<3>().ok_or(wrong_length)?;
        let (&[key_version, algorithm_id], asn8) =
            rest.split_first_chunk::<2>().ok_or(wrong_length)?;
        let asn8: [u8; 8] = asn8.try_into().map_err(|_| wrong_length)?;
        let transaction_type = PurchaseType::from_code(code).ok_or(INVALID_TRANSACTION_TYPE)?;
        Ok(InitSamForPurchase {
            issuer_id,
            request: PurchaseRequest {
                issuer_id: issuer_id.unwrap_or_default(),
                asn8,
                key_version,
                algorithm_id,
                card_random: *card_random,
                card_atc: u16::from_be_bytes(*atc),
                amount_fen: u32::from_be_bytes(*amount),
                transaction_type,
                date: *date,
                time: *time,
            },
        })
    }

    /// Appends the whole APDU (case 4, Le `08`): the extended form when `issuer_id` is set.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let request = &self.request;
        out.extend_from_slice(&INIT_SAM_FOR_PURCHASE);
        out.push(match self.issuer_id {
            Some(_) => INIT_DATA_BYTES_EXTENDED as u8,
            None => INIT_DATA_BYTES as u8,
        });
        out.extend_from_slice(&request.card_random);
        out.extend_from_slice(&request.card_atc.to_be_bytes());
        out.extend_from_slice(&request.amount_fen.to_be_bytes());
        out.push(request.transaction_type.code());
        out.extend_from_slice(&request.date);
        out.extend_from_slice(&request.time);
        out.extend_from_slice(&[request.key_version, request.algorithm_id]);
        out.extend_from_slice(&request.asn8);
        if let Some(issuer_id) = self.issuer_id {
            out.extend_from_slice(&issuer_id);
        }
        out.push(INIT_ANSWER_BYTES as u8);
    }
}

/// Parses the data of the APPLICATION BLOCK MAC extension.
pub fn parse_block_mac(data: &[u8]) -> Result<BlockRequest, StatusWord> {
    let wrong_length = StatusWord::WRONG_LENGTH;
    if data.len() != BLOCK_MAC_DATA_BYTES {
        return Err(wrong_length);
    }
    let (issuer_id, rest) = data.split_first_chunk::<8>().ok_or(wrong_length)?;
    let (asn8, rest) = rest.split_first_chunk::<8>().ok_or(wrong_length)?;
    let (&[key_version], rest) = rest.split_first_chunk::<1>().ok_or(wrong_length)?;
    let (challenge, header) = rest.split_first_chunk::<8>().ok_or(wrong_length)?;
    Ok(BlockRequest {
        issuer_id: *issuer_id,
        asn8: *asn8,
        key_version,
        challenge: *challenge,
        header: header.try_into().map_err(|_| wrong_length)?,
    })
}

/// Appends the whole APDU of the APPLICATION BLOCK MAC extension (case 4, Le `04`).
pub fn encode_block_mac(request: &BlockRequest, out: &mut Vec<u8>) {
    out.extend_from_slice(&BLOCK_MAC);
    out.push(BLOCK_MAC_DATA_BYTES as u8);
    out.extend_from_slice(&request.issuer_id);
    out.extend_from_slice(&request.asn8);
    out.push(request.key_version);
    out.extend_from_slice(&request.challenge);
    out.extend_from_slice(&request.header);
    out.push(4);
}

/// The status word the PSAM answers a refusal with.
pub fn status_of(error: &SamError) -> StatusWord {
    match error {
        SamError::UnknownIssuer { .. } => UNKNOWN_ISSUER,
        SamError::MissingKeyVersion { .. } => MISSING_KEY_VERSION,
        SamError::UnknownAlgorithm { .. } => UNKNOWN_ALGORITHM,
        SamError::AlgorithmMismatch { .. } => ALGORITHM_MISMATCH,
        SamError::Mac2Invalid => StatusWord::MAC_INVALID,
        SamError::NoSession => NO_SESSION,
        SamError::CommandNotAllowed { .. } => COMMAND_NOT_ALLOWED,
        SamError::SerialsExhausted => SERIALS_EXHAUSTED,
        SamError::Store(_) => STORE_FAILED,
        SamError::Transport(_)
        | SamError::Unsupported { .. }
        | SamError::UnexpectedStatus { .. }
        | SamError::MalformedResponse { .. } => NO_DIAGNOSIS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PurchaseRequest {
        PurchaseRequest {
            issuer_id: [9; 8],
            asn8: [1, 2, 3, 4, 5, 6, 7, 8],
            key_version: 3,
            algorithm_id: 4,
            card_random: [0xA, 0xB, 0xC, 0xD],
            card_atc: 0x1234,
            amount_fen: 0x0102_0304,
            transaction_type: PurchaseType::CappPurchase,
            date: [0x20, 0x26, 0x11, 0x27],
            time: [0x08, 0x30, 0x00],
        }
    }

    #[test]
    fn init_encodes_as_card_md_lays_it_out() {
        let mut bytes = Vec::new();
        let command = InitSamForPurchase {
            issuer_id: None,
            request: request(),
        };
        command.encode(&mut bytes);
        let expected = hex::decode(
            "8070 0000 1C 0A0B0C0D 1234 01020304 09 20261127 083000 03 04 0102030405060708 08"
                .replace(' ', ""),
        )
        .unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(
            InitSamForPurchase::parse(&bytes[5..33]).unwrap(),
            InitSamForPurchase {
                issuer_id: None,
                request: PurchaseRequest {
                    issuer_id: [0; 8],
                    ..request()
                }
            }
        );
    }

    #[test]
    fn bad_init_data_gets_a_status_word() {
        assert_eq!(
            InitSamForPurchase::parse(&[0; 27]),
            Err(StatusWord::WRONG_LENGTH)
        );
        let mut data = [0u8; 28];
        data[10] = 0x02;
        assert_eq!(
            InitSamForPurchase::parse(&data),
            Err(INVALID_TRANSACTION_TYPE)
        );
    }
}

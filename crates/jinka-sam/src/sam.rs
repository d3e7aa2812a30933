//! The one interface a terminal drives, whichever form its SAM takes.

use crate::error::SamError;

/// Bytes of a terminal id.
pub const TERMINAL_ID_BYTES: usize = 6;

/// The one command the SAM MACs under the maintenance key: `APPLICATION BLOCK` (`84 1E 00 00`),
/// which a terminal sends to a card it found on the blacklist. Any other header is refused,
/// so that a terminal's SAM is never an oracle for, say, `APPLICATION UNBLOCK`.
pub const APPLICATION_BLOCK_HEADER: [u8; 4] = [0x84, 0x1E, 0x00, 0x00];

/// The transaction type of a purchase, which MAC1 covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PurchaseType {
    /// `06`: a purchase (`INITIALIZE FOR PURCHASE`, P1 `01`).
    Purchase,
    /// `09`: a compound (CAPP, transit) purchase (`INITIALIZE FOR CAPP PURCHASE`, P1 `03`).
    CappPurchase,
}

impl PurchaseType {
    /// The type byte.
    pub const fn code(self) -> u8 {
        match self {
            PurchaseType::Purchase => 0x06,
            PurchaseType::CappPurchase => 0x09,
        }
    }

    /// The type for a type byte, if it is a purchase type.
    pub const fn from_code(code: u8) -> Option<PurchaseType> {
        match code {
            0x06 => Some(PurchaseType::Purchase),
            0x09 => Some(PurchaseType::CappPurchase),
            _ => None,
        }
    }
}

/// What the terminal learnt from the card (EF 0x15 and the INITIALIZE FOR PURCHASE answer) and
/// what it is about to ask: everything the SAM needs for MAC1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// Issuer id, EF 0x15 bytes 0..8.
    pub issuer_id: [u8; 8],
    /// ASN8, EF 0x15 bytes 12..20 (the last 8 bytes of the application serial).
    pub asn8: [u8; 8],
    /// Key version from the INITIALIZE answer.
    pub key_version: u8,
    /// Algorithm id from the INITIALIZE answer (`00` des3, `04` sm4).
    pub algorithm_id: u8,
    /// The card's random from the INITIALIZE answer.
    pub card_random: [u8; 4],
    /// The card's offline ATC from the INITIALIZE answer.
    pub card_atc: u16,
    /// The amount of the purchase, in fen.
    pub amount_fen: u32,
    /// Purchase or compound purchase.
    pub transaction_type: PurchaseType,
    /// Transaction date, BCD `YYYYMMDD`.
    pub date: [u8; 4],
    /// Transaction time, BCD `HHMMSS`.
    pub time: [u8; 3],
}

/// The SAM's answer to [`Sam::init_purchase`]: what goes into `DEBIT FOR PURCHASE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseAuthorization {
    /// The terminal transaction serial, never handed out before by this SAM.
    pub terminal_serial: u32,
    /// MAC1.
    pub mac1: [u8; 4],
}

/// A request for the MAC of `APPLICATION BLOCK` (`84 1E 00 00 04 MAC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRequest {
    /// Issuer id, EF 0x15 bytes 0..8.
    pub issuer_id: [u8; 8],
    /// ASN8 of the card.
    pub asn8: [u8; 8],
    /// Version of the issuer's maintenance master key the card's DAMK was made from (the
    /// version the card reports in INITIALIZE).
    pub key_version: u8,
    /// The card's challenge: `GET CHALLENGE` with Le 4 gives 4 bytes, used as
    /// `random(4) ‖ 00 00 00 00`.
    pub challenge: [u8; 8],
    /// `CLA INS P1 P2` of the command; only [`APPLICATION_BLOCK_HEADER`] is accepted.
    pub header: [u8; 4],
}

/// A SAM: the software SAM ([`crate::SoftwareSam`]) or a card-form PSAM behind
/// [`crate::PsamClient`]. A terminal holds one and drives purchases through it.
///
/// A purchase is `init_purchase` (MAC1 for `DEBIT FOR PURCHASE`), then `check_mac2` with the
/// card's MAC2. A new `init_purchase` abandons a purchase whose MAC2 was never checked.
pub trait Sam {
    /// The terminal id (6 bytes) the SAM MACs into every purchase.
    fn terminal_id(&self) -> [u8; TERMINAL_ID_BYTES];

    /// JR/T 0025 purchase, SAM side: takes the next terminal transaction serial, derives
    /// `DPK = diversify(MPK, ASN8)` and `SESPK = session_key(DPK, random ‖ ATC ‖ serial[2..4])`,
    /// answers `MAC1 = MAC(SESPK, amount ‖ type ‖ terminal id ‖ date ‖ time)` and keeps SESPK
    /// for the MAC2 check. A refused request takes no serial.
    fn init_purchase(
        &mut self,
        request: &PurchaseRequest,
    ) -> Result<PurchaseAuthorization, SamError>;

    /// Checks the card's `MAC2 = MAC(SESPK, amount)` in constant time. The purchase in progress
    /// ends here whatever the outcome.
    fn check_mac2(&mut self, mac2: [u8; 4]) -> Result<(), SamError>;

    /// The MAC of `APPLICATION BLOCK` under the card's `DAMK = diversify(maintenance master,
    /// ASN8)`: `jinka_card::secure_messaging::command_mac` over the card's challenge, the
    /// header and an empty payload.
    fn block_mac(&mut self, request: &BlockRequest) -> Result<[u8; 4], SamError>;
}

impl<S: Sam + ?Sized> Sam for &mut S {
    fn terminal_id(&self) -> [u8; TERMINAL_ID_BYTES] {
        (**self).terminal_id()
    }

    fn init_purchase(
        &mut self,
        request: &PurchaseRequest,
    ) -> Result<PurchaseAuthorization, SamError> {
        (**self).init_purchase(request)
    }

    fn check_mac2(&mut self, mac2: [u8; 4]) -> Result<(), SamError> {
        (**self).check_mac2(mac2)
    }

    fn block_mac(&mut self, request: &BlockRequest) -> Result<[u8; 4], SamError> {
        (**self).block_mac(request)
    }
}

//! The SAM's half of a JR/T 0025 purchase: MAC1 out, MAC2 in, under the session key SESPK.

use jinka_crypto::{MacKey, diversify, mac_eq, session_key};

use crate::error::SamError;
use crate::key_table::IssuerMasterKeys;
use crate::sam::{PurchaseRequest, TERMINAL_ID_BYTES};

/// A purchase between MAC1 and MAC2: SESPK and the amount MAC2 covers.
#[derive(Debug)]
pub(crate) struct PurchaseSession {
    session_key: MacKey,
    amount_fen: u32,
}

impl PurchaseSession {
    /// Derives `DPK = diversify(MPK, ASN8)` and
    /// `SESPK = session_key(DPK, random(4) ‖ ATC(2) ‖ serial[2..4])` (card.md purchase step 3)
    /// and computes `MAC1 = MAC(SESPK, amount(4) ‖ type(1) ‖ terminal id(6) ‖ date(4) ‖ time(3))`.
    pub(crate) fn begin(
        keys: &IssuerMasterKeys,
        request: &PurchaseRequest,
        terminal_serial: u32,
        terminal_id: &[u8; TERMINAL_ID_BYTES],
    ) -> (PurchaseSession, [u8; 4]) {
        let dpk = diversify(keys.profile, &keys.purchase, &request.asn8);
        let [r0, r1, r2, r3] = request.card_random;
        let [a0, a1] = request.card_atc.to_be_bytes();
        let [_, _, s2, s3] = terminal_serial.to_be_bytes();
        let session_key = session_key(keys.profile, &dpk, &[r0, r1, r2, r3, a0, a1, s2, s3]);
        let mac1 = session_key.mac(&[
            &request.amount_fen.to_be_bytes(),
            &[request.transaction_type.code()],
            terminal_id,
            &request.date,
            &request.time,
        ]);
        let session = PurchaseSession {
            session_key,
            amount_fen: request.amount_fen,
        };
        (session, mac1)
    }

    /// Checks `MAC2 = MAC(SESPK, amount(4))` (card.md purchase step 4) in constant time.
    pub(crate) fn check_mac2(self, mac2: &[u8; 4]) -> Result<(), SamError> {
        let expected = self.session_key.mac(&[&self.amount_fen.to_be_bytes()]);
        if mac_eq(&expected, mac2) {
            Ok(())
        } else {
            Err(SamError::Mac2Invalid)
        }
    }
}

//! The MAC of `APPLICATION BLOCK` (`84 1E 00 00 04 MAC`), which the card checks under its
//! application maintenance key DAMK (key index 0 of the e-purse).

use jinka_card::secure_messaging::command_mac;
use jinka_crypto::diversify;

use crate::error::SamError;
use crate::key_table::IssuerMasterKeys;
use crate::sam::{APPLICATION_BLOCK_HEADER, BlockRequest};

/// Refuses any header but [`APPLICATION_BLOCK_HEADER`].
pub(crate) fn check_header(header: [u8; 4]) -> Result<(), SamError> {
    if header == APPLICATION_BLOCK_HEADER {
        Ok(())
    } else {
        Err(SamError::CommandNotAllowed { header })
    }
}

/// `command_mac(profile, DAMK, challenge, header, [])` with `DAMK = diversify(maintenance
/// master, ASN8)`, as the e-purse template installs it.
pub(crate) fn block_mac(keys: &IssuerMasterKeys, request: &BlockRequest) -> [u8; 4] {
    let damk = diversify(keys.profile, &keys.maintenance, &request.asn8);
    command_mac(keys.profile, &damk, &request.challenge, request.header, &[])
}

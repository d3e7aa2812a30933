//! The MACs that authenticate commands: secure messaging under an application key (over a
//! card challenge) and management under the card manager key (over a sequence counter).
//!
//! Both MAC `CLA INS P1 P2 ‖ Lc(2, big-endian, counting the MAC) ‖ payload` with the retail
//! MAC (`des3`) or SM4 CBC-MAC (`sm4`), padding method 2, first 4 bytes. Secure messaging puts
//! the 8-byte challenge in front; management puts its 4-byte counter after the payload (the
//! counter is sent, so a script can be made in advance and still never replays).

use jinka_crypto::{Key16, MacKey, Profile};

/// MAC bytes at the end of an authenticated command.
pub const MAC_BYTES: usize = 4;
/// Counter bytes of a management command.
pub const COUNTER_BYTES: usize = 4;

/// The MAC of an application-level secure-messaging command.
pub fn command_mac(
    profile: Profile,
    key: &Key16,
    challenge: &[u8; 8],
    header: [u8; 4],
    payload: &[u8],
) -> [u8; 4] {
    let lc = ((payload.len() + MAC_BYTES) as u16).to_be_bytes();
    MacKey::secure_messaging(profile, key).mac(&[challenge, &header, &lc, payload])
}

/// The MAC of a management command under the card manager key.
pub fn management_mac(
    profile: Profile,
    key: &Key16,
    header: [u8; 4],
    payload: &[u8],
    counter: u32,
) -> [u8; 4] {
    let lc = ((payload.len() + COUNTER_BYTES + MAC_BYTES) as u16).to_be_bytes();
    MacKey::secure_messaging(profile, key).mac(&[&header, &lc, payload, &counter.to_be_bytes()])
}

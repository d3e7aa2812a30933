//! The PBOC MAC: ISO/IEC 9797-1 padding method 2 (`80 00…`, always applied), CBC with IV 0,
//! the first 4 bytes of the last block. No published crate pads and truncates this way.

use des::cipher::{BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};
use sm4::Sm4;
use subtle::ConstantTimeEq;

use crate::key::Key16;
use crate::profile::Profile;

/// A key ready to MAC with; the cipher's key schedule is computed once, here.
///
/// The ciphers zeroize their round keys on drop.
pub struct MacKey(Inner);

enum Inner {
    /// Single-DES CBC-MAC: `des3` session and TAC keys.
    Des(Des),
    /// ISO/IEC 9797-1 MAC algorithm 3 (single-DES CBC, 3DES on the last block): `des3`
    /// secure messaging under a 16-byte card key.
    Retail(Des, Box<TdesEde2>),
    /// SM4 CBC-MAC: every `sm4` MAC.
    Sm4(Sm4),
}

impl core::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MacKey(***)")
    }
}

impl MacKey {
    /// A single-DES MAC key (the `des3` session and TAC keys).
    pub fn des(key: &[u8; 8]) -> MacKey {
        MacKey(Inner::Des(Des::new(key.into())))
    }

    /// An SM4 MAC key.
    pub fn sm4(key: &Key16) -> MacKey {
        MacKey(Inner::Sm4(Sm4::new(key.as_bytes().into())))
    }

    /// The MAC key of secure messaging under a 16-byte card key: the retail MAC for `des3`,
    /// SM4 CBC-MAC for `sm4`.
    pub fn secure_messaging(profile: Profile, key: &Key16) -> MacKey {
        match profile {
            Profile::Des3 => {
                let bytes = key.as_bytes();
                let mut first = [0u8; 8];
                first.copy_from_slice(&bytes[..8]);
                let des = Des::new((&first).into());
                zeroize::Zeroize::zeroize(&mut first);
                MacKey(Inner::Retail(des, Box::new(TdesEde2::new(bytes.into()))))
            }
            Profile::Sm4 => MacKey::sm4(key),
        }
    }

    /// The 4-byte MAC of the concatenation of `parts`, without copying them together.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 4] {
        match &self.0 {
            Inner::Des(des) => cbc_mac::<8>(
                parts,
                |b| des.encrypt_block(b.into()),
                |b| des.encrypt_block(b.into()),
            ),
            Inner::Retail(des, tdes) => cbc_mac::<8>(
                parts,
                |b| des.encrypt_block(b.into()),
                |b| tdes.encrypt_block(b.into()),
            ),
            Inner::Sm4(sm4) => cbc_mac::<16>(
                parts,
                |b| sm4.encrypt_block(b.into()),
                |b| sm4.encrypt_block(b.into()),
            ),
        }
    }
}

/// CBC-MAC with padding method 2. `middle` encrypts every block but the last, `last` the last:
/// since padding always adds a byte, a block filled by the data is never the last one.
fn cbc_mac<const N: usize>(
    parts: &[&[u8]],
    middle: impl Fn(&mut [u8; N]),
    last: impl Fn(&mut [u8; N]),
) -> [u8; 4] {
    let mut chain = [0u8; N];
    let mut filled = 0usize;
    for part in parts {
        for byte in *part {
            chain[filled] ^= byte;
            filled += 1;
            if filled == N {
                middle(&mut chain);
                filled = 0;
            }
        }
    }
    chain[filled] ^= 0x80;
    last(&mut chain);
    [chain[0], chain[1], chain[2], chain[3]]
}

/// Compares two MACs in constant time.
pub fn mac_eq(left: &[u8; 4], right: &[u8; 4]) -> bool {
    left.ct_eq(right).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_input_gives_the_same_mac() {
        let key = MacKey::sm4(&Key16::new([3; 16]));
        let data: Vec<u8> = (0u8..40).collect();
        let whole = key.mac(&[&data]);
        assert_eq!(key.mac(&[&data[..7], &data[7..16], &data[16..]]), whole);
        assert_eq!(key.mac(&[&[], &data, &[]]), whole);
    }

    #[test]
    fn padding_is_always_applied() {
        // A whole block of data is followed by a whole block of padding, so the MAC of 16
        // bytes differs from the plain one-block encryption of those bytes.
        let key = Key16::new([9; 16]);
        let mac_key = MacKey::sm4(&key);
        let data = [0x41u8; 16];
        let mut single = data;
        Sm4::new(key.as_bytes().into()).encrypt_block((&mut single).into());
        assert_ne!(
            mac_key.mac(&[&data]),
            [single[0], single[1], single[2], single[3]]
        );
        // And the MAC of 15 bytes equals the encryption of those bytes with 80 appended.
        let mut padded = [0x41u8; 16];
        padded[15] = 0x80;
        Sm4::new(key.as_bytes().into()).encrypt_block((&mut padded).into());
        assert_eq!(
            mac_key.mac(&[&data[..15]]),
            [padded[0], padded[1], padded[2], padded[3]]
        );
    }

    #[test]
    fn mac_eq_compares_every_byte() {
        assert!(mac_eq(&[1, 2, 3, 4], &[1, 2, 3, 4]));
        assert!(!mac_eq(&[1, 2, 3, 4], &[1, 2, 3, 5]));
        assert!(!mac_eq(&[0, 2, 3, 4], &[1, 2, 3, 4]));
    }

    #[test]
    fn retail_mac_equals_des_cbc_when_halves_match() {
        // With K1 = K2 the retail MAC degenerates to single-DES CBC-MAC under K1.
        let key = Key16::new([
            0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1, 0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC,
            0xDF, 0xF1,
        ]);
        let retail = MacKey::secure_messaging(Profile::Des3, &key);
        let single = MacKey::des(&[0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1]);
        let data = b"jinka secure messaging";
        assert_eq!(retail.mac(&[data]), single.mac(&[data]));
    }
}

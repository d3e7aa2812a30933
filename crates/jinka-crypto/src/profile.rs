//! The two profiles and the key derivations of `card.md` § Cryptographic profiles.

use des::TdesEde2;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use sm4::Sm4;
use zeroize::Zeroize;

use crate::key::Key16;
use crate::mac::MacKey;

/// A cryptographic profile of the e-purse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Two-key 3DES card keys, single-DES session keys and MACs (algorithm id `00`).
    Des3,
    /// SM4 everywhere (algorithm id `04`).
    Sm4,
}

impl Profile {
    /// The algorithm id the card reports in INITIALIZE answers.
    pub const fn algorithm_id(self) -> u8 {
        match self {
            Profile::Des3 => 0x00,
            Profile::Sm4 => 0x04,
        }
    }

    /// The profile for an algorithm id, if it is one of ours.
    pub const fn from_algorithm_id(id: u8) -> Option<Profile> {
        match id {
            0x00 => Some(Profile::Des3),
            0x04 => Some(Profile::Sm4),
            _ => None,
        }
    }

    /// The profile's name as written in key files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Des3 => "des3",
            Profile::Sm4 => "sm4",
        }
    }

    /// Parses `des3` or `sm4`.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "des3" => Some(Profile::Des3),
            "sm4" => Some(Profile::Sm4),
            _ => None,
        }
    }

    /// The block length of the profile's cipher in bytes (8 or 16).
    pub const fn block_len(self) -> usize {
        match self {
            Profile::Des3 => 8,
            Profile::Sm4 => 16,
        }
    }

    /// Encrypts `input8` and its complement under a 16-byte key: for `des3` the two 3DES blocks
    /// `3DES(K, x) ‖ 3DES(K, x ⊕ FF…)`, for `sm4` the one block `SM4(K, x ‖ x ⊕ FF…)`. This is
    /// the diversification function and also the cryptogram of INTERNAL / EXTERNAL AUTHENTICATE.
    pub fn expand(self, key: &Key16, input8: &[u8; 8]) -> Key16 {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(input8);
        for (out, byte) in block[8..].iter_mut().zip(input8) {
            *out = !byte;
        }
        match self {
            Profile::Des3 => {
                let cipher = TdesEde2::new(key.as_bytes().into());
                let (left, right) = block.split_at_mut(8);
                let left: &mut [u8; 8] = left.try_into().expect("split at 8 of 16");
                let right: &mut [u8; 8] = right.try_into().expect("split at 8 of 16");
                cipher.encrypt_block(left.into());
                cipher.encrypt_block(right.into());
            }
            Profile::Sm4 => {
                let cipher = Sm4::new(key.as_bytes().into());
                cipher.encrypt_block((&mut block).into());
            }
        }
        let key = Key16::new(block);
        block.zeroize();
        key
    }

    /// Encrypts one 16-byte key value under a key-encryption key in ECB mode (two 3DES blocks
    /// or one SM4 block): how application keys travel to the card, never in clear.
    pub fn encrypt_key(self, kek: &Key16, key: &Key16) -> [u8; 16] {
        let mut block = *key.as_bytes();
        match self {
            Profile::Des3 => {
                let cipher = TdesEde2::new(kek.as_bytes().into());
                for half in block.chunks_exact_mut(8) {
                    let half: &mut [u8; 8] = half.try_into().expect("chunks of 8");
                    cipher.encrypt_block(half.into());
                }
            }
            Profile::Sm4 => {
                Sm4::new(kek.as_bytes().into()).encrypt_block((&mut block).into());
            }
        }
        block
    }

    /// The inverse of [`Profile::encrypt_key`].
    pub fn decrypt_key(self, kek: &Key16, wrapped: &[u8; 16]) -> Key16 {
        use des::cipher::BlockCipherDecrypt;
        let mut block = *wrapped;
        match self {
            Profile::Des3 => {
                let cipher = TdesEde2::new(kek.as_bytes().into());
                for half in block.chunks_exact_mut(8) {
                    let half: &mut [u8; 8] = half.try_into().expect("chunks of 8");
                    cipher.decrypt_block(half.into());
                }
            }
            Profile::Sm4 => {
                Sm4::new(kek.as_bytes().into()).decrypt_block((&mut block).into());
            }
        }
        let key = Key16::new(block);
        block.zeroize();
        key
    }
}

/// Diversifies an issuer master key by the card's ASN8 into the card key (DPK, DLK, DTK, ...).
pub fn diversify(profile: Profile, master: &Key16, asn8: &[u8; 8]) -> Key16 {
    profile.expand(master, asn8)
}

/// The session key of a purchase (`random ‖ offline ATC ‖ terminal serial[2..4]`) or a load
/// (`random ‖ online ATC ‖ 80 00`): for `des3` one 3DES block used as a single-DES key, for
/// `sm4` one SM4 block.
pub fn session_key(profile: Profile, card_key: &Key16, input8: &[u8; 8]) -> MacKey {
    match profile {
        Profile::Des3 => {
            let mut block = *input8;
            TdesEde2::new(card_key.as_bytes().into()).encrypt_block((&mut block).into());
            let key = MacKey::des(&block);
            block.zeroize();
            key
        }
        Profile::Sm4 => {
            let mut expanded = profile.expand(card_key, input8);
            let key = MacKey::sm4(&expanded);
            expanded.zeroize();
            key
        }
    }
}

/// The key the card computes TAC with: `DTK[0..8] ⊕ DTK[8..16]` as a single-DES key for `des3`,
/// DTK itself for `sm4`.
pub fn tac_key(profile: Profile, dtk: &Key16) -> MacKey {
    match profile {
        Profile::Des3 => {
            let bytes = dtk.as_bytes();
            let mut folded = [0u8; 8];
            for (i, out) in folded.iter_mut().enumerate() {
                *out = bytes[i] ^ bytes[i + 8];
            }
            let key = MacKey::des(&folded);
            folded.zeroize();
            key
        }
        Profile::Sm4 => MacKey::sm4(dtk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_ids_round_trip() {
        for profile in [Profile::Des3, Profile::Sm4] {
            assert_eq!(
                Profile::from_algorithm_id(profile.algorithm_id()),
                Some(profile)
            );
            assert_eq!(Profile::from_name(profile.name()), Some(profile));
        }
        assert_eq!(Profile::from_algorithm_id(0x01), None);
        assert_eq!(Profile::from_name("aes"), None);
    }

    #[test]
    fn wrapped_keys_unwrap() {
        let kek = Key16::new([7; 16]);
        let key = Key16::new(*b"0123456789abcdef");
        for profile in [Profile::Des3, Profile::Sm4] {
            let wrapped = profile.encrypt_key(&kek, &key);
            assert_ne!(&wrapped, key.as_bytes());
            assert_eq!(profile.decrypt_key(&kek, &wrapped), key);
        }
    }
}

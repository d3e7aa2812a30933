//! Encryption at rest under a key-encryption key (KEK): SM4-CTR, then HMAC-SM3 over
//! everything (encrypt-then-MAC), as a versioned JSON envelope named by its `format` (the SAM
//! file is `jinka-sam-sealed`; each use names its own, so an envelope of one kind never opens
//! as another).
//!
//! ```json
//! { "format": "jinka-sam-sealed", "version": 1, "cipher": "SM4-CTR+HMAC-SM3",
//!   "kek_check": "…16 hex…", "nonce": "…32 hex…", "ciphertext": "…", "tag": "…64 hex…" }
//! ```
//!
//! - Keys: the encryption key (first 16 bytes), the MAC key and the KEK check value (first 8
//!   bytes) are HMAC-SM3(KEK, format ‖ label) for three distinct labels, so no key serves two
//!   purposes or two formats.
//! - The nonce is 16 random bytes, the initial counter block (GB/T 17964 CTR, 128-bit
//!   big-endian counter): the SAM state is a few kilobytes, saved a few times a day.
//! - The tag covers the format, version, KEK check value, nonce and ciphertext, and is checked
//!   (in constant time) before anything is decrypted.
//! - The KEK check value tells a wrong KEK from a tampered file; it reveals nothing that the tag
//!   does not already allow testing a guessed KEK against.

use crate::Key16;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sm3::Sm3;
use sm4::Sm4;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use ctr::cipher::{KeyIvInit, StreamCipher};

/// The `version` field this crate writes and reads.
pub const SEALED_VERSION: u32 = 1;
/// The `cipher` field.
pub const SEALED_CIPHER: &str = "SM4-CTR+HMAC-SM3";
/// Bytes of the nonce (the initial counter block).
pub const NONCE_BYTES: usize = 16;

const KEK_CHECK_BYTES: usize = 8;
const TAG_BYTES: usize = 32;
const LABEL_ENCRYPTION: &[u8] = b" encryption key";
const LABEL_AUTHENTICATION: &[u8] = b" authentication key";
const LABEL_CHECK: &[u8] = b" key check value";

type HmacSm3 = Hmac<Sm3>;
type Sm4Ctr = ctr::Ctr128BE<Sm4>;

/// Why a sealed envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Not a well-formed envelope.
    Malformed(&'static str),
    /// A version this code does not read.
    UnsupportedVersion(u32),
    /// The KEK check value differs: a different KEK sealed it.
    WrongKek,
    /// The tag does not verify: the file was altered.
    Tampered,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    cipher: String,
    kek_check: String,
    nonce: String,
    ciphertext: String,
    tag: String,
}

/// HMAC-SM3(key, parts…).
fn hmac_sm3(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let mut mac = <HmacSm3 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn kek_check(format: &str, kek: &Key16) -> [u8; KEK_CHECK_BYTES] {
    let full = hmac_sm3(kek.as_bytes(), &[format.as_bytes(), LABEL_CHECK]);
    let mut check = [0u8; KEK_CHECK_BYTES];
    check.copy_from_slice(&full[..KEK_CHECK_BYTES]);
    check
}

fn apply_keystream(format: &str, kek: &Key16, nonce: &[u8; NONCE_BYTES], data: &mut [u8]) {
    let full = hmac_sm3(kek.as_bytes(), &[format.as_bytes(), LABEL_ENCRYPTION]);
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&full[..16]);
    let mut cipher = Sm4Ctr::new((&*key).into(), nonce.into());
    cipher.apply_keystream(data);
}

fn tag(
    format: &str,
    kek: &Key16,
    check: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Zeroizing<[u8; TAG_BYTES]> {
    let key = hmac_sm3(kek.as_bytes(), &[format.as_bytes(), LABEL_AUTHENTICATION]);
    hmac_sm3(
        &*key,
        &[
            format.as_bytes(),
            &SEALED_VERSION.to_be_bytes(),
            check,
            nonce,
            ciphertext,
        ],
    )
}

/// Seals `plaintext` under `kek` with `nonce` (16 fresh random bytes) as an envelope of
/// `format`: the envelope's JSON text.
pub fn seal(format: &str, plaintext: &[u8], kek: &Key16, nonce: &[u8; NONCE_BYTES]) -> String {
    let mut ciphertext = plaintext.to_vec();
    apply_keystream(format, kek, nonce, &mut ciphertext);
    let check = kek_check(format, kek);
    let tag = tag(format, kek, &check, nonce, &ciphertext);
    let envelope = Envelope {
        format: format.to_owned(),
        version: SEALED_VERSION,
        cipher: SEALED_CIPHER.to_owned(),
        kek_check: hex::encode_upper(check),
        nonce: hex::encode_upper(nonce),
        ciphertext: hex::encode_upper(&ciphertext),
        tag: hex::encode_upper(*tag),
    };
    let mut text = serde_json::to_string_pretty(&envelope).expect("an envelope serializes");
    text.push('\n');
    text
}

/// Opens an envelope of `format`: the plaintext, only if the tag verifies under `kek`.
pub fn open(format: &str, text: &str, kek: &Key16) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|_| OpenError::Malformed("not a sealed envelope"))?;
    if envelope.format != format {
        return Err(OpenError::Malformed("another kind of sealed envelope"));
    }
    if envelope.version != SEALED_VERSION {
        return Err(OpenError::UnsupportedVersion(envelope.version));
    }
    if envelope.cipher != SEALED_CIPHER {
        return Err(OpenError::Malformed("cipher must be \"SM4-CTR+HMAC-SM3\""));
    }
    let field =
        |text: &str, what: &'static str| hex::decode(text).map_err(|_| OpenError::Malformed(what));
    let check = field(&envelope.kek_check, "kek_check must be hex")?;
    let nonce: [u8; NONCE_BYTES] = field(&envelope.nonce, "nonce must be hex")?
        .try_into()
        .map_err(|_| OpenError::Malformed("nonce must be 32 hex digits"))?;
    let mut plaintext = Zeroizing::new(field(&envelope.ciphertext, "ciphertext must be hex")?);
    let presented = field(&envelope.tag, "tag must be hex")?;
    if !bool::from(kek_check(format, kek).ct_eq(check.as_slice())) {
        return Err(OpenError::WrongKek);
    }
    let expected = tag(format, kek, &check, &nonce, &plaintext);
    if !bool::from(expected.ct_eq(presented.as_slice())) {
        return Err(OpenError::Tampered);
    }
    apply_keystream(format, kek, &nonce, &mut plaintext);
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; NONCE_BYTES] = [7; NONCE_BYTES];
    const F: &str = "jinka-test-sealed";

    #[test]
    fn an_envelope_of_one_format_does_not_open_as_another() {
        let kek = Key16::new([1; 16]);
        let text = seal(F, b"x", &kek, &NONCE);
        assert!(matches!(
            open("jinka-other-sealed", &text, &kek),
            Err(OpenError::Malformed(_))
        ));
        let renamed = text.replace(F, "jinka-other-sealed");
        assert_eq!(
            open("jinka-other-sealed", &renamed, &kek),
            Err(OpenError::WrongKek)
        );
    }

    #[test]
    fn seals_and_opens() {
        let kek = Key16::new([1; 16]);
        let text = seal(F, b"{\"secret\": 1}", &kek, &NONCE);
        assert!(!text.contains("secret"));
        assert_eq!(open(F, &text, &kek).unwrap().as_slice(), b"{\"secret\": 1}");
    }

    #[test]
    fn a_wrong_kek_and_a_flipped_bit_are_told_apart() {
        let kek = Key16::new([1; 16]);
        let text = seal(F, b"plaintext", &kek, &NONCE);
        assert_eq!(
            open(F, &text, &Key16::new([2; 16])),
            Err(OpenError::WrongKek)
        );
        let envelope: Envelope = serde_json::from_str(&text).unwrap();
        let mut ciphertext = hex::decode(&envelope.ciphertext).unwrap();
        ciphertext[0] ^= 1;
        let tampered = text.replace(&envelope.ciphertext, &hex::encode_upper(&ciphertext));
        assert_eq!(open(F, &tampered, &kek), Err(OpenError::Tampered));
        let other_nonce = text.replace(&envelope.nonce, &hex::encode_upper([8u8; 16]));
        assert_eq!(open(F, &other_nonce, &kek), Err(OpenError::Tampered));
        assert!(matches!(open(F, "{", &kek), Err(OpenError::Malformed(_))));
    }

    #[test]
    fn sm4_ctr_matches_a_hand_made_counter_mode() {
        // The keystream block i is SM4(K, nonce + i): check the first two blocks by hand.
        use sm4::cipher::BlockCipherEncrypt;
        let kek = Key16::new([3; 16]);
        let mut data = [0u8; 32];
        apply_keystream(F, &kek, &NONCE, &mut data);
        let full = hmac_sm3(kek.as_bytes(), &[F.as_bytes(), LABEL_ENCRYPTION]);
        let key: [u8; 16] = full[..16].try_into().unwrap();
        let cipher = <Sm4 as sm4::cipher::KeyInit>::new((&key).into());
        let mut block = NONCE;
        cipher.encrypt_block((&mut block).into());
        assert_eq!(&data[..16], &block);
        let mut block = NONCE;
        block[15] += 1;
        cipher.encrypt_block((&mut block).into());
        assert_eq!(&data[16..], &block);
    }
}

//! The SAM file's sealing: [`jinka_crypto::sealing`] under the format `jinka-sam-sealed`.

use jinka_crypto::Key16;
pub(crate) use jinka_crypto::sealing::OpenError;
pub use jinka_crypto::sealing::{NONCE_BYTES, SEALED_CIPHER, SEALED_VERSION};
use zeroize::Zeroizing;

/// The `format` field of a sealed SAM file.
pub const SEALED_FORMAT: &str = "jinka-sam-sealed";

/// Seals the SAM state text.
pub(crate) fn seal(plaintext: &[u8], kek: &Key16, nonce: &[u8; NONCE_BYTES]) -> String {
    jinka_crypto::sealing::seal(SEALED_FORMAT, plaintext, kek, nonce)
}

/// Opens a sealed SAM file.
pub(crate) fn open(text: &str, kek: &Key16) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    jinka_crypto::sealing::open(SEALED_FORMAT, text, kek)
}

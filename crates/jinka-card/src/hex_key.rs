//! Serde for keys inside card images: hex text. Only the image codec uses it; a card image is a
//! secret file (mode 0600) for this reason.

use jinka_crypto::Key16;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(key: &Key16, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&key.to_hex())
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Key16, D::Error> {
    let text = zeroize::Zeroizing::new(String::deserialize(deserializer)?);
    Key16::from_hex(&text).map_err(serde::de::Error::custom)
}

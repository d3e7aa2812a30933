//! Dispositions that stay until unset (EPCIS 2.0 `persistentDisposition`).

use crate::disposition::Disposition;

/// Dispositions the event sets and unsets on its objects, which persist across later events
/// (EPCIS 2.0 §7.3.2, e.g. `completeness_verified`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PersistentDisposition {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<Disposition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<Disposition>,
}

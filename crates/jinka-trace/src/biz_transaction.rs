//! Business transactions an event belongs to (EPCIS `bizTransactionList`, CBV 2.0 §7.3).

use crate::cbv::vocabulary;
use crate::uri::Uri;

vocabulary! {
    /// The kind of a business transaction: a CBV term (`po`) or an extension URI.
    BizTransactionType,
    /// The business transaction types of CBV 2.0.
    CbvBizTransactionType,
    "business transaction type", "BTT-", "btt:",
    [
        Bol = "bol",
        Cert = "cert",
        Desadv = "desadv",
        Inv = "inv",
        Pedigree = "pedigree",
        Po = "po",
        Poc = "poc",
        Prodorder = "prodorder",
        Recadv = "recadv",
        Rma = "rma",
        Testprd = "testprd",
        Testres = "testres",
        Upevt = "upevt",
    ]
}

/// One entry of `bizTransactionList`: the transaction's URI and, optionally, its type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct BizTransaction {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<BizTransactionType>,
    #[serde(rename = "bizTransaction")]
    pub id: Uri,
}

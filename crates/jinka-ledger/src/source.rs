//! Where a ledger transaction came from, so that every settlement line traces back to its
//! batch and records (`hub.md` § Reconciliation): the record's dedupe key and the batch (or
//! online load) that delivered it, or the window whose settlement it is.

use serde::{Deserialize, Serialize};

use jinka_record::{CounterKind, DedupeKey};

use crate::participant::ParticipantId;
use crate::reference::{BatchId, LoadId};
use crate::window::WindowId;

/// A record's identity: (ASN, counter kind, ATC), the key the hub deduplicates records by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    /// The card's ASN8, upper-case hex in JSON.
    #[serde(
        serialize_with = "hex::serde::serialize_upper",
        deserialize_with = "hex::serde::deserialize"
    )]
    pub asn: [u8; 8],
    /// Which of the card's counters the transaction used.
    pub counter: Counter,
    /// The counter value.
    pub atc: u16,
}

/// The card counter a record used: offline for purchases, online for loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Counter {
    /// The offline ATC (purchases).
    Offline,
    /// The online ATC (loads).
    Online,
}

impl From<CounterKind> for Counter {
    fn from(kind: CounterKind) -> Counter {
        match kind {
            CounterKind::Offline => Counter::Offline,
            CounterKind::Online => Counter::Online,
        }
    }
}

impl From<DedupeKey> for RecordKey {
    fn from(key: DedupeKey) -> RecordKey {
        RecordKey {
            asn: key.asn,
            counter: key.counter_kind.into(),
            atc: key.atc,
        }
    }
}

/// A batch, named the only unique way: the acquirer that uploaded it and its own id for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BatchRef {
    /// The acquirer that uploaded the batch.
    pub acquirer: ParticipantId,
    /// The acquirer's id of the batch.
    pub batch_id: BatchId,
}

/// How an accepted record reached the hub.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "kebab-case")]
pub enum Origin {
    /// In an acquirer's batch.
    Batch(BatchRef),
    /// A load confirmed online by the terminal (its TAC arrived before any batch carried it).
    OnlineLoad {
        /// The load's request id.
        load_id: LoadId,
    },
}

/// What a ledger transaction posts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum SourceRef {
    /// One accepted record.
    Record {
        /// How it reached the hub.
        #[serde(flatten)]
        origin: Origin,
        /// Which record.
        record: RecordKey,
    },
    /// The refund of a card's balance when the card was closed (`hub.md` § Card lifecycle).
    CardClosing {
        /// The closed card's ASN8, upper-case hex in JSON.
        #[serde(
            serialize_with = "hex::serde::serialize_upper",
            deserialize_with = "hex::serde::deserialize"
        )]
        asn: [u8; 8],
        /// The hub's number of the closing operation.
        operation: u64,
    },
    /// The settlement of a closed window.
    WindowClose {
        /// The window.
        window_id: WindowId,
    },
}

/// What a settlement line sums over: one batch, every online load of the window, or every
/// card closing's refund of the window (each of those is traced by its [`LoadId`], or its
/// card and operation, in its transaction's [`SourceRef`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "kebab-case")]
pub enum LineSource {
    /// The records of one batch.
    Batch(BatchRef),
    /// The window's online loads.
    OnlineLoads,
    /// The window's refunds of closed cards.
    CardClosings,
}

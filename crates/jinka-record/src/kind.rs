//! The transaction types a record carries and the counter each one advances.

use serde::{Deserialize, Serialize};

use crate::error::RecordError;

/// The transaction type byte of PBOC e-purse transactions (`card.md` § Purchase, § Load).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransactionKind {
    /// Load (圈存), type `02`: online, advances the online ATC.
    Load,
    /// Purchase (消费), type `06`: offline, advances the offline ATC.
    Purchase,
    /// Compound purchase (复合消费, transit), type `09`: offline, advances the offline ATC.
    CappPurchase,
}

/// Which of the card's two transaction counters a transaction used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CounterKind {
    /// The offline ATC (purchases).
    Offline,
    /// The online ATC (loads).
    Online,
}

impl TransactionKind {
    /// The type byte as the card and the TAC see it.
    pub const fn code(self) -> u8 {
        match self {
            TransactionKind::Load => 0x02,
            TransactionKind::Purchase => 0x06,
            TransactionKind::CappPurchase => 0x09,
        }
    }

    /// The kind of a type byte, if a record may carry it.
    pub const fn from_code(code: u8) -> Option<TransactionKind> {
        match code {
            0x02 => Some(TransactionKind::Load),
            0x06 => Some(TransactionKind::Purchase),
            0x09 => Some(TransactionKind::CappPurchase),
            _ => None,
        }
    }

    /// The name the JSON form and the CLI use: `load`, `purchase`, `capp-purchase`.
    pub const fn name(self) -> &'static str {
        match self {
            TransactionKind::Load => "load",
            TransactionKind::Purchase => "purchase",
            TransactionKind::CappPurchase => "capp-purchase",
        }
    }

    /// The counter the transaction advanced: offline for purchases, online for loads.
    pub const fn counter_kind(self) -> CounterKind {
        match self {
            TransactionKind::Load => CounterKind::Online,
            TransactionKind::Purchase | TransactionKind::CappPurchase => CounterKind::Offline,
        }
    }

    /// Whether the transaction is a purchase (simple or compound): those carry a terminal
    /// serial, covered by their TAC.
    pub const fn is_purchase(self) -> bool {
        matches!(
            self,
            TransactionKind::Purchase | TransactionKind::CappPurchase
        )
    }
}

impl TryFrom<u8> for TransactionKind {
    type Error = RecordError;

    fn try_from(code: u8) -> Result<TransactionKind, RecordError> {
        TransactionKind::from_code(code).ok_or(RecordError::UnknownType(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_others_are_refused() {
        for kind in [
            TransactionKind::Load,
            TransactionKind::Purchase,
            TransactionKind::CappPurchase,
        ] {
            assert_eq!(TransactionKind::try_from(kind.code()), Ok(kind));
        }
        for code in (0..=u8::MAX).filter(|c| ![0x02, 0x06, 0x09].contains(c)) {
            assert_eq!(
                TransactionKind::try_from(code),
                Err(RecordError::UnknownType(code))
            );
        }
    }

    #[test]
    fn purchases_use_the_offline_counter_and_loads_the_online_one() {
        assert_eq!(
            TransactionKind::Purchase.counter_kind(),
            CounterKind::Offline
        );
        assert_eq!(
            TransactionKind::CappPurchase.counter_kind(),
            CounterKind::Offline
        );
        assert_eq!(TransactionKind::Load.counter_kind(), CounterKind::Online);
    }
}

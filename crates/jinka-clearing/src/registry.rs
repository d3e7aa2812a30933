//! The hub's registry entries the decisions read: a card and a terminal.

use jinka_crypto::Profile;
use jinka_record::CounterKind;
use serde::{Deserialize, Serialize};

use crate::counter::CounterState;
use crate::identifiers::{Asn, IssuerId, ParticipantId, Region, TerminalId};

/// A card's status in the registry (`hub.md` § Participants and registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    /// In use.
    Active,
    /// Reported lost or put on the blacklist by a risk rule or its issuer.
    Hotlisted,
    /// Blocked on the chip by a terminal that found it on the blacklist.
    Blocked,
    /// Replaced by a new card; its records still settle until it is closed.
    Replaced,
    /// Closed and refunded: nothing more may be cleared on it.
    Closed,
}

/// A card as the ingest and load decisions need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardEntry {
    /// ASN8.
    pub asn: Asn,
    /// The issuer participant (whose card float the card draws on).
    pub issuer: ParticipantId,
    /// The issuer id written on the card (EF 0x15): the key store's name for the issuer.
    pub issuer_id: IssuerId,
    /// Status.
    pub status: CardStatus,
    /// The card's e-purse profile.
    pub profile: Profile,
    /// Shadow balance in fen: posted loads minus accepted purchases (see `ingest`). Signed:
    /// a purchase may arrive before the load that paid for it.
    pub shadow_balance_fen: i64,
    /// The offline counter (purchases).
    pub offline: CounterState,
    /// The online counter (loads).
    pub online: CounterState,
}

impl CardEntry {
    /// A freshly issued card: active, no records, both counters at their start.
    pub fn issued(asn: Asn, issuer: ParticipantId, issuer_id: IssuerId, profile: Profile) -> Self {
        CardEntry {
            asn,
            issuer,
            issuer_id,
            status: CardStatus::Active,
            profile,
            shadow_balance_fen: 0,
            offline: CounterState::new(),
            online: CounterState::new(),
        }
    }

    /// One of the two counters.
    pub fn counter(&self, kind: CounterKind) -> &CounterState {
        match kind {
            CounterKind::Offline => &self.offline,
            CounterKind::Online => &self.online,
        }
    }

    /// One of the two counters, to change.
    pub fn counter_mut(&mut self, kind: CounterKind) -> &mut CounterState {
        match kind {
            CounterKind::Offline => &mut self.offline,
            CounterKind::Online => &mut self.online,
        }
    }
}

/// A terminal of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TerminalEntry {
    /// Terminal id.
    pub terminal_id: TerminalId,
    /// The acquirer (or load agent) that owns it: the only participant that may upload its
    /// records or request loads through it.
    pub owner: ParticipantId,
    /// Where it stands.
    pub region: Region,
}

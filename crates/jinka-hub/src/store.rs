//! The storage interface: what the hub keeps, engine-neutral, so PostgreSQL can be added as a
//! second engine beside SQLite.
//!
//! Each method is one database transaction: it happens whole or not at all. Rules that need
//! to be atomic with a write (an issuer id belongs to one participant) are part of the method's
//! contract, so every engine enforces them the same way. Methods are synchronous: the HTTP
//! layer calls them on the blocking pool. Errors: `Conflict` for a duplicate or a rule broken,
//! `NotFound` for a missing participant a row refers to, `Unavailable` for engine trouble,
//! `Corrupt` for a stored value out of its domain.

use crate::byte_id::{Asn, TerminalId};
use crate::card::{Card, NewCard};
use crate::clearing::ClearingStorage;
use crate::clock::EpochMs;
use crate::credential::{Credential, CredentialRecord, KeyId, NewCredential};
use crate::error::HubError;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::risk::storage::RiskStorage;
use crate::terminal::{NewTerminal, Terminal};
use crate::vault::SealedIssuerKeys;

/// One page of a listing: items after `after` (exclusive) in id order, at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Page<Id> {
    pub(crate) after: Option<Id>,
    pub(crate) limit: u32,
}

/// What a listing is restricted to: everything (the operator) or one participant's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Of(ParticipantId),
}

/// The hub's storage.
pub(crate) trait Store: Send + Sync {
    /// Registers a participant under the next number. `Conflict` if the name is taken.
    fn insert_participant(
        &self,
        new: NewParticipant,
        now: EpochMs,
    ) -> Result<Participant, HubError>;

    /// A participant.
    fn participant(&self, id: ParticipantId) -> Result<Option<Participant>, HubError>;

    /// Participants in id order.
    fn participants(
        &self,
        scope: Scope,
        page: Page<ParticipantId>,
    ) -> Result<Vec<Participant>, HubError>;

    /// Stores a credential. `NotFound` if the participant is not registered.
    fn insert_credential(&self, new: NewCredential, now: EpochMs) -> Result<Credential, HubError>;

    /// The credential with this key id and its holder's roles, revoked or not.
    fn credential_record(&self, key_id: KeyId) -> Result<Option<CredentialRecord>, HubError>;

    /// Registers a terminal. `Conflict` if its id is registered.
    fn insert_terminal(&self, new: NewTerminal, now: EpochMs) -> Result<Terminal, HubError>;

    /// Registers every terminal of `terminals` in one transaction, in order: all or none.
    /// `Conflict` (naming the terminal id) as [`Store::insert_terminal`] for the first
    /// terminal refused, a terminal listed twice included.
    fn insert_terminals(
        &self,
        terminals: Vec<NewTerminal>,
        now: EpochMs,
    ) -> Result<Vec<Terminal>, HubError>;

    /// A terminal.
    fn terminal(&self, id: TerminalId) -> Result<Option<Terminal>, HubError>;

    /// Terminals in id order, of their owner in `scope`.
    fn terminals(&self, scope: Scope, page: Page<TerminalId>) -> Result<Vec<Terminal>, HubError>;

    /// Registers a card with its applications. `Conflict` if the ASN is registered, or if its
    /// issuer id names key sets of another participant.
    fn insert_card(&self, new: NewCard, now: EpochMs) -> Result<Card, HubError>;

    /// Registers every card of `cards` in one transaction, as if one by one in order: all or
    /// none, answered in order. `Conflict` (naming the card's ASN) as [`Store::insert_card`]
    /// for the first card refused, a card listed twice included. (The SQLite engine writes
    /// the rows in ASN order.)
    fn insert_cards(&self, cards: Vec<NewCard>, now: EpochMs) -> Result<Vec<Card>, HubError>;

    /// A card.
    fn card(&self, asn: Asn) -> Result<Option<Card>, HubError>;

    /// Cards in ASN order, of their issuer in `scope`.
    fn cards(&self, scope: Scope, page: Page<Asn>) -> Result<Vec<Card>, HubError>;

    /// Stores a sealed issuer key set. `Conflict` if (issuer id, key version, profile) is
    /// stored, or if the issuer id belongs to another participant's key sets or cards.
    fn insert_sealed_issuer_keys(&self, row: &SealedIssuerKeys) -> Result<(), HubError>;

    /// Sealed key sets of the owners in `scope`, in (issuer id, key version, profile) order.
    fn sealed_issuer_keys(&self, scope: Scope) -> Result<Vec<SealedIssuerKeys>, HubError>;

    /// The sealed KEK check value, if one was stored.
    fn kek_check(&self) -> Result<Option<String>, HubError>;

    /// Stores the sealed KEK check value, unless one is stored: the stored one.
    fn insert_kek_check(&self, sealed: &str, now: EpochMs) -> Result<String, HubError>;

    /// Runs `work` with the clearing operations in one write transaction (serialized with
    /// every other write): committed if it returns `Ok`, rolled back otherwise.
    fn clearing(
        &self,
        work: &mut dyn FnMut(&mut dyn ClearingStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError>;

    /// The report (JSON) of the closed window `window_id`; `None` if no such window is
    /// closed.
    fn settlement_report(&self, window_id: u64) -> Result<Option<String>, HubError>;

    /// Runs `work` with risk control's reads in one read transaction (no write lock).
    fn risk_read(
        &self,
        work: &mut dyn FnMut(&mut dyn RiskStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError>;
}

/// `error` of the card `asn` in a registration of many: a refusal names the card (unless it
/// does already); trouble of the engine is left as it is.
pub(crate) fn naming_card(asn: Asn, error: HubError) -> HubError {
    naming(&format!("card {asn}"), &asn.to_string(), "issuer", error)
}

/// `error` of the terminal `id` in a registration of many: a refusal names the terminal
/// (unless it does already); trouble of the engine is left as it is.
pub(crate) fn naming_terminal(id: TerminalId, error: HubError) -> HubError {
    naming(&format!("terminal {id}"), &id.to_string(), "owner", error)
}

/// `error` of `subject` (whose id is `id`, and whose participant plays `role` for it): a
/// refusal names the subject unless its text holds `id` already.
fn naming(subject: &str, id: &str, role: &str, error: HubError) -> HubError {
    let named = |text: &str| text.contains(id);
    match error {
        HubError::Conflict { reason } if !named(&reason) => {
            HubError::conflict(format!("{subject}: {reason}"))
        }
        HubError::NotFound { what } if !named(&what) => {
            HubError::not_found(format!("{what} (the {role} of {subject})"))
        }
        HubError::Invalid { field, reason } if !named(&reason) => {
            HubError::invalid(field, format!("{subject}: {reason}"))
        }
        other => other,
    }
}

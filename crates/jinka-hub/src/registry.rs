//! The registry's operations, shared by the HTTP API and the admin commands: each checks what
//! the store cannot (roles, existence) and makes one store call.

use std::collections::HashSet;

use jinka_card::IssuerKeys;

use crate::card::{Card, NewCard};
use crate::credential::{ApiKey, IssuedCredential, NewCredential, checked_label};
use crate::error::HubError;
use crate::hub::Hub;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::role::Role;
use crate::store::{naming_card, naming_terminal};
use crate::terminal::{NewTerminal, Terminal};
use crate::vault::IssuerKeySet;

/// Whether `roles` may own terminals: acquirers (purchases) and load agents (loads).
const TERMINAL_OWNER_ROLES: [Role; 2] = [Role::Acquirer, Role::LoadAgent];

impl Hub {
    /// The registered participant `id`, which must play one of `roles` (any, if empty).
    fn participant_in_role(
        &self,
        field: &'static str,
        id: ParticipantId,
        roles: &[Role],
    ) -> Result<Participant, HubError> {
        let participant = self
            .store
            .participant(id)?
            .ok_or_else(|| HubError::not_found(format!("participant {id}")))?;
        if !roles.is_empty() && !roles.iter().any(|role| participant.roles.contains(*role)) {
            let names: Vec<&str> = roles.iter().map(|role| role.name()).collect();
            return Err(HubError::invalid(
                field,
                format!("participant {id} is not {}", names.join(" or ")),
            ));
        }
        Ok(participant)
    }

    pub(crate) fn add_participant(&self, new: NewParticipant) -> Result<Participant, HubError> {
        let participant = self.store.insert_participant(new, self.clock.now())?;
        tracing::info!(participant = %participant.id, "registered participant");
        Ok(participant)
    }

    pub(crate) fn create_credential(
        &self,
        participant: ParticipantId,
        label: &str,
    ) -> Result<IssuedCredential, HubError> {
        let label = checked_label(label)?;
        let api_key = ApiKey::generate(self.entropy.as_ref())?;
        let new = NewCredential {
            participant,
            key_id: api_key.key_id(),
            key_hash: api_key.hash(),
            label,
        };
        let credential = self.store.insert_credential(new, self.clock.now())?;
        tracing::info!(%participant, key_id = %credential.key_id, "created credential");
        Ok(IssuedCredential {
            credential,
            api_key,
        })
    }

    pub(crate) fn register_terminal(&self, new: NewTerminal) -> Result<Terminal, HubError> {
        self.participant_in_role("owner", new.owner, &TERMINAL_OWNER_ROLES)?;
        let terminal = self.store.insert_terminal(new, self.clock.now())?;
        tracing::info!(terminal = %terminal.terminal_id, owner = %terminal.owner, "registered terminal");
        Ok(terminal)
    }

    /// Registers every terminal of `terminals` in one store transaction: all, or none and the
    /// error of the first terminal refused (naming its id). One log line for them all.
    pub(crate) fn register_terminals(
        &self,
        terminals: Vec<NewTerminal>,
    ) -> Result<Vec<Terminal>, HubError> {
        if terminals.is_empty() {
            return Ok(Vec::new());
        }
        let mut owners_checked = HashSet::new();
        for new in &terminals {
            if owners_checked.insert(new.owner) {
                self.participant_in_role("owner", new.owner, &TERMINAL_OWNER_ROLES)
                    .map_err(|error| naming_terminal(new.terminal_id, error))?;
            }
        }
        let count = terminals.len();
        let registered = self.store.insert_terminals(terminals, self.clock.now())?;
        tracing::info!(
            terminals = count,
            owners = owners_checked.len(),
            "registered terminals"
        );
        Ok(registered)
    }

    pub(crate) fn register_card(&self, new: NewCard) -> Result<Card, HubError> {
        self.participant_in_role("issuer", new.issuer(), &[Role::Issuer])?;
        let card = self.store.insert_card(new, self.clock.now())?;
        tracing::info!(asn = %card.asn, issuer = %card.issuer, "registered card");
        Ok(card)
    }

    /// Registers every card of `cards` in one store transaction: all, or none and the error of
    /// the first card refused (naming its ASN). One log line for them all.
    pub(crate) fn register_cards(&self, cards: Vec<NewCard>) -> Result<Vec<Card>, HubError> {
        if cards.is_empty() {
            return Ok(Vec::new());
        }
        let mut issuers_checked = HashSet::new();
        for new in &cards {
            if issuers_checked.insert(new.issuer()) {
                self.participant_in_role("issuer", new.issuer(), &[Role::Issuer])
                    .map_err(|error| naming_card(new.asn(), error))?;
            }
        }
        let count = cards.len();
        let registered = self.store.insert_cards(cards, self.clock.now())?;
        tracing::info!(
            cards = count,
            issuers = issuers_checked.len(),
            "registered cards"
        );
        Ok(registered)
    }

    pub(crate) fn upload_issuer_keys(
        &self,
        issuer: ParticipantId,
        keys: &IssuerKeys,
    ) -> Result<IssuerKeySet, HubError> {
        self.participant_in_role("issuer", issuer, &[Role::Issuer])?;
        let set = self.vault.put_issuer_keys(issuer, keys, self.clock.now())?;
        tracing::info!(
            %issuer,
            issuer_id = %set.issuer_id,
            key_version = set.key_version,
            profile = set.profile.name(),
            "stored issuer key set (load and TAC master keys, sealed)"
        );
        Ok(set)
    }
}

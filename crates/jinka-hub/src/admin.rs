//! The operator's commands on a data directory, without a running server (`jinka hub
//! participant add ...`). They open the same store and vault as the server and obey the same
//! rules; SQLite's locking lets them run beside a serving hub.

use std::sync::Arc;

use jinka_card::IssuerKeys;

use crate::card::{Card, NewCard};
use crate::clearing::ResolvedLoads;
use crate::clock::{Clock, EpochMs, SystemClock};
use crate::config::HubConfig;
use crate::credential::IssuedCredential;
use crate::error::HubError;
use crate::hub::Hub;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::store::{Page, Scope};
use crate::terminal::{NewTerminal, Terminal};
use crate::vault::IssuerKeySet;

/// Participants per page when the admin lists them all.
const ADMIN_PAGE_ITEMS: u32 = 1_000;

/// Most cards [`Admin::register_cards`] registers in one transaction (a million cards of the
/// simulation at once; the transaction's undo grows with it).
pub const CARDS_PER_REGISTRATION_MAX: usize = 1_000_000;

/// Most terminals [`Admin::register_terminals`] registers in one transaction.
pub const TERMINALS_PER_REGISTRATION_MAX: usize = 1_000_000;

/// An opened data directory for the operator's commands.
pub struct Admin {
    pub(crate) hub: Hub,
}

impl Admin {
    /// Opens the data directory of `config` (creating it and, on the embedded default, its KEK
    /// on the first use) with the system clock.
    pub fn open(config: &HubConfig) -> Result<Admin, HubError> {
        Admin::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Opens it with `clock`.
    pub fn open_with_clock(config: &HubConfig, clock: Arc<dyn Clock>) -> Result<Admin, HubError> {
        Ok(Admin {
            hub: Hub::open(config, clock)?,
        })
    }

    /// Registers a participant.
    pub fn add_participant(&self, new: NewParticipant) -> Result<Participant, HubError> {
        self.hub.add_participant(new)
    }

    /// Every participant, in id order.
    pub fn participants(&self) -> Result<Vec<Participant>, HubError> {
        let mut all = Vec::new();
        loop {
            let page = Page {
                after: all.last().map(|p: &Participant| p.id),
                limit: ADMIN_PAGE_ITEMS,
            };
            let items = self.hub.store.participants(Scope::All, page)?;
            let full = items.len() == ADMIN_PAGE_ITEMS as usize;
            all.extend(items);
            if !full {
                return Ok(all);
            }
        }
    }

    /// Creates a credential for `participant`: its API key is in the answer, and nowhere
    /// else, ever.
    pub fn create_credential(
        &self,
        participant: ParticipantId,
        label: &str,
    ) -> Result<IssuedCredential, HubError> {
        self.hub.create_credential(participant, label)
    }

    /// Registers a terminal.
    pub fn register_terminal(&self, new: NewTerminal) -> Result<Terminal, HubError> {
        self.hub.register_terminal(new)
    }

    /// Registers every terminal of `terminals` (at most [`TERMINALS_PER_REGISTRATION_MAX`])
    /// in ONE database transaction, with the checks of [`Admin::register_terminal`] (the owner
    /// registered as an acquirer or load agent, the terminal id not registered, listed once):
    /// all of them, in order, or none, and the error of the first terminal refused, naming
    /// its id. No terminals: nothing is done.
    pub fn register_terminals(
        &self,
        terminals: Vec<NewTerminal>,
    ) -> Result<Vec<Terminal>, HubError> {
        if terminals.len() > TERMINALS_PER_REGISTRATION_MAX {
            return Err(HubError::invalid(
                "terminals",
                format!(
                    "at most {TERMINALS_PER_REGISTRATION_MAX} terminals a registration, not {}",
                    terminals.len()
                ),
            ));
        }
        self.hub.register_terminals(terminals)
    }

    /// Registers a card.
    pub fn register_card(&self, new: NewCard) -> Result<Card, HubError> {
        self.hub.register_card(new)
    }

    /// Registers every card of `cards` (at most [`CARDS_PER_REGISTRATION_MAX`]) in ONE
    /// database transaction, with the checks of [`Admin::register_card`] (the issuer
    /// registered in role issuer, the ASN not registered, listed once, the issuer id not
    /// another participant's): all of them, in order, or none, and the error of the first
    /// card refused, naming its ASN. No cards: nothing is done.
    pub fn register_cards(&self, cards: Vec<NewCard>) -> Result<Vec<Card>, HubError> {
        if cards.len() > CARDS_PER_REGISTRATION_MAX {
            return Err(HubError::invalid(
                "cards",
                format!(
                    "at most {CARDS_PER_REGISTRATION_MAX} cards a registration, not {}",
                    cards.len()
                ),
            ));
        }
        self.hub.register_cards(cards)
    }

    /// Keeps the load, TAC and card manager master keys of `keys` for the issuer participant `issuer`,
    /// sealed under the KEK.
    pub fn upload_issuer_keys(
        &self,
        issuer: ParticipantId,
        keys: &IssuerKeys,
    ) -> Result<IssuerKeySet, HubError> {
        self.hub.upload_issuer_keys(issuer, keys)
    }

    /// Descriptions of every stored key set (never a key).
    pub fn issuer_key_sets(&self) -> Result<Vec<IssuerKeySet>, HubError> {
        self.hub.vault.issuer_key_sets(Scope::All)
    }

    /// Resolves the loads still pending [`LOAD_CONFIRMATION_DEADLINE_MS`] after their
    /// authorization, as of `now`: posted when the card's counter chain shows they happened,
    /// voided when nothing shows it (the load agent refunds the cardholder; should the
    /// load's record come after all, ingest reinstates it). At most
    /// [`crate::RESOLVE_LOADS_MAX`] loads a run: the periodic resolver calls this until a
    /// run finds none (a serving hub runs it every [`HubConfig::resolver_interval_ms`]).
    pub fn resolve_unconfirmed_loads(&self, now: EpochMs) -> Result<ResolvedLoads, HubError> {
        crate::resolver::resolve_due(&self.hub, now)
    }
}

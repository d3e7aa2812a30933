//! [`HubPort`]: how the simulation reaches the clearing centre. Two implementations: in
//! process on a data directory ([`crate::InProcessHub`], the default) and over HTTP (in the
//! `jinka` binary, `jinka sim --hub URL`). The simulation uses nothing else of the hub, so
//! both run the same world.
//!
//! Participants are named by the hub's own ids (`u32`). Audit reads that a hub does not offer
//! (the HTTP API shows no shadow balances) answer `None`, and the audit says it could not
//! check them.

use jinka_card::IssuerKeys;
use jinka_crypto::Profile;
use jinka_terminal::LoadRequest;

/// A participant to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantSpec {
    /// Unique name.
    pub name: String,
    /// Role names as the API spells them (`issuer`, `acquirer`, `load_agent`,
    /// `application_provider`).
    pub roles: Vec<&'static str>,
    /// Region code.
    pub region: u32,
    /// Interchange fee it earns as an issuer, in basis points.
    pub interchange_bp: u32,
    /// Network fee its purchases pay as an acquirer, in basis points.
    pub network_bp: u32,
}

/// A card to register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardSpec {
    /// ASN8.
    pub asn: [u8; 8],
    /// Issuer id of its EF 0x15.
    pub issuer_id: [u8; 8],
    /// Profile.
    pub profile: Profile,
}

/// A terminal to register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerminalSpec {
    /// Its owner (hub id): an acquirer or load agent.
    pub owner: u32,
    /// Terminal id.
    pub terminal_id: [u8; 6],
    /// Region code.
    pub region: u32,
}

/// One load of a group to authorize ([`HubPort::authorize_loads`]).
#[derive(Clone, Copy, Debug)]
pub struct LoadAsk<'a> {
    /// The terminal's owner, asking.
    pub requester: u32,
    /// The request id.
    pub request_id: &'a str,
    /// The card's INITIALIZE FOR LOAD answer and the load's terms.
    pub request: &'a LoadRequest,
}

/// One load of a group to confirm ([`HubPort::confirm_loads`]).
#[derive(Clone, Copy, Debug)]
pub struct LoadConfirm<'a> {
    /// The terminal's owner.
    pub requester: u32,
    /// The load's id.
    pub load_id: &'a str,
    /// The card's TAC of the load.
    pub tac: [u8; 4],
}

/// The hub's answer to a load authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadAnswer {
    /// Approved: MAC2 for CREDIT FOR LOAD, and the load's id for its confirmation.
    Approved {
        /// The load id.
        load_id: String,
        /// MAC2.
        mac2: [u8; 4],
    },
    /// Refused, with the hub's code (`card_not_active`, `balance_over_limit`, ...).
    Refused(String),
}

/// The hub's answer to a load confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmAnswer {
    /// Posted.
    Posted,
    /// Voided (another load took its counter value).
    Voided,
    /// Rejected with this reason code.
    Refused(String),
    /// The hub knows no such load of the requester.
    UnknownLoad,
}

/// A card as clearing sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubCardState {
    /// Shadow balance: posted loads minus accepted purchases.
    pub shadow_balance_fen: i64,
    /// Highest offline (purchase) ATC accepted.
    pub offline_highest: Option<u16>,
    /// Offline ATCs below it still missing.
    pub offline_missing: u32,
    /// Highest online (load) ATC accepted.
    pub online_highest: Option<u16>,
    /// Online ATCs below it still missing.
    pub online_missing: u32,
}

/// One ledger account's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTotals {
    /// The participant (hub id).
    pub participant: u32,
    /// The account kind (`card-float`, ...).
    pub account: String,
    /// Σ debits.
    pub debits_fen: u64,
    /// Σ credits.
    pub credits_fen: u64,
}

/// Loads the resolver settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolvedLoads {
    /// Posted by the counter chain.
    pub posted: u32,
    /// Voided.
    pub voided: u32,
    /// Still undecided.
    pub unresolved: u32,
}

/// Why the hub could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// It refused the request as malformed or conflicting (a bug of the simulation, or a hub
    /// that is not fresh).
    #[error("the hub refused: {0}")]
    Refused(String),
    /// It could not be reached or could not answer now.
    #[error("the hub is unavailable: {0}")]
    Unavailable(String),
    /// It reported damage or answered something the API does not promise.
    #[error("the hub is broken: {0}")]
    Broken(String),
}

/// The clearing centre as the simulation uses it.
pub trait HubPort {
    /// What it is, for the summary (`in-process SQLite at DIR`, `http://...`).
    fn description(&self) -> String;

    /// Registers a participant: its hub id.
    fn add_participant(&mut self, spec: &ParticipantSpec) -> Result<u32, PortError>;

    /// Gives the hub an issuer's load and TAC master keys (sealed there).
    fn upload_issuer_keys(&mut self, issuer: u32, keys: &IssuerKeys) -> Result<(), PortError>;

    /// Registers a terminal of `owner`.
    fn register_terminal(
        &mut self,
        owner: u32,
        terminal_id: [u8; 6],
        region: u32,
    ) -> Result<(), PortError>;

    /// Registers terminals, all or none. This default registers them one by one; a hub that
    /// takes many in one transaction does so.
    fn register_terminals(&mut self, terminals: &[TerminalSpec]) -> Result<(), PortError> {
        terminals.iter().try_for_each(|terminal| {
            self.register_terminal(terminal.owner, terminal.terminal_id, terminal.region)
        })
    }

    /// Registers a card of `issuer` with its e-purse.
    fn register_card(&mut self, issuer: u32, card: &CardSpec) -> Result<(), PortError>;

    /// Registers cards of `issuer`, all or none. This default registers them one by one; a
    /// hub that takes many in one transaction does so.
    fn register_cards(&mut self, issuer: u32, cards: &[CardSpec]) -> Result<(), PortError> {
        cards
            .iter()
            .try_for_each(|card| self.register_card(issuer, card))
    }

    /// Waits until every card registration sent has been made: the first that failed, if
    /// any. A hub that works in the background ([`crate::background`]) lets
    /// [`HubPort::register_cards`] go on before the cards are registered; this default has
    /// nothing to wait for.
    fn registered(&mut self) -> Result<(), PortError> {
        Ok(())
    }

    /// Uploads a bulk batch (1 byte the batch id's length, the batch id, 51-byte records) of
    /// `uploader`: the answer's JSON text.
    fn upload_batch(&mut self, uploader: u32, body: &[u8]) -> Result<String, PortError>;

    /// Uploads bulk batches (see [`HubPort::upload_batch`]), each of its uploader: the answers
    /// in order, each as [`HubPort::upload_batch`] would give it had the batches come one
    /// after the other. This default uploads one by one; a hub that commits a group of
    /// batches at once does so.
    fn upload_batches(&mut self, uploads: &[(u32, &[u8])]) -> Vec<Result<String, PortError>> {
        uploads
            .iter()
            .map(|(uploader, body)| self.upload_batch(*uploader, body))
            .collect()
    }

    /// Starts uploading a bulk batch (see [`HubPort::upload_batch`]): its answer now, or
    /// `None` from a hub that works in the background ([`crate::background`]), whose answers
    /// [`HubPort::upload_answer`] gives later, in the order the uploads started. This default
    /// uploads now.
    fn start_upload(&mut self, uploader: u32, body: Vec<u8>) -> Result<Option<String>, PortError> {
        self.upload_batch(uploader, &body).map(Some)
    }

    /// The answer of the oldest upload started in the background and not answered yet
    /// (waiting for it); a hub that answers every upload at once has none to give.
    fn upload_answer(&mut self) -> Result<String, PortError> {
        Err(PortError::Broken("no upload in the background".to_owned()))
    }

    /// Asks for a load's MAC2 as `requester`, under `request_id`.
    fn authorize_load(
        &mut self,
        requester: u32,
        request_id: &str,
        request: &LoadRequest,
    ) -> Result<LoadAnswer, PortError>;

    /// Confirms a load with its TAC.
    fn confirm_load(
        &mut self,
        requester: u32,
        load_id: &str,
        tac: [u8; 4],
    ) -> Result<ConfirmAnswer, PortError>;

    /// Authorizes a group of loads from different terminals: the answers in order, each as
    /// [`HubPort::authorize_load`] would give it had the loads come one after the other.
    /// This default asks one by one; a hub that commits a group at once does so.
    fn authorize_loads(&mut self, loads: &[LoadAsk<'_>]) -> Result<Vec<LoadAnswer>, PortError> {
        loads
            .iter()
            .map(|ask| self.authorize_load(ask.requester, ask.request_id, ask.request))
            .collect()
    }

    /// Confirms a group of loads: the answers in order (see [`HubPort::authorize_loads`]).
    fn confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Vec<ConfirmAnswer>, PortError> {
        confirmations
            .iter()
            .map(|confirm| self.confirm_load(confirm.requester, confirm.load_id, confirm.tac))
            .collect()
    }

    /// Starts confirming a group of loads (see [`HubPort::confirm_loads`]): its answers now,
    /// or `None` from a hub that works in the background ([`crate::background`]), whose
    /// answers [`HubPort::confirmed_loads`] gives later. This default confirms now.
    fn start_confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Option<Vec<ConfirmAnswer>>, PortError> {
        self.confirm_loads(confirmations).map(Some)
    }

    /// The answers of the oldest group of confirmations started in the background and not
    /// answered yet (waiting for them); a hub that answers at once has none to give.
    fn confirmed_loads(&mut self) -> Result<Vec<ConfirmAnswer>, PortError> {
        Err(PortError::Broken(
            "no confirmations in the background".to_owned(),
        ))
    }

    /// Runs the resolver of loads whose confirmation never came (as of the hub's now); `None`
    /// if this hub does not offer it.
    fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError>;

    /// Closes the open settlement window: its report (JSON).
    fn close_window(&mut self) -> Result<serde_json::Value, PortError>;

    /// Stops and reopens the hub from its data; `false` if this hub cannot be restarted.
    fn restart(&mut self) -> Result<bool, PortError>;

    /// Tells the hub a card was reported lost: the hub hotlists it (a blacklist version); the
    /// answer says whether it did. The simulation also pushes the report to the terminals'
    /// blacklists itself (the terminals' own sync is `jinka terminal blacklist-sync`).
    fn report_lost(&mut self, asn: [u8; 8]) -> Result<bool, PortError>;

    /// The cards on the hub's blacklist now; `None` if this hub does not show it.
    fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError>;

    /// The clearing state of each card, in order (`None` inside: not registered); `None` if
    /// this hub does not show it.
    fn card_states(
        &mut self,
        asns: &[[u8; 8]],
    ) -> Result<Option<Vec<Option<HubCardState>>>, PortError>;

    /// Every ledger account's totals; `None` if this hub does not show them.
    fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError>;
}

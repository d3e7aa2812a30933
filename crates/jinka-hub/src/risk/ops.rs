//! Risk control's operations on an opened [`Hub`], shared by the HTTP API (`api::risk`,
//! `api::blacklist`) and the operator's commands (`Admin`, `admin_risk`).

use jinka_clearing::Asn;
use jinka_record::{CounterKind, TransactionRecord};
use jinka_risk::{BlacklistUpdate, ListingReason, RiskConfig, RiskError, Subject};
use serde::Serialize;

use crate::card::CardStatus;
use crate::error::HubError;
use crate::hub::Hub;
use crate::participant::ParticipantId;
use crate::risk::storage::{Setting, StoredDecision};
use crate::risk::{hotlist, load_place, parse_config, record_place, unhotlist};
use crate::store::Scope;

/// Who asks: the operator (anything) or a participant (its own cards and terminals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Actor {
    Operator,
    Participant(ParticipantId),
}

impl Actor {
    fn scope(self) -> Scope {
        match self {
            Actor::Operator => Scope::All,
            Actor::Participant(id) => Scope::Of(id),
        }
    }

    fn may_see(self, owner: Option<ParticipantId>) -> bool {
        match self {
            Actor::Operator => true,
            Actor::Participant(id) => owner == Some(id),
        }
    }
}

/// A record behind a decision: a batch's record, or an approved online load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceRecord {
    /// The record id the decision names.
    pub id: u64,
    /// The uploader's batch id (a batch's record).
    pub batch_id: Option<String>,
    /// The record's index in the batch.
    pub index: Option<u32>,
    /// The load's id (an online load).
    pub load_id: Option<String>,
    /// `accepted`, or the reject reason (a batch's record); the load's state (a load).
    pub decision: String,
    /// The card (16 hex digits), when the record could be read.
    pub asn: Option<String>,
    /// `purchase`, `load`, ...
    pub kind: Option<&'static str>,
    /// `offline` or `online`.
    pub counter: Option<&'static str>,
    /// The record's counter value.
    pub atc: Option<u16>,
    /// Its amount.
    pub amount_fen: Option<u32>,
    /// The card's balance before it.
    pub balance_before_fen: Option<u32>,
    /// The terminal (12 hex digits).
    pub terminal_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `HH:MM:SS`.
    pub time: Option<String>,
}

/// A decision with the records behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExplainedDecision {
    /// The decision.
    #[serde(flatten)]
    pub decision: StoredDecision,
    /// The evidence records found (a record of a batch since purged is left out).
    pub records: Vec<EvidenceRecord>,
}

/// What a hotlisting or removal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BlacklistChanged {
    /// The card (16 hex digits).
    #[serde(serialize_with = "serialize_asn")]
    pub asn: Asn,
    /// Its status now.
    pub status: &'static str,
    /// The blacklist's version after the change (or now, when nothing changed).
    pub version: u64,
    /// Whether this request changed it (`false`: it was so already).
    pub changed: bool,
}

fn serialize_asn<S: serde::Serializer>(asn: &Asn, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(asn)
}

fn evidence(
    id: u64,
    batch_id: String,
    index: u32,
    row: crate::risk::storage::EvidenceRow,
) -> EvidenceRecord {
    let record = TransactionRecord::decode(&row.record).ok();
    EvidenceRecord {
        id,
        batch_id: Some(batch_id),
        index: Some(index),
        load_id: None,
        decision: row.rejected.unwrap_or_else(|| "accepted".to_owned()),
        asn: record.as_ref().map(|r| Asn::new(r.asn()).to_string()),
        kind: record.as_ref().map(|r| r.kind().name()),
        counter: record.as_ref().map(|r| match r.counter_kind() {
            CounterKind::Offline => "offline",
            CounterKind::Online => "online",
        }),
        atc: record.as_ref().map(TransactionRecord::atc),
        amount_fen: record.as_ref().map(TransactionRecord::amount_fen),
        balance_before_fen: record.as_ref().map(TransactionRecord::balance_before_fen),
        terminal_id: record
            .as_ref()
            .map(|r| jinka_clearing::TerminalId::new(r.terminal_id()).to_string()),
        date: record.as_ref().map(|r| r.date().to_string()),
        time: record.as_ref().map(|r| r.time().to_string()),
    }
}

/// The evidence of an approved online load.
fn load_evidence(id: u64, authorization: &jinka_clearing::LoadAuthorization) -> EvidenceRecord {
    let request = &authorization.request;
    let state = match authorization.state {
        jinka_clearing::LoadState::Pending => "load_pending",
        jinka_clearing::LoadState::Posted(_) => "load_posted",
        jinka_clearing::LoadState::Voided => "load_voided",
    };
    EvidenceRecord {
        id,
        batch_id: None,
        index: None,
        load_id: Some(request.request_id.as_str().to_owned()),
        decision: state.to_owned(),
        asn: Some(request.asn.to_string()),
        kind: Some("load"),
        counter: Some("online"),
        atc: Some(request.online_atc),
        amount_fen: Some(request.amount_fen),
        balance_before_fen: Some(request.balance_before_fen),
        terminal_id: Some(request.terminal_id.to_string()),
        date: Some(request.date.to_string()),
        time: Some(request.time.to_string()),
    }
}

/// Whether `reason` lets `actor` take a card off the blacklist: its issuer for a loss or
/// its own request, the operator also for a risk rule's listing; a replaced or closed card
/// never.
fn may_unlist(actor: Actor, reason: ListingReason) -> bool {
    match reason {
        ListingReason::Lost | ListingReason::IssuerRequest => true,
        ListingReason::RiskRule => actor == Actor::Operator,
        ListingReason::Replaced | ListingReason::Closed => false,
    }
}

impl Hub {
    /// Decisions after `after`, those `actor` may see.
    pub(crate) fn risk_decisions(
        &self,
        actor: Actor,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, HubError> {
        let mut found = Vec::new();
        self.store.risk_read(&mut |risk| {
            found = risk.decisions(actor.scope(), after, limit)?;
            Ok(())
        })?;
        Ok(found)
    }

    /// A decision `actor` may see, with its evidence records.
    pub(crate) fn risk_decision(
        &self,
        actor: Actor,
        id: u64,
    ) -> Result<Option<ExplainedDecision>, HubError> {
        let mut found = None;
        self.store.risk_read(&mut |risk| {
            let Some(decision) = risk.decision(id)?.filter(|d| actor.may_see(d.participant)) else {
                return Ok(());
            };
            let asn = match decision.subject {
                Subject::Card(asn) => Some(asn),
                Subject::Terminal(_) => None,
            };
            let mut records = Vec::with_capacity(decision.evidence.len());
            for record_id in &decision.evidence {
                if let (Some(atc), Some(asn)) = (load_place(*record_id), asn) {
                    let found = risk.as_clearing().card_authorizations(asn, Some(atc))?;
                    let approved = found
                        .iter()
                        .filter(|a| a.state != jinka_clearing::LoadState::Voided)
                        .chain(found.iter())
                        .next();
                    records.extend(approved.map(|a| load_evidence(record_id.get(), a)));
                    continue;
                }
                let (batch, index) = record_place(*record_id);
                if let Some(row) = risk.evidence_record(asn, batch, index)? {
                    let batch_id = row.batch_id.clone();
                    records.push(evidence(record_id.get(), batch_id, index, row));
                }
            }
            found = Some(ExplainedDecision { decision, records });
            Ok(())
        })?;
        Ok(found)
    }

    /// The rules' configuration in force in this process.
    pub(crate) fn risk_config(&self) -> RiskConfig {
        self.risk.config()
    }

    /// Checks, stores and applies a configuration (JSON `RiskSettings`).
    pub(crate) fn set_risk_config(&self, text: &str) -> Result<RiskConfig, HubError> {
        let config = parse_config(text)?;
        let stored = serde_json::to_string(&config)
            .map_err(|error| HubError::corrupt(format!("risk config: {error}")))?;
        let now = self.clock.now();
        self.clearing(|storage| storage.risk().put_setting(Setting::Config, &stored, now))?;
        self.risk.set_config(config.clone());
        Ok(config)
    }

    /// What a holder of the blacklist at `since` needs (`None`: the full list).
    pub(crate) fn blacklist_update(&self, since: Option<u64>) -> Result<BlacklistUpdate, HubError> {
        let mut update = None;
        self.store.risk_read(&mut |risk| {
            update = Some(self.risk.with_blacklist(risk, |list| match since {
                Some(since) => list.delta_since(since),
                None => Ok(list.full()),
            })?);
            Ok(())
        })?;
        match update {
            Some(Ok(update)) => Ok(update),
            Some(Err(RiskError::VersionAhead { asked, current })) => Err(HubError::invalid(
                "since",
                format!("the blacklist is at version {current}, not at {asked} yet"),
            )),
            Some(Err(error)) => Err(HubError::corrupt(format!("blacklist: {error}"))),
            None => Err(HubError::corrupt("the blacklist was not read")),
        }
    }

    /// The blacklist's version.
    pub(crate) fn blacklist_version(&self) -> Result<u64, HubError> {
        let mut version = 0;
        self.store.risk_read(&mut |risk| {
            version = self.risk.with_blacklist(risk, |list| list.version())?;
            Ok(())
        })?;
        Ok(version)
    }

    /// The listing of `asn`, if listed.
    pub(crate) fn blacklist_listing(
        &self,
        asn: Asn,
    ) -> Result<Option<jinka_risk::Listing>, HubError> {
        let mut found = None;
        self.store.risk_read(&mut |risk| {
            found = self.risk.with_blacklist(risk, |list| list.listing(asn))?;
            Ok(())
        })?;
        Ok(found)
    }

    /// The card `asn` if `actor` is its issuer (or the operator): `NotFound` otherwise.
    fn card_of(&self, actor: Actor, asn: Asn) -> Result<crate::card::Card, HubError> {
        let card = self.store.card(crate::byte_id::Asn::new(asn.bytes()))?;
        card.filter(|card| actor.may_see(Some(card.issuer)))
            .ok_or_else(|| HubError::not_found(format!("card {asn} of yours")))
    }

    /// Hotlists the card for `reason` (lost or issuer request) at the request of its issuer
    /// or the operator. A card hotlisted already is left as it is; a card blocked, replaced
    /// or closed is a `Conflict`.
    pub(crate) fn hotlist_card(
        &self,
        actor: Actor,
        asn: Asn,
        reason: ListingReason,
    ) -> Result<BlacklistChanged, HubError> {
        self.card_of(actor, asn)?;
        let now = self.clock.now();
        let version = self.clearing(|storage| hotlist(storage.risk(), asn, reason, now))?;
        let card = self.card_of(actor, asn)?;
        if version.is_none() && card.status != CardStatus::Hotlisted {
            return Err(HubError::conflict(format!(
                "card {asn} is {}: only an active card can be hotlisted",
                card.status.name()
            )));
        }
        let current = self.blacklist_version()?;
        Ok(BlacklistChanged {
            asn,
            status: card.status.name(),
            version: version.unwrap_or(current),
            changed: version.is_some(),
        })
    }

    /// Takes a hotlisted card off the blacklist (its status becomes `active`), when its
    /// listing's reason lets `actor` (see [`may_unlist`]); `Conflict` otherwise.
    pub(crate) fn unhotlist_card(
        &self,
        actor: Actor,
        asn: Asn,
    ) -> Result<BlacklistChanged, HubError> {
        let card = self.card_of(actor, asn)?;
        if card.status != CardStatus::Hotlisted {
            return Err(HubError::conflict(format!(
                "card {asn} is {}: only a hotlisted card can be taken off the blacklist",
                card.status.name()
            )));
        }
        if let Some(listing) = self.blacklist_listing(asn)?
            && !may_unlist(actor, listing.reason)
        {
            return Err(HubError::conflict(format!(
                "card {asn} is listed for {}: only the operator may take it off",
                crate::risk::storage::reason_code(listing.reason)
            )));
        }
        let now = self.clock.now();
        let version = self.clearing(|storage| unhotlist(storage.risk(), asn, now))?;
        let current = self.blacklist_version()?;
        Ok(BlacklistChanged {
            asn,
            status: self.card_of(actor, asn)?.status.name(),
            version: version.unwrap_or(current),
            changed: version.is_some(),
        })
    }

    /// Lifts the suspension a risk rule put on terminal `id` (the operator's call, after
    /// looking at the evidence): whether it was suspended. `NotFound` for an unknown terminal.
    pub(crate) fn reinstate_terminal(
        &self,
        id: jinka_clearing::TerminalId,
    ) -> Result<bool, HubError> {
        let known = crate::byte_id::TerminalId::new(id.bytes());
        if self.store.terminal(known)?.is_none() {
            return Err(HubError::not_found(format!("terminal {id}")));
        }
        self.clearing(|storage| storage.risk().reinstate_terminal(id))
    }

    /// Whether the terminal is suspended.
    pub(crate) fn terminal_suspended(
        &self,
        id: jinka_clearing::TerminalId,
    ) -> Result<bool, HubError> {
        let mut suspended = false;
        self.store.risk_read(&mut |risk| {
            suspended = risk.terminal_suspended(id)?;
            Ok(())
        })?;
        Ok(suspended)
    }
}

//! The risk and blacklist commands of [`Admin`] (`jinka hub risk ...`, `jinka hub blacklist
//! ...`): the same operations as the API's `/v1/risk` and `/v1/blacklist` routes, for the
//! operator, or for an issuer when one is named (its own cards and terminals only).
//!
//! A configuration set here is stored and used by hubs started afterwards (a running hub
//! keeps its own until restarted, or until `PUT /v1/risk/config`); blacklist changes made
//! here are seen by running hubs at their next blacklist answer (they read the change log).

use jinka_risk::{BlacklistUpdate, ListingReason, RiskConfig};

use crate::admin::Admin;
use crate::byte_id::Asn;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::risk::ops::Actor;
pub use crate::risk::ops::{BlacklistChanged, EvidenceRecord, ExplainedDecision};
pub use crate::risk::storage::StoredDecision;

/// Who the command acts for: the operator (`None`) or the participant named.
fn actor(participant: Option<ParticipantId>) -> Actor {
    participant.map_or(Actor::Operator, Actor::Participant)
}

impl Admin {
    /// Risk decisions after `after` (in id order, at most `limit`), all of them or those
    /// about the cards and terminals of `participant`.
    pub fn risk_decisions(
        &self,
        participant: Option<ParticipantId>,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, HubError> {
        self.hub.risk_decisions(actor(participant), after, limit)
    }

    /// One decision with its evidence records; `None` if there is none `participant` may
    /// see.
    pub fn risk_decision(
        &self,
        participant: Option<ParticipantId>,
        id: u64,
    ) -> Result<Option<ExplainedDecision>, HubError> {
        self.hub.risk_decision(actor(participant), id)
    }

    /// The rules' stored configuration (the defaults if none was set).
    pub fn risk_config(&self) -> RiskConfig {
        self.hub.risk_config()
    }

    /// Checks and stores a configuration (JSON `jinka_risk::RiskSettings`): `Invalid` with
    /// the reason when the rules refuse it.
    pub fn set_risk_config(&self, json: &str) -> Result<RiskConfig, HubError> {
        self.hub.set_risk_config(json)
    }

    /// The blacklist since version `since` (a delta, or the full list when too far behind),
    /// or the full list.
    pub fn blacklist(&self, since: Option<u64>) -> Result<BlacklistUpdate, HubError> {
        self.hub.blacklist_update(since)
    }

    /// Hotlists card `asn` (`reason`: `lost` or `issuer_request`) for its issuer
    /// `participant` (or the operator).
    pub fn hotlist_card(
        &self,
        participant: Option<ParticipantId>,
        asn: Asn,
        reason: &str,
    ) -> Result<BlacklistChanged, HubError> {
        let reason = match reason {
            "lost" => ListingReason::Lost,
            "issuer_request" => ListingReason::IssuerRequest,
            _ => {
                return Err(HubError::invalid(
                    "reason",
                    "must be lost or issuer_request",
                ));
            }
        };
        let asn = jinka_clearing::Asn::new(asn.bytes());
        self.hub.hotlist_card(actor(participant), asn, reason)
    }

    /// Takes a hotlisted card off the blacklist, as the API's `unhotlist`.
    pub fn unhotlist_card(
        &self,
        participant: Option<ParticipantId>,
        asn: Asn,
    ) -> Result<BlacklistChanged, HubError> {
        let asn = jinka_clearing::Asn::new(asn.bytes());
        self.hub.unhotlist_card(actor(participant), asn)
    }

    /// Lifts a risk rule's suspension of terminal `terminal_id`, as the operator's
    /// `POST /v1/terminals/{terminal_id}/reinstate`: whether it was suspended.
    pub fn reinstate_terminal(&self, terminal_id: crate::TerminalId) -> Result<bool, HubError> {
        self.hub
            .reinstate_terminal(jinka_clearing::TerminalId::new(terminal_id.bytes()))
    }
}

//! Balance discontinuity: ingest flagged a record whose balance does not follow from the
//! card's accepted records (`jinka_clearing::link_holds`). A genuine card's balance moves only
//! by its own purchases and loads; a clone spending a copied balance breaks the chain.

use jinka_clearing::Asn;
use jinka_record::{CounterKind, TransactionRecord};
use serde::{Deserialize, Serialize};

use crate::decision::{RecordId, RiskDecision, Yuan};
use crate::quiet_period::QuietPeriod;
use crate::rule::{CardAction, Rule, Subject};

/// The balance discontinuity rule. JSON: `{"enabled": true, "action": "hotlist_card"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscontinuityRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// What a decision asks (default `hotlist_card`: ingest does not raise the flag on a
    /// genuine card's records, whatever order they arrive in).
    pub action: CardAction,
}

impl Default for DiscontinuityRule {
    fn default() -> DiscontinuityRule {
        DiscontinuityRule {
            enabled: true,
            action: CardAction::HotlistCard,
        }
    }
}

/// A decision for the flagged `record` unless the card's quiet period runs.
pub(crate) fn observe(
    quiet: &mut QuietPeriod,
    rule: &DiscontinuityRule,
    (record, id): (&TransactionRecord, RecordId),
    (at_ms, quiet_ms): (i64, i64),
    out: &mut Vec<RiskDecision>,
) {
    if !quiet.admits(at_ms, quiet_ms) {
        return;
    }
    let asn = Asn::new(record.asn());
    let counter = match record.counter_kind() {
        CounterKind::Offline => "offline",
        CounterKind::Online => "online",
    };
    out.push(RiskDecision {
        rule: Rule::BalanceDiscontinuity,
        action: rule.action.into(),
        subject: Subject::Card(asn),
        evidence: vec![id],
        at_ms,
        explanation: format!(
            "Card {asn}'s {} at {counter} ATC {} shows a balance of {} yuan before it that does \
             not follow from the card's accepted records: a cloned card may be spending a \
             copied balance.",
            record.kind().name(),
            record.atc(),
            Yuan(u64::from(record.balance_before_fen())),
        ),
    });
}

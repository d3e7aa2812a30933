//! Daily offline spend: a card's offline purchases (simple and compound) on one day of the
//! card's own date add up past a threshold. An e-purse spends offline without asking anyone;
//! a card that spends far more in a day than a person does is cloned, stolen, or abused.

use jinka_clearing::Asn;
use serde::{Deserialize, Serialize};

use crate::civil_time::date_text;
use crate::decision::{RecordId, RiskDecision, Yuan};
use crate::error::RiskError;
use crate::rule::{CardAction, Rule, Subject};

/// Default threshold: 1,000.00 yuan of offline purchases on one day (the usual e-purse
/// balance cap, so passing it means the card was loaded again the same day, or is not what
/// it seems).
pub const DAILY_SPEND_THRESHOLD_FEN_DEFAULT: u64 = 100_000;
/// Days a card's spend is summed for at once: its latest two dates, so the day before still
/// counts while yesterday's records trickle in. A purchase dated before both is not summed.
pub const SPEND_DAYS_PER_CARD: usize = 2;
/// Purchases a day's sum keeps as evidence: the latest ones, the one that crossed included.
pub const SPEND_EVIDENCE_RECORDS: usize = 4;

/// The daily spend rule. JSON: `{"enabled": true, "threshold_fen": 100000, "action": "flag"}`
/// (omitted fields take these defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DailySpendRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// The rule fires when a day's offline purchases sum to more than this (at least 1).
    pub threshold_fen: u64,
    /// What a decision asks (default `flag`).
    pub action: CardAction,
}

impl Default for DailySpendRule {
    fn default() -> DailySpendRule {
        DailySpendRule {
            enabled: true,
            threshold_fen: DAILY_SPEND_THRESHOLD_FEN_DEFAULT,
            action: CardAction::Flag,
        }
    }
}

impl DailySpendRule {
    pub(crate) fn check(&self, issuer: bool) -> Result<(), RiskError> {
        if self.threshold_fen == 0 {
            return Err(RiskError::config(
                field!(issuer, "daily_spend.threshold_fen"),
                "must be at least 1 fen",
            ));
        }
        Ok(())
    }
}

/// One day's offline purchases of a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DaySpend {
    /// The card's date, as a day number.
    pub(crate) day: i64,
    /// Purchases summed (at least 1).
    pub(crate) purchases: u32,
    /// Their sum.
    pub(crate) spent_fen: u64,
    /// Whether the rule fired for this day (it fires once a day).
    pub(crate) fired: bool,
    /// The latest purchases, a ring: the one at `(purchases - 1) % SPEND_EVIDENCE_RECORDS` is
    /// the latest.
    pub(crate) recent: [RecordId; SPEND_EVIDENCE_RECORDS],
}

/// A card's spend on its latest days.
pub(crate) type SpendDays = [Option<DaySpend>; SPEND_DAYS_PER_CARD];

/// An accepted offline purchase.
pub(crate) struct Purchase {
    pub(crate) asn: Asn,
    pub(crate) day: i64,
    pub(crate) amount_fen: u32,
    pub(crate) id: RecordId,
}

/// The slot of `day` in `days`: its own, a free one, or the earliest day's if `day` is later.
fn slot_for(days: &mut SpendDays, day: i64) -> Option<&mut Option<DaySpend>> {
    if let Some(index) = days.iter().position(|d| d.is_some_and(|d| d.day == day)) {
        return days.get_mut(index);
    }
    let earliest = days
        .iter()
        .enumerate()
        .min_by_key(|(_, d)| d.map_or(i64::MIN, |d| d.day))
        .map(|(index, d)| (index, *d))?;
    match earliest {
        (index, None) => days.get_mut(index),
        (index, Some(d)) if d.day < day => days.get_mut(index),
        _ => None,
    }
}

/// Adds `purchase` to its day; a decision when the day's sum first passes the threshold.
pub(crate) fn observe(
    days: &mut SpendDays,
    rule: &DailySpendRule,
    purchase: &Purchase,
    at_ms: i64,
    out: &mut Vec<RiskDecision>,
) {
    let Some(slot) = slot_for(days, purchase.day) else {
        return;
    };
    let spend = match slot {
        Some(spend) if spend.day == purchase.day => spend,
        _ => slot.insert(DaySpend {
            day: purchase.day,
            purchases: 0,
            spent_fen: 0,
            fired: false,
            recent: [RecordId::default(); SPEND_EVIDENCE_RECORDS],
        }),
    };
    let ring = spend.purchases as usize % SPEND_EVIDENCE_RECORDS;
    spend.recent[ring] = purchase.id;
    spend.purchases = spend.purchases.saturating_add(1);
    // A sum of u32 amounts: u64 holds four billion of the largest.
    spend.spent_fen = spend
        .spent_fen
        .saturating_add(u64::from(purchase.amount_fen));
    if spend.spent_fen > rule.threshold_fen && !spend.fired {
        spend.fired = true;
        out.push(decision(spend, rule, purchase.asn, at_ms));
    }
}

fn decision(spend: &DaySpend, rule: &DailySpendRule, asn: Asn, at_ms: i64) -> RiskDecision {
    let kept = (spend.purchases as usize).min(SPEND_EVIDENCE_RECORDS);
    let latest = (spend.purchases as usize + SPEND_EVIDENCE_RECORDS - 1) % SPEND_EVIDENCE_RECORDS;
    let evidence = (0..kept)
        .rev()
        .map(|back| spend.recent[(latest + SPEND_EVIDENCE_RECORDS - back) % SPEND_EVIDENCE_RECORDS])
        .collect();
    RiskDecision {
        rule: Rule::DailySpend,
        action: rule.action.into(),
        subject: Subject::Card(asn),
        evidence,
        at_ms,
        explanation: format!(
            "Card {asn} spent {} yuan offline on {} in {} purchases, above the daily limit of {} \
             yuan.",
            Yuan(spend.spent_fen),
            date_text(spend.day),
            spend.purchases,
            Yuan(rule.threshold_fen),
        ),
    }
}

/// Whether stored days are possible: at least one purchase, distinct days.
pub(crate) fn days_hold(days: &SpendDays) -> bool {
    let counted = days.iter().flatten().all(|d| d.purchases >= 1);
    let distinct = match days {
        [Some(a), Some(b)] => a.day != b.day,
        _ => true,
    };
    counted && distinct
}

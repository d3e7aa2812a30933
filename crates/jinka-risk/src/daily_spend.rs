//! Daily offline spend: a card's offline purchases (simple and compound) on one day of the
//! card's own date add up past a threshold. An e-purse spends offline without asking anyone;
//! a card that spends far more in a day than a person does is cloned, stolen, or abused.

use jinka_clearing::Asn;
use serde::{Deserialize, Serialize};

use crate::civil_time::date_text;
use crate::decision::{RecordId, RiskDecision, Yuan};
use crate::error::RiskError;
use crate::rule::{CardAction, Rule, Subject};
use crate::spend_evidence::SpendEvidence;

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

/// Day numbers a stored day may have: a record's date (years 0 to 9999) is within ±2^22 days
/// of 1970; a day must fit 31 bits, as [`DaySpend`] keeps it beside its `fired` bit.
pub(crate) const DAY_NUMBER_RANGE: std::ops::RangeInclusive<i64> = -(1 << 30)..=(1 << 30) - 1;

/// One day's offline purchases of a card (40 bytes: every card held has two).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DaySpend {
    /// Their sum.
    spent_fen: u64,
    /// The latest purchases, a ring: the one at `(purchases - 1) % SPEND_EVIDENCE_RECORDS` is
    /// the latest.
    recent: SpendEvidence,
    /// The card's date as a day number (within [`DAY_NUMBER_RANGE`]) times two, plus one
    /// when the rule fired for this day (it fires once a day).
    day_and_fired: i32,
    /// Purchases summed (at least 1).
    purchases: u32,
}

/// A day's figures as plain data: what is stored, and checked when taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DayFigures {
    /// The card's date, as a day number.
    pub(crate) day: i64,
    /// Purchases summed (at least 1).
    pub(crate) purchases: u32,
    /// Their sum.
    pub(crate) spent_fen: u64,
    /// Whether the rule fired for this day.
    pub(crate) fired: bool,
    /// The latest purchases, a ring (as [`DaySpend`] keeps it).
    pub(crate) recent: [RecordId; SPEND_EVIDENCE_RECORDS],
}

impl DaySpend {
    /// A day with no purchases yet (`day` from a record's date, within [`DAY_NUMBER_RANGE`]).
    fn empty(day: i64) -> DaySpend {
        // `day_number` of a record's date is within ±2^22; nothing else comes here.
        debug_assert!(DAY_NUMBER_RANGE.contains(&day), "a record's day number");
        let day = i32::try_from(day).unwrap_or(0);
        DaySpend {
            spent_fen: 0,
            recent: SpendEvidence::default(),
            day_and_fired: day.wrapping_mul(2),
            purchases: 0,
        }
    }

    /// The card's date, as a day number.
    pub(crate) fn day(&self) -> i64 {
        i64::from(self.day_and_fired >> 1)
    }

    /// Whether the rule fired for this day.
    pub(crate) fn fired(&self) -> bool {
        self.day_and_fired & 1 == 1
    }

    /// The day as plain data.
    pub(crate) fn figures(&self) -> DayFigures {
        DayFigures {
            day: self.day(),
            purchases: self.purchases,
            spent_fen: self.spent_fen,
            fired: self.fired(),
            recent: self.recent.ids(),
        }
    }

    /// The day of `figures`; `None` when its day number is outside [`DAY_NUMBER_RANGE`].
    pub(crate) fn of(figures: &DayFigures) -> Option<DaySpend> {
        if !DAY_NUMBER_RANGE.contains(&figures.day) {
            return None;
        }
        let day = i32::try_from(figures.day).ok()?;
        Some(DaySpend {
            spent_fen: figures.spent_fen,
            recent: SpendEvidence::of(figures.recent),
            day_and_fired: day * 2 + i32::from(figures.fired),
            purchases: figures.purchases,
        })
    }
}

/// A card's spend on its latest days.
pub(crate) type SpendDays = [Option<DaySpend>; SPEND_DAYS_PER_CARD];

/// An accepted offline purchase.
pub(crate) struct Purchase {
    pub(crate) asn: Asn,
    /// The card's date (a record's: within [`DAY_NUMBER_RANGE`]).
    pub(crate) day: i64,
    pub(crate) amount_fen: u32,
    pub(crate) id: RecordId,
}

/// The slot of `day` in `days`: its own, a free one, or the earliest day's if `day` is later.
fn slot_for(days: &mut SpendDays, day: i64) -> Option<&mut Option<DaySpend>> {
    let day_of = |d: &Option<DaySpend>| d.as_ref().map(DaySpend::day);
    if let Some(index) = days.iter().position(|d| day_of(d) == Some(day)) {
        return days.get_mut(index);
    }
    let (index, earliest) = days
        .iter()
        .enumerate()
        .map(|(index, d)| (index, day_of(d)))
        .min_by_key(|(_, d)| d.unwrap_or(i64::MIN))?;
    match earliest {
        None => days.get_mut(index),
        Some(earliest) if earliest < day => days.get_mut(index),
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
        Some(spend) if spend.day() == purchase.day => spend,
        _ => slot.insert(DaySpend::empty(purchase.day)),
    };
    let ring = spend.purchases as usize % SPEND_EVIDENCE_RECORDS;
    spend.recent.set(ring, purchase.id);
    spend.purchases = spend.purchases.saturating_add(1);
    // A sum of u32 amounts: u64 holds four billion of the largest.
    spend.spent_fen = spend
        .spent_fen
        .saturating_add(u64::from(purchase.amount_fen));
    if spend.spent_fen > rule.threshold_fen && !spend.fired() {
        spend.day_and_fired |= 1;
        out.push(decision(spend, rule, purchase.asn, at_ms));
    }
}

fn decision(spend: &DaySpend, rule: &DailySpendRule, asn: Asn, at_ms: i64) -> RiskDecision {
    let kept = (spend.purchases as usize).min(SPEND_EVIDENCE_RECORDS);
    let latest = (spend.purchases as usize + SPEND_EVIDENCE_RECORDS - 1) % SPEND_EVIDENCE_RECORDS;
    let evidence = (0..kept)
        .rev()
        .map(|back| {
            (spend.recent).get((latest + SPEND_EVIDENCE_RECORDS - back) % SPEND_EVIDENCE_RECORDS)
        })
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
            date_text(spend.day()),
            spend.purchases,
            Yuan(rule.threshold_fen),
        ),
    }
}

/// Whether stored days are possible: at least one purchase, distinct days.
pub(crate) fn days_hold(days: &[Option<DayFigures>; SPEND_DAYS_PER_CARD]) -> bool {
    let counted = days.iter().flatten().all(|d| d.purchases >= 1);
    let distinct = match days {
        [Some(a), Some(b)] => a.day != b.day,
        _ => true,
    };
    counted && distinct
}

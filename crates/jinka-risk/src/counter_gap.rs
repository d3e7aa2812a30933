//! Counter gaps that stay open: ATCs below a card's highest accepted one whose records have
//! not arrived (`jinka_clearing::CounterState`). A terminal offline for a day leaves a gap
//! that fills when it uploads; a gap that stays open for days is a lost upload, a terminal
//! that never uploads, or a card used somewhere the network does not see.
//!
//! The hub shows the evaluator each counter's open gaps after a batch ([`crate::GapReport`]);
//! each gap is tracked from the first report that shows it (the hub's time) until a report no
//! longer shows any of its ATCs missing. The rule fires once per gap, when it has been open
//! longer than the limit, at a report or a [`crate::RiskEvaluator::tick`].

use jinka_clearing::{Asn, AtcRange, IssuerId};
use jinka_record::CounterKind;
use serde::{Deserialize, Serialize};

use crate::decision::{Minutes, RecordId, RiskDecision};
use crate::error::RiskError;
use crate::rule::{CardAction, Rule, Subject};
use crate::state_table::Touched;

/// Default limit: a gap open for 72 hours.
pub const GAP_OPEN_LIMIT_MINUTES_DEFAULT: u32 = 72 * 60;
/// The longest limit a configuration may give: 90 days.
pub const GAP_OPEN_LIMIT_MINUTES_MAX: u32 = 90 * 24 * 60;
/// Gaps tracked per counter: a card with more open gaps has its first ones tracked (they
/// fire; the later ones are tracked as those fill).
pub const GAPS_PER_COUNTER_MAX: usize = 32;

/// The counter gap rule. JSON: `{"enabled": true, "open_limit_minutes": 4320, "action":
/// "flag"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CounterGapRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// How long a gap may stay open (1 to [`GAP_OPEN_LIMIT_MINUTES_MAX`] minutes).
    pub open_limit_minutes: u32,
    /// What a decision asks (default `flag`).
    pub action: CardAction,
}

impl Default for CounterGapRule {
    fn default() -> CounterGapRule {
        CounterGapRule {
            enabled: true,
            open_limit_minutes: GAP_OPEN_LIMIT_MINUTES_DEFAULT,
            action: CardAction::Flag,
        }
    }
}

impl CounterGapRule {
    pub(crate) fn resolve(&self, issuer: bool) -> Result<CounterGapCheck, RiskError> {
        if !(1..=GAP_OPEN_LIMIT_MINUTES_MAX).contains(&self.open_limit_minutes) {
            return Err(RiskError::config(
                field!(issuer, "counter_gap.open_limit_minutes"),
                "must be 1 to 129600 minutes (90 days)",
            ));
        }
        Ok(CounterGapCheck {
            enabled: self.enabled,
            open_limit_ms: i64::from(self.open_limit_minutes) * 60_000,
            action: self.action,
        })
    }
}

/// A [`CounterGapRule`] in the units the check uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CounterGapCheck {
    pub(crate) enabled: bool,
    pub(crate) open_limit_ms: i64,
    action: CardAction,
}

/// One open gap as first reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TrackedGap {
    /// The missing ATCs when first reported (they only fill after).
    pub(crate) range: AtcRange,
    /// When it was first reported (the hub's time).
    pub(crate) opened_at_ms: i64,
    /// The accepted record that opened it (the one at `range.last + 1`), when the evaluator
    /// saw it flagged.
    pub(crate) opened_by: Option<RecordId>,
    /// Whether the rule fired for it.
    pub(crate) fired: bool,
}

/// An accepted record flagged `counter_gap`, waiting for the report that shows its gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Opener {
    pub(crate) atc: u16,
    pub(crate) id: RecordId,
}

/// A counter's tracked gaps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GapCounter {
    #[serde(with = "crate::identifier_text::issuer_id")]
    pub(crate) issuer_id: IssuerId,
    pub(crate) touched_at_ms: i64,
    pub(crate) gaps: Vec<TrackedGap>,
    pub(crate) openers: Vec<Opener>,
}

impl Default for GapCounter {
    fn default() -> GapCounter {
        GapCounter {
            issuer_id: IssuerId::new([0; 8]),
            touched_at_ms: i64::MIN,
            gaps: Vec::new(),
            openers: Vec::new(),
        }
    }
}

impl Touched for GapCounter {
    fn touched_at_ms(&self) -> i64 {
        self.touched_at_ms
    }
}

const fn overlaps(a: AtcRange, b: AtcRange) -> bool {
    a.first() <= b.last() && b.first() <= a.last()
}

impl GapCounter {
    /// Whether a stored counter is possible: within the limits.
    pub(crate) fn holds(&self) -> bool {
        self.gaps.len() <= GAPS_PER_COUNTER_MAX && self.openers.len() <= GAPS_PER_COUNTER_MAX
    }

    /// Remembers the accepted record at `atc` that ingest flagged `counter_gap`.
    pub(crate) fn opened(&mut self, atc: u16, id: RecordId) {
        if self.openers.len() >= GAPS_PER_COUNTER_MAX {
            self.openers.remove(0);
        }
        self.openers.push(Opener { atc, id });
    }

    /// Takes the counter's open gaps now: forgets the tracked gaps none of whose ATCs are
    /// still missing, tracks the new ones from `at_ms`.
    pub(crate) fn report(&mut self, open: &[AtcRange], at_ms: i64) {
        self.gaps
            .retain(|gap| open.iter().any(|range| overlaps(gap.range, *range)));
        for range in open {
            let known = self.gaps.iter().any(|gap| overlaps(gap.range, *range));
            if known || self.gaps.len() >= GAPS_PER_COUNTER_MAX {
                continue;
            }
            let opener = self
                .openers
                .iter()
                .filter(|opener| opener.atc > range.last())
                .min_by_key(|opener| opener.atc);
            self.gaps.push(TrackedGap {
                range: *range,
                opened_at_ms: at_ms,
                opened_by: opener.map(|opener| opener.id),
                fired: false,
            });
        }
        // Every record the report follows was shown before it.
        self.openers.clear();
    }

    /// Whether a tracked gap is past `check`'s limit at `at_ms` and has not fired.
    pub(crate) fn due(&self, check: &CounterGapCheck, at_ms: i64) -> bool {
        self.gaps.iter().any(|gap| is_due(gap, check, at_ms))
    }

    /// A decision for each tracked gap past the limit that has not fired.
    pub(crate) fn fire_due(
        &mut self,
        check: &CounterGapCheck,
        (asn, counter_kind): (Asn, CounterKind),
        at_ms: i64,
        out: &mut Vec<RiskDecision>,
    ) {
        for gap in &mut self.gaps {
            if is_due(gap, check, at_ms) {
                gap.fired = true;
                out.push(decision(gap, check, (asn, counter_kind), at_ms));
            }
        }
    }
}

fn is_due(gap: &TrackedGap, check: &CounterGapCheck, at_ms: i64) -> bool {
    check.enabled && !gap.fired && at_ms.saturating_sub(gap.opened_at_ms) > check.open_limit_ms
}

fn decision(
    gap: &TrackedGap,
    check: &CounterGapCheck,
    (asn, counter_kind): (Asn, CounterKind),
    at_ms: i64,
) -> RiskDecision {
    let counter = match counter_kind {
        CounterKind::Offline => "offline",
        CounterKind::Online => "online",
    };
    let missing = match (gap.range.first(), gap.range.last()) {
        (first, last) if first == last => format!("ATC {first}"),
        (first, last) => format!("ATCs {first} to {last}"),
    };
    RiskDecision {
        rule: Rule::CounterGap,
        action: check.action.into(),
        subject: Subject::Card(asn),
        evidence: gap.opened_by.into_iter().collect(),
        at_ms,
        explanation: format!(
            "Card {asn}'s {counter} counter has been missing {missing} for {} (the limit is {}): \
             their records have not reached the hub.",
            Minutes(at_ms.saturating_sub(gap.opened_at_ms)),
            Minutes(check.open_limit_ms),
        ),
    }
}

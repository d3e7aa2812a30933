//! Repeated bad TACs from one terminal: records whose TAC does not verify (`bad_tac`), many
//! within a window. One can be a corrupted upload; a run of them is a terminal forging
//! records, or one whose SAM signs for the wrong issuer.
//!
//! The window is the hub's time (when the records were rejected), not the records' own
//! dates: a forged record's date is whatever the forger wrote.

use std::collections::VecDeque;

use jinka_clearing::TerminalId;
use serde::{Deserialize, Serialize};

use crate::decision::{Minutes, RecordId, RiskDecision};
use crate::error::RiskError;
use crate::quiet_period::QuietPeriod;
use crate::rule::{Rule, Subject, TerminalAction};
use crate::state_table::Touched;

/// Default count: 10 bad TACs ...
pub const BAD_TAC_COUNT_DEFAULT: u32 = 10;
/// ... within 60 minutes.
pub const BAD_TAC_WINDOW_MINUTES_DEFAULT: u32 = 60;
/// The largest count a configuration may give (each terminal keeps that many rejections).
pub const BAD_TAC_COUNT_MAX: u32 = 64;
/// The longest window a configuration may give: 7 days.
pub const BAD_TAC_WINDOW_MINUTES_MAX: u32 = 7 * 24 * 60;

/// The bad TAC rule (network-wide: a terminal's owner is an acquirer, not an issuer). JSON:
/// `{"enabled": true, "count": 10, "window_minutes": 60, "action": "suspend_terminal"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BadTacRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// How many bad TACs (1 to [`BAD_TAC_COUNT_MAX`]) ...
    pub count: u32,
    /// ... within how many minutes (1 to [`BAD_TAC_WINDOW_MINUTES_MAX`]) fire the rule.
    pub window_minutes: u32,
    /// What a decision asks (default `suspend_terminal`).
    pub action: TerminalAction,
}

impl Default for BadTacRule {
    fn default() -> BadTacRule {
        BadTacRule {
            enabled: true,
            count: BAD_TAC_COUNT_DEFAULT,
            window_minutes: BAD_TAC_WINDOW_MINUTES_DEFAULT,
            action: TerminalAction::SuspendTerminal,
        }
    }
}

impl BadTacRule {
    pub(crate) fn resolve(&self) -> Result<BadTacCheck, RiskError> {
        if !(1..=BAD_TAC_COUNT_MAX).contains(&self.count) {
            return Err(RiskError::config("bad_tac.count", "must be 1 to 64"));
        }
        if !(1..=BAD_TAC_WINDOW_MINUTES_MAX).contains(&self.window_minutes) {
            return Err(RiskError::config(
                "bad_tac.window_minutes",
                "must be 1 to 10080 minutes (7 days)",
            ));
        }
        Ok(BadTacCheck {
            enabled: self.enabled,
            count: self.count as usize,
            window_ms: i64::from(self.window_minutes) * 60_000,
            action: self.action,
        })
    }
}

/// A [`BadTacRule`] in the units the check uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadTacCheck {
    pub(crate) enabled: bool,
    pub(crate) count: usize,
    pub(crate) window_ms: i64,
    action: TerminalAction,
}

/// A rejection for a bad TAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BadTacSeen {
    pub(crate) at_ms: i64,
    pub(crate) id: RecordId,
}

/// A terminal's latest bad TACs (at most the rule's count) and its quiet period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TerminalState {
    pub(crate) recent: VecDeque<BadTacSeen>,
    pub(crate) quiet: QuietPeriod,
}

impl Touched for TerminalState {
    fn touched_at_ms(&self) -> i64 {
        self.recent.back().map_or(i64::MIN, |seen| seen.at_ms)
    }
}

impl TerminalState {
    /// Whether the state can go: its latest bad TAC left the window and no quiet period runs.
    pub(crate) fn idle(&self, check: &BadTacCheck, at_ms: i64) -> bool {
        self.touched_at_ms().saturating_add(check.window_ms) <= at_ms && !self.quiet.runs_at(at_ms)
    }

    /// Whether a stored state fits the rule (a window no longer than its count); a smaller
    /// count keeps the latest.
    pub(crate) fn fit(&mut self, check: &BadTacCheck) {
        while self.recent.len() > check.count {
            self.recent.pop_front();
        }
    }
}

/// Adds a bad TAC; a decision when the rule's count of them fall within its window.
pub(crate) fn observe(
    state: &mut TerminalState,
    check: &BadTacCheck,
    (terminal_id, id): (TerminalId, RecordId),
    (at_ms, quiet_ms): (i64, i64),
    out: &mut Vec<RiskDecision>,
) {
    state.recent.push_back(BadTacSeen { at_ms, id });
    state.fit(check);
    let Some(first) = state.recent.front().copied() else {
        return;
    };
    let span_ms = at_ms.saturating_sub(first.at_ms);
    let holds = state.recent.len() == check.count && span_ms < check.window_ms;
    if holds && state.quiet.admits(at_ms, quiet_ms) {
        out.push(RiskDecision {
            rule: Rule::BadTac,
            action: check.action.into(),
            subject: Subject::Terminal(terminal_id),
            evidence: state.recent.iter().map(|seen| seen.id).collect(),
            at_ms,
            explanation: format!(
                "Terminal {terminal_id} sent {} records whose TAC did not verify within {} (the \
                 rule allows fewer than {} within {}): it may be forging records, or its SAM \
                 signs with the wrong keys.",
                check.count,
                Minutes(span_ms.max(0)),
                check.count,
                Minutes(check.window_ms),
            ),
        });
    }
}

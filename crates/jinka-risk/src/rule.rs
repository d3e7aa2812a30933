//! The rules, what they can do, and whom they act on.

use core::fmt;

use jinka_clearing::{Asn, TerminalId};
use serde::{Deserialize, Serialize};

/// A risk rule (`hub.md` § Risk control). The codes (`code`, `Display`, serde) are the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A card's offline purchases on one day (the card's date) add up past a threshold.
    DailySpend,
    /// A card used in two regions closer in time than travel between them takes.
    Velocity,
    /// One terminal sends records whose TAC does not verify, again and again.
    BadTac,
    /// A card's balance does not follow from its accepted records: a cloned card spending a
    /// copied balance.
    BalanceDiscontinuity,
    /// A card's counter has missed records for longer than a limit.
    CounterGap,
}

/// Every rule.
pub const RULES: [Rule; 5] = [
    Rule::DailySpend,
    Rule::Velocity,
    Rule::BadTac,
    Rule::BalanceDiscontinuity,
    Rule::CounterGap,
];

impl Rule {
    /// The rule's code: `daily_spend`, `velocity`, `bad_tac`, `balance_discontinuity`,
    /// `counter_gap`.
    pub const fn code(self) -> &'static str {
        match self {
            Rule::DailySpend => "daily_spend",
            Rule::Velocity => "velocity",
            Rule::BadTac => "bad_tac",
            Rule::BalanceDiscontinuity => "balance_discontinuity",
            Rule::CounterGap => "counter_gap",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a decision asks the hub to do. The hub carries it out: it records a flag, lists the
/// card on the [`crate::NetworkBlacklist`] (reason [`crate::ListingReason::RiskRule`]), or
/// suspends the terminal in its registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Record the decision for people to look at; nothing else changes.
    Flag,
    /// Put the card on the blacklist.
    HotlistCard,
    /// Stop accepting the terminal's records and load requests.
    SuspendTerminal,
}

impl Action {
    /// The action's code: `flag`, `hotlist_card`, `suspend_terminal`.
    pub const fn code(self) -> &'static str {
        match self {
            Action::Flag => "flag",
            Action::HotlistCard => "hotlist_card",
            Action::SuspendTerminal => "suspend_terminal",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a rule about a card may do: a card rule cannot suspend a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardAction {
    /// [`Action::Flag`].
    Flag,
    /// [`Action::HotlistCard`].
    HotlistCard,
}

/// What a rule about a terminal may do: a terminal rule cannot hotlist a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalAction {
    /// [`Action::Flag`].
    Flag,
    /// [`Action::SuspendTerminal`].
    SuspendTerminal,
}

impl From<CardAction> for Action {
    fn from(action: CardAction) -> Action {
        match action {
            CardAction::Flag => Action::Flag,
            CardAction::HotlistCard => Action::HotlistCard,
        }
    }
}

impl From<TerminalAction> for Action {
    fn from(action: TerminalAction) -> Action {
        match action {
            TerminalAction::Flag => Action::Flag,
            TerminalAction::SuspendTerminal => Action::SuspendTerminal,
        }
    }
}

/// Whom a decision is about. JSON: `{"card": "3104000000012345"}` or
/// `{"terminal": "000000002001"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A card, by ASN8.
    Card(#[serde(with = "crate::identifier_text::asn")] Asn),
    /// A terminal, by its id.
    Terminal(#[serde(with = "crate::identifier_text::terminal_id")] TerminalId),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Card(asn) => write!(f, "card {asn}"),
            Subject::Terminal(terminal_id) => write!(f, "terminal {terminal_id}"),
        }
    }
}

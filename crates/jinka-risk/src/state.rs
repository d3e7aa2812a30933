//! The evaluator's state as plain data: what the hub persists between runs, and takes back.

use jinka_clearing::{Asn, TerminalId};
use jinka_record::CounterKind;
use serde::{Deserialize, Serialize};

use crate::bad_tac::TerminalState;
use crate::card_state::{CardState, StoredCard};
use crate::config::RiskConfig;
use crate::counter_gap::GapCounter;
use crate::error::RiskError;
use crate::evaluator::RiskEvaluator;

/// A [`RiskEvaluator`]'s state: its cards, terminals and counters, each sorted by key (so
/// the same state always serializes the same). Its fields are the evaluator's own; a stored
/// one is checked when [`RiskEvaluator::restore`] takes it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskState {
    cards: Vec<CardEntry>,
    terminals: Vec<TerminalEntry>,
    counters: Vec<CounterEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardEntry {
    #[serde(with = "crate::identifier_text::asn")]
    asn: Asn,
    state: StoredCard,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TerminalEntry {
    #[serde(with = "crate::identifier_text::terminal_id")]
    terminal_id: TerminalId,
    state: TerminalState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CounterName {
    Offline,
    Online,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CounterEntry {
    #[serde(with = "crate::identifier_text::asn")]
    asn: Asn,
    counter: CounterName,
    state: GapCounter,
}

impl RiskState {
    /// Cards held.
    pub fn cards(&self) -> usize {
        self.cards.len()
    }

    /// Terminals held.
    pub fn terminals(&self) -> usize {
        self.terminals.len()
    }

    /// Card counters held.
    pub fn counters(&self) -> usize {
        self.counters.len()
    }
}

const fn counter_kind(name: CounterName) -> CounterKind {
    match name {
        CounterName::Offline => CounterKind::Offline,
        CounterName::Online => CounterKind::Online,
    }
}

const fn counter_name(kind: CounterKind) -> CounterName {
    match kind {
        CounterKind::Offline => CounterName::Offline,
        CounterKind::Online => CounterName::Online,
    }
}

impl RiskEvaluator {
    /// The state, as plain data.
    pub fn snapshot(&self) -> RiskState {
        RiskState {
            cards: (self.cards.sorted_entries().into_iter())
                .map(|(asn, state)| CardEntry {
                    asn,
                    state: StoredCard::from(state),
                })
                .collect(),
            terminals: (self.terminals.sorted_entries().into_iter())
                .map(|(terminal_id, state)| TerminalEntry {
                    terminal_id,
                    state: state.clone(),
                })
                .collect(),
            counters: (self.gaps.sorted_entries().into_iter())
                .map(|((asn, kind), state)| CounterEntry {
                    asn,
                    counter: counter_name(kind),
                    state: state.clone(),
                })
                .collect(),
        }
    }

    /// An evaluator with `config` and a stored `state`. Refused when the state is not one an
    /// evaluator could have (a key twice, a day without purchases, a day number no record's
    /// date gives, more gaps than a counter tracks). State beyond `config`'s limits (lowered since) is forgotten as a full table
    /// forgets it; a bad TAC window longer than the rule's count keeps its latest entries.
    pub fn restore(config: RiskConfig, state: RiskState) -> Result<RiskEvaluator, RiskError> {
        let mut evaluator = RiskEvaluator::new(config);
        for CardEntry { asn, state } in state.cards {
            evaluator.restore_card(asn, &state)?;
        }
        for TerminalEntry { terminal_id, state } in state.terminals {
            evaluator.restore_terminal(terminal_id, state)?;
        }
        for CounterEntry {
            asn,
            counter,
            state,
        } in state.counters
        {
            evaluator.restore_counter((asn, counter_kind(counter)), state)?;
        }
        Ok(evaluator)
    }

    /// Takes back a stored card's state, checked.
    pub(crate) fn restore_card(&mut self, asn: Asn, stored: &StoredCard) -> Result<(), RiskError> {
        let state = CardState::try_from(stored)?;
        if !self.cards.insert(asn, state, |_| false) {
            return Err(RiskError::InvalidState("a card appears twice"));
        }
        Ok(())
    }

    /// Takes back a stored terminal's state, fitted to the bad TAC rule.
    pub(crate) fn restore_terminal(
        &mut self,
        terminal_id: TerminalId,
        mut state: TerminalState,
    ) -> Result<(), RiskError> {
        let check = *self.config.bad_tac();
        state.fit(&check);
        if !self.terminals.insert(terminal_id, state, |_| false) {
            return Err(RiskError::InvalidState("a terminal appears twice"));
        }
        Ok(())
    }

    /// Takes back a stored counter's state, checked.
    pub(crate) fn restore_counter(
        &mut self,
        key: (Asn, CounterKind),
        state: GapCounter,
    ) -> Result<(), RiskError> {
        if !state.holds() {
            return Err(RiskError::InvalidState("a counter tracks too many gaps"));
        }
        if !self.gaps.insert(key, state, |_| false) {
            return Err(RiskError::InvalidState("a counter appears twice"));
        }
        Ok(())
    }
}

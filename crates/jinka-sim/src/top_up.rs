//! The top-up round at the start of each half-day: every cardholder whose balance will not
//! cover the half-day's planned taps and purchases tops up first, at the top-up machine or
//! bank branch they would use. Load machines serve their queues side by side, so the hub
//! authorizes the loads of many machines together: a group holds at most one load per
//! machine, its requests go to the hub at once ([`HubPort::authorize_loads`], one
//! transaction on a hub that groups them), then every card gets its MAC2, then the TACs are
//! confirmed at once ([`HubPort::confirm_loads`], sent without waiting for the answers while
//! the next group's cards are presented: [`HubPort::start_confirm_loads`]). Each load is the
//! terminal's real flow, split in two ([`jinka_terminal::Terminal::start_load`],
//! `finish_load`): the same APDUs, journal and records as one at a time. A load drawn to be
//! torn runs alone, after its group is confirmed and before the next group starts, through
//! the flow that resolves tears. The hub gets the same calls, in the same order, as if each
//! group waited for its confirmations.
//!
//! The groups depend on the seed, the day and the plans only: the same run gives the same
//! groups, in the same order.

use std::collections::HashMap;
use std::ops::Range;

use jinka_terminal::{AuthorizeError, Refusal, StartedLoad};

use crate::clock::SimTime;
use crate::config::Fault;
use crate::error::SimError;
use crate::flows::{Counted, FlowOutcome, Tx};
use crate::hub_port::{ConfirmAnswer, LoadAnswer, LoadAsk, LoadConfirm};
use crate::journal::{Chip, RecordTag};
use crate::plan::{Action, DayPlan, plan};
use crate::rng::SimRng;
use crate::simulation::Simulation;
use crate::world::{METRO_MAX_FARE_FEN, SimCard, stream};

/// Most loads the hub is asked to authorize together: the hub's own group (one transaction).
pub const LOAD_GROUP_MAX: usize = jinka_hub::LOAD_GROUP_MAX;
/// What a cardholder keeps above the half-day's needs after a top-up, in fen.
pub(crate) const TOP_UP_MARGIN_FEN: u32 = 2_000;

/// A top-up to make.
struct TopUp {
    holder: usize,
    machine: usize,
    amount_fen: u32,
    time: SimTime,
    /// The tear draw, not yet drawn from.
    tear: SimRng,
    torn: bool,
}

/// A group whose untorn loads are started: `outcomes` has a slot per load of `group`, the
/// answer of those refused at once, `None` for the others.
struct Started {
    group: Vec<usize>,
    outcomes: Vec<Option<FlowOutcome>>,
    in_flight: Vec<InFlight>,
}

/// A group whose untorn loads are finished, their TACs to confirm (`confirming`: the slot,
/// the load id, the TAC); `torn` if it has loads to run alone.
struct Finished {
    group: Vec<usize>,
    outcomes: Vec<Option<FlowOutcome>>,
    confirming: Vec<(usize, String, [u8; 4])>,
    torn: bool,
}

/// A load of a group between its halves, its card in the machine's field.
struct InFlight {
    slot: usize,
    request_id: String,
    started: StartedLoad,
    card: SimCard,
}

/// The top-up amount for a card holding `balance_fen` that needs `needed_fen`, within the
/// hub's balance limit: 200 yuan usually, less near the limit, more for a large need.
pub(crate) fn top_up_amount(balance_fen: u32, needed_fen: u32) -> Option<u32> {
    crate::simulation::TOP_UP_AMOUNTS_FEN
        .into_iter()
        .find(|amount| {
            balance_fen + amount >= needed_fen.saturating_add(TOP_UP_MARGIN_FEN)
                && balance_fen + amount <= crate::simulation::TOP_UP_BALANCE_MAX_FEN
        })
}

/// The tear draw of a top-up at `time` by `holder`.
pub(crate) fn top_up_tear(seed: u64, holder: usize, time: SimTime) -> SimRng {
    SimRng::derive(
        seed,
        &[
            stream::TORN,
            u64::from(time.day),
            holder as u64,
            1_000_000 + u64::from(time.minute),
        ],
    )
}

/// What the events of `plan` within `minutes` (before the card is lost) may cost: the
/// metro's highest fare per tap, each purchase's amount; and the first of them.
fn needs(plan: &DayPlan, minutes: &Range<u16>) -> (u32, Option<(u16, usize)>) {
    let mut total: u32 = 0;
    let mut first = None;
    for event in &plan.events {
        if !minutes.contains(&event.minute) {
            continue;
        }
        if plan.lost_at.is_some_and(|lost_at| event.minute >= lost_at) {
            break;
        }
        let (terminal, cost) = match event.action {
            Action::Enter { terminal, .. } | Action::Exit { terminal, .. } => {
                (terminal, METRO_MAX_FARE_FEN)
            }
            Action::Purchase {
                terminal,
                amount_fen,
            } => (terminal, amount_fen),
        };
        first.get_or_insert((event.minute, terminal));
        total = total.saturating_add(cost);
    }
    (total, first)
}

impl Simulation<'_> {
    /// The top-ups of the half-day `minutes` of `day`, before its events. A group's
    /// confirmations are sent without waiting ([`HubPort::start_confirm_loads`]) while the
    /// next group's cards are presented, and answered before that group's authorizations
    /// are asked: the hub gets the calls in the same order, the cards do not wait for it. A
    /// group with a torn load is closed (its torn loads run) before the next group starts.
    pub(crate) fn top_up_round(&mut self, day: u32, minutes: &Range<u16>) -> Result<(), SimError> {
        let top_ups = self.top_ups(day, minutes);
        let mut unconfirmed: Option<(Finished, Option<Vec<ConfirmAnswer>>)> = None;
        for group in schedule(&top_ups) {
            let started = self.start_group(&top_ups, group, day)?;
            if let Some((finished, answered)) = unconfirmed.take() {
                self.close_group(&top_ups, finished, answered)?;
            }
            let answers = {
                let asks = self.asks(&top_ups, &started);
                self.hub.authorize_loads(&asks)?
            };
            let finished = self.finish_group(&top_ups, started, answers)?;
            let answered = {
                let confirmations = self.confirmations(&top_ups, &finished);
                self.hub.start_confirm_loads(&confirmations)?
            };
            if finished.torn {
                self.close_group(&top_ups, finished, answered)?;
            } else {
                unconfirmed = Some((finished, answered));
            }
        }
        if let Some((finished, answered)) = unconfirmed {
            self.close_group(&top_ups, finished, answered)?;
        }
        Ok(())
    }

    /// Who tops up, where, by how much, in cardholder order.
    fn top_ups(&self, day: u32, minutes: &Range<u16>) -> Vec<TopUp> {
        let torn_rate = self.config.faults.get(Fault::Torn);
        let mut top_ups = Vec::new();
        for (holder, person) in self.world.holders.iter().enumerate() {
            if person.lost_on.is_some() {
                continue;
            }
            let plan = plan(&self.world, &self.config, day, holder);
            let (needed, first) = needs(&plan, minutes);
            let Some((minute, at)) = first else {
                continue;
            };
            let balance = person.expected_balance_fen;
            if balance >= needed {
                continue;
            }
            let needed = needed
                .min(crate::simulation::TOP_UP_BALANCE_MAX_FEN.saturating_sub(TOP_UP_MARGIN_FEN));
            let Some(amount_fen) = top_up_amount(balance, needed) else {
                continue;
            };
            let Some(machine) = self.top_up_machine(holder, at) else {
                continue;
            };
            let time = SimTime {
                minute: minute.saturating_sub(1),
                ..SimTime::at(day, 0)
            };
            // The same draw `transact` makes again for a torn load, which runs alone.
            let tear = top_up_tear(self.config.seed, holder, time);
            let torn = tear.clone().chance(torn_rate);
            top_ups.push(TopUp {
                holder,
                machine,
                amount_fen,
                time,
                tear,
                torn,
            });
        }
        top_ups
    }

    /// A group's untorn loads started (their cards in the machines' fields), those refused
    /// at once answered.
    fn start_group(
        &mut self,
        top_ups: &[TopUp],
        group: Vec<usize>,
        day: u32,
    ) -> Result<Started, SimError> {
        let mut outcomes: Vec<Option<FlowOutcome>> = Vec::with_capacity(group.len());
        let mut in_flight = Vec::with_capacity(group.len());
        for (slot, &index) in group.iter().enumerate() {
            let top_up = &top_ups[index];
            if top_up.torn {
                outcomes.push(None);
                continue;
            }
            let mut card = self.world.take_card(top_up.holder)?;
            let started = self.start(top_up, day, &mut card);
            match started {
                Ok((request_id, started)) => {
                    in_flight.push(InFlight {
                        slot,
                        request_id,
                        started,
                        card,
                    });
                    outcomes.push(None);
                }
                Err(refusal) => {
                    self.world.put_card(top_up.holder, card);
                    outcomes.push(Some(flow(Err(refusal))));
                }
            }
        }
        Ok(Started {
            group,
            outcomes,
            in_flight,
        })
    }

    /// What the hub is asked to authorize for a started group.
    fn asks<'a>(&self, top_ups: &[TopUp], started: &'a Started) -> Vec<LoadAsk<'a>> {
        started
            .in_flight
            .iter()
            .map(|load| LoadAsk {
                requester: self.world.terminals[top_ups[started.group[load.slot]].machine].owner,
                request_id: &load.request_id,
                request: &load.started.request,
            })
            .collect()
    }

    /// The second halves of a started group's loads with the hub's `answers`; its cards
    /// leave the machines' fields.
    fn finish_group(
        &mut self,
        top_ups: &[TopUp],
        started: Started,
        answers: Vec<LoadAnswer>,
    ) -> Result<Finished, SimError> {
        let Started {
            group,
            mut outcomes,
            in_flight,
        } = started;
        if answers.len() != in_flight.len() {
            return Err(SimError::Bug(format!(
                "{} loads authorized, {} answers",
                in_flight.len(),
                answers.len()
            )));
        }
        let mut confirming: Vec<(usize, String, [u8; 4])> = Vec::new();
        for (mut load, answer) in in_flight.into_iter().zip(answers) {
            let top_up = &top_ups[group[load.slot]];
            let outcome = match answer {
                LoadAnswer::Approved { load_id, mac2 } => {
                    let result = self.finish(top_up, &load.started, mac2, &mut load.card);
                    if let Ok(approved) = &result {
                        confirming.push((load.slot, load_id, approved.record.tac()));
                    }
                    flow(result)
                }
                LoadAnswer::Refused(code) => FlowOutcome {
                    load_refused: Some(code.clone()),
                    ..flow(Err(Refusal::Authorization(AuthorizeError::Refused(code))))
                },
            };
            // The card leaves the machine's field.
            self.world.put_card(top_up.holder, load.card);
            outcomes[load.slot] = Some(outcome);
        }
        let torn = group.iter().any(|&index| top_ups[index].torn);
        Ok(Finished {
            group,
            outcomes,
            confirming,
            torn,
        })
    }

    /// What the hub is asked to confirm for a finished group.
    fn confirmations<'a>(&self, top_ups: &[TopUp], finished: &'a Finished) -> Vec<LoadConfirm<'a>> {
        finished
            .confirming
            .iter()
            .map(|(slot, load_id, tac)| LoadConfirm {
                requester: self.world.terminals[top_ups[finished.group[*slot]].machine].owner,
                load_id,
                tac: *tac,
            })
            .collect()
    }

    /// A finished group with the hub's answers to its confirmations (`answered` if given
    /// when they were sent, else waited for): every load's outcome taken in, then its torn
    /// loads run alone.
    fn close_group(
        &mut self,
        top_ups: &[TopUp],
        finished: Finished,
        answered: Option<Vec<ConfirmAnswer>>,
    ) -> Result<(), SimError> {
        let confirmed = match answered {
            Some(confirmed) => confirmed,
            None => self.hub.confirmed_loads()?,
        };
        let Finished {
            group,
            mut outcomes,
            confirming,
            torn: _,
        } = finished;
        if confirmed.len() != confirming.len() {
            return Err(SimError::Bug(format!(
                "{} loads confirmed, {} answers",
                confirming.len(),
                confirmed.len()
            )));
        }
        for ((slot, _, _), answer) in confirming.iter().zip(confirmed) {
            if let Some(outcome) = &mut outcomes[*slot] {
                outcome.confirmed = Some(answer);
            }
        }
        for (slot, outcome) in outcomes.into_iter().enumerate() {
            let top_up = &top_ups[group[slot]];
            match outcome {
                Some(outcome) => {
                    self.absorb(
                        top_up.machine,
                        top_up.holder,
                        Chip::Original,
                        Tx::Load(top_up.amount_fen),
                        outcome,
                    )?;
                }
                None => {
                    self.transact(
                        top_up.machine,
                        top_up.holder,
                        Tx::Load(top_up.amount_fen),
                        top_up.time,
                        top_up.tear.clone(),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// The first half of a grouped load: its request id and the card's request.
    fn start(
        &mut self,
        top_up: &TopUp,
        day: u32,
        card: &mut SimCard,
    ) -> Result<(String, StartedLoad), Refusal> {
        let world = &mut self.world;
        let terminal = &mut world.terminals[top_up.machine];
        terminal.terminal.journal_mut().tag = RecordTag::original(top_up.holder as u32, day);
        terminal.loads_requested += 1;
        let request_id = format!(
            "{}-L{}",
            hex::encode_upper(terminal.id),
            terminal.loads_requested
        );
        let mut reader = Counted {
            card,
            apdus: &mut self.tally.activity.apdus,
        };
        let started =
            terminal
                .terminal
                .start_load(&mut reader, top_up.amount_fen, top_up.time.moment())?;
        Ok((request_id, started))
    }

    /// The second half of a grouped load.
    fn finish(
        &mut self,
        top_up: &TopUp,
        started: &StartedLoad,
        mac2: [u8; 4],
        card: &mut SimCard,
    ) -> Result<jinka_terminal::Approved, Refusal> {
        let terminal = &mut self.world.terminals[top_up.machine];
        let mut reader = Counted {
            card,
            apdus: &mut self.tally.activity.apdus,
        };
        terminal.terminal.finish_load(&mut reader, started, mac2)
    }
}

fn flow(result: Result<jinka_terminal::Approved, Refusal>) -> FlowOutcome {
    FlowOutcome {
        result,
        confirmed: None,
        load_refused: None,
        tear: None,
    }
}

/// Cuts the top-ups into groups of at most [`LOAD_GROUP_MAX`] with at most one load per
/// machine, each machine serving its loads in cardholder order: a top-up goes to the first
/// group after its machine's previous one that has room.
fn schedule(top_ups: &[TopUp]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut last_group: HashMap<usize, usize> = HashMap::new();
    let mut first_open = 0;
    for (index, top_up) in top_ups.iter().enumerate() {
        let mut group = last_group
            .get(&top_up.machine)
            .map_or(first_open, |last| (last + 1).max(first_open));
        while groups.get(group).is_some_and(|g| g.len() >= LOAD_GROUP_MAX) {
            group += 1;
        }
        if group >= groups.len() {
            groups.resize_with(group + 1, Vec::new);
        }
        groups[group].push(index);
        last_group.insert(top_up.machine, group);
        while groups
            .get(first_open)
            .is_some_and(|g| g.len() >= LOAD_GROUP_MAX)
        {
            first_open += 1;
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_up(machine: usize) -> TopUp {
        TopUp {
            holder: 0,
            machine,
            amount_fen: 100,
            time: SimTime::at(0, 0),
            tear: SimRng::derive(1, &[1]),
            torn: false,
        }
    }

    #[test]
    fn a_group_holds_one_load_per_machine_and_machines_keep_their_order() {
        let machines = [3, 3, 4, 3, 5, 4, 6];
        let top_ups: Vec<TopUp> = machines.iter().map(|m| top_up(*m)).collect();
        let groups = schedule(&top_ups);
        assert_eq!(groups, vec![vec![0, 2, 4, 6], vec![1, 5], vec![3]]);
    }

    #[test]
    fn groups_are_cut_at_the_maximum() {
        let top_ups: Vec<TopUp> = (0..LOAD_GROUP_MAX + 3).map(top_up).collect();
        let groups = schedule(&top_ups);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), LOAD_GROUP_MAX);
        assert_eq!(
            groups[1],
            vec![LOAD_GROUP_MAX, LOAD_GROUP_MAX + 1, LOAD_GROUP_MAX + 2]
        );
    }
}

//! The run: each simulated day in two halves (morning, afternoon and evening), each half
//! followed by a sync (terminals upload, lost cards are reported and pushed to blacklists,
//! SAMs receive missing keys), the loads resolver and the settlement window's close at the
//! end of the day; after the last day, a drain (every terminal back online, every record
//! delivered, a last window). One thread: the same seed and flags give the same run.

use std::collections::BTreeMap;
use std::ops::Range;

use jinka_card::{CardManager, SeededEntropy, Template};
use jinka_record::{TransactionKind, TransactionRecord};
use jinka_terminal::Refusal;

use crate::clock::{SimClock, SimTime};
use crate::config::{Fault, SimConfig};
use crate::error::SimError;
use crate::flows::{FlowOutcome, Lane, TearOutcome, Tx, purse_balance};
use crate::hub_port::{ConfirmAnswer, HubPort};
use crate::journal::{Chip, RecordTag};
use crate::plan::{Action, DayPlan, plan};
use crate::progress::Progress;
use crate::rng::SimRng;
use crate::tally::{DayActivity, Tally};
use crate::world::{METRO_MAX_FARE_FEN, SimCard, World, issuance, stream};

/// Largest balance a top-up leaves, in fen (the hub's card balance limit).
pub const TOP_UP_BALANCE_MAX_FEN: u32 = jinka_hub::CARD_BALANCE_MAX_FEN;
/// Amounts a cardholder tops up by, in the order they are considered, in fen: 200 yuan
/// usually, less near the balance limit, more for a large purchase.
pub(crate) const TOP_UP_AMOUNTS_FEN: [u32; 4] = [20_000, 10_000, 5_000, 50_000];
/// What a finder tries to buy with a lost card, in fen.
const FINDER_PURCHASE_FEN: u32 = 5_000;
/// Cardholders between two progress reports.
const PROGRESS_HOLDERS: usize = 1_024;
/// Minute of the midday sync.
pub const MIDDAY_MINUTE: u16 = 12 * 60;
/// Minute of the evening sync.
const EVENING_SYNC_MINUTE: u16 = 23 * 60 + 30;
/// Minute the window closes.
const CLOSE_MINUTE: u16 = 23 * 60 + 59;

/// How often the terminals' records go to their acquirers' hosts between syncs
/// ([`Simulation::forward`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Forwarding {
    /// Cardholders between two forwards.
    pub(crate) holders: usize,
    /// Records an acquirer gathers before it uploads them (at most a batch).
    pub(crate) records: usize,
}

impl Default for Forwarding {
    fn default() -> Forwarding {
        Forwarding {
            holders: 4_096,
            records: crate::upload::BATCH_RECORDS_SIM_MAX,
        }
    }
}

/// A clone chip in use.
pub(crate) struct CloneChip {
    pub(crate) holder: usize,
    pub(crate) card: SimCard,
    pub(crate) expected_balance_fen: u32,
}

/// What the hub's decisions showed about a cloned card.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CloneEvidence {
    pub(crate) flagged: bool,
    pub(crate) duplicates: u64,
}

/// A run in progress.
pub struct Simulation<'h> {
    pub(crate) config: SimConfig,
    pub(crate) hub: &'h mut dyn HubPort,
    pub(crate) clock: SimClock,
    pub(crate) world: World,
    pub(crate) tally: Tally,
    pub(crate) progress: &'h mut dyn Progress,
    /// Σ purchases the hub accepted, per card (from its answers).
    pub(crate) accepted_purchases_fen: Vec<u64>,
    /// Clone chips of the day.
    pub(crate) clones: Vec<CloneChip>,
    /// What the hub showed about each cloned card.
    pub(crate) clone_evidence: BTreeMap<u32, CloneEvidence>,
    /// The network's blacklist as the simulation pushes it.
    pub(crate) blacklist: Vec<[u8; 8]>,
    /// Its version.
    pub(crate) blacklist_version: u64,
    /// The list at the version last pushed to terminals.
    pub(crate) pushed_blacklist: jinka_terminal::Blacklist,
    /// Lost cards not yet reported.
    pub(crate) unreported: Vec<usize>,
    /// Every closed window's report.
    pub(crate) windows: Vec<serde_json::Value>,
    /// The day being run (`days` during the drain).
    pub(crate) day: u32,
    /// Batches each acquirer formed of its terminals' records.
    pub(crate) acquirer_batches: BTreeMap<u32, u32>,
    /// Per acquirer, the records its host has received from its terminals since its last
    /// upload (see [`Simulation::forward`]).
    pub(crate) outboxes: BTreeMap<u32, Vec<crate::upload::Outgoing>>,
    /// How often the terminals' records go to their acquirers between syncs.
    pub(crate) forwarding: Forwarding,
    /// Uploads whose answers are still to judge.
    pub(crate) pending: std::collections::VecDeque<crate::sync::Pending>,
}

impl<'h> Simulation<'h> {
    /// Builds the world of `config` on `hub`; `clock` is the one the hub reads (for an
    /// in-process hub).
    pub fn new(
        config: SimConfig,
        hub: &'h mut dyn HubPort,
        clock: SimClock,
        progress: &'h mut dyn Progress,
    ) -> Result<Simulation<'h>, SimError> {
        config.check()?;
        clock.set(SimTime::at(0, 0));
        progress.stage("building the world");
        let world = World::build(&config, hub)?;
        let cards = world.holders.len();
        let mut tally = Tally::default();
        tally.faults.missing_key.sams = world
            .terminals
            .iter()
            .filter(|terminal| terminal.missing_key_until.is_some())
            .count() as u64;
        Ok(Simulation {
            config,
            hub,
            clock,
            world,
            tally,
            progress,
            accepted_purchases_fen: vec![0; cards],
            clones: Vec::new(),
            clone_evidence: BTreeMap::new(),
            blacklist: Vec::new(),
            blacklist_version: 0,
            pushed_blacklist: jinka_terminal::Blacklist::default(),
            unreported: Vec::new(),
            windows: Vec::new(),
            day: 0,
            acquirer_batches: BTreeMap::new(),
            outboxes: BTreeMap::new(),
            forwarding: Forwarding::default(),
            pending: std::collections::VecDeque::new(),
        })
    }

    /// Runs every day and the drain.
    pub fn run_days(&mut self) -> Result<(), SimError> {
        for day in 0..self.config.days {
            self.progress.day_started(day, self.config.days);
            let before = DayActivity::so_far(&self.tally.activity);
            self.run_day(day)?;
            let added = DayActivity::so_far(&self.tally.activity).since(before);
            self.tally.days.push(added);
            self.progress.day_finished(day);
        }
        self.progress
            .stage("draining: every terminal online, every record delivered");
        self.drain()
    }

    fn run_day(&mut self, day: u32) -> Result<(), SimError> {
        self.day = day;
        self.terminals_go_offline(day);
        self.half_day(day, 0..MIDDAY_MINUTE)?;
        self.move_clock(SimTime::at(day, MIDDAY_MINUTE))?;
        self.report_lost()?;
        self.sync(day)?;
        self.half_day(day, MIDDAY_MINUTE..crate::clock::MINUTES_PER_DAY)?;
        self.finders_try(day)?;
        self.clones_spend(day)?;
        self.move_clock(SimTime::at(day, EVENING_SYNC_MINUTE))?;
        self.sync(day)?;
        self.close_day(day)
    }

    /// Moves the hub's clock to `time`, once every upload waiting for its answer is judged:
    /// the hub reads the clock when it takes an upload, which on its own thread
    /// ([`crate::background`]) may be later than when the upload was sent.
    pub(crate) fn move_clock(&mut self, time: SimTime) -> Result<(), SimError> {
        self.settle_uploads()?;
        self.clock.set(time);
        Ok(())
    }

    pub(crate) fn close_day(&mut self, day: u32) -> Result<(), SimError> {
        self.move_clock(SimTime::at(day, CLOSE_MINUTE))?;
        if let Some(resolved) = self.hub.resolve_overdue_loads()? {
            self.tally.activity.loads_resolved_voided += u64::from(resolved.voided);
            self.tally.activity.loads_resolved_posted += u64::from(resolved.posted);
        }
        let report = self.hub.close_window()?;
        self.windows.push(report);
        Ok(())
    }

    fn terminals_go_offline(&mut self, day: u32) {
        let rate = self.config.faults.get(Fault::Offline);
        for (index, terminal) in self.world.terminals.iter_mut().enumerate() {
            if terminal.kind.loads() || !terminal.online(day) {
                continue;
            }
            let mut rng = SimRng::derive(
                self.config.seed,
                &[stream::TERMINAL_FAULTS, u64::from(day), index as u64],
            );
            if rng.chance(rate) {
                let days = rng.between(1, 3) as u32;
                terminal.offline_until = Some(day + days);
                self.tally.faults.offline.terminals += 1;
                self.tally.faults.offline.terminal_days += u64::from(days);
            }
        }
    }

    fn half_day(&mut self, day: u32, minutes: Range<u16>) -> Result<(), SimError> {
        let morning = minutes.start == 0;
        self.top_up_round(day, &minutes)?;
        let holders = self.world.holders.len();
        for holder in 0..holders {
            if holder % PROGRESS_HOLDERS == 0 {
                let done = if morning { holder } else { holders + holder };
                self.progress.day_progress(done as u64, 2 * holders as u64);
            }
            if holder % self.forwarding.holders == 0 {
                self.forward(day)?;
            }
            if self.world.holders[holder].lost_on.is_some() {
                continue;
            }
            let plan = plan(&self.world, &self.config, day, holder);
            if morning && plan.cloned {
                self.clone_card(holder, day)?;
            }
            self.run_events(holder, day, &plan, &minutes)?;
            if morning {
                if plan.lost_at.is_some() {
                    self.world.holders[holder].lost_on = Some(day);
                    self.unreported.push(holder);
                }
                if self.world.holders[holder].social_security_day == Some(day)
                    && self.world.holders[holder].lost_on.is_none()
                {
                    self.add_social_security(holder)?;
                }
            }
            // The cardholder's half-day is over: their card goes back in the wallet, packed.
            self.world.put_down();
        }
        Ok(())
    }

    fn run_events(
        &mut self,
        holder: usize,
        day: u32,
        plan: &DayPlan,
        minutes: &Range<u16>,
    ) -> Result<(), SimError> {
        let mut entry_refused = false;
        for (index, event) in plan.events.iter().enumerate() {
            if !minutes.contains(&event.minute) {
                continue;
            }
            if plan.lost_at.is_some_and(|lost_at| event.minute >= lost_at) {
                break;
            }
            let time = SimTime::at(day, event.minute);
            let tear = SimRng::derive(
                self.config.seed,
                &[stream::TORN, u64::from(day), holder as u64, index as u64],
            );
            match event.action {
                Action::Enter { terminal, station } => {
                    self.ensure_funds(holder, terminal, METRO_MAX_FARE_FEN, time)?;
                    let approved =
                        self.transact(terminal, holder, Tx::Enter(station), time, tear)?;
                    entry_refused = !approved;
                }
                Action::Exit { terminal, station } => {
                    if entry_refused {
                        entry_refused = false;
                        continue;
                    }
                    self.ensure_funds(holder, terminal, METRO_MAX_FARE_FEN, time)?;
                    self.transact(terminal, holder, Tx::Exit(station), time, tear)?;
                }
                Action::Purchase {
                    terminal,
                    amount_fen,
                } => {
                    self.ensure_funds(holder, terminal, amount_fen, time)?;
                    self.transact(terminal, holder, Tx::Purchase(amount_fen), time, tear)?;
                }
            }
        }
        Ok(())
    }

    /// Tops the card up first if its balance would not cover `needed_fen` (the half-day's
    /// top-up round did not foresee it): at the metro's top-up machine for a tap, at a bank
    /// branch otherwise.
    fn ensure_funds(
        &mut self,
        holder: usize,
        at: usize,
        needed_fen: u32,
        time: SimTime,
    ) -> Result<(), SimError> {
        let balance = self.world.holders[holder].expected_balance_fen;
        if balance >= needed_fen {
            return Ok(());
        }
        let Some(amount) = crate::top_up::top_up_amount(balance, needed_fen) else {
            return Ok(());
        };
        let Some(machine) = self.top_up_machine(holder, at) else {
            return Ok(());
        };
        let before = SimTime {
            minute: time.minute.saturating_sub(1),
            ..time
        };
        let tear = crate::top_up::top_up_tear(self.config.seed, holder, before);
        self.transact(machine, holder, Tx::Load(amount), before, tear)?;
        Ok(())
    }

    /// Where the cardholder tops up before using terminal `at`: one of the top-up machines
    /// at the gate's station (the same one each time), a bank branch otherwise.
    pub(crate) fn top_up_machine(&self, holder: usize, at: usize) -> Option<usize> {
        let near = &self.world.terminals[at];
        let city = &self.world.cities[near.city as usize];
        match near.kind {
            crate::world::TerminalKind::MetroGate => {
                let per_station = (city.top_ups.len() / usize::from(city.stations).max(1)).max(1);
                city.top_ups
                    .get(usize::from(near.station) * per_station + holder % per_station)
                    .or(city.top_ups.first())
                    .copied()
            }
            _ => city
                .branches
                .get(holder % city.branches.len().max(1))
                .copied(),
        }
    }

    /// Runs `tx` for the cardholder's own card at `terminal`: whether it was approved.
    pub(crate) fn transact(
        &mut self,
        terminal: usize,
        holder: usize,
        tx: Tx,
        time: SimTime,
        mut tear: SimRng,
    ) -> Result<bool, SimError> {
        let torn = tear.chance(self.config.faults.get(Fault::Torn));
        let tag = RecordTag::original(holder as u32, time.day);
        let outcome = {
            let (card, sim_terminal, fares) = self.world.lane(holder, terminal)?;
            sim_terminal.terminal.journal_mut().tag = tag;
            let mut lane = Lane {
                terminal: sim_terminal,
                card,
                hub: &mut *self.hub,
                fares,
                apdus: &mut self.tally.activity.apdus,
            };
            lane.run(tx, time.moment(), torn.then_some(&mut tear))?
        };
        self.absorb(terminal, holder, Chip::Original, tx, outcome)
    }

    /// Counts what a flow did and keeps the card's expected balance; whether it was approved.
    pub(crate) fn absorb(
        &mut self,
        terminal: usize,
        holder: usize,
        chip: Chip,
        tx: Tx,
        outcome: FlowOutcome,
    ) -> Result<bool, SimError> {
        if let Some(tear) = outcome.tear {
            let torn = &mut self.tally.faults.torn;
            torn.injected += 1;
            torn.loads += u64::from(matches!(tx, Tx::Load(_)));
            match tear {
                TearOutcome::Recovered => torn.recovered += 1,
                TearOutcome::RolledBack => torn.rolled_back += 1,
                TearOutcome::Unresolved => torn.unresolved += 1,
            }
        }
        let approved = match outcome.result {
            Ok(approved) => approved,
            Err(refusal) => {
                self.refused(&refusal, outcome.load_refused.is_some());
                return Ok(false);
            }
        };
        if let Some(record) = approved.recovered {
            self.settle(holder, chip, &record, tx);
        }
        self.settle(holder, chip, &approved.record, tx);
        if outcome.confirmed == Some(ConfirmAnswer::Posted) {
            self.tally.activity.loads_confirmed_online += 1;
            // The newest record as a rule; a grouped top-up's confirmation is answered after
            // the machine's next card was presented, which may have journalled a recovered
            // record after it.
            let records = &mut self.world.terminals[terminal]
                .terminal
                .journal_mut()
                .records;
            let journalled = records
                .iter_mut()
                .rev()
                .find(|(record, _)| *record == approved.record)
                .ok_or_else(|| {
                    SimError::Bug(format!(
                        "terminal {terminal}: a load confirmed online is not in its journal"
                    ))
                })?;
            journalled.1.confirmed_online = true;
        }
        Ok(true)
    }

    fn refused(&mut self, refusal: &Refusal, load: bool) {
        let refused = &mut self.tally.activity.refused;
        match refusal {
            Refusal::InsufficientBalance { .. } => refused.insufficient_balance += 1,
            Refusal::Sam(jinka_sam::SamError::MissingKeyVersion { .. }) => {
                refused.sam_missing_key += 1;
                self.tally.faults.missing_key.refused += 1;
            }
            Refusal::Blacklisted { .. } | Refusal::Blocked => refused.blacklisted += 1,
            Refusal::Authorization(_) if load => refused.load_refused += 1,
            _ => refused.other += 1,
        }
    }

    /// One approved record of the cardholder's card (or its clone): the balance before must
    /// be the one expected, and the balance after is the next one expected.
    fn settle(&mut self, holder: usize, chip: Chip, record: &TransactionRecord, tx: Tx) {
        let activity = &mut self.tally.activity;
        activity.transactions += 1;
        activity.records_made += 1;
        let amount = record.amount_fen();
        match record.kind() {
            TransactionKind::Load => {
                activity.loads += 1;
                activity.loads_fen += u64::from(amount);
            }
            TransactionKind::CappPurchase => {
                match tx {
                    Tx::Exit(_) => activity.transit_exits += 1,
                    _ => activity.transit_entries += 1,
                }
                activity.transit_fen += u64::from(amount);
            }
            TransactionKind::Purchase => {
                activity.purchases += 1;
                activity.purchases_fen += u64::from(amount);
            }
        }
        let person = &mut self.world.holders[holder];
        let expected = match chip {
            Chip::Original => &mut person.expected_balance_fen,
            Chip::Clone => match self.clones.iter_mut().find(|c| c.holder == holder) {
                Some(clone) => &mut clone.expected_balance_fen,
                None => return,
            },
        };
        if record.balance_before_fen() != *expected {
            self.tally.balance_surprises += 1;
            if self.tally.balance_examples.len() < crate::tally::EXAMPLES_MAX {
                self.tally.balance_examples.push(format!(
                    "card {} ATC {}: balance before {} fen, expected {}",
                    hex::encode_upper(record.asn()),
                    record.atc(),
                    record.balance_before_fen(),
                    expected
                ));
            }
        }
        *expected = crate::flows::balance_after(record);
        match (record.kind(), chip) {
            (TransactionKind::Load, _) => person.loaded_fen += u64::from(amount),
            (_, Chip::Original) => person.spent_fen += u64::from(amount),
            (_, Chip::Clone) => person.clone_spent_fen += u64::from(amount),
        }
    }

    /// The clone fault: the card's memory copied to a second chip before the day starts.
    fn clone_card(&mut self, holder: usize, day: u32) -> Result<(), SimError> {
        let person = &self.world.holders[holder];
        if person.cloned_on.is_some() || person.expected_balance_fen < 2_000 {
            return Ok(());
        }
        let memory = self.world.card_memory(holder)?;
        let person = &mut self.world.holders[holder];
        person.cloned_on = Some(day);
        person.clone_from_atc = crate::flows::purse_counters(&memory)
            .map(|(offline, _)| offline)
            .unwrap_or_default();
        let seed =
            SimRng::derive(self.config.seed, &[stream::CARD_FAULTS, 99, holder as u64]).next_u64();
        let card = SimCard::new(memory, SeededEntropy::new(seed));
        self.tally.faults.clone.cards += 1;
        self.clone_evidence
            .insert(holder as u32, CloneEvidence::default());
        self.clones.push(CloneChip {
            holder,
            card,
            expected_balance_fen: person.expected_balance_fen,
        });
        Ok(())
    }

    /// The clone chips spend the copied balance at shops in the afternoon, then are dropped.
    fn clones_spend(&mut self, day: u32) -> Result<(), SimError> {
        for slot in 0..self.clones.len() {
            let holder = self.clones[slot].holder;
            let mut rng = SimRng::derive(
                self.config.seed,
                &[stream::CARD_FAULTS, 98, u64::from(day), holder as u64],
            );
            let city = rng.below(self.world.cities.len() as u64) as usize;
            for purchase in 0..rng.between(2, 4) {
                let balance = self.clones[slot].expected_balance_fen;
                if balance < 500 {
                    break;
                }
                let shops = &self.world.cities[city].shops;
                let Some(&shop) = shops.get(rng.index(shops.len())) else {
                    break;
                };
                let amount = (rng.between(500, u64::from(balance.min(20_000))) / 10 * 10) as u32;
                let time = SimTime::at(day, 13 * 60 + purchase as u16 * 40);
                let outcome = {
                    let world = &mut self.world;
                    let sim_terminal = &mut world.terminals[shop];
                    sim_terminal.terminal.journal_mut().tag = RecordTag {
                        chip: Chip::Clone,
                        ..RecordTag::original(holder as u32, day)
                    };
                    let mut lane = Lane {
                        terminal: sim_terminal,
                        card: &mut self.clones[slot].card,
                        hub: &mut *self.hub,
                        fares: &world.cities[city].fares,
                        apdus: &mut self.tally.activity.apdus,
                    };
                    lane.run(Tx::Purchase(amount), time.moment(), None)?
                };
                if self.absorb(shop, holder, Chip::Clone, Tx::Purchase(amount), outcome)? {
                    self.tally.faults.clone.purchases += 1;
                    self.tally.faults.clone.purchases_fen += u64::from(amount);
                }
            }
            let clone = &self.clones[slot];
            let person = &mut self.world.holders[holder];
            person.clone_balance_fen = clone.expected_balance_fen;
            person.clone_offline_atc = crate::flows::purse_counters(clone.card.nvm())
                .map(|(offline, _)| offline)
                .unwrap_or_default();
        }
        self.clones.clear();
        Ok(())
    }

    /// Reports the cards lost this morning to the hub (hotlisted) and pushes them to the
    /// terminals' blacklist.
    fn report_lost(&mut self) -> Result<(), SimError> {
        for holder in std::mem::take(&mut self.unreported) {
            let asn = self.world.holders[holder].asn;
            self.tally.faults.lost.reported += 1;
            if self.hub.report_lost(asn)? {
                self.tally.faults.lost.hub_hotlisted += 1;
            }
            self.blacklist.push(asn);
            self.blacklist_version += 1;
        }
        Ok(())
    }

    /// Whoever found a card lost today tries to buy with it at a shop that has the list.
    fn finders_try(&mut self, day: u32) -> Result<(), SimError> {
        for holder in 0..self.world.holders.len() {
            if self.world.holders[holder].lost_on != Some(day) {
                continue;
            }
            let mut rng = SimRng::derive(
                self.config.seed,
                &[stream::CARD_FAULTS, 97, u64::from(day), holder as u64],
            );
            let city = &self.world.cities[self.world.holders[holder].city as usize];
            let shops: Vec<usize> = city
                .shops
                .iter()
                .copied()
                .filter(|shop| self.world.terminals[*shop].online(day))
                .collect();
            let Some(&shop) = shops.get(rng.index(shops.len())) else {
                continue;
            };
            let balance_before =
                purse_balance(&self.world.card_memory(holder)?).unwrap_or_default();
            let time = SimTime::at(day, 15 * 60 + rng.below(180) as u16);
            self.tally.faults.lost.finder_tries += 1;
            let outcome = {
                let (card, sim_terminal, fares) = self.world.lane(holder, shop)?;
                sim_terminal.terminal.journal_mut().tag = RecordTag::original(holder as u32, day);
                let mut lane = Lane {
                    terminal: sim_terminal,
                    card,
                    hub: &mut *self.hub,
                    fares,
                    apdus: &mut self.tally.activity.apdus,
                };
                lane.run(Tx::Purchase(FINDER_PURCHASE_FEN), time.moment(), None)?
            };
            if let Err(Refusal::Blacklisted { blocked_on_card }) = &outcome.result {
                self.tally.faults.lost.refused += 1;
                self.tally.faults.lost.blocked_on_card += u64::from(*blocked_on_card);
            }
            self.absorb(
                shop,
                holder,
                Chip::Original,
                Tx::Purchase(FINDER_PURCHASE_FEN),
                outcome,
            )?;
            let balance_after = purse_balance(&self.world.card_memory(holder)?).unwrap_or_default();
            self.tally.faults.lost.moved_after_report_fen +=
                u64::from(balance_before.abs_diff(balance_after));
        }
        Ok(())
    }

    /// The social-security bureau adds its application to the card, by the card issuer's
    /// management script (the card manager key is the issuer's; the application's keys are
    /// the bureau's), as APDUs to the card; then checks the card lists it and the e-purse is
    /// untouched.
    fn add_social_security(&mut self, holder: usize) -> Result<(), SimError> {
        let card_keys = self.world.card_keys(holder).clone();
        let department = self.world.social_security_keys.clone();
        // Unpacked, the card is powered up in the bureau's reader.
        let mut card = self.world.take_card(holder)?;
        let person = &mut self.world.holders[holder];
        let asn = person.asn;
        let before = purse_balance(card.nvm());
        let mut manager = CardManager::new(
            card_keys.profile,
            &card_keys.card_manager,
            &asn,
            card.nvm().state.management_counter,
        );
        let script = Template::SocialSecurity.script(&mut manager, &department, &issuance(asn));
        let mut response = Vec::with_capacity(64);
        for command in script {
            response.clear();
            self.tally.activity.apdus += 1;
            let answered = card.transmit(&command, &mut response);
            if answered.is_err() {
                self.world.put_card(holder, card);
                return Err(SimError::Bug("a card lost power during management".into()));
            }
            if response.ends_with(&[0x90, 0x00]).then_some(()).is_none() {
                self.world.put_card(holder, card);
                return Err(SimError::Bug(format!(
                    "card {} refused the social-security script: {}",
                    hex::encode_upper(asn),
                    hex::encode_upper(&response)
                )));
            }
        }
        self.tally.activity.social_security_added += 1;
        let mut reader = crate::flows::Counted {
            card: &mut card,
            apdus: &mut self.tally.activity.apdus,
        };
        let listed = jinka_terminal::read_directory(&mut reader, &mut response)
            .map(|entries| {
                entries
                    .iter()
                    .any(|entry| entry.aid.as_bytes() == jinka_card::SOCIAL_SECURITY_AID)
            })
            .unwrap_or(false);
        self.tally.activity.social_security_listed += u64::from(listed);
        let kept = purse_balance(card.nvm()) == before;
        self.tally.activity.social_security_balance_kept += u64::from(kept);
        person.balance_before_social_security = before;
        self.world.put_card(holder, card);
        Ok(())
    }
}

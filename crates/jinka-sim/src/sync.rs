//! Between syncs, the acquirers receive their online terminals' records and upload each
//! batch they fill. At a sync point every terminal hands over what it stored since (or forms
//! a batch of it when offline); the terminals that reach the hub take the blacklist and any
//! key they were missing, and upload their batches (oldest first, or shuffled after days
//! offline), with the upload faults: records corrupted in transit, the hub restarted around
//! an upload whose answer was lost, a batch uploaded twice. Each answer is judged against
//! what the simulation knows of every record.

use jinka_record::TransactionKind;

use crate::clock::SimTime;
use crate::config::Fault;
use crate::error::SimError;
use crate::hub_port::PortError;
use crate::rng::SimRng;
use crate::simulation::Simulation;
use std::collections::BTreeMap;

use crate::upload::{
    Answer, BATCH_RECORDS_SIM_MAX, Batch, Outgoing, bulk_body, corrupted, form_batches, read_answer,
};
use crate::world::stream;

/// Drain rounds after the last day: the first uploads everything, the next ones the clean
/// copies of records corrupted in the round before.
const DRAIN_ROUNDS_MAX: u32 = 4;
/// Minute of the drain's sync on the day after the last.
const DRAIN_MINUTE: u16 = 60;

/// FNV-1a of a batch id: its own stream of chance.
fn batch_stream(id: &str) -> u64 {
    id.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// Records of the uploads whose answers the day loop may leave to judge later
/// ([`crate::background`]): the hub works on them while the cards make the next, and takes
/// the ones waiting together in one transaction (`jinka_hub::UPLOAD_GROUP_RECORDS_MAX`
/// records at most). Each upload keeps its batch (about 100 bytes a record) until judged.
const UPLOAD_RECORDS_AWAITING_MAX: usize = jinka_hub::UPLOAD_GROUP_RECORDS_MAX;

/// An upload whose answer is still to judge, with what the judge needs as it was when the
/// batch was sent.
pub(crate) struct Pending {
    owner: u32,
    batch: Batch,
    /// Which records were corrupted in transit.
    corrupt: Vec<bool>,
    /// Whether each record's card had been cloned.
    cloned: Vec<bool>,
    day: u32,
    /// The answer, if the hub gave it at once.
    first: Option<String>,
    /// The duplicate fault's second upload under the same id (its answer, if given at once).
    again: Option<Option<String>>,
    /// The duplicate fault's replay of the accepted records under a new id, made once this
    /// upload is judged (nothing is sent after it before then).
    replay: bool,
}

fn broken(what: String) -> SimError {
    SimError::Hub(PortError::Broken(what))
}

impl Simulation<'_> {
    /// The sync of every terminal on `day`, acquirer by acquirer: the terminals that reach
    /// the hub hand their new records to their acquirer, which uploads them together (batches
    /// of up to [`crate::BATCH_RECORDS_SIM_MAX`] records, as an acquirer's host does); a
    /// terminal that cannot keeps its batches until it can, then uploads them itself. An
    /// acquirer holds at most a batch's worth of records at a time.
    pub(crate) fn sync(&mut self, day: u32) -> Result<(), SimError> {
        self.settle_uploads()?;
        let mut acquirers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (index, terminal) in self.world.terminals.iter().enumerate() {
            acquirers.entry(terminal.owner).or_default().push(index);
        }
        for (owner, terminals) in acquirers {
            let mut outbox = self.outboxes.remove(&owner).unwrap_or_default();
            for index in terminals {
                self.sync_terminal(index, day, &mut outbox)?;
                self.upload_full(owner, &mut outbox, BATCH_RECORDS_SIM_MAX, day)?;
            }
            if !outbox.is_empty() {
                self.upload_for(owner, outbox, day)?;
            }
        }
        self.settle_uploads()
    }

    /// Between syncs, as an acquirer's host does: the records of its terminals that are online
    /// (and have synced since they were offline) go to their acquirer as they are made, and
    /// the acquirer uploads a batch each time [`crate::BATCH_RECORDS_SIM_MAX`] have gathered;
    /// the rest goes up at the next sync. Neither terminals nor acquirers hold half a day's
    /// records. The hub's clock is where the last sync left it: the simulation moves it at
    /// syncs only (it runs cardholder by cardholder, not minute by minute).
    pub(crate) fn forward(&mut self, day: u32) -> Result<(), SimError> {
        for index in 0..self.world.terminals.len() {
            let terminal = &mut self.world.terminals[index];
            // Offline, or back but not synced yet: its records wait for its sync.
            if terminal.terminal.journal().records.is_empty() || terminal.offline_until.is_some() {
                continue;
            }
            let owner = terminal.owner;
            let slot = index as u32;
            // Taken, not drained: the journal gives its memory back until the next records.
            let journal = std::mem::take(&mut terminal.terminal.journal_mut().records);
            let mut outbox = self.outboxes.remove(&owner).unwrap_or_default();
            outbox.extend(
                journal
                    .into_iter()
                    .map(|(record, tag)| (record, tag, false, slot)),
            );
            self.upload_full(owner, &mut outbox, self.forwarding.records, day)?;
            self.outboxes.insert(owner, outbox);
        }
        Ok(())
    }

    /// Uploads the first `size` records of `outbox` as long as it holds that many.
    fn upload_full(
        &mut self,
        owner: u32,
        outbox: &mut Vec<Outgoing>,
        size: usize,
        day: u32,
    ) -> Result<(), SimError> {
        while outbox.len() >= size {
            let rest = outbox.split_off(size);
            let full = std::mem::replace(outbox, rest);
            self.upload_for(owner, full, day)?;
        }
        Ok(())
    }

    /// Uploads `records` as one batch of acquirer `owner`.
    fn upload_for(&mut self, owner: u32, records: Vec<Outgoing>, day: u32) -> Result<(), SimError> {
        let formed = self.acquirer_batches.entry(owner).or_default();
        for batch in form_batches(&format!("ACQ{owner}"), formed, day, records) {
            self.upload(owner, batch, day)?;
        }
        Ok(())
    }

    /// One terminal's sync: the records it hands its acquirer go to `outbox`; a terminal
    /// that cannot reach the hub today keeps them as batches.
    fn sync_terminal(
        &mut self,
        index: usize,
        day: u32,
        outbox: &mut Vec<Outgoing>,
    ) -> Result<(), SimError> {
        let slot = index as u32;
        let terminal = &mut self.world.terminals[index];
        // Taken, not drained: the journal gives its memory back until the next records.
        let journal = std::mem::take(&mut terminal.terminal.journal_mut().records);
        let resent = std::mem::take(&mut terminal.retransmit);
        let records = journal
            .into_iter()
            .map(|(record, tag)| (record, tag, false, slot))
            .chain(
                resent
                    .into_iter()
                    .map(|(record, tag)| (record, tag, true, slot)),
            );
        if !terminal.online(day) {
            let prefix = hex::encode_upper(terminal.id);
            let records = records.collect();
            let batches = form_batches(&prefix, &mut terminal.batches_formed, day, records);
            terminal.queue.extend(batches);
            return Ok(());
        }
        outbox.extend(records);
        let back = terminal.offline_until.take().is_some();
        if terminal.missing_key_until.is_some_and(|until| day >= until) {
            let serial_next = terminal.terminal.sam_mut().serial_next();
            let sam = self
                .world
                .sam(self.world.terminals[index].id, true, serial_next);
            let terminal = &mut self.world.terminals[index];
            *terminal.terminal.sam_mut() = sam;
            terminal.missing_key_until = None;
            self.tally.faults.missing_key.updated += 1;
        }
        let terminal = &mut self.world.terminals[index];
        if terminal.terminal.blacklist_mut().version() < self.blacklist_version {
            if self.pushed_blacklist.version() < self.blacklist_version {
                self.pushed_blacklist
                    .replace(self.blacklist_version, &self.blacklist)
                    .map_err(|error| SimError::Bug(format!("blacklist: {error}")))?;
            }
            // The terminals of a sync share one copy of the list (a clone shares it).
            *terminal.terminal.blacklist_mut() = self.pushed_blacklist.clone();
        }
        let owner = terminal.owner;
        let mut queue = std::mem::take(&mut terminal.queue);
        if back && !queue.is_empty() {
            let mut rng = SimRng::derive(
                self.config.seed,
                &[stream::UPLOAD, u64::from(day), index as u64],
            );
            rng.shuffle(&mut queue);
            self.tally.faults.offline.late_batches += queue.len() as u64;
        }
        for batch in queue {
            self.upload(owner, batch, day)?;
        }
        Ok(())
    }

    /// Uploads one batch with the upload faults; its answer is judged when it comes
    /// ([`Simulation::settle_uploads`]). An upload whose duplicate must replay its accepted
    /// records is judged before anything else is sent, so the hub gets the same calls in the
    /// same order whether answers wait or not: the fault draws come from the batch's own
    /// stream, whatever the answers say.
    fn upload(&mut self, owner: u32, batch: Batch, day: u32) -> Result<(), SimError> {
        let mut rng = SimRng::derive(self.config.seed, &[stream::UPLOAD, batch_stream(&batch.id)]);
        let corrupt_rate = self.config.faults.get(Fault::Corrupt);
        let mut wire = batch.records.clone();
        let mut corrupt = vec![false; wire.len()];
        for (slot, record) in wire.iter_mut().enumerate() {
            if !batch.resent[slot] && rng.chance(corrupt_rate) {
                *record = corrupted(record, &mut rng);
                corrupt[slot] = true;
                self.tally.faults.corrupt.records += 1;
            }
        }
        let cloned: Vec<bool> = batch
            .tags
            .iter()
            .map(|tag| self.world.holders[tag.card as usize].cloned_on.is_some())
            .collect();
        let body = bulk_body(&batch.id, &wire);
        let first = if rng.chance(self.config.faults.get(Fault::Restart)) {
            Some(self.send_restarting(owner, &body, wire.len(), &mut rng)?)
        } else {
            self.start_upload(owner, body.clone(), wire.len())?
        };
        let duplicate = rng.chance(self.config.faults.get(Fault::Duplicate));
        let same_id = duplicate && rng.below(2) == 0;
        let again = if same_id {
            Some(self.start_upload(owner, body, wire.len())?)
        } else {
            None
        };
        let replay = duplicate && !same_id;
        self.pending.push_back(Pending {
            owner,
            batch,
            corrupt,
            cloned,
            day,
            first,
            again,
            replay,
        });
        if replay {
            self.settle_uploads()?;
        }
        while self.records_awaiting() > UPLOAD_RECORDS_AWAITING_MAX {
            self.settle_one()?;
        }
        Ok(())
    }

    fn start_upload(
        &mut self,
        owner: u32,
        body: Vec<u8>,
        records: usize,
    ) -> Result<Option<String>, SimError> {
        self.tally.activity.uploads += 1;
        self.tally.activity.records_uploaded += records as u64;
        self.progress.uploaded(records as u64);
        Ok(self.hub.start_upload(owner, body)?)
    }

    /// The records of the uploads still waiting for their answers.
    fn records_awaiting(&self) -> usize {
        self.pending
            .iter()
            .map(|pending| pending.batch.records.len())
            .sum()
    }

    /// Judges every upload still waiting for its answer, oldest first: before the clock
    /// moves ([`Simulation::move_clock`]) and around a sync (a judged record may go back to
    /// its terminal to be sent again, and the drain asks whether any is left).
    pub(crate) fn settle_uploads(&mut self) -> Result<(), SimError> {
        while !self.pending.is_empty() {
            self.settle_one()?;
        }
        Ok(())
    }

    /// Judges the oldest upload waiting for its answer (and makes its duplicate fault's
    /// replay).
    fn settle_one(&mut self) -> Result<(), SimError> {
        let Some(pending) = self.pending.pop_front() else {
            return Ok(());
        };
        let text = match pending.first {
            Some(text) => text,
            None => self.hub.upload_answer()?,
        };
        let batch = &pending.batch;
        let answer = read_answer(&text, &batch.id, batch.records.len()).ok_or_else(|| {
            broken(format!(
                "answer to batch {} not understood: {text}",
                batch.id
            ))
        })?;
        self.judge(
            batch,
            &pending.corrupt,
            &pending.cloned,
            &answer,
            pending.day,
        );
        if let Some(again) = pending.again {
            let again = match again {
                Some(text) => text,
                None => self.hub.upload_answer()?,
            };
            let duplicate = &mut self.tally.faults.duplicate;
            duplicate.same_id += 1;
            duplicate.same_id_identical += u64::from(again == text);
        }
        if pending.replay {
            self.replay(pending.owner, batch, &pending.corrupt, &answer)?;
        }
        Ok(())
    }

    /// Sends a body with the restart fault: the hub restarted before the request reached
    /// it, or after it committed a batch whose answer never came back (then the terminal
    /// uploads the same batch again).
    fn send_restarting(
        &mut self,
        owner: u32,
        body: &[u8],
        records: usize,
        rng: &mut SimRng,
    ) -> Result<String, SimError> {
        let restart = &mut self.tally.faults.restart;
        restart.injected += 1;
        if rng.below(2) == 0 {
            let lost = self.upload_body(owner, body, records)?;
            if !self.hub.restart()? {
                self.tally.faults.restart.not_possible += 1;
            }
            let again = self.upload_body(owner, body, records)?;
            let restart = &mut self.tally.faults.restart;
            restart.answers_lost += 1;
            restart.answers_identical += u64::from(again == lost);
            return Ok(again);
        }
        if self.hub.restart()? {
            self.tally.faults.restart.before_upload += 1;
        } else {
            self.tally.faults.restart.not_possible += 1;
        }
        self.upload_body(owner, body, records)
    }

    fn upload_body(&mut self, owner: u32, body: &[u8], records: usize) -> Result<String, SimError> {
        self.tally.activity.uploads += 1;
        self.tally.activity.records_uploaded += records as u64;
        self.progress.uploaded(records as u64);
        Ok(self.hub.upload_batch(owner, body)?)
    }

    /// The duplicate fault's second kind: the batch's accepted records under a new id (each
    /// must be a `duplicate`).
    fn replay(
        &mut self,
        owner: u32,
        batch: &Batch,
        corrupt: &[bool],
        answer: &Answer,
    ) -> Result<(), SimError> {
        let replayed: Vec<_> = batch
            .records
            .iter()
            .zip(&answer.decisions)
            .zip(corrupt)
            .filter(|((_, decision), corrupt)| decision.accepted() && !**corrupt)
            .map(|((record, _), _)| *record)
            .collect();
        if replayed.is_empty() {
            return Ok(());
        }
        let id = format!("{}-R", batch.id);
        let text = self.upload_body(owner, &bulk_body(&id, &replayed), replayed.len())?;
        let answer = read_answer(&text, &id, replayed.len())
            .ok_or_else(|| broken(format!("answer to batch {id} not understood: {text}")))?;
        let duplicate = &mut self.tally.faults.duplicate;
        duplicate.replays += 1;
        duplicate.replayed_records += replayed.len() as u64;
        for (record, decision) in replayed.iter().zip(&answer.decisions) {
            if decision.reason.as_deref() == Some("duplicate") {
                self.tally.faults.duplicate.replayed_duplicate += 1;
            } else {
                self.tally.decisions.surprise(format!(
                    "replay {id}: card {} ATC {} was {}, expected duplicate",
                    hex::encode_upper(record.asn()),
                    record.atc(),
                    decision.outcome()
                ));
            }
        }
        Ok(())
    }

    /// Checks each decision of an answer against what the simulation knows of the record.
    fn judge(
        &mut self,
        batch: &Batch,
        corrupt: &[bool],
        cloned: &[bool],
        answer: &Answer,
        day: u32,
    ) {
        for (slot, decision) in answer.decisions.iter().enumerate() {
            let (record, tag) = (batch.records[slot], batch.tags[slot]);
            let card = tag.card as usize;
            let cloned = cloned[slot];
            let accepted = decision.accepted();
            let activity = &mut self.tally.activity;
            if accepted {
                activity.records_accepted += 1;
            } else {
                activity.records_rejected += 1;
            }
            let expected: &[&str] = if corrupt[slot] {
                &["bad_tac"]
            } else if cloned {
                &["accepted", "duplicate"]
            } else if tag.confirmed_online {
                &["duplicate"]
            } else {
                &["accepted"]
            };
            if expected.contains(&decision.outcome()) {
                self.tally.decisions.as_expected += 1;
            } else {
                self.tally.decisions.surprise(format!(
                    "batch {} record {slot}: card {} {} ATC {} was {}, expected {}",
                    batch.id,
                    hex::encode_upper(record.asn()),
                    record.kind().name(),
                    record.atc(),
                    decision.outcome(),
                    expected.join(" or ")
                ));
            }
            let faults = &mut self.tally.faults;
            if corrupt[slot] && decision.outcome() == "bad_tac" {
                faults.corrupt.bad_tac += 1;
                faults.corrupt.resent += 1;
                self.world.terminals[batch.terminals[slot] as usize]
                    .retransmit
                    .push((record, tag));
            }
            if batch.resent[slot] && accepted {
                faults.corrupt.resent_accepted += 1;
            }
            if tag.day < day {
                faults.offline.late_records += 1;
                faults.offline.late_accepted += u64::from(accepted);
            }
            if decision.flagged("counter_gap") {
                faults.offline.counter_gaps_opened += 1;
            }
            if decision.flagged("hotlisted_card_used") {
                self.tally.decisions.hotlisted_flags += 1;
            }
            if accepted && record.kind() != TransactionKind::Load {
                self.accepted_purchases_fen[card] += u64::from(record.amount_fen());
            }
            self.clone_signs(card, cloned, &record, decision);
        }
    }

    /// What a decision shows about a cloned card (or a false alarm on a genuine one).
    fn clone_signs(
        &mut self,
        card: usize,
        cloned: bool,
        record: &jinka_record::TransactionRecord,
        decision: &crate::upload::DecisionWire,
    ) {
        let discontinuity = decision.flagged("balance_discontinuity");
        if !cloned {
            if discontinuity {
                self.tally.decisions.false_discontinuities += 1;
                self.tally.decisions.surprise(format!(
                    "card {} ATC {}: balance_discontinuity on a card never cloned",
                    hex::encode_upper(record.asn()),
                    record.atc()
                ));
            }
            return;
        }
        let clone = &mut self.tally.faults.clone;
        let evidence = self.clone_evidence.entry(card as u32).or_default();
        if discontinuity {
            clone.discontinuity_flags += 1;
            evidence.flagged = true;
        }
        if decision.reason.as_deref() == Some("duplicate") && record.kind() != TransactionKind::Load
        {
            clone.duplicates += 1;
            clone.duplicates_fen += u64::from(record.amount_fen());
            evidence.duplicates += 1;
        }
    }

    /// After the last day: every terminal back online, uploads until every record is in.
    pub(crate) fn drain(&mut self) -> Result<(), SimError> {
        let day = self.config.days;
        self.day = day;
        self.move_clock(SimTime::at(day, DRAIN_MINUTE))?;
        for terminal in &mut self.world.terminals {
            if terminal.offline_until.is_some() {
                terminal.offline_until = Some(day);
            }
            if terminal.missing_key_until.is_some() {
                terminal.missing_key_until = Some(day);
            }
        }
        for _ in 0..DRAIN_ROUNDS_MAX {
            self.sync(day)?;
            let idle = self.world.terminals.iter().all(|terminal| {
                terminal.queue.is_empty()
                    && terminal.retransmit.is_empty()
                    && terminal.terminal.journal().records.is_empty()
            });
            if idle {
                break;
            }
        }
        self.close_day(day)
    }
}

#[cfg(test)]
mod tests {
    use crate::background::in_background;
    use crate::hub_port::HubPort;
    use crate::simulation::Forwarding;
    use crate::{Fault, FaultRates, InProcessHub, Rate, SimClock, SimConfig, Simulation};

    /// Runs 300 cards for two days with `forwarding` and `faults`.
    fn run(forwarding: Forwarding, faults: FaultRates) -> crate::Outcome {
        run_with(forwarding, faults, false).0
    }

    /// [`run`], with the hub on its own thread ([`in_background`]) or not; and the batches
    /// in the order the hub stored them, each with its id and the hub's time of its upload.
    fn run_with(
        forwarding: Forwarding,
        faults: FaultRates,
        background: bool,
    ) -> (crate::Outcome, Vec<(String, i64)>) {
        let data = tempfile::tempdir().unwrap();
        let clock = SimClock::new();
        let mut hub = InProcessHub::open(data.path().join("hub"), None, clock.clone()).unwrap();
        let config = SimConfig {
            cards: 300,
            days: 2,
            cities: 2,
            seed: 9,
            outings: 1,
            faults,
        };
        let mut progress = crate::Silent;
        let run = |hub: &mut dyn HubPort| {
            let mut simulation = Simulation::new(config, hub, clock, &mut progress).unwrap();
            simulation.forwarding = forwarding;
            simulation.run_days().unwrap();
            simulation.outcome().unwrap()
        };
        let outcome = if background {
            in_background(&mut hub, |hub| run(hub))
        } else {
            run(&mut hub)
        };
        let database = data.path().join("hub").join(jinka_hub::DATABASE_FILE_NAME);
        let database = rusqlite::Connection::open(database).unwrap();
        let mut statement = database
            .prepare("SELECT batch_id, uploaded_at_ms FROM batches ORDER BY id")
            .unwrap();
        let batches = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<Vec<(String, i64)>, _>>()
            .unwrap();
        (outcome, batches)
    }

    #[test]
    fn the_hub_on_its_own_thread_gets_the_same_calls_and_gives_the_same_run() {
        // Acquirers upload every 20 records: many uploads wait for their answers.
        let often = Forwarding {
            holders: 4,
            records: 20,
        };
        // The report, and the batches in the order the hub stored them, with the hub's time
        // of each (the clock moves only once the uploads sent before are decided).
        let report = |faults, background| {
            let (outcome, batches) = run_with(often, faults, background);
            assert!(outcome.audit.passed(), "{}", outcome.audit.table());
            (outcome.report(), batches)
        };
        let faults = FaultRates::default();
        assert_eq!(report(faults, true), report(faults, false));
        // Every fault turned up: restarts and replays judge what waits before they send.
        let mut faults = FaultRates::default();
        for fault in Fault::ALL {
            faults.set(fault, Rate::ppm(100_000));
        }
        let background = report(faults, true);
        assert_eq!(background, report(faults, false));
        let (report, batches) = background;
        // As when every answer is judged at once: a batch's replay is the next batch the hub
        // stores.
        assert!(
            batches.iter().any(|(id, _)| id.ends_with("-R")),
            "{batches:?}"
        );
        for pair in batches.windows(2) {
            if let Some(replayed) = pair[1].0.strip_suffix("-R") {
                assert_eq!(pair[0].0, replayed, "{batches:?}");
            }
        }
        let duplicates = &report["faults"]["duplicate"];
        assert!(duplicates["replays"].as_u64() > Some(0), "{duplicates}");
        assert!(duplicates["same_id"].as_u64() > Some(0), "{duplicates}");
        assert!(report["faults"]["restart"]["injected"].as_u64() > Some(0));
    }

    #[test]
    fn acquirers_upload_between_syncs_and_every_record_still_counts() {
        let often = Forwarding {
            holders: 16,
            records: 100,
        };
        let at_syncs = run(Forwarding::default(), FaultRates::default());
        let between = run(often, FaultRates::default());
        assert!(between.audit.passed(), "{}", between.audit.table());
        let (before, after) = (&at_syncs.tally.activity, &between.tally.activity);
        // Batches of 100 between the syncs: many more uploads, the same transactions and
        // every record decided as before.
        assert!(
            after.uploads > before.uploads + 30,
            "{} uploads, {} at syncs only",
            after.uploads,
            before.uploads
        );
        assert_eq!(after.transactions, before.transactions);
        assert_eq!(after.records_made, before.records_made);
        assert_eq!(between.tally.decisions.unexpected, 0);
        // With every fault turned up (offline terminals, which do not forward, among them).
        let mut faults = FaultRates::default();
        for fault in crate::Fault::ALL {
            faults.set(fault, crate::Rate::ppm(100_000));
        }
        let faulty = run(often, faults);
        assert!(faulty.audit.passed(), "{}", faulty.audit.table());
        assert!(faulty.tally.faults.offline.late_records > 0);
    }
}

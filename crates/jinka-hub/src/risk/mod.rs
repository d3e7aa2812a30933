//! Risk control in the hub (`hub.md` § Risk control, § Blacklist), over the pure core
//! `jinka_risk`: the rules' evaluator and the versioned network blacklist, held in memory
//! behind one mutex each ([`RiskControl`]), and what the hub does with their decisions.
//!
//! - **Rules inside ingest.** A decided batch is shown to the evaluator
//!   ([`observe_batch`]) inside the batch's own database transaction, and every decision is
//!   stored there too (`risk_decisions`), with its action carried out: `hotlist_card` sets
//!   the card's status to `hotlisted` and appends a blacklist change, `suspend_terminal`
//!   marks the terminal suspended (its load requests are then refused with
//!   `terminal_suspended`; its offline records are still cleared: the purchases happened),
//!   `flag` is only stored. A record id given as evidence is the batch's row id shifted left
//!   by [`RECORD_INDEX_BITS`] bits, or'ed with the record's index in the batch: the record is
//!   found again under its batch (`GET /v1/risk/decisions/{id}`).
//! - **Rules beside load authorization.** Each approved online load (not a replay) is a
//!   sighting of the card for the velocity rule, shown to the evaluator in the transaction
//!   that stores the authorization ([`RiskControl::observe_loads`], from the load
//!   committer); its record id is [`LOAD_RECORD_TAG`] with the load's online ATC.
//! - **State.** The evaluator's state is saved in its binary form, in chunks
//!   (`risk_state_chunks`, [`state_chunks`]), when a settlement window is closed and when the server stops cleanly, and restored at start. State since the last
//!   save is lost on a crash (the rules then start again from the saved state: a pattern
//!   half-seen before the crash needs to be seen again). The evaluator sees a batch before
//!   its transaction commits; every write transaction runs in [`RiskControl::transaction`],
//!   which keeps the evaluator's journal and undoes what the rules saw if the transaction
//!   fails (a group of batches or loads that fails, decided again one at a time, is seen
//!   once). With several hub
//!   processes over one PostgreSQL database each process's rules see the batches it
//!   ingested (decisions, statuses and the blacklist are shared through the database).
//!   A database saved by a hub before the binary form holds the state as JSON
//!   (`risk_settings`): it is read when there are no chunks, and the next save replaces it.
//! - **Blacklist.** Every listing and removal is a row of `blacklist_changes`, whose version
//!   is the next one, written in the transaction that changes the card's status. The hub's
//!   [`jinka_risk::NetworkBlacklist`] is rebuilt from the table at start and brought up to
//!   date from it (the versions above its own) before it answers, so hub processes over
//!   one database answer alike.

pub(crate) mod ops;
pub(crate) mod state_chunks;
pub(crate) mod storage;
#[cfg(test)]
pub(crate) mod tests;
pub(crate) mod timer;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use jinka_clearing::{IngestOutcome, LoadRequest, Region, TerminalId, UploadedRecord};
use jinka_risk::{
    Action, ApprovedLoad, BlacklistLimits, BlacklistState, Change, ChangeKind, Listing,
    ListingReason, NetworkBlacklist, RecordId, RiskConfig, RiskDecision, RiskEvaluator, RiskState,
    Subject,
};

use crate::clearing::ClearingStorage;
use crate::clearing::storage::BatchKey;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::store::Store;
use state_chunks::{ChunkReader, ChunkWriter};
use storage::{RiskStorage, Setting};

/// Bits of a record id that hold the record's index in its batch (a batch holds at most
/// `jinka_clearing::BATCH_RECORDS_MAX` = 100,000 < 2^20 records).
pub(crate) const RECORD_INDEX_BITS: u32 = 20;

/// The record id of record `index` of the batch `batch`.
pub(crate) fn record_id(batch: BatchKey, index: usize) -> RecordId {
    let batch = u64::try_from(batch.0).unwrap_or(0);
    let index = u64::try_from(index).unwrap_or(0) & ((1 << RECORD_INDEX_BITS) - 1);
    RecordId::new((batch << RECORD_INDEX_BITS) | index)
}

/// The tag of a record id that names an approved online load: the low 16 bits are its online
/// ATC (the card is the decision's subject), so the load is found again among the card's
/// authorizations at that counter value.
pub(crate) const LOAD_RECORD_TAG: u64 = 1 << 63;

/// The record id of the approved load at `online_atc`.
pub(crate) fn load_record_id(online_atc: u16) -> RecordId {
    RecordId::new(LOAD_RECORD_TAG | u64::from(online_atc))
}

/// The online ATC of a load's record id, if it is one.
pub(crate) fn load_place(id: RecordId) -> Option<u16> {
    (id.get() & LOAD_RECORD_TAG != 0).then(|| (id.get() & 0xFFFF) as u16)
}

/// The batch row id and index of a record id.
pub(crate) fn record_place(id: RecordId) -> (i64, u32) {
    let batch = i64::try_from(id.get() >> RECORD_INDEX_BITS).unwrap_or(i64::MAX);
    let index = u32::try_from(id.get() & ((1 << RECORD_INDEX_BITS) - 1)).unwrap_or(0);
    (batch, index)
}

/// The rules and the blacklist of one hub process.
pub(crate) struct RiskControl {
    evaluator: Mutex<RiskEvaluator>,
    blacklist: Mutex<NetworkBlacklist>,
    /// Held for the length of each of this process's write transactions
    /// ([`RiskControl::transaction`]), so that the evaluator's journal holds one
    /// transaction's changes only.
    turn: Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Both hold plain data changed by pure calls: a panic in one leaves it usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The stored configuration, checked.
pub(crate) fn parse_config(text: &str) -> Result<RiskConfig, HubError> {
    RiskConfig::from_json(text).map_err(|error| HubError::invalid("config", error.to_string()))
}

impl RiskControl {
    /// The rules from the stored configuration (the defaults if none) and state, and the
    /// blacklist rebuilt from its change log.
    pub(crate) fn load(store: &dyn Store) -> Result<RiskControl, HubError> {
        let (mut evaluator, mut changes) = (None, Vec::new());
        store.risk_read(&mut |risk| {
            let config = match risk.setting(Setting::Config)? {
                Some(text) => RiskConfig::from_json(&text).map_err(|error| {
                    HubError::corrupt(format!("risk_settings: the stored config: {error}"))
                })?,
                None => RiskConfig::default(),
            };
            evaluator = Some(saved_evaluator(risk, config)?);
            changes = risk.blacklist_changes(0)?;
            Ok(())
        })?;
        let evaluator = evaluator.ok_or_else(|| HubError::corrupt("risk state: not read"))?;
        Ok(RiskControl {
            evaluator: Mutex::new(evaluator),
            blacklist: Mutex::new(rebuild(changes)?),
            turn: Mutex::new(()),
        })
    }

    /// Runs `transaction` (one write transaction of the store, in which the rules may see
    /// records and loads) with the evaluator keeping a journal: what the rules saw stays if
    /// it returns `Ok` (committed) and is undone if it fails (rolled back, or its commit
    /// failed), so that what a failed transaction showed the rules is as if never seen (a
    /// group's transaction that fails is decided again one job at a time, and each job is
    /// then seen once). This process runs one such transaction at a time: the store runs
    /// one write transaction at a time anyway.
    pub(crate) fn transaction<T>(
        &self,
        transaction: impl FnOnce() -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let _turn = lock(&self.turn);
        lock(&self.evaluator).begin();
        let result = transaction();
        let mut evaluator = lock(&self.evaluator);
        match result {
            Ok(_) => evaluator.keep(),
            Err(_) => evaluator.undo(),
        }
        result
    }

    /// The rules' configuration.
    pub(crate) fn config(&self) -> RiskConfig {
        lock(&self.evaluator).config().clone()
    }

    /// Replaces the configuration, keeping the state the new one can take (in its turn: not
    /// under a transaction's journal, which the new evaluator would not have).
    pub(crate) fn set_config(&self, config: RiskConfig) {
        let _turn = lock(&self.turn);
        let mut evaluator = lock(&self.evaluator);
        let state = evaluator.snapshot();
        *evaluator = RiskEvaluator::restore(config.clone(), state)
            .unwrap_or_else(|_| RiskEvaluator::new(config));
    }

    /// Saves the evaluator's state in its own transaction: its binary form, written from the
    /// evaluator's tables chunk by chunk (the evaluator is locked meanwhile, so the state
    /// saved is one the rules had).
    pub(crate) fn save_state(&self, store: &dyn Store, now: EpochMs) -> Result<(), HubError> {
        // In its turn: never a state with a failed transaction's changes not yet undone.
        self.transaction(|| {
            store.clearing(&mut |storage| {
                let mut writer = ChunkWriter::new(storage.risk(), now);
                let written = lock(&self.evaluator).write_state(&mut writer);
                writer.finish(written)
            })
        })
    }

    /// Brings the blacklist up to date from `risk` and runs `read` on it.
    pub(crate) fn with_blacklist<T>(
        &self,
        risk: &mut dyn RiskStorage,
        read: impl FnOnce(&NetworkBlacklist) -> T,
    ) -> Result<T, HubError> {
        let mut blacklist = lock(&self.blacklist);
        let changes = risk.blacklist_changes(blacklist.version())?;
        if !changes.is_empty() && !apply_changes(&mut blacklist, &changes) {
            *blacklist = rebuild(risk.blacklist_changes(0)?)?;
        }
        Ok(read(&blacklist))
    }

    /// Shows the evaluator the decided batch `key` and carries out what its rules decide,
    /// through `storage` (the batch's transaction).
    pub(crate) fn observe_batch(
        &self,
        storage: &mut dyn ClearingStorage,
        key: BatchKey,
        (records, outcome): (&[UploadedRecord], &IngestOutcome),
        now: EpochMs,
    ) -> Result<Vec<RiskDecision>, HubError> {
        let mut ids: Vec<TerminalId> = records
            .iter()
            .filter_map(|record| record.as_ref().ok())
            .map(|record| TerminalId::new(record.terminal_id()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let regions: HashMap<TerminalId, Region> = storage
            .terminal_entries(&ids)?
            .into_iter()
            .map(|entry| (entry.terminal_id, entry.region))
            .collect();
        let mut decisions = Vec::new();
        lock(&self.evaluator).observe_batch(
            (records, outcome),
            |index| record_id(key, index),
            |terminal| regions.get(&terminal).copied(),
            now.get(),
            &mut decisions,
        );
        carry_out(storage.risk(), &decisions, now)?;
        Ok(decisions)
    }

    /// Shows the evaluator the loads just approved (not replays), each a sighting of its card
    /// at its terminal's region for the velocity rule, and carries out what fires, through
    /// `storage` (the authorizations' transaction).
    pub(crate) fn observe_loads<'a>(
        &self,
        storage: &mut dyn ClearingStorage,
        approved: impl Iterator<Item = (&'a LoadRequest, EpochMs)>,
    ) -> Result<(), HubError> {
        let mut decisions = Vec::new();
        for (request, now) in approved {
            let Some(terminal) = storage.terminal_entry(request.terminal_id)? else {
                continue;
            };
            let id = load_record_id(request.online_atc);
            let load = ApprovedLoad::of(id, request, terminal.region);
            lock(&self.evaluator).load_approved(&load, now.get(), &mut decisions);
            if !decisions.is_empty() {
                carry_out(storage.risk(), &decisions, now)?;
                decisions.clear();
            }
        }
        Ok(())
    }

    /// Runs the rules' timer (counter gaps past their limit, idle state forgotten) and
    /// carries out what fires, in one transaction; if that fails, the timer's changes are
    /// undone and the next tick fires the same again.
    pub(crate) fn tick(&self, store: &dyn Store, now: EpochMs) -> Result<usize, HubError> {
        self.transaction(|| {
            let mut decisions = Vec::new();
            lock(&self.evaluator).tick(now.get(), &mut decisions);
            if decisions.is_empty() {
                return Ok(0);
            }
            store.clearing(&mut |storage| carry_out(storage.risk(), &decisions, now))?;
            Ok(decisions.len())
        })
    }
}

/// The evaluator of the saved state (binary chunks, else the JSON of older hubs), with
/// `config`; an empty one, with a warning, when the saved state is unreadable or refused.
/// A storage error while reading is returned.
fn saved_evaluator(
    risk: &mut dyn RiskStorage,
    config: RiskConfig,
) -> Result<RiskEvaluator, HubError> {
    let mut reader = ChunkReader::new(risk);
    if reader.has_state()? {
        let read = RiskEvaluator::read_state(config.clone(), &mut reader);
        if let Some(failure) = reader.failure() {
            return Err(failure);
        }
        return Ok(read.unwrap_or_else(|error| {
            tracing::warn!(%error, "the saved risk state is refused: the rules start empty");
            RiskEvaluator::new(config)
        }));
    }
    let evaluator = match risk.setting(Setting::State)? {
        Some(text) => match serde_json::from_str::<RiskState>(&text) {
            Ok(state) => RiskEvaluator::restore(config.clone(), state).unwrap_or_else(|error| {
                tracing::warn!(%error, "the saved risk state is refused: the rules start empty");
                RiskEvaluator::new(config)
            }),
            Err(error) => {
                tracing::warn!(%error, "the saved risk state is unreadable: the rules start empty");
                RiskEvaluator::new(config)
            }
        },
        None => RiskEvaluator::new(config),
    };
    Ok(evaluator)
}

/// Stores `decisions` and carries out their actions.
fn carry_out(
    risk: &mut dyn RiskStorage,
    decisions: &[RiskDecision],
    now: EpochMs,
) -> Result<(), HubError> {
    for decision in decisions {
        risk.insert_decision(decision)?;
        match (decision.action, decision.subject) {
            (Action::HotlistCard, Subject::Card(asn)) => {
                hotlist(risk, asn, ListingReason::RiskRule, now)?;
            }
            (Action::SuspendTerminal, Subject::Terminal(id)) => {
                let suspended = risk.suspend_terminal(id, now)?;
                if suspended {
                    tracing::warn!(terminal = %id, rule = %decision.rule, "terminal suspended");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Hotlists an active card for `reason`: its status becomes `hotlisted` and the blacklist's
/// next version lists it. The new version, or `None` when the card was not active.
pub(crate) fn hotlist(
    risk: &mut dyn RiskStorage,
    asn: jinka_clearing::Asn,
    reason: ListingReason,
    now: EpochMs,
) -> Result<Option<u64>, HubError> {
    if !risk.change_card_status(asn, "active", "hotlisted", now)? {
        return Ok(None);
    }
    let version = risk.add_blacklist_change(asn, ChangeKind::Listed(reason), now.get())?;
    tracing::info!(card = %asn, reason = storage::reason_code(reason), version, "card hotlisted");
    Ok(Some(version))
}

/// Takes a hotlisted card off the blacklist: its status becomes `active` again. The new
/// version, or `None` when the card was not hotlisted.
pub(crate) fn unhotlist(
    risk: &mut dyn RiskStorage,
    asn: jinka_clearing::Asn,
    now: EpochMs,
) -> Result<Option<u64>, HubError> {
    if !risk.change_card_status(asn, "hotlisted", "active", now)? {
        return Ok(None);
    }
    let version = risk.add_blacklist_change(asn, ChangeKind::Unlisted, now.get())?;
    Ok(Some(version))
}

/// Applies logged `changes` (the versions right after the list's); `false` when they do not
/// follow from it (the caller rebuilds).
fn apply_changes(blacklist: &mut NetworkBlacklist, changes: &[Change]) -> bool {
    for change in changes {
        if change.version != blacklist.version() + 1 {
            return false;
        }
        let moved = match change.kind {
            ChangeKind::Listed(reason) => matches!(
                blacklist.list(change.asn, reason, change.at_ms),
                Ok(jinka_risk::ListOutcome::Listed { .. })
            ),
            ChangeKind::Unlisted => matches!(
                blacklist.unlist(change.asn, change.at_ms),
                jinka_risk::UnlistOutcome::Unlisted { .. }
            ),
        };
        if !moved {
            return false;
        }
    }
    true
}

/// The blacklist of the whole change log.
fn rebuild(changes: Vec<Change>) -> Result<NetworkBlacklist, HubError> {
    let mut listed: HashMap<jinka_clearing::Asn, Listing> = HashMap::new();
    for change in &changes {
        match change.kind {
            ChangeKind::Listed(reason) => {
                listed.insert(
                    change.asn,
                    Listing {
                        asn: change.asn,
                        reason,
                        listed_at_ms: change.at_ms,
                    },
                );
            }
            ChangeKind::Unlisted => {
                listed.remove(&change.asn);
            }
        }
    }
    let mut entries: Vec<Listing> = listed.into_values().collect();
    entries.sort_unstable_by_key(|listing| listing.asn);
    let state = BlacklistState {
        version: changes.last().map_or(0, |change| change.version),
        entries,
        changes,
    };
    NetworkBlacklist::restore(BlacklistLimits::default(), state)
        .map_err(|error| HubError::corrupt(format!("blacklist_changes: {error}")))
}

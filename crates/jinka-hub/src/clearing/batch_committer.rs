//! [`BatchCommitter`]: uploaded batches ingested in groups, as the load committer does loads
//! (`crate::clearing::group_commit`).
//!
//! A batch's transaction writes, beside its own rows, every card page its records touch: at a
//! million cards a batch of 100,000 records dirties nearly every page of the cards table,
//! and the next batch dirties them again. Batches waiting together (up to
//! [`UPLOAD_GROUP_MAX`] batches and [`UPLOAD_GROUP_RECORDS_MAX`] records) are decided one
//! after the other in ONE transaction, each over the state the ones before it left (the same
//! answers, state and ledger as one at a time), and answered after the one commit. If that
//! transaction fails, each batch is ingested alone ([`in_one_transaction`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::clearing::group_commit::{Committer, GroupLimit, in_one_transaction};
use crate::clearing::tac_verdicts::{HELPER_RECORDS_MIN, Preverified, TacVerdicts};
use crate::clearing::{BatchAnswer, Upload, ingest_batch_with_rules};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::hub::Hub;
use jinka_clearing::{KeyStore, MemoryKeyStore};

/// Most batches ingested in one transaction.
pub const UPLOAD_GROUP_MAX: usize = 64;
/// Most records ingested in one transaction (a batch holds at most
/// `jinka_clearing::BATCH_RECORDS_MAX` = 100,000; a larger one is a group of its own). The
/// dirty pages of a group this size fit in the page cache of the embedded engine.
pub const UPLOAD_GROUP_RECORDS_MAX: usize = 200_000;
/// Most uploads waiting for the committer (each holds its records decoded, about 10 MB at
/// 100,000 records); a request beyond them waits to be queued.
pub const UPLOAD_QUEUE_MAX: usize = 8;

/// A batch to ingest in a group: the upload, the keys its TACs verify with, and its time.
pub(crate) struct GroupBatch<'a> {
    pub(crate) upload: &'a Upload,
    pub(crate) keys: &'a (dyn KeyStore + Sync),
    pub(crate) now: EpochMs,
}

/// Ingests `batches` as one group ([`in_one_transaction`]), each shown to the hub's risk
/// rules in the group's transaction: their answers in order.
///
/// A group of at least [`HELPER_RECORDS_MIN`] records has its TACs verified ahead of the
/// decisions on a helper thread ([`crate::clearing::tac_verdicts`]): the same answers, the
/// work on another core. If the thread cannot be started, the decisions verify them.
pub(crate) fn ingest_group(
    hub: &Hub,
    batches: &[GroupBatch<'_>],
) -> Vec<Result<BatchAnswer, HubError>> {
    let risk = hub.risk.as_ref();
    let verdicts: Vec<TacVerdicts> = batches
        .iter()
        .map(|batch| TacVerdicts::new(batch.upload.records.len()))
        .collect();
    let ahead: Vec<(&GroupBatch<'_>, &TacVerdicts)> = batches.iter().zip(&verdicts).collect();
    let records: usize = batches.iter().map(|batch| batch.upload.records.len()).sum();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let helper = (records >= HELPER_RECORDS_MIN)
            .then(|| {
                std::thread::Builder::new()
                    .name("tac verdicts".to_owned())
                    .spawn_scoped(scope, || {
                        for (batch, verdicts) in &ahead {
                            verdicts.fill(&batch.upload.records, batch.keys, &stop);
                        }
                    })
                    .inspect_err(|error| {
                        tracing::warn!(%error, "no helper thread: TACs verified in the decisions");
                    })
                    .ok()
            })
            .flatten();
        let answers = in_one_transaction(hub, "batch", &ahead, |storage, some| {
            some.iter()
                .map(|(batch, verdicts)| {
                    let keys = Preverified::new(batch.keys, &batch.upload.records, verdicts);
                    ingest_batch_with_rules(storage, batch.upload, &keys, Some(risk), batch.now)
                })
                .collect()
        });
        stop.store(true, Ordering::Relaxed);
        if let Some(helper) = helper
            && helper.join().is_err()
        {
            // Its verdicts are the key store's answers; a panic there is a bug in the key
            // store, which the decisions met themselves where they asked.
            tracing::error!("the TAC verdicts' helper thread panicked");
        }
        answers
    })
}

/// The group limit of [`UPLOAD_GROUP_MAX`] batches and [`UPLOAD_GROUP_RECORDS_MAX`] records.
pub(crate) fn upload_group_limit<J>(records: fn(&J) -> usize) -> GroupLimit<J> {
    GroupLimit {
        jobs: UPLOAD_GROUP_MAX,
        weight: records,
        weight_max: UPLOAD_GROUP_RECORDS_MAX,
    }
}

/// One upload to ingest.
pub(crate) struct BatchAsk {
    upload: Upload,
    keys: Arc<MemoryKeyStore>,
    now: EpochMs,
}

/// The handle the API holds; the committer thread stops when the last handle is dropped.
pub(crate) struct BatchCommitter(Committer<BatchAsk, BatchAnswer>);

impl BatchCommitter {
    /// Starts the committer thread over `hub`.
    pub(crate) fn start(hub: Hub) -> Result<BatchCommitter, HubError> {
        let committer = Committer::start(
            "batch committer",
            UPLOAD_QUEUE_MAX,
            upload_group_limit(|ask: &BatchAsk| ask.upload.records.len()),
            move |asks: &[BatchAsk]| {
                let batches: Vec<GroupBatch<'_>> = asks
                    .iter()
                    .map(|ask| GroupBatch {
                        upload: &ask.upload,
                        keys: ask.keys.as_ref(),
                        now: ask.now,
                    })
                    .collect();
                ingest_group(&hub, &batches)
            },
        )?;
        Ok(BatchCommitter(committer))
    }

    /// Ingests `upload`: its answer once committed.
    pub(crate) async fn ingest(
        &self,
        upload: Upload,
        keys: Arc<MemoryKeyStore>,
        now: EpochMs,
    ) -> Result<BatchAnswer, HubError> {
        self.0.submit(BatchAsk { upload, keys, now }).await
    }
}

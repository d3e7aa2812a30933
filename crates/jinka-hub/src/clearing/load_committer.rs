//! [`LoadCommitter`]: online load authorizations committed in groups.
//!
//! Every authorization is a write (the pending load) that must be durable before its MAC2
//! leaves the hub: with one database transaction each, the hub can answer only as many loads
//! a second as the disk can sync (about 1 700 measured here on SQLite with
//! `synchronous = FULL`). The committer is one thread that takes the authorizations waiting
//! for it, up to [`LOAD_GROUP_MAX`], decides them one after the other inside ONE clearing
//! transaction (each decision sees the ones before it, as if they had been committed one by
//! one), commits once, and only then answers them all: group commit. Nothing is answered
//! before its commit, so a crash loses no approved load; an idle hub answers a lone request
//! at once (a group is whatever is waiting, never a timer).
//!
//! If the group's transaction fails, its loads are decided again one transaction each, so
//! one load's trouble is not its neighbours'.

use std::sync::Arc;

use jinka_clearing::{LoadDecision, LoadLimits, LoadRequest, MemoryKeyStore};
use tokio::sync::{mpsc, oneshot};

use crate::clearing::authorize;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::hub::Hub;
use crate::participant::ParticipantId;

/// Most authorizations decided and committed in one transaction.
pub const LOAD_GROUP_MAX: usize = 512;
/// Most authorizations waiting for the committer; a request beyond them waits to be queued.
pub const LOAD_QUEUE_MAX: usize = 8_192;

/// One load to authorize, and where its answer goes.
struct LoadJob {
    request: LoadRequest,
    requester: ParticipantId,
    limits: LoadLimits,
    keys: Arc<MemoryKeyStore>,
    now: EpochMs,
    answer: oneshot::Sender<Result<LoadDecision, HubError>>,
}

/// The handle the API holds; the committer thread stops when the last handle is dropped.
pub(crate) struct LoadCommitter {
    queue: mpsc::Sender<LoadJob>,
}

impl LoadCommitter {
    /// Starts the committer thread over `hub`.
    pub(crate) fn start(hub: Hub) -> Result<LoadCommitter, HubError> {
        let (queue, waiting) = mpsc::channel(LOAD_QUEUE_MAX);
        std::thread::Builder::new()
            .name("load-committer".to_owned())
            .spawn(move || run(&hub, waiting))
            .map_err(|error| HubError::Unavailable {
                reason: format!("cannot start the load committer thread: {error}"),
            })?;
        Ok(LoadCommitter { queue })
    }

    /// Authorizes `request` of `requester`: its decision once committed.
    pub(crate) async fn authorize(
        &self,
        request: LoadRequest,
        requester: ParticipantId,
        limits: LoadLimits,
        keys: Arc<MemoryKeyStore>,
        now: EpochMs,
    ) -> Result<LoadDecision, HubError> {
        let stopped = || HubError::Unavailable {
            reason: "the load committer has stopped".to_owned(),
        };
        let (answer, answered) = oneshot::channel();
        let job = LoadJob {
            request,
            requester,
            limits,
            keys,
            now,
            answer,
        };
        self.queue.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// The committer thread: a group at a time until every handle is gone.
fn run(hub: &Hub, mut waiting: mpsc::Receiver<LoadJob>) {
    while let Some(first) = waiting.blocking_recv() {
        let mut group = vec![first];
        while group.len() < LOAD_GROUP_MAX {
            match waiting.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit(hub, group);
    }
}

fn decide(
    storage: &mut dyn crate::clearing::ClearingStorage,
    job: &LoadJob,
) -> Result<LoadDecision, HubError> {
    authorize(
        storage,
        &job.request,
        job.requester,
        &job.limits,
        job.keys.as_ref(),
        job.now,
    )
}

/// Shows the risk rules the loads approved now (`crate::risk`), in their transaction.
fn observe<'a>(
    hub: &Hub,
    storage: &mut dyn crate::clearing::ClearingStorage,
    decided: impl Iterator<Item = (&'a LoadJob, &'a LoadDecision)>,
) -> Result<(), HubError> {
    let approved = decided.filter_map(|(job, decision)| match decision {
        LoadDecision::Approved(approval) if !approval.replayed => {
            Some((&approval.authorization.request, job.now))
        }
        _ => None,
    });
    hub.risk.observe_loads(storage, approved)
}

/// Decides and commits `group` together, or, if that fails, each alone; then answers.
fn commit(hub: &Hub, group: Vec<LoadJob>) {
    let together = hub.clearing(|storage| {
        let decisions = group
            .iter()
            .map(|job| decide(storage, job))
            .collect::<Result<Vec<_>, _>>()?;
        observe(hub, storage, group.iter().zip(&decisions))?;
        Ok(decisions)
    });
    match together {
        Ok(decisions) => {
            for (job, decision) in group.into_iter().zip(decisions) {
                // A requester that went away does not stop the others' answers.
                let _ = job.answer.send(Ok(decision));
            }
        }
        Err(error) => {
            tracing::warn!(%error, loads = group.len(), "a load group failed: one at a time");
            for job in group {
                let alone = hub.clearing(|storage| {
                    let decision = decide(storage, &job)?;
                    observe(hub, storage, std::iter::once((&job, &decision)))?;
                    Ok(decision)
                });
                let _ = job.answer.send(alone);
            }
        }
    }
}

//! [`LoadCommitter`]: online load authorizations committed in groups.
//!
//! Every authorization is a write (the pending load) that must be durable before its MAC2
//! leaves the hub: with one database transaction each, the hub can answer only as many loads
//! a second as the disk can sync (about 1 700 measured here on SQLite with
//! `synchronous = FULL`). The committer is one thread that takes the authorizations waiting
//! for it, up to [`LOAD_GROUP_MAX`], decides them one after the other inside ONE clearing
//! transaction (each decision sees the ones before it, as if they had been committed one by
//! one), commits once, and only then answers them all: group commit
//! (`crate::clearing::group_commit`). Nothing is answered before its commit, so a crash loses
//! no approved load; an idle hub answers a lone request at once.
//!
//! If the group's transaction fails, its loads are decided again one transaction each, so
//! one load's trouble is not its neighbours' ([`in_one_transaction`], which
//! `Admin::authorize_loads` and `Admin::confirm_loads` use as well).

use std::sync::Arc;

use crate::clearing::group_commit::{Committer, GroupLimit, in_one_transaction};
use crate::clearing::{ClearingStorage, authorize};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::hub::Hub;
use crate::participant::ParticipantId;
use jinka_clearing::{KeyStore, LoadDecision, LoadLimits, LoadRequest, MemoryKeyStore};

/// Most authorizations decided and committed in one transaction.
pub const LOAD_GROUP_MAX: usize = 512;
/// Most authorizations waiting for the committer; a request beyond them waits to be queued.
pub const LOAD_QUEUE_MAX: usize = 8_192;

/// One load to authorize.
pub(crate) struct LoadAsk {
    request: LoadRequest,
    requester: ParticipantId,
    limits: LoadLimits,
    keys: Arc<MemoryKeyStore>,
    now: EpochMs,
}

/// The handle the API holds; the committer thread stops when the last handle is dropped.
pub(crate) struct LoadCommitter(Committer<LoadAsk, LoadDecision>);

impl LoadCommitter {
    /// Starts the committer thread over `hub`.
    pub(crate) fn start(hub: Hub) -> Result<LoadCommitter, HubError> {
        let committer = Committer::start(
            "load committer",
            LOAD_QUEUE_MAX,
            GroupLimit::jobs(LOAD_GROUP_MAX),
            move |asks: &[LoadAsk]| {
                let loads: Vec<GroupLoad<'_>> = asks.iter().map(GroupLoad::of).collect();
                authorize_group(&hub, &loads)
            },
        )?;
        Ok(LoadCommitter(committer))
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
        let ask = LoadAsk {
            request,
            requester,
            limits,
            keys,
            now,
        };
        self.0.submit(ask).await
    }
}

/// One load to decide in a group, whoever asked for it (the committer's queue or
/// [`crate::Admin::authorize_loads`]).
pub(crate) struct GroupLoad<'a> {
    pub(crate) request: &'a LoadRequest,
    pub(crate) requester: ParticipantId,
    pub(crate) limits: &'a LoadLimits,
    pub(crate) keys: &'a dyn KeyStore,
    pub(crate) now: EpochMs,
}

impl<'a> GroupLoad<'a> {
    fn of(job: &'a LoadAsk) -> GroupLoad<'a> {
        GroupLoad {
            request: &job.request,
            requester: job.requester,
            limits: &job.limits,
            keys: job.keys.as_ref(),
            now: job.now,
        }
    }
}

/// Decides `loads` one after the other in the transaction of `storage` (each sees the ones
/// before it), then shows the risk rules the ones approved now (`crate::risk`).
fn decide_loads(
    hub: &Hub,
    storage: &mut dyn ClearingStorage,
    loads: &[GroupLoad<'_>],
) -> Result<Vec<LoadDecision>, HubError> {
    let decisions = loads
        .iter()
        .map(|load| {
            authorize(
                storage,
                load.request,
                load.requester,
                load.limits,
                load.keys,
                load.now,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let approved = loads
        .iter()
        .zip(&decisions)
        .filter_map(|(load, decision)| match decision {
            LoadDecision::Approved(approval) if !approval.replayed => {
                Some((&approval.authorization.request, load.now))
            }
            _ => None,
        });
    hub.risk.observe_loads(storage, approved)?;
    Ok(decisions)
}

/// Authorizes `loads` as one group: decided in one transaction ([`in_one_transaction`]),
/// their decisions in order.
pub(crate) fn authorize_group(
    hub: &Hub,
    loads: &[GroupLoad<'_>],
) -> Vec<Result<LoadDecision, HubError>> {
    in_one_transaction(hub, "load", loads, |storage, some| {
        decide_loads(hub, storage, some)
    })
}

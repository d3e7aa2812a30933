//! The load resolver: pending loads whose confirmation never came are resolved
//! [`LOAD_CONFIRMATION_DEADLINE_MS`] after their authorization, posted from the card's
//! counter chain or voided ([`resolve_due`]). A serving hub runs it every
//! [`crate::HubConfig::resolver_interval_ms`] ([`run_periodically`]); the operator can run it
//! by hand ([`crate::Admin::resolve_unconfirmed_loads`]). Each tick also completes the card
//! replacements and closings whose freeze period is over.

use std::time::Duration;

use crate::clearing::{ResolvedLoads, resolve_overdue};
use crate::clock::EpochMs;
use crate::config::LOAD_CONFIRMATION_DEADLINE_MS;
use crate::error::HubError;
use crate::hub::Hub;

/// Resolves, as of `now`, the loads pending since before `now` − the deadline (at most
/// [`crate::RESOLVE_LOADS_MAX`] a call, oldest first), in one clearing transaction.
pub(crate) fn resolve_due(hub: &Hub, now: EpochMs) -> Result<ResolvedLoads, HubError> {
    let created_before = EpochMs::new(now.get().saturating_sub(LOAD_CONFIRMATION_DEADLINE_MS));
    hub.clearing(|storage| resolve_overdue(storage, created_before, now))
}

/// Resolves due loads every `interval_ms` (by the hub's clock) until the task is dropped.
/// A failed run is logged and tried again at the next tick: the loads stay pending.
pub(crate) async fn run_periodically(hub: Hub, interval_ms: u64) {
    let mut ticks = tokio::time::interval(Duration::from_millis(interval_ms.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: loads left pending across a restart are resolved at once.
    loop {
        ticks.tick().await;
        complete_due_card_operations(&hub).await;
        let hub = hub.clone();
        let run = tokio::task::spawn_blocking(move || resolve_due(&hub, hub.clock.now())).await;
        match run {
            Ok(Ok(resolved)) if resolved.posted + resolved.voided + resolved.unresolved > 0 => {
                tracing::info!(
                    posted = resolved.posted,
                    voided = resolved.voided,
                    unresolved = resolved.unresolved,
                    "overdue loads resolved"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "the load resolver failed; next tick retries"),
            Err(error) => tracing::error!(%error, "the load resolver task failed"),
        }
    }
}

/// Completes the card replacements and closings whose freeze period is over
/// (`card_operation::complete_due`); a failure is logged and tried again at the next tick.
async fn complete_due_card_operations(hub: &Hub) {
    let hub = hub.clone();
    let run = tokio::task::spawn_blocking(move || {
        let now = hub.clock.now();
        hub.clearing(|storage| crate::card_operation::complete_due(storage, now))
    })
    .await;
    match run {
        Ok(Ok(completed)) if !completed.is_empty() => {
            tracing::info!(completed = completed.len(), "card operations completed");
        }
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "completing card operations failed"),
        Err(error) => tracing::error!(%error, "the card operation task failed"),
    }
}

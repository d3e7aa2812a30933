//! The rules' timer in a serving hub: [`RISK_TICK_INTERVAL_MS`] apart, counter gaps open past
//! their limit fire and idle state is forgotten (`RiskEvaluator::tick`); at a clean stop the
//! state is saved.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::hub::Hub;

/// How often a serving hub runs the rules' timer.
pub const RISK_TICK_INTERVAL_MS: u64 = 60_000;

/// Ticks the rules until `stop` completes (or is dropped), then saves their state and
/// returns. A failed run is logged; the next one retries. The task owns its hub, so the
/// server's own future holds none.
pub(crate) async fn run_periodically(hub: Hub, mut stop: oneshot::Receiver<()>) {
    // Dropped with the task when the runtime shuts down without stopping the server: the hub
    // may hold the last handle on a database client, which must not be closed on a runtime
    // thread.
    let kept = OffRuntime(Some(hub));
    let Some(hub) = kept.0.as_ref() else {
        return;
    };
    let mut ticks = tokio::time::interval(Duration::from_millis(RISK_TICK_INTERVAL_MS));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = std::future::poll_fn(|cx| {
            if Pin::new(&mut stop).poll(cx).is_ready() {
                return Poll::Ready(true);
            }
            ticks.poll_tick(cx).map(|_| false)
        })
        .await;
        if stopping {
            save_at_stop(hub.clone()).await;
            return;
        }
        let hub = hub.clone();
        let run = tokio::task::spawn_blocking(move || {
            let hub = hub;
            hub.risk.tick(hub.store.as_ref(), hub.clock.now())
        })
        .await;
        match run {
            Ok(Ok(0)) => {}
            Ok(Ok(fired)) => tracing::info!(fired, "risk rules fired on the timer"),
            Ok(Err(error)) => tracing::warn!(%error, "the risk timer failed; next tick retries"),
            Err(error) => tracing::error!(%error, "the risk timer task failed"),
        }
    }
}

/// Saves the rules' state when the server stops cleanly.
async fn save_at_stop(hub: Hub) {
    // The whole hub moves to the blocking pool (a closure would capture only the fields it
    // uses): a database client must not be dropped on a runtime thread.
    let saved = tokio::task::spawn_blocking(move || {
        let hub = hub;
        hub.risk.save_state(hub.store.as_ref(), hub.clock.now())
    })
    .await;
    match saved {
        Ok(Ok(())) => tracing::info!("risk state saved"),
        Ok(Err(error)) => tracing::warn!(%error, "the risk state could not be saved"),
        Err(error) => tracing::error!(%error, "saving the risk state failed"),
    }
}

/// A hub dropped on a thread of its own: a task that holds one is cancelled on a runtime
/// thread when the runtime shuts down, and the hub may hold the last handle on a database
/// client, which must not be closed there. Declared before the task's other hub handles,
/// it is dropped after them, so the last handle goes with it.
pub(crate) struct OffRuntime(pub(crate) Option<Hub>);

impl Drop for OffRuntime {
    fn drop(&mut self) {
        if let Some(hub) = self.0.take() {
            // If no thread can be started, the hub is dropped here (as any other would be).
            let _ = std::thread::Builder::new()
                .name("risk-timer-drop".to_owned())
                .spawn(move || drop(hub));
        }
    }
}

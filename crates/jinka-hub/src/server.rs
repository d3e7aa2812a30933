//! Serving the API: [`bind`] opens the data directory and the listening socket (port 0 picks a
//! free port: [`BoundHub::local_addr`] tells which), [`BoundHub::run`] answers until the
//! shutdown future completes, [`serve`] does both.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::api::{self, ApiState};
use crate::clearing::KeyTable;
use crate::clock::{Clock, SystemClock};
use crate::config::HubConfig;
use crate::error::HubError;
use crate::hub::Hub;
use crate::resolver;

/// A hub with its data open and its socket bound, not answering yet.
pub struct BoundHub {
    listener: TcpListener,
    app: Router,
    local_addr: SocketAddr,
    hub: Hub,
    resolver_interval_ms: u64,
}

/// Opens the data directory of `config` and binds its listening address, with the system
/// clock.
pub async fn bind(config: HubConfig) -> Result<BoundHub, HubError> {
    bind_with_clock(config, Arc::new(SystemClock)).await
}

/// [`bind`] with `clock` (tests and simulations).
pub async fn bind_with_clock(
    config: HubConfig,
    clock: Arc<dyn Clock>,
) -> Result<BoundHub, HubError> {
    let listen = config.listen;
    let limits = config.limits;
    let resolver_interval_ms = config.resolver_interval_ms;
    let (hub, keys) = tokio::task::spawn_blocking(move || {
        let hub = Hub::open(&config, clock)?;
        let keys = KeyTable::load(hub.vault.as_ref())?;
        Ok::<_, HubError>((hub, keys))
    })
    .await
    .map_err(|error| HubError::corrupt(format!("opening the hub failed: {error}")))??;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|error| HubError::config(format!("cannot listen on {listen}: {error}")))?;
    let local_addr = listener
        .local_addr()
        .map_err(|error| HubError::config(format!("cannot listen on {listen}: {error}")))?;
    tracing::info!(address = %local_addr, "hub listening");
    Ok(BoundHub {
        listener,
        app: api::app(ApiState::new(hub.clone(), limits, keys)?),
        local_addr,
        hub,
        resolver_interval_ms,
    })
}

impl BoundHub {
    /// The address it listens on (the actual port when port 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Answers requests, and resolves overdue loads on a timer, until `shutdown` completes,
    /// then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HubError> {
        let resolver = tokio::spawn({
            let keeper = crate::risk::timer::OffRuntime(Some(self.hub.clone()));
            let (hub, interval_ms) = (self.hub.clone(), self.resolver_interval_ms);
            async move {
                let _keeper = keeper;
                resolver::run_periodically(hub, interval_ms).await;
            }
        });
        let (stop_risk, risk_stopped) = tokio::sync::oneshot::channel();
        let risk_timer = tokio::spawn(crate::risk::timer::run_periodically(self.hub, risk_stopped));
        let served = axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await;
        resolver.abort();
        // The rules' timer saves their state and stops.
        let _ = stop_risk.send(());
        let _ = risk_timer.await;
        served.map_err(|error| HubError::Unavailable {
            reason: format!("serving stopped: {error}"),
        })?;
        tracing::info!(address = %self.local_addr, "hub stopped");
        Ok(())
    }
}

/// Binds and runs until `shutdown` completes.
pub async fn serve(
    config: HubConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    bind(config).await?.run(shutdown).await
}

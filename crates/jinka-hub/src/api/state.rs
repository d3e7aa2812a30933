//! The state every handler gets: the opened hub (store, key vault, clock), the limits, the
//! rate limiter, the metrics, and the unsealed issuer keys the ingest and load decisions
//! verify with ([`KeyTable`]). **Extension point**: routes add what they keep in memory as
//! fields here.

use std::sync::Arc;

use crate::api::credential_cache::CredentialCache;
use crate::api::error::ApiError;
use crate::api::metrics::Metrics;
use crate::api::rate_limiter::RateLimiter;
use crate::clearing::{BatchCommitter, KeyTable, LoadCommitter};
use crate::config::Limits;
use crate::error::HubError;
use crate::hub::Hub;

/// Shared by every request.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) hub: Hub,
    pub(crate) limits: Limits,
    pub(crate) rate_limiter: Arc<RateLimiter>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) keys: Arc<KeyTable>,
    /// Online load authorizations, committed in groups.
    pub(crate) loads: Arc<LoadCommitter>,
    /// Uploaded batches, ingested in groups.
    pub(crate) batches: Arc<BatchCommitter>,
    /// Credentials recently read.
    pub(crate) credentials: Arc<CredentialCache>,
}

impl ApiState {
    pub(crate) fn new(hub: Hub, limits: Limits, keys: KeyTable) -> Result<ApiState, HubError> {
        Ok(ApiState {
            loads: Arc::new(LoadCommitter::start(hub.clone())?),
            batches: Arc::new(BatchCommitter::start(hub.clone())?),
            credentials: Arc::new(CredentialCache::default()),
            hub,
            limits,
            rate_limiter: Arc::new(RateLimiter::new(limits)),
            metrics: Arc::new(Metrics::default()),
            keys: Arc::new(keys),
        })
    }

    /// Runs `work` (store and vault calls: blocking I/O) on the blocking pool.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Hub) -> Result<T, HubError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let hub = self.hub.clone();
        let outcome = tokio::task::spawn_blocking(move || work(&hub))
            .await
            .map_err(|error| {
                tracing::error!(%error, "a blocking task failed");
                ApiError::internal()
            })?;
        outcome.map_err(ApiError::from)
    }
}

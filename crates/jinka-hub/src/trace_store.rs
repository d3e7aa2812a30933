//! The hub's RFID trace store (`jinka-trace-store`), opened beside its clearing store: the
//! data directory's `trace.sqlite3`, or the `trace_*` tables of the PostgreSQL database at
//! the configured URL.

use std::sync::Arc;

use jinka_trace_store::{
    PostgresTraceStore, SqliteTraceStore, StoreError, StoreErrorKind, TRACE_DATABASE_FILE_NAME,
    TraceStore,
};

use crate::config::HubConfig;
use crate::error::HubError;

/// Opens the trace store `config` names (the data directory exists).
pub(crate) fn open(config: &HubConfig) -> Result<Arc<dyn TraceStore>, HubError> {
    let store: Arc<dyn TraceStore> = match &config.database_url {
        Some(url) => Arc::new(PostgresTraceStore::open(url).map_err(hub_error)?),
        None => Arc::new(
            SqliteTraceStore::open(&config.data_dir.join(TRACE_DATABASE_FILE_NAME))
                .map_err(hub_error)?,
        ),
    };
    Ok(store)
}

/// The hub's view of a trace store failure (the API words refusals itself).
pub(crate) fn hub_error(error: StoreError) -> HubError {
    match error.kind() {
        StoreErrorKind::Unavailable => HubError::Unavailable {
            reason: error.to_string(),
        },
        StoreErrorKind::Config => HubError::config(error.to_string()),
        StoreErrorKind::RejectInput => HubError::conflict(error.to_string()),
        StoreErrorKind::Broken => HubError::corrupt(error.to_string()),
    }
}

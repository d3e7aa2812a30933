//! An opened hub: its store, its key vault, its clock and its randomness, as the HTTP API and
//! the admin commands share them.

use std::path::Path;
use std::sync::Arc;

use crate::clearing::ClearingStorage;
use crate::clock::Clock;
use crate::config::HubConfig;
use crate::entropy::{Entropy, OsEntropy};
use crate::error::HubError;
use crate::kek;
use crate::postgres::PgStore;
use crate::risk::RiskControl;
use crate::sealed_vault::SealedKeyVault;
use crate::sqlite::{DATABASE_FILE_NAME, SqliteStore};
use crate::store::Store;
use crate::vault::KeyVault;

/// What an opened hub works with.
#[derive(Clone)]
pub(crate) struct Hub {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) vault: Arc<dyn KeyVault>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) entropy: Arc<dyn Entropy>,
    /// RFID traceability: EPCIS events and their projections (`crate::trace_store`).
    pub(crate) trace: Arc<dyn jinka_trace_store::TraceStore>,
    /// The risk rules and the blacklist (`crate::risk`).
    pub(crate) risk: Arc<RiskControl>,
}

impl Hub {
    /// Opens the data directory of `config` (creating it and, on the default, the KEK file on
    /// the first start) and the database (the directory's SQLite file, or PostgreSQL at
    /// `database_url`), checks the KEK against the sealed keys and applies pending
    /// migrations.
    pub(crate) fn open(config: &HubConfig, clock: Arc<dyn Clock>) -> Result<Hub, HubError> {
        create_data_dir(&config.data_dir)?;
        let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
        let now = clock.now();
        let store: Arc<dyn Store> = match &config.database_url {
            Some(url) => Arc::new(PgStore::open(url, now)?),
            None => Arc::new(SqliteStore::open(
                &config.data_dir.join(DATABASE_FILE_NAME),
                now,
            )?),
        };
        let sealed_anything = store.kek_check()?.is_some();
        let kek = kek::resolve(
            config.kek.clone(),
            &config.data_dir,
            sealed_anything,
            entropy.as_ref(),
        )?;
        let vault = SealedKeyVault::open(
            Arc::clone(&store),
            kek.key,
            &kek.source,
            Arc::clone(&entropy),
            now,
        )?;
        let risk = Arc::new(RiskControl::load(store.as_ref())?);
        Ok(Hub {
            store,
            vault: Arc::new(vault),
            clock,
            entropy,
            trace: crate::trace_store::open(config)?,
            risk,
        })
    }
}

impl Hub {
    /// Runs `work` with the clearing operations in one write transaction: its value if it
    /// returns `Ok` (committed), its error otherwise (rolled back; what it showed the risk
    /// rules is undone with it, [`RiskControl::transaction`]).
    pub(crate) fn clearing<T>(
        &self,
        work: impl FnOnce(&mut dyn ClearingStorage) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut work = Some(work);
        let mut value = None;
        self.risk.transaction(|| {
            self.store.clearing(&mut |storage| {
                let work = work
                    .take()
                    .ok_or_else(|| HubError::corrupt("a clearing transaction ran twice"))?;
                value = Some(work(storage)?);
                Ok(())
            })
        })?;
        value.ok_or_else(|| HubError::corrupt("a clearing transaction gave nothing"))
    }
}

/// Creates the data directory, private to its owner when new.
fn create_data_dir(path: &Path) -> Result<(), HubError> {
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|error| HubError::io(path, error))
}

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
}

impl Hub {
    /// Opens the data directory of `config` (creating it, the database and, on the embedded
    /// default, the KEK file on the first start), checks the KEK against the sealed keys and
    /// applies pending migrations.
    pub(crate) fn open(config: &HubConfig, clock: Arc<dyn Clock>) -> Result<Hub, HubError> {
        if config.database_url.is_some() {
            return Err(HubError::config(
                "PostgreSQL is not in this build yet: leave out the database URL to use the \
                 embedded SQLite database of the data directory",
            ));
        }
        create_data_dir(&config.data_dir)?;
        let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
        let now = clock.now();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(
            &config.data_dir.join(DATABASE_FILE_NAME),
            now,
        )?);
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
        Ok(Hub {
            store,
            vault: Arc::new(vault),
            clock,
            entropy,
        })
    }
}

impl Hub {
    /// Runs `work` with the clearing operations in one write transaction: its value if it
    /// returns `Ok` (committed), its error otherwise (rolled back).
    pub(crate) fn clearing<T>(
        &self,
        work: impl FnOnce(&mut dyn ClearingStorage) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut work = Some(work);
        let mut value = None;
        self.store.clearing(&mut |storage| {
            let work = work
                .take()
                .ok_or_else(|| HubError::corrupt("a clearing transaction ran twice"))?;
            value = Some(work(storage)?);
            Ok(())
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

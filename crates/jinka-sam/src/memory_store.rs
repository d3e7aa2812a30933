//! A [`StateStore`] in memory, for tests and the simulation: it keeps the last saved state, so
//! "crash and restart" is "build a new SAM from [`MemoryStore::saved`]".

use crate::sam_state::SamState;
use crate::store::{StateStore, StoreError};

/// Keeps the last state saved; can be told to fail.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    saved: Option<SamState>,
    saves: u64,
    failing: bool,
}

/// The error a failing [`MemoryStore`] returns.
#[derive(Debug, thiserror::Error)]
#[error("the memory store was told to fail")]
pub struct InjectedFault;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store that already holds `state`, as a file would.
    pub fn holding(state: SamState) -> MemoryStore {
        MemoryStore {
            saved: Some(state),
            ..MemoryStore::default()
        }
    }

    /// The last state saved.
    pub fn saved(&self) -> Option<&SamState> {
        self.saved.as_ref()
    }

    /// How many saves succeeded.
    pub fn saves(&self) -> u64 {
        self.saves
    }

    /// While `failing`, every save fails and changes nothing (a full disk).
    pub fn set_failing(&mut self, failing: bool) {
        self.failing = failing;
    }
}

impl StateStore for MemoryStore {
    fn save(&mut self, state: &SamState) -> Result<(), StoreError> {
        if self.failing {
            return Err(StoreError::new(InjectedFault));
        }
        self.saved = Some(state.clone());
        self.saves += 1;
        Ok(())
    }
}

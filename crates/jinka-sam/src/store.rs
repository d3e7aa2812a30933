//! Where a software SAM makes its state durable: a small trait, so the SAM itself does no I/O
//! and a seeded simulation can crash it anywhere.

use std::error::Error;

use crate::sam_state::SamState;

/// Makes a SAM's state durable.
pub trait StateStore {
    /// Saves `state` so that, when this returns `Ok`, a SAM loaded after any crash starts from
    /// `state` (in particular from `state.serial_next` or later). On `Err` the stored state may
    /// be the old one or the new one, never a mix.
    fn save(&mut self, state: &SamState) -> Result<(), StoreError>;
}

impl<S: StateStore + ?Sized> StateStore for &mut S {
    fn save(&mut self, state: &SamState) -> Result<(), StoreError> {
        (**self).save(state)
    }
}

/// The SAM's state could not be saved; the cause (for the file store, an error naming the
/// file) never holds key material.
#[derive(Debug, thiserror::Error)]
#[error("the SAM's state could not be saved: {source}")]
pub struct StoreError {
    #[source]
    source: Box<dyn Error + Send + Sync>,
}

impl StoreError {
    /// Wraps the cause.
    pub fn new(source: impl Into<Box<dyn Error + Send + Sync>>) -> StoreError {
        StoreError {
            source: source.into(),
        }
    }
}

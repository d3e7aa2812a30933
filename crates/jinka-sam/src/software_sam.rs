//! The software SAM: keys and serial counter in the terminal's own memory, its state made
//! durable through a [`StateStore`].
//!
//! # Serials are reserved in blocks
//!
//! A terminal transaction serial must never be handed out twice, even across a crash, so a
//! serial is durable before it is used. Saving the state for every purchase would cost one
//! fsynced file write each; instead the SAM persists a high-water mark `serial_next` ahead of
//! use, by `serial_block` serials (default [`SERIAL_BLOCK_DEFAULT`]), and hands out serials
//! below it from memory. The trade-off: a crash loses the unused rest of the block (at most
//! `serial_block − 1` serials, a gap the clearing centre must accept), in exchange for one
//! write per block. [`SoftwareSam::release_unused_serials`] at an orderly shutdown gives the
//! rest back.

use core::fmt;

use crate::application_block;
use crate::error::SamError;
use crate::key_table::KeyTable;
use crate::purchase_session::PurchaseSession;
use crate::sam::{BlockRequest, PurchaseAuthorization, PurchaseRequest, Sam, TERMINAL_ID_BYTES};
use crate::sam_state::{SERIAL_END, SamState};
use crate::store::{StateStore, StoreError};

/// Serials reserved per durable write unless told otherwise.
pub const SERIAL_BLOCK_DEFAULT: u32 = 100;
/// The largest reservation block.
pub const SERIAL_BLOCK_MAX: u32 = 65_536;

/// A SAM in software. Pure apart from its [`StateStore`]: no files, clock or randomness.
pub struct SoftwareSam<S> {
    /// `state.serial_next` is the durable high-water mark (as far as this SAM knows).
    state: SamState,
    /// The next serial to hand out; never above `state.serial_next`.
    serial_next: u64,
    serial_block: u32,
    store: S,
    session: Option<PurchaseSession>,
}

impl<S: StateStore> SoftwareSam<S> {
    /// A SAM starting from `state` (as loaded, or new) that saves to `store`. Nothing is
    /// reserved yet: the first purchase saves.
    pub fn new(state: SamState, store: S) -> SoftwareSam<S> {
        SoftwareSam {
            serial_next: state.serial_next,
            state,
            serial_block: SERIAL_BLOCK_DEFAULT,
            store,
            session: None,
        }
    }

    /// Sets the reservation block, clamped to `1..=SERIAL_BLOCK_MAX`.
    pub fn with_serial_block(mut self, serial_block: u32) -> SoftwareSam<S> {
        self.serial_block = serial_block.clamp(1, SERIAL_BLOCK_MAX);
        self
    }

    /// The issuers' keys it holds.
    pub fn keys(&self) -> &KeyTable {
        &self.state.keys
    }

    /// The serial the next purchase gets (`SERIAL_END` once exhausted).
    pub fn serial_next(&self) -> u64 {
        self.serial_next
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, mutably (to arm a fault in a simulation).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the reserved but unused serials back, for an orderly shutdown: saves
    /// `serial_next` exactly. If the save fails the SAM still counts only `serial_next` as
    /// durable, and reserves again before the next purchase.
    pub fn release_unused_serials(&mut self) -> Result<(), StoreError> {
        if self.state.serial_next == self.serial_next {
            return Ok(());
        }
        self.state.serial_next = self.serial_next;
        self.store.save(&self.state)
    }

    /// The next serial, reserving a new block first when the reserved one is used up.
    fn take_serial(&mut self) -> Result<u32, SamError> {
        let serial = self.serial_next;
        assert!(
            serial <= self.state.serial_next,
            "a serial above the durable high-water mark was about to be handed out"
        );
        let Ok(handed_out) = u32::try_from(serial) else {
            return Err(SamError::SerialsExhausted);
        };
        if serial == self.state.serial_next {
            self.reserve_from(serial)?;
        }
        self.serial_next = serial + 1;
        Ok(handed_out)
    }

    /// Makes `from + serial_block` (at most [`SERIAL_END`]) the durable high-water mark. On a
    /// failed save the store may hold either mark, so the SAM keeps the lower one.
    fn reserve_from(&mut self, from: u64) -> Result<(), StoreError> {
        let durable = self.state.serial_next;
        self.state.serial_next = (from + u64::from(self.serial_block)).min(SERIAL_END);
        let saved = self.store.save(&self.state);
        if saved.is_err() {
            self.state.serial_next = durable;
        }
        saved
    }
}

impl<S: StateStore> Sam for SoftwareSam<S> {
    fn terminal_id(&self) -> [u8; TERMINAL_ID_BYTES] {
        self.state.terminal_id
    }

    fn init_purchase(
        &mut self,
        request: &PurchaseRequest,
    ) -> Result<PurchaseAuthorization, SamError> {
        self.session = None;
        // Look the key up first: a refused card takes no serial.
        self.state
            .keys
            .lookup(request.issuer_id, request.key_version, request.algorithm_id)?;
        let terminal_serial = self.take_serial()?;
        // Looked up again: the key set cannot stay borrowed while the state is saved.
        let keys =
            self.state
                .keys
                .lookup(request.issuer_id, request.key_version, request.algorithm_id)?;
        let (session, mac1) =
            PurchaseSession::begin(keys, request, terminal_serial, &self.state.terminal_id);
        self.session = Some(session);
        Ok(PurchaseAuthorization {
            terminal_serial,
            mac1,
        })
    }

    fn check_mac2(&mut self, mac2: [u8; 4]) -> Result<(), SamError> {
        self.session
            .take()
            .ok_or(SamError::NoSession)?
            .check_mac2(&mac2)
    }

    fn block_mac(&mut self, request: &BlockRequest) -> Result<[u8; 4], SamError> {
        application_block::check_header(request.header)?;
        let keys = self
            .state
            .keys
            .lookup_version(request.issuer_id, request.key_version)?;
        Ok(application_block::block_mac(keys, request))
    }
}

impl<S> fmt::Debug for SoftwareSam<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareSam")
            .field("terminal_id", &hex::encode_upper(self.state.terminal_id))
            .field("key_sets", &self.state.keys.len())
            .field("serial_next", &self.serial_next)
            .field("serial_reserved_end", &self.state.serial_next)
            .field("purchase_in_progress", &self.session.is_some())
            .finish()
    }
}

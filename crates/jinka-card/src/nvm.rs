//! The card's persistent memory and its one write path.
//!
//! Every state-changing command hands its [`Write`]s to [`Nvm::commit`], which works like a
//! card's EEPROM transaction buffer:
//!
//! 1. each write is copied into the journal (one fault point per write);
//! 2. the journal is marked committed (one fault point);
//! 3. each write is applied to the state (one fault point per write);
//! 4. the journal is cleared (one fault point).
//!
//! Writes are absolute ("set slot 3 to these bytes", "the purse is now this"), so applying one
//! twice is the same as once. At power-up, [`Nvm::recover`] replays a committed journal and
//! drops an uncommitted one, so a card torn at any fault point comes back in the state before
//! or after the command, never a mix.

use jinka_crypto::{Key16, Profile};
use serde::{Deserialize, Serialize};

use crate::aid::Aid;
use crate::application::{AppState, Application};
use crate::file::{Ef, EfBody};
use crate::key::AppKey;
use crate::pin::Pin;
use crate::purse::{LOG_RECORD_BYTES, Purse};

/// The persistent content of a card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardState {
    /// ASN8, the card's serial for key diversification.
    #[serde(with = "hex::serde")]
    pub asn: [u8; 8],
    /// The card's cryptographic profile.
    #[serde(with = "profile_name")]
    pub profile: Profile,
    /// The card manager key (diversified), which authenticates application management.
    #[serde(with = "crate::hex_key")]
    pub card_manager_key: Key16,
    /// Its key version.
    pub card_manager_version: u8,
    /// The highest management sequence counter accepted so far (anti-replay of scripts).
    pub management_counter: u32,
    /// The applications, in creation order.
    pub applications: Vec<Application>,
}

/// One absolute, idempotent change to the card state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "write")]
pub enum Write {
    /// Set an application's purse (balance, counters, last transaction).
    Purse {
        /// Application index.
        app: u8,
        /// The new purse.
        purse: Purse,
    },
    /// Set one slot of a record file (and its head), without allocating: the e-purse log.
    LogSlot {
        /// Application index.
        app: u8,
        /// File index.
        file: u8,
        /// Slot.
        slot: u8,
        /// New head.
        head: u8,
        /// The record.
        #[serde(with = "hex::serde")]
        record: [u8; LOG_RECORD_BYTES],
    },
    /// Set one slot of a record file (and its head).
    RecordSlot {
        /// Application index.
        app: u8,
        /// File index.
        file: u8,
        /// Slot.
        slot: u8,
        /// New head.
        head: u8,
        /// The record.
        #[serde(with = "hex::serde")]
        bytes: Vec<u8>,
    },
    /// Set bytes of a transparent file.
    Binary {
        /// Application index.
        app: u8,
        /// File index.
        file: u8,
        /// Offset in the file.
        offset: u16,
        /// The bytes.
        #[serde(with = "hex::serde")]
        bytes: Vec<u8>,
    },
    /// Put a key (replacing the key of the same usage and index).
    Key {
        /// Application index.
        app: u8,
        /// The key.
        key: AppKey,
    },
    /// Set an application's PIN and its try counter.
    Pin {
        /// Application index.
        app: u8,
        /// The PIN.
        pin: Pin,
    },
    /// Set an application's lifecycle state.
    AppState {
        /// Application index.
        app: u8,
        /// The state.
        state: AppState,
    },
    /// Put an application (replacing one of the same AID).
    PutApplication(Box<Application>),
    /// Delete the application of this AID, if present.
    DeleteApplication {
        /// Its AID.
        aid: Aid,
    },
    /// Put a file (replacing one of the same FID).
    PutFile {
        /// Application index.
        app: u8,
        /// The file.
        file: Box<Ef>,
    },
    /// Set the management sequence counter.
    ManagementCounter {
        /// The counter.
        counter: u32,
    },
}

/// The journal of the write in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The writes of the command being committed.
    pub entries: Vec<Write>,
    /// Whether all entries were journaled and the command may be replayed.
    pub committed: bool,
}

/// Power was removed at a fault point: the command did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("power lost during a write")]
pub struct PowerLost;

/// The card's non-volatile memory: its state and the write journal. Two memories are equal
/// when their state and journal are; the armed tear and step count are not memory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Nvm {
    /// The state.
    pub state: CardState,
    /// The journal (empty between commands).
    pub journal: Journal,
    /// Fault points to pass before power is removed; not persisted.
    #[serde(skip)]
    fault_after_steps: Option<u32>,
    /// Fault points passed so far; not persisted.
    #[serde(skip)]
    steps_taken: u64,
}

impl PartialEq for Nvm {
    fn eq(&self, other: &Nvm) -> bool {
        self.state == other.state && self.journal == other.journal
    }
}

impl Eq for Nvm {}

impl Nvm {
    /// Memory holding `state` and an empty journal.
    pub fn new(state: CardState) -> Nvm {
        Nvm {
            state,
            journal: Journal::default(),
            fault_after_steps: None,
            steps_taken: 0,
        }
    }

    /// Arms a tear: power is removed at the fault point after `steps` more points pass.
    pub fn arm_fault(&mut self, steps: u32) {
        self.fault_after_steps = Some(steps);
    }

    /// Disarms a tear that did not happen.
    pub fn disarm_fault(&mut self) {
        self.fault_after_steps = None;
    }

    /// Fault points passed since the memory was made (for tests that tear at each one).
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// Commits `writes` whole or, if power is lost, leaves a journal that [`Nvm::recover`]
    /// resolves. `writes` is drained; its capacity is kept for the next command.
    ///
    /// The journal borrows the buffer of `writes` for the commit and hands it back after, so a
    /// card holds one buffer of writes, not two: a million simulated cards each carry it.
    pub fn commit(&mut self, writes: &mut Vec<Write>) -> Result<(), PowerLost> {
        assert!(
            self.journal.entries.is_empty() && !self.journal.committed,
            "journal empty between commands"
        );
        // The journal takes all the writes at once; a tear before write `copied` was journaled
        // leaves the journal holding writes `..copied` only, as copying one at a time would.
        core::mem::swap(&mut self.journal.entries, writes);
        for copied in 0..self.journal.entries.len() {
            if let Err(lost) = self.fault_point() {
                self.journal.entries.truncate(copied);
                return Err(lost);
            }
        }
        self.fault_point()?;
        self.journal.committed = true;
        for index in 0..self.journal.entries.len() {
            self.fault_point()?;
            apply(&mut self.state, &self.journal.entries[index]);
        }
        self.fault_point()?;
        self.journal.entries.clear();
        self.journal.committed = false;
        core::mem::swap(&mut self.journal.entries, writes);
        Ok(())
    }

    /// Resolves an interrupted commit at power-up: replays a committed journal, drops an
    /// uncommitted one.
    pub fn recover(&mut self) {
        if self.journal.committed {
            for write in &self.journal.entries {
                apply(&mut self.state, write);
            }
        }
        // Dropped, not cleared: the buffer came from a torn command's writes, and an idle card
        // keeps no journal buffer.
        self.journal.entries = Vec::new();
        self.journal.committed = false;
    }

    fn fault_point(&mut self) -> Result<(), PowerLost> {
        self.steps_taken += 1;
        match self.fault_after_steps {
            Some(0) => {
                self.fault_after_steps = None;
                Err(PowerLost)
            }
            Some(steps) => {
                self.fault_after_steps = Some(steps - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// Applies one write. Writes are built by the card's own commands against the state they
/// change, so an index out of range is a bug, not bad input.
fn apply(state: &mut CardState, write: &Write) {
    match write {
        Write::Purse { app, purse } => {
            state.applications[usize::from(*app)].purse = Some(*purse);
        }
        Write::LogSlot {
            app,
            file,
            slot,
            head,
            record,
        } => {
            records_mut(state, *app, *file).set_slot(usize::from(*slot), *head, record);
        }
        Write::RecordSlot {
            app,
            file,
            slot,
            head,
            bytes,
        } => {
            records_mut(state, *app, *file).set_slot(usize::from(*slot), *head, bytes);
        }
        Write::Binary {
            app,
            file,
            offset,
            bytes,
        } => {
            let file = &mut state.applications[usize::from(*app)].files[usize::from(*file)];
            let EfBody::Binary { bytes: content } = &mut file.body else {
                panic!("binary write to a record file");
            };
            let start = usize::from(*offset);
            content[start..start + bytes.len()].copy_from_slice(bytes);
        }
        Write::Key { app, key } => {
            let keys = &mut state.applications[usize::from(*app)].keys;
            match keys
                .iter_mut()
                .find(|k| k.usage == key.usage && k.index == key.index)
            {
                Some(existing) => *existing = key.clone(),
                None => push_exact(keys, key.clone()),
            }
        }
        Write::Pin { app, pin } => {
            state.applications[usize::from(*app)].pin = Some(pin.clone());
        }
        Write::AppState {
            app,
            state: app_state,
        } => {
            state.applications[usize::from(*app)].state = *app_state;
        }
        Write::PutApplication(application) => {
            match state
                .applications
                .iter_mut()
                .find(|a| a.aid == application.aid)
            {
                Some(existing) => *existing = (**application).clone(),
                None => push_exact(&mut state.applications, (**application).clone()),
            }
        }
        Write::DeleteApplication { aid } => state.applications.retain(|a| a.aid != *aid),
        Write::PutFile { app, file } => {
            let files = &mut state.applications[usize::from(*app)].files;
            match files.iter_mut().find(|f| f.fid == file.fid) {
                Some(existing) => *existing = (**file).clone(),
                None => push_exact(files, (**file).clone()),
            }
        }
        Write::ManagementCounter { counter } => state.management_counter = *counter,
    }
}

/// Pushes without the spare capacity `Vec::push` leaves: applications, keys and files are added
/// a few times in a card's life, and a million simulated cards each hold them.
fn push_exact<T>(items: &mut Vec<T>, item: T) {
    items.reserve_exact(1);
    items.push(item);
}

fn records_mut(state: &mut CardState, app: u8, file: u8) -> &mut crate::file::Records {
    match &mut state.applications[usize::from(app)].files[usize::from(file)].body {
        EfBody::Records(records) => records,
        EfBody::Binary { .. } => panic!("record write to a binary file"),
    }
}

mod profile_name {
    use jinka_crypto::Profile;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        profile: &Profile,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(profile.name())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Profile, D::Error> {
        let name = String::deserialize(deserializer)?;
        Profile::from_name(&name).ok_or_else(|| serde::de::Error::custom("profile is des3 or sm4"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Nvm {
        Nvm::new(CardState {
            asn: [0; 8],
            profile: Profile::Sm4,
            card_manager_key: Key16::new([0x11; 16]),
            card_manager_version: 1,
            management_counter: 0,
            applications: Vec::new(),
        })
    }

    fn counters() -> Vec<Write> {
        (1..=3)
            .map(|counter| Write::ManagementCounter { counter })
            .collect()
    }

    #[test]
    fn a_tear_while_journaling_leaves_the_writes_copied_so_far_uncommitted() {
        for copied in 0..3 {
            let mut nvm = memory();
            let mut writes = counters();
            nvm.arm_fault(copied);
            assert_eq!(nvm.commit(&mut writes), Err(PowerLost));
            assert_eq!(nvm.journal.entries, counters()[..copied as usize]);
            assert!(!nvm.journal.committed);
            assert!(writes.is_empty());
            nvm.recover();
            assert_eq!(nvm, memory());
        }
    }

    #[test]
    fn a_commit_hands_the_buffer_back_and_keeps_no_journal_buffer() {
        let mut nvm = memory();
        let mut writes = counters();
        let capacity = writes.capacity();
        assert_eq!(nvm.commit(&mut writes), Ok(()));
        assert_eq!(nvm.state.management_counter, 3);
        assert!(writes.is_empty());
        assert_eq!(writes.capacity(), capacity);
        assert_eq!(nvm.journal.entries.capacity(), 0);
        assert_eq!(nvm.steps_taken(), 3 + 1 + 3 + 1);
    }
}

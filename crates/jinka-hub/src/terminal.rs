//! A terminal of the registry, owned by one acquirer (or load agent).

use serde::Serialize;

use crate::byte_id::TerminalId;
use crate::clock::EpochMs;
use crate::participant::ParticipantId;
use crate::region::Region;

/// A terminal to register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewTerminal {
    /// Its id (its SAM's).
    pub terminal_id: TerminalId,
    /// The participant that owns it: the only one that may upload its records or request loads
    /// through it.
    pub owner: ParticipantId,
    /// Where it stands.
    pub region: Region,
}

impl NewTerminal {
    /// The registered terminal this becomes at `created_at`.
    pub(crate) const fn registered(self, created_at: EpochMs) -> Terminal {
        Terminal {
            terminal_id: self.terminal_id,
            owner: self.owner,
            region: self.region,
            created_at_ms: created_at,
        }
    }
}

/// A registered terminal (its JSON form is the API's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Terminal {
    /// Its id.
    pub terminal_id: TerminalId,
    /// Its owner.
    pub owner: ParticipantId,
    /// Where it stands.
    pub region: Region,
    /// When it was registered.
    pub created_at_ms: EpochMs,
}

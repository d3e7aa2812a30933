//! Who takes part in the network: issuers, acquirers, load agents and the network operator
//! (the hub) itself, each known to the ledger by its number only. Roles, names, regions and
//! caps live in the hub's registry; the ledger learns who plays which part in a transaction
//! from the caller.

use core::fmt;
use core::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;

/// A participant's number in the hub's registry; never 0, so an unset id cannot pass for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(NonZeroU32);

impl ParticipantId {
    /// The participant numbered `id`; 0 is [`LedgerError::ZeroParticipantId`].
    pub const fn new(id: u32) -> Result<ParticipantId, LedgerError> {
        match NonZeroU32::new(id) {
            Some(id) => Ok(ParticipantId(id)),
            None => Err(LedgerError::ZeroParticipantId),
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// The number.
impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_not_a_participant() {
        assert_eq!(ParticipantId::new(0), Err(LedgerError::ZeroParticipantId));
        assert_eq!(ParticipantId::new(7).map(ParticipantId::get), Ok(7));
    }
}

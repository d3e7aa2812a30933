//! What can go wrong when a terminal asks its SAM for something, grouped by what the caller
//! does about it.

use jinka_apdu::{StatusWord, TransportError};

use crate::store::StoreError;

/// What the caller does about a [`SamError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamErrorKind {
    /// The card cannot be served (or, after MAC2, is suspect): refuse it and go on with the
    /// next one. The SAM is fine.
    RefuseCard,
    /// The terminal called the SAM out of order or with a request it must not make: a bug in
    /// the caller.
    Misuse,
    /// The SAM cannot work (exhausted, its state cannot be saved, the PSAM or its reader
    /// misbehaves): take the terminal out of service until it is repaired.
    SamFault,
}

/// Why the SAM refused a request. Neither the message nor `Debug` ever contains key material:
/// only issuer ids, key versions, algorithm ids and status words.
#[derive(Debug, thiserror::Error)]
pub enum SamError {
    // Refuse the card.
    /// The SAM holds no keys of the card's issuer.
    #[error("the SAM holds no keys of issuer {}", hex::encode_upper(issuer_id))]
    UnknownIssuer {
        /// The card's issuer id.
        issuer_id: [u8; 8],
    },
    /// The SAM holds keys of the issuer, but not of the key version the card reported.
    #[error(
        "the SAM holds no key version {key_version} of issuer {}",
        hex::encode_upper(issuer_id)
    )]
    MissingKeyVersion {
        /// The card's issuer id.
        issuer_id: [u8; 8],
        /// The key version the card reported.
        key_version: u8,
    },
    /// The card reported an algorithm id that is neither `00` (des3) nor `04` (sm4).
    #[error("unknown algorithm id {algorithm_id:02X}")]
    UnknownAlgorithm {
        /// The card's algorithm id.
        algorithm_id: u8,
    },
    /// The card's algorithm id is not the profile of the issuer's key set of that version.
    #[error(
        "algorithm id {algorithm_id:02X} does not match the profile of key version {key_version} of issuer {}",
        hex::encode_upper(issuer_id)
    )]
    AlgorithmMismatch {
        /// The card's issuer id.
        issuer_id: [u8; 8],
        /// The key version the card reported.
        key_version: u8,
        /// The card's algorithm id.
        algorithm_id: u8,
    },
    /// The card's MAC2 is wrong: the card is not genuine or the purchase did not happen as
    /// the SAM computed it. Keep the card's answer for the issuer.
    #[error("the card's MAC2 is invalid")]
    Mac2Invalid,

    // Misuse.
    /// CHECK MAC2 without a purchase in progress (none begun, or its MAC2 already checked).
    #[error("no purchase is in progress in the SAM")]
    NoSession,
    /// The SAM MACs APPLICATION BLOCK only, never another command under the maintenance key.
    #[error("the SAM refuses to MAC command {}", hex::encode_upper(header))]
    CommandNotAllowed {
        /// The refused command header `CLA INS P1 P2`.
        header: [u8; 4],
    },

    // SAM fault.
    /// Every terminal transaction serial has been used.
    #[error("the SAM has used every terminal transaction serial")]
    SerialsExhausted,
    /// The SAM's state (its serial counter) could not be made durable, so no serial was given.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The APDU transport to the PSAM failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The PSAM does not implement the command.
    #[error("the PSAM does not support {command}")]
    Unsupported {
        /// The command's name.
        command: &'static str,
    },
    /// The PSAM answered a status word the protocol does not expect.
    #[error("the PSAM answered {command} with {status}")]
    UnexpectedStatus {
        /// The command's name.
        command: &'static str,
        /// Its answer.
        status: StatusWord,
    },
    /// The PSAM's answer has the wrong length.
    #[error("the PSAM answered {command} with {bytes} bytes of data")]
    MalformedResponse {
        /// The command's name.
        command: &'static str,
        /// Data bytes received.
        bytes: usize,
    },
}

impl SamError {
    /// What the caller does about it.
    pub fn kind(&self) -> SamErrorKind {
        match self {
            SamError::UnknownIssuer { .. }
            | SamError::MissingKeyVersion { .. }
            | SamError::UnknownAlgorithm { .. }
            | SamError::AlgorithmMismatch { .. }
            | SamError::Mac2Invalid => SamErrorKind::RefuseCard,
            SamError::NoSession | SamError::CommandNotAllowed { .. } => SamErrorKind::Misuse,
            SamError::SerialsExhausted
            | SamError::Store(_)
            | SamError::Transport(_)
            | SamError::Unsupported { .. }
            | SamError::UnexpectedStatus { .. }
            | SamError::MalformedResponse { .. } => SamErrorKind::SamFault,
        }
    }
}

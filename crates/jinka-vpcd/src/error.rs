use std::io;

/// What a [`VirtualCard::after_command`](crate::VirtualCard::after_command) hook reports when
/// it could not persist the card. A binary can return an `anyhow::Error` with `.into()`.
pub type PersistError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in this crate.
///
/// The variants are grouped by what the caller does about them; [`VpcdError::is_retryable`]
/// tells the transport group apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VpcdError {
    // Reject the input: bytes from vpcd that mean nothing. The serve loop logs and skips these.
    /// A frame with a zero-length payload.
    #[error("vpcd sent an empty frame payload")]
    EmptyPayload,
    /// A 1-byte payload that is not one of the control codes of the vpcd protocol.
    #[error("vpcd sent the unknown control code {0:#04x}")]
    UnknownControl(u8),

    // Reject the input: a value this crate refuses to put on the wire or to run with.
    /// A payload longer than the 2-byte length prefix can describe.
    #[error("a frame payload of {payload_bytes} bytes does not fit the 2-byte length prefix")]
    PayloadTooLong {
        /// Length of the refused payload.
        payload_bytes: usize,
    },
    /// A [`ServeLimits`](crate::ServeLimits) outside the range the protocol allows.
    #[error("frame_bytes_max = {frame_bytes_max} is outside {min}..={max}")]
    LimitOutOfRange {
        /// The refused value.
        frame_bytes_max: usize,
        /// Smallest accepted value.
        min: usize,
        /// Largest accepted value.
        max: usize,
    },

    // Retry later: the transport failed; reconnecting may help.
    /// The connection closed in the middle of a frame.
    #[error(
        "vpcd closed the connection mid-frame: {received_bytes} of {expected_bytes} bytes \
         (length prefix included)"
    )]
    Truncated {
        /// Bytes the frame needed, counting the 2-byte length prefix.
        expected_bytes: usize,
        /// Bytes that arrived before the connection closed.
        received_bytes: usize,
    },
    /// Reading from or writing to vpcd failed.
    #[error("vpcd connection failed")]
    Io(#[source] io::Error),
    /// Every connection attempt failed.
    #[error("could not connect to vpcd at {addr} in {attempts} attempts")]
    Connect {
        /// The address tried.
        addr: String,
        /// Number of attempts made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        source: io::Error,
    },

    // A bug in the card implementation or its storage: stop serving.
    /// The card's ATR is empty or longer than ISO/IEC 7816-3 allows.
    #[error("the card's ATR is {atr_bytes} bytes; ISO/IEC 7816-3 allows {min} to {max}")]
    InvalidAtr {
        /// Length of the card's ATR.
        atr_bytes: usize,
        /// Smallest valid ATR (TS and T0).
        min: usize,
        /// Largest valid ATR.
        max: usize,
    },
    /// The card answered an APDU without a status word.
    #[error("the card answered with {response_bytes} bytes, too short for SW1 SW2")]
    MissingStatusWord {
        /// Length of the card's answer.
        response_bytes: usize,
    },
    /// The card's [`after_command`](crate::VirtualCard::after_command) hook failed; the answer
    /// to the command was not sent.
    #[error("persisting the card failed")]
    Persist(#[source] PersistError),
}

impl VpcdError {
    /// True for transport failures after which connecting again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Truncated { .. } | Self::Io(_) | Self::Connect { .. }
        )
    }
}

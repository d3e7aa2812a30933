//! One command, one answer: what every flow step does, with every way it can go wrong typed.

use jinka_apdu::{ResponseApdu, StatusWord, Transport, TransportError};

/// Longest answer a terminal accepts from a card.
pub const RESPONSE_BYTES_MAX: usize = 4096;

/// Why a step with the card failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The card left, or the reader failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The answer is not a response APDU (fewer than 2 bytes, or too long).
    #[error("{step}: the card's answer is not a response APDU ({bytes} bytes)")]
    Garbled {
        /// The step.
        step: &'static str,
        /// Its length.
        bytes: usize,
    },
    /// The card refused.
    #[error("{step}: the card answered {status} ({})", status.meaning())]
    Refused {
        /// The step.
        step: &'static str,
        /// The status word.
        status: StatusWord,
    },
    /// The card said 9000 but its data has the wrong length.
    #[error("{step}: expected {expected} bytes of data, got {got}")]
    WrongLength {
        /// The step.
        step: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
}

/// Sends `command` and gives the data of a `9000` answer; `buffer` is reused across calls.
pub fn exchange<'b>(
    transport: &mut impl Transport,
    step: &'static str,
    command: &[u8],
    buffer: &'b mut Vec<u8>,
) -> Result<&'b [u8], ExchangeError> {
    let (data, status) = exchange_status(transport, step, command, buffer)?;
    if status.is_ok() {
        Ok(data)
    } else {
        Err(ExchangeError::Refused { step, status })
    }
}

/// Sends `command` and gives its data and status word whatever the status.
pub fn exchange_status<'b>(
    transport: &mut impl Transport,
    step: &'static str,
    command: &[u8],
    buffer: &'b mut Vec<u8>,
) -> Result<(&'b [u8], StatusWord), ExchangeError> {
    buffer.clear();
    transport.transmit(command, buffer)?;
    if buffer.len() > RESPONSE_BYTES_MAX {
        return Err(ExchangeError::Garbled {
            step,
            bytes: buffer.len(),
        });
    }
    let response = ResponseApdu::parse(buffer).map_err(|_| ExchangeError::Garbled {
        step,
        bytes: buffer.len(),
    })?;
    Ok((response.data, response.status))
}

/// Sends `command` and gives exactly `N` bytes of a `9000` answer.
pub fn exchange_fixed<const N: usize>(
    transport: &mut impl Transport,
    step: &'static str,
    command: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<[u8; N], ExchangeError> {
    let data = exchange(transport, step, command, buffer)?;
    data.try_into().map_err(|_| ExchangeError::WrongLength {
        step,
        expected: N,
        got: data.len(),
    })
}

/// Builds a short command APDU into `out`.
pub fn command<'o>(
    out: &'o mut Vec<u8>,
    header: [u8; 4],
    data: &[&[u8]],
    le: Option<u8>,
) -> &'o [u8] {
    out.clear();
    out.extend_from_slice(&header);
    let len: usize = data.iter().map(|part| part.len()).sum();
    if len > 0 {
        out.push(len as u8);
        data.iter().for_each(|part| out.extend_from_slice(part));
    }
    out.extend(le);
    out
}

//! One session with vpcd over a connected stream: read a frame, dispatch, answer, repeat.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use tracing::{debug, info, trace, warn};

use crate::frame::{LENGTH_PREFIX_BYTES, PAYLOAD_BYTES_MAX, encode_frame, payload_length};
use crate::{Request, VirtualCard, VpcdError};

/// Shortest valid ATR: TS and T0 (ISO/IEC 7816-3 §8.2).
pub const ATR_BYTES_MIN: usize = 2;

/// Longest valid ATR (ISO/IEC 7816-3 §8.2.1: at most 32 characters after TS).
pub const ATR_BYTES_MAX: usize = 33;

/// ISO/IEC 7816-4 status word "wrong length", the answer to an APDU over `frame_bytes_max`.
const SW_WRONG_LENGTH: [u8; 2] = [0x67, 0x00];

/// Limits of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    frame_bytes_max: usize,
}

impl ServeLimits {
    /// The longest short APDU (ISO/IEC 7816-3 §12.1): header 4, Lc 1, data 255, Le 1.
    pub const FRAME_BYTES_MAX_DEFAULT: usize = 261;

    /// The shortest command APDU: its 4-byte header.
    pub const FRAME_BYTES_MAX_MIN: usize = 4;

    /// Limits with `frame_bytes_max`, the longest payload (length prefix not counted) the
    /// session reads into memory. A longer APDU is skipped unread and answered `67 00`.
    pub fn new(frame_bytes_max: usize) -> Result<Self, VpcdError> {
        if !(Self::FRAME_BYTES_MAX_MIN..=PAYLOAD_BYTES_MAX).contains(&frame_bytes_max) {
            return Err(VpcdError::LimitOutOfRange {
                frame_bytes_max,
                min: Self::FRAME_BYTES_MAX_MIN,
                max: PAYLOAD_BYTES_MAX,
            });
        }
        Ok(Self { frame_bytes_max })
    }

    /// The longest payload the session reads.
    pub fn frame_bytes_max(self) -> usize {
        self.frame_bytes_max
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            frame_bytes_max: Self::FRAME_BYTES_MAX_DEFAULT,
        }
    }
}

/// How a session that vpcd closed cleanly went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeEnd {
    /// Frames received.
    pub requests: u64,
    /// APDUs answered, those refused for length included.
    pub apdus_answered: u64,
    /// Frames logged and skipped: empty payloads and unknown control codes.
    pub requests_skipped: u64,
}

/// Serves `card` on a stream connected to vpcd until vpcd closes it.
///
/// Returns `Ok` when vpcd closes the connection between frames, and an error when it closes
/// mid-frame ([`VpcdError::Truncated`]), on any other I/O failure, when the card breaks the
/// protocol (a bad ATR, an answer without a status word) or when its
/// [`after_command`](VirtualCard::after_command) hook fails. Either way the card is powered off
/// and its hook called once more before this returns.
pub fn serve(
    stream: TcpStream,
    card: &mut impl VirtualCard,
    limits: ServeLimits,
) -> Result<ServeEnd, VpcdError> {
    // Frames are small and strictly request then answer: Nagle's delay would only add latency.
    if let Err(error) = stream.set_nodelay(true) {
        warn!(%error, "TCP_NODELAY not set; answers may be delayed");
    }
    info!(peer = ?stream.peer_addr().ok(), "vpcd session started");
    serve_stream(stream, card, limits)
}

/// [`serve`] over any byte stream.
fn serve_stream(
    mut stream: impl Read + Write,
    card: &mut impl VirtualCard,
    limits: ServeLimits,
) -> Result<ServeEnd, VpcdError> {
    let served = serve_frames(&mut stream, card, limits);
    // The card left the reader: like a card pulled out, it loses power mid-session.
    card.power_off();
    let persisted = card.after_command().map_err(VpcdError::Persist);
    if let (Err(_), Err(error)) = (&served, &persisted) {
        warn!(%error, "saving the card at the end of a failed session failed too");
    }
    let end = served?;
    persisted?;
    info!(
        requests = end.requests,
        apdus_answered = end.apdus_answered,
        "vpcd closed the session"
    );
    Ok(end)
}

fn serve_frames(
    stream: &mut (impl Read + Write),
    card: &mut impl VirtualCard,
    limits: ServeLimits,
) -> Result<ServeEnd, VpcdError> {
    let mut payload = Vec::with_capacity(limits.frame_bytes_max);
    let mut response = Vec::new();
    let mut frame = Vec::new();
    let mut end = ServeEnd::default();
    loop {
        let incoming = read_frame(stream, &mut payload, limits.frame_bytes_max)?;
        response.clear();
        match incoming {
            Incoming::Closed => return Ok(end),
            Incoming::Oversized { payload_bytes } => {
                warn!(
                    payload_bytes,
                    frame_bytes_max = limits.frame_bytes_max,
                    "APDU over frame_bytes_max skipped, answered 6700"
                );
                response.extend_from_slice(&SW_WRONG_LENGTH);
                end.apdus_answered += 1;
            }
            Incoming::Payload => match Request::parse(&payload) {
                Ok(request) => {
                    dispatch(card, request, &mut response)?;
                    end.apdus_answered += u64::from(matches!(request, Request::Apdu(_)));
                }
                Err(error) => {
                    // vpcd may grow new control codes: skipping keeps the card in the reader.
                    warn!(%error, "vpcd request skipped");
                    end.requests_skipped += 1;
                }
            },
        }
        end.requests += 1;
        if !response.is_empty() {
            frame.clear();
            encode_frame(&response, &mut frame)?;
            stream.write_all(&frame).map_err(VpcdError::Io)?;
        }
    }
}

/// Runs one request on the card and leaves its answer, if any, in `response`.
fn dispatch(
    card: &mut impl VirtualCard,
    request: Request<'_>,
    response: &mut Vec<u8>,
) -> Result<(), VpcdError> {
    match request {
        Request::PowerOff => {
            debug!("power off");
            card.power_off();
        }
        Request::PowerOn => {
            debug!("power on");
            card.power_on();
        }
        Request::Reset => {
            debug!("reset");
            card.reset();
        }
        Request::GetAtr => {
            // vpcd polls the ATR to see that the card is still present: trace, not debug.
            trace!("get ATR");
            let atr = card.atr();
            if !(ATR_BYTES_MIN..=ATR_BYTES_MAX).contains(&atr.len()) {
                return Err(VpcdError::InvalidAtr {
                    atr_bytes: atr.len(),
                    min: ATR_BYTES_MIN,
                    max: ATR_BYTES_MAX,
                });
            }
            response.extend_from_slice(atr);
            // Reading the ATR changes nothing: no save.
            return Ok(());
        }
        Request::Apdu(apdu) => {
            card.transmit(apdu, response);
            let Some(&[sw1, sw2]) = response.last_chunk::<2>() else {
                return Err(VpcdError::MissingStatusWord {
                    response_bytes: response.len(),
                });
            };
            // INS and SW only: the data of an APDU or its answer can carry keys.
            let ins = apdu.get(1).copied().unwrap_or_default();
            debug!("APDU INS {ins:02X} answered SW {sw1:02X}{sw2:02X}");
        }
    }
    card.after_command().map_err(VpcdError::Persist)
}

/// What [`read_frame`] found on the stream.
enum Incoming {
    /// A frame whose payload is now in the buffer.
    Payload,
    /// A frame over the limit, read and dropped.
    Oversized { payload_bytes: usize },
    /// The peer closed the connection between frames.
    Closed,
}

/// Reads one frame into `payload`, which keeps at most `frame_bytes_max` bytes.
fn read_frame(
    stream: &mut impl Read,
    payload: &mut Vec<u8>,
    frame_bytes_max: usize,
) -> Result<Incoming, VpcdError> {
    let mut prefix = [0u8; LENGTH_PREFIX_BYTES];
    match read_full(stream, &mut prefix)? {
        0 => return Ok(Incoming::Closed),
        LENGTH_PREFIX_BYTES => {}
        received_bytes => {
            return Err(VpcdError::Truncated {
                expected_bytes: LENGTH_PREFIX_BYTES,
                received_bytes,
            });
        }
    }
    let payload_bytes = payload_length(prefix);
    let received = if payload_bytes > frame_bytes_max {
        // u16 bounds the length, so draining it is bounded too.
        let limit = u64::try_from(payload_bytes).unwrap_or(u64::MAX);
        let drained = io::copy(&mut stream.take(limit), &mut io::sink()).map_err(VpcdError::Io)?;
        usize::try_from(drained).unwrap_or(usize::MAX)
    } else {
        payload.clear();
        payload.resize(payload_bytes, 0);
        read_full(stream, payload)?
    };
    if received < payload_bytes {
        return Err(VpcdError::Truncated {
            expected_bytes: LENGTH_PREFIX_BYTES + payload_bytes,
            received_bytes: LENGTH_PREFIX_BYTES + received,
        });
    }
    if payload_bytes > frame_bytes_max {
        return Ok(Incoming::Oversized { payload_bytes });
    }
    Ok(Incoming::Payload)
}

/// Fills `buffer` unless the stream ends first; returns the bytes read.
fn read_full(stream: &mut impl Read, buffer: &mut [u8]) -> Result<usize, VpcdError> {
    let mut filled = 0;
    while let Some(rest) = buffer.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match stream.read(rest) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(VpcdError::Io(error)),
        }
    }
    Ok(filled)
}

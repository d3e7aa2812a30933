//! Connecting to vpcd, with retries, and serving session after session.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

use tracing::{info, warn};

use crate::{ServeLimits, VirtualCard, VpcdError, serve};

/// Longest wait for one TCP connect; vpcd is normally on the loopback, where a refusal is
/// immediate, but a remote address that drops packets would otherwise block for minutes.
const CONNECT_TIMEOUT_MS: u64 = 5_000;

/// How [`connect_and_serve`] connects and how long it keeps going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Connection attempts before giving up, for the first session and for each reconnect
    /// (0 counts as 1). With the delay below this is how long the card waits for pcscd.
    pub connect_attempts_max: u32,
    /// Pause after a failed attempt, and before reconnecting after a session ended.
    pub connect_retry_delay_ms: u64,
    /// Sessions served before returning; each time vpcd closes the connection the card
    /// connects again until this many sessions are done. 1 is [`ConnectOptions::once`].
    pub sessions_max: u32,
    /// Limits of each session.
    pub limits: ServeLimits,
}

impl ConnectOptions {
    /// Default wait for pcscd: 60 attempts 500 ms apart, about 30 s.
    pub const CONNECT_ATTEMPTS_MAX_DEFAULT: u32 = 60;
    /// Default pause between attempts.
    pub const CONNECT_RETRY_DELAY_MS_DEFAULT: u64 = 500;
    /// Default number of sessions; vpcd closes a session only when pcscd stops or the card
    /// fails, so this bounds restarts, not normal use.
    pub const SESSIONS_MAX_DEFAULT: u32 = 1_000;

    /// The same options, stopping after the first session.
    #[must_use]
    pub fn once(self) -> Self {
        Self {
            sessions_max: 1,
            ..self
        }
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connect_attempts_max: Self::CONNECT_ATTEMPTS_MAX_DEFAULT,
            connect_retry_delay_ms: Self::CONNECT_RETRY_DELAY_MS_DEFAULT,
            sessions_max: Self::SESSIONS_MAX_DEFAULT,
            limits: ServeLimits::default(),
        }
    }
}

/// How [`connect_and_serve`] ended: `sessions_max` sessions served, the last one closed
/// cleanly by vpcd.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectEnd {
    /// Sessions served.
    pub sessions: u32,
    /// APDUs answered in the sessions that vpcd closed cleanly.
    pub apdus_answered: u64,
}

/// Connects `card` to vpcd at `addr` (for example `127.0.0.1:35963`, slot 0) and serves it,
/// reconnecting after each session until `options.sessions_max` sessions are done.
///
/// A session cut by a transport error ([`VpcdError::is_retryable`]) is followed by a reconnect
/// like a clean close; the last allowed session returns its error. Any other error returns at
/// once. Connecting fails with [`VpcdError::Connect`] after `connect_attempts_max` attempts.
pub fn connect_and_serve(
    addr: &str,
    card: &mut impl VirtualCard,
    options: &ConnectOptions,
) -> Result<ConnectEnd, VpcdError> {
    let mut end = ConnectEnd::default();
    while end.sessions < options.sessions_max {
        if end.sessions > 0 {
            // vpcd just went away; pcscd is likely restarting.
            pause(options.connect_retry_delay_ms);
        }
        let stream = connect(addr, options)?;
        end.sessions += 1;
        match serve(stream, card, options.limits) {
            Ok(session) => end.apdus_answered += session.apdus_answered,
            Err(error) if error.is_retryable() && end.sessions < options.sessions_max => {
                warn!(%error, "vpcd session cut; reconnecting");
            }
            Err(error) => return Err(error),
        }
    }
    info!(sessions = end.sessions, "sessions_max reached");
    Ok(end)
}

/// Connects to `addr`, retrying up to `options.connect_attempts_max` times.
fn connect(addr: &str, options: &ConnectOptions) -> Result<TcpStream, VpcdError> {
    let attempts_max = options.connect_attempts_max.max(1);
    let mut attempt = 1;
    loop {
        match connect_once(addr) {
            Ok(stream) => return Ok(stream),
            Err(source) if attempt >= attempts_max => {
                return Err(VpcdError::Connect {
                    addr: addr.to_owned(),
                    attempts: attempt,
                    source,
                });
            }
            Err(error) => {
                info!(addr, attempt, %error, "vpcd not reachable yet");
                pause(options.connect_retry_delay_ms);
                attempt += 1;
            }
        }
    }
}

/// One attempt: every address `addr` resolves to, in order, each bounded by
/// [`CONNECT_TIMEOUT_MS`].
fn connect_once(addr: &str) -> io::Result<TcpStream> {
    let timeout = Duration::from_millis(CONNECT_TIMEOUT_MS);
    let mut last_error = None;
    for socket_addr in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&socket_addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "the address resolves to nothing")
    }))
}

fn pause(delay_ms: u64) {
    thread::sleep(Duration::from_millis(delay_ms));
}

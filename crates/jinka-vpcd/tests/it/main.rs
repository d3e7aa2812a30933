//! Black-box tests of the vpcd transport: a fake vpcd (the pcscd driver's side) on
//! 127.0.0.1:0 talks to `serve` / `connect_and_serve` running on another thread.

use std::cell::RefCell;
use std::error::Error;
use std::fmt::{self, Write as _};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Once;
use std::thread;

use jinka_vpcd::{
    ConnectEnd, ConnectOptions, PersistError, Request, ServeEnd, ServeLimits, VirtualCard,
    VpcdError, connect_and_serve, encode_frame, payload_length, serve,
};

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

const ATR: [u8; 4] = [0x3B, 0x02, 0x14, 0x50];
const SELECT_MF: [u8; 7] = [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00];
const SW_OK: [u8; 2] = [0x90, 0x00];

/// A card that answers SELECT with 90 00 and echoes every other APDU ‖ 90 00, recording what
/// the transport asked of it.
#[derive(Debug, Default)]
struct TestCard {
    atr: Option<Vec<u8>>,
    /// When set, the raw answer to every APDU, to play a broken card.
    answer: Option<Vec<u8>>,
    fail_saves: bool,
    powered: bool,
    power_ons: u32,
    power_offs: u32,
    resets: u32,
    saves: u32,
    apdus: Vec<Vec<u8>>,
}

impl VirtualCard for TestCard {
    fn power_on(&mut self) {
        self.powered = true;
        self.power_ons += 1;
    }
    fn power_off(&mut self) {
        self.powered = false;
        self.power_offs += 1;
    }
    fn reset(&mut self) {
        self.resets += 1;
    }
    fn atr(&self) -> &[u8] {
        self.atr.as_deref().unwrap_or(&ATR)
    }
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) {
        self.apdus.push(apdu.to_vec());
        if let Some(answer) = &self.answer {
            response.extend_from_slice(answer);
        } else if apdu.get(1) == Some(&0xA4) {
            response.extend_from_slice(&SW_OK);
        } else {
            response.extend_from_slice(apdu);
            response.extend_from_slice(&SW_OK);
        }
    }
    fn after_command(&mut self) -> Result<(), PersistError> {
        self.saves += 1;
        if self.fail_saves {
            return Err("disk full".into());
        }
        Ok(())
    }
}

/// The pcscd driver's side of the connection.
struct FakeVpcd {
    stream: TcpStream,
}

impl FakeVpcd {
    fn send(&mut self, payload: &[u8]) -> TestResult {
        let mut frame = Vec::new();
        encode_frame(payload, &mut frame)?;
        self.stream.write_all(&frame)?;
        Ok(())
    }

    fn send_request(&mut self, request: Request<'_>) -> TestResult {
        self.send(request.payload())
    }

    fn receive(&mut self) -> Result<Vec<u8>, Box<dyn Error + Send + Sync>> {
        let mut prefix = [0u8; 2];
        self.stream.read_exact(&mut prefix)?;
        let mut payload = vec![0u8; payload_length(prefix)];
        self.stream.read_exact(&mut payload)?;
        Ok(payload)
    }

    fn ask(&mut self, payload: &[u8]) -> Result<Vec<u8>, Box<dyn Error + Send + Sync>> {
        self.send(payload)?;
        self.receive()
    }

    /// Half-closes the connection and returns what the card still sent before closing its
    /// side.
    fn close_and_drain(&mut self) -> Result<Vec<u8>, Box<dyn Error + Send + Sync>> {
        self.stream.shutdown(Shutdown::Write)?;
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest)?;
        Ok(rest)
    }
}

fn accept(listener: &TcpListener) -> Result<FakeVpcd, Box<dyn Error + Send + Sync>> {
    let (stream, _) = listener.accept()?;
    Ok(FakeVpcd { stream })
}

/// Runs `serve` for `card` on another thread while `script` plays vpcd; returns what `serve`
/// returned once the script closed the connection.
fn session(
    card: &mut TestCard,
    limits: ServeLimits,
    script: impl FnOnce(&mut FakeVpcd) -> TestResult,
) -> Result<Result<ServeEnd, VpcdError>, Box<dyn Error + Send + Sync>> {
    init_log_capture();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::scope(|scope| {
        let card_side = scope.spawn(move || -> Result<_, std::io::Error> {
            Ok(serve(TcpStream::connect(addr)?, card, limits))
        });
        let mut vpcd = accept(&listener)?;
        let scripted = script(&mut vpcd);
        drop(vpcd);
        let served = card_side.join().map_err(|_| "the card thread panicked")??;
        scripted?;
        Ok(served)
    })
}

#[test]
fn power_on_atr_and_apdus_round_trip() -> TestResult {
    let mut card = TestCard::default();
    let get_data = [0x80, 0xCA, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03];
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send_request(Request::PowerOn)?;
        assert_eq!(vpcd.ask(Request::GetAtr.payload())?, ATR);
        assert_eq!(vpcd.ask(&SELECT_MF)?, SW_OK);
        assert_eq!(vpcd.ask(&get_data)?, [&get_data[..], &SW_OK].concat());
        vpcd.send_request(Request::Reset)?;
        vpcd.send_request(Request::PowerOff)?;
        assert_eq!(
            vpcd.close_and_drain()?,
            [0u8; 0],
            "controls are never answered"
        );
        Ok(())
    })?;

    assert_eq!(
        served?,
        ServeEnd {
            requests: 6,
            apdus_answered: 2,
            requests_skipped: 0
        }
    );
    assert_eq!(card.apdus, [SELECT_MF.to_vec(), get_data.to_vec()]);
    assert_eq!((card.power_ons, card.resets), (1, 1));
    // The power-off control, then the end of the session.
    assert_eq!(card.power_offs, 2);
    assert!(!card.powered);
    // Power on, two APDUs, reset, power off, end of session; never for the ATR.
    assert_eq!(card.saves, 6);
    Ok(())
}

#[test]
fn unknown_control_codes_and_empty_frames_are_skipped_without_an_answer() -> TestResult {
    let mut card = TestCard::default();
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send(&[0x03])?;
        vpcd.send(&[0xFF])?;
        vpcd.send(&[])?;
        // The next answer is the ATR: nothing was sent for the three frames before it.
        assert_eq!(vpcd.ask(&[0x04])?, ATR);
        assert_eq!(vpcd.ask(&SELECT_MF)?, SW_OK);
        Ok(())
    })?;

    let end = served?;
    assert_eq!(end.requests_skipped, 3);
    assert_eq!(end.apdus_answered, 1);
    assert_eq!(card.apdus, [SELECT_MF.to_vec()]);
    Ok(())
}

#[test]
fn a_payload_cut_mid_frame_ends_the_session_with_truncated() -> TestResult {
    let mut card = TestCard::default();
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send_request(Request::PowerOn)?;
        // Announces 5 bytes, delivers 3.
        vpcd.stream.write_all(&[0x00, 0x05, 0x00, 0xA4, 0x04])?;
        assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
        Ok(())
    })?;

    assert!(
        matches!(
            served,
            Err(VpcdError::Truncated {
                expected_bytes: 7,
                received_bytes: 5
            })
        ),
        "{served:?}"
    );
    assert!(card.apdus.is_empty());
    assert!(!card.powered, "a card that left the reader is powered off");
    Ok(())
}

#[test]
fn a_length_prefix_cut_in_half_ends_the_session_with_truncated() -> TestResult {
    let mut card = TestCard::default();
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.stream.write_all(&[0x00])?;
        assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
        Ok(())
    })?;

    let error = served.err().ok_or("a cut length prefix was accepted")?;
    assert!(
        matches!(
            error,
            VpcdError::Truncated {
                expected_bytes: 2,
                received_bytes: 1
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    Ok(())
}

#[test]
fn an_apdu_over_frame_bytes_max_is_answered_wrong_length_and_the_session_goes_on() -> TestResult {
    let mut card = TestCard::default();
    let limits = ServeLimits::new(8)?;
    let fits = [0x80, 0xCA, 0x00, 0x00, 0x02, 0x01, 0x02, 0x03];
    let served = session(&mut card, limits, |vpcd| {
        assert_eq!(
            vpcd.ask(&[0x80, 0xCA, 0x00, 0x00, 0x04, 1, 2, 3, 4])?,
            [0x67, 0x00]
        );
        // The largest frame the length prefix allows is drained, not read into memory.
        assert_eq!(vpcd.ask(&vec![0xA5; 65_535])?, [0x67, 0x00]);
        assert_eq!(vpcd.ask(&fits)?, [&fits[..], &SW_OK].concat());
        Ok(())
    })?;

    assert_eq!(served?.apdus_answered, 3);
    assert_eq!(
        card.apdus,
        [fits.to_vec()],
        "oversized APDUs never reach the card"
    );
    Ok(())
}

#[test]
fn frame_bytes_max_is_checked_against_the_protocol() {
    assert!(matches!(
        ServeLimits::new(3),
        Err(VpcdError::LimitOutOfRange {
            frame_bytes_max: 3,
            ..
        })
    ));
    assert!(ServeLimits::new(65_536).is_err());
    assert_eq!(
        ServeLimits::new(4).ok().map(ServeLimits::frame_bytes_max),
        Some(4)
    );
    assert_eq!(
        ServeLimits::new(65_535)
            .ok()
            .map(ServeLimits::frame_bytes_max),
        Some(65_535)
    );
    assert_eq!(ServeLimits::default().frame_bytes_max(), 261);
}

#[test]
fn a_failed_save_withholds_the_answer_and_ends_the_session() -> TestResult {
    let mut card = TestCard {
        fail_saves: true,
        ..TestCard::default()
    };
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send(&SELECT_MF)?;
        // The card closes its side without answering.
        let mut rest = Vec::new();
        vpcd.stream.read_to_end(&mut rest)?;
        assert_eq!(rest, [0u8; 0]);
        Ok(())
    })?;

    assert!(matches!(served, Err(VpcdError::Persist(_))), "{served:?}");
    assert_eq!(card.apdus, [SELECT_MF.to_vec()]);
    Ok(())
}

#[test]
fn a_card_with_a_bad_atr_ends_the_session() -> TestResult {
    for atr in [vec![], vec![0x3B], vec![0x3B; 34]] {
        let atr_bytes = atr.len();
        let mut card = TestCard {
            atr: Some(atr),
            ..TestCard::default()
        };
        let served = session(&mut card, ServeLimits::default(), |vpcd| {
            vpcd.send_request(Request::GetAtr)?;
            assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
            Ok(())
        })?;
        assert!(
            matches!(served, Err(VpcdError::InvalidAtr { atr_bytes: bytes, .. }) if bytes == atr_bytes),
            "{served:?}"
        );
    }
    Ok(())
}

#[test]
fn a_card_answer_without_status_word_or_too_long_ends_the_session() -> TestResult {
    let mut card = TestCard {
        answer: Some(vec![0x90]),
        ..TestCard::default()
    };
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send(&SELECT_MF)?;
        assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
        Ok(())
    })?;
    assert!(
        matches!(
            served,
            Err(VpcdError::MissingStatusWord { response_bytes: 1 })
        ),
        "{served:?}"
    );

    let mut card = TestCard {
        answer: Some(vec![0x90; 65_536]),
        ..TestCard::default()
    };
    let served = session(&mut card, ServeLimits::default(), |vpcd| {
        vpcd.send(&SELECT_MF)?;
        assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
        Ok(())
    })?;
    assert!(
        matches!(
            served,
            Err(VpcdError::PayloadTooLong {
                payload_bytes: 65_536
            })
        ),
        "{served:?}"
    );
    Ok(())
}

thread_local! {
    /// The log lines of the current thread, while a test captures them.
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// The global tracing subscriber of this test binary: keeps the text of every event and span
/// of a thread that is inside [`capture_logs`], drops the rest.
///
/// It is global, set once before any test emits an event, because tracing caches per call
/// site whether anyone listens: a subscriber set later with `with_default` can miss events
/// while another thread registers the same call site.
struct ThreadCapture;

struct FieldText(String);

impl tracing::field::Visit for FieldText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

fn keep(record: impl FnOnce(&mut FieldText)) {
    CAPTURED.with(|captured| {
        if let Some(lines) = captured.borrow_mut().as_mut() {
            let mut text = FieldText(String::new());
            record(&mut text);
            lines.push(text.0);
        }
    });
}

impl tracing::Subscriber for ThreadCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        keep(|text| span.record(text));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        keep(|text| values.record(text));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        keep(|text| event.record(text));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Sets [`ThreadCapture`] as the global subscriber. Every test calls it (through the helpers
/// above) before it runs the code under test.
fn init_log_capture() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Only this function sets a global subscriber in this binary.
        let _ = tracing::subscriber::set_global_default(ThreadCapture);
    });
}

/// Runs `run` and returns its result with the log lines it emitted on this thread.
fn capture_logs<T>(run: impl FnOnce() -> T) -> (T, String) {
    init_log_capture();
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
    let result = run();
    let lines = CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default());
    (result, lines.join("\n"))
}

#[test]
fn logs_show_ins_and_sw_but_never_data_bytes() -> TestResult {
    init_log_capture();
    // Secret-looking data in the command and, echoed, in the answer.
    let apdu = [0x84, 0xD4, 0x01, 0xFF, 0x04, 0xDE, 0xAD, 0xBE, 0xEF];
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let vpcd_side = thread::spawn(move || -> TestResult {
        let mut vpcd = accept(&listener)?;
        let answer = vpcd.ask(&apdu)?;
        assert_eq!(answer, [&apdu[..], &SW_OK].concat());
        vpcd.close_and_drain()?;
        Ok(())
    });
    let mut card = TestCard::default();
    let (served, logs) = capture_logs(|| -> Result<_, VpcdError> {
        serve(
            TcpStream::connect(addr).map_err(VpcdError::Io)?,
            &mut card,
            ServeLimits::default(),
        )
    });
    vpcd_side.join().map_err(|_| "the vpcd thread panicked")??;
    served?;

    assert!(logs.contains("INS D4"), "{logs}");
    assert!(logs.contains("SW 9000"), "{logs}");
    // The data bytes in every usual rendering: decimal Debug, and hex in either case with
    // any common separator.
    let data = [0xDE_u8, 0xAD, 0xBE, 0xEF];
    let mut leaks = vec![format!("{data:?}").replace(['[', ']'], "")];
    for separator in ["", " ", ", ", ":", "-"] {
        let hex: Vec<String> = data.iter().map(|byte| format!("{byte:02X}")).collect();
        leaks.push(hex.join(separator));
        leaks.push(hex.join(separator).to_lowercase());
    }
    for leak in leaks {
        assert!(
            !logs.contains(&leak),
            "data bytes leaked as {leak:?}: {logs}"
        );
    }
    Ok(())
}

fn quick_options(sessions_max: u32) -> ConnectOptions {
    ConnectOptions {
        connect_attempts_max: 1_000,
        connect_retry_delay_ms: 5,
        sessions_max,
        limits: ServeLimits::default(),
    }
}

/// Runs `connect_and_serve` against `addr` on another thread while `vpcd` plays the reader;
/// returns what it returned and what `vpcd` returned. `vpcd` owns the listener so that a
/// failing script closes it and the card gives up instead of waiting forever.
fn connected<T>(
    addr: SocketAddr,
    card: &mut TestCard,
    options: ConnectOptions,
    vpcd: impl FnOnce() -> Result<T, Box<dyn Error + Send + Sync>>,
) -> Result<(Result<ConnectEnd, VpcdError>, T), Box<dyn Error + Send + Sync>> {
    init_log_capture();
    thread::scope(|scope| {
        let card_side = scope.spawn(move || connect_and_serve(&addr.to_string(), card, &options));
        let scripted = vpcd();
        let served = card_side.join().map_err(|_| "the card thread panicked")?;
        Ok((served, scripted?))
    })
}

/// Asserts that nobody is waiting to connect to `listener`.
fn assert_no_more_connections(listener: &TcpListener) -> TestResult {
    listener.set_nonblocking(true)?;
    let next = listener.accept();
    assert!(
        matches!(&next, Err(error) if error.kind() == ErrorKind::WouldBlock),
        "{next:?}"
    );
    Ok(())
}

#[test]
fn the_card_reconnects_after_vpcd_closes_until_sessions_max() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut card = TestCard::default();
    let (served, listener) = connected(addr, &mut card, quick_options(2), move || {
        let mut first = accept(&listener)?;
        first.send_request(Request::PowerOn)?;
        assert_eq!(first.ask(&SELECT_MF)?, SW_OK);
        first.close_and_drain()?;

        let mut second = accept(&listener)?;
        assert_eq!(second.ask(&[0x04])?, ATR);
        assert_eq!(second.ask(&SELECT_MF)?, SW_OK);
        second.close_and_drain()?;
        Ok(listener)
    })?;

    assert_eq!(
        served?,
        ConnectEnd {
            sessions: 2,
            apdus_answered: 2
        }
    );
    // Nobody connects a third time.
    assert_no_more_connections(&listener)?;
    Ok(())
}

#[test]
fn once_stops_after_the_first_session() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut card = TestCard::default();
    let (served, listener) = connected(addr, &mut card, quick_options(50).once(), move || {
        let mut vpcd = accept(&listener)?;
        assert_eq!(vpcd.ask(&SELECT_MF)?, SW_OK);
        vpcd.close_and_drain()?;
        Ok(listener)
    })?;

    assert_eq!(
        served?,
        ConnectEnd {
            sessions: 1,
            apdus_answered: 1
        }
    );
    assert_no_more_connections(&listener)?;
    Ok(())
}

#[test]
fn a_session_cut_mid_frame_is_followed_by_a_reconnect_and_the_last_cut_is_reported() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut card = TestCard::default();
    let (served, ()) = connected(addr, &mut card, quick_options(2), move || {
        for _ in 0..2 {
            let mut vpcd = accept(&listener)?;
            assert_eq!(vpcd.ask(&SELECT_MF)?, SW_OK);
            vpcd.stream.write_all(&[0x00, 0x09, 0x00])?;
            vpcd.close_and_drain()?;
        }
        Ok(())
    })?;

    assert!(
        matches!(served, Err(VpcdError::Truncated { .. })),
        "{served:?}"
    );
    assert_eq!(card.apdus.len(), 2, "both sessions were served");
    Ok(())
}

#[test]
fn a_card_error_stops_without_reconnecting() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut card = TestCard {
        fail_saves: true,
        ..TestCard::default()
    };
    let (served, listener) = connected(addr, &mut card, quick_options(5), move || {
        let mut vpcd = accept(&listener)?;
        vpcd.send(&SELECT_MF)?;
        assert_eq!(vpcd.close_and_drain()?, [0u8; 0]);
        Ok(listener)
    })?;

    let error = served.err().ok_or("a failed save was ignored")?;
    assert!(matches!(error, VpcdError::Persist(_)), "{error:?}");
    assert!(!error.is_retryable());
    assert_no_more_connections(&listener)?;
    Ok(())
}

#[test]
fn connecting_gives_up_after_connect_attempts_max() -> TestResult {
    init_log_capture();
    // A port nobody listens on: bind one, then free it.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let options = ConnectOptions {
        connect_attempts_max: 3,
        connect_retry_delay_ms: 1,
        ..ConnectOptions::default()
    };
    let served = connect_and_serve(&addr.to_string(), &mut TestCard::default(), &options);

    let error = served.err().ok_or("connected to a closed port")?;
    assert!(
        matches!(&error, VpcdError::Connect { attempts: 3, addr: tried, .. } if *tried == addr.to_string()),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn a_card_started_before_vpcd_connects_once_vpcd_listens() -> TestResult {
    // Reserve a free port, free it, start the card, and only then start "pcscd".
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut card = TestCard::default();
    let (served, ()) = connected(addr, &mut card, quick_options(1), || {
        let listener = TcpListener::bind(addr)?;
        let mut vpcd = accept(&listener)?;
        assert_eq!(vpcd.ask(&[0x04])?, ATR);
        vpcd.close_and_drain()?;
        Ok(())
    })?;

    assert_eq!(served?.sessions, 1);
    Ok(())
}

#[test]
fn an_address_without_a_port_is_a_connect_error() -> TestResult {
    init_log_capture();
    let options = ConnectOptions {
        connect_attempts_max: 2,
        connect_retry_delay_ms: 1,
        ..ConnectOptions::default()
    };
    let served = connect_and_serve("localhost", &mut TestCard::default(), &options);

    let error = served.err().ok_or("connected without a port")?;
    assert!(
        matches!(&error, VpcdError::Connect { attempts: 2, .. }),
        "{error:?}"
    );
    Ok(())
}

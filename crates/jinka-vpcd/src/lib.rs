//! The vsmartcard vpcd transport, card side: a virtual card reached by real PC/SC clients
//! through pcscd and Debian's `vsmartcard-vpcd` reader driver (`card.md`, "vpcd transport").
//!
//! vpcd listens on TCP (127.0.0.1:35963 for slot 0, reader `Virtual PCD 00 00`); the card
//! connects to it. Every frame in both directions is a 2-byte big-endian length, then the
//! payload. A 1-byte payload is a control code, anything longer a command APDU; the card
//! answers only "get ATR" and APDUs.
//!
//! - [`Request`]: one request from vpcd, parsed from a payload ([`Request::parse`] never
//!   panics; an empty payload or unknown control code is a [`VpcdError`]).
//! - [`encode_frame`] / [`decode_frame`]: the pure framing codec.
//! - [`VirtualCard`]: what a card implements; its [`after_command`](VirtualCard::after_command)
//!   hook saves the card before an answer leaves.
//! - [`serve`] runs one session over a connected `TcpStream`; [`connect_and_serve`] connects
//!   with bounded retries and reconnects after each session, per [`ConnectOptions`].
//! - [`ServeLimits::frame_bytes_max`] bounds the bytes read per frame.
//!
//! Logs go through `tracing`: one debug line per APDU with its INS and the answer's SW, never
//! data bytes, which can carry keys.
//!
//! ```
//! use jinka_vpcd::{Request, VirtualCard, decode_frame, encode_frame};
//!
//! // vpcd asks for the ATR (control code 04) and the card answers with it, framed.
//! assert_eq!(Request::parse(&[0x04])?, Request::GetAtr);
//! let mut frame = Vec::new();
//! encode_frame(&[0x3B, 0x02, 0x14, 0x50], &mut frame)?;
//! assert_eq!(frame, [0x00, 0x04, 0x3B, 0x02, 0x14, 0x50]);
//! assert_eq!(decode_frame(&frame), Some((&[0x3B, 0x02, 0x14, 0x50][..], &[][..])));
//!
//! // A card that knows no command: every APDU gets "INS not supported".
//! struct Blank;
//! impl VirtualCard for Blank {
//!     fn power_on(&mut self) {}
//!     fn power_off(&mut self) {}
//!     fn reset(&mut self) {}
//!     fn atr(&self) -> &[u8] {
//!         &[0x3B, 0x02, 0x14, 0x50]
//!     }
//!     fn transmit(&mut self, _apdu: &[u8], response: &mut Vec<u8>) {
//!         response.extend_from_slice(&[0x6D, 0x00]);
//!     }
//! }
//! # Ok::<(), jinka_vpcd::VpcdError>(())
//! ```
//!
//! Serving it through pcscd (`pcscd` with the vpcd driver must be running to connect):
//!
//! ```no_run
//! # use jinka_vpcd::VirtualCard;
//! # struct Blank;
//! # impl VirtualCard for Blank {
//! #     fn power_on(&mut self) {}
//! #     fn power_off(&mut self) {}
//! #     fn reset(&mut self) {}
//! #     fn atr(&self) -> &[u8] { &[0x3B, 0x02, 0x14, 0x50] }
//! #     fn transmit(&mut self, _apdu: &[u8], response: &mut Vec<u8>) {
//! #         response.extend_from_slice(&[0x6D, 0x00]);
//! #     }
//! # }
//! use jinka_vpcd::{ConnectOptions, connect_and_serve};
//!
//! let options = ConnectOptions::default().once();
//! let end = connect_and_serve("127.0.0.1:35963", &mut Blank, &options)?;
//! println!("answered {} APDUs", end.apdus_answered);
//! # Ok::<(), jinka_vpcd::VpcdError>(())
//! ```

mod card;
mod connect;
mod error;
mod frame;
mod request;
mod serve;

pub use card::VirtualCard;
pub use connect::{ConnectEnd, ConnectOptions, connect_and_serve};
pub use error::{PersistError, VpcdError};
pub use frame::{
    LENGTH_PREFIX_BYTES, PAYLOAD_BYTES_MAX, decode_frame, encode_frame, payload_length,
};
pub use request::Request;
pub use serve::{ATR_BYTES_MAX, ATR_BYTES_MIN, ServeEnd, ServeLimits, serve};

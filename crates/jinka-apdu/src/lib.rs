//! ISO/IEC 7816-4 APDUs.
//!
//! - [`CommandApdu`]: a command borrowed from the bytes it was parsed from (no allocation),
//!   in any of the four cases, short or extended length. [`CommandApdu::parse`] never panics.
//! - [`ResponseApdu`]: response data and its [`StatusWord`].
//! - [`StatusWord`]: `SW1 SW2` as a type, with the constants of `card.md`.
//! - [`Transport`]: a card in a reader, the one interface terminals drive cards through.
//!
//! ```
//! use jinka_apdu::{CommandApdu, StatusWord};
//! let select = CommandApdu::parse(&[0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00, 0x00]).unwrap();
//! assert_eq!((select.ins, select.data, select.le), (0xA4, &[0x3F, 0x00][..], Some(256)));
//! let mut bytes = Vec::new();
//! select.encode(&mut bytes).unwrap();
//! assert_eq!(bytes, [0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00, 0x00]);
//! assert_eq!(StatusWord::from_bytes(0x6A, 0x82), StatusWord::FILE_NOT_FOUND);
//! ```

mod command;
mod response;
mod status;
mod transport;

pub use command::{ApduError, CommandApdu, DATA_BYTES_MAX_EXTENDED, DATA_BYTES_MAX_SHORT};
pub use response::ResponseApdu;
pub use status::StatusWord;
pub use transport::{Transport, TransportError};

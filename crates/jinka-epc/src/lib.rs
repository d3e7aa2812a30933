//! A pure codec for GS1 EPCs (EPC Tag Data Standard, TDS), in the two schemes that RFID tags
//! on trade items and logistic units carry most: SGTIN-96 and SSCC-96.
//!
//! - [`Sgtin`]: filter, [`CompanyPrefix`], [`ItemReference`] (GTIN indicator digit first) and
//!   [`Serial`] (below 2^38). [`Sscc`]: filter, company prefix and [`SerialReference`]
//!   (extension digit first). [`Epc`] is either, picked from what is decoded.
//! - Every value is checked when it is built: a company prefix has 6 to 12 digits, leading
//!   zeros included, and its digit count selects the partition; the reference has the rest of
//!   13 (SGTIN) or 17 (SSCC) digits. A value that exists encodes without error.
//! - Representations: the 96-bit binary (`[u8; 12]` or 24 hex digits), the tag URI
//!   (`urn:epc:tag:sgtin-96:…`, every field), the pure identity URI (`urn:epc:id:sgtin:…`, no
//!   filter) and the GS1 Digital Link (`https://id.gs1.org/01/…/21/…`, no filter, no company
//!   prefix length). Decoding the last two takes what they lack as arguments.
//! - One error type, [`Error`], names what was wrong and where ([`Field`]). No input panics.
//!
//! The crate knows no I/O: bytes come from a tag reader and strings from wherever the caller
//! has them.
//!
//! ```
//! use jinka_epc::{Epc, Filter};
//!
//! // The SGTIN-96 example of the TDS.
//! let epc = Epc::from_tag_uri("urn:epc:tag:sgtin-96:3.0614141.812345.6789")?;
//! assert_eq!(epc.to_hex(), "3074257BF7194E4000001A85");
//! assert_eq!(epc.pure_uri(), "urn:epc:id:sgtin:0614141.812345.6789");
//! assert_eq!(epc.gs1_key(), "80614141123458");
//! assert_eq!(epc.digital_link(), "https://id.gs1.org/01/80614141123458/21/6789");
//!
//! // Back from the tag's memory, and from a Digital Link under a 7-digit company prefix.
//! assert_eq!(Epc::from_hex("3074257bf7194e4000001a85")?, epc);
//! let link = "https://id.gs1.org/01/80614141123458/21/6789";
//! assert_eq!(Epc::from_digital_link(link, 7, Filter::new(3)?)?, epc);
//!
//! // A wrong check digit is an error, not a different product.
//! let typo = "https://id.gs1.org/01/80614141123459/21/6789";
//! assert!(matches!(
//!     Epc::from_digital_link(typo, 7, Filter::new(3)?),
//!     Err(jinka_epc::Error::CheckDigit { expected: 8, found: 9, .. })
//! ));
//! # Ok::<(), jinka_epc::Error>(())
//! ```

mod binary;
mod check_digit;
mod company_prefix;
mod decimal;
mod digital_link;
mod epc;
mod error;
mod filter;
mod item_reference;
mod partition;
mod scheme;
mod serial;
mod serial_reference;
mod sgtin;
mod sscc;
mod uri;

pub use binary::{EPC_BYTES, EPC_HEX_DIGITS};
pub use company_prefix::CompanyPrefix;
pub use epc::Epc;
pub use error::{Error, Field, Result};
pub use filter::Filter;
pub use item_reference::ItemReference;
pub use scheme::Scheme;
pub use serial::Serial;
pub use serial_reference::SerialReference;
pub use sgtin::Sgtin;
pub use sscc::Sscc;
pub use uri::URI_BYTES_MAX;

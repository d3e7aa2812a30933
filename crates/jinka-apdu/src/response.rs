//! Response APDUs: data then `SW1 SW2`.

use crate::command::ApduError;
use crate::status::StatusWord;

/// A response APDU borrowed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseApdu<'a> {
    /// Response data (possibly empty).
    pub data: &'a [u8],
    /// The trailing status word.
    pub status: StatusWord,
}

impl<'a> ResponseApdu<'a> {
    /// Splits response bytes into data and status word; fewer than 2 bytes is an error.
    pub fn parse(bytes: &'a [u8]) -> Result<ResponseApdu<'a>, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(ResponseApdu {
                data,
                status: StatusWord::from_bytes(*sw1, *sw2),
            }),
            _ => Err(ApduError::TooShort(bytes.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_data_and_status() {
        let response = ResponseApdu::parse(&[0, 0, 0x27, 0x10, 0x90, 0x00]).unwrap();
        assert_eq!(response.data, &[0, 0, 0x27, 0x10]);
        assert!(response.status.is_ok());
        assert_eq!(ResponseApdu::parse(&[0x90]), Err(ApduError::TooShort(1)));
    }
}

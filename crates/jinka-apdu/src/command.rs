//! Command APDUs (ISO/IEC 7816-4 § 5.1, cases 1, 2, 3, 4 in short and extended length).

/// Most data bytes in a short APDU.
pub const DATA_BYTES_MAX_SHORT: usize = 255;
/// Most data bytes in an extended APDU.
pub const DATA_BYTES_MAX_EXTENDED: usize = 65_535;
const LE_MAX_SHORT: usize = 256;
const LE_MAX_EXTENDED: usize = 65_536;

/// A command APDU, borrowing its data from the bytes it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandApdu<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty when there is no Lc field).
    pub data: &'a [u8],
    /// Ne, the most response bytes expected: `None` when absent, `Some(256)` for a short
    /// `Le = 00`, `Some(65536)` for an extended `Le = 0000`.
    pub le: Option<usize>,
}

/// Why bytes are not a command APDU, or a command cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    /// Fewer than the four header bytes.
    #[error("an APDU has at least 4 bytes, got {0}")]
    TooShort(usize),
    /// The body's length does not agree with its Lc / Le fields.
    #[error("APDU body of {body_bytes} bytes does not match its length fields")]
    LengthMismatch {
        /// Bytes after the header.
        body_bytes: usize,
    },
    /// An extended Lc of zero.
    #[error("extended Lc of zero")]
    ZeroExtendedLc,
    /// Data or Le too large to encode.
    #[error("command too large to encode: {data_bytes} data bytes, Le {le:?}")]
    TooLarge {
        /// Data length.
        data_bytes: usize,
        /// Requested Ne.
        le: Option<usize>,
    },
}

impl<'a> CommandApdu<'a> {
    /// A command with no data and no Le.
    pub const fn header(cla: u8, ins: u8, p1: u8, p2: u8) -> CommandApdu<'static> {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: &[],
            le: None,
        }
    }

    /// Parses one command APDU that fills `bytes` exactly.
    pub fn parse(bytes: &'a [u8]) -> Result<CommandApdu<'a>, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(ApduError::TooShort(bytes.len()));
        };
        let (data, le) = parse_body(body)?;
        Ok(CommandApdu {
            cla: *cla,
            ins: *ins,
            p1: *p1,
            p2: *p2,
            data,
            le,
        })
    }

    /// Appends the command's bytes to `out`, in short form when it fits, else extended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ApduError> {
        let too_large = ApduError::TooLarge {
            data_bytes: self.data.len(),
            le: self.le,
        };
        if self.data.len() > DATA_BYTES_MAX_EXTENDED
            || self.le.is_some_and(|n| n == 0 || n > LE_MAX_EXTENDED)
        {
            return Err(too_large);
        }
        let short =
            self.data.len() <= DATA_BYTES_MAX_SHORT && self.le.is_none_or(|n| n <= LE_MAX_SHORT);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if short {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(self.data);
            }
            if let Some(n) = self.le {
                out.push((n % LE_MAX_SHORT) as u8);
            }
        } else {
            out.push(0);
            if !self.data.is_empty() {
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(self.data);
            }
            if let Some(n) = self.le {
                out.extend_from_slice(&((n % LE_MAX_EXTENDED) as u16).to_be_bytes());
            }
        }
        Ok(())
    }

    /// The command's bytes in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        let mut out = Vec::with_capacity(9 + self.data.len());
        self.encode(&mut out)?;
        Ok(out)
    }
}

fn parse_body(body: &[u8]) -> Result<(&[u8], Option<usize>), ApduError> {
    let mismatch = ApduError::LengthMismatch {
        body_bytes: body.len(),
    };
    match body {
        // Case 1.
        [] => Ok((&[], None)),
        // Case 2S.
        [le] => Ok((&[], Some(short_le(*le)))),
        // Case 2E.
        [0, high, low] => Ok((&[], Some(extended_le(*high, *low)))),
        // Extended cases 3E and 4E.
        [0, high, low, rest @ ..] => {
            let lc = usize::from(u16::from_be_bytes([*high, *low]));
            if lc == 0 {
                return Err(ApduError::ZeroExtendedLc);
            }
            match rest.len().checked_sub(lc) {
                Some(0) => Ok((rest, None)),
                Some(2) => {
                    let (data, le) = rest.split_at(lc);
                    match le {
                        [high, low] => Ok((data, Some(extended_le(*high, *low)))),
                        _ => Err(mismatch),
                    }
                }
                _ => Err(mismatch),
            }
        }
        // Short cases 3S and 4S.
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            if lc == 0 {
                // A short Lc of zero is not encodable: `00` here opens an extended length.
                return Err(mismatch);
            }
            match rest.len().checked_sub(lc) {
                Some(0) => Ok((rest, None)),
                Some(1) => {
                    let (data, le) = rest.split_at(lc);
                    match le {
                        [le] => Ok((data, Some(short_le(*le)))),
                        _ => Err(mismatch),
                    }
                }
                _ => Err(mismatch),
            }
        }
    }
}

fn short_le(le: u8) -> usize {
    if le == 0 {
        LE_MAX_SHORT
    } else {
        usize::from(le)
    }
}

fn extended_le(high: u8, low: u8) -> usize {
    match u16::from_be_bytes([high, low]) {
        0 => LE_MAX_EXTENDED,
        n => usize::from(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_short_cases() {
        let case1 = CommandApdu::parse(&[0x80, 0xCA, 1, 2]).unwrap();
        assert_eq!((case1.data, case1.le), (&[][..], None));
        let case2 = CommandApdu::parse(&[0x80, 0x5C, 0, 2, 4]).unwrap();
        assert_eq!((case2.data, case2.le), (&[][..], Some(4)));
        let case3 = CommandApdu::parse(&[0x00, 0x20, 0, 0, 2, 0x12, 0x34]).unwrap();
        assert_eq!((case3.data, case3.le), (&[0x12, 0x34][..], None));
        let case4 = CommandApdu::parse(&[0x00, 0xA4, 4, 0, 1, 0xAA, 0]).unwrap();
        assert_eq!((case4.data, case4.le), (&[0xAA][..], Some(256)));
    }

    #[test]
    fn the_extended_cases() {
        let case2 = CommandApdu::parse(&[0, 0xB0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(case2.le, Some(65_536));
        let case3 = CommandApdu::parse(&[0, 0xD6, 0, 0, 0, 0, 2, 1, 2]).unwrap();
        assert_eq!((case3.data, case3.le), (&[1, 2][..], None));
        let case4 = CommandApdu::parse(&[0, 0xD6, 0, 0, 0, 0, 1, 9, 1, 0]).unwrap();
        assert_eq!((case4.data, case4.le), (&[9][..], Some(256)));
    }

    #[test]
    fn malformed_lengths_are_errors() {
        assert_eq!(
            CommandApdu::parse(&[0, 0xA4, 4]),
            Err(ApduError::TooShort(3))
        );
        assert_eq!(
            CommandApdu::parse(&[0, 0xA4, 4, 0, 3, 1, 2]),
            Err(ApduError::LengthMismatch { body_bytes: 3 })
        );
        assert_eq!(
            CommandApdu::parse(&[0, 0xA4, 4, 0, 1, 1, 2, 3]),
            Err(ApduError::LengthMismatch { body_bytes: 4 })
        );
        assert_eq!(
            CommandApdu::parse(&[0, 0xA4, 4, 0, 0, 0]),
            Err(ApduError::LengthMismatch { body_bytes: 2 })
        );
        assert_eq!(
            CommandApdu::parse(&[0, 0xA4, 4, 0, 0, 0, 0, 1]),
            Err(ApduError::ZeroExtendedLc)
        );
    }

    #[test]
    fn long_commands_encode_extended() {
        let data = [7u8; 300];
        let command = CommandApdu {
            cla: 0,
            ins: 0xD6,
            p1: 0,
            p2: 0,
            data: &data,
            le: None,
        };
        let bytes = command.to_bytes().unwrap();
        assert_eq!(&bytes[..7], &[0, 0xD6, 0, 0, 0, 0x01, 0x2C]);
        assert_eq!(CommandApdu::parse(&bytes).unwrap(), command);
        let too_big = CommandApdu {
            le: Some(65_537),
            ..command
        };
        assert!(matches!(
            too_big.to_bytes(),
            Err(ApduError::TooLarge { .. })
        ));
    }
}

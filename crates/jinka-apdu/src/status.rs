//! Status words (ISO/IEC 7816-4 § 5.6 and the e-purse's `9xxx` words of `card.md`).

use core::fmt;

/// `SW1 SW2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000` normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `6283` selected application is blocked (temporarily).
    pub const SELECTED_FILE_INVALIDATED: StatusWord = StatusWord(0x6283);
    /// `6581` memory failure: a write did not complete.
    pub const MEMORY_FAILURE: StatusWord = StatusWord(0x6581);
    /// `6700` wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6981` command incompatible with the file structure.
    pub const INCOMPATIBLE_FILE: StatusWord = StatusWord(0x6981);
    /// `6982` security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6983` PIN (authentication method) blocked.
    pub const PIN_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6984` referenced data not usable.
    pub const DATA_INVALID: StatusWord = StatusWord(0x6984);
    /// `6985` conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6986` command not allowed (no current EF).
    pub const NO_CURRENT_EF: StatusWord = StatusWord(0x6986);
    /// `6988` secure messaging data objects incorrect.
    pub const SM_INCORRECT: StatusWord = StatusWord(0x6988);
    /// `6A80` incorrect data field.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// `6A81` function not supported.
    pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
    /// `6A82` file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A83` record not found.
    pub const RECORD_NOT_FOUND: StatusWord = StatusWord(0x6A83);
    /// `6A84` not enough memory in the file.
    pub const NOT_ENOUGH_MEMORY: StatusWord = StatusWord(0x6A84);
    /// `6A86` wrong P1 / P2.
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6A86);
    /// `6A88` referenced data (key) not found.
    pub const DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// `6A89` file or application already exists.
    pub const ALREADY_EXISTS: StatusWord = StatusWord(0x6A89);
    /// `6B00` offset outside the file.
    pub const WRONG_OFFSET: StatusWord = StatusWord(0x6B00);
    /// `6D00` instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00` class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// `9302` MAC invalid.
    pub const MAC_INVALID: StatusWord = StatusWord(0x9302);
    /// `9303` application permanently blocked.
    pub const APPLICATION_LOCKED: StatusWord = StatusWord(0x9303);
    /// `9401` insufficient balance.
    pub const INSUFFICIENT_BALANCE: StatusWord = StatusWord(0x9401);
    /// `9402` transaction counter at its maximum.
    pub const COUNTER_EXHAUSTED: StatusWord = StatusWord(0x9402);
    /// `9403` key index not supported.
    pub const KEY_INDEX_NOT_SUPPORTED: StatusWord = StatusWord(0x9403);
    /// `9406` MAC / transaction prove not available.
    pub const PROVE_NOT_AVAILABLE: StatusWord = StatusWord(0x9406);

    /// `63Cx`: wrong PIN, `tries_left` (at most 15) remaining.
    pub const fn wrong_pin(tries_left: u8) -> StatusWord {
        StatusWord(0x63C0 | (tries_left & 0x0F) as u16)
    }

    /// From `SW1`, `SW2`.
    pub const fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    /// `[SW1, SW2]`.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// `SW1`.
    pub const fn sw1(self) -> u8 {
        self.to_bytes()[0]
    }

    /// `SW2`.
    pub const fn sw2(self) -> u8 {
        self.to_bytes()[1]
    }

    /// Whether this is `9000`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0x9000
    }

    /// The tries left when this is `63Cx`.
    pub const fn pin_tries_left(self) -> Option<u8> {
        if self.0 & 0xFFF0 == 0x63C0 {
            Some((self.0 & 0x0F) as u8)
        } else {
            None
        }
    }

    /// A short English meaning, for people reading logs and tables.
    pub const fn meaning(self) -> &'static str {
        match self.0 {
            0x9000 => "ok",
            0x6283 => "application blocked",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6981 => "command incompatible with file structure",
            0x6982 => "security status not satisfied",
            0x6983 => "PIN blocked",
            0x6984 => "referenced data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "no current EF",
            0x6988 => "secure messaging incorrect",
            0x6A80 => "wrong data",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A83 => "record not found",
            0x6A84 => "not enough memory",
            0x6A86 => "wrong P1/P2",
            0x6A88 => "referenced data not found",
            0x6A89 => "already exists",
            0x6B00 => "wrong offset",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x9302 => "MAC invalid",
            0x9303 => "application permanently blocked",
            0x9401 => "insufficient balance",
            0x9402 => "transaction counter exhausted",
            0x9403 => "key index not supported",
            0x9406 => "MAC or prove not available",
            sw if sw & 0xFFF0 == 0x63C0 => "wrong PIN",
            _ => "unknown status",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X} {})", self.0, self.meaning())
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_tries() {
        assert_eq!(StatusWord::wrong_pin(2), StatusWord(0x63C2));
        assert_eq!(StatusWord(0x63C2).pin_tries_left(), Some(2));
        assert_eq!(StatusWord::OK.pin_tries_left(), None);
        assert_eq!(StatusWord(0x63C2).meaning(), "wrong PIN");
    }

    #[test]
    fn bytes_and_text() {
        let sw = StatusWord::from_bytes(0x94, 0x01);
        assert_eq!(sw, StatusWord::INSUFFICIENT_BALANCE);
        assert_eq!((sw.sw1(), sw.sw2()), (0x94, 0x01));
        assert_eq!(sw.to_string(), "9401");
        assert_eq!(format!("{sw:?}"), "StatusWord(9401 insufficient balance)");
    }
}

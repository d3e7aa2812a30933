//! The transaction's date and time as the card and its TAC see them: BCD `YYYYMMDD` (4 bytes)
//! and BCD `HHMMSS` (3 bytes), `card.md` § "All integers are big-endian".
//!
//! Only real days (the Gregorian leap rule applies) and times `00:00:00`..`23:59:59` parse.

use core::fmt;

use crate::error::RecordError;

/// A calendar day in BCD `YYYYMMDD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date([u8; 4]);

/// A time of day in BCD `HHMMSS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time([u8; 3]);

/// The value of a BCD byte (`0x59` → 59), or `None` when a nibble is past 9.
const fn bcd_value(byte: u8) -> Option<u8> {
    let (high, low) = (byte >> 4, byte & 0x0F);
    if high > 9 || low > 9 {
        None
    } else {
        Some(high * 10 + low)
    }
}

/// The BCD byte of a value below 100.
const fn bcd_byte(value: u8) -> u8 {
    (value / 10) << 4 | (value % 10)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// Parses BCD `YYYYMMDD`.
    pub fn from_bcd(bytes: [u8; 4]) -> Result<Date, RecordError> {
        let invalid = RecordError::Date(bytes);
        let [Some(century), Some(year), Some(month), Some(day)] = bytes.map(bcd_value) else {
            return Err(invalid);
        };
        let date = Date(bytes);
        let year = u16::from(century) * 100 + u16::from(year);
        if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
            Ok(date)
        } else {
            Err(invalid)
        }
    }

    /// The date of a year (0..=9999), month (1..=12) and day, if it is a real day.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Option<Date> {
        if year > 9999 || month > 99 || day > 99 {
            return None;
        }
        let (century, year) = ((year / 100) as u8, (year % 100) as u8);
        Date::from_bcd([
            bcd_byte(century),
            bcd_byte(year),
            bcd_byte(month),
            bcd_byte(day),
        ])
        .ok()
    }

    /// The BCD bytes.
    pub const fn bcd(self) -> [u8; 4] {
        self.0
    }

    /// The year (0..=9999).
    pub fn year(self) -> u16 {
        let [century, year, _, _] = self.0;
        u16::from(bcd_value(century).unwrap_or(0)) * 100 + u16::from(bcd_value(year).unwrap_or(0))
    }

    /// The month (1..=12).
    pub fn month(self) -> u8 {
        bcd_value(self.0[2]).unwrap_or(0)
    }

    /// The day of the month (1..=31).
    pub fn day(self) -> u8 {
        bcd_value(self.0[3]).unwrap_or(0)
    }
}

impl Time {
    /// Parses BCD `HHMMSS`.
    pub fn from_bcd(bytes: [u8; 3]) -> Result<Time, RecordError> {
        match bytes.map(bcd_value) {
            [Some(hour), Some(minute), Some(second)] if hour < 24 && minute < 60 && second < 60 => {
                Ok(Time(bytes))
            }
            _ => Err(RecordError::Time(bytes)),
        }
    }

    /// The time of an hour (0..=23), minute and second (0..=59), if it is one.
    pub fn from_hms(hour: u8, minute: u8, second: u8) -> Option<Time> {
        if hour > 99 || minute > 99 || second > 99 {
            return None;
        }
        Time::from_bcd([bcd_byte(hour), bcd_byte(minute), bcd_byte(second)]).ok()
    }

    /// The BCD bytes.
    pub const fn bcd(self) -> [u8; 3] {
        self.0
    }
}

/// `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// `HH:MM:SS`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [hour, minute, second] = self.0;
        write!(f, "{hour:02X}:{minute:02X}:{second:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_parse() {
        let date = Date::from_bcd([0x20, 0x26, 0x11, 0x27]).unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (2026, 11, 27));
        assert_eq!(date.to_string(), "2026-11-27");
        assert_eq!(Date::from_ymd(2026, 11, 27), Some(date));
        assert!(Date::from_ymd(2024, 2, 29).is_some(), "leap year");
        assert!(Date::from_ymd(2000, 2, 29).is_some(), "divisible by 400");
        assert!(Date::from_ymd(0, 1, 1).is_some());
        assert!(Date::from_ymd(9999, 12, 31).is_some());
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bytes in [
            [0x20, 0x26, 0x13, 0x01], // month 13
            [0x20, 0x26, 0x00, 0x01], // month 0
            [0x20, 0x26, 0x01, 0x00], // day 0
            [0x20, 0x26, 0x04, 0x31], // 31 April
            [0x19, 0x00, 0x02, 0x29], // 1900 is not a leap year
            [0x20, 0x25, 0x02, 0x29],
            [0x20, 0x2A, 0x01, 0x01], // not BCD
            [0xFF, 0xFF, 0xFF, 0xFF],
        ] {
            assert_eq!(Date::from_bcd(bytes), Err(RecordError::Date(bytes)));
        }
        assert_eq!(Date::from_ymd(10_000, 1, 1), None);
        assert_eq!(Date::from_ymd(2026, 100, 1), None);
        assert_eq!(Date::from_ymd(2026, 1, 200), None);
        assert_eq!(Date::from_ymd(2026, 2, 30), None);
    }

    #[test]
    fn times_of_day_parse_and_others_are_refused() {
        let time = Time::from_bcd([0x08, 0x30, 0x00]).unwrap();
        assert_eq!(time.to_string(), "08:30:00");
        assert_eq!(
            Time::from_hms(23, 59, 59).unwrap().bcd(),
            [0x23, 0x59, 0x59]
        );
        for bytes in [[0x24, 0, 0], [0, 0x60, 0], [0, 0, 0x60], [0x0A, 0, 0]] {
            assert_eq!(Time::from_bcd(bytes), Err(RecordError::Time(bytes)));
        }
        assert_eq!(Time::from_hms(200, 0, 0), None);
        assert_eq!(Time::from_hms(24, 0, 0), None);
    }
}

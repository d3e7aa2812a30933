//! Instants as epoch milliseconds, read from and written as RFC 3339.
//!
//! EPCIS times (`eventTime`, `recordTime`, `declarationTime`) are `xsd:dateTime` with a time
//! zone, which EPCIS 2.0 JSON writes as RFC 3339 `date-time` (§5.6):
//! `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. This module reads exactly that, with a 4-digit
//! year (0000..=9999), `T`/`t` and `Z`/`z`, and keeps the instant as milliseconds since the
//! Unix epoch: more fraction digits are truncated (EPCIS examples carry milliseconds). A leap
//! second (`:60`) is refused, since epoch milliseconds cannot name it.
//!
//! A dependency (jiff, time, chrono) would bring time zone databases and clocks this core does
//! not need: the proleptic Gregorian arithmetic below is the whole of what is used.

use crate::error::{Error, Result};

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_DAY: i64 = 86_400 * MS_PER_SECOND;
/// The longest RFC 3339 text read: 35 bytes with nanoseconds; more is certainly not a time.
const TEXT_BYTES_MAX: usize = 64;

/// An instant, in milliseconds since 1970-01-01T00:00:00Z, between years 0000 and 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// 0000-01-01T00:00:00.000Z.
    pub const MIN: Timestamp = Timestamp(-62_167_219_200_000);
    /// 9999-12-31T23:59:59.999Z.
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999);

    /// The instant `epoch_ms` milliseconds after the Unix epoch, if it has a 4-digit year.
    pub fn from_epoch_ms(epoch_ms: i64) -> Result<Timestamp> {
        if (Timestamp::MIN.0..=Timestamp::MAX.0).contains(&epoch_ms) {
            Ok(Timestamp(epoch_ms))
        } else {
            Err(Error::Time {
                reason: "outside years 0000..=9999",
            })
        }
    }

    pub const fn epoch_ms(self) -> i64 {
        self.0
    }

    /// Reads an RFC 3339 `date-time`; the offset only moves the instant.
    pub fn parse(text: &str) -> Result<Timestamp> {
        let (local_ms, offset_minutes) = parse_rfc3339(text)?;
        Timestamp::from_epoch_ms(local_ms - i64::from(offset_minutes) * MS_PER_MINUTE)
    }

    /// RFC 3339 in UTC with milliseconds: `2005-04-03T20:33:31.116Z`.
    pub fn to_rfc3339(self) -> String {
        format_local(self.0, "Z")
    }

    /// RFC 3339 at `offset`: `2005-04-03T14:33:31.116-06:00`.
    pub fn to_rfc3339_at(self, offset: TimeZoneOffset) -> String {
        format_local(
            self.0 + i64::from(offset.minutes()) * MS_PER_MINUTE,
            &offset.to_string(),
        )
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;

    fn from_str(text: &str) -> Result<Timestamp> {
        Timestamp::parse(text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An EPCIS `eventTimeZoneOffset`: `±hh:mm` between -14:00 and +14:00 (the EPCIS 2.0 JSON
/// schema's pattern), kept in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeZoneOffset(i16);

impl TimeZoneOffset {
    pub const UTC: TimeZoneOffset = TimeZoneOffset(0);
    /// 14 hours, the widest offset in use (UTC+14, Line Islands).
    pub const MINUTES_MAX: i16 = 14 * 60;

    pub fn from_minutes(minutes: i16) -> Result<TimeZoneOffset> {
        if minutes.unsigned_abs() <= TimeZoneOffset::MINUTES_MAX.unsigned_abs() {
            Ok(TimeZoneOffset(minutes))
        } else {
            Err(Error::Time {
                reason: "time zone offset beyond ±14:00",
            })
        }
    }

    pub const fn minutes(self) -> i16 {
        self.0
    }

    /// Reads `±hh:mm` (`Z` is not an `eventTimeZoneOffset`).
    pub fn parse(text: &str) -> Result<TimeZoneOffset> {
        let bytes = text.as_bytes();
        if bytes.len() != 6 {
            return Err(Error::Time {
                reason: "time zone offset is not ±hh:mm",
            });
        }
        let minutes = parse_offset(bytes)?;
        TimeZoneOffset::from_minutes(minutes)
    }
}

impl std::fmt::Display for TimeZoneOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let minutes = self.0.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

impl std::str::FromStr for TimeZoneOffset {
    type Err = Error;

    fn from_str(text: &str) -> Result<TimeZoneOffset> {
        TimeZoneOffset::parse(text)
    }
}

impl serde::Serialize for TimeZoneOffset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TimeZoneOffset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TimeZoneOffset::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// When an event happened: the instant and the time zone offset in effect where it happened
/// (EPCIS `eventTime` and `eventTimeZoneOffset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    pub at: Timestamp,
    pub offset: TimeZoneOffset,
}

impl EventTime {
    pub const fn new(at: Timestamp, offset: TimeZoneOffset) -> EventTime {
        EventTime { at, offset }
    }
}

/// `±hh:mm` as minutes; `bytes` has 6 bytes.
fn parse_offset(bytes: &[u8]) -> Result<i16> {
    let bad = Error::Time {
        reason: "time zone offset is not ±hh:mm",
    };
    let [sign, h1, h2, b':', m1, m2] = bytes else {
        return Err(bad);
    };
    let sign: i16 = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad),
    };
    let hours = two_digits(*h1, *h2).ok_or(bad.clone())?;
    let minutes = two_digits(*m1, *m2).ok_or(bad)?;
    if hours > 23 || minutes > 59 {
        return Err(Error::Time {
            reason: "time zone offset out of range",
        });
    }
    Ok(sign * (i16::from(hours) * 60 + i16::from(minutes)))
}

fn two_digits(high: u8, low: u8) -> Option<u8> {
    if high.is_ascii_digit() && low.is_ascii_digit() {
        Some((high - b'0') * 10 + (low - b'0'))
    } else {
        None
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

/// The local time of `text` in epoch milliseconds (as if UTC) and its offset in minutes.
fn parse_rfc3339(text: &str) -> Result<(i64, i16)> {
    let bad = |reason| Error::Time { reason };
    let bytes = text.as_bytes();
    if bytes.len() > TEXT_BYTES_MAX {
        return Err(bad("too long for RFC 3339"));
    }
    let (Some(date), Some(time)) = (bytes.get(..10), bytes.get(11..19)) else {
        return Err(bad("not YYYY-MM-DDTHH:MM:SS"));
    };
    if !matches!(bytes.get(10), Some(b'T' | b't')) {
        return Err(bad("date and time are not separated by T"));
    }
    let days = parse_date(date)?;
    let seconds = parse_time(time)?;
    let (fraction_ms, zone) = parse_fraction(bytes.get(19..).unwrap_or_default())?;
    let offset = match zone {
        b"Z" | b"z" => 0,
        [b'+' | b'-', ..] if zone.len() == 6 => parse_offset(zone)?,
        _ => return Err(bad("missing or malformed offset (Z or ±hh:mm)")),
    };
    Ok((
        days * MS_PER_DAY + i64::from(seconds) * MS_PER_SECOND + fraction_ms,
        offset,
    ))
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(date: &[u8]) -> Result<i64> {
    let bad = Error::Time {
        reason: "date is not YYYY-MM-DD",
    };
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = date else {
        return Err(bad);
    };
    let year = digits(&[*y0, *y1, *y2, *y3]).ok_or(bad.clone())?;
    let month = two_digits(*m0, *m1).ok_or(bad.clone())?;
    let day = two_digits(*d0, *d1).ok_or(bad)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(Error::Time {
            reason: "no such date",
        });
    }
    Ok(days_from_civil(i64::from(year), month, day))
}

/// `HH:MM:SS` as seconds of the day.
fn parse_time(time: &[u8]) -> Result<u32> {
    let bad = Error::Time {
        reason: "time is not HH:MM:SS",
    };
    let [h0, h1, b':', m0, m1, b':', s0, s1] = time else {
        return Err(bad);
    };
    let hour = two_digits(*h0, *h1).ok_or(bad.clone())?;
    let minute = two_digits(*m0, *m1).ok_or(bad.clone())?;
    let second = two_digits(*s0, *s1).ok_or(bad)?;
    if second == 60 {
        return Err(Error::Time {
            reason: "leap second is not representable",
        });
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(Error::Time {
            reason: "no such time of day",
        });
    }
    Ok(u32::from(hour) * 3600 + u32::from(minute) * 60 + u32::from(second))
}

/// An optional `.digits` (milliseconds, truncated) and what follows it.
fn parse_fraction(rest: &[u8]) -> Result<(i64, &[u8])> {
    let Some(after_dot) = rest.strip_prefix(b".") else {
        return Ok((0, rest));
    };
    let count = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
    if count == 0 {
        return Err(Error::Time {
            reason: "fraction of a second has no digits",
        });
    }
    let (fraction, zone) = after_dot.split_at(count);
    let millis = fraction
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(3)
        .fold(0i64, |value, &byte| value * 10 + i64::from(byte - b'0'));
    Ok((millis, zone))
}

const fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

const fn days_in_month(year: u32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant, `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn format_local(local_ms: i64, zone: &str) -> String {
    let days = local_ms.div_euclid(MS_PER_DAY);
    let ms_of_day = local_ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / MS_PER_SECOND;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}{zone}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % MS_PER_SECOND
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_epcis_examples() {
        // EPCIS 2.0 example 9.6.1: the same instant written in two offsets.
        let a = Timestamp::parse("2005-04-03T20:33:31.116-06:00").unwrap();
        let b = Timestamp::parse("2005-04-04T02:33:31.116Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.epoch_ms(), 1_112_582_011_116);
        assert_eq!(a.to_rfc3339(), "2005-04-04T02:33:31.116Z");
        let offset = TimeZoneOffset::parse("-06:00").unwrap();
        assert_eq!(a.to_rfc3339_at(offset), "2005-04-03T20:33:31.116-06:00");
    }

    #[test]
    fn fractions_and_case() {
        assert_eq!(
            Timestamp::parse("1970-01-01t00:00:01z").unwrap().epoch_ms(),
            1000
        );
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00.5Z")
                .unwrap()
                .epoch_ms(),
            500
        );
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00.123456789+00:00")
                .unwrap()
                .epoch_ms(),
            123
        );
        assert_eq!(
            Timestamp::parse("1969-12-31T23:59:59.999Z")
                .unwrap()
                .epoch_ms(),
            -1
        );
    }

    #[test]
    fn extremes_round_trip() {
        for text in [
            "0000-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.000Z",
            "2024-12-31T23:59:59.999Z",
        ] {
            let at = Timestamp::parse(text).unwrap();
            assert_eq!(at.to_rfc3339(), text);
        }
        assert_eq!(
            Timestamp::parse("0000-01-01T00:00:00Z").unwrap(),
            Timestamp::MIN
        );
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59.999Z").unwrap(),
            Timestamp::MAX
        );
        // An offset can push a valid local time outside the range.
        assert!(Timestamp::parse("0000-01-01T00:00:00+01:00").is_err());
        assert!(Timestamp::from_epoch_ms(Timestamp::MAX.epoch_ms() + 1).is_err());
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for text in [
            "",
            "2005-04-03",
            "2005-04-03T20:33:31",
            "2005-04-03 20:33:31Z",
            "2005-04-03T20:33:31.Z",
            "2005-04-03T20:33:31+0600",
            "2005-04-03T20:33:31+24:00",
            "2005-13-03T20:33:31Z",
            "2005-02-29T20:33:31Z",
            "1900-02-29T00:00:00Z",
            "2005-04-03T24:00:00Z",
            "2016-12-31T23:59:60Z",
            "+2005-04-03T20:33:31Z",
            "2005-04-03T20:33:31Z ",
            "２００５-04-03T20:33:31Z",
        ] {
            assert!(
                matches!(Timestamp::parse(text), Err(Error::Time { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(TimeZoneOffset::parse("+14:00").unwrap().minutes(), 840);
        assert_eq!(TimeZoneOffset::parse("-09:30").unwrap().minutes(), -570);
        assert_eq!(
            TimeZoneOffset::parse("-00:00").unwrap().to_string(),
            "+00:00"
        );
        assert_eq!(
            TimeZoneOffset::parse("-09:30").unwrap().to_string(),
            "-09:30"
        );
        for text in ["+14:01", "Z", "+1:00", "+01:60", "01:00", "+01:00:00"] {
            assert!(TimeZoneOffset::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn civil_conversions_agree() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (year, month, day) = civil_from_days(days);
            let month = u8::try_from(month).unwrap();
            let day = u8::try_from(day).unwrap();
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}

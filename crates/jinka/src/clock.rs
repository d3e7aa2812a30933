//! The terminal's clock at the edge: UTC from the system, or `--at` for a fixed moment.

use std::time::{SystemTime, UNIX_EPOCH};

use jinka_record::{Date, Time};
use jinka_terminal::Moment;

use crate::BadInput;

/// `YYYYMMDDHHMMSS`, or now (UTC) when `None`.
pub fn moment(at: Option<&str>) -> anyhow::Result<Moment> {
    let (year, month, day, hour, minute, second) = match at {
        Some(text) => {
            parse(text).ok_or_else(|| BadInput(format!("--at {text}: must be YYYYMMDDHHMMSS")))?
        }
        None => now(),
    };
    let date =
        Date::from_ymd(year, month, day).ok_or_else(|| BadInput("--at: no such date".into()))?;
    let time = Time::from_hms(hour, minute, second)
        .ok_or_else(|| BadInput("--at: no such time".into()))?;
    Ok(Moment { date, time })
}

fn parse(text: &str) -> Option<(u16, u8, u8, u8, u8, u8)> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |range: std::ops::Range<usize>| text.get(range)?.parse::<u16>().ok();
    Some((
        part(0..4)?,
        part(4..6)? as u8,
        part(6..8)? as u8,
        part(8..10)? as u8,
        part(10..12)? as u8,
        part(12..14)? as u8,
    ))
}

fn now() -> (u16, u8, u8, u8, u8, u8) {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    (
        year,
        month,
        day,
        (rest / 3600) as u8,
        (rest / 60 % 60) as u8,
        (rest % 60) as u8,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_moments_parse_and_bad_ones_are_refused() {
        let moment = super::moment(Some("20261127083000")).unwrap();
        assert_eq!(
            (moment.date.bcd(), moment.time.bcd()),
            ([0x20, 0x26, 0x11, 0x27], [0x08, 0x30, 0x00])
        );
        assert!(super::moment(Some("20261327083000")).is_err());
        assert!(super::moment(Some("2026")).is_err());
        assert!(super::moment(None).is_ok());
    }
}

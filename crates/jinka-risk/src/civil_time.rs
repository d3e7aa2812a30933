//! Record dates and times as numbers on the terminals' clock: a date as a day number, a date
//! and time as seconds, both counted from 1970-01-01 00:00:00 of that clock. No time zone:
//! the network's terminals keep one civil time, and the rules only compare records with
//! records (the hub's own time, epoch ms, is never mixed with these).

use jinka_record::{Date, Time};

const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 1970-01-01 to `date`, proleptic Gregorian (H. Hinnant, `days_from_civil`).
pub(crate) fn day_number(date: Date) -> i64 {
    let (year, month, day) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    // Months counted from March, so that February's leap day ends the year.
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The value of a BCD byte (the record's constructor checked its digits).
const fn bcd_value(byte: u8) -> i64 {
    ((byte >> 4) * 10 + (byte & 0x0F)) as i64
}

/// Seconds from 1970-01-01 00:00:00 to `date` `time`.
pub(crate) fn seconds(date: Date, time: Time) -> i64 {
    let [hour, minute, second] = time.bcd();
    day_number(date) * SECONDS_PER_DAY
        + bcd_value(hour) * 3600
        + bcd_value(minute) * 60
        + bcd_value(second)
}

/// The (year, month, day) of a day number (H. Hinnant, `civil_from_days`).
fn civil(day_number: i64) -> (i64, i64, i64) {
    let shifted = day_number + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn date_text(day_number: i64) -> String {
    let (year, month, day) = civil(day_number);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM:SS` of a count of seconds.
pub(crate) fn date_time_text(seconds: i64) -> String {
    let (day, second_of_day) = (
        seconds.div_euclid(SECONDS_PER_DAY),
        seconds.rem_euclid(SECONDS_PER_DAY),
    );
    format!(
        "{} {:02}:{:02}:{:02}",
        date_text(day),
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_the_calendar() {
        let day = |y, m, d| day_number(Date::from_ymd(y, m, d).unwrap());
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2000, 3, 1), 11_017);
        assert_eq!(day(2026, 11, 27), 20_784);
        assert_eq!(day(2024, 3, 1) - day(2024, 2, 28), 2, "leap year");
        assert_eq!(day(2026, 3, 1) - day(2026, 2, 28), 1);
        assert_eq!(day(1969, 12, 31), -1);
        for (y, m, d) in [(0, 1, 1), (1600, 2, 29), (2026, 11, 27), (9999, 12, 31)] {
            assert_eq!(
                civil(day(y, m, d)),
                (i64::from(y), i64::from(m), i64::from(d))
            );
        }
    }

    #[test]
    fn seconds_count_the_time_of_day() {
        let date = Date::from_ymd(2026, 11, 27).unwrap();
        let time = Time::from_hms(8, 30, 15).unwrap();
        assert_eq!(
            seconds(date, time),
            20_784 * 86_400 + 8 * 3600 + 30 * 60 + 15
        );
        assert_eq!(date_time_text(seconds(date, time)), "2026-11-27 08:30:15");
    }
}

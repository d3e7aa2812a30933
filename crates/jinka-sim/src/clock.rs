//! Simulated time: day `d`, minute `m` of the run, as the terminals' [`Moment`]s and as the
//! hub's epoch milliseconds ([`SimClock`], shared with an in-process hub so its ledger and its
//! load deadlines follow the simulation, not the wall clock).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jinka_hub::{Clock, EpochMs};
use jinka_record::{Date, Time};
use jinka_terminal::Moment;

/// Day 0 of every run: 2026-12-01, as days since 1970-01-01.
pub const FIRST_DAY_EPOCH_DAYS: i64 = 20_788;
/// Minutes in a day.
pub const MINUTES_PER_DAY: u16 = 24 * 60;
const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// A moment of the run: a day and a minute of it (and a second, for taps in one minute).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime {
    /// Day of the run, from 0.
    pub day: u32,
    /// Minute of the day, `0..1440`.
    pub minute: u16,
    /// Second of the minute, `0..60`.
    pub second: u8,
}

impl SimTime {
    /// Day `day`, minute `minute` (clamped into the day), second 0.
    pub fn at(day: u32, minute: u16) -> SimTime {
        SimTime {
            day,
            minute: minute.min(MINUTES_PER_DAY - 1),
            second: 0,
        }
    }

    /// Epoch milliseconds.
    pub fn epoch_ms(self) -> i64 {
        (FIRST_DAY_EPOCH_DAYS + i64::from(self.day)) * MS_PER_DAY
            + i64::from(self.minute) * MS_PER_MINUTE
            + i64::from(self.second) * 1_000
    }

    /// The terminal's moment.
    pub fn moment(self) -> Moment {
        let (year, month, day) = civil(FIRST_DAY_EPOCH_DAYS + i64::from(self.day));
        // Days of a run stay within years 2026-2028 and minutes within a day: always valid.
        let date = Date::from_ymd(year, month, day).unwrap_or_else(|| {
            unreachable!("a simulated day is a real date");
        });
        let time = Time::from_hms(
            (self.minute / 60) as u8,
            (self.minute % 60) as u8,
            self.second.min(59),
        )
        .unwrap_or_else(|| unreachable!("a minute of the day is a time"));
        Moment { date, time }
    }
}

/// The civil date of `days` since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil(days: i64) -> (u16, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    (year, month, day)
}

/// The hub's clock, moved by the simulation.
#[derive(Clone, Debug, Default)]
pub struct SimClock(Arc<AtomicI64>);

impl SimClock {
    /// A clock at the start of day 0.
    pub fn new() -> SimClock {
        let clock = SimClock::default();
        clock.set(SimTime::at(0, 0));
        clock
    }

    /// Sets it to `time`.
    pub fn set(&self, time: SimTime) {
        self.0.store(time.epoch_ms(), Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> EpochMs {
        EpochMs::new(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_zero_is_the_first_of_december_2026() {
        assert_eq!(civil(FIRST_DAY_EPOCH_DAYS), (2026, 12, 1));
        assert_eq!(civil(FIRST_DAY_EPOCH_DAYS + 31), (2027, 1, 1));
        let moment = SimTime::at(1, 8 * 60 + 30).moment();
        assert_eq!(moment.date.bcd(), [0x20, 0x26, 0x12, 0x02]);
        assert_eq!(moment.time.bcd(), [0x08, 0x30, 0x00]);
        assert_eq!(SimTime::at(0, 0).epoch_ms(), 1_796_083_200_000);
        let clock = SimClock::new();
        clock.set(SimTime::at(2, 60));
        assert_eq!(
            clock.now().get(),
            1_796_083_200_000 + 2 * 86_400_000 + 3_600_000
        );
    }
}

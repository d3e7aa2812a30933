//! Transit fares: distance- or zone-based tables, the transit record kept in EF 0x17, and the
//! rules for a missing entry or a missing exit.

/// Bytes of the transit data inside an EF 0x17 record (after `id length lock`).
pub const TRANSIT_DATA_BYTES: usize = 16;

/// How a fare is computed from the entry and exit stations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FareRule {
    /// By distance: `base_fen` for the first `base_km` km, then `step_fen` for every started
    /// `step_km` km; `positions_m` gives each station's position along the line in metres.
    Distance {
        /// Fare up to `base_km`.
        base_fen: u32,
        /// Kilometres the base fare covers.
        base_km: u32,
        /// Fare of each further started step.
        step_fen: u32,
        /// Kilometres per step.
        step_km: u32,
        /// Position of station `i` in metres.
        positions_m: Vec<u32>,
    },
    /// By zones: station `i` lies in `zones[i]`; the fare is `by_zones_crossed_fen[n]` for `n`
    /// zone boundaries crossed (the last entry for any more).
    Zone {
        /// Zone of each station.
        zones: Vec<u8>,
        /// Fare by zones crossed.
        by_zones_crossed_fen: Vec<u32>,
    },
}

/// An operator's fare table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FareTable {
    /// The transit operator's record id in EF 0x17 (the record's first byte and its number).
    pub operator_record: u8,
    /// How fares are computed.
    pub rule: FareRule,
    /// Charged at exit when the card has no open entry (missing entry).
    pub max_fare_fen: u32,
    /// Charged at the next entry when the previous trip was never closed (missing exit).
    pub missing_exit_fen: u32,
}

/// Why a fare could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FareError {
    /// The station is not in the table.
    #[error("station {0} is not in the fare table")]
    UnknownStation(u16),
    /// The fare overflows.
    #[error("fare overflows")]
    Overflow,
}

impl FareTable {
    /// The fare from `entry` to `exit`, at most the maximum fare.
    pub fn fare(&self, entry: u16, exit: u16) -> Result<u32, FareError> {
        let fare = match &self.rule {
            FareRule::Distance {
                base_fen,
                base_km,
                step_fen,
                step_km,
                positions_m,
            } => {
                let position = |station: u16| {
                    positions_m
                        .get(usize::from(station))
                        .copied()
                        .ok_or(FareError::UnknownStation(station))
                };
                let metres = position(entry)?.abs_diff(position(exit)?);
                let beyond_m = metres.saturating_sub(base_km.saturating_mul(1000));
                let step_m = step_km.saturating_mul(1000).max(1);
                let steps = beyond_m.div_ceil(step_m);
                steps
                    .checked_mul(*step_fen)
                    .and_then(|extra| extra.checked_add(*base_fen))
                    .ok_or(FareError::Overflow)?
            }
            FareRule::Zone {
                zones,
                by_zones_crossed_fen,
            } => {
                let zone = |station: u16| {
                    zones
                        .get(usize::from(station))
                        .copied()
                        .ok_or(FareError::UnknownStation(station))
                };
                let crossed = usize::from(zone(entry)?.abs_diff(zone(exit)?));
                let last = by_zones_crossed_fen
                    .len()
                    .checked_sub(1)
                    .ok_or(FareError::Overflow)?;
                by_zones_crossed_fen[crossed.min(last)]
            }
        };
        Ok(fare.min(self.max_fare_fen))
    }
}

/// The transit state on the card: `state(1) station(2) date(4) time(3) terminal(6)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitRecord {
    /// Whether a trip is open (entered, not yet exited).
    pub open: bool,
    /// Entry station (open) or exit station (closed).
    pub station: u16,
    /// Date of the tap, BCD.
    pub date: [u8; 4],
    /// Time of the tap, BCD.
    pub time: [u8; 3],
    /// Terminal of the tap.
    pub terminal_id: [u8; 6],
}

impl TransitRecord {
    /// The whole EF 0x17 record: `id length lock data`, length counting `lock data`.
    pub fn to_record(&self, operator_record: u8) -> [u8; 3 + TRANSIT_DATA_BYTES] {
        let mut out = [0u8; 3 + TRANSIT_DATA_BYTES];
        out[0] = operator_record;
        out[1] = (1 + TRANSIT_DATA_BYTES) as u8;
        out[2] = 0x00;
        out[3] = u8::from(self.open);
        out[4..6].copy_from_slice(&self.station.to_be_bytes());
        out[6..10].copy_from_slice(&self.date);
        out[10..13].copy_from_slice(&self.time);
        out[13..19].copy_from_slice(&self.terminal_id);
        out
    }

    /// Parses an EF 0x17 record of this operator; anything else is "no transit state".
    pub fn from_record(operator_record: u8, record: &[u8]) -> Option<TransitRecord> {
        let record: &[u8; 3 + TRANSIT_DATA_BYTES] = record.try_into().ok()?;
        if record[0] != operator_record || usize::from(record[1]) != 1 + TRANSIT_DATA_BYTES {
            return None;
        }
        let mut parsed = TransitRecord {
            open: record[3] == 0x01,
            station: u16::from_be_bytes([record[4], record[5]]),
            date: [0; 4],
            time: [0; 3],
            terminal_id: [0; 6],
        };
        parsed.date.copy_from_slice(&record[6..10]);
        parsed.time.copy_from_slice(&record[10..13]);
        parsed.terminal_id.copy_from_slice(&record[13..19]);
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metro() -> FareTable {
        FareTable {
            operator_record: 1,
            rule: FareRule::Distance {
                base_fen: 300,
                base_km: 6,
                step_fen: 100,
                step_km: 10,
                positions_m: vec![0, 5_000, 6_000, 16_001, 40_000],
            },
            max_fare_fen: 600,
            missing_exit_fen: 600,
        }
    }

    #[test]
    fn distance_fares_step_up_and_cap() {
        let table = metro();
        assert_eq!(table.fare(0, 1), Ok(300));
        assert_eq!(table.fare(1, 0), Ok(300), "either direction");
        assert_eq!(table.fare(0, 2), Ok(300), "6 km is still the base");
        assert_eq!(
            table.fare(0, 3),
            Ok(500),
            "16.001 km: two started steps beyond 6"
        );
        assert_eq!(table.fare(0, 4), Ok(600), "capped at the maximum fare");
        assert_eq!(table.fare(0, 9), Err(FareError::UnknownStation(9)));
    }

    #[test]
    fn zone_fares_count_boundaries() {
        let table = FareTable {
            operator_record: 2,
            rule: FareRule::Zone {
                zones: vec![1, 1, 2, 3, 5],
                by_zones_crossed_fen: vec![200, 300, 400],
            },
            max_fare_fen: 1_000,
            missing_exit_fen: 400,
        };
        assert_eq!(table.fare(0, 1), Ok(200));
        assert_eq!(table.fare(0, 2), Ok(300));
        assert_eq!(
            table.fare(4, 0),
            Ok(400),
            "more zones than the table pays the last entry"
        );
    }

    #[test]
    fn transit_records_round_trip() {
        let record = TransitRecord {
            open: true,
            station: 0x0102,
            date: [0x20, 0x26, 0x11, 0x27],
            time: [8, 0, 0],
            terminal_id: [1, 2, 3, 4, 5, 6],
        };
        let bytes = record.to_record(1);
        assert_eq!(TransitRecord::from_record(1, &bytes), Some(record));
        assert_eq!(
            TransitRecord::from_record(2, &bytes),
            None,
            "another operator's record"
        );
        assert_eq!(TransitRecord::from_record(1, &bytes[..18]), None);
    }
}

//! [`SimRng`]: the simulation's one source of chance, xoshiro256** seeded through SplitMix64.
//!
//! Written here rather than taken from `rand`: a replayed seed must give the same run in
//! every future version of the program, and `rand`'s `StdRng` is explicitly allowed to
//! change its algorithm between releases. xoshiro256** (Blackman and Vigna, 2018) is small,
//! fast, statistically sound for simulation (not for keys: the card keys the simulation
//! generates are test keys), and its output is pinned by a unit test. Streams are split by
//! [`SimRng::derive`], so the plan of one cardholder's day depends on the seed, the day and
//! the cardholder only, not on what ran before it.

/// A fault or habit rate in parts per million (so a rate is an integer, compared exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u32);

/// One million: a rate of certainty.
pub const PPM: u32 = 1_000_000;

impl Rate {
    /// Never.
    pub const ZERO: Rate = Rate(0);

    /// `ppm` parts per million, at most [`PPM`].
    pub const fn ppm(ppm: u32) -> Rate {
        Rate(if ppm > PPM { PPM } else { ppm })
    }

    /// A probability from 0 to 1 given as text (`0.01`, `1e-3`); `None` if it is not one.
    /// The decimal is rounded to the nearest part per million.
    pub fn parse(text: &str) -> Option<Rate> {
        let value: f64 = text.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&value) {
            return None;
        }
        // In range [0, 1e6] after the check: the cast cannot truncate.
        Some(Rate((value * f64::from(PPM)).round() as u32))
    }

    /// Parts per million.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = self.0 / PPM;
        let fraction = self.0 % PPM;
        if fraction == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{fraction:06}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// xoshiro256**.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimRng {
    state: [u64; 4],
}

/// SplitMix64's step: spreads a seed over the state (the seeding its authors recommend).
fn split_mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SimRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SimRng {
        let mut mix = seed;
        let state = [
            split_mix(&mut mix),
            split_mix(&mut mix),
            split_mix(&mut mix),
            split_mix(&mut mix),
        ];
        SimRng { state }
    }

    /// An independent stream named by `parts` (e.g. `[DAY_PLAN, day, cardholder]`): the same
    /// seed and parts always give the same stream.
    pub fn derive(seed: u64, parts: &[u64]) -> SimRng {
        let mut mix = seed;
        let mut folded = split_mix(&mut mix);
        for part in parts {
            let mut step = folded ^ part.wrapping_mul(0xD605_BBB5_8C8A_BE85);
            folded = split_mix(&mut step);
        }
        SimRng::new(folded)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A number in `0..bound` (0 when `bound` is 0), by Lemire's multiply-shift (its tiny
    /// bias, under 2^-32 for the bounds used here, does not matter to a simulation).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// An index into a slice of `len` items; 0 for an empty one.
    pub fn index(&mut self, len: usize) -> usize {
        // usize fits u64 on every supported target, and the result is below `len`.
        self.below(len as u64) as usize
    }

    /// True with probability `rate`.
    pub fn chance(&mut self, rate: Rate) -> bool {
        self.below(u64::from(PPM)) < u64::from(rate.get())
    }

    /// Shuffles `items` (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for index in (1..items.len()).rev() {
            let other = self.index(index + 1);
            items.swap(index, other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_pinned() {
        // Changing these numbers changes every replayed run: do not.
        let mut rng = SimRng::new(1);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                0xB3F2_AF6D_0FC7_10C5,
                0x853B_5596_4736_4CEA,
                0x92F8_9756_082A_4514
            ]
        );
        assert_eq!(SimRng::derive(1, &[2, 3]), SimRng::derive(1, &[2, 3]));
        assert_ne!(SimRng::derive(1, &[2, 3]), SimRng::derive(1, &[3, 2]));
    }

    #[test]
    fn bounds_and_rates_hold() {
        let mut rng = SimRng::new(7);
        for _ in 0..1000 {
            assert!(rng.below(10) < 10);
            let value = rng.between(5, 8);
            assert!((5..=8).contains(&value));
        }
        assert_eq!(rng.below(0), 0);
        assert!(!(0..100).any(|_| rng.chance(Rate::ZERO)));
        assert!((0..100).all(|_| rng.chance(Rate::ppm(PPM))));
        let hits = (0..100_000)
            .filter(|_| rng.chance(Rate::ppm(100_000)))
            .count();
        assert!((9_000..11_000).contains(&hits), "{hits}");
    }

    #[test]
    fn rates_parse_and_print() {
        assert_eq!(Rate::parse("0.01"), Some(Rate::ppm(10_000)));
        assert_eq!(Rate::parse("1e-3"), Some(Rate::ppm(1_000)));
        assert_eq!(Rate::parse("1"), Some(Rate::ppm(PPM)));
        for bad in ["-0.1", "1.5", "x", "NaN"] {
            assert_eq!(Rate::parse(bad), None, "{bad}");
        }
        assert_eq!(Rate::ppm(10_000).to_string(), "0.01");
        assert_eq!(Rate::ppm(PPM).to_string(), "1");
        assert_eq!(Rate::ZERO.to_string(), "0");
    }
}

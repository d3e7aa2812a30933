//! Velocity across regions: the same card used in two regions closer in time than travel
//! between them takes. One card cannot be in two cities at once; two chips with one card's
//! keys can.
//!
//! Each card keeps its latest sighting (region, the record's date and time, its id): an
//! accepted record or an approved load. A new sighting in another region is compared with it;
//! the later of the two becomes the card's sighting. Records arrive out of order (terminals
//! upload when they can), so "latest" is by the record's time, and the distance in time is
//! taken either way.

use foldhash::{HashMap, HashMapExt};
use jinka_clearing::Asn;
use serde::{Deserialize, Serialize};

use crate::card_state::CardQuiet;
use crate::civil_time::date_time_text;
use crate::decision::{Minutes, RecordId, RiskDecision};
use crate::error::RiskError;
use crate::rule::{CardAction, Rule, Subject};

/// Default minimum travel time between two different regions: 60 minutes.
pub const MIN_TRAVEL_MINUTES_DEFAULT: u32 = 60;
/// The longest minimum travel time a configuration may give: 7 days.
pub const TRAVEL_MINUTES_MAX: u32 = 7 * 24 * 60;
/// Most region pairs one rule may list.
pub const REGION_PAIRS_MAX: usize = 10_000;

/// The velocity rule. JSON: `{"enabled": true, "min_travel_minutes": 60, "region_pairs":
/// [{"regions": [310000, 320500], "min_travel_minutes": 20}], "action": "flag"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VelocityRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// The least time between uses of a card in two different regions, unless a pair says
    /// otherwise (at most [`TRAVEL_MINUTES_MAX`]; 0 turns the rule off between regions not
    /// listed).
    pub min_travel_minutes: u32,
    /// Pairs of regions with their own minimum (neighbouring cities: less; 0: never fires).
    pub region_pairs: Vec<RegionPair>,
    /// What a decision asks (default `flag`: a traveller near a border should not lose
    /// their card to a badly drawn region table).
    pub action: CardAction,
}

/// Two regions and the least time travel between them takes, either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPair {
    /// The two region codes (different).
    pub regions: [u32; 2],
    /// The least travel time between them (at most [`TRAVEL_MINUTES_MAX`]).
    pub min_travel_minutes: u32,
}

impl Default for VelocityRule {
    fn default() -> VelocityRule {
        VelocityRule {
            enabled: true,
            min_travel_minutes: MIN_TRAVEL_MINUTES_DEFAULT,
            region_pairs: Vec::new(),
            action: CardAction::Flag,
        }
    }
}

const fn ordered([a, b]: [u32; 2]) -> (u32, u32) {
    if a <= b { (a, b) } else { (b, a) }
}

impl VelocityRule {
    /// Checks the rule and resolves it for lookups.
    pub(crate) fn resolve(&self, issuer: bool) -> Result<VelocityCheck, RiskError> {
        let out_of_range = "must be at most 10080 minutes (7 days)";
        if self.min_travel_minutes > TRAVEL_MINUTES_MAX {
            return Err(RiskError::config(
                field!(issuer, "velocity.min_travel_minutes"),
                out_of_range,
            ));
        }
        let field = field!(issuer, "velocity.region_pairs");
        if self.region_pairs.len() > REGION_PAIRS_MAX {
            return Err(RiskError::config(field, "lists at most 10000 pairs"));
        }
        let mut pairs = HashMap::with_capacity(self.region_pairs.len());
        for pair in &self.region_pairs {
            if pair.min_travel_minutes > TRAVEL_MINUTES_MAX {
                return Err(RiskError::config(field, out_of_range));
            }
            if pair.regions[0] == pair.regions[1] {
                return Err(RiskError::config(field, "pairs two different regions"));
            }
            let seconds = i64::from(pair.min_travel_minutes) * 60;
            if pairs.insert(ordered(pair.regions), seconds).is_some() {
                return Err(RiskError::config(field, "lists each pair once"));
            }
        }
        Ok(VelocityCheck {
            enabled: self.enabled,
            default_s: i64::from(self.min_travel_minutes) * 60,
            pairs,
            action: self.action,
        })
    }

    /// The longest travel time the rule knows, in minutes.
    pub(crate) fn longest_travel_minutes(&self) -> u32 {
        let pairs = self.region_pairs.iter().map(|p| p.min_travel_minutes);
        pairs.fold(self.min_travel_minutes, u32::max)
    }
}

/// A [`VelocityRule`] ready for lookups.
#[derive(Clone, Debug)]
pub(crate) struct VelocityCheck {
    pub(crate) enabled: bool,
    default_s: i64,
    pairs: HashMap<(u32, u32), i64>,
    action: CardAction,
}

impl VelocityCheck {
    fn min_travel_s(&self, a: u32, b: u32) -> i64 {
        if self.pairs.is_empty() {
            return self.default_s;
        }
        let pair = self.pairs.get(&ordered([a, b])).copied();
        pair.unwrap_or(self.default_s)
    }
}

/// Where and when a card was last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sighting {
    /// The region code of the terminal.
    pub(crate) region: u32,
    /// Gives `Option<Sighting>` a spare value for `None` in the region's padding, so every
    /// card's optional sighting takes 24 bytes, not 32.
    seen: Seen,
    /// The record's (or load request's) date and time, in seconds (`civil_time`).
    pub(crate) time_s: i64,
    /// The caller's id of the record or authorization.
    pub(crate) id: RecordId,
}

/// A type of one value, stored as the byte 1: the other byte values are free for an
/// `Option` around it to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Seen {
    Yes = 1,
}

impl Sighting {
    /// A sighting in `region` at `time_s` (record time), of the record or load `id`.
    pub(crate) const fn new(region: u32, time_s: i64, id: RecordId) -> Sighting {
        Sighting {
            region,
            seen: Seen::Yes,
            time_s,
            id,
        }
    }
}

/// Compares `seen` with the card's last sighting, then keeps the later of the two.
pub(crate) fn observe(
    last: &mut Option<Sighting>,
    quiet: &mut CardQuiet,
    check: &VelocityCheck,
    asn: Asn,
    seen: Sighting,
    (at_ms, quiet_ms): (i64, i64),
    out: &mut Vec<RiskDecision>,
) {
    let Some(before) = *last else {
        *last = Some(seen);
        return;
    };
    if before.region != seen.region {
        let min_travel_s = check.min_travel_s(before.region, seen.region);
        let apart_s = seen.time_s.abs_diff(before.time_s);
        if apart_s < min_travel_s.unsigned_abs() && quiet.velocity_mut().admits(at_ms, quiet_ms) {
            let (first, second) = if before.time_s <= seen.time_s {
                (before, seen)
            } else {
                (seen, before)
            };
            out.push(decision(check, asn, first, second, min_travel_s, at_ms));
        }
    }
    if seen.time_s >= before.time_s {
        *last = Some(seen);
    }
}

fn decision(
    check: &VelocityCheck,
    asn: Asn,
    first: Sighting,
    second: Sighting,
    min_travel_s: i64,
    at_ms: i64,
) -> RiskDecision {
    let apart_ms = (second.time_s - first.time_s).saturating_mul(1000);
    RiskDecision {
        rule: Rule::Velocity,
        action: check.action.into(),
        subject: Subject::Card(asn),
        evidence: vec![first.id, second.id],
        at_ms,
        explanation: format!(
            "Card {asn} was used in region {} at {} and in region {} at {}, {} apart, less than \
             the {} travel between them takes.",
            first.region,
            date_time_text(first.time_s),
            second.region,
            date_time_text(second.time_s),
            Minutes(apart_ms),
            Minutes(min_travel_s.saturating_mul(1000)),
        ),
    }
}

//! A cardholder's day ([`DayPlan`]): their habits (commute by metro or bus, lunch at a shop
//! or the campus canteen, evening shopping), a trip to another city now and then, and the
//! card-day faults that strike them (the card lost mid-morning, the card cloned). The plan
//! depends on the seed, the day and the cardholder only, so a phase of the day can draw it
//! again and get the same one.

use crate::config::{Fault, SimConfig};
use crate::rng::{Rate, SimRng};
use crate::world::{Commute, World, stream};

/// What a cardholder does with their card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A metro entry tap at `station` (gate `terminal`).
    Enter {
        /// Gate.
        terminal: usize,
        /// Station.
        station: u16,
    },
    /// A metro exit tap.
    Exit {
        /// Gate.
        terminal: usize,
        /// Station.
        station: u16,
    },
    /// A purchase (bus fare, shop, canteen).
    Purchase {
        /// The terminal.
        terminal: usize,
        /// Amount.
        amount_fen: u32,
    },
}

/// An action at a minute of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    /// Minute of the day.
    pub minute: u16,
    /// What.
    pub action: Action,
}

/// One cardholder's day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayPlan {
    /// The city they spend it in.
    pub city: u32,
    /// Actions, in time order.
    pub events: Vec<Planned>,
    /// The card is lost at this minute (the lost fault).
    pub lost_at: Option<u16>,
    /// The card is cloned before the day starts (the clone fault).
    pub cloned: bool,
}

/// The longest metro ride, in minutes.
const METRO_RIDE_MINUTES_MAX: u16 = 45;
/// Travellers per day: cardholders who spend the day in another city.
const TRAVEL_RATE: Rate = Rate::ppm(50_000);
/// The minute of the day lost cards are lost from (09:00) and until (11:30).
pub const LOST_FROM_MINUTE: u16 = 9 * 60;
const LOST_UNTIL_MINUTE: u16 = 11 * 60 + 30;

/// An amount in fen between `low` and `high`, in whole jiao.
fn amount(rng: &mut SimRng, low: u32, high: u32) -> u32 {
    (rng.between(u64::from(low / 10), u64::from(high / 10)) * 10) as u32
}

fn pick(rng: &mut SimRng, terminals: &[usize]) -> Option<usize> {
    terminals.get(rng.index(terminals.len())).copied()
}

struct Planner<'w> {
    world: &'w World,
    rng: SimRng,
    city: u32,
    events: Vec<Planned>,
}

impl Planner<'_> {
    fn at(&mut self, minute: u16, action: Action) {
        self.events.push(Planned { minute, action });
    }

    fn metro_trip(&mut self, start: u16, from: u16, to: u16) {
        let city = &self.world.cities[self.city as usize];
        let (Some(&entry), Some(&exit)) = (
            city.gates.get(usize::from(from)),
            city.gates.get(usize::from(to)),
        ) else {
            return;
        };
        let ride = self.rng.between(10, u64::from(METRO_RIDE_MINUTES_MAX)) as u16;
        self.at(
            start,
            Action::Enter {
                terminal: entry,
                station: from,
            },
        );
        self.at(
            start + ride,
            Action::Exit {
                terminal: exit,
                station: to,
            },
        );
    }

    fn purchase(&mut self, minute: u16, terminals: fn(&crate::world::City) -> &[usize], fen: u32) {
        let city = &self.world.cities[self.city as usize];
        if let Some(terminal) = pick(&mut self.rng, terminals(city)) {
            self.at(
                minute,
                Action::Purchase {
                    terminal,
                    amount_fen: fen,
                },
            );
        }
    }

    fn random_station(&mut self) -> u16 {
        let stations = self.world.cities[self.city as usize].stations;
        self.rng.below(u64::from(stations)) as u16
    }
}

/// The plan of cardholder `holder` on `day`.
pub fn plan(world: &World, config: &SimConfig, day: u32, holder: usize) -> DayPlan {
    let person = &world.holders[holder];
    let rng = SimRng::derive(config.seed, &[stream::PLAN, u64::from(day), holder as u64]);
    let mut planner = Planner {
        world,
        rng,
        city: person.city,
        events: Vec::new(),
    };
    let travelling = world.cities.len() > 1 && planner.rng.chance(TRAVEL_RATE);
    if travelling {
        let others = world.cities.len() as u64 - 1;
        let other = planner.rng.below(others) as u32;
        planner.city = if other >= person.city {
            other + 1
        } else {
            other
        };
        let (from, to) = (planner.random_station(), planner.random_station());
        let morning = planner.rng.between(480, 600) as u16;
        planner.metro_trip(morning, from, to);
        for _ in 0..planner.rng.between(1, 3) {
            let minute = planner.rng.between(660, 1020) as u16;
            let fen = amount(&mut planner.rng, 500, 12_000);
            planner.purchase(minute, |city| &city.shops, fen);
        }
        let evening = planner.rng.between(1080, 1200) as u16;
        planner.metro_trip(evening, to, from);
    } else {
        commute(&mut planner, person.commute, person.home, person.work);
        let lunch = planner.rng.between(720, 800) as u16;
        if person.student {
            let fen = amount(&mut planner.rng, 600, 1_800);
            planner.purchase(lunch, |city| &city.canteens, fen);
        } else if planner.rng.chance(Rate::ppm(400_000)) {
            let fen = amount(&mut planner.rng, 1_000, 4_500);
            planner.purchase(lunch, |city| &city.shops, fen);
        }
        if planner.rng.chance(Rate::ppm(200_000)) {
            let minute = planner.rng.between(840, 1000) as u16;
            planner.purchase(minute, |city| &city.buses, crate::world::BUS_FARE_FEN);
        }
        if planner.rng.chance(Rate::ppm(300_000)) {
            let minute = planner.rng.between(1140, 1320) as u16;
            let fen = amount(&mut planner.rng, 500, 30_000);
            planner.purchase(minute, |city| &city.shops, fen);
        }
        // Drawn last: a run without outings draws what it drew before they existed.
        for &slot_start in OUTING_SLOTS.iter().take(config.outings as usize) {
            outing(&mut planner, person.commute, person.home, slot_start);
        }
    }
    let mut events = planner.events;
    events.sort_by_key(|event| event.minute);
    let mut faults = SimRng::derive(
        config.seed,
        &[stream::CARD_FAULTS, u64::from(day), holder as u64],
    );
    let lost = faults.chance(config.faults.get(Fault::Lost));
    let lost_at = lost
        .then(|| faults.between(u64::from(LOST_FROM_MINUTE), u64::from(LOST_UNTIL_MINUTE)) as u16);
    let cloned = faults.chance(config.faults.get(Fault::Clone));
    DayPlan {
        city: planner.city,
        events,
        lost_at,
        cloned,
    }
}

/// Where the afternoon's outings start (13:20 and 15:05): after lunch, each over before the
/// next slot and before the evening commute (from 17:00), so that no metro trip overlaps
/// another.
const OUTING_SLOTS: [u16; crate::config::OUTINGS_MAX as usize] = [800, 905];

/// An outing from `slot_start`: to a random station and back by metro, or by bus, or on
/// foot, and a purchase at a shop there; the last tap is at most [`OUTING_MINUTES_MAX`]
/// minutes after the slot's start.
fn outing(planner: &mut Planner<'_>, how: Commute, home: u16, slot_start: u16) {
    let out = slot_start + planner.rng.between(0, 4) as u16;
    // The ride there is over by then.
    let shopping = out + planner.rng.between(48, 52) as u16;
    let back = shopping + planner.rng.between(1, 2) as u16;
    let fen = amount(&mut planner.rng, 500, 8_000);
    let there = if how == Commute::Metro {
        planner.random_station()
    } else {
        home
    };
    round_trip(planner, how, [out, back], home, there);
    planner.purchase(shopping, |city| &city.shops, fen);
}

/// Minutes from an outing's slot start to its last tap, at most.
const OUTING_MINUTES_MAX: u16 = 4 + 52 + 2 + METRO_RIDE_MINUTES_MAX;

// Each slot holds its outing: the second starts after the first's last tap, the second's last
// tap comes before the evening commute (17:00 at the earliest), the first starts after lunch
// (13:20 at the latest), and the ride there is over before the purchase.
const _: () = assert!(OUTING_SLOTS[0] + OUTING_MINUTES_MAX < OUTING_SLOTS[1]);
const _: () = assert!(OUTING_SLOTS[1] + OUTING_MINUTES_MAX < 17 * 60);
const _: () = assert!(12 * 60 + 80 <= OUTING_SLOTS[0]);
const _: () = assert!(METRO_RIDE_MINUTES_MAX < 48);

fn commute(planner: &mut Planner<'_>, how: Commute, home: u16, work: u16) {
    let morning = planner.rng.between(420, 540) as u16;
    let evening = planner.rng.between(1020, 1170) as u16;
    round_trip(planner, how, [morning, evening], home, work);
}

/// From `home` to `away` at `there_and_back[0]` and back at `[1]`: by metro (entry and exit
/// taps each way), by bus (a fare each way) or on foot (nothing on the card).
fn round_trip(
    planner: &mut Planner<'_>,
    how: Commute,
    there_and_back: [u16; 2],
    home: u16,
    away: u16,
) {
    match how {
        Commute::Metro => {
            planner.metro_trip(there_and_back[0], home, away);
            planner.metro_trip(there_and_back[1], away, home);
        }
        Commute::Bus => {
            for minute in there_and_back {
                planner.purchase(minute, |city| &city.buses, crate::world::BUS_FARE_FEN);
            }
        }
        Commute::Walk => {}
    }
}

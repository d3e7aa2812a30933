//! The simulated network, built from the seed and registered with the hub: cities with their
//! metro (gates, top-up machines), buses and shops; a campus; card issuers (a bank e-purse
//! with a key rotation, a transit company) and a social-security bureau; terminals with
//! software SAMs; one card per cardholder, issued through its management APDUs, and each
//! cardholder's habits.

use jinka_card::{Card, Issuance, IssuerKeys, Nvm, PackedCard, SeededEntropy, Template, issue};
use jinka_crypto::Profile;
use jinka_sam::{IssuerMasterKeys, KeyTable, MemoryStore, SamState, SoftwareSam};
use jinka_terminal::{FareRule, FareTable, Terminal};

use crate::config::{Fault, SimConfig};
use crate::error::SimError;
use crate::hub_port::{CardSpec, HubPort, ParticipantSpec, TerminalSpec};
use crate::journal::SimJournal;
use crate::rng::{Rate, SimRng};
use crate::upload::Batch;

/// Card numbers are scattered over their range, not given in cardholder order (an odd
/// multiplier is a bijection of `u32`, so they stay unique): the simulation runs cardholder by
/// cardholder, and an acquirer's batch of the cardholders just run would otherwise name cards
/// of one narrow range, which the hub's tables keyed by card store on a few pages. A real
/// network's batch names cards from all over.
const ASN_SCATTER: u32 = 0x9E37_79B9;

/// The SAM of a simulated terminal.
pub type SimSam = SoftwareSam<MemoryStore>;
/// A simulated card in a reader's field.
pub type SimCard = Card<SeededEntropy>;
/// A simulated card out of any reader's field: its memory packed in one buffer (about 540
/// bytes for an e-purse card whose log is full, against about 960 bytes of heap and 208 inline
/// for a [`SimCard`]), which is how the world holds its million idle cards.
pub type IdleCard = PackedCard<SeededEntropy>;

/// Serials a SAM reserves per save (its store is in memory: the block only bounds saves).
pub const SAM_SERIAL_BLOCK: u32 = 10_000;
/// A cardholder as drawn, before the card is personalized.
struct Draft {
    number: u32,
    asn: [u8; 8],
    issuer: usize,
    key_version: u8,
    city: u32,
    home: u16,
    work: u16,
    commute: Commute,
    student: bool,
    social_security_day: Option<u32>,
}

/// Cardholders drawn, then personalized together, at a time.
const ISSUE_CHUNK: u32 = 65_536;
/// Cards of an issuer registered with the hub at a time (one transaction on a hub that takes
/// a group), as a personalization bureau hands over its production in bulk. Card numbers are
/// scattered over the card tables' key range: a group of 65,536 writes each page of those
/// b-trees about once, where sixteen groups of 4,096 each wrote most of the same pages again.
const REGISTER_GROUP: usize = 65_536;
/// Cardholders a metro top-up machine serves (a city has at least one per station).
const CARDHOLDERS_PER_TOP_UP: u32 = 1_000;
/// Most top-up machines at one station.
const TOP_UPS_PER_STATION_MAX: u32 = 16;
/// Distance between two metro stations, in metres.
pub const STATION_SPACING_M: u32 = 2_400;
/// The metro's fare for up to 6 km, in fen.
pub const METRO_BASE_FARE_FEN: u32 = 300;
/// The metro's highest fare (also charged for a missing entry or exit), in fen.
pub const METRO_MAX_FARE_FEN: u32 = 700;
/// A bus ride, in fen.
pub const BUS_FARE_FEN: u32 = 200;

/// Names of the first cities (later ones are numbered).
const CITY_NAMES: [&str; 16] = [
    "Jinan",
    "Qingdao",
    "Yantai",
    "Weifang",
    "Zibo",
    "Linyi",
    "Jining",
    "Taian",
    "Weihai",
    "Rizhao",
    "Dezhou",
    "Liaocheng",
    "Binzhou",
    "Heze",
    "Zaozhuang",
    "Dongying",
];

/// Streams of the seed (see [`SimRng::derive`]).
pub(crate) mod stream {
    pub const KEYS: u64 = 1;
    pub const WORLD: u64 = 2;
    pub const CARD_ENTROPY: u64 = 3;
    pub const PLAN: u64 = 4;
    pub const CARD_FAULTS: u64 = 5;
    pub const TERMINAL_FAULTS: u64 = 6;
    pub const TORN: u64 = 7;
    pub const UPLOAD: u64 = 8;
    pub const MISSING_KEY: u64 = 9;
}

/// What a terminal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TerminalKind {
    /// A metro gate: entry and exit taps.
    MetroGate,
    /// A metro top-up machine (the metro as load agent).
    TopUp,
    /// A bus validator (flat fare).
    Bus,
    /// A shop's POS.
    Shop,
    /// A campus canteen.
    Campus,
    /// A bank branch's top-up counter (the bank as load agent).
    BankBranch,
}

impl TerminalKind {
    /// Every kind.
    pub const ALL: [TerminalKind; 6] = [
        TerminalKind::MetroGate,
        TerminalKind::TopUp,
        TerminalKind::Bus,
        TerminalKind::Shop,
        TerminalKind::Campus,
        TerminalKind::BankBranch,
    ];

    const fn code(self) -> u8 {
        match self {
            TerminalKind::MetroGate => 0x10,
            TerminalKind::TopUp => 0x11,
            TerminalKind::Bus => 0x20,
            TerminalKind::Shop => 0x30,
            TerminalKind::Campus => 0x40,
            TerminalKind::BankBranch => 0x50,
        }
    }

    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            TerminalKind::MetroGate => "metro-gate",
            TerminalKind::TopUp => "metro-top-up",
            TerminalKind::Bus => "bus",
            TerminalKind::Shop => "shop",
            TerminalKind::Campus => "campus",
            TerminalKind::BankBranch => "bank-branch",
        }
    }

    /// Whether it loads cards (online: it never goes offline).
    pub const fn loads(self) -> bool {
        matches!(self, TerminalKind::TopUp | TerminalKind::BankBranch)
    }
}

/// A terminal of the simulation: the real [`Terminal`] with its SAM and journal, and what the
/// simulation keeps around it.
pub struct SimTerminal {
    /// Terminal id.
    pub id: [u8; 6],
    /// Kind.
    pub kind: TerminalKind,
    /// City index.
    pub city: u32,
    /// Metro station (gates and top-up machines).
    pub station: u16,
    /// Owner (hub participant id).
    pub owner: u32,
    /// The terminal.
    pub terminal: Terminal<SimSam, SimJournal>,
    /// Offline until the start of this day.
    pub offline_until: Option<u32>,
    /// Its SAM lacks the bank's new key version until the sync of this day.
    pub missing_key_until: Option<u32>,
    /// Batches formed and not yet acknowledged, oldest first.
    pub queue: Vec<Batch>,
    /// Batches formed so far (for batch ids).
    pub batches_formed: u32,
    /// Loads requested so far (for request ids).
    pub loads_requested: u32,
    /// Clean copies of records corrupted in transit, to send again.
    pub retransmit: Vec<(jinka_record::TransactionRecord, crate::journal::RecordTag)>,
}

impl SimTerminal {
    /// Whether it can reach the hub on `day`.
    pub fn online(&self, day: u32) -> bool {
        self.offline_until.is_none_or(|until| day >= until)
    }
}

/// A card issuer.
pub struct Issuer {
    /// Name.
    pub name: String,
    /// Hub participant id.
    pub party: u32,
    /// Key sets, by key version − 1.
    pub keys: Vec<IssuerKeys>,
}

/// A city (a region of the network).
pub struct City {
    /// Name.
    pub name: String,
    /// Region code.
    pub region: u32,
    /// Metro stations.
    pub stations: u16,
    /// The metro's fare table.
    pub fares: FareTable,
    /// Terminal indexes by kind.
    pub gates: Vec<usize>,
    /// Top-up machines, the same number at every station, station by station.
    pub top_ups: Vec<usize>,
    /// Bus validators.
    pub buses: Vec<usize>,
    /// Shops.
    pub shops: Vec<usize>,
    /// Campus canteens (the first city only).
    pub canteens: Vec<usize>,
    /// Bank branches.
    pub branches: Vec<usize>,
}

/// How a cardholder gets to work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commute {
    /// By metro: entry and exit taps.
    Metro,
    /// By bus.
    Bus,
    /// On foot.
    Walk,
}

/// A cardholder and their card.
pub struct Holder {
    /// The card, packed while it is not in the cardholder's hand (reached through
    /// [`World::lane`], [`World::take_card`] and [`World::card_memory`] only: the card in hand
    /// is newer).
    card: IdleCard,
    /// ASN8.
    pub asn: [u8; 8],
    /// Issuer index (0 bank, 1 transit).
    pub issuer: usize,
    /// Key version of the card's keys.
    pub key_version: u8,
    /// Home city.
    pub city: u32,
    /// Home station.
    pub home: u16,
    /// Work station.
    pub work: u16,
    /// How they commute.
    pub commute: Commute,
    /// A student (eats at the campus canteen).
    pub student: bool,
    /// The day the social-security bureau adds its application, if it does.
    pub social_security_day: Option<u32>,
    /// The balance the simulation expects the card to hold.
    pub expected_balance_fen: u32,
    /// Σ loads the card took.
    pub loaded_fen: u64,
    /// Σ purchases the card paid.
    pub spent_fen: u64,
    /// Reported lost on this day (the card is out of use from then).
    pub lost_on: Option<u32>,
    /// Cloned (the clone fault) on this day.
    pub cloned_on: Option<u32>,
    /// The offline ATC the card had when it was cloned.
    pub clone_from_atc: u16,
    /// Σ purchases the clone chip paid.
    pub clone_spent_fen: u64,
    /// The clone chip's balance when it was last used.
    pub clone_balance_fen: u32,
    /// Offline ATC the clone chip reached.
    pub clone_offline_atc: u16,
    /// The e-purse balance before the social-security application was added.
    pub balance_before_social_security: Option<u32>,
}

impl Holder {
    /// The card unpacked, powered up.
    fn unpack_card(&self) -> Result<SimCard, SimError> {
        self.card.unpack().map_err(|error| self.unreadable(&error))
    }

    /// The packed card's memory, to read.
    fn packed_memory(&self) -> Result<Nvm, SimError> {
        self.card.memory().map_err(|error| self.unreadable(&error))
    }

    fn unreadable(&self, error: &jinka_card::image::ImageError) -> SimError {
        SimError::Bug(format!(
            "card {}: its packed memory does not unpack: {error}",
            hex::encode_upper(self.asn)
        ))
    }
}

/// A participant as the world keeps it.
#[derive(Clone, Debug)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Hub id.
    pub id: u32,
    /// Role names.
    pub roles: Vec<&'static str>,
}

/// The world.
pub struct World {
    /// Participants, in registration order.
    pub parties: Vec<Party>,
    /// The card issuers (0: bank e-purse, 1: transit company).
    pub issuers: Vec<Issuer>,
    /// The social-security bureau's department key set.
    pub social_security_keys: IssuerKeys,
    /// Cities.
    pub cities: Vec<City>,
    /// Terminals.
    pub terminals: Vec<SimTerminal>,
    /// Cardholders, one card each.
    pub holders: Vec<Holder>,
    /// The card of the cardholder whose transactions run, unpacked from their first
    /// transaction until [`World::put_down`] or another cardholder's card is wanted: a
    /// cardholder's half-day of taps and purchases unpacks and packs their card once.
    in_hand: Option<(usize, SimCard)>,
}

impl World {
    /// What a transaction of `holder` at `terminal` works with: the card (taken in hand),
    /// the terminal, and the terminal's city's fares.
    pub(crate) fn lane(
        &mut self,
        holder: usize,
        terminal: usize,
    ) -> Result<(&mut SimCard, &mut SimTerminal, &FareTable), SimError> {
        if self
            .in_hand
            .as_ref()
            .is_none_or(|(held, _)| *held != holder)
        {
            let card = self.holders[holder].unpack_card()?;
            self.put_down();
            self.in_hand = Some((holder, card));
        }
        let Some((_, card)) = self.in_hand.as_mut() else {
            return Err(SimError::Bug("no card in hand".into()));
        };
        let sim_terminal = &mut self.terminals[terminal];
        let fares = &self.cities[sim_terminal.city as usize].fares;
        Ok((card, sim_terminal, fares))
    }

    /// Packs the card in hand, if any, back into its holder.
    pub(crate) fn put_down(&mut self) {
        if let Some((holder, card)) = self.in_hand.take() {
            self.holders[holder].card.store(card);
        }
    }

    /// `holder`'s card, out of the wallet (from the hand, or unpacked), powered up, until
    /// [`World::put_card`].
    pub(crate) fn take_card(&mut self, holder: usize) -> Result<SimCard, SimError> {
        match self.in_hand.take() {
            Some((held, mut card)) if held == holder => {
                card.power_on();
                Ok(card)
            }
            other => {
                self.in_hand = other;
                self.holders[holder].unpack_card()
            }
        }
    }

    /// Packs `holder`'s card back, with what its transactions wrote.
    pub(crate) fn put_card(&mut self, holder: usize, card: SimCard) {
        self.holders[holder].card.store(card);
    }

    /// `holder`'s card's memory as it is now (in hand or packed), to read.
    pub(crate) fn card_memory(&self, holder: usize) -> Result<Nvm, SimError> {
        match &self.in_hand {
            Some((held, card)) if *held == holder => Ok(card.nvm().clone()),
            _ => self.holders[holder].packed_memory(),
        }
    }
}

const BANK: usize = 0;
const TRANSIT: usize = 1;
/// Issuer ids written on the cards.
pub const BANK_ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 0x01];
/// The transit company's issuer id.
pub const TRANSIT_ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 0x02];
/// The social-security bureau's department id.
pub const SOCIAL_SECURITY_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 0x10];
/// The bank's key version of the newest cards (the rotation some SAMs miss).
pub const BANK_NEW_KEY_VERSION: u8 = 2;

fn keys(seed: u64, which: u64, version: u8, issuer_id: [u8; 8]) -> IssuerKeys {
    let mut rng = SimRng::derive(seed, &[stream::KEYS, which, u64::from(version)]);
    let mut entropy = SeededEntropy::new(rng.next_u64());
    IssuerKeys::generate(Profile::Sm4, version, issuer_id, &mut entropy)
}

fn register(
    hub: &mut dyn HubPort,
    parties: &mut Vec<Party>,
    spec: ParticipantSpec,
) -> Result<u32, SimError> {
    let id = hub.add_participant(&spec)?;
    parties.push(Party {
        name: spec.name,
        id,
        roles: spec.roles,
    });
    Ok(id)
}

fn spec(name: &str, roles: &[&'static str], region: u32, fees: (u32, u32)) -> ParticipantSpec {
    ParticipantSpec {
        name: name.to_owned(),
        roles: roles.to_vec(),
        region,
        interchange_bp: fees.0,
        network_bp: fees.1,
    }
}

/// A city's name.
pub fn city_name(index: u32) -> String {
    CITY_NAMES
        .get(index as usize)
        .map_or_else(|| format!("City {}", index + 1), |name| (*name).to_owned())
}

fn fare_table(stations: u16) -> FareTable {
    FareTable {
        // Every city's metro writes the card's first transit record: a card creates its EF
        // 0x17 records in order (UPDATE CAPP DATA CACHE to record n needs records 1..n-1,
        // else 6A83), so a metro with its own record number would refuse every card that
        // has not met the metros before it. Trips close the same day, so sharing is safe.
        operator_record: 1,
        rule: FareRule::Distance {
            base_fen: METRO_BASE_FARE_FEN,
            base_km: 6,
            step_fen: 100,
            step_km: 10,
            positions_m: (0..u32::from(stations))
                .map(|station| station * STATION_SPACING_M)
                .collect(),
        },
        max_fare_fen: METRO_MAX_FARE_FEN,
        missing_exit_fen: METRO_MAX_FARE_FEN,
    }
}

/// How many of a kind a city of `holders` cardholders has: one per `per`, within bounds.
fn sized(holders: u32, per: u32, min: u32, max: u32) -> u32 {
    (holders / per).clamp(min, max)
}

impl World {
    /// Builds the world of `config` and registers it with `hub`.
    pub fn build(config: &SimConfig, hub: &mut dyn HubPort) -> Result<World, SimError> {
        let seed = config.seed;
        let mut parties = Vec::new();
        let first_region = 370_100;
        let bank = register(
            hub,
            &mut parties,
            spec(
                "Bank e-purse",
                &["issuer", "load_agent"],
                first_region,
                (50, 0),
            ),
        )?;
        let transit = register(
            hub,
            &mut parties,
            spec("Transit company", &["issuer"], first_region, (30, 0)),
        )?;
        register(
            hub,
            &mut parties,
            spec(
                "Social-security bureau",
                &["application_provider"],
                first_region,
                (0, 0),
            ),
        )?;
        let campus = register(
            hub,
            &mut parties,
            spec("University campus", &["acquirer"], first_region, (0, 5)),
        )?;
        let issuers = vec![
            Issuer {
                name: "Bank e-purse".to_owned(),
                party: bank,
                keys: vec![
                    keys(seed, 1, 1, BANK_ISSUER_ID),
                    keys(seed, 1, BANK_NEW_KEY_VERSION, BANK_ISSUER_ID),
                ],
            },
            Issuer {
                name: "Transit company".to_owned(),
                party: transit,
                keys: vec![keys(seed, 2, 1, TRANSIT_ISSUER_ID)],
            },
        ];
        for issuer in &issuers {
            for key_set in &issuer.keys {
                hub.upload_issuer_keys(issuer.party, key_set)?;
            }
        }
        let mut world = World {
            parties,
            issuers,
            social_security_keys: keys(seed, 3, 1, SOCIAL_SECURITY_ID),
            cities: Vec::new(),
            terminals: Vec::new(),
            holders: Vec::new(),
            in_hand: None,
        };
        for city in 0..config.cities {
            world.build_city(config, hub, city, campus)?;
        }
        world.issue_cards(config, hub)?;
        Ok(world)
    }

    fn build_city(
        &mut self,
        config: &SimConfig,
        hub: &mut dyn HubPort,
        index: u32,
        campus: u32,
    ) -> Result<(), SimError> {
        let name = city_name(index);
        let region = 370_100 + 100 * index;
        let metro = register(
            hub,
            &mut self.parties,
            spec(
                &format!("{name} Metro"),
                &["acquirer", "load_agent"],
                region,
                (0, 10),
            ),
        )?;
        let buses = register(
            hub,
            &mut self.parties,
            spec(&format!("{name} Buses"), &["acquirer"], region, (0, 10)),
        )?;
        let shops = register(
            hub,
            &mut self.parties,
            spec(&format!("{name} Shops"), &["acquirer"], region, (0, 20)),
        )?;
        let people = config.cards / config.cities + 1;
        let stations = sized(people, 100, 6, 60) as u16;
        let mut city = City {
            name,
            region,
            stations,
            fares: fare_table(stations),
            gates: Vec::new(),
            top_ups: Vec::new(),
            buses: Vec::new(),
            shops: Vec::new(),
            canteens: Vec::new(),
            branches: Vec::new(),
        };
        let plan = [
            (TerminalKind::MetroGate, metro, u32::from(stations)),
            (
                TerminalKind::TopUp,
                metro,
                u32::from(stations)
                    * sized(
                        people,
                        u32::from(stations) * CARDHOLDERS_PER_TOP_UP,
                        1,
                        TOP_UPS_PER_STATION_MAX,
                    ),
            ),
            (TerminalKind::Bus, buses, sized(people, 150, 3, 5_000)),
            (TerminalKind::Shop, shops, sized(people, 80, 4, 10_000)),
            (
                TerminalKind::BankBranch,
                self.issuers[BANK].party,
                sized(people, 1_000, 1, 500),
            ),
            (
                TerminalKind::Campus,
                campus,
                if index == 0 {
                    sized(people, 400, 2, 200)
                } else {
                    0
                },
            ),
        ];
        let mut registering = Vec::new();
        for (kind, owner, count) in plan {
            for number in 0..count {
                let terminal = self.terminal(config, index, kind, owner, number);
                registering.push(TerminalSpec {
                    owner,
                    terminal_id: terminal.id,
                    region,
                });
                let slot = self.terminals.len();
                match kind {
                    TerminalKind::MetroGate => city.gates.push(slot),
                    TerminalKind::TopUp => city.top_ups.push(slot),
                    TerminalKind::Bus => city.buses.push(slot),
                    TerminalKind::Shop => city.shops.push(slot),
                    TerminalKind::Campus => city.canteens.push(slot),
                    TerminalKind::BankBranch => city.branches.push(slot),
                }
                self.terminals.push(terminal);
            }
        }
        hub.register_terminals(&registering)?;
        self.cities.push(city);
        Ok(())
    }

    /// A terminal with its SAM: every issuer's purchase keys, except the bank's new version
    /// for a SAM the missing-key fault picks.
    fn terminal(
        &self,
        config: &SimConfig,
        city: u32,
        kind: TerminalKind,
        owner: u32,
        number: u32,
    ) -> SimTerminal {
        let [a, b, c, d] = number.to_be_bytes();
        let id = [city as u8 + 1, kind.code(), a, b, c, d];
        let mut rng = SimRng::derive(
            config.seed,
            &[
                stream::MISSING_KEY,
                u64::from(city),
                u64::from(kind.code()),
                u64::from(number),
            ],
        );
        let missing_key_until = rng
            .chance(config.faults.get(Fault::MissingKey))
            .then(|| rng.below(u64::from(config.days)) as u32 + 1);
        let sam = self.sam(id, missing_key_until.is_none(), jinka_sam::SERIAL_FIRST);
        SimTerminal {
            id,
            kind,
            city,
            station: number as u16,
            owner,
            terminal: Terminal::new(sam, SimJournal::default()),
            offline_until: None,
            missing_key_until,
            queue: Vec::new(),
            batches_formed: 0,
            loads_requested: 0,
            retransmit: Vec::new(),
        }
    }

    /// A SAM for terminal `id`, with or without the bank's new key version, handing out
    /// `serial_next` next (a SAM that receives a key keeps counting where it was).
    pub fn sam(&self, id: [u8; 6], new_bank_keys: bool, serial_next: u64) -> SimSam {
        let table = self
            .issuers
            .iter()
            .flat_map(|issuer| &issuer.keys)
            .filter(|keys| {
                new_bank_keys
                    || keys.issuer_id != BANK_ISSUER_ID
                    || keys.key_version != BANK_NEW_KEY_VERSION
            })
            .map(IssuerMasterKeys::from)
            .collect();
        // At most 3 key sets, distinct (issuer id, version): within a SAM's table.
        let table = KeyTable::new(table).unwrap_or_else(|error| {
            unreachable!("the world's key sets fit a SAM: {error}");
        });
        let mut state = SamState::new(id, table);
        state.serial_next = serial_next;
        SoftwareSam::new(state, MemoryStore::new()).with_serial_block(SAM_SERIAL_BLOCK)
    }

    fn issue_cards(&mut self, config: &SimConfig, hub: &mut dyn HubPort) -> Result<(), SimError> {
        let mut rng = SimRng::derive(config.seed, &[stream::WORLD]);
        let mut unregistered: Vec<Vec<CardSpec>> = vec![Vec::new(); self.issuers.len()];
        self.holders.reserve_exact(config.cards as usize);
        let mut first = 0;
        while first < config.cards {
            let last = first.saturating_add(ISSUE_CHUNK).min(config.cards);
            // The cardholders of the chunk drawn in order (the same draws as one by one),
            // their cards personalized on every core, then registered.
            let drafts: Vec<Draft> = (first..last)
                .map(|number| self.draft(config, &mut rng, number))
                .collect();
            let nvms = self.personalize(&drafts)?;
            for (draft, nvm) in drafts.into_iter().zip(nvms) {
                let nvm = nvm.map_err(|error| {
                    SimError::Bug(format!("issuing card {}: {error}", draft.number))
                })?;
                let keys = &self.issuers[draft.issuer].keys[usize::from(draft.key_version) - 1];
                let waiting = &mut unregistered[draft.issuer];
                waiting.push(CardSpec {
                    asn: draft.asn,
                    issuer_id: keys.issuer_id,
                    profile: keys.profile,
                });
                if waiting.len() >= REGISTER_GROUP {
                    hub.register_cards(self.issuers[draft.issuer].party, waiting)?;
                    waiting.clear();
                }
                let entropy = SimRng::derive(
                    config.seed,
                    &[stream::CARD_ENTROPY, u64::from(draft.number)],
                )
                .next_u64();
                self.holders.push(Holder {
                    card: IdleCard::pack(Card::new(nvm, SeededEntropy::new(entropy))),
                    asn: draft.asn,
                    issuer: draft.issuer,
                    key_version: draft.key_version,
                    city: draft.city,
                    home: draft.home,
                    work: draft.work,
                    commute: draft.commute,
                    student: draft.student,
                    social_security_day: draft.social_security_day,
                    expected_balance_fen: 0,
                    loaded_fen: 0,
                    spent_fen: 0,
                    lost_on: None,
                    cloned_on: None,
                    clone_from_atc: 0,
                    clone_spent_fen: 0,
                    clone_balance_fen: 0,
                    clone_offline_atc: 0,
                    balance_before_social_security: None,
                });
            }
            first = last;
        }
        for (issuer, waiting) in unregistered.iter().enumerate() {
            if !waiting.is_empty() {
                hub.register_cards(self.issuers[issuer].party, waiting)?;
            }
        }
        // A hub on its own thread registers while the next cards are personalized.
        hub.registered()?;
        Ok(())
    }

    /// Cardholder `number`'s card and habits, drawn from the world's stream.
    fn draft(&self, config: &SimConfig, rng: &mut SimRng, number: u32) -> Draft {
        let issuer = if rng.chance(Rate::ppm(600_000)) {
            BANK
        } else {
            TRANSIT
        };
        let key_version = if issuer == BANK && rng.chance(Rate::ppm(300_000)) {
            BANK_NEW_KEY_VERSION
        } else {
            1
        };
        let keys = &self.issuers[issuer].keys[usize::from(key_version) - 1];
        let [a, b, c, d] = number.wrapping_mul(ASN_SCATTER).to_be_bytes();
        let asn = [0x31, 0x04, keys.issuer_id[7], 0, a, b, c, d];
        let city = rng.below(u64::from(config.cities)) as u32;
        let stations = u64::from(self.cities[city as usize].stations);
        let home = rng.below(stations) as u16;
        let work = ((u64::from(home) + rng.between(1, stations - 1)) % stations) as u16;
        let commute = match rng.below(100) {
            0..60 => Commute::Metro,
            60..85 => Commute::Bus,
            _ => Commute::Walk,
        };
        let student = city == 0 && rng.chance(Rate::ppm(150_000));
        let social_security_day = rng
            .chance(Rate::ppm(100_000))
            .then(|| rng.below(u64::from(config.days)) as u32);
        Draft {
            number,
            asn,
            issuer,
            key_version,
            city,
            home,
            work,
            commute,
            student,
            social_security_day,
        }
    }

    /// Every draft's card memory, issued with its issuer's keys (or why not): the drafts
    /// split between the machine's cores (each card's issuance depends on its draft only).
    fn personalize(&self, drafts: &[Draft]) -> Result<Vec<Result<Nvm, String>>, SimError> {
        let issue_one = |draft: &Draft| {
            let keys = &self.issuers[draft.issuer].keys[usize::from(draft.key_version) - 1];
            issue(keys, &issuance(draft.asn), &[(Template::EPurse, keys)])
                .map_err(|error| error.to_string())
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let share = drafts.len().div_ceil(cores).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = drafts
                .chunks(share)
                .map(|part| scope.spawn(move || part.iter().map(issue_one).collect::<Vec<_>>()))
                .collect();
            let mut nvms = Vec::with_capacity(drafts.len());
            for worker in workers {
                let part = worker
                    .join()
                    .map_err(|_| SimError::Bug("a card-issuing thread stopped".to_owned()))?;
                nvms.extend(part);
            }
            Ok(nvms)
        })
    }

    /// The issuer keys card `holder` was issued under.
    pub fn card_keys(&self, holder: usize) -> &IssuerKeys {
        let holder = &self.holders[holder];
        &self.issuers[holder.issuer].keys[usize::from(holder.key_version) - 1]
    }
}

/// Every card's issuance data: its ASN and a validity from 2026 to 2036.
pub fn issuance(asn: [u8; 8]) -> Issuance {
    Issuance {
        asn,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: [0x20, 0x36, 0x12, 0x31],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimClock;
    use crate::config::FaultRates;
    use crate::flows::purse_balance;
    use crate::in_process::InProcessHub;

    /// Writes the card's e-purse balance, as a transaction would.
    fn set_balance(card: &mut SimCard, fen: u32) {
        crate::flows::purse_mut(card.nvm_mut()).unwrap().balance_fen = fen;
    }

    fn now(world: &World, holder: usize) -> Option<u32> {
        purse_balance(&world.card_memory(holder).unwrap())
    }

    fn packed(world: &World, holder: usize) -> Option<u32> {
        purse_balance(&world.holders[holder].packed_memory().unwrap())
    }

    #[test]
    fn the_card_in_hand_is_the_one_read_and_taken_and_goes_back_packed() {
        let data = tempfile::tempdir().unwrap();
        let mut hub = InProcessHub::open(data.path().join("hub"), None, SimClock::new()).unwrap();
        let config = SimConfig {
            cards: 20,
            days: 1,
            cities: 1,
            seed: 3,
            outings: 0,
            faults: FaultRates::default(),
        };
        let mut world = World::build(&config, &mut hub).unwrap();
        let shop = world.cities[0].shops[0];
        let issued = now(&world, 0);
        assert!(issued.is_some());

        // In hand, the card is newer than the wallet's packed copy, and is what is read.
        let (card, _, _) = world.lane(0, shop).unwrap();
        set_balance(card, 4_321);
        assert_eq!(now(&world, 0), Some(4_321));
        assert_eq!(packed(&world, 0), issued);
        // Taken out of the hand, it is that card; put back, it is packed.
        let card = world.take_card(0).unwrap();
        assert_eq!(purse_balance(card.nvm()), Some(4_321));
        world.put_card(0, card);
        assert_eq!(packed(&world, 0), Some(4_321));

        // Another cardholder's card wanted: the card in hand is put down, packed.
        let (card, _, _) = world.lane(0, shop).unwrap();
        set_balance(card, 55);
        let (card, _, _) = world.lane(1, shop).unwrap();
        set_balance(card, 66);
        assert_eq!(packed(&world, 0), Some(55));
        // A third card taken leaves the one in hand where it is.
        let third = world.take_card(2).unwrap();
        world.put_card(2, third);
        assert_eq!(now(&world, 1), Some(66));
        world.put_down();
        assert_eq!(packed(&world, 1), Some(66));
        assert!(world.in_hand.is_none());
    }
}

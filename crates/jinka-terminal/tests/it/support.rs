//! Issuers, cards and terminals for the flow tests.

use jinka_card::{Card, Issuance, IssuerKeys, SeededEntropy, Template, issue};
use jinka_crypto::Profile;
use jinka_record::{Date, Time};
use jinka_sam::{IssuerMasterKeys, KeyTable, MemoryStore, SamState, SoftwareSam};
use jinka_terminal::{FareRule, FareTable, LocalAuthorizer, MemoryJournal, Moment, Terminal};

pub const ASN: [u8; 8] = [0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45];
pub const TERMINAL_ID: [u8; 6] = [0, 0, 0, 0, 0x20, 0x01];

pub fn issuer(profile: Profile, seed: u64) -> IssuerKeys {
    IssuerKeys::generate(
        profile,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, seed as u8],
        &mut SeededEntropy::new(seed),
    )
}

pub fn card(keys: &IssuerKeys, expiry: [u8; 4]) -> Card<SeededEntropy> {
    let issuance = Issuance {
        asn: ASN,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: expiry,
    };
    let nvm = issue(
        keys,
        &issuance,
        &[(Template::EPurse, keys), (Template::SocialSecurity, keys)],
    )
    .unwrap();
    Card::new(nvm, SeededEntropy::new(7))
}

pub fn sam(issuers: &[&IssuerKeys]) -> SoftwareSam<MemoryStore> {
    let keys = KeyTable::new(
        issuers
            .iter()
            .map(|keys| IssuerMasterKeys::from(*keys))
            .collect(),
    )
    .unwrap();
    SoftwareSam::new(SamState::new(TERMINAL_ID, keys), MemoryStore::new())
}

pub fn terminal(issuers: &[&IssuerKeys]) -> Terminal<SoftwareSam<MemoryStore>, MemoryJournal> {
    Terminal::new(sam(issuers), MemoryJournal::default())
}

pub fn moment(day: u8, hour: u8, minute: u8) -> Moment {
    Moment {
        date: Date::from_ymd(2026, 11, day).unwrap(),
        time: Time::from_hms(hour, minute, 0).unwrap(),
    }
}

pub fn loaded(keys: &IssuerKeys, amount: u32) -> Card<SeededEntropy> {
    let mut card = card(keys, [0x20, 0x36, 0x12, 0x31]);
    let mut terminal = terminal(&[keys]);
    terminal
        .load(
            &mut card,
            &mut LocalAuthorizer::new(vec![keys.clone()]),
            amount,
            moment(1, 7, 0),
        )
        .unwrap();
    card
}

pub fn metro() -> FareTable {
    FareTable {
        operator_record: 1,
        rule: FareRule::Distance {
            base_fen: 300,
            base_km: 6,
            step_fen: 100,
            step_km: 10,
            positions_m: vec![0, 5_000, 12_000, 30_000],
        },
        max_fare_fen: 700,
        missing_exit_fen: 700,
    }
}

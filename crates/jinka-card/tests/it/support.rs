//! A minimal terminal for tests: APDU helpers and the SAM-side cryptography.

use jinka_apdu::{ResponseApdu, StatusWord};
use jinka_card::{Card, Entropy, Issuance, IssuerKeys, SeededEntropy, Template, issue};
use jinka_crypto::{Key16, Profile, diversify, session_key};

pub const ASN: [u8; 8] = [0x31, 0x04, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45];
pub const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
pub const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x27];
pub const TIME: [u8; 3] = [0x08, 0x30, 0x00];

pub fn issuance() -> Issuance {
    Issuance {
        asn: ASN,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: [0x20, 0x36, 0x12, 0x31],
    }
}

pub fn keys(profile: Profile, seed: u64) -> IssuerKeys {
    IssuerKeys::generate(
        profile,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, 1],
        &mut SeededEntropy::new(seed),
    )
}

/// A card with every template, the e-purse and access control under `issuer`'s keys and social
/// security under a separate department's keys.
pub fn full_card(profile: Profile) -> (Card<SeededEntropy>, IssuerKeys, IssuerKeys) {
    let issuer = keys(profile, 1);
    let department = keys(profile, 2);
    let apps = [
        (Template::EPurse, &issuer),
        (Template::SocialSecurity, &department),
        (Template::AccessControl, &issuer),
    ];
    let nvm = issue(&issuer, &issuance(), &apps).expect("issues");
    (Card::new(nvm, SeededEntropy::new(9)), issuer, department)
}

pub fn send<E: Entropy>(card: &mut Card<E>, apdu: &[u8]) -> (Vec<u8>, StatusWord) {
    let mut response = Vec::new();
    card.transmit(apdu, &mut response).expect("no tear armed");
    let parsed = ResponseApdu::parse(&response).expect("every answer has a status word");
    (parsed.data.to_vec(), parsed.status)
}

pub fn apdu(header: [u8; 4], data: &[u8], le: Option<u8>) -> Vec<u8> {
    let mut out = header.to_vec();
    if !data.is_empty() {
        out.push(data.len() as u8);
        out.extend_from_slice(data);
    }
    out.extend(le);
    out
}

pub fn select<E: Entropy>(card: &mut Card<E>, aid: &[u8]) -> StatusWord {
    send(card, &apdu([0x00, 0xA4, 0x04, 0x00], aid, Some(0))).1
}

pub fn balance<E: Entropy>(card: &mut Card<E>) -> u32 {
    let (data, sw) = send(card, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
    assert_eq!(sw, StatusWord::OK);
    u32::from_be_bytes(data.try_into().expect("4 bytes"))
}

/// What a terminal learns from one purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub atc: u16,
    pub tac: [u8; 4],
    pub mac2: [u8; 4],
}

pub fn initialize_purchase<E: Entropy>(
    card: &mut Card<E>,
    p1: u8,
    amount: u32,
) -> Result<(u16, [u8; 4]), StatusWord> {
    let mut data = vec![0x01];
    data.extend_from_slice(&amount.to_be_bytes());
    data.extend_from_slice(&TERMINAL);
    let (answer, sw) = send(card, &apdu([0x80, 0x50, p1, 0x02], &data, Some(0x0F)));
    if sw != StatusWord::OK {
        return Err(sw);
    }
    assert_eq!(answer.len(), 15);
    let atc = u16::from_be_bytes([answer[4], answer[5]]);
    Ok((atc, [answer[11], answer[12], answer[13], answer[14]]))
}

pub fn mac1(
    keys: &IssuerKeys,
    random: [u8; 4],
    atc: u16,
    serial: [u8; 4],
    amount: u32,
    kind: u8,
) -> [u8; 4] {
    let dpk = diversify(keys.profile, &keys.purchase, &ASN);
    let [a, b] = atc.to_be_bytes();
    let session = session_key(
        keys.profile,
        &dpk,
        &[
            random[0], random[1], random[2], random[3], a, b, serial[2], serial[3],
        ],
    );
    session.mac(&[&amount.to_be_bytes(), &[kind], &TERMINAL, &DATE, &TIME])
}

pub fn debit_apdu(serial: [u8; 4], mac1: [u8; 4]) -> Vec<u8> {
    let mut data = serial.to_vec();
    data.extend_from_slice(&DATE);
    data.extend_from_slice(&TIME);
    data.extend_from_slice(&mac1);
    apdu([0x80, 0x54, 0x01, 0x00], &data, Some(0x08))
}

/// A whole purchase of `amount` with a correct MAC1.
pub fn purchase<E: Entropy>(
    card: &mut Card<E>,
    keys: &IssuerKeys,
    amount: u32,
    serial: u32,
) -> Result<Receipt, StatusWord> {
    let (atc, random) = initialize_purchase(card, 0x01, amount)?;
    let serial = serial.to_be_bytes();
    let (answer, sw) = send(
        card,
        &debit_apdu(serial, mac1(keys, random, atc, serial, amount, 0x06)),
    );
    if sw != StatusWord::OK {
        return Err(sw);
    }
    Ok(Receipt {
        atc,
        tac: answer[..4].try_into().unwrap(),
        mac2: answer[4..8].try_into().unwrap(),
    })
}

/// A whole load of `amount`, MAC2 computed as the issuer side would, after checking MAC1.
pub fn load<E: Entropy>(
    card: &mut Card<E>,
    keys: &IssuerKeys,
    amount: u32,
) -> Result<[u8; 4], StatusWord> {
    let mut data = vec![0x01];
    data.extend_from_slice(&amount.to_be_bytes());
    data.extend_from_slice(&TERMINAL);
    let (answer, sw) = send(card, &apdu([0x80, 0x50, 0x00, 0x02], &data, Some(0x10)));
    if sw != StatusWord::OK {
        return Err(sw);
    }
    assert_eq!(answer.len(), 16);
    let dlk = diversify(keys.profile, &keys.load, &ASN);
    let input = [
        answer[8], answer[9], answer[10], answer[11], answer[4], answer[5], 0x80, 0x00,
    ];
    let session = session_key(keys.profile, &dlk, &input);
    let mac1 = session.mac(&[&answer[..4], &amount.to_be_bytes(), &[0x02], &TERMINAL]);
    assert_eq!(
        &answer[12..16],
        &mac1,
        "the card's MAC1 verifies on the issuer side"
    );
    let mac2 = session.mac(&[&amount.to_be_bytes(), &[0x02], &TERMINAL, &DATE, &TIME]);
    let mut credit = DATE.to_vec();
    credit.extend_from_slice(&TIME);
    credit.extend_from_slice(&mac2);
    let (tac, sw) = send(card, &apdu([0x80, 0x52, 0x00, 0x00], &credit, Some(0x04)));
    if sw != StatusWord::OK {
        return Err(sw);
    }
    Ok(tac.try_into().unwrap())
}

/// GET CHALLENGE, then the MAC of an application secure-messaging command under `key`.
pub fn with_sm_mac<E: Entropy>(
    card: &mut Card<E>,
    profile: Profile,
    key: &Key16,
    header: [u8; 4],
    payload: &[u8],
) -> Vec<u8> {
    let (challenge, sw) = send(card, &[0x00, 0x84, 0x00, 0x00, 0x04]);
    assert_eq!(sw, StatusWord::OK);
    let mut full = [0u8; 8];
    full[..4].copy_from_slice(&challenge);
    let mac = jinka_card::secure_messaging::command_mac(profile, key, &full, header, payload);
    let mut data = payload.to_vec();
    data.extend_from_slice(&mac);
    let mut out = header.to_vec();
    out.push(data.len() as u8);
    out.extend_from_slice(&data);
    out
}

pub fn maintenance_key(keys: &IssuerKeys) -> Key16 {
    diversify(keys.profile, &keys.maintenance, &ASN)
}

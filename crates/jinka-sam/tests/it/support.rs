//! A minimal terminal for tests: SAMs in both forms, a real issued card, and the purchase and
//! APPLICATION BLOCK flows driven through `Sam` only.

use jinka_apdu::{ResponseApdu, StatusWord};
use jinka_card::{
    Card, E_PURSE_AID, Entropy, Issuance, IssuerKeys, Purse, SeededEntropy, Template, issue,
};
use jinka_crypto::Profile;
use jinka_sam::{
    BlockRequest, InitForm, IssuerMasterKeys, KeyTable, MemoryStore, PsamCard, PsamClient,
    PurchaseRequest, PurchaseType, Sam, SamError, SamState, SoftwareSam,
};

pub const ISSUER: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
pub const OTHER_ISSUER: [u8; 8] = [0x32, 0x01, 0, 0, 0, 0, 0, 2];
pub const ASN: [u8; 8] = [0x31, 0x04, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45];
pub const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
pub const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x27];
pub const TIME: [u8; 3] = [0x08, 0x30, 0x00];

/// The two forms, for tests that run the same terminal code against each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Software,
    PsamStandardFirst,
    PsamExtended,
}

pub const FORMS: [Form; 3] = [Form::Software, Form::PsamStandardFirst, Form::PsamExtended];

/// A SAM of `form` starting from `state`, saving to a memory store.
pub fn sam(form: Form, state: SamState) -> Box<dyn Sam> {
    let software = SoftwareSam::new(state, MemoryStore::new());
    match form {
        Form::Software => Box::new(software),
        Form::PsamStandardFirst | Form::PsamExtended => {
            let init_form = if form == Form::PsamExtended {
                InitForm::Extended
            } else {
                InitForm::StandardFirst
            };
            let client = PsamClient::connect(PsamCard::new(software)).expect("the PSAM answers");
            Box::new(client.with_init_form(init_form))
        }
    }
}

pub fn issuer_keys(profile: Profile, issuer_id: [u8; 8], version: u8, seed: u64) -> IssuerKeys {
    IssuerKeys::generate(profile, version, issuer_id, &mut SeededEntropy::new(seed))
}

pub fn state_for(keys: &[&IssuerKeys]) -> SamState {
    let table = KeyTable::new(keys.iter().map(|k| IssuerMasterKeys::from(*k)).collect())
        .expect("distinct key sets");
    SamState::new(TERMINAL, table)
}

pub fn request(keys: &IssuerKeys) -> PurchaseRequest {
    PurchaseRequest {
        issuer_id: keys.issuer_id,
        asn8: ASN,
        key_version: keys.key_version,
        algorithm_id: keys.profile.algorithm_id(),
        card_random: [1, 2, 3, 4],
        card_atc: 7,
        amount_fen: 150,
        transaction_type: PurchaseType::Purchase,
        date: DATE,
        time: TIME,
    }
}

/// A card issued by `keys` with an e-purse holding `balance_fen`, e-purse selected.
pub fn card_with_balance(keys: &IssuerKeys, balance_fen: u32) -> Card<SeededEntropy> {
    let issuance = Issuance {
        asn: ASN,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: [0x20, 0x36, 0x12, 0x31],
    };
    let mut nvm = issue(keys, &issuance, &[(Template::EPurse, keys)]).expect("issues");
    nvm.state.applications[0].purse = Some(Purse {
        balance_fen,
        ..Purse::new()
    });
    let mut card = Card::new(nvm, SeededEntropy::new(9));
    let (_, sw) = send(
        &mut card,
        &apdu([0x00, 0xA4, 0x04, 0x00], &E_PURSE_AID, None),
    );
    assert_eq!(sw, StatusWord::OK);
    card
}

pub fn send<E: Entropy>(card: &mut Card<E>, command: &[u8]) -> (Vec<u8>, StatusWord) {
    let mut response = Vec::new();
    card.transmit(command, &mut response)
        .expect("no tear armed");
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

/// What went wrong in a terminal-side flow.
#[derive(Debug)]
pub enum Failure {
    Card(StatusWord),
    Sam(SamError),
}

impl From<SamError> for Failure {
    fn from(error: SamError) -> Failure {
        Failure::Sam(error)
    }
}

/// What a terminal keeps from a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub terminal_serial: u32,
    pub atc: u16,
    pub tac: [u8; 4],
}

fn expect_ok(answer: (Vec<u8>, StatusWord)) -> Result<Vec<u8>, Failure> {
    match answer {
        (data, StatusWord::OK) => Ok(data),
        (_, status) => Err(Failure::Card(status)),
    }
}

/// The card's issuer id and ASN8, from EF 0x15.
pub fn read_public_data<E: Entropy>(card: &mut Card<E>) -> Result<([u8; 8], [u8; 8]), Failure> {
    let data = expect_ok(send(card, &[0x00, 0xB0, 0x95, 0x00, 0x1E]))?;
    let issuer_id = data[..8].try_into().unwrap();
    let asn8 = data[12..20].try_into().unwrap();
    Ok((issuer_id, asn8))
}

/// A whole purchase, the terminal's way: EF 0x15, INITIALIZE, the SAM's MAC1, DEBIT, the SAM's
/// MAC2 check. `tamper` may alter the card's MAC2 before the SAM sees it.
pub fn purchase<E: Entropy>(
    sam: &mut dyn Sam,
    card: &mut Card<E>,
    amount_fen: u32,
    transaction_type: PurchaseType,
    tamper: impl FnOnce(&mut [u8; 4]),
) -> Result<Receipt, Failure> {
    let (issuer_id, asn8) = read_public_data(card)?;
    let p1 = match transaction_type {
        PurchaseType::Purchase => 0x01,
        PurchaseType::CappPurchase => 0x03,
    };
    let mut init = vec![0x01];
    init.extend_from_slice(&amount_fen.to_be_bytes());
    init.extend_from_slice(&sam.terminal_id());
    let answer = expect_ok(send(card, &apdu([0x80, 0x50, p1, 0x02], &init, Some(0x0F))))?;
    assert_eq!(answer.len(), 15);
    let request = PurchaseRequest {
        issuer_id,
        asn8,
        key_version: answer[9],
        algorithm_id: answer[10],
        card_random: answer[11..15].try_into().unwrap(),
        card_atc: u16::from_be_bytes([answer[4], answer[5]]),
        amount_fen,
        transaction_type,
        date: DATE,
        time: TIME,
    };
    let authorization = sam.init_purchase(&request)?;
    let mut debit = authorization.terminal_serial.to_be_bytes().to_vec();
    debit.extend_from_slice(&DATE);
    debit.extend_from_slice(&TIME);
    debit.extend_from_slice(&authorization.mac1);
    let answer = expect_ok(send(
        card,
        &apdu([0x80, 0x54, 0x01, 0x00], &debit, Some(0x08)),
    ))?;
    let tac: [u8; 4] = answer[..4].try_into().unwrap();
    let mut mac2: [u8; 4] = answer[4..8].try_into().unwrap();
    tamper(&mut mac2);
    sam.check_mac2(mac2)?;
    Ok(Receipt {
        terminal_serial: authorization.terminal_serial,
        atc: request.card_atc,
        tac,
    })
}

/// GET CHALLENGE (4 bytes), the SAM's APPLICATION BLOCK MAC, `84 1E 00 00 04 MAC`.
pub fn block_card<E: Entropy>(
    sam: &mut dyn Sam,
    card: &mut Card<E>,
    key_version: u8,
) -> Result<(), Failure> {
    let (issuer_id, asn8) = read_public_data(card)?;
    let random = expect_ok(send(card, &[0x00, 0x84, 0x00, 0x00, 0x04]))?;
    let mut challenge = [0u8; 8];
    challenge[..4].copy_from_slice(&random);
    let mac = sam.block_mac(&BlockRequest {
        issuer_id,
        asn8,
        key_version,
        challenge,
        header: jinka_sam::APPLICATION_BLOCK_HEADER,
    })?;
    expect_ok(send(card, &apdu([0x84, 0x1E, 0x00, 0x00], &mac, None)))?;
    Ok(())
}

pub fn balance<E: Entropy>(card: &mut Card<E>) -> u32 {
    let data = expect_ok(send(card, &[0x80, 0x5C, 0x00, 0x02, 0x04])).expect("balance");
    u32::from_be_bytes(data.try_into().unwrap())
}

//! Ready applications and issuance: the e-purse with transit records, the social-security /
//! health record application and the access-control application, each as the management script
//! that installs it, so issuing a card and adding an application later take the same path.

use jinka_apdu::{ResponseApdu, StatusWord};
use jinka_crypto::{Key16, diversify};

use crate::access::Access;
use crate::aid::Aid;
use crate::application::AppKind;
use crate::card::Card;
use crate::card_manager::CardManager;
use crate::entropy::SeededEntropy;
use crate::issuer_keys::IssuerKeys;
use crate::key::KeyUsage;
use crate::management::{ApplicationSpec, FileContent, FileSpec};
use crate::nvm::{CardState, Nvm};
use crate::pin::PinValue;
use crate::purse::{LOG_RECORD_BYTES, LOG_RECORDS_MAX};

/// AID of the e-purse template.
pub const E_PURSE_AID: [u8; 7] = [0xD1, 0x56, 0x00, 0x00, 0x01, 0x01, 0x01];
/// AID of the social-security template.
pub const SOCIAL_SECURITY_AID: [u8; 7] = [0xD1, 0x56, 0x00, 0x00, 0x01, 0x02, 0x01];
/// AID of the access-control template.
pub const ACCESS_CONTROL_AID: [u8; 7] = [0xD1, 0x56, 0x00, 0x00, 0x01, 0x03, 0x01];
/// Key index of the purchase, load and TAC keys the templates install.
pub const PURSE_KEY_INDEX: u8 = 0x01;
/// The PIN the social-security template installs until the cardholder changes it.
pub const DEFAULT_PIN: [u8; 3] = [0x12, 0x34, 0x56];
/// Tries of the template PIN.
pub const DEFAULT_PIN_TRIES: u8 = 3;

/// A ready application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// E-purse: keys DPK, DLK, DTK, DAMK; EF 0x15, 0x16, 0x17 (transit), 0x18 (log).
    EPurse,
    /// Social security / health: PIN; EF 0x15, 0x05 cardholder (PIN to read), 0x07 health
    /// records (PIN to read, MAC to append).
    SocialSecurity,
    /// Access control: internal / external authentication keys; EF 0x15, 0x19 access log.
    AccessControl,
}

impl Template {
    /// The template's name on the command line (`e-purse`, `social-security`, `access-control`).
    pub fn from_name(name: &str) -> Option<Template> {
        match name {
            "e-purse" => Some(Template::EPurse),
            "social-security" => Some(Template::SocialSecurity),
            "access-control" => Some(Template::AccessControl),
            _ => None,
        }
    }

    /// The AID it installs.
    pub fn aid(self) -> Aid {
        let bytes = match self {
            Template::EPurse => &E_PURSE_AID,
            Template::SocialSecurity => &SOCIAL_SECURITY_AID,
            Template::AccessControl => &ACCESS_CONTROL_AID,
        };
        Aid::new(bytes).expect("template AIDs are 7 bytes")
    }

    /// The management commands that install it, keyed by `keys` (the department's master keys).
    pub fn script(
        self,
        manager: &mut CardManager,
        keys: &IssuerKeys,
        issuance: &Issuance,
    ) -> Vec<Vec<u8>> {
        match self {
            Template::EPurse => e_purse(manager, keys, issuance),
            Template::SocialSecurity => social_security(manager, keys, issuance),
            Template::AccessControl => access_control(manager, keys, issuance),
        }
    }
}

/// Card-specific issuance data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issuance {
    /// ASN8.
    pub asn: [u8; 8],
    /// Start date, BCD `YYYYMMDD`.
    pub start_date: [u8; 4],
    /// Expiry date, BCD `YYYYMMDD`.
    pub expiry_date: [u8; 4],
}

/// Why issuance failed: a template command was refused (a bug in the template or key set).
#[derive(Debug, thiserror::Error)]
#[error("the card refused issuance command {index} with {status}")]
pub struct IssueError {
    /// Position of the refused command in the script.
    pub index: usize,
    /// The card's answer.
    pub status: StatusWord,
}

/// A card as it leaves the factory: only its card manager key, no applications.
pub fn blank_card(keys: &IssuerKeys, asn: [u8; 8]) -> Nvm {
    Nvm::new(CardState {
        asn,
        profile: keys.profile,
        card_manager_key: diversify(keys.profile, &keys.card_manager, &asn),
        card_manager_version: keys.key_version,
        management_counter: 0,
        applications: Vec::new(),
    })
}

/// Issues a card: a blank card for `issuer`, then each template's script run on it through its
/// own command interface. `applications` pairs a template with the keys of its department.
pub fn issue(
    issuer: &IssuerKeys,
    issuance: &Issuance,
    applications: &[(Template, &IssuerKeys)],
) -> Result<Nvm, IssueError> {
    let mut card = Card::new(blank_card(issuer, issuance.asn), SeededEntropy::new(0));
    let mut manager = CardManager::new(issuer.profile, &issuer.card_manager, &issuance.asn, 0);
    let mut index = 0;
    let mut response = Vec::with_capacity(64);
    for (template, keys) in applications {
        for command in template.script(&mut manager, keys, issuance) {
            response.clear();
            card.transmit(&command, &mut response)
                .expect("no tear is armed during issuance");
            let status = ResponseApdu::parse(&response)
                .map(|r| r.status)
                .unwrap_or(StatusWord::MEMORY_FAILURE);
            if !status.is_ok() {
                return Err(IssueError { index, status });
            }
            index += 1;
        }
    }
    Ok(card.into_nvm())
}

/// EF 0x15 public application data: issuer id(8) app type(1) app version(1) app serial(10)
/// start date(4) expiry date(4) issuer-defined(2).
pub fn public_data(issuer_id: &[u8; 8], app_type: u8, issuance: &Issuance) -> [u8; 30] {
    let mut data = [0u8; 30];
    data[..8].copy_from_slice(issuer_id);
    data[8] = app_type;
    data[9] = 0x01;
    data[12..20].copy_from_slice(&issuance.asn);
    data[20..24].copy_from_slice(&issuance.start_date);
    data[24..28].copy_from_slice(&issuance.expiry_date);
    data
}

fn binary(aid: Aid, fid: u16, read: Access, write: Access, size: u16, bytes: &[u8]) -> FileSpec {
    FileSpec {
        aid,
        fid,
        sfi: fid as u8,
        read,
        write,
        content: FileContent::Binary {
            size,
            bytes: bytes.to_vec(),
        },
    }
}

fn records(aid: Aid, fid: u16, read: Access, write: Access, shape: (u8, u8, bool)) -> FileSpec {
    let (record_bytes_max, records_max, cyclic) = shape;
    let content = FileContent::Records {
        record_bytes_max,
        records_max,
        cyclic,
        records: Vec::new(),
    };
    FileSpec {
        aid,
        fid,
        sfi: fid as u8,
        read,
        write,
        content,
    }
}

fn card_key(master: &Key16, keys: &IssuerKeys, issuance: &Issuance) -> Key16 {
    diversify(keys.profile, master, &issuance.asn)
}

fn e_purse(manager: &mut CardManager, keys: &IssuerKeys, issuance: &Issuance) -> Vec<Vec<u8>> {
    let aid = Template::EPurse.aid();
    let version = keys.key_version;
    let spec = ApplicationSpec {
        aid,
        label: "JINKA E-PURSE".into(),
        kind: AppKind::EPurse,
    };
    vec![
        manager.create_application(&spec),
        manager.put_key(
            &aid,
            KeyUsage::Purchase,
            PURSE_KEY_INDEX,
            version,
            &card_key(&keys.purchase, keys, issuance),
        ),
        manager.put_key(
            &aid,
            KeyUsage::Load,
            PURSE_KEY_INDEX,
            version,
            &card_key(&keys.load, keys, issuance),
        ),
        manager.put_key(
            &aid,
            KeyUsage::Tac,
            PURSE_KEY_INDEX,
            version,
            &card_key(&keys.tac, keys, issuance),
        ),
        manager.put_key(
            &aid,
            KeyUsage::Maintenance,
            0,
            version,
            &card_key(&keys.maintenance, keys, issuance),
        ),
        manager.create_file(&binary(
            aid,
            0x15,
            Access::Always,
            Access::Mac(0),
            30,
            &public_data(&keys.issuer_id, 0x02, issuance),
        )),
        manager.create_file(&binary(aid, 0x16, Access::Always, Access::Mac(0), 56, &[])),
        manager.create_file(&records(
            aid,
            0x17,
            Access::Always,
            Access::Mac(0),
            (48, 4, false),
        )),
        manager.create_file(&records(
            aid,
            0x18,
            Access::Always,
            Access::Never,
            (LOG_RECORD_BYTES as u8, LOG_RECORDS_MAX, true),
        )),
    ]
}

fn social_security(
    manager: &mut CardManager,
    keys: &IssuerKeys,
    issuance: &Issuance,
) -> Vec<Vec<u8>> {
    let aid = Template::SocialSecurity.aid();
    let spec = ApplicationSpec {
        aid,
        label: "SOCIAL SECURITY".into(),
        kind: AppKind::SocialSecurity,
    };
    let pin = PinValue::new(&DEFAULT_PIN).expect("template PIN is 3 bytes");
    vec![
        manager.create_application(&spec),
        manager.put_key(
            &aid,
            KeyUsage::Maintenance,
            0,
            keys.key_version,
            &card_key(&keys.maintenance, keys, issuance),
        ),
        manager.put_pin(&aid, &pin, DEFAULT_PIN_TRIES),
        manager.create_file(&binary(
            aid,
            0x15,
            Access::Always,
            Access::Mac(0),
            30,
            &public_data(&keys.issuer_id, 0x10, issuance),
        )),
        manager.create_file(&binary(aid, 0x05, Access::Pin, Access::Mac(0), 64, &[])),
        manager.create_file(&records(
            aid,
            0x07,
            Access::Pin,
            Access::Mac(0),
            (64, 10, false),
        )),
    ]
}

fn access_control(
    manager: &mut CardManager,
    keys: &IssuerKeys,
    issuance: &Issuance,
) -> Vec<Vec<u8>> {
    let aid = Template::AccessControl.aid();
    let spec = ApplicationSpec {
        aid,
        label: "ACCESS CONTROL".into(),
        kind: AppKind::AccessControl,
    };
    let version = keys.key_version;
    vec![
        manager.create_application(&spec),
        manager.put_key(
            &aid,
            KeyUsage::Maintenance,
            0,
            version,
            &card_key(&keys.maintenance, keys, issuance),
        ),
        manager.put_key(
            &aid,
            KeyUsage::Internal,
            0,
            version,
            &internal_key(keys, &issuance.asn),
        ),
        manager.put_key(
            &aid,
            KeyUsage::External,
            0,
            version,
            &external_key(keys, &issuance.asn),
        ),
        manager.create_file(&binary(
            aid,
            0x15,
            Access::Always,
            Access::Mac(0),
            30,
            &public_data(&keys.issuer_id, 0x20, issuance),
        )),
        manager.create_file(&records(
            aid,
            0x19,
            Access::Always,
            Access::Authenticated(0),
            (16, 10, true),
        )),
    ]
}

/// The access-control application's internal-authentication key: the authentication master
/// diversified by ASN8.
pub fn internal_key(keys: &IssuerKeys, asn: &[u8; 8]) -> Key16 {
    diversify(keys.profile, &keys.authentication, asn)
}

/// The external-authentication key: the authentication master diversified by the complemented
/// ASN8, so it differs from the internal key (a card's INTERNAL AUTHENTICATE answer can never
/// be reflected back as an EXTERNAL AUTHENTICATE cryptogram).
pub fn external_key(keys: &IssuerKeys, asn: &[u8; 8]) -> Key16 {
    let mut complemented = *asn;
    complemented.iter_mut().for_each(|byte| *byte = !*byte);
    diversify(keys.profile, &keys.authentication, &complemented)
}

//! An application (ADF): one department's corner of the card.

use serde::{Deserialize, Serialize};

use crate::aid::Aid;
use crate::file::{Ef, EfBody, Records};
use crate::key::{AppKey, KeyUsage};
use crate::pin::Pin;
use crate::purse::Purse;

/// Most applications on one card.
pub const APPLICATIONS_MAX: usize = 16;
/// Most files in one application.
pub const FILES_PER_APPLICATION_MAX: usize = 16;
/// Most keys in one application.
pub const KEYS_PER_APPLICATION_MAX: usize = 16;
/// Longest application label (EF.DIR tag 50).
pub const LABEL_BYTES_MAX: usize = 16;

/// The kind of an application, which decides which commands it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// The e-purse (PBOC EP) with transit records: purchase, load, CAPP.
    EPurse,
    /// A social-security / health record application.
    SocialSecurity,
    /// An access-control application (challenge-response).
    AccessControl,
    /// Any other department's files-and-keys application.
    Custom,
}

impl AppKind {
    /// The byte CREATE APPLICATION carries.
    pub const fn code(self) -> u8 {
        match self {
            AppKind::EPurse => 0x01,
            AppKind::SocialSecurity => 0x02,
            AppKind::AccessControl => 0x03,
            AppKind::Custom => 0x00,
        }
    }

    /// The inverse of [`AppKind::code`].
    pub const fn from_code(code: u8) -> Option<AppKind> {
        Some(match code {
            0x01 => AppKind::EPurse,
            0x02 => AppKind::SocialSecurity,
            0x03 => AppKind::AccessControl,
            0x00 => AppKind::Custom,
            _ => return None,
        })
    }

    /// The name used in JSON and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            AppKind::EPurse => "e-purse",
            AppKind::SocialSecurity => "social-security",
            AppKind::AccessControl => "access-control",
            AppKind::Custom => "custom",
        }
    }
}

/// Lifecycle state of an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppState {
    /// Personalized and usable.
    Active,
    /// Blocked by APPLICATION BLOCK (temporarily): selectable with `6283`, refuses purchase and
    /// load until APPLICATION UNBLOCK.
    Blocked,
    /// Permanently blocked: refuses everything with `9303`.
    Terminated,
}

/// An application: AID, keys, files, PIN, purse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Its AID.
    pub aid: Aid,
    /// Its label in EF.DIR and the directory FCI.
    pub label: String,
    /// Its kind.
    pub kind: AppKind,
    /// Its lifecycle state.
    pub state: AppState,
    /// Its keys.
    pub keys: Vec<AppKey>,
    /// Its files.
    pub files: Vec<Ef>,
    /// Its PIN, if it has one.
    pub pin: Option<Pin>,
    /// Its purse, if it is an e-purse.
    pub purse: Option<Purse>,
}

impl Application {
    /// The key of this usage and index.
    pub fn key(&self, usage: KeyUsage, index: u8) -> Option<&AppKey> {
        self.keys
            .iter()
            .find(|key| key.usage == usage && key.index == index)
    }

    /// The position of the file with this SFI.
    pub fn file_by_sfi(&self, sfi: u8) -> Option<usize> {
        self.files.iter().position(|file| file.sfi == sfi)
    }

    /// The position of the file with this FID.
    pub fn file_by_fid(&self, fid: u16) -> Option<usize> {
        self.files.iter().position(|file| file.fid == fid)
    }

    /// The record file with this SFI.
    pub fn records(&self, sfi: u8) -> Option<&Records> {
        match &self.files.get(self.file_by_sfi(sfi)?)?.body {
            EfBody::Records(records) => Some(records),
            EfBody::Binary { .. } => None,
        }
    }
}

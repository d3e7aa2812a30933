//! Card images: the versioned file form of a card's memory.
//!
//! ```text
//! JINKA-CARD-IMAGE 1 SM3 <64 hex digits>\n
//! <JSON of the memory: {"state": {...}, "journal": {...}}>
//! ```
//!
//! The first line names the format, its version and the SM3 digest of everything after the
//! newline; the JSON holds the card's keys in hex, so images are secret files (mode 0600). A
//! file with another first line is foreign; one whose digest does not match is corrupt; one
//! that parses but breaks an invariant (an index out of range, a balance past the limit) is
//! inconsistent. All three are refused.

use sm3::{Digest, Sm3};

use crate::application::{
    APPLICATIONS_MAX, Application, FILES_PER_APPLICATION_MAX, KEYS_PER_APPLICATION_MAX,
    LABEL_BYTES_MAX,
};
use crate::file::{BINARY_BYTES_MAX, Ef, EfBody, RECORD_BYTES_MAX, RECORDS_MAX};
use crate::nvm::{CardState, Nvm, Write};
use crate::pin::PIN_TRIES_MAX;
use crate::purse::BALANCE_FEN_MAX;

/// The magic that opens every card image.
pub const IMAGE_MAGIC: &str = "JINKA-CARD-IMAGE";
/// The image format version this code writes and reads.
pub const IMAGE_VERSION: u32 = 1;
/// Largest image accepted.
pub const IMAGE_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Why bytes are not a usable card image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not a jinka card image at all.
    #[error("not a jinka card image (expected a first line starting with {IMAGE_MAGIC})")]
    Foreign,
    /// A card image of a version this build does not read.
    #[error("card image version {0} is not supported (this build reads version {IMAGE_VERSION})")]
    UnsupportedVersion(String),
    /// The digest does not match the content: the file was damaged.
    #[error("card image is corrupt: its SM3 digest does not match its content")]
    Corrupt,
    /// The content is not the memory of a card.
    #[error("card image content is malformed: {0}")]
    Malformed(String),
    /// The content parses but breaks an invariant of the card.
    #[error("card image is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// Too large to be a card.
    #[error("card image is larger than {IMAGE_BYTES_MAX} bytes")]
    TooLarge,
}

/// The image bytes of a card's memory.
pub fn encode(nvm: &Nvm) -> Vec<u8> {
    let body = serde_json::to_vec_pretty(nvm).expect("card memory serializes");
    let digest = Sm3::digest(&body);
    let mut out = format!(
        "{IMAGE_MAGIC} {IMAGE_VERSION} SM3 {}\n",
        hex::encode_upper(digest)
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The card memory in image bytes, checked.
pub fn decode(bytes: &[u8]) -> Result<Nvm, ImageError> {
    if bytes.len() > IMAGE_BYTES_MAX {
        return Err(ImageError::TooLarge);
    }
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(ImageError::Foreign)?;
    let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let header = core::str::from_utf8(header).map_err(|_| ImageError::Foreign)?;
    let mut fields = header.split(' ');
    if fields.next() != Some(IMAGE_MAGIC) {
        return Err(ImageError::Foreign);
    }
    let version = fields.next().unwrap_or_default();
    if version != IMAGE_VERSION.to_string() {
        return Err(ImageError::UnsupportedVersion(
            version.chars().take(16).collect(),
        ));
    }
    let (Some("SM3"), Some(digest), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err(ImageError::Malformed(
            "header is not `JINKA-CARD-IMAGE 1 SM3 <digest>`".into(),
        ));
    };
    let expected =
        hex::decode(digest).map_err(|_| ImageError::Malformed("digest is not hex".into()))?;
    if expected.as_slice() != Sm3::digest(body).as_slice() {
        return Err(ImageError::Corrupt);
    }
    let nvm: Nvm =
        serde_json::from_slice(body).map_err(|e| ImageError::Malformed(e.to_string()))?;
    check(&nvm)?;
    Ok(nvm)
}

/// Checks every invariant the card's commands rely on, including that the journal can be
/// replayed, so a loaded image never makes the card panic.
pub fn check(nvm: &Nvm) -> Result<(), ImageError> {
    check_state(&nvm.state)?;
    let mut replayed = nvm.state.clone();
    for write in &nvm.journal.entries {
        check_write(&replayed, write)?;
        let mut one = Nvm::new(replayed);
        one.journal.entries.push(write.clone());
        one.journal.committed = true;
        one.recover();
        replayed = one.state;
    }
    check_state(&replayed)
}

fn inconsistent(ok: bool, reason: &'static str) -> Result<(), ImageError> {
    if ok {
        Ok(())
    } else {
        Err(ImageError::Inconsistent(reason))
    }
}

pub(crate) fn check_state(state: &CardState) -> Result<(), ImageError> {
    inconsistent(
        state.applications.len() <= APPLICATIONS_MAX,
        "too many applications",
    )?;
    for (i, app) in state.applications.iter().enumerate() {
        inconsistent(
            state.applications[..i]
                .iter()
                .all(|other| other.aid != app.aid),
            "two applications share an AID",
        )?;
        check_application(app)?;
    }
    Ok(())
}

fn check_application(app: &Application) -> Result<(), ImageError> {
    inconsistent(
        app.label.len() <= LABEL_BYTES_MAX,
        "application label too long",
    )?;
    inconsistent(app.keys.len() <= KEYS_PER_APPLICATION_MAX, "too many keys")?;
    inconsistent(
        app.files.len() <= FILES_PER_APPLICATION_MAX,
        "too many files",
    )?;
    if let Some(pin) = &app.pin {
        inconsistent(
            pin.tries_max <= PIN_TRIES_MAX && pin.tries_left <= pin.tries_max,
            "PIN try counter out of range",
        )?;
    }
    if let Some(purse) = &app.purse {
        inconsistent(
            purse.balance_fen <= BALANCE_FEN_MAX,
            "balance above balance_fen_max",
        )?;
        inconsistent(
            purse.overdraft_limit_fen <= 0xFF_FFFF,
            "overdraft limit above 3 bytes",
        )?;
    }
    for (i, file) in app.files.iter().enumerate() {
        let earlier = &app.files[..i];
        inconsistent(
            earlier
                .iter()
                .all(|f| f.fid != file.fid && f.sfi != file.sfi),
            "two files share an FID or SFI",
        )?;
        check_file(file)?;
    }
    Ok(())
}

fn check_file(file: &Ef) -> Result<(), ImageError> {
    inconsistent((1..=30).contains(&file.sfi), "SFI out of range")?;
    match &file.body {
        EfBody::Binary { bytes } => inconsistent(
            !bytes.is_empty() && bytes.len() <= BINARY_BYTES_MAX,
            "binary file size",
        ),
        EfBody::Records(records) => {
            let max_len = usize::from(records.record_bytes_max);
            let max_count = usize::from(records.records_max);
            inconsistent(
                (1..=RECORD_BYTES_MAX).contains(&max_len),
                "record length limit",
            )?;
            inconsistent((1..=RECORDS_MAX).contains(&max_count), "record count limit")?;
            inconsistent(
                records.slots.len() <= max_count,
                "more records than the file holds",
            )?;
            inconsistent(
                records.slots.iter().all(|r| r.len() <= max_len),
                "record longer than the file allows",
            )?;
            let head_ok = usize::from(records.head) < records.slots.len().max(1);
            inconsistent(head_ok, "record head out of range")
        }
    }
}

fn check_write(state: &CardState, write: &Write) -> Result<(), ImageError> {
    let app = |index: u8| {
        state
            .applications
            .get(usize::from(index))
            .ok_or(ImageError::Inconsistent("journal names no application"))
    };
    let file = |a: u8, f: u8| {
        app(a)?
            .files
            .get(usize::from(f))
            .ok_or(ImageError::Inconsistent("journal names no file"))
    };
    match write {
        Write::Purse { app: a, .. }
        | Write::Key { app: a, .. }
        | Write::Pin { app: a, .. }
        | Write::AppState { app: a, .. } => app(*a).map(|_| ()),
        Write::LogSlot {
            app,
            file: f,
            slot,
            head,
            record,
        } => check_slot(file(*app, *f)?, *slot, *head, record.len()),
        Write::RecordSlot {
            app,
            file: f,
            slot,
            head,
            bytes,
        } => check_slot(file(*app, *f)?, *slot, *head, bytes.len()),
        Write::Binary {
            app,
            file: f,
            offset,
            bytes,
        } => match &file(*app, *f)?.body {
            EfBody::Binary { bytes: content } => inconsistent(
                usize::from(*offset) + bytes.len() <= content.len(),
                "journal writes past a file's end",
            ),
            EfBody::Records(_) => Err(ImageError::Inconsistent(
                "journal writes bytes to a record file",
            )),
        },
        Write::PutApplication(application) => check_application(application),
        Write::PutFile { app: a, file } => app(*a).and_then(|_| check_file(file)),
        Write::DeleteApplication { .. } | Write::ManagementCounter { .. } => Ok(()),
    }
}

fn check_slot(file: &Ef, slot: u8, head: u8, len: usize) -> Result<(), ImageError> {
    let EfBody::Records(records) = &file.body else {
        return Err(ImageError::Inconsistent(
            "journal writes a record to a binary file",
        ));
    };
    let slot = usize::from(slot);
    inconsistent(
        slot <= records.slots.len() && slot < usize::from(records.records_max),
        "journal record slot out of range",
    )?;
    inconsistent(
        usize::from(head) < usize::from(records.records_max),
        "journal record head out of range",
    )?;
    inconsistent(
        len <= usize::from(records.record_bytes_max),
        "journal record too long",
    )
}

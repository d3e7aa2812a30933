//! Post-issuance application management, authenticated under the card manager key:
//! CREATE APPLICATION / CREATE FILE (`84 E0`), PUT KEY / PUT PIN (`84 D4`, secrets encrypted
//! under the card manager key), DELETE APPLICATION (`84 E4`).
//!
//! Each command's data is `payload ‖ counter(4) ‖ MAC(4)` (see
//! [`crate::secure_messaging::management_mac`]); the counter must exceed every counter the
//! card accepted before, and the command and the new counter commit together.

use jinka_apdu::{CommandApdu, StatusWord};
use jinka_crypto::{Key16, Profile, mac_eq};

use crate::access::Access;
use crate::aid::Aid;
use crate::application::{
    APPLICATIONS_MAX, AppKind, AppState, Application, FILES_PER_APPLICATION_MAX,
    KEYS_PER_APPLICATION_MAX, LABEL_BYTES_MAX,
};
use crate::card::{Answer, Card, Session};
use crate::entropy::Entropy;
use crate::file::{BINARY_BYTES_MAX, Ef, EfBody, RECORD_BYTES_MAX, RECORDS_MAX, Records};
use crate::key::{AppKey, KeyUsage};
use crate::nvm::Write;
use crate::payload::Payload;
use crate::pin::{PIN_TRIES_MAX, Pin, PinValue};
use crate::purse::Purse;
use crate::secure_messaging::{COUNTER_BYTES, MAC_BYTES, management_mac};

/// What CREATE APPLICATION creates: `aid-len aid label-len label kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationSpec {
    /// AID.
    pub aid: Aid,
    /// Label (printable ASCII, at most 16 bytes).
    pub label: String,
    /// Kind.
    pub kind: AppKind,
}

/// The content a new file starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContent {
    /// A transparent file of `size` bytes starting with `bytes` (zero-filled after them).
    Binary {
        /// File size.
        size: u16,
        /// Initial bytes.
        bytes: Vec<u8>,
    },
    /// A record file.
    Records {
        /// Longest record.
        record_bytes_max: u8,
        /// Most records.
        records_max: u8,
        /// Cyclic or linear.
        cyclic: bool,
        /// Initial records, oldest first.
        records: Vec<Vec<u8>>,
    },
}

/// What CREATE FILE creates: `aid-len aid fid(2) sfi(1) structure(1) size read(2) write(2)
/// content`, structure `01` binary (size 2 bytes, content the bytes), `02` linear or `06`
/// cyclic records (size `record-bytes-max(1) records-max(1)`, content length-prefixed records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpec {
    /// The application it belongs to.
    pub aid: Aid,
    /// FID.
    pub fid: u16,
    /// SFI (1 to 30).
    pub sfi: u8,
    /// Read condition.
    pub read: Access,
    /// Write condition.
    pub write: Access,
    /// Initial content.
    pub content: FileContent,
}

impl ApplicationSpec {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        push_length_value(&mut out, self.aid.as_bytes());
        push_length_value(&mut out, self.label.as_bytes());
        out.push(self.kind.code());
        out
    }

    fn decode(payload: &[u8]) -> Result<ApplicationSpec, StatusWord> {
        let mut reader = Payload::new(payload);
        let aid = Aid::new(reader.length_value()?).ok_or(StatusWord::WRONG_DATA)?;
        let label = reader.length_value()?;
        if label.len() > LABEL_BYTES_MAX || !label.iter().all(|b| (0x20..0x7F).contains(b)) {
            return Err(StatusWord::WRONG_DATA);
        }
        let kind = AppKind::from_code(reader.byte()?).ok_or(StatusWord::WRONG_DATA)?;
        reader.finish()?;
        let label = String::from_utf8(label.to_vec()).map_err(|_| StatusWord::WRONG_DATA)?;
        Ok(ApplicationSpec { aid, label, kind })
    }
}

impl FileSpec {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        push_length_value(&mut out, self.aid.as_bytes());
        out.extend_from_slice(&self.fid.to_be_bytes());
        out.push(self.sfi);
        match &self.content {
            FileContent::Binary { size, .. } => {
                out.push(0x01);
                out.extend_from_slice(&size.to_be_bytes());
            }
            FileContent::Records {
                record_bytes_max,
                records_max,
                cyclic,
                ..
            } => {
                out.push(if *cyclic { 0x06 } else { 0x02 });
                out.extend_from_slice(&[*record_bytes_max, *records_max]);
            }
        }
        out.extend_from_slice(&self.read.to_bytes());
        out.extend_from_slice(&self.write.to_bytes());
        match &self.content {
            FileContent::Binary { bytes, .. } => out.extend_from_slice(bytes),
            FileContent::Records { records, .. } => {
                records.iter().for_each(|r| push_length_value(&mut out, r))
            }
        }
        out
    }

    fn decode(payload: &[u8]) -> Result<(Aid, Ef), StatusWord> {
        let mut reader = Payload::new(payload);
        let aid = Aid::new(reader.length_value()?).ok_or(StatusWord::WRONG_DATA)?;
        let fid = reader.u16()?;
        let sfi = reader.byte()?;
        if !(1..=30).contains(&sfi) {
            return Err(StatusWord::WRONG_DATA);
        }
        let structure = reader.byte()?;
        let size = (reader.byte()?, reader.byte()?);
        let read = access(&mut reader)?;
        let write = access(&mut reader)?;
        let body = match structure {
            0x01 => binary_body(
                usize::from(u16::from_be_bytes([size.0, size.1])),
                reader.rest(),
            )?,
            0x02 | 0x06 => records_body(size.0, size.1, structure == 0x06, &mut reader)?,
            _ => return Err(StatusWord::WRONG_DATA),
        };
        Ok((
            aid,
            Ef {
                fid,
                sfi,
                read,
                write,
                body,
            },
        ))
    }
}

fn access(reader: &mut Payload<'_>) -> Result<Access, StatusWord> {
    Access::from_bytes(reader.byte()?, reader.byte()?).ok_or(StatusWord::WRONG_DATA)
}

fn binary_body(size: usize, initial: &[u8]) -> Result<EfBody, StatusWord> {
    if size == 0 || size > BINARY_BYTES_MAX || initial.len() > size {
        return Err(StatusWord::WRONG_DATA);
    }
    let mut bytes = vec![0u8; size];
    bytes[..initial.len()].copy_from_slice(initial);
    Ok(EfBody::Binary { bytes })
}

fn records_body(
    record_bytes_max: u8,
    records_max: u8,
    cyclic: bool,
    reader: &mut Payload<'_>,
) -> Result<EfBody, StatusWord> {
    if record_bytes_max == 0 || usize::from(record_bytes_max) > RECORD_BYTES_MAX {
        return Err(StatusWord::WRONG_DATA);
    }
    if records_max == 0 || usize::from(records_max) > RECORDS_MAX {
        return Err(StatusWord::WRONG_DATA);
    }
    let mut records = Records::empty(record_bytes_max, records_max, cyclic);
    while !reader.is_empty() {
        let record = reader.length_value()?;
        if record.is_empty() || record.len() > usize::from(record_bytes_max) {
            return Err(StatusWord::WRONG_DATA);
        }
        let (slot, head) = records.append_slot().ok_or(StatusWord::NOT_ENOUGH_MEMORY)?;
        records.set_slot(slot, head, record);
    }
    Ok(EfBody::Records(records))
}

pub(crate) fn push_length_value(out: &mut Vec<u8>, value: &[u8]) {
    out.push(value.len() as u8);
    out.extend_from_slice(value);
}

impl<E: Entropy> Card<E> {
    /// Checks the counter and MAC of a management command; gives its payload and counter.
    fn verify_management<'a>(
        &self,
        command: &CommandApdu<'a>,
    ) -> Result<(&'a [u8], u32), StatusWord> {
        let split = command
            .data
            .len()
            .checked_sub(COUNTER_BYTES + MAC_BYTES)
            .ok_or(StatusWord::WRONG_LENGTH)?;
        let (payload, trailer) = command.data.split_at(split);
        let (counter, mac) = trailer.split_at(COUNTER_BYTES);
        let counter = u32::from_be_bytes(counter.try_into().map_err(|_| StatusWord::WRONG_LENGTH)?);
        let mac: &[u8; 4] = mac.try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
        let state = &self.nvm.state;
        let header = [command.cla, command.ins, command.p1, command.p2];
        let expected = management_mac(
            state.profile,
            &state.card_manager_key,
            header,
            payload,
            counter,
        );
        if !mac_eq(&expected, mac) {
            return Err(StatusWord::MAC_INVALID);
        }
        if counter <= state.management_counter {
            // A replayed or out-of-order script command.
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        Ok((payload, counter))
    }

    fn application_index(&self, aid: &Aid) -> Result<u8, StatusWord> {
        let index = self
            .nvm
            .state
            .applications
            .iter()
            .position(|app| app.aid == *aid)
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        Ok(index as u8)
    }

    /// `84 E0 00 00`: CREATE APPLICATION; `84 E0 01 00`: CREATE FILE.
    pub(crate) fn create(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p2 != 0 || command.p1 > 1 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let (payload, counter) = self.verify_management(command)?;
        let applications = &self.nvm.state.applications;
        if command.p1 == 0 {
            let spec = ApplicationSpec::decode(payload)?;
            if applications.iter().any(|app| app.aid == spec.aid) {
                return Err(StatusWord::ALREADY_EXISTS.into());
            }
            if applications.len() >= APPLICATIONS_MAX {
                return Err(StatusWord::NOT_ENOUGH_MEMORY.into());
            }
            let purse = (spec.kind == AppKind::EPurse).then(Purse::new);
            let application = Application {
                aid: spec.aid,
                label: spec.label,
                kind: spec.kind,
                state: AppState::Active,
                keys: Vec::new(),
                files: Vec::new(),
                pin: None,
                purse,
            };
            self.writes
                .push(Write::PutApplication(Box::new(application)));
        } else {
            let (aid, file) = FileSpec::decode(payload)?;
            let app = self.application_index(&aid)?;
            let files = &applications[usize::from(app)].files;
            if files.iter().any(|f| f.fid == file.fid || f.sfi == file.sfi) {
                return Err(StatusWord::ALREADY_EXISTS.into());
            }
            if files.len() >= FILES_PER_APPLICATION_MAX {
                return Err(StatusWord::NOT_ENOUGH_MEMORY.into());
            }
            self.writes.push(Write::PutFile {
                app,
                file: Box::new(file),
            });
        }
        self.writes.push(Write::ManagementCounter { counter });
        self.commit()?;
        Ok(())
    }

    /// `84 D4 00 00`: PUT KEY `aid-len aid usage(1) index(1) version(1) key(16, encrypted)`;
    /// `84 D4 01 00`: PUT PIN `aid-len aid tries-max(1) block(16, encrypted)` where the block is
    /// `pin-len(1) pin FF…`. Secrets are encrypted under the card manager key (ECB).
    pub(crate) fn put_secret(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p2 != 0 || command.p1 > 1 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let (payload, counter) = self.verify_management(command)?;
        let mut reader = Payload::new(payload);
        let aid = Aid::new(reader.length_value()?).ok_or(StatusWord::WRONG_DATA)?;
        let app = self.application_index(&aid)?;
        let state = &self.nvm.state;
        if command.p1 == 0 {
            let usage = KeyUsage::from_code(reader.byte()?).ok_or(StatusWord::WRONG_DATA)?;
            let (index, version) = (reader.byte()?, reader.byte()?);
            let key = unwrap_secret(state.profile, &state.card_manager_key, &mut reader)?;
            let keys = &state.applications[usize::from(app)].keys;
            let replaces = keys.iter().any(|k| k.usage == usage && k.index == index);
            if !replaces && keys.len() >= KEYS_PER_APPLICATION_MAX {
                return Err(StatusWord::NOT_ENOUGH_MEMORY.into());
            }
            self.writes.push(Write::Key {
                app,
                key: AppKey {
                    usage,
                    index,
                    version,
                    key,
                },
            });
        } else {
            let tries_max = reader.byte()?;
            if tries_max == 0 || tries_max > PIN_TRIES_MAX {
                return Err(StatusWord::WRONG_DATA.into());
            }
            let block = unwrap_secret(state.profile, &state.card_manager_key, &mut reader)?;
            let (&len, rest) = block
                .as_bytes()
                .split_first()
                .ok_or(StatusWord::WRONG_DATA)?;
            let value = rest
                .get(..usize::from(len))
                .and_then(PinValue::new)
                .ok_or(StatusWord::WRONG_DATA)?;
            self.writes.push(Write::Pin {
                app,
                pin: Pin {
                    value,
                    tries_left: tries_max,
                    tries_max,
                },
            });
        }
        self.writes.push(Write::ManagementCounter { counter });
        self.commit()?;
        Ok(())
    }

    /// `84 E4 00 00`: DELETE APPLICATION `aid-len aid`.
    pub(crate) fn delete_application(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let (payload, counter) = self.verify_management(command)?;
        let mut reader = Payload::new(payload);
        let aid = Aid::new(reader.length_value()?).ok_or(StatusWord::WRONG_DATA)?;
        reader.finish()?;
        self.application_index(&aid)?;
        self.writes.push(Write::DeleteApplication { aid });
        self.writes.push(Write::ManagementCounter { counter });
        self.commit()?;
        // Application indices moved: nothing of the session may point at them any more.
        self.session = Session::new();
        Ok(())
    }
}

fn unwrap_secret(
    profile: Profile,
    card_manager_key: &Key16,
    reader: &mut Payload<'_>,
) -> Result<Key16, StatusWord> {
    let wrapped: &[u8; 16] = reader
        .take(16)?
        .try_into()
        .map_err(|_| StatusWord::WRONG_LENGTH)?;
    reader.finish()?;
    Ok(profile.decrypt_key(card_manager_key, wrapped))
}

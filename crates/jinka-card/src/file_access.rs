//! READ / UPDATE BINARY, READ / UPDATE / APPEND RECORD, under the files' access conditions
//! (ISO/IEC 7816-4 § 11.2 and § 11.3).

use jinka_apdu::{CommandApdu, StatusWord};
use jinka_crypto::mac_eq;

use crate::access::Access;
use crate::card::{Answer, Card};
use crate::entropy::Entropy;
use crate::file::EfBody;
use crate::key::KeyUsage;
use crate::nvm::Write;
use crate::secure_messaging;
use crate::select::{EF_DIR_CURRENT, EF_DIR_SFI};

/// The most a READ BINARY answers at once without extended length.
const READ_BYTES_MAX: usize = 256;

/// Where a command's file is.
enum Target {
    /// EF.DIR of the MF.
    Directory,
    /// File `file` of application `app`.
    File { app: u8, file: u8 },
}

impl<E: Entropy> Card<E> {
    pub(crate) fn read_binary(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        let (sfi, offset) = binary_address(command);
        let Target::File { app, file } = self.target(sfi)? else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let ef = &self.nvm.state.applications[usize::from(app)].files[usize::from(file)];
        self.check_plain(ef.read)?;
        let EfBody::Binary { bytes } = &ef.body else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let rest = bytes.get(offset..).ok_or(StatusWord::WRONG_OFFSET)?;
        let wanted = command.le.unwrap_or(READ_BYTES_MAX).min(rest.len());
        out.extend_from_slice(&rest[..wanted]);
        Ok(())
    }

    pub(crate) fn update_binary(&mut self, command: &CommandApdu<'_>) -> Answer {
        let (sfi, offset) = binary_address(command);
        let Target::File { app, file } = self.target(sfi)? else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let ef = &self.nvm.state.applications[usize::from(app)].files[usize::from(file)];
        let size = match &ef.body {
            EfBody::Binary { bytes } => bytes.len(),
            EfBody::Records(_) => return Err(StatusWord::INCOMPATIBLE_FILE.into()),
        };
        let payload = self.check_write(ef.write, command)?;
        if offset > size {
            return Err(StatusWord::WRONG_OFFSET.into());
        }
        if payload.is_empty() || offset + payload.len() > size {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let offset = offset as u16;
        self.writes.push(Write::Binary {
            app,
            file,
            offset,
            bytes: payload.to_vec(),
        });
        self.commit()?;
        Ok(())
    }

    pub(crate) fn read_record(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        let sfi = record_sfi(command.p2, 0x04)?;
        if command.p1 == 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let start = out.len();
        match self.target(sfi)? {
            Target::Directory => self.ef_dir_record(command.p1, out)?,
            Target::File { app, file } => {
                let ef = &self.nvm.state.applications[usize::from(app)].files[usize::from(file)];
                self.check_plain(ef.read)?;
                let EfBody::Records(records) = &ef.body else {
                    return Err(StatusWord::INCOMPATIBLE_FILE.into());
                };
                out.extend_from_slice(
                    records
                        .record(command.p1)
                        .ok_or(StatusWord::RECORD_NOT_FOUND)?,
                );
            }
        }
        let len = out.len() - start;
        match command.le {
            Some(le) if le < len => Err(StatusWord(0x6C00 | len.min(0xFF) as u16).into()),
            _ => Ok(()),
        }
    }

    pub(crate) fn update_record(&mut self, command: &CommandApdu<'_>) -> Answer {
        let sfi = record_sfi(command.p2, 0x04)?;
        let (app, file) = self.record_target(sfi)?;
        let ef = &self.nvm.state.applications[usize::from(app)].files[usize::from(file)];
        let EfBody::Records(records) = &ef.body else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let slot = records
            .slot_of(command.p1)
            .ok_or(StatusWord::RECORD_NOT_FOUND)?;
        let (head, record_bytes_max) = (records.head, records.record_bytes_max);
        let payload = self.check_write(ef.write, command)?;
        check_record_length(payload, record_bytes_max)?;
        self.writes.push(Write::RecordSlot {
            app,
            file,
            slot: slot as u8,
            head,
            bytes: payload.to_vec(),
        });
        self.commit()?;
        Ok(())
    }

    pub(crate) fn append_record(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p1 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let sfi = record_sfi(command.p2, 0x00)?;
        let (app, file) = self.record_target(sfi)?;
        let ef = &self.nvm.state.applications[usize::from(app)].files[usize::from(file)];
        let EfBody::Records(records) = &ef.body else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let (slot, head) = records.append_slot().ok_or(StatusWord::NOT_ENOUGH_MEMORY)?;
        let record_bytes_max = records.record_bytes_max;
        let payload = self.check_write(ef.write, command)?;
        check_record_length(payload, record_bytes_max)?;
        self.writes.push(Write::RecordSlot {
            app,
            file,
            slot: slot as u8,
            head,
            bytes: payload.to_vec(),
        });
        self.commit()?;
        Ok(())
    }

    /// The file a command addresses: by SFI in the selected application, or its current EF
    /// (`sfi == 0`). Only the selected application's files are reachable: this is where one
    /// application is kept from another's files.
    fn target(&self, sfi: u8) -> Result<Target, StatusWord> {
        let Some(app) = self.session.selected else {
            return match (sfi, self.session.current_ef) {
                (EF_DIR_SFI, _) | (0, Some(EF_DIR_CURRENT)) => Ok(Target::Directory),
                (0, _) => Err(StatusWord::NO_CURRENT_EF),
                _ => Err(StatusWord::FILE_NOT_FOUND),
            };
        };
        let application = &self.nvm.state.applications[usize::from(app)];
        let file = if sfi == 0 {
            self.session.current_ef.ok_or(StatusWord::NO_CURRENT_EF)?
        } else {
            application
                .file_by_sfi(sfi)
                .ok_or(StatusWord::FILE_NOT_FOUND)? as u8
        };
        Ok(Target::File { app, file })
    }

    fn record_target(&self, sfi: u8) -> Result<(u8, u8), StatusWord> {
        match self.target(sfi)? {
            Target::File { app, file } => Ok((app, file)),
            Target::Directory => Err(StatusWord::SECURITY_NOT_SATISFIED),
        }
    }

    /// Checks a read condition (commands without secure messaging).
    fn check_plain(&self, access: Access) -> Result<(), StatusWord> {
        let granted = match access {
            Access::Always => true,
            Access::Never | Access::Mac(_) => false,
            Access::Pin => self.session.pin_verified,
            Access::Authenticated(index) => self.session.authenticated == Some(index),
        };
        if granted {
            Ok(())
        } else {
            Err(StatusWord::SECURITY_NOT_SATISFIED)
        }
    }

    /// Checks a write condition and gives the command's payload (its data less the MAC when it
    /// uses secure messaging, CLA `04`).
    fn check_write<'a>(
        &mut self,
        access: Access,
        command: &CommandApdu<'a>,
    ) -> Result<&'a [u8], StatusWord> {
        match (access, command.cla) {
            (Access::Mac(index), 0x04) => {
                self.verify_secure_messaging(command, KeyUsage::Maintenance, index)
            }
            (Access::Mac(_), _) => Err(StatusWord::SECURITY_NOT_SATISFIED),
            (_, 0x04) => Err(StatusWord::SM_INCORRECT),
            (access, _) => self.check_plain(access).map(|()| command.data),
        }
    }

    /// Verifies the MAC that ends `command`'s data under the selected application's key, over
    /// the session's challenge; the challenge is used up either way.
    ///
    /// See [`secure_messaging::command_mac`].
    pub(crate) fn verify_secure_messaging<'a>(
        &mut self,
        command: &CommandApdu<'a>,
        usage: KeyUsage,
        index: u8,
    ) -> Result<&'a [u8], StatusWord> {
        let challenge = self
            .session
            .challenge
            .take()
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let split = command
            .data
            .len()
            .checked_sub(secure_messaging::MAC_BYTES)
            .ok_or(StatusWord::WRONG_LENGTH)?;
        let (payload, mac) = command.data.split_at(split);
        let (_, app) = self.selected()?;
        let key = app.key(usage, index).ok_or(StatusWord::DATA_NOT_FOUND)?;
        let header = [command.cla, command.ins, command.p1, command.p2];
        let expected = secure_messaging::command_mac(
            self.nvm.state.profile,
            &key.key,
            &challenge,
            header,
            payload,
        );
        let mac: &[u8; 4] = mac.try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
        if mac_eq(&expected, mac) {
            Ok(payload)
        } else {
            Err(StatusWord::MAC_INVALID)
        }
    }
}

/// `(sfi, offset)` of READ / UPDATE BINARY: P1 bit 8 set means SFI in P1 and offset in P2.
fn binary_address(command: &CommandApdu<'_>) -> (u8, usize) {
    if command.p1 & 0x80 != 0 {
        (command.p1 & 0x1F, usize::from(command.p2))
    } else {
        (
            0,
            usize::from(u16::from_be_bytes([command.p1 & 0x7F, command.p2])),
        )
    }
}

/// The SFI of a record command whose P2 low bits must be `mode`.
fn record_sfi(p2: u8, mode: u8) -> Result<u8, StatusWord> {
    if p2 & 0x07 != mode {
        return Err(StatusWord::WRONG_P1P2);
    }
    Ok(p2 >> 3)
}

fn check_record_length(payload: &[u8], record_bytes_max: u8) -> Result<(), StatusWord> {
    if payload.is_empty() || payload.len() > usize::from(record_bytes_max) {
        return Err(StatusWord::WRONG_LENGTH);
    }
    Ok(())
}

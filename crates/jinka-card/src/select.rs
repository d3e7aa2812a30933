//! SELECT, the MF's EF.DIR and the contactless directory `2PAY.SYS.DDF01`.

use jinka_apdu::{CommandApdu, StatusWord};

use crate::application::{AppState, Application};
use crate::card::{Answer, Card, Refusal, Session};
use crate::entropy::Entropy;
use crate::file::EfBody;
use crate::tlv;

/// The contactless payment system environment (PPSE) name.
pub const PPSE_NAME: &[u8] = b"2PAY.SYS.DDF01";
/// The contact payment system environment name, answered the same way.
pub const PSE_NAME: &[u8] = b"1PAY.SYS.DDF01";
/// FID of the MF.
pub const MF_FID: u16 = 0x3F00;
/// FID of EF.DIR under the MF.
pub const EF_DIR_FID: u16 = 0x2F00;
/// SFI of EF.DIR.
pub const EF_DIR_SFI: u8 = 0x01;
/// The marker for "EF.DIR is the current EF" while the MF is selected.
pub(crate) const EF_DIR_CURRENT: u8 = 0xFF;

impl<E: Entropy> Card<E> {
    pub(crate) fn select(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        let answer_fci = match command.p2 {
            0x00 => true,
            0x0C => false,
            _ => return Err(StatusWord::WRONG_P1P2.into()),
        };
        match command.p1 {
            0x04 => self.select_by_name(command.data, answer_fci, out),
            0x00 | 0x02 => self.select_by_fid(command.data, answer_fci, out),
            _ => Err(StatusWord::WRONG_P1P2.into()),
        }
    }

    fn select_by_name(&mut self, name: &[u8], answer_fci: bool, out: &mut Vec<u8>) -> Answer {
        if name.is_empty() || name.len() > crate::aid::AID_BYTES_MAX {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        if name == PPSE_NAME || name == PSE_NAME {
            self.session = Session::new();
            if answer_fci {
                self.directory_fci(name, out);
            }
            return Ok(());
        }
        let applications = &self.nvm.state.applications;
        let index = applications
            .iter()
            .position(|app| app.aid.starts_with(name))
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        let app = &applications[index];
        if app.state == AppState::Terminated {
            return Err(StatusWord::APPLICATION_LOCKED.into());
        }
        if answer_fci {
            application_fci(app, out);
        }
        let blocked = app.state == AppState::Blocked;
        self.session = Session::new();
        self.session.selected = Some(index as u8);
        if blocked {
            Err(Refusal::Warning(StatusWord::SELECTED_FILE_INVALIDATED))
        } else {
            Ok(())
        }
    }

    fn select_by_fid(&mut self, data: &[u8], answer_fci: bool, out: &mut Vec<u8>) -> Answer {
        let fid = match data {
            [high, low] => u16::from_be_bytes([*high, *low]),
            _ => return Err(StatusWord::WRONG_LENGTH.into()),
        };
        if fid == MF_FID {
            self.session = Session::new();
            return Ok(());
        }
        let Some(app_index) = self.session.selected else {
            if fid == EF_DIR_FID {
                self.session.current_ef = Some(EF_DIR_CURRENT);
                return Ok(());
            }
            return Err(StatusWord::FILE_NOT_FOUND.into());
        };
        let app = &self.nvm.state.applications[usize::from(app_index)];
        let file_index = app.file_by_fid(fid).ok_or(StatusWord::FILE_NOT_FOUND)?;
        if answer_fci {
            let file = &app.files[file_index];
            let (structure, size) = match &file.body {
                EfBody::Binary { bytes } => (0x01, bytes.len()),
                EfBody::Records(records) => (
                    if records.cyclic { 0x06 } else { 0x02 },
                    usize::from(records.record_bytes_max) * usize::from(records.records_max),
                ),
            };
            tlv::put(out, &[0x62], |out| {
                tlv::put_bytes(out, &[0x82], &[structure]);
                tlv::put_bytes(out, &[0x83], &fid.to_be_bytes());
                tlv::put_bytes(out, &[0x80], &(size as u16).to_be_bytes());
                tlv::put_bytes(out, &[0x88], &[file.sfi << 3]);
            });
        }
        self.session.current_ef = Some(file_index as u8);
        Ok(())
    }

    /// FCI of the directory: `6F { 84 name, A5 { BF0C { 61 { 4F aid, 50 label, 87 priority } … } } }`.
    fn directory_fci(&self, name: &[u8], out: &mut Vec<u8>) {
        let applications = &self.nvm.state.applications;
        tlv::put(out, &[0x6F], |out| {
            tlv::put_bytes(out, &[0x84], name);
            tlv::put(out, &[0xA5], |out| {
                tlv::put(out, &[0xBF, 0x0C], |out| {
                    for (priority, app) in applications.iter().enumerate() {
                        tlv::put(out, &[0x61], |out| {
                            tlv::put_bytes(out, &[0x4F], app.aid.as_bytes());
                            tlv::put_bytes(out, &[0x50], app.label.as_bytes());
                            tlv::put_bytes(out, &[0x87], &[(priority + 1) as u8]);
                        });
                    }
                });
            });
        });
    }

    /// Record `number` of EF.DIR: `61 { 4F aid, 50 label }` for the application at that position.
    pub(crate) fn ef_dir_record(&self, number: u8, out: &mut Vec<u8>) -> Answer {
        let index = usize::from(number)
            .checked_sub(1)
            .ok_or(StatusWord::RECORD_NOT_FOUND)?;
        let app = self
            .nvm
            .state
            .applications
            .get(index)
            .ok_or(StatusWord::RECORD_NOT_FOUND)?;
        tlv::put(out, &[0x61], |out| {
            tlv::put_bytes(out, &[0x4F], app.aid.as_bytes());
            tlv::put_bytes(out, &[0x50], app.label.as_bytes());
        });
        Ok(())
    }
}

/// FCI of an application: `6F { 84 AID, A5 { 50 label, 9F08 version } }`.
fn application_fci(app: &Application, out: &mut Vec<u8>) {
    tlv::put(out, &[0x6F], |out| {
        tlv::put_bytes(out, &[0x84], app.aid.as_bytes());
        tlv::put(out, &[0xA5], |out| {
            tlv::put_bytes(out, &[0x50], app.label.as_bytes());
            tlv::put_bytes(out, &[0x9F, 0x08], &[0x02]);
        });
    });
}

//! The e-purse commands of `card.md`: INITIALIZE FOR LOAD / PURCHASE / CAPP PURCHASE, DEBIT FOR
//! PURCHASE, CREDIT FOR LOAD, UPDATE CAPP DATA CACHE, GET BALANCE, GET TRANSACTION PROVE and
//! APPLICATION BLOCK / UNBLOCK.

use jinka_apdu::{CommandApdu, StatusWord};
use jinka_crypto::{Key16, MacKey, mac_eq, session_key, tac_key};

use crate::application::{AppKind, AppState, Application};
use crate::card::{Answer, Card, Pending, PendingLoad, PendingPurchase, StagedCapp};
use crate::entropy::Entropy;
use crate::file::EfBody;
use crate::key::KeyUsage;
use crate::nvm::Write;
use crate::purse::{
    BALANCE_FEN_MAX, LastTransaction, LogRecord, Purse, TYPE_CAPP_PURCHASE, TYPE_LOAD,
    TYPE_PURCHASE,
};

/// SFI of the e-purse's transaction log.
pub const LOG_SFI: u8 = 0x18;
/// `6A80`-style refusal of a load that would take the balance past `balance_fen_max`.
pub const BALANCE_LIMIT_EXCEEDED: StatusWord = StatusWord::WRONG_DATA;

impl<E: Entropy> Card<E> {
    /// The selected e-purse: `(index, application, purse)`.
    fn purse(&self) -> Result<(u8, &Application, &Purse), StatusWord> {
        let (index, app) = self.selected()?;
        match (&app.purse, app.kind) {
            (Some(purse), AppKind::EPurse) => Ok((index, app, purse)),
            _ => Err(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    /// The selected e-purse, if it may transact (not blocked).
    fn active_purse(&self) -> Result<(u8, &Application, &Purse), StatusWord> {
        let found = self.purse()?;
        match found.1.state {
            AppState::Active => Ok(found),
            AppState::Blocked => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
            AppState::Terminated => Err(StatusWord::APPLICATION_LOCKED),
        }
    }

    /// `80 50 P1 02 0B key-index(1) amount(4) terminal-id(6)`: P1 `00` load, `01` purchase,
    /// `03` compound (CAPP) purchase.
    pub(crate) fn initialize(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        self.session.pending = Pending::None;
        self.session.staged_capp = None;
        if command.p2 != 0x02 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let [key_index, a0, a1, a2, a3, t0, t1, t2, t3, t4, t5] = command.data else {
            return Err(StatusWord::WRONG_LENGTH.into());
        };
        let amount_fen = u32::from_be_bytes([*a0, *a1, *a2, *a3]);
        let terminal_id = [*t0, *t1, *t2, *t3, *t4, *t5];
        match command.p1 {
            0x00 => self.initialize_for_load(*key_index, amount_fen, terminal_id, out),
            0x01 => self.initialize_for_purchase(
                TYPE_PURCHASE,
                *key_index,
                amount_fen,
                terminal_id,
                out,
            ),
            0x03 => self.initialize_for_purchase(
                TYPE_CAPP_PURCHASE,
                *key_index,
                amount_fen,
                terminal_id,
                out,
            ),
            _ => Err(StatusWord::WRONG_P1P2.into()),
        }
    }

    /// Answers `balance(4) offline-ATC(2) overdraft-limit(3) key-version(1) algorithm-id(1)
    /// random(4)`.
    fn initialize_for_purchase(
        &mut self,
        kind: u8,
        key_index: u8,
        amount_fen: u32,
        terminal_id: [u8; 6],
        out: &mut Vec<u8>,
    ) -> Answer {
        let profile = self.nvm.state.profile;
        let (app, application, purse) = self.active_purse()?;
        let key = application
            .key(KeyUsage::Purchase, key_index)
            .ok_or(StatusWord::KEY_INDEX_NOT_SUPPORTED)?;
        if amount_fen > purse.balance_fen {
            return Err(StatusWord::INSUFFICIENT_BALANCE.into());
        }
        if purse.offline_atc == u16::MAX {
            return Err(StatusWord::COUNTER_EXHAUSTED.into());
        }
        let (balance, atc, overdraft, version) = (
            purse.balance_fen,
            purse.offline_atc,
            purse.overdraft_limit_fen,
            key.version,
        );
        let mut random = [0u8; 4];
        self.entropy.fill(&mut random);
        out.extend_from_slice(&balance.to_be_bytes());
        out.extend_from_slice(&atc.to_be_bytes());
        out.extend_from_slice(&overdraft.to_be_bytes()[1..]);
        out.extend_from_slice(&[version, profile.algorithm_id()]);
        out.extend_from_slice(&random);
        self.session.pending = Pending::Purchase(PendingPurchase {
            app,
            kind,
            key_index,
            amount_fen,
            terminal_id,
            random,
            atc,
        });
        Ok(())
    }

    /// Answers `balance(4) online-ATC(2) key-version(1) algorithm-id(1) random(4) MAC1(4)`.
    fn initialize_for_load(
        &mut self,
        key_index: u8,
        amount_fen: u32,
        terminal_id: [u8; 6],
        out: &mut Vec<u8>,
    ) -> Answer {
        let profile = self.nvm.state.profile;
        let mut random = [0u8; 4];
        self.entropy.fill(&mut random);
        let (app, application, purse) = self.active_purse()?;
        let key = application
            .key(KeyUsage::Load, key_index)
            .ok_or(StatusWord::KEY_INDEX_NOT_SUPPORTED)?;
        if purse
            .balance_fen
            .checked_add(amount_fen)
            .is_none_or(|after| after > BALANCE_FEN_MAX)
        {
            return Err(BALANCE_LIMIT_EXCEEDED.into());
        }
        if purse.online_atc == u16::MAX {
            return Err(StatusWord::COUNTER_EXHAUSTED.into());
        }
        let (balance, atc, version) = (purse.balance_fen, purse.online_atc, key.version);
        let [c0, c1] = atc.to_be_bytes();
        let input = [
            random[0], random[1], random[2], random[3], c0, c1, 0x80, 0x00,
        ];
        let session = session_key(profile, &key.key, &input);
        // JR/T 0025 load: MAC1 covers balance, amount, type 02 and terminal id.
        let mac1 = session.mac(&[
            &balance.to_be_bytes(),
            &amount_fen.to_be_bytes(),
            &[TYPE_LOAD],
            &terminal_id,
        ]);
        out.extend_from_slice(&balance.to_be_bytes());
        out.extend_from_slice(&atc.to_be_bytes());
        out.extend_from_slice(&[version, profile.algorithm_id()]);
        out.extend_from_slice(&random);
        out.extend_from_slice(&mac1);
        self.session.pending = Pending::Load(PendingLoad {
            app,
            key_index,
            amount_fen,
            terminal_id,
            atc,
            random,
        });
        Ok(())
    }

    /// `80 54 01 00 0F terminal-serial(4) date(4) time(3) MAC1(4)` → `TAC(4) MAC2(4)`.
    pub(crate) fn debit_for_purchase(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Answer {
        if command.p1 != 0x01 || command.p2 != 0x00 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let Pending::Purchase(pending) =
            core::mem::replace(&mut self.session.pending, Pending::None)
        else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        };
        let staged = self.session.staged_capp.take();
        let [s0, s1, s2, s3, d0, d1, d2, d3, h, m, s, mac1 @ ..] = command.data else {
            return Err(StatusWord::WRONG_LENGTH.into());
        };
        let (serial, date, time) = ([*s0, *s1, *s2, *s3], [*d0, *d1, *d2, *d3], [*h, *m, *s]);
        let mac1: &[u8; 4] = mac1.try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
        let profile = self.nvm.state.profile;
        let application = &self.nvm.state.applications[usize::from(pending.app)];
        let purse = application
            .purse
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let dpk = application
            .key(KeyUsage::Purchase, pending.key_index)
            .ok_or(StatusWord::KEY_INDEX_NOT_SUPPORTED)?;
        let r = pending.random;
        let [c0, c1] = pending.atc.to_be_bytes();
        let session = session_key(
            profile,
            &dpk.key,
            &[r[0], r[1], r[2], r[3], c0, c1, serial[2], serial[3]],
        );
        let amount = pending.amount_fen.to_be_bytes();
        let kind = [pending.kind];
        // JR/T 0025 purchase: MAC1 covers amount, type, terminal id, date, time.
        let expected = session.mac(&[&amount, &kind, &pending.terminal_id, &date, &time]);
        if !mac_eq(&expected, mac1) {
            return Err(StatusWord::MAC_INVALID.into());
        }
        let tac = tac_mac(profile, application)?.mac(&[
            &amount,
            &kind,
            &pending.terminal_id,
            &serial,
            &date,
            &time,
        ]);
        let mac2 = session.mac(&[&amount]);
        let balance_fen = purse
            .balance_fen
            .checked_sub(pending.amount_fen)
            .ok_or(StatusWord::INSUFFICIENT_BALANCE)?;
        let last = LastTransaction {
            kind: pending.kind,
            atc: pending.atc,
            mac2,
            tac,
        };
        let updated = Purse {
            balance_fen,
            offline_atc: pending.atc + 1,
            last: Some(last),
            ..purse
        };
        let record = LogRecord {
            atc: pending.atc,
            overdraft_limit_fen: purse.overdraft_limit_fen,
            amount_fen: pending.amount_fen,
            kind: pending.kind,
            terminal_id: pending.terminal_id,
            date,
            time,
        };
        self.push_purse_writes(pending.app, updated, &record)?;
        if let Some(staged) = staged {
            self.push_capp_write(pending.app, staged)?;
        }
        self.commit()?;
        out.extend_from_slice(&tac);
        out.extend_from_slice(&mac2);
        Ok(())
    }

    /// `80 52 00 00 0B date(4) time(3) MAC2(4)` → `TAC(4)`.
    pub(crate) fn credit_for_load(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Answer {
        if command.p1 != 0x00 || command.p2 != 0x00 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let Pending::Load(pending) = core::mem::replace(&mut self.session.pending, Pending::None)
        else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        };
        let [d0, d1, d2, d3, h, m, s, mac2 @ ..] = command.data else {
            return Err(StatusWord::WRONG_LENGTH.into());
        };
        let (date, time) = ([*d0, *d1, *d2, *d3], [*h, *m, *s]);
        let mac2: &[u8; 4] = mac2.try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
        let amount = pending.amount_fen.to_be_bytes();
        // The session key again, from the load key and INITIALIZE FOR LOAD's input: an idle
        // card holds no key schedule.
        let load_key = self.nvm.state.applications[usize::from(pending.app)]
            .key(KeyUsage::Load, pending.key_index)
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let ([r0, r1, r2, r3], [c0, c1]) = (pending.random, pending.atc.to_be_bytes());
        let session = session_key(
            self.nvm.state.profile,
            &load_key.key,
            &[r0, r1, r2, r3, c0, c1, 0x80, 0x00],
        );
        let expected = session.mac(&[&amount, &[TYPE_LOAD], &pending.terminal_id, &date, &time]);
        if !mac_eq(&expected, mac2) {
            return Err(StatusWord::MAC_INVALID.into());
        }
        let profile = self.nvm.state.profile;
        let application = &self.nvm.state.applications[usize::from(pending.app)];
        let purse = application
            .purse
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let balance_fen = purse
            .balance_fen
            .checked_add(pending.amount_fen)
            .filter(|after| *after <= BALANCE_FEN_MAX)
            .ok_or(BALANCE_LIMIT_EXCEEDED)?;
        let atc = pending.atc.to_be_bytes();
        let tac = tac_mac(profile, application)?.mac(&[
            &balance_fen.to_be_bytes(),
            &atc,
            &amount,
            &[TYPE_LOAD],
            &pending.terminal_id,
            &date,
            &time,
        ]);
        let last = LastTransaction {
            kind: TYPE_LOAD,
            atc: pending.atc,
            mac2: *mac2,
            tac,
        };
        let updated = Purse {
            balance_fen,
            online_atc: pending.atc + 1,
            last: Some(last),
            ..purse
        };
        let record = LogRecord {
            atc: pending.atc,
            overdraft_limit_fen: purse.overdraft_limit_fen,
            amount_fen: pending.amount_fen,
            kind: TYPE_LOAD,
            terminal_id: pending.terminal_id,
            date,
            time,
        };
        self.push_purse_writes(pending.app, updated, &record)?;
        self.commit()?;
        out.extend_from_slice(&tac);
        Ok(())
    }

    /// The purse and its log record: the writes every purchase and load commits together.
    fn push_purse_writes(
        &mut self,
        app: u8,
        purse: Purse,
        record: &LogRecord,
    ) -> Result<(), StatusWord> {
        let application = &self.nvm.state.applications[usize::from(app)];
        let file = application
            .file_by_sfi(LOG_SFI)
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        let EfBody::Records(log) = &application.files[file].body else {
            return Err(StatusWord::INCOMPATIBLE_FILE);
        };
        let (slot, head) = log.append_slot().ok_or(StatusWord::NOT_ENOUGH_MEMORY)?;
        self.writes.push(Write::Purse { app, purse });
        self.writes.push(Write::LogSlot {
            app,
            file: file as u8,
            slot: slot as u8,
            head,
            record: record.to_bytes(),
        });
        Ok(())
    }

    fn push_capp_write(&mut self, app: u8, staged: StagedCapp) -> Result<(), StatusWord> {
        let application = &self.nvm.state.applications[usize::from(app)];
        let EfBody::Records(records) = &application.files[usize::from(staged.file)].body else {
            return Err(StatusWord::INCOMPATIBLE_FILE);
        };
        let slot = match records.slot_of(staged.number) {
            Some(slot) => slot,
            None => {
                records
                    .append_slot()
                    .ok_or(StatusWord::NOT_ENOUGH_MEMORY)?
                    .0
            }
        };
        self.writes.push(Write::RecordSlot {
            app,
            file: staged.file,
            slot: slot as u8,
            head: records.head,
            bytes: staged.bytes,
        });
        Ok(())
    }

    /// `80 DC rec (sfi<<3) Lc record`: stages a transit record (`id(1) length(1) lock(1) data`,
    /// `length` counting the bytes after it) to commit with the compound purchase's DEBIT.
    pub(crate) fn update_capp_data_cache(&mut self, command: &CommandApdu<'_>) -> Answer {
        let Pending::Purchase(pending) = &self.session.pending else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        };
        if pending.kind != TYPE_CAPP_PURCHASE {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        }
        if command.p2 & 0x07 != 0 || command.p1 == 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let application = &self.nvm.state.applications[usize::from(pending.app)];
        let file = application
            .file_by_sfi(command.p2 >> 3)
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        let EfBody::Records(records) = &application.files[file].body else {
            return Err(StatusWord::INCOMPATIBLE_FILE.into());
        };
        let data = command.data;
        if data.len() < 3 || data.len() > usize::from(records.record_bytes_max) {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        if usize::from(data[1]) != data.len() - 2 {
            return Err(StatusWord::WRONG_DATA.into());
        }
        if records.slot_of(command.p1).is_none()
            && usize::from(command.p1) != records.slots.len() + 1
        {
            return Err(StatusWord::RECORD_NOT_FOUND.into());
        }
        self.session.staged_capp = Some(StagedCapp {
            file: file as u8,
            number: command.p1,
            bytes: data.to_vec(),
        });
        Ok(())
    }

    /// `80 5C 00 02 04` → `balance(4)`.
    pub(crate) fn get_balance(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        if command.p1 != 0x00 || command.p2 != 0x02 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let (_, _, purse) = self.purse()?;
        out.extend_from_slice(&purse.balance_fen.to_be_bytes());
        Ok(())
    }

    /// `80 5A 00 type 02 ATC` → `MAC2(4) TAC(4)` of the last transaction, if it is that one.
    pub(crate) fn get_transaction_prove(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Answer {
        if command.p1 != 0x00 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let atc = match command.data {
            [high, low] => u16::from_be_bytes([*high, *low]),
            _ => return Err(StatusWord::WRONG_LENGTH.into()),
        };
        let (_, _, purse) = self.purse()?;
        match purse.last {
            Some(last) if last.kind == command.p2 && last.atc == atc => {
                out.extend_from_slice(&last.mac2);
                out.extend_from_slice(&last.tac);
                Ok(())
            }
            _ => Err(StatusWord::PROVE_NOT_AVAILABLE.into()),
        }
    }

    /// `84 1E 00 P2 04 MAC`: blocks the selected application, temporarily (`P2 = 00`) or for
    /// good (`01`). The MAC is secure messaging under maintenance key 0 over a fresh challenge.
    pub(crate) fn application_block(&mut self, command: &CommandApdu<'_>) -> Answer {
        let state = match (command.p1, command.p2) {
            (0x00, 0x00) => AppState::Blocked,
            (0x00, 0x01) => AppState::Terminated,
            _ => return Err(StatusWord::WRONG_P1P2.into()),
        };
        self.verify_secure_messaging(command, KeyUsage::Maintenance, 0)?;
        let (app, _) = self.selected()?;
        self.session.pending = Pending::None;
        self.writes.push(Write::AppState { app, state });
        self.commit()?;
        Ok(())
    }

    /// `84 18 00 00 04 MAC`: unblocks a temporarily blocked application.
    pub(crate) fn application_unblock(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        self.verify_secure_messaging(command, KeyUsage::Maintenance, 0)?;
        let (app, application) = self.selected()?;
        if application.state == AppState::Terminated {
            return Err(StatusWord::APPLICATION_LOCKED.into());
        }
        self.writes.push(Write::AppState {
            app,
            state: AppState::Active,
        });
        self.commit()?;
        Ok(())
    }
}

/// The TAC key of an e-purse application.
fn tac_mac(
    profile: jinka_crypto::Profile,
    application: &Application,
) -> Result<MacKey, StatusWord> {
    let dtk: &Key16 = application
        .keys
        .iter()
        .find(|key| key.usage == KeyUsage::Tac)
        .map(|key| &key.key)
        .ok_or(StatusWord::DATA_NOT_FOUND)?;
    Ok(tac_key(profile, dtk))
}

//! [`SqliteClearing`]: the clearing operations over one SQLite write transaction.

use jinka_clearing::{
    Asn, CardChange, CardEntry, LoadAuthorization, LoadTransition, PurchaseIdentity, RejectReason,
    RequestId, TerminalEntry, TerminalId,
};
use jinka_record::{Date, DedupeKey, TransactionRecord};
use rusqlite::Transaction;

use crate::clearing::storage::{
    AcceptedRow, BatchKey, ClearingParty, ClearingStorage, LedgerCursor, LedgerDelta, NewBatch,
    OpenLedger, RejectedRow, StoredBatch, TransitionCause, WindowClosing,
};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::risk::storage::RiskStorage;
use crate::sqlite::card_log::{CardLog, Pending};
use crate::sqlite::{accepted_records, card_states, ledger, load_authorizations};

/// The operations on `tx`; the cards' clearing columns changed are kept in `pending` (the
/// caller appends them to the log before it commits).
pub(super) struct SqliteClearing<'a, 'c> {
    pub(super) tx: &'a Transaction<'c>,
    pub(super) log: &'a CardLog,
    pub(super) pending: &'a mut Pending,
}

impl ClearingStorage for SqliteClearing<'_, '_> {
    fn card_entry(&mut self, asn: Asn) -> Result<Option<CardEntry>, HubError> {
        card_states::card_entry(self.tx, self.log, self.pending, asn)
    }

    fn terminal_entry(&mut self, id: TerminalId) -> Result<Option<TerminalEntry>, HubError> {
        card_states::terminal_entry(self.tx, id)
    }

    fn clearing_parties(&mut self) -> Result<Vec<ClearingParty>, HubError> {
        card_states::clearing_parties(self.tx)
    }

    fn network_operator(&mut self) -> Result<Option<ParticipantId>, HubError> {
        card_states::network_operator(self.tx)
    }

    fn accepted_record(&mut self, key: &DedupeKey) -> Result<Option<TransactionRecord>, HubError> {
        accepted_records::accepted_record(self.tx, key)
    }

    fn purchase_accepted(&mut self, identity: &PurchaseIdentity) -> Result<bool, HubError> {
        accepted_records::purchase_accepted(self.tx, identity)
    }

    fn highest_serial(&mut self, terminal_id: TerminalId) -> Result<Option<u32>, HubError> {
        accepted_records::highest_serial(self.tx, terminal_id)
    }

    fn accepted_loads(&mut self, asn: Asn) -> Result<Vec<TransactionRecord>, HubError> {
        accepted_records::accepted_loads(self.tx, asn)
    }

    fn insert_accepted(&mut self, rows: &[AcceptedRow<'_>]) -> Result<(), HubError> {
        accepted_records::insert_accepted(self.tx, rows)
    }

    fn update_cards(&mut self, changes: &[CardChange]) -> Result<(), HubError> {
        card_states::update_cards(self.tx, self.log, self.pending, changes)
    }

    fn add_shadow_balance(&mut self, asn: Asn, delta_fen: i64) -> Result<(), HubError> {
        card_states::add_shadow_balance(self.tx, self.log, self.pending, asn, delta_fen)
    }

    fn lifecycle(&mut self) -> &mut dyn crate::card_operation::LifecycleStorage {
        self
    }

    fn stored_batch(
        &mut self,
        acquirer: ParticipantId,
        batch_id: &str,
    ) -> Result<Option<StoredBatch>, HubError> {
        accepted_records::stored_batch(self.tx, acquirer, batch_id)
    }

    fn insert_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchKey, HubError> {
        accepted_records::insert_batch(self.tx, batch)
    }

    fn insert_rejected(&mut self, batch: BatchKey, rows: &[RejectedRow]) -> Result<(), HubError> {
        accepted_records::insert_rejected(self.tx, batch, rows)
    }

    fn authorization(
        &mut self,
        request_id: &RequestId,
    ) -> Result<Option<LoadAuthorization>, HubError> {
        self.pending
            .loads
            .authorization(self.tx, &self.log.loads, request_id)
    }

    fn card_authorizations(
        &mut self,
        asn: Asn,
        online_atc: Option<u16>,
    ) -> Result<Vec<LoadAuthorization>, HubError> {
        self.pending
            .loads
            .card_authorizations(self.tx, &self.log.loads, asn, online_atc)
    }

    fn loaded_on(&mut self, asn: Asn, date: Date) -> Result<u64, HubError> {
        self.pending
            .loads
            .loaded_on(self.tx, &self.log.loads, asn, date)
    }

    fn insert_authorization(
        &mut self,
        authorization: &LoadAuthorization,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::insert_authorization(self.tx, authorization, now)?;
        self.pending
            .loads
            .inserted(self.tx, &self.log.loads, authorization)
    }

    fn apply_transition(
        &mut self,
        transition: &LoadTransition,
        cause: TransitionCause,
        ledger_note: Option<&str>,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::apply_transition(self.tx, transition, cause, ledger_note, now)?;
        self.pending
            .loads
            .transitioned(self.tx, &self.log.loads, transition)
    }

    fn insert_confirmation(
        &mut self,
        request_id: &RequestId,
        tac: [u8; 4],
        rejected: Option<RejectReason>,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::insert_confirmation(self.tx, request_id, tac, rejected, now)
    }

    fn overdue_authorizations(
        &mut self,
        created_before: EpochMs,
        limit: u32,
    ) -> Result<Vec<LoadAuthorization>, HubError> {
        load_authorizations::overdue_authorizations(self.tx, created_before, limit)
    }

    fn ledger_cursor(&mut self, now: EpochMs) -> Result<LedgerCursor, HubError> {
        ledger::ledger_cursor(self.tx, now)
    }

    fn add_to_ledger(&mut self, delta: &LedgerDelta) -> Result<(), HubError> {
        ledger::add_to_ledger(self.tx, delta)
    }

    fn open_ledger(&mut self, now: EpochMs) -> Result<OpenLedger, HubError> {
        ledger::open_ledger(self.tx, now)
    }

    fn close_window(&mut self, closing: &WindowClosing<'_>) -> Result<(), HubError> {
        ledger::close_window(self.tx, closing)
    }

    fn risk(&mut self) -> &mut dyn RiskStorage {
        self
    }
}

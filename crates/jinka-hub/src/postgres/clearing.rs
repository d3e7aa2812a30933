//! [`PgClearing`]: the clearing operations over one PostgreSQL write transaction.

use ::postgres::Transaction;
use jinka_clearing::{
    Asn, CardChange, CardEntry, LoadAuthorization, LoadTransition, PurchaseIdentity, RejectReason,
    RequestId, TerminalEntry, TerminalId,
};
use jinka_record::{Date, DedupeKey, TransactionRecord};

use crate::clearing::storage::{
    AcceptedRow, BatchKey, ClearingParty, ClearingStorage, LedgerCursor, LedgerDelta, NewBatch,
    OpenLedger, RejectedRow, StoredBatch, TransitionCause, WindowClosing,
};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::sql::Sql;
use crate::postgres::{accepted_records, card_states, ledger, load_authorizations};
use crate::risk::storage::RiskStorage;

/// The operations on the transaction of `sql`.
pub(super) struct PgClearing<'a, 's, 't> {
    pub(super) sql: &'a mut Sql<'s, Transaction<'t>>,
}

impl ClearingStorage for PgClearing<'_, '_, '_> {
    fn card_entry(&mut self, asn: Asn) -> Result<Option<CardEntry>, HubError> {
        card_states::card_entry(self.sql, asn)
    }

    fn terminal_entry(&mut self, id: TerminalId) -> Result<Option<TerminalEntry>, HubError> {
        card_states::terminal_entry(self.sql, id)
    }

    fn clearing_parties(&mut self) -> Result<Vec<ClearingParty>, HubError> {
        card_states::clearing_parties(self.sql)
    }

    fn network_operator(&mut self) -> Result<Option<ParticipantId>, HubError> {
        card_states::network_operator(self.sql)
    }

    fn accepted_record(&mut self, key: &DedupeKey) -> Result<Option<TransactionRecord>, HubError> {
        accepted_records::accepted_record(self.sql, key)
    }

    fn purchase_accepted(&mut self, identity: &PurchaseIdentity) -> Result<bool, HubError> {
        accepted_records::purchase_accepted(self.sql, identity)
    }

    fn highest_serial(&mut self, terminal_id: TerminalId) -> Result<Option<u32>, HubError> {
        accepted_records::highest_serial(self.sql, terminal_id)
    }

    fn accepted_loads(&mut self, asn: Asn) -> Result<Vec<TransactionRecord>, HubError> {
        accepted_records::accepted_loads(self.sql, asn)
    }

    fn insert_accepted(&mut self, rows: &[AcceptedRow<'_>]) -> Result<(), HubError> {
        accepted_records::insert_accepted(self.sql, rows)
    }

    fn update_cards(&mut self, changes: &[CardChange]) -> Result<(), HubError> {
        card_states::update_cards(self.sql, changes)
    }

    fn add_shadow_balance(&mut self, asn: Asn, delta_fen: i64) -> Result<(), HubError> {
        card_states::add_shadow_balance(self.sql, asn, delta_fen)
    }

    fn lifecycle(&mut self) -> &mut dyn crate::card_operation::LifecycleStorage {
        self
    }

    fn stored_batch(
        &mut self,
        acquirer: ParticipantId,
        batch_id: &str,
    ) -> Result<Option<StoredBatch>, HubError> {
        accepted_records::stored_batch(self.sql, acquirer, batch_id)
    }

    fn insert_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchKey, HubError> {
        accepted_records::insert_batch(self.sql, batch)
    }

    fn insert_rejected(&mut self, batch: BatchKey, rows: &[RejectedRow]) -> Result<(), HubError> {
        accepted_records::insert_rejected(self.sql, batch, rows)
    }

    fn authorization(
        &mut self,
        request_id: &RequestId,
    ) -> Result<Option<LoadAuthorization>, HubError> {
        load_authorizations::authorization(self.sql, request_id)
    }

    fn card_authorizations(
        &mut self,
        asn: Asn,
        online_atc: Option<u16>,
    ) -> Result<Vec<LoadAuthorization>, HubError> {
        load_authorizations::card_authorizations(self.sql, asn, online_atc)
    }

    fn loaded_on(&mut self, asn: Asn, date: Date) -> Result<u64, HubError> {
        load_authorizations::loaded_on(self.sql, asn, date)
    }

    fn insert_authorization(
        &mut self,
        authorization: &LoadAuthorization,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::insert_authorization(self.sql, authorization, now)
    }

    fn apply_transition(
        &mut self,
        transition: &LoadTransition,
        cause: TransitionCause,
        ledger_note: Option<&str>,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::apply_transition(self.sql, transition, cause, ledger_note, now)
    }

    fn insert_confirmation(
        &mut self,
        request_id: &RequestId,
        tac: [u8; 4],
        rejected: Option<RejectReason>,
        now: EpochMs,
    ) -> Result<(), HubError> {
        load_authorizations::insert_confirmation(self.sql, request_id, tac, rejected, now)
    }

    fn overdue_authorizations(
        &mut self,
        created_before: EpochMs,
        limit: u32,
    ) -> Result<Vec<LoadAuthorization>, HubError> {
        load_authorizations::overdue_authorizations(self.sql, created_before, limit)
    }

    fn ledger_cursor(&mut self, now: EpochMs) -> Result<LedgerCursor, HubError> {
        ledger::ledger_cursor(self.sql, now)
    }

    fn add_to_ledger(&mut self, delta: &LedgerDelta) -> Result<(), HubError> {
        ledger::add_to_ledger(self.sql, delta)
    }

    fn open_ledger(&mut self, now: EpochMs) -> Result<OpenLedger, HubError> {
        ledger::open_ledger(self.sql, now)
    }

    fn close_window(&mut self, closing: &WindowClosing<'_>) -> Result<(), HubError> {
        ledger::close_window(self.sql, closing)
    }

    fn risk(&mut self) -> &mut dyn RiskStorage {
        self
    }

    fn card_entries(&mut self, asns: &[Asn]) -> Result<Vec<CardEntry>, HubError> {
        card_states::card_entries(self.sql, asns)
    }

    fn terminal_entries(&mut self, ids: &[TerminalId]) -> Result<Vec<TerminalEntry>, HubError> {
        card_states::terminal_entries(self.sql, ids)
    }

    fn accepted_records(&mut self, keys: &[DedupeKey]) -> Result<Vec<TransactionRecord>, HubError> {
        accepted_records::accepted_records(self.sql, keys)
    }

    fn highest_serials(&mut self, ids: &[TerminalId]) -> Result<Vec<(TerminalId, u32)>, HubError> {
        accepted_records::highest_serials(self.sql, ids)
    }
}

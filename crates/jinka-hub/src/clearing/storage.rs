//! What the clearing logic reads and writes inside one database transaction: small,
//! engine-neutral operations in the clearing cores' own types, so the logic of this module runs
//! unchanged over any engine ([`crate::store::Store::clearing`] opens the transaction).
//!
//! Errors are the store's: `Unavailable` (retry), `Corrupt` (a stored value out of its
//! domain, or a write that finds the state other than the decision saw it: an invariant of
//! the hub broken, the transaction rolls back).

use jinka_clearing::{
    Asn, BatchSummary, CardChange, CardEntry, Flags, LoadAuthorization, LoadTransition,
    PurchaseIdentity, RejectReason, RequestId, TerminalEntry, TerminalId,
};
use jinka_record::{Date, DedupeKey, TransactionRecord};

use crate::amount::Amount;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::fee::FeeSchedule;
use crate::participant::ParticipantId;
use crate::risk::storage::RiskStorage;

/// A batch stored before: what tells a re-upload from a reused id, and its decisions (in
/// the form of `batch_answer::encode_decisions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredBatch {
    pub(crate) digest: [u8; 32],
    pub(crate) decisions: Vec<u8>,
}

/// The row of a newly decided batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewBatch<'a> {
    pub(crate) acquirer: ParticipantId,
    pub(crate) batch_id: &'a str,
    pub(crate) digest: [u8; 32],
    pub(crate) summary: &'a BatchSummary,
    pub(crate) window_id: u64,
    /// The decisions, 2 bytes each (`batch_answer::encode_decisions`).
    pub(crate) decisions: &'a [u8],
    pub(crate) now: EpochMs,
}

/// A stored batch's key (the engine's row id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchKey(pub(crate) i64);

/// How an accepted record reached the hub.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Delivery<'a> {
    /// Record `index` of a batch.
    Batch { batch: BatchKey, index: u32 },
    /// A terminal's online confirmation of the load `load_id`.
    Confirmation { load_id: &'a RequestId },
}

/// An accepted record to insert under its unique keys.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AcceptedRow<'a> {
    pub(crate) record: &'a TransactionRecord,
    pub(crate) flags: Flags,
    pub(crate) delivery: Delivery<'a>,
    /// The ledger transaction that cleared it (0: none, its load was posted before).
    pub(crate) transaction_id: u64,
}

/// A rejected record of a batch.
#[derive(Clone, Debug)]
pub(crate) struct RejectedRow {
    pub(crate) index: u32,
    pub(crate) reason: RejectReason,
    /// The binary form, or what was sent when it could not be read.
    pub(crate) record: Vec<u8>,
    /// Why it could not be read.
    pub(crate) detail: Option<String>,
}

/// What made a load change state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransitionCause {
    Batch(BatchKey),
    Confirmation,
    Resolver,
}

/// Where the ledger stands: its open window and its last transaction id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LedgerCursor {
    pub(crate) window_id: u64,
    pub(crate) opened_at: EpochMs,
    pub(crate) transaction_count: u64,
    pub(crate) last_transaction_id: u64,
}

/// A window line as stored: participant × source × account, with its sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LineRow {
    pub(crate) participant: u32,
    /// What it sums: a batch, the window's online loads or its card closings' refunds.
    pub(crate) origin: crate::clearing::LineOrigin,
    /// The account kind's name (`card-float`, ...).
    pub(crate) account: &'static str,
    pub(crate) entries: u64,
    pub(crate) debits_fen: u64,
    pub(crate) credits_fen: u64,
}

/// An account's totals as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AccountRow {
    pub(crate) participant: u32,
    pub(crate) account: &'static str,
    pub(crate) debits_fen: u64,
    pub(crate) credits_fen: u64,
}

/// What a clearing unit (a batch, a confirmation, a resolution) adds to the ledger: account
/// totals and window lines to add, transactions counted, the new last transaction id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LedgerDelta {
    pub(crate) window_id: u64,
    pub(crate) accounts: Vec<AccountRow>,
    pub(crate) lines: Vec<LineRow>,
    pub(crate) transaction_count: u64,
    pub(crate) last_transaction_id: u64,
}

/// The open window whole, to close it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenLedger {
    pub(crate) cursor: LedgerCursor,
    pub(crate) accounts: Vec<AccountRow>,
    pub(crate) lines: Vec<LineRow>,
}

/// A closed window to store: its report (JSON), the settlement's account totals to add and
/// the next window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WindowClosing<'a> {
    pub(crate) window_id: u64,
    pub(crate) closed_at: EpochMs,
    pub(crate) report: &'a str,
    pub(crate) settlement_accounts: Vec<AccountRow>,
    pub(crate) last_transaction_id: u64,
}

/// A participant as clearing needs it: its fees and net debit cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClearingParty {
    pub(crate) id: ParticipantId,
    pub(crate) fees: FeeSchedule,
    pub(crate) net_debit_cap: Option<Amount>,
}

/// The operations. Reads see the transaction's own writes.
pub(crate) trait ClearingStorage {
    // --- The registry as the decisions read it ---
    /// The card, with its shadow balance and counters.
    fn card_entry(&mut self, asn: Asn) -> Result<Option<CardEntry>, HubError>;
    /// The terminal.
    fn terminal_entry(&mut self, id: TerminalId) -> Result<Option<TerminalEntry>, HubError>;
    /// Every participant's fees and cap.
    fn clearing_parties(&mut self) -> Result<Vec<ClearingParty>, HubError>;
    /// The network operator (the lowest-numbered participant with the operator role).
    fn network_operator(&mut self) -> Result<Option<ParticipantId>, HubError>;

    // --- Accepted records ---
    /// The accepted record with this dedupe key: a load, or a purchase accepted before
    /// migration 016 (the counters keep the balances of later purchases' neighbours, and
    /// the engines no longer index purchases by key).
    fn accepted_record(&mut self, key: &DedupeKey) -> Result<Option<TransactionRecord>, HubError>;
    /// Whether a purchase with this identity was accepted.
    fn purchase_accepted(&mut self, identity: &PurchaseIdentity) -> Result<bool, HubError>;
    /// The highest terminal serial of the terminal's accepted purchases.
    fn highest_serial(&mut self, terminal_id: TerminalId) -> Result<Option<u32>, HubError>;
    /// The card's accepted load records.
    fn accepted_loads(&mut self, asn: Asn) -> Result<Vec<TransactionRecord>, HubError>;
    /// Inserts accepted records; a unique key taken (a load's key, a purchase's identity) is
    /// `Corrupt` (the state changed under the decision).
    fn insert_accepted(&mut self, rows: &[AcceptedRow<'_>]) -> Result<(), HubError>;
    /// Writes the cards' new shadow balances and counters, each only if its shadow balance is
    /// still the one the decisions started from (else `Corrupt`).
    fn update_cards(&mut self, changes: &[CardChange]) -> Result<(), HubError>;
    /// Adds `delta_fen` to the card's shadow balance.
    fn add_shadow_balance(&mut self, asn: Asn, delta_fen: i64) -> Result<(), HubError>;
    /// The card lifecycle's operations, in this transaction.
    fn lifecycle(&mut self) -> &mut dyn crate::card_operation::LifecycleStorage;

    // --- Batches ---
    /// The batch `batch_id` of `acquirer`, if stored.
    fn stored_batch(
        &mut self,
        acquirer: ParticipantId,
        batch_id: &str,
    ) -> Result<Option<StoredBatch>, HubError>;
    /// Stores a decided batch.
    fn insert_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchKey, HubError>;
    /// Stores a batch's rejected records.
    fn insert_rejected(&mut self, batch: BatchKey, rows: &[RejectedRow]) -> Result<(), HubError>;

    // --- Load authorizations ---
    /// The authorization of a request id.
    fn authorization(
        &mut self,
        request_id: &RequestId,
    ) -> Result<Option<LoadAuthorization>, HubError>;
    /// Every authorization of the card, at one online ATC or (`None`) all of them.
    fn card_authorizations(
        &mut self,
        asn: Asn,
        online_atc: Option<u16>,
    ) -> Result<Vec<LoadAuthorization>, HubError>;
    /// Σ of the card's authorizations not voided whose date is `date`.
    fn loaded_on(&mut self, asn: Asn, date: Date) -> Result<u64, HubError>;
    /// Stores a new (pending) authorization.
    fn insert_authorization(
        &mut self,
        authorization: &LoadAuthorization,
        now: EpochMs,
    ) -> Result<(), HubError>;
    /// Moves an authorization from `transition.from` to `transition.to` (`Corrupt` if it is
    /// not in `from`) and keeps the change with its cause; `ledger_note` says what the ledger
    /// could not do about it, if anything.
    fn apply_transition(
        &mut self,
        transition: &LoadTransition,
        cause: TransitionCause,
        ledger_note: Option<&str>,
        now: EpochMs,
    ) -> Result<(), HubError>;
    /// Keeps an online confirmation and its decision (`None`: accepted).
    fn insert_confirmation(
        &mut self,
        request_id: &RequestId,
        tac: [u8; 4],
        rejected: Option<RejectReason>,
        now: EpochMs,
    ) -> Result<(), HubError>;
    /// Pending authorizations made before `created_before`, oldest first, at most `limit`.
    fn overdue_authorizations(
        &mut self,
        created_before: EpochMs,
        limit: u32,
    ) -> Result<Vec<LoadAuthorization>, HubError>;

    // --- The ledger ---
    /// The open window (opened at `now` if there is none yet) and the last transaction id.
    fn ledger_cursor(&mut self, now: EpochMs) -> Result<LedgerCursor, HubError>;
    /// Adds a clearing unit's postings.
    fn add_to_ledger(&mut self, delta: &LedgerDelta) -> Result<(), HubError>;
    /// The open window's lines and every account, to close the window.
    fn open_ledger(&mut self, now: EpochMs) -> Result<OpenLedger, HubError>;
    /// Closes the open window and opens the next at `closing.closed_at`.
    fn close_window(&mut self, closing: &WindowClosing<'_>) -> Result<(), HubError>;

    // --- Risk control, in the same transaction ---
    /// Risk control's operations on this transaction.
    fn risk(&mut self) -> &mut dyn RiskStorage;

    // --- Many at once: what a batch's prefetch reads. The defaults read one by one; an
    // engine whose every statement is a round trip to a server reads each list in one. ---
    /// The registered cards among `asns`, in any order.
    fn card_entries(&mut self, asns: &[Asn]) -> Result<Vec<CardEntry>, HubError> {
        let mut found = Vec::with_capacity(asns.len());
        for asn in asns {
            found.extend(self.card_entry(*asn)?);
        }
        Ok(found)
    }
    /// The registered terminals among `ids`, in any order.
    fn terminal_entries(&mut self, ids: &[TerminalId]) -> Result<Vec<TerminalEntry>, HubError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(self.terminal_entry(*id)?);
        }
        Ok(found)
    }
    /// The accepted records among `keys` (as [`ClearingStorage::accepted_record`] finds
    /// them), in any order.
    fn accepted_records(&mut self, keys: &[DedupeKey]) -> Result<Vec<TransactionRecord>, HubError> {
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            found.extend(self.accepted_record(key)?);
        }
        Ok(found)
    }
    /// The highest terminal serial of each terminal among `ids` that has accepted purchases,
    /// in any order.
    fn highest_serials(&mut self, ids: &[TerminalId]) -> Result<Vec<(TerminalId, u32)>, HubError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(highest) = self.highest_serial(*id)? {
                found.push((*id, highest));
            }
        }
        Ok(found)
    }
}

//! [`Postings`]: the ledger transactions of one clearing unit (a batch, a confirmation, a
//! resolver run, a card closing's refund), built by `jinka-ledger`'s [`post_purchase`] and [`post_load`] and posted
//! into a [`Ledger`] of the unit's own that continues the stored ledger (same open window,
//! transaction ids after the stored last one). Its accounts and window lines are the unit's
//! additions, which storage adds to the stored sums in the unit's database transaction: so the
//! open window is kept as per-line sums, never as entries, and closing it reads lines only.
//!
//! Fees: a purchase bears its card issuer's interchange rate and its acquirer's network fee
//! rate, each from that participant's fee schedule in the registry (rounding: `jinka-ledger`'s
//! half up).

use jinka_ledger::{
    AccountKind, BatchId, FeeRate, FeeSchedule, Ledger, LedgerError, LedgerErrorKind, LoadParties,
    Origin, PurchaseParties, Timestamp, TransactionId, WindowId, post_load, post_purchase,
    post_refund,
};
use jinka_record::TransactionRecord;

use crate::clearing::LineOrigin;
use crate::clearing::storage::{AccountRow, ClearingParty, LedgerCursor, LedgerDelta, LineRow};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

/// A clearing unit's postings.
pub(crate) struct Postings {
    ledger: Ledger,
    cursor: LedgerCursor,
    last_id: u64,
    fees: FeeSchedule,
    network: Option<jinka_ledger::ParticipantId>,
}

/// The ledger's time of an epoch time (times before 1970 read as 1970).
pub(crate) fn timestamp(at: EpochMs) -> Timestamp {
    Timestamp::from_unix_ms(u64::try_from(at.get()).unwrap_or(0))
}

/// A ledger refusal of postings the hub built: a full window can be closed; anything else is
/// a bug.
pub(crate) fn ledger_error(error: LedgerError) -> HubError {
    match error.kind() {
        LedgerErrorKind::CloseWindowFirst => HubError::conflict(format!(
            "{error}: the operator must close the settlement window first"
        )),
        LedgerErrorKind::RejectInput => HubError::corrupt(format!("ledger: {error}")),
    }
}

fn ledger_rate(rate: crate::fee::FeeRate) -> Result<FeeRate, HubError> {
    FeeRate::new(
        rate.basis_points(),
        jinka_ledger::Amount::from_fen(rate.fixed().fen()),
    )
    .map_err(ledger_error)
}

impl Postings {
    /// Postings continuing `cursor`, with the fees of `parties` and `network` as the network
    /// operator (`None`: this unit posts no purchase).
    pub(crate) fn new(
        cursor: LedgerCursor,
        parties: &[ClearingParty],
        network: Option<ParticipantId>,
    ) -> Result<Postings, HubError> {
        let mut fees = FeeSchedule::default();
        for party in parties {
            let id = party.id.ledger();
            fees.interchange_by_issuer
                .insert(id, ledger_rate(party.fees.interchange)?);
            fees.network_fee_by_acquirer
                .insert(id, ledger_rate(party.fees.network)?);
        }
        Ok(Postings {
            ledger: Ledger::new(WindowId(cursor.window_id), timestamp(cursor.opened_at)),
            cursor,
            last_id: cursor.last_transaction_id,
            fees,
            network: network.map(ParticipantId::ledger),
        })
    }

    fn next_id(&mut self) -> Result<TransactionId, HubError> {
        let id = self
            .last_id
            .checked_add(1)
            .ok_or_else(|| HubError::corrupt("ledger: transaction ids exhausted"))?;
        Ok(TransactionId(id))
    }

    fn post(
        &mut self,
        transaction: Result<jinka_ledger::LedgerTransaction, LedgerError>,
    ) -> Result<u64, HubError> {
        let transaction = transaction.map_err(ledger_error)?;
        self.ledger.post(&transaction).map_err(ledger_error)?;
        self.last_id = transaction.id().0;
        Ok(self.last_id)
    }

    /// Posts an accepted purchase of `acquirer`'s batch `batch_id` on a card of `issuer`; the
    /// transaction id.
    pub(crate) fn purchase(
        &mut self,
        record: &TransactionRecord,
        batch_id: &BatchId,
        acquirer: ParticipantId,
        issuer: ParticipantId,
    ) -> Result<u64, HubError> {
        let network = self.network.ok_or_else(|| {
            HubError::conflict("no network operator is registered: purchases cannot be cleared")
        })?;
        let parties = PurchaseParties {
            acquirer: acquirer.ledger(),
            issuer: issuer.ledger(),
            network,
        };
        let id = self.next_id()?;
        let transaction = post_purchase(id, record, batch_id, parties, &self.fees);
        self.post(transaction)
    }

    /// Posts a load (an accepted load record, or a load the counter chain posted) that
    /// `load_agent` collected for a card of `issuer`; the transaction id.
    pub(crate) fn load(
        &mut self,
        record: &TransactionRecord,
        origin: Origin,
        load_agent: ParticipantId,
        issuer: ParticipantId,
    ) -> Result<u64, HubError> {
        let parties = LoadParties {
            load_agent: load_agent.ledger(),
            issuer: issuer.ledger(),
        };
        let id = self.next_id()?;
        let transaction = post_load(id, record, origin, parties);
        self.post(transaction)
    }

    /// Posts the refund of `amount` fen on `issuer`'s card `asn` that the card operation
    /// `operation` closed (`jinka_ledger::post_refund`); the transaction id, or `None` when
    /// there is nothing to refund.
    pub(crate) fn refund(
        &mut self,
        asn: [u8; 8],
        operation: u64,
        issuer: ParticipantId,
        amount: jinka_ledger::Amount,
    ) -> Result<Option<u64>, HubError> {
        let id = self.next_id()?;
        match post_refund(id, asn, operation, issuer.ledger(), amount) {
            Some(transaction) => self.post(Ok(transaction)).map(Some),
            None => Ok(None),
        }
    }

    /// What the unit adds to the stored ledger.
    pub(crate) fn finish(self) -> LedgerDelta {
        let accounts = self
            .ledger
            .accounts()
            .map(|(account, balance)| AccountRow {
                participant: account.participant.get(),
                account: account.kind.name(),
                debits_fen: balance.debits.fen(),
                credits_fen: balance.credits.fen(),
            })
            .collect();
        let lines = self
            .ledger
            .window()
            .lines()
            .iter()
            .map(|line| LineRow {
                participant: line.participant().get(),
                origin: LineOrigin::of(line.source()),
                account: line.account().name(),
                entries: line.entries(),
                debits_fen: line.debits().fen(),
                credits_fen: line.credits().fen(),
            })
            .collect();
        LedgerDelta {
            window_id: self.cursor.window_id,
            accounts,
            lines,
            transaction_count: self.ledger.window().transaction_count(),
            last_transaction_id: self.last_id,
        }
    }
}

/// The kind of an account name as stored (`card-float`, ...).
pub(crate) fn account_kind(name: &str) -> Option<AccountKind> {
    AccountKind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
}

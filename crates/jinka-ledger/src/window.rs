//! The open settlement window as a streaming aggregation: each transaction is added once and
//! then forgotten; what stays are the window's lines (per participant × source × account: an
//! entry count and debit and credit totals) and each participant's running position. Memory
//! grows with the number of distinct lines — batches × the participants in them — not with the
//! number of transactions, and is bounded by [`WINDOW_LINES_MAX`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account::AccountKind;
use crate::amount::{Amount, NetAmount};
use crate::entry::Side;
use crate::error::LedgerError;
use crate::participant::ParticipantId;
use crate::report::{NetDebitCaps, SettlementLine, SettlementReport, check_lines};
use crate::source::{BatchRef, LineSource, Origin, SourceRef};
use crate::timestamp::Timestamp;
use crate::transaction::LedgerTransaction;

/// Most lines an open window holds (participant × source × account). A line takes about 160
/// bytes while the window closes (its running totals and its report line; the settlement
/// bench measured a 486 MiB heap peak closing 3.0 M lines), so closing a full window peaks
/// near 330 MiB, plus about 55 bytes a line for the CSV text: well under 1 GiB. A
/// transaction that could pass it is refused with [`LedgerError::WindowFull`]: close the
/// window and post it in the next.
pub const WINDOW_LINES_MAX: usize = 2_000_000;

/// A settlement window's number. Windows are numbered in order: closing window `n` opens
/// window `n + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WindowId(pub u64);

/// One line's running totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LineTotals {
    entries: u64,
    debits: Amount,
    credits: Amount,
}

/// A source's lines, by participant and account.
type Lines = BTreeMap<(ParticipantId, AccountKind), LineTotals>;

/// The open window's aggregation. Serialized as its lines (the same [`SettlementLine`]s a
/// report lists), from which the positions are recomputed and checked when read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WindowFields", try_from = "WindowFields")]
pub struct WindowAccumulator {
    id: WindowId,
    opened_at: Timestamp,
    transaction_count: u64,
    /// Σ of the transactions' totals; bounds every line total and position (see `add`).
    total: Amount,
    positions: BTreeMap<ParticipantId, NetAmount>,
    batches: BTreeMap<BatchRef, Lines>,
    online_loads: Lines,
    card_closings: Lines,
    line_count: usize,
    /// [`WINDOW_LINES_MAX`], lowered by unit tests.
    lines_max: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFields {
    window_id: WindowId,
    opened_at_ms: Timestamp,
    transaction_count: u64,
    lines: Vec<SettlementLine>,
}

impl From<WindowAccumulator> for WindowFields {
    fn from(window: WindowAccumulator) -> WindowFields {
        WindowFields {
            window_id: window.id,
            opened_at_ms: window.opened_at,
            transaction_count: window.transaction_count,
            lines: window.lines(),
        }
    }
}

impl TryFrom<WindowFields> for WindowAccumulator {
    type Error = LedgerError;

    fn try_from(fields: WindowFields) -> Result<WindowAccumulator, LedgerError> {
        if fields.lines.len() > WINDOW_LINES_MAX {
            return Err(LedgerError::WindowFull {
                lines: fields.lines.len(),
            });
        }
        // Checks order, uniqueness and the sum to zero.
        check_lines(&fields.lines)?;
        let mut window = WindowAccumulator::new(fields.window_id, fields.opened_at_ms);
        window.transaction_count = fields.transaction_count;
        for line in fields.lines {
            let totals = LineTotals {
                entries: line.entries(),
                debits: line.debits(),
                credits: line.credits(),
            };
            window.total = window.total.checked_add(totals.debits)?;
            let position = window.positions.entry(line.participant()).or_default();
            *position = position.checked_add_net(line.net())?;
            let lines = match line.source() {
                LineSource::Batch(batch) => window.batches.entry(batch.clone()).or_default(),
                LineSource::OnlineLoads => &mut window.online_loads,
                LineSource::CardClosings => &mut window.card_closings,
            };
            lines.insert((line.participant(), line.account()), totals);
            window.line_count += 1;
        }
        if window.total.fen() > i64::MAX.unsigned_abs() {
            return Err(LedgerError::Overflow);
        }
        Ok(window)
    }
}

impl WindowAccumulator {
    /// An empty window.
    pub fn new(id: WindowId, opened_at: Timestamp) -> WindowAccumulator {
        WindowAccumulator {
            id,
            opened_at,
            transaction_count: 0,
            total: Amount::ZERO,
            positions: BTreeMap::new(),
            batches: BTreeMap::new(),
            online_loads: Lines::new(),
            card_closings: Lines::new(),
            line_count: 0,
            lines_max: WINDOW_LINES_MAX,
        }
    }

    /// The window's number.
    pub const fn id(&self) -> WindowId {
        self.id
    }

    /// When it opened.
    pub const fn opened_at(&self) -> Timestamp {
        self.opened_at
    }

    /// How many transactions it holds.
    pub const fn transaction_count(&self) -> u64 {
        self.transaction_count
    }

    /// How many lines it holds (at most [`WINDOW_LINES_MAX`]).
    pub const fn line_count(&self) -> usize {
        self.line_count
    }

    /// `participant`'s position so far: credits minus debits of its accounts in this window.
    pub fn position(&self, participant: ParticipantId) -> NetAmount {
        self.positions
            .get(&participant)
            .copied()
            .unwrap_or(NetAmount::ZERO)
    }

    /// Every participant's position so far, in participant order.
    pub fn positions(&self) -> impl Iterator<Item = (ParticipantId, NetAmount)> + '_ {
        self.positions
            .iter()
            .map(|(participant, net)| (*participant, *net))
    }

    /// Adds a record's transaction. Refuses a settlement transaction
    /// ([`LedgerError::SettlementNotPostable`]: it closes a window, it is not in one), one
    /// that could push the window past [`WINDOW_LINES_MAX`] lines
    /// ([`LedgerError::WindowFull`]) or its sums past `i64` ([`LedgerError::Overflow`]). A
    /// refused transaction changes nothing.
    pub fn add(&mut self, transaction: &LedgerTransaction) -> Result<(), LedgerError> {
        let origin = match transaction.source() {
            SourceRef::Record { origin, .. } => Some(origin),
            SourceRef::CardClosing { .. } => None,
            SourceRef::WindowClose { .. } => return Err(LedgerError::SettlementNotPostable),
        };
        let entries = transaction.entries();
        if self.line_count.saturating_add(entries.len()) > self.lines_max {
            return Err(LedgerError::WindowFull {
                lines: self.line_count,
            });
        }
        // Every line total and every position is at most the window's total (Σ of the
        // transactions' debits = Σ of their credits), so keeping that total within i64 keeps
        // every sum below within its type: the updates after this check cannot overflow.
        let total = self.total.checked_add(transaction.total())?;
        if total.fen() > i64::MAX.unsigned_abs() {
            return Err(LedgerError::Overflow);
        }
        let transaction_count = self.transaction_count.checked_add(1);
        let transaction_count = transaction_count.ok_or(LedgerError::Overflow)?;
        self.total = total;
        self.transaction_count = transaction_count;
        let lines = match origin {
            Some(Origin::Batch(batch)) => match self.batches.get_mut(batch) {
                Some(lines) => lines,
                None => self.batches.entry(batch.clone()).or_default(),
            },
            Some(Origin::OnlineLoad { .. }) => &mut self.online_loads,
            None => &mut self.card_closings,
        };
        for entry in entries {
            let participant = entry.account.participant;
            let line = lines
                .entry((participant, entry.account.kind))
                .or_insert_with(|| {
                    self.line_count += 1;
                    LineTotals::default()
                });
            line.entries += 1;
            let position = self.positions.entry(participant).or_default();
            match entry.side {
                Side::Debit => {
                    line.debits = line.debits.add_bounded(entry.amount);
                    *position = position.sub_bounded(entry.amount);
                }
                Side::Credit => {
                    line.credits = line.credits.add_bounded(entry.amount);
                    *position = position.add_bounded(entry.amount);
                }
            }
        }
        Ok(())
    }

    /// The window's lines, in report order.
    pub fn lines(&self) -> Vec<SettlementLine> {
        let batches = self
            .batches
            .iter()
            .map(|(batch, lines)| (LineSource::Batch(batch.clone()), lines));
        let online_loads = std::iter::once((LineSource::OnlineLoads, &self.online_loads));
        let card_closings = std::iter::once((LineSource::CardClosings, &self.card_closings));
        let mut all: Vec<SettlementLine> = batches
            .chain(online_loads)
            .chain(card_closings)
            .flat_map(|(source, lines)| {
                lines.iter().map(move |(&(participant, account), totals)| {
                    SettlementLine::from_totals(
                        participant,
                        source.clone(),
                        account,
                        totals.entries,
                        totals.debits,
                        totals.credits,
                    )
                })
            })
            .collect();
        all.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        all
    }

    /// The report of the window closed at `closed_at`, with `caps` applied (the window itself
    /// is left as it is: [`crate::Ledger::close_window`] then opens the next). The positions
    /// this window kept as it went must be the sums of its lines and sum to zero; anything
    /// else is a bug and stops.
    pub fn report(
        &self,
        closed_at: Timestamp,
        caps: &NetDebitCaps,
    ) -> Result<SettlementReport, LedgerError> {
        if closed_at < self.opened_at {
            return Err(LedgerError::ClosedBeforeOpened {
                opened_at_ms: self.opened_at.unix_ms(),
                closed_at_ms: closed_at.unix_ms(),
            });
        }
        let report = SettlementReport::build(
            (self.id, self.opened_at, self.transaction_count),
            closed_at,
            self.lines(),
            caps,
        );
        let kept: Vec<(ParticipantId, NetAmount)> = self.positions().collect();
        let summed: Vec<(ParticipantId, NetAmount)> = report
            .positions()
            .iter()
            .map(|position| (position.participant(), position.net()))
            .collect();
        assert_eq!(
            kept, summed,
            "window positions are not the sums of its lines"
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

    use super::*;
    use crate::fee::FeeSchedule;
    use crate::posting::{PurchaseParties, post_purchase};
    use crate::reference::BatchId;
    use crate::transaction::TransactionId;

    fn purchase(id: u64, batch: &str) -> LedgerTransaction {
        let record = TransactionRecord::new(RecordFields {
            asn: [0; 8],
            issuer_id: [0; 8],
            kind: TransactionKind::Purchase,
            amount_fen: 100,
            balance_before_fen: 100,
            atc: 0,
            terminal_id: [0; 6],
            terminal_serial: Some(0),
            date: Date::from_ymd(2026, 11, 27).unwrap(),
            time: Time::from_hms(0, 0, 0).unwrap(),
            key_version: 1,
            algorithm_id: 4,
            tac: [0; 4],
        })
        .unwrap();
        let [acquirer, issuer, network] = [2, 1, 9].map(|id| ParticipantId::new(id).unwrap());
        let parties = PurchaseParties {
            acquirer,
            issuer,
            network,
        };
        let batch = BatchId::new(batch).unwrap();
        post_purchase(
            TransactionId(id),
            &record,
            &batch,
            parties,
            &FeeSchedule::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_full_window_refuses_what_could_pass_its_limit_and_changes_nothing() {
        let mut window = WindowAccumulator::new(WindowId(1), Timestamp::from_unix_ms(0));
        window.lines_max = 9;
        window.add(&purchase(1, "B-1")).unwrap();
        window.add(&purchase(2, "B-1")).unwrap();
        assert_eq!(window.line_count(), 4);
        // 4 lines + 4 entries ≤ 9: accepted, in new lines of batch B-2.
        window.add(&purchase(3, "B-2")).unwrap();
        assert_eq!(window.line_count(), 8);
        let before = window.clone();
        let error = window.add(&purchase(4, "B-1")).unwrap_err();
        assert_eq!(error, LedgerError::WindowFull { lines: 8 });
        assert_eq!(error.kind(), crate::LedgerErrorKind::CloseWindowFirst);
        assert_eq!(window, before);
    }
}

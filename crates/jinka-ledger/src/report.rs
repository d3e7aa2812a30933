//! The settlement report of a closed window: each participant's net position, and the lines
//! it is the sum of — per participant, per batch (or the window's online loads), per account —
//! so that every figure traces back to its batch and, through the transactions' sources, to
//! its records (`hub.md` § Settlement, § Reconciliation).
//!
//! **Net debit caps.** A participant's net debit is what it owes when it is a net sender. If
//! it exceeds the participant's cap, the report flags the breach and its excess
//! ([`Position::cap_breach`]) but does not change the position: the positions are the sum of
//! records already accepted — offline purchases the cardholders already made — and refusing
//! them after the fact would break the sum to zero and lose money. What to do about a breach
//! (call collateral, suspend the participant's loads or acquiring) is the hub's decision. Loads
//! are online, so the hub can also refuse one *before* it happens with
//! [`crate::Ledger::position`] and the cap.
//!
//! The JSON form is serde's (field names below); the two CSV tables are
//! [`SettlementReport::positions_csv`] and [`SettlementReport::lines_csv`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account::AccountKind;
use crate::amount::{Amount, NetAmount};
use crate::error::LedgerError;
use crate::participant::ParticipantId;
use crate::source::LineSource;
use crate::timestamp::Timestamp;
use crate::transaction::TransactionId;
use crate::window::WindowId;

/// Net debit caps by participant; a participant without one has no cap.
pub type NetDebitCaps = BTreeMap<ParticipantId, Amount>;

/// Which way money goes for a participant at settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The participant is paid its (positive) position.
    NetReceiver,
    /// The participant pays the size of its (negative) position.
    NetSender,
    /// Nothing moves.
    Zero,
}

impl Direction {
    /// The direction of a position.
    pub const fn of(position: NetAmount) -> Direction {
        match position.fen() {
            1.. => Direction::NetReceiver,
            0 => Direction::Zero,
            _ => Direction::NetSender,
        }
    }

    /// `net-receiver`, `net-sender` or `zero`.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::NetReceiver => "net-receiver",
            Direction::NetSender => "net-sender",
            Direction::Zero => "zero",
        }
    }
}

/// One participant's net position in a window: credits minus debits of all its accounts.
///
/// JSON: `{"participant":2,"position_fen":-7465,"direction":"net-sender",
/// "net_debit_cap_fen":5000,"cap_breach_fen":2465}` (the cap and breach `null` when none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "PositionFields", try_from = "PositionFields")]
pub struct Position {
    participant: ParticipantId,
    net: NetAmount,
    net_debit_cap: Option<Amount>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionFields {
    participant: ParticipantId,
    position_fen: NetAmount,
    direction: Direction,
    net_debit_cap_fen: Option<Amount>,
    cap_breach_fen: Option<Amount>,
}

impl From<Position> for PositionFields {
    fn from(position: Position) -> PositionFields {
        PositionFields {
            participant: position.participant,
            position_fen: position.net,
            direction: position.direction(),
            net_debit_cap_fen: position.net_debit_cap,
            cap_breach_fen: position.cap_breach(),
        }
    }
}

impl TryFrom<PositionFields> for Position {
    type Error = LedgerError;

    fn try_from(fields: PositionFields) -> Result<Position, LedgerError> {
        let position = Position {
            participant: fields.participant,
            net: fields.position_fen,
            net_debit_cap: fields.net_debit_cap_fen,
        };
        if position.direction() != fields.direction {
            return Err(LedgerError::InconsistentState(
                "direction does not match position",
            ));
        }
        if position.cap_breach() != fields.cap_breach_fen {
            return Err(LedgerError::InconsistentState(
                "cap breach does not match position and cap",
            ));
        }
        Ok(position)
    }
}

impl Position {
    /// The participant.
    pub const fn participant(&self) -> ParticipantId {
        self.participant
    }

    /// Its net position: positive, it is paid; negative, it pays.
    pub const fn net(&self) -> NetAmount {
        self.net
    }

    /// Which way money goes.
    pub const fn direction(&self) -> Direction {
        Direction::of(self.net)
    }

    /// Its net debit cap, if it has one.
    pub const fn net_debit_cap(&self) -> Option<Amount> {
        self.net_debit_cap
    }

    /// By how much its net debit exceeds its cap, if it does.
    pub fn cap_breach(&self) -> Option<Amount> {
        let cap = self.net_debit_cap?;
        let debit = self.net.deficit();
        debit
            .checked_sub(cap)
            .ok()
            .filter(|excess| *excess > Amount::ZERO)
    }
}

/// The part of a participant's position from one source (batch or online loads) on one of its
/// accounts. Its entry count is its record count: every record posts one entry to each of its
/// accounts.
///
/// JSON: `{"participant":1,"origin":"batch","acquirer":2,"batch_id":"B-0001",
/// "account":"card-float","entries":2,"debit_fen":2550,"credit_fen":0,"net_fen":-2550}`
/// (`{"participant":1,"origin":"online-loads",...}` for online loads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "LineFields", try_from = "LineFields")]
pub struct SettlementLine {
    participant: ParticipantId,
    source: LineSource,
    account: AccountKind,
    entries: u64,
    debits: Amount,
    credits: Amount,
}

#[derive(Serialize, Deserialize)]
struct LineFields {
    participant: ParticipantId,
    #[serde(flatten)]
    source: LineSource,
    account: AccountKind,
    entries: u64,
    debit_fen: Amount,
    credit_fen: Amount,
    net_fen: NetAmount,
}

impl From<SettlementLine> for LineFields {
    fn from(line: SettlementLine) -> LineFields {
        LineFields {
            net_fen: line.net(),
            participant: line.participant,
            source: line.source,
            account: line.account,
            entries: line.entries,
            debit_fen: line.debits,
            credit_fen: line.credits,
        }
    }
}

impl TryFrom<LineFields> for SettlementLine {
    type Error = LedgerError;

    fn try_from(fields: LineFields) -> Result<SettlementLine, LedgerError> {
        let line = SettlementLine::new(
            fields.participant,
            fields.source,
            fields.account,
            fields.entries,
            fields.debit_fen,
            fields.credit_fen,
        )?;
        if line.net() != fields.net_fen {
            return Err(LedgerError::InconsistentState(
                "net is not credits minus debits",
            ));
        }
        Ok(line)
    }
}

impl SettlementLine {
    /// A line; its net (credits − debits) must fit `i64`.
    pub(crate) fn new(
        participant: ParticipantId,
        source: LineSource,
        account: AccountKind,
        entries: u64,
        debits: Amount,
        credits: Amount,
    ) -> Result<SettlementLine, LedgerError> {
        NetAmount::difference(credits, debits)?;
        Ok(SettlementLine {
            participant,
            source,
            account,
            entries,
            debits,
            credits,
        })
    }

    /// A line of an open window, whose totals are bounded by the window's total (within
    /// `i64`), so its net fits.
    pub(crate) fn from_totals(
        participant: ParticipantId,
        source: LineSource,
        account: AccountKind,
        entries: u64,
        debits: Amount,
        credits: Amount,
    ) -> SettlementLine {
        SettlementLine {
            participant,
            source,
            account,
            entries,
            debits,
            credits,
        }
    }

    /// Whose line.
    pub const fn participant(&self) -> ParticipantId {
        self.participant
    }

    /// The batch (or the online loads) it sums.
    pub const fn source(&self) -> &LineSource {
        &self.source
    }

    /// The participant's account it sums.
    pub const fn account(&self) -> AccountKind {
        self.account
    }

    /// How many entries (= records) it sums.
    pub const fn entries(&self) -> u64 {
        self.entries
    }

    /// Sum of their debits.
    pub const fn debits(&self) -> Amount {
        self.debits
    }

    /// Sum of their credits.
    pub const fn credits(&self) -> Amount {
        self.credits
    }

    /// Credits minus debits: the line's part of the participant's position.
    pub fn net(&self) -> NetAmount {
        // `new` checked that it fits.
        NetAmount::difference(self.credits, self.debits).unwrap_or(NetAmount::ZERO)
    }

    /// The order reports list lines in: participant, source, account.
    pub(crate) fn sort_key(&self) -> (ParticipantId, &LineSource, AccountKind) {
        (self.participant, &self.source, self.account)
    }
}

/// What closing a window produced: each participant's net position, the lines behind them,
/// and the window's facts. Positions sum to zero and each is the sum of its lines; the only
/// constructors (closing a window, and deserialization) check it.
///
/// JSON: `{"window_id":7,"opened_at_ms":..,"closed_at_ms":..,"transaction_count":3,
/// "settlement_transaction_id":104,"positions":[..],"lines":[..]}`, positions in participant
/// order, lines in (participant, source, account) order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReportFields")]
pub struct SettlementReport {
    window_id: WindowId,
    #[serde(rename = "opened_at_ms")]
    opened_at: Timestamp,
    #[serde(rename = "closed_at_ms")]
    closed_at: Timestamp,
    transaction_count: u64,
    settlement_transaction_id: Option<TransactionId>,
    positions: Vec<Position>,
    lines: Vec<SettlementLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportFields {
    window_id: WindowId,
    opened_at_ms: Timestamp,
    closed_at_ms: Timestamp,
    transaction_count: u64,
    settlement_transaction_id: Option<TransactionId>,
    positions: Vec<Position>,
    lines: Vec<SettlementLine>,
}

impl TryFrom<ReportFields> for SettlementReport {
    type Error = LedgerError;

    fn try_from(fields: ReportFields) -> Result<SettlementReport, LedgerError> {
        if fields.closed_at_ms < fields.opened_at_ms {
            return Err(LedgerError::InconsistentState("closed before it opened"));
        }
        let sums = positions_of(&fields.lines).map_err(LedgerError::InconsistentState)?;
        let agree = sums.len() == fields.positions.len()
            && sums
                .iter()
                .zip(&fields.positions)
                .all(|((participant, net), position)| {
                    position.participant == *participant && position.net == *net
                });
        if !agree {
            return Err(LedgerError::InconsistentState(
                "positions are not the sums of their lines",
            ));
        }
        Ok(SettlementReport {
            window_id: fields.window_id,
            opened_at: fields.opened_at_ms,
            closed_at: fields.closed_at_ms,
            transaction_count: fields.transaction_count,
            settlement_transaction_id: fields.settlement_transaction_id,
            positions: fields.positions,
            lines: fields.lines,
        })
    }
}

/// Checks lines read back: in report order, once each, summing to zero.
pub(crate) fn check_lines(lines: &[SettlementLine]) -> Result<(), LedgerError> {
    positions_of(lines)
        .map(|_| ())
        .map_err(LedgerError::InconsistentState)
}

/// Each participant's position as the sum of its lines, in participant order, after checking
/// that the lines are in report order without repeats and that the positions sum to zero.
fn positions_of(lines: &[SettlementLine]) -> Result<Vec<(ParticipantId, NetAmount)>, &'static str> {
    if !lines
        .windows(2)
        .all(|pair| matches!(pair, [a, b] if a.sort_key() < b.sort_key()))
    {
        return Err("lines are not in (participant, source, account) order, once each");
    }
    let mut positions: Vec<(ParticipantId, NetAmount)> = Vec::new();
    let mut sum = 0i128;
    for line in lines {
        let net = line.net();
        sum += i128::from(net.fen());
        match positions.last_mut() {
            Some((participant, position)) if *participant == line.participant => {
                *position = position
                    .checked_add_net(net)
                    .map_err(|_| "a position overflows")?;
            }
            _ => positions.push((line.participant, net)),
        }
    }
    if sum != 0 {
        return Err("positions do not sum to zero");
    }
    Ok(positions)
}

impl SettlementReport {
    /// The report of a window from its lines (in report order). The lines come from balanced
    /// transactions, so they sum to zero: if not, that is a bug and this stops.
    pub(crate) fn build(
        window: (WindowId, Timestamp, u64),
        closed_at: Timestamp,
        lines: Vec<SettlementLine>,
        caps: &NetDebitCaps,
    ) -> SettlementReport {
        let (window_id, opened_at, transaction_count) = window;
        let positions = match positions_of(&lines) {
            Ok(positions) => positions,
            Err(reason) => panic!("window {window_id:?} from balanced transactions: {reason}"),
        };
        let positions = positions
            .into_iter()
            .map(|(participant, net)| Position {
                participant,
                net,
                net_debit_cap: caps.get(&participant).copied(),
            })
            .collect();
        SettlementReport {
            window_id,
            opened_at,
            closed_at,
            transaction_count,
            settlement_transaction_id: None,
            positions,
            lines,
        }
    }

    /// Records the id of the settlement transaction that pays the positions.
    pub(crate) fn set_settlement_transaction_id(&mut self, id: TransactionId) {
        self.settlement_transaction_id = Some(id);
    }

    /// The window.
    pub const fn window_id(&self) -> WindowId {
        self.window_id
    }

    /// When the window opened.
    pub const fn opened_at(&self) -> Timestamp {
        self.opened_at
    }

    /// When it closed.
    pub const fn closed_at(&self) -> Timestamp {
        self.closed_at
    }

    /// How many transactions it held.
    pub const fn transaction_count(&self) -> u64 {
        self.transaction_count
    }

    /// The settlement transaction that pays the positions; `None` when every position is zero.
    pub const fn settlement_transaction_id(&self) -> Option<TransactionId> {
        self.settlement_transaction_id
    }

    /// Every participant with entries in the window, in participant order.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The position of `participant`, if it had entries in the window.
    pub fn position(&self, participant: ParticipantId) -> Option<&Position> {
        self.positions
            .binary_search_by_key(&participant, |position| position.participant)
            .ok()
            .and_then(|index| self.positions.get(index))
    }

    /// The positions whose net debit exceeds the participant's cap.
    pub fn cap_breaches(&self) -> impl Iterator<Item = &Position> {
        self.positions
            .iter()
            .filter(|position| position.cap_breach().is_some())
    }

    /// The lines, in (participant, source, account) order.
    pub fn lines(&self) -> &[SettlementLine] {
        &self.lines
    }
}

//! The settlement report as two CSV tables, written by hand so that the text is fixed:
//! columns in the order of the header constants, rows in the report's order, integers in fen,
//! empty cells for "none", `\n` line ends, a header row first. No cell needs quoting: ids and
//! names are digits, ASCII words or batch ids, whose characters exclude `,`, `"` and line
//! breaks ([`crate::BatchId`]).

use core::fmt::{self, Write};

use crate::report::SettlementReport;
use crate::source::LineSource;

/// The header of [`SettlementReport::positions_csv`]: one row per participant. `direction` is
/// `net-receiver`, `net-sender` or `zero`; `net_debit_cap_fen` is empty without a cap,
/// `cap_breach_fen` empty without a breach.
pub const POSITIONS_CSV_HEADER: &str =
    "window_id,participant,position_fen,direction,net_debit_cap_fen,cap_breach_fen";

/// The header of [`SettlementReport::lines_csv`]: one row per participant × source × account.
/// `origin` is `batch` (then `acquirer` and `batch_id` name the batch) or `online-loads` (both
/// empty); `account` is an [`crate::AccountKind`] name; `entries` is the number of records.
pub const LINES_CSV_HEADER: &str =
    "window_id,participant,origin,acquirer,batch_id,account,entries,debit_fen,credit_fen,net_fen";

/// An optional cell: the value, or nothing.
struct Cell<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for Cell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => Ok(()),
        }
    }
}

impl SettlementReport {
    /// Writes the positions table ([`POSITIONS_CSV_HEADER`]).
    pub fn write_positions_csv(&self, out: &mut impl Write) -> fmt::Result {
        writeln!(out, "{POSITIONS_CSV_HEADER}")?;
        let window = self.window_id().0;
        for position in self.positions() {
            writeln!(
                out,
                "{window},{},{},{},{},{}",
                position.participant(),
                position.net(),
                position.direction().name(),
                Cell(position.net_debit_cap()),
                Cell(position.cap_breach()),
            )?;
        }
        Ok(())
    }

    /// Writes the lines table ([`LINES_CSV_HEADER`]).
    pub fn write_lines_csv(&self, out: &mut impl Write) -> fmt::Result {
        writeln!(out, "{LINES_CSV_HEADER}")?;
        let window = self.window_id().0;
        for line in self.lines() {
            let (origin, acquirer, batch_id) = match line.source() {
                LineSource::Batch(batch) => ("batch", Some(batch.acquirer), Some(&batch.batch_id)),
                LineSource::OnlineLoads => ("online-loads", None, None),
                LineSource::CardClosings => ("card-closings", None, None),
            };
            writeln!(
                out,
                "{window},{},{origin},{},{},{},{},{},{},{}",
                line.participant(),
                Cell(acquirer),
                Cell(batch_id),
                line.account().name(),
                line.entries(),
                line.debits(),
                line.credits(),
                line.net(),
            )?;
        }
        Ok(())
    }

    /// The positions table ([`POSITIONS_CSV_HEADER`]).
    pub fn positions_csv(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_positions_csv(&mut out);
        out
    }

    /// The lines table ([`LINES_CSV_HEADER`]).
    pub fn lines_csv(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_lines_csv(&mut out);
        out
    }
}

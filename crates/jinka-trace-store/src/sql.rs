//! The few SQL operations the capture and query logic needs, so that it is written once for
//! both engines: statements with `$1`, `$2`, … placeholders (PostgreSQL's spelling; the
//! SQLite engine turns them into `?1`, `?2`, …), parameters and cells of four kinds.
//!
//! Integers are 64-bit (`INTEGER` in SQLite, `BIGINT` in PostgreSQL), byte strings are
//! `BLOB` / `BYTEA` (compared byte by byte on both engines, which is what the order keys
//! need), text is `TEXT` and is never used for ordering (PostgreSQL would compare it by its
//! collation).

use crate::error::StoreError;

/// A statement parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Int(i64),
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    Blob(&'a [u8]),
}

/// A parameter that owns its value, for statements built at run time.
#[derive(Clone, Debug)]
pub(crate) enum OwnedParam {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl OwnedParam {
    pub(crate) fn as_param(&self) -> Param<'_> {
        match self {
            OwnedParam::Int(value) => Param::Int(*value),
            OwnedParam::Text(value) => Param::Text(value),
            OwnedParam::Blob(value) => Param::Blob(value),
        }
    }
}

/// A value read from a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// One row of a result.
pub(crate) type Row = Vec<Cell>;

/// A transaction of one engine.
pub(crate) trait Sql {
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;
    /// Runs a query and returns its rows.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError>;
    /// Runs an `INSERT` into a table whose integer key `key` the engine assigns: the key, or
    /// `None` if the insert (`ON CONFLICT DO NOTHING`) inserted nothing. (SQLite reads the
    /// row id back, cheaper than a `RETURNING` clause; PostgreSQL adds one.)
    fn insert_returning(
        &mut self,
        sql: &'static str,
        key: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<i64>, StoreError>;
}

/// Reads the cells of a row that must be in their domain; a wrong one is corrupt data.
pub(crate) struct Cells<'a> {
    table: &'static str,
    cells: std::slice::Iter<'a, Cell>,
}

impl<'a> Cells<'a> {
    pub(crate) fn new(table: &'static str, row: &'a Row) -> Cells<'a> {
        Cells {
            table,
            cells: row.iter(),
        }
    }

    fn next(&mut self) -> Result<&'a Cell, StoreError> {
        self.cells
            .next()
            .ok_or_else(|| StoreError::corrupt(format!("{}: a column is missing", self.table)))
    }

    fn wrong(&self, expected: &str) -> StoreError {
        StoreError::corrupt(format!("{}: a column is not {expected}", self.table))
    }

    pub(crate) fn int(&mut self) -> Result<i64, StoreError> {
        match self.next()? {
            Cell::Int(value) => Ok(*value),
            _ => Err(self.wrong("an integer")),
        }
    }

    pub(crate) fn text(&mut self) -> Result<&'a str, StoreError> {
        match self.next()? {
            Cell::Text(value) => Ok(value),
            _ => Err(self.wrong("text")),
        }
    }

    pub(crate) fn opt_text(&mut self) -> Result<Option<&'a str>, StoreError> {
        match self.next()? {
            Cell::Null => Ok(None),
            Cell::Text(value) => Ok(Some(value)),
            _ => Err(self.wrong("text or NULL")),
        }
    }

    pub(crate) fn blob(&mut self) -> Result<&'a [u8], StoreError> {
        match self.next()? {
            Cell::Blob(value) => Ok(value),
            _ => Err(self.wrong("bytes")),
        }
    }
}

/// Rows per multi-row `INSERT` (each row takes up to 6 parameters: well under SQLite's
/// 32,766 and PostgreSQL's 65,535).
const INSERT_ROWS_MAX: usize = 500;

/// `{head} VALUES (...), (...), ... {tail}` for the rows of `width` parameters each in
/// `params`, in statements of at most [`INSERT_ROWS_MAX`] rows: one statement where a row
/// each would cost a statement each. The text of each shape is made once per thread.
pub(crate) fn insert_rows(
    sql: &mut dyn Sql,
    head: &'static str,
    width: usize,
    params: &[Param<'_>],
    tail: &'static str,
) -> Result<(), StoreError> {
    thread_local! {
        static TEXTS: std::cell::RefCell<std::collections::HashMap<(&'static str, usize), String>> =
            std::cell::RefCell::default();
    }
    debug_assert!(
        width > 0 && params.len().is_multiple_of(width),
        "whole rows"
    );
    for chunk in params.chunks(width * INSERT_ROWS_MAX) {
        let rows = chunk.len() / width;
        let statement = TEXTS.with_borrow_mut(|texts| {
            texts
                .entry((head, rows))
                .or_insert_with(|| insert_text(head, width, rows, tail))
                .clone()
        });
        sql.execute(&statement, chunk)?;
    }
    Ok(())
}

fn insert_text(head: &str, width: usize, rows: usize, tail: &str) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(head.len() + tail.len() + rows * width * 6);
    text.push_str(head);
    text.push_str(" VALUES ");
    for row in 0..rows {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            let separator = if column > 0 { ", " } else { "" };
            let _ = write!(text, "{separator}${}", row * width + column + 1);
        }
        text.push(')');
    }
    text.push(' ');
    text.push_str(tail);
    text
}

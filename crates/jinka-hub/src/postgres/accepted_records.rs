//! Rows of `batches`, `accepted_records` and `rejected_records`. Accepted records go in by
//! binary `COPY` (a batch's thousands of rows encoded here and sent as one stream), rejected
//! ones by one insert of arrays.

use std::io::Write;

use ::postgres::Transaction;
use jinka_clearing::{PurchaseIdentity, TerminalId};
use jinka_record::{CounterKind, DedupeKey, TransactionRecord};

use crate::clearing::flag_bits;
use crate::clearing::storage::{
    AcceptedRow, BatchKey, Delivery, NewBatch, RejectedRow, StoredBatch,
};
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::sql::{Sql, get};
use crate::postgres::storage_error;
use crate::sqlite::accepted_records::{decoded, kind_column};

/// Fewer accepted rows than this go in by `INSERT`s (a `COPY` costs a round trip more).
pub(crate) const COPY_ROWS_MIN: usize = 16;

/// The binary `COPY` format's signature, flags (none) and header extension length (none).
const COPY_HEADER: &[u8; 19] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count that ends a binary `COPY` stream.
const COPY_TRAILER: i16 = -1;
/// The columns of an accepted row, as [`copy_row`] writes them.
const ACCEPTED_COLUMNS: i16 = 11;

fn to_column(value: u64, what: &str) -> Result<i64, HubError> {
    i64::try_from(value).map_err(|_| HubError::corrupt(format!("{what} overflows a column")))
}

/// The accepted load with this key, or the purchase accepted before migration 016 (later
/// purchases are not indexed by key: the counters keep their neighbours' balances).
pub(super) fn accepted_record(
    sql: &mut Sql<'_, Transaction<'_>>,
    key: &DedupeKey,
) -> Result<Option<TransactionRecord>, HubError> {
    let query = match key.counter_kind {
        CounterKind::Online => {
            "SELECT record FROM accepted_records WHERE asn = $1 AND counter_kind = 1 AND atc = $2"
        }
        CounterKind::Offline => {
            "SELECT record FROM accepted_purchases_before_016 WHERE asn = $1 AND atc = $2"
        }
    };
    let row = sql.query_opt(query, &[&key.asn.as_slice(), &i64::from(key.atc)])?;
    let bytes: Option<Vec<u8>> = row.map(|row| get(&row, 0)).transpose()?;
    bytes.as_deref().map(decoded).transpose()
}

/// The accepted records of `keys` that are stored (as [`accepted_record`] finds them), in no
/// order.
pub(super) fn accepted_records(
    sql: &mut Sql<'_, Transaction<'_>>,
    keys: &[DedupeKey],
) -> Result<Vec<TransactionRecord>, HubError> {
    let mut found = Vec::with_capacity(keys.len());
    for (kind, query) in [
        (
            CounterKind::Online,
            "SELECT a.record FROM unnest($1::bytea[], $2::bigint[]) AS k (asn, atc)
             JOIN accepted_records a
                ON a.asn = k.asn AND a.counter_kind = 1 AND a.atc = k.atc",
        ),
        (
            CounterKind::Offline,
            "SELECT a.record FROM unnest($1::bytea[], $2::bigint[]) AS k (asn, atc)
             JOIN accepted_purchases_before_016 a ON a.asn = k.asn AND a.atc = k.atc",
        ),
    ] {
        let of_kind = || keys.iter().filter(|key| key.counter_kind == kind);
        let asns: Vec<&[u8]> = of_kind().map(|key| key.asn.as_slice()).collect();
        if asns.is_empty() {
            continue;
        }
        let atcs: Vec<i64> = of_kind().map(|key| i64::from(key.atc)).collect();
        for row in sql.query(query, &[&asns, &atcs])? {
            found.push(decoded(&get::<Vec<u8>>(&row, 0)?)?);
        }
    }
    Ok(found)
}

pub(super) fn purchase_accepted(
    sql: &mut Sql<'_, Transaction<'_>>,
    identity: &PurchaseIdentity,
) -> Result<bool, HubError> {
    let row = sql.query_opt(
        "SELECT 1 FROM accepted_records
         WHERE terminal_id = $2 AND terminal_serial = $3 AND asn = $1 AND counter_kind = 0",
        &[
            &identity.asn.bytes().as_slice(),
            &identity.terminal_id.bytes().as_slice(),
            &i64::from(identity.terminal_serial),
        ],
    )?;
    Ok(row.is_some())
}

fn serial(value: Option<i64>) -> Result<Option<u32>, HubError> {
    value
        .map(|serial| {
            u32::try_from(serial)
                .map_err(|_| HubError::corrupt("table accepted_records: terminal_serial"))
        })
        .transpose()
}

pub(super) fn highest_serial(
    sql: &mut Sql<'_, Transaction<'_>>,
    terminal_id: TerminalId,
) -> Result<Option<u32>, HubError> {
    let row = sql.query_one(
        "SELECT max(terminal_serial) FROM accepted_records
         WHERE terminal_id = $1 AND counter_kind = 0",
        &[&terminal_id.bytes().as_slice()],
    )?;
    serial(get(&row, 0)?)
}

/// The highest terminal serial of each terminal of `ids` with accepted purchases.
pub(super) fn highest_serials(
    sql: &mut Sql<'_, Transaction<'_>>,
    ids: &[TerminalId],
) -> Result<Vec<(TerminalId, u32)>, HubError> {
    let ids: Vec<[u8; 6]> = ids.iter().map(|id| id.bytes()).collect();
    let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_slice()).collect();
    let rows = sql.query(
        "SELECT t.terminal_id, (SELECT max(a.terminal_serial) FROM accepted_records a
                WHERE a.terminal_id = t.terminal_id AND a.counter_kind = 0)
         FROM unnest($1::bytea[]) AS t (terminal_id)",
        &[&keys],
    )?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Vec<u8> = get(row, 0)?;
        let id = <[u8; 6]>::try_from(id.as_slice())
            .map_err(|_| HubError::corrupt("a terminal id read back changed length"))?;
        if let Some(highest) = serial(get(row, 1)?)? {
            found.push((TerminalId::new(id), highest));
        }
    }
    Ok(found)
}

pub(super) fn accepted_loads(
    sql: &mut Sql<'_, Transaction<'_>>,
    asn: jinka_clearing::Asn,
) -> Result<Vec<TransactionRecord>, HubError> {
    let rows = sql.query(
        "SELECT record FROM accepted_records WHERE asn = $1 AND counter_kind = 1",
        &[&asn.bytes().as_slice()],
    )?;
    rows.iter()
        .map(|row| decoded(&get::<Vec<u8>>(row, 0)?))
        .collect()
}

/// An accepted row's columns, as both ways of inserting take them.
struct Columns<'a> {
    record: &'a TransactionRecord,
    kind: i64,
    atc: i64,
    serial: Option<i64>,
    encoded: [u8; jinka_record::RECORD_BYTES],
    flags: i64,
    batch: Option<i64>,
    index: Option<i64>,
    load_id: Option<&'a str>,
    transaction_id: i64,
}

fn columns<'a>(row: &AcceptedRow<'a>) -> Result<Columns<'a>, HubError> {
    let record = row.record;
    let (batch, index, load_id) = match row.delivery {
        Delivery::Batch { batch, index } => (Some(batch.0), Some(i64::from(index)), None),
        Delivery::Confirmation { load_id } => (None, None, Some(load_id.as_str())),
    };
    Ok(Columns {
        record,
        kind: kind_column(record.counter_kind()),
        atc: i64::from(record.atc()),
        serial: record.terminal_serial().map(i64::from),
        encoded: record.encode(),
        flags: i64::from(flag_bits(row.flags)),
        batch,
        index,
        load_id,
        transaction_id: to_column(row.transaction_id, "a transaction id")?,
    })
}

pub(super) fn insert_accepted(
    sql: &mut Sql<'_, Transaction<'_>>,
    rows: &[AcceptedRow<'_>],
) -> Result<(), HubError> {
    if rows.len() < COPY_ROWS_MIN {
        for row in rows {
            let c = columns(row)?;
            sql.execute(
                "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id,
                    terminal_serial, record, flags, batch, record_index, load_id, transaction_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    &c.record.asn().as_slice(),
                    &c.kind,
                    &c.atc,
                    &c.record.terminal_id().as_slice(),
                    &c.serial,
                    &c.encoded.as_slice(),
                    &c.flags,
                    &c.batch,
                    &c.index,
                    &c.load_id,
                    &c.transaction_id,
                ],
            )?;
        }
        return Ok(());
    }
    // About 160 bytes a row.
    let mut stream = Vec::with_capacity(COPY_HEADER.len() + rows.len() * 160 + 2);
    stream.extend_from_slice(COPY_HEADER);
    for row in rows {
        copy_row(&mut stream, &columns(row)?)?;
    }
    stream.extend_from_slice(&COPY_TRAILER.to_be_bytes());
    let mut copy = sql
        .client()
        .copy_in(
            "COPY accepted_records (asn, counter_kind, atc, terminal_id, terminal_serial, record,
                flags, batch, record_index, load_id, transaction_id) FROM STDIN (FORMAT binary)",
        )
        .map_err(storage_error)?;
    copy.write_all(&stream)
        .map_err(|error| HubError::Unavailable {
            reason: format!("postgresql: sending accepted records: {error}"),
        })?;
    copy.finish().map_err(storage_error)?;
    Ok(())
}

/// A field of a binary `COPY` row: its length, then its bytes (the server checks them
/// against the column's type).
fn copy_field(stream: &mut Vec<u8>, bytes: &[u8]) -> Result<(), HubError> {
    let length = i32::try_from(bytes.len())
        .map_err(|_| HubError::corrupt("a field too long for a COPY row"))?;
    stream.extend_from_slice(&length.to_be_bytes());
    stream.extend_from_slice(bytes);
    Ok(())
}

/// A `bigint` field, or NULL.
fn copy_bigint(stream: &mut Vec<u8>, value: Option<i64>) -> Result<(), HubError> {
    match value {
        Some(value) => copy_field(stream, &value.to_be_bytes()),
        None => {
            stream.extend_from_slice(&(-1i32).to_be_bytes());
            Ok(())
        }
    }
}

/// An accepted row in the binary `COPY` format, columns in the `COPY` statement's order.
fn copy_row(stream: &mut Vec<u8>, c: &Columns<'_>) -> Result<(), HubError> {
    stream.extend_from_slice(&ACCEPTED_COLUMNS.to_be_bytes());
    copy_field(stream, &c.record.asn())?;
    copy_bigint(stream, Some(c.kind))?;
    copy_bigint(stream, Some(c.atc))?;
    copy_field(stream, &c.record.terminal_id())?;
    copy_bigint(stream, c.serial)?;
    copy_field(stream, &c.encoded)?;
    copy_bigint(stream, Some(c.flags))?;
    copy_bigint(stream, c.batch)?;
    copy_bigint(stream, c.index)?;
    match c.load_id {
        Some(load_id) => copy_field(stream, load_id.as_bytes())?,
        None => stream.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    copy_bigint(stream, Some(c.transaction_id))
}

pub(super) fn stored_batch(
    sql: &mut Sql<'_, Transaction<'_>>,
    acquirer: ParticipantId,
    batch_id: &str,
) -> Result<Option<StoredBatch>, HubError> {
    let row = sql.query_opt(
        "SELECT digest, decisions FROM batches WHERE acquirer_id = $1 AND batch_id = $2",
        &[&i64::from(acquirer.get()), &batch_id],
    )?;
    row.map(|row| {
        let digest: Vec<u8> = get(&row, 0)?;
        let digest = <[u8; 32]>::try_from(digest.as_slice())
            .map_err(|_| HubError::corrupt("table batches: digest"))?;
        Ok(StoredBatch {
            digest,
            decisions: get(&row, 1)?,
        })
    })
    .transpose()
}

pub(super) fn insert_batch(
    sql: &mut Sql<'_, Transaction<'_>>,
    batch: &NewBatch<'_>,
) -> Result<BatchKey, HubError> {
    let summary = batch.summary;
    let row = sql.query_one(
        "INSERT INTO batches (acquirer_id, batch_id, digest, records, accepted,
            accepted_purchases_fen, accepted_loads_fen, window_id, decisions, uploaded_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        &[
            &i64::from(batch.acquirer.get()),
            &batch.batch_id,
            &batch.digest.as_slice(),
            &i64::from(summary.records),
            &i64::from(summary.accepted),
            &to_column(summary.accepted_purchases_fen, "a batch's purchases")?,
            &to_column(summary.accepted_loads_fen, "a batch's loads")?,
            &to_column(batch.window_id, "a window id")?,
            &batch.decisions,
            &batch.now.get(),
        ],
    )?;
    Ok(BatchKey(get(&row, 0)?))
}

pub(super) fn insert_rejected(
    sql: &mut Sql<'_, Transaction<'_>>,
    batch: BatchKey,
    rows: &[RejectedRow],
) -> Result<(), HubError> {
    if rows.is_empty() {
        return Ok(());
    }
    let indexes: Vec<i64> = rows.iter().map(|row| i64::from(row.index)).collect();
    let reasons: Vec<&str> = rows.iter().map(|row| row.reason.code()).collect();
    let records: Vec<&[u8]> = rows.iter().map(|row| row.record.as_slice()).collect();
    let details: Vec<Option<&str>> = rows.iter().map(|row| row.detail.as_deref()).collect();
    sql.execute(
        "INSERT INTO rejected_records (batch, record_index, reason, record, detail)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[], $5::text[])",
        &[&batch.0, &indexes, &reasons, &records, &details],
    )?;
    Ok(())
}

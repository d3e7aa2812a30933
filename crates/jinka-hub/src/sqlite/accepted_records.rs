//! Rows of `batches`, `accepted_records` and `rejected_records`.

use jinka_clearing::{PurchaseIdentity, TerminalId};
use jinka_record::{CounterKind, DedupeKey, TransactionRecord};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::clearing::flag_bits;
use crate::clearing::storage::{
    AcceptedRow, BatchKey, Delivery, NewBatch, RejectedRow, StoredBatch,
};
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::storage_error;

/// The stored number of a counter kind.
pub(crate) const fn kind_column(kind: CounterKind) -> i64 {
    match kind {
        CounterKind::Offline => 0,
        CounterKind::Online => 1,
    }
}

pub(crate) fn decoded(bytes: &[u8]) -> Result<TransactionRecord, HubError> {
    TransactionRecord::decode(bytes)
        .map_err(|error| HubError::corrupt(format!("table accepted_records: {error}")))
}

fn to_column(value: u64, what: &str) -> Result<i64, HubError> {
    i64::try_from(value).map_err(|_| HubError::corrupt(format!("{what} overflows a column")))
}

/// The accepted load with this key, or the purchase accepted before migration 016 (later
/// purchases are not indexed by key: the counters keep their neighbours' balances).
pub(super) fn accepted_record(
    tx: &Transaction<'_>,
    key: &DedupeKey,
) -> Result<Option<TransactionRecord>, HubError> {
    let sql = match key.counter_kind {
        CounterKind::Online => {
            "SELECT record FROM accepted_records WHERE asn = ?1 AND counter_kind = 1 AND atc = ?2"
        }
        CounterKind::Offline => {
            "SELECT record FROM accepted_purchases_before_016 WHERE asn = ?1 AND atc = ?2"
        }
    };
    let bytes: Option<Vec<u8>> = tx
        .prepare_cached(sql)
        .and_then(|mut statement| {
            statement
                .query_row(params![key.asn.as_slice(), key.atc], |row| row.get(0))
                .optional()
        })
        .map_err(storage_error)?;
    bytes.as_deref().map(decoded).transpose()
}

pub(super) fn purchase_accepted(
    tx: &Transaction<'_>,
    identity: &PurchaseIdentity,
) -> Result<bool, HubError> {
    let found: Option<i64> = tx
        .prepare_cached(
            "SELECT 1 FROM accepted_records
             WHERE terminal_id = ?2 AND terminal_serial = ?3 AND asn = ?1 AND counter_kind = 0",
        )
        .and_then(|mut statement| {
            statement
                .query_row(
                    params![
                        identity.asn.bytes().as_slice(),
                        identity.terminal_id.bytes().as_slice(),
                        identity.terminal_serial
                    ],
                    |row| row.get(0),
                )
                .optional()
        })
        .map_err(storage_error)?;
    Ok(found.is_some())
}

pub(super) fn highest_serial(
    tx: &Transaction<'_>,
    terminal_id: TerminalId,
) -> Result<Option<u32>, HubError> {
    let serial: Option<i64> = tx
        .prepare_cached(
            "SELECT max(terminal_serial) FROM accepted_records
             WHERE terminal_id = ?1 AND counter_kind = 0",
        )
        .and_then(|mut statement| {
            statement.query_row([terminal_id.bytes().as_slice()], |row| row.get(0))
        })
        .map_err(storage_error)?;
    serial
        .map(|serial| {
            u32::try_from(serial)
                .map_err(|_| HubError::corrupt("table accepted_records: terminal_serial"))
        })
        .transpose()
}

pub(super) fn accepted_loads(
    tx: &Transaction<'_>,
    asn: jinka_clearing::Asn,
) -> Result<Vec<TransactionRecord>, HubError> {
    let mut statement = tx
        .prepare_cached("SELECT record FROM accepted_records WHERE asn = ?1 AND counter_kind = 1")
        .map_err(storage_error)?;
    let rows = statement
        .query_map([asn.bytes().as_slice()], |row| row.get::<_, Vec<u8>>(0))
        .map_err(storage_error)?;
    rows.map(|bytes| decoded(&bytes.map_err(storage_error)?))
        .collect()
}

pub(super) fn insert_accepted(
    tx: &Transaction<'_>,
    rows: &[AcceptedRow<'_>],
) -> Result<(), HubError> {
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id, terminal_serial,
                record, flags, batch, record_index, load_id, transaction_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(storage_error)?;
    // In key order (ASN, counter kind, ATC): a batch's loads name cards all over the unique
    // index of their key, and inserting them in key order dirties each of its pages in one
    // pass instead of fetching (and spilling) it again for each record on it. The rows
    // themselves are appended (migration 012); their rowids follow this order within a batch.
    let mut in_key_order: Vec<(DedupeKey, &AcceptedRow<'_>)> = rows
        .iter()
        .map(|row| (row.record.dedupe_key(), row))
        .collect();
    // A batch accepts a key once: no two rows compare equal.
    in_key_order.sort_unstable_by_key(|(key, _)| *key);
    // Each batch's range of rowids (migration 017), for the risk API's evidence lookup.
    let mut ranges: Vec<(i64, i64, i64)> = Vec::new();
    for (_, row) in in_key_order {
        let record = row.record;
        let (batch, index, load_id) = match row.delivery {
            Delivery::Batch { batch, index } => (Some(batch.0), Some(index), None),
            Delivery::Confirmation { load_id } => (None, None, Some(load_id.as_str())),
        };
        statement
            .execute(params![
                record.asn().as_slice(),
                kind_column(record.counter_kind()),
                record.atc(),
                record.terminal_id().as_slice(),
                record.terminal_serial(),
                record.encode().as_slice(),
                i64::from(flag_bits(row.flags)),
                batch,
                index,
                load_id,
                to_column(row.transaction_id, "a transaction id")?,
            ])
            .map_err(storage_error)?;
        if let Some(batch) = batch {
            let id = tx.last_insert_rowid();
            match ranges.iter_mut().find(|(of, _, _)| *of == batch) {
                Some((_, first, last)) => (*first, *last) = ((*first).min(id), (*last).max(id)),
                None => ranges.push((batch, id, id)),
            }
        }
    }
    let mut widen = tx
        .prepare_cached(
            "UPDATE batches SET first_accepted_id = min(coalesce(first_accepted_id, ?2), ?2),
                last_accepted_id = max(coalesce(last_accepted_id, ?3), ?3)
             WHERE id = ?1",
        )
        .map_err(storage_error)?;
    for (batch, first, last) in ranges {
        let updated = widen
            .execute(params![batch, first, last])
            .map_err(storage_error)?;
        if updated != 1 {
            return Err(HubError::corrupt(format!(
                "accepted records of batch {batch}, which is not stored"
            )));
        }
    }
    Ok(())
}

pub(super) fn stored_batch(
    tx: &Transaction<'_>,
    acquirer: ParticipantId,
    batch_id: &str,
) -> Result<Option<StoredBatch>, HubError> {
    let raw: Option<(Vec<u8>, Vec<u8>)> = tx
        .query_row(
            "SELECT digest, decisions FROM batches WHERE acquirer_id = ?1 AND batch_id = ?2",
            params![acquirer.get(), batch_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(storage_error)?;
    raw.map(|(digest, decisions)| {
        let digest = <[u8; 32]>::try_from(digest.as_slice())
            .map_err(|_| HubError::corrupt("table batches: digest"))?;
        Ok(StoredBatch { digest, decisions })
    })
    .transpose()
}

pub(super) fn insert_batch(
    tx: &Transaction<'_>,
    batch: &NewBatch<'_>,
) -> Result<BatchKey, HubError> {
    let summary = batch.summary;
    tx.execute(
        "INSERT INTO batches (acquirer_id, batch_id, digest, records, accepted,
            accepted_purchases_fen, accepted_loads_fen, window_id, decisions, uploaded_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            batch.acquirer.get(),
            batch.batch_id,
            batch.digest.as_slice(),
            summary.records,
            summary.accepted,
            to_column(summary.accepted_purchases_fen, "a batch's purchases")?,
            to_column(summary.accepted_loads_fen, "a batch's loads")?,
            to_column(batch.window_id, "a window id")?,
            batch.decisions,
            batch.now.get(),
        ],
    )
    .map_err(storage_error)?;
    Ok(BatchKey(tx.last_insert_rowid()))
}

pub(super) fn insert_rejected(
    tx: &Transaction<'_>,
    batch: BatchKey,
    rows: &[RejectedRow],
) -> Result<(), HubError> {
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO rejected_records (batch, record_index, reason, record, detail)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(storage_error)?;
    for row in rows {
        statement
            .execute(params![
                batch.0,
                row.index,
                row.reason.code(),
                row.record,
                row.detail
            ])
            .map_err(storage_error)?;
    }
    Ok(())
}

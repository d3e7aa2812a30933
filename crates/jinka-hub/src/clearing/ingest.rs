//! Offline batch ingest (`hub.md` § Offline batch ingest): one batch, one database
//! transaction. Inside it: a batch id seen before is answered from storage (the same records:
//! the first answer, byte for byte; other records: `batch_id_reused`); otherwise the batch's
//! cards, terminals and chain points are read, `jinka_clearing::decide_batch` decides every
//! record, and the outcome is applied (every decision kept with its record, accepted records
//! under their unique keys, cards, loads, ledger postings, the batch's decisions from which
//! its answer is rendered) before the commit.
//!
//! Batch ids are the acquirer's own: another acquirer's batch with the same id is another
//! batch.

use jinka_clearing::{Batch, KeyStore, decide_batch};

use crate::clearing::batch_answer::{encode_decisions, render_answer};
use crate::clearing::clearing_error;
use crate::clearing::outcome::{Unit, UnitSource, apply_outcome};
use crate::clearing::postings::Postings;
use crate::clearing::storage::{ClearingStorage, NewBatch, RejectedRow};
use crate::clearing::storage_view::StorageView;
use crate::clearing::upload::Upload;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::risk::RiskControl;

/// The answer to an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BatchAnswer {
    /// Decided now: the answer's JSON.
    Decided(String),
    /// Uploaded before with the same records: the first answer.
    Replayed(String),
    /// Uploaded before with other records: refused.
    IdReused,
}

/// Decides and applies `upload` through `storage`, verifying TACs with `keys`, and shows the
/// decided batch to the risk rules of `risk` (when given; `None`: the rules are off) in the
/// same transaction (`crate::risk`).
pub(crate) fn ingest_batch_with_rules(
    storage: &mut dyn ClearingStorage,
    upload: &Upload,
    keys: &dyn KeyStore,
    risk: Option<&RiskControl>,
    now: EpochMs,
) -> Result<BatchAnswer, HubError> {
    if let Some(stored) = storage.stored_batch(upload.acquirer, upload.id.as_str())? {
        return Ok(if stored.digest == upload.digest {
            BatchAnswer::Replayed(render_answer(upload.id.as_str(), &stored.decisions)?)
        } else {
            BatchAnswer::IdReused
        });
    }
    let network = storage.network_operator()?;
    let parties = storage.clearing_parties()?;
    let cursor = storage.ledger_cursor(now)?;
    let view = StorageView::new(storage);
    view.prefetch(&upload.records);
    let batch = Batch {
        id: &upload.id,
        acquirer: upload.acquirer.clearing(),
        records: &upload.records,
    };
    let outcome = decide_batch(&batch, &view, keys);
    let cache = view.finish()?;
    let outcome = outcome.map_err(clearing_error)?;
    let decisions = encode_decisions(&outcome.decisions);
    let answer = render_answer(upload.id.as_str(), &decisions)?;
    let key = storage.insert_batch(&NewBatch {
        acquirer: upload.acquirer,
        batch_id: upload.id.as_str(),
        digest: upload.digest,
        summary: &outcome.summary,
        window_id: cursor.window_id,
        decisions: &decisions,
        now,
    })?;
    let mut postings = Postings::new(cursor, &parties, network)?;
    let unit = Unit {
        records: &upload.records,
        outcome: &outcome,
        source: UnitSource::Batch {
            key,
            ledger_id: &upload.ledger_id,
        },
        uploader: upload.acquirer,
    };
    apply_outcome(storage, &unit, &cache, &mut postings, now)?;
    storage.insert_rejected(key, &rejected_rows(upload, &outcome.decisions))?;
    if let Some(risk) = risk {
        risk.observe_batch(storage, key, (&upload.records, &outcome), now)?;
    }
    storage.add_to_ledger(&postings.finish())?;
    Ok(BatchAnswer::Decided(answer))
}

/// The rejected records with what to keep of each: its binary form, or what was sent.
fn rejected_rows(upload: &Upload, decisions: &[jinka_clearing::Decision]) -> Vec<RejectedRow> {
    let mut unreadable = upload.unreadable.iter().peekable();
    let mut rows = Vec::new();
    for (index, (record, decision)) in (0u32..).zip(upload.records.iter().zip(decisions)) {
        let Some(reason) = decision.reason() else {
            continue;
        };
        let sent = unreadable.next_if(|sent| sent.index == index);
        let (record, detail) = match (record, sent) {
            (Ok(record), _) => (record.encode().to_vec(), None),
            (Err(_), Some(sent)) => (sent.bytes.clone(), Some(sent.detail.clone())),
            (Err(error), None) => (Vec::new(), Some(error.to_string())),
        };
        rows.push(RejectedRow {
            index,
            reason,
            record,
            detail,
        });
    }
    rows
}

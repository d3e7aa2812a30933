//! The answer to a batch upload:
//!
//! ```json
//! {"batch_id":"T000000002001-000001","accepted":2,"rejected":1,"decisions":[
//!   {"index":0,"decision":"accepted","flags":[]},
//!   {"index":1,"decision":"accepted","flags":["counter_gap"]},
//!   {"index":2,"decision":"rejected","reason":"bad_tac","flags":[]}]}
//! ```
//!
//! A batch's decisions are stored in a compact form, 2 bytes a record
//! ([`encode_decisions`]): `00` for accepted or `01 + i` for the reject reason
//! `REJECT_REASONS[i]`, then the flag bits (bit `i` for `FLAGS[i]`). The answer is always
//! [`render_answer`] of that form, the first time and for a re-upload alike, so the two are
//! the same bytes (a unit test pins the text). Stored as JSON the answer would be about 60
//! bytes a record, a third of what ingest writes.

use jinka_clearing::{Decision, FLAGS, Flags, REJECT_REASONS};
use serde::Serialize;

use crate::error::HubError;

#[derive(Serialize)]
struct AnswerWire<'a> {
    batch_id: &'a str,
    accepted: u32,
    rejected: u32,
    decisions: Vec<DecisionWire>,
}

#[derive(Serialize)]
struct DecisionWire {
    index: u32,
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    flags: Vec<&'static str>,
}

/// Flags as bits, bit `i` for `FLAGS[i]`.
pub(crate) fn flag_bits(flags: Flags) -> u8 {
    (0u8..)
        .zip(FLAGS)
        .filter(|(_, flag)| flags.contains(*flag))
        .fold(0, |bits, (bit, _)| bits | 1 << bit)
}

/// The compact form of `decisions`.
pub(crate) fn encode_decisions(decisions: &[Decision]) -> Vec<u8> {
    decisions
        .iter()
        .flat_map(|decision| match decision {
            Decision::Accepted { flags } => [0, flag_bits(*flags)],
            // REJECT_REASONS has 7 entries: the code fits a byte.
            Decision::Rejected { reason } => [1 + reason.index() as u8, 0],
        })
        .collect()
}

fn decoded(index: u32, code: u8, bits: u8) -> Option<DecisionWire> {
    let flags = (0u8..)
        .zip(FLAGS)
        .filter(|(bit, _)| bits & 1 << bit != 0)
        .map(|(_, flag)| flag.code())
        .collect();
    if bits >> FLAGS.len() != 0 {
        return None;
    }
    let (decision, reason) = match code {
        0 => ("accepted", None),
        code => {
            let reason = REJECT_REASONS.get(usize::from(code) - 1)?;
            ("rejected", Some(reason.code()))
        }
    };
    if reason.is_some() && bits != 0 {
        return None;
    }
    Some(DecisionWire {
        index,
        decision,
        reason,
        flags,
    })
}

/// The answer's JSON text for the batch `batch_id` with these decisions (compact form).
pub(crate) fn render_answer(batch_id: &str, encoded: &[u8]) -> Result<String, HubError> {
    let corrupt = || HubError::corrupt(format!("table batches: decisions of batch {batch_id}"));
    if !encoded.len().is_multiple_of(2) {
        return Err(corrupt());
    }
    let decisions = (0u32..)
        .zip(encoded.chunks_exact(2))
        .map(|(index, pair)| match *pair {
            [code, bits] => decoded(index, code, bits),
            _ => None,
        })
        .collect::<Option<Vec<DecisionWire>>>()
        .ok_or_else(corrupt)?;
    let accepted = decisions.iter().filter(|d| d.reason.is_none()).count();
    let count = |n: usize| u32::try_from(n).map_err(|_| corrupt());
    let wire = AnswerWire {
        batch_id,
        accepted: count(accepted)?,
        rejected: count(decisions.len() - accepted)?,
        decisions,
    };
    serde_json::to_string(&wire).map_err(|error| HubError::corrupt(format!("answer: {error}")))
}

#[cfg(test)]
mod tests {
    use jinka_clearing::{Flag, RejectReason};

    use super::*;

    #[test]
    fn the_answer_text_is_pinned_and_round_trips() {
        let decisions = [
            Decision::Accepted { flags: Flags::NONE },
            Decision::Accepted {
                flags: [Flag::CounterGap, Flag::HotlistedCardUsed]
                    .into_iter()
                    .collect(),
            },
            Decision::Rejected {
                reason: RejectReason::BadTac,
            },
            Decision::Rejected {
                reason: RejectReason::Duplicate,
            },
        ];
        let encoded = encode_decisions(&decisions);
        assert_eq!(encoded, [0, 0, 0, 0b101, 6, 0, 7, 0]);
        assert_eq!(
            render_answer("B-1", &encoded).unwrap(),
            r#"{"batch_id":"B-1","accepted":2,"rejected":2,"decisions":[{"index":0,"decision":"accepted","flags":[]},{"index":1,"decision":"accepted","flags":["counter_gap","hotlisted_card_used"]},{"index":2,"decision":"rejected","reason":"bad_tac","flags":[]},{"index":3,"decision":"rejected","reason":"duplicate","flags":[]}]}"#
        );
        for bad in [&[0u8][..], &[8, 0], &[0, 8], &[1, 1]] {
            assert!(render_answer("B-1", bad).is_err(), "{bad:?}");
        }
    }
}

//! Declaring a captured event erroneous (EPCIS `errorDeclaration`, §7.4.1.2).

use crate::cbv::vocabulary;
use crate::event_id::EventId;
use crate::timestamp::Timestamp;

vocabulary! {
    /// Why an event is declared erroneous: a CBV term (`did_not_occur`) or an extension URI.
    ErrorReason,
    /// The error reasons of CBV 2.0.
    CbvErrorReason,
    "error reason", "ER-", "er:",
    [
        DidNotOccur = "did_not_occur",
        IncorrectData = "incorrect_data",
    ]
}

/// The statement that an event was wrong. EPCIS records it as a copy of the erroneous event
/// (same `eventID`, same fields) with this added; `correctiveEventIDs` name the events that
/// record what really happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ErrorDeclaration {
    #[serde(rename = "declarationTime")]
    pub declaration_time: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorReason>,
    #[serde(
        rename = "correctiveEventIDs",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub corrective_event_ids: Vec<EventId>,
}

impl ErrorDeclaration {
    /// Folds a second declaration of the same event into this one, the same whatever the
    /// order they come in: the earliest declaration (then the smallest reason) gives the time
    /// and reason, and the corrective events are the union of both, sorted.
    pub fn merge(&mut self, other: &ErrorDeclaration) {
        let rank = |declaration: &ErrorDeclaration| {
            (
                declaration.declaration_time,
                declaration
                    .reason
                    .as_ref()
                    .map(|reason| reason.as_str().to_owned()),
            )
        };
        if rank(other) < rank(self) {
            self.declaration_time = other.declaration_time;
            self.reason = other.reason.clone();
        }
        self.corrective_event_ids
            .extend(other.corrective_event_ids.iter().cloned());
        self.corrective_event_ids.sort();
        self.corrective_event_ids.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(ms: i64, reason: CbvErrorReason, ids: &[&str]) -> ErrorDeclaration {
        ErrorDeclaration {
            declaration_time: Timestamp::from_epoch_ms(ms).unwrap(),
            reason: Some(reason.into()),
            corrective_event_ids: ids.iter().map(|id| EventId::parse(id).unwrap()).collect(),
        }
    }

    #[test]
    fn merging_does_not_depend_on_order() {
        let a = declaration(5, CbvErrorReason::IncorrectData, &["urn:x:2", "urn:x:1"]);
        let b = declaration(3, CbvErrorReason::DidNotOccur, &["urn:x:3", "urn:x:2"]);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.declaration_time.epoch_ms(), 3);
        assert_eq!(ab.corrective_event_ids.len(), 3);
    }
}

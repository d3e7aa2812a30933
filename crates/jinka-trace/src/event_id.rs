//! Event identifiers and where the missing ones come from.

use crate::error::{Error, Result};
use crate::uri::{Uri, uri_newtype};

uri_newtype! {
    /// An EPCIS `eventID`: any absolute URI, unique per event. An event captured without
    /// one gets one from an [`EventIdSource`]. An error declaration carries the id of the
    /// event it declares erroneous.
    EventId
}

/// Hands out ids for captured events that came without one. The core draws no randomness
/// and reads no clock, so the caller (the hub, its database sequence) supplies them.
///
/// EPCIS 2.0 §8.9.2 also defines a canonical content hash (`ni:///sha-256;…?ver=CBV2.0`),
/// which gives the same id to the same event captured twice. It needs SHA-256 and the full
/// canonicalisation of every field and extension; it is left to an implementation of this
/// trait.
pub trait EventIdSource {
    /// The next id, never one handed out before.
    fn next_event_id(&mut self) -> Result<EventId>;
}

/// Ids `{prefix}{n}` for n = `next`, `next` + 1, …: deterministic, so a replay of the same
/// captures from the same starting number gives the same ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequentialEventIds {
    prefix: String,
    next: u64,
}

impl SequentialEventIds {
    /// `prefix` must make an absolute URI with a number appended (e.g. `urn:jinka:event:`).
    pub fn new(prefix: &str, next: u64) -> Result<SequentialEventIds> {
        Uri::parse(&format!("{prefix}{}", u64::MAX))?;
        Ok(SequentialEventIds {
            prefix: prefix.to_owned(),
            next,
        })
    }

    /// The number the next id will carry.
    pub fn next_number(&self) -> u64 {
        self.next
    }
}

impl EventIdSource for SequentialEventIds {
    fn next_event_id(&mut self) -> Result<EventId> {
        let number = self.next;
        self.next = number.checked_add(1).ok_or(Error::EventIdsExhausted)?;
        EventId::parse(&format!("{}{number}", self.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_deterministic_and_bounded() {
        let mut ids = SequentialEventIds::new("urn:jinka:event:", 7).unwrap();
        assert_eq!(ids.next_event_id().unwrap().as_str(), "urn:jinka:event:7");
        assert_eq!(ids.next_event_id().unwrap().as_str(), "urn:jinka:event:8");
        assert_eq!(ids.next_number(), 9);
        let mut last = SequentialEventIds::new("urn:x:", u64::MAX).unwrap();
        assert_eq!(last.next_event_id(), Err(Error::EventIdsExhausted));
        assert!(SequentialEventIds::new("no scheme ", 0).is_err());
    }
}

//! Which participants an event is shared with, by a rule inside the standard: an entry of
//! its `sourceList` or `destinationList` of type `owning_party` or `possessing_party` whose
//! id is `urn:jinka:participant:<N>` names participant N. A manufacturer that ships to a
//! retailer puts the retailer in the shipping event's `destinationList` (as CBV 2.0 §7.4
//! intends: who owns or holds the goods after the transfer) and the retailer sees the event.

use jinka_trace::{CbvSourceDestinationType, EventContent, SourceDestinationType};

use crate::participant::Participant;

/// The URI prefix that names a participant of the network.
pub const PARTICIPANT_URI_PREFIX: &str = "urn:jinka:participant:";

/// The participants `content` names as owning or possessing party, each once, in order.
pub fn shared_with(content: &EventContent) -> Vec<Participant> {
    let mut found: Vec<Participant> = content
        .sources
        .iter()
        .chain(&content.destinations)
        .filter(|entry| {
            matches!(
                entry.kind,
                SourceDestinationType::Cbv(
                    CbvSourceDestinationType::OwningParty
                        | CbvSourceDestinationType::PossessingParty
                )
            )
        })
        .filter_map(|entry| participant_of(entry.id.as_str()))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The participant a `urn:jinka:participant:<N>` URI names (N in decimal, no leading zero).
fn participant_of(uri: &str) -> Option<Participant> {
    let digits = uri.strip_prefix(PARTICIPANT_URI_PREFIX)?;
    if digits.starts_with('0') || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().and_then(Participant::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_participant_uris_count() {
        assert_eq!(
            participant_of("urn:jinka:participant:7"),
            Participant::new(7)
        );
        for uri in [
            "urn:jinka:participant:0",
            "urn:jinka:participant:07",
            "urn:jinka:participant:",
            "urn:jinka:participant:7x",
            "urn:jinka:participant:99999999999",
            "urn:epc:id:pgln:0614141.00000",
        ] {
            assert_eq!(participant_of(uri), None, "{uri}");
        }
    }
}

//! Parties and places a transfer is from or to (EPCIS `sourceList` / `destinationList`,
//! CBV 2.0 §7.4).

use crate::cbv::vocabulary;
use crate::uri::Uri;

vocabulary! {
    /// The role of a source or destination: a CBV term (`owning_party`) or an extension URI.
    SourceDestinationType,
    /// The source / destination types of CBV 2.0.
    CbvSourceDestinationType,
    "source/destination type", "SDT-", "sdt:",
    [
        OwningParty = "owning_party",
        PossessingParty = "possessing_party",
        Location = "location",
    ]
}

/// One entry of `sourceList` or `destinationList`: a party or location (a URI) in a role.
/// The JSON key of the URI is `source` or `destination`, after the list it is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceDestination {
    pub kind: SourceDestinationType,
    pub id: Uri,
}

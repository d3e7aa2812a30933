//! A card of the registry: its issuer, profile, status and installed applications.

use jinka_card::Aid;
use jinka_crypto::Profile;
use serde::{Serialize, Serializer};

use crate::byte_id::{Asn, IssuerId};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

/// Most applications a card may list (a card's MF holds a handful of ADFs).
pub const CARD_APPLICATIONS_MAX: usize = 16;

/// A card's status (`hub.md` § Participants and registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardStatus {
    /// In use.
    Active,
    /// Reported lost, or put on the blacklist by a risk rule or its issuer.
    Hotlisted,
    /// Blocked on the chip by a terminal that found it on the blacklist.
    Blocked,
    /// Replaced by a new card; its records still settle until it is closed.
    Replaced,
    /// Closed and refunded.
    Closed,
}

impl CardStatus {
    /// Every status.
    pub const ALL: [CardStatus; 5] = [
        CardStatus::Active,
        CardStatus::Hotlisted,
        CardStatus::Blocked,
        CardStatus::Replaced,
        CardStatus::Closed,
    ];

    /// The status's name in JSON and SQL.
    pub const fn name(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Hotlisted => "hotlisted",
            CardStatus::Blocked => "blocked",
            CardStatus::Replaced => "replaced",
            CardStatus::Closed => "closed",
        }
    }

    /// Parses a status name.
    pub fn from_name(name: &str) -> Option<CardStatus> {
        CardStatus::ALL
            .into_iter()
            .find(|status| status.name() == name)
    }
}

impl Serialize for CardStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Parses an AID (5 to 16 bytes in hexadecimal) of the `applications` field.
pub fn parse_aid(text: &str) -> Result<Aid, HubError> {
    Aid::from_hex(text)
        .ok_or_else(|| HubError::invalid("applications", "an AID is 5 to 16 bytes in hexadecimal"))
}

/// A card to register: issued active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    asn: Asn,
    issuer: ParticipantId,
    issuer_id: IssuerId,
    profile: Profile,
    applications: Vec<Aid>,
}

impl NewCard {
    /// A card `asn` of `issuer`, whose EF 0x15 names `issuer_id`, with its installed
    /// `applications` (at most [`CARD_APPLICATIONS_MAX`], no AID twice).
    pub fn new(
        asn: Asn,
        issuer: ParticipantId,
        issuer_id: IssuerId,
        profile: Profile,
        mut applications: Vec<Aid>,
    ) -> Result<NewCard, HubError> {
        if applications.len() > CARD_APPLICATIONS_MAX {
            return Err(HubError::invalid(
                "applications",
                format!("at most {CARD_APPLICATIONS_MAX} applications"),
            ));
        }
        let listed = applications.len();
        applications.sort();
        applications.dedup();
        if applications.len() != listed {
            return Err(HubError::invalid("applications", "an AID is listed twice"));
        }
        Ok(NewCard {
            asn,
            issuer,
            issuer_id,
            profile,
            applications,
        })
    }

    /// ASN8.
    pub const fn asn(&self) -> Asn {
        self.asn
    }

    /// The issuer participant.
    pub const fn issuer(&self) -> ParticipantId {
        self.issuer
    }

    /// The issuer id on the card.
    pub const fn issuer_id(&self) -> IssuerId {
        self.issuer_id
    }

    /// The card's profile.
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// Installed applications, sorted.
    pub fn applications(&self) -> &[Aid] {
        &self.applications
    }

    /// The registered card this becomes at `created_at`.
    pub(crate) fn registered(self, created_at: EpochMs) -> Card {
        Card {
            asn: self.asn,
            issuer: self.issuer,
            issuer_id: self.issuer_id,
            profile: self.profile,
            status: CardStatus::Active,
            applications: self.applications,
            created_at_ms: created_at,
        }
    }
}

/// A registered card (its JSON form is the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Card {
    /// ASN8.
    pub asn: Asn,
    /// The issuer participant (whose card float the card draws on).
    pub issuer: ParticipantId,
    /// The issuer id on the card (EF 0x15): names its key sets.
    pub issuer_id: IssuerId,
    /// Its profile.
    #[serde(serialize_with = "serialize_profile")]
    pub profile: Profile,
    /// Its status.
    pub status: CardStatus,
    /// Installed applications, sorted.
    pub applications: Vec<Aid>,
    /// When it was registered.
    pub created_at_ms: EpochMs,
}

/// A profile as its name (`des3`, `sm4`).
pub(crate) fn serialize_profile<S: Serializer>(
    profile: &Profile,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(profile.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(applications: Vec<Aid>) -> Result<NewCard, HubError> {
        NewCard::new(
            Asn::new([1; 8]),
            ParticipantId::new(1).unwrap(),
            IssuerId::new([2; 8]),
            Profile::Sm4,
            applications,
        )
    }

    #[test]
    fn aids_are_5_to_16_bytes() {
        assert!(parse_aid("A000000632").is_ok());
        assert!(parse_aid("A0000006").is_err());
        assert!(parse_aid("A0000006320101050000000000000000AA").is_err());
        assert!(parse_aid("A00000063Z").is_err());
    }

    #[test]
    fn applications_are_bounded_and_distinct() {
        let aid = parse_aid("A000000632010105").unwrap();
        assert!(card(vec![aid, aid]).is_err());
        assert!(card(vec![aid; CARD_APPLICATIONS_MAX + 1]).is_err());
        assert!(card(Vec::new()).is_ok());
    }

    #[test]
    fn statuses_round_trip() {
        for status in CardStatus::ALL {
            assert_eq!(CardStatus::from_name(status.name()), Some(status));
        }
        assert_eq!(CardStatus::from_name("lost"), None);
    }
}

//! A participant of the network: who it is, what roles it plays, where, and on what terms.

use core::fmt;
use core::num::NonZeroU32;
use core::str::FromStr;

use serde::{Serialize, Serializer};

use crate::amount::Amount;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::fee::FeeSchedule;
use crate::region::Region;
use crate::role::Roles;

/// Longest participant name, in characters.
pub const PARTICIPANT_NAME_CHARS_MAX: usize = 100;
/// Longest settlement account reference, in characters.
pub const SETTLEMENT_ACCOUNT_CHARS_MAX: usize = 64;

/// A participant's number in the registry: 1, 2, ... in order of registration, never reused
/// (it names the participant in ledger entries). Fits `jinka-ledger`'s `NonZeroU32` id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(NonZeroU32);

impl ParticipantId {
    /// The participant numbered `id`; 0 is refused.
    pub fn new(id: u32) -> Result<ParticipantId, HubError> {
        NonZeroU32::new(id)
            .map(ParticipantId)
            .ok_or_else(|| HubError::invalid("participant", "participant ids start at 1"))
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// The same participant as `jinka-ledger` numbers it.
    pub(crate) fn ledger(self) -> jinka_ledger::ParticipantId {
        match jinka_ledger::ParticipantId::new(self.get()) {
            Ok(id) => id,
            Err(_) => unreachable!("a participant id is never 0"),
        }
    }

    /// The same participant as `jinka-clearing` numbers it.
    pub(crate) fn clearing(self) -> jinka_clearing::ParticipantId {
        jinka_clearing::ParticipantId::new(u64::from(self.get()))
    }

    /// The participant `jinka-clearing` numbers `id` (the hub gave the number, so one out of
    /// range is corrupt state).
    pub(crate) fn from_clearing(
        id: jinka_clearing::ParticipantId,
    ) -> Result<ParticipantId, HubError> {
        u32::try_from(id.get())
            .ok()
            .and_then(NonZeroU32::new)
            .map(ParticipantId)
            .ok_or_else(|| {
                HubError::corrupt(format!("participant number {} out of range", id.get()))
            })
    }

    /// Reads a stored id back.
    pub(crate) fn from_column(id: i64) -> Option<ParticipantId> {
        u32::try_from(id)
            .ok()
            .and_then(NonZeroU32::new)
            .map(ParticipantId)
    }
}

impl FromStr for ParticipantId {
    type Err = HubError;

    fn from_str(text: &str) -> Result<ParticipantId, HubError> {
        let id = text
            .parse::<u32>()
            .map_err(|_| HubError::invalid("participant", "must be a participant number"))?;
        ParticipantId::new(id)
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for ParticipantId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.get())
    }
}

/// A participant to register, every field checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewParticipant {
    name: String,
    roles: Roles,
    region: Region,
    fees: FeeSchedule,
    net_debit_cap: Option<Amount>,
    settlement_account: Option<String>,
}

impl NewParticipant {
    /// A participant named `name` (1 to [`PARTICIPANT_NAME_CHARS_MAX`] characters, no control
    /// characters, not blank) with `roles` in `region`, no fees, no cap, no settlement account.
    pub fn new(name: &str, roles: Roles, region: Region) -> Result<NewParticipant, HubError> {
        Ok(NewParticipant {
            name: checked_text("name", name, PARTICIPANT_NAME_CHARS_MAX)?,
            roles,
            region,
            fees: FeeSchedule::default(),
            net_debit_cap: None,
            settlement_account: None,
        })
    }

    /// With this fee schedule.
    pub fn with_fees(mut self, fees: FeeSchedule) -> NewParticipant {
        self.fees = fees;
        self
    }

    /// With a net debit cap: the most this participant may owe at settlement.
    pub fn with_net_debit_cap(mut self, cap: Amount) -> NewParticipant {
        self.net_debit_cap = Some(cap);
        self
    }

    /// With a settlement account reference (1 to [`SETTLEMENT_ACCOUNT_CHARS_MAX`] characters).
    pub fn with_settlement_account(mut self, account: &str) -> Result<NewParticipant, HubError> {
        self.settlement_account = Some(checked_text(
            "settlement_account",
            account,
            SETTLEMENT_ACCOUNT_CHARS_MAX,
        )?);
        Ok(self)
    }

    /// Name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Roles.
    pub const fn roles(&self) -> Roles {
        self.roles
    }

    /// Region.
    pub const fn region(&self) -> Region {
        self.region
    }

    /// Fees.
    pub const fn fees(&self) -> FeeSchedule {
        self.fees
    }

    /// Net debit cap.
    pub const fn net_debit_cap(&self) -> Option<Amount> {
        self.net_debit_cap
    }

    /// Settlement account reference.
    pub fn settlement_account(&self) -> Option<&str> {
        self.settlement_account.as_deref()
    }

    /// The registered participant this becomes under `id` at `created_at`.
    pub(crate) fn registered(self, id: ParticipantId, created_at: EpochMs) -> Participant {
        Participant {
            id,
            name: self.name,
            roles: self.roles,
            region: self.region,
            fees: self.fees,
            net_debit_cap_fen: self.net_debit_cap,
            settlement_account: self.settlement_account,
            created_at_ms: created_at,
        }
    }
}

/// Checks a free-text field: not blank, at most `chars_max` characters, no control
/// characters (it appears in logs and reports).
fn checked_text(field: &'static str, text: &str, chars_max: usize) -> Result<String, HubError> {
    if text.trim().is_empty() {
        return Err(HubError::invalid(field, "must not be blank"));
    }
    if text.chars().count() > chars_max {
        return Err(HubError::invalid(
            field,
            format!("must be at most {chars_max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(HubError::invalid(field, "must not hold control characters"));
    }
    Ok(text.to_owned())
}

/// A registered participant (its JSON form is the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// Its number.
    pub id: ParticipantId,
    /// Its name (unique in the registry).
    pub name: String,
    /// What it does.
    pub roles: Roles,
    /// Where it is.
    pub region: Region,
    /// Its fees.
    pub fees: FeeSchedule,
    /// The most it may owe at settlement, if capped.
    pub net_debit_cap_fen: Option<Amount>,
    /// Where it is paid or pays.
    pub settlement_account: Option<String>,
    /// When it was registered.
    pub created_at_ms: EpochMs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn roles() -> Roles {
        Roles::new([Role::Issuer]).unwrap()
    }

    #[test]
    fn ids_start_at_one() {
        assert!(ParticipantId::new(0).is_err());
        assert_eq!("7".parse::<ParticipantId>().unwrap().get(), 7);
        assert!("x".parse::<ParticipantId>().is_err());
        assert!("-1".parse::<ParticipantId>().is_err());
        assert_eq!(ParticipantId::from_column(i64::from(u32::MAX) + 1), None);
    }

    #[test]
    fn names_are_checked() {
        let region = Region::new(310_000);
        assert!(NewParticipant::new("Shanghai Transit", roles(), region).is_ok());
        for bad in ["", "   ", "tab\tin name", &"名".repeat(101)] {
            assert!(
                NewParticipant::new(bad, roles(), region).is_err(),
                "{bad:?}"
            );
        }
        assert!(NewParticipant::new(&"名".repeat(100), roles(), region).is_ok());
        let new = NewParticipant::new("x", roles(), region).unwrap();
        assert!(new.clone().with_settlement_account("").is_err());
        assert_eq!(
            new.with_settlement_account("ICBC 6222")
                .unwrap()
                .settlement_account(),
            Some("ICBC 6222")
        );
    }
}

//! What a participant does in the network, and the set of those roles it holds.

use core::fmt;
use core::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::HubError;

/// A participant's role (`hub.md` § Participants and registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Issues cards and holds their float; owns issuer key sets.
    Issuer,
    /// Owns terminals and uploads their records.
    Acquirer,
    /// Provides an application on cards (transit, parking, ...).
    ApplicationProvider,
    /// Collects cash for loads at its terminals.
    LoadAgent,
    /// The network operator: manages participants, credentials and keys.
    Operator,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 5] = [
        Role::Issuer,
        Role::Acquirer,
        Role::ApplicationProvider,
        Role::LoadAgent,
        Role::Operator,
    ];

    /// The role's name in JSON, SQL and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Issuer => "issuer",
            Role::Acquirer => "acquirer",
            Role::ApplicationProvider => "application_provider",
            Role::LoadAgent => "load_agent",
            Role::Operator => "operator",
        }
    }

    /// Parses a role name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl FromStr for Role {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Role, HubError> {
        Role::from_name(text).ok_or_else(|| {
            HubError::invalid(
                "roles",
                "each must be issuer, acquirer, application_provider, load_agent or operator",
            )
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A set of roles; a participant holds at least one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    /// The set of `roles` (duplicates collapse); empty is refused.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<Roles, HubError> {
        let set = roles
            .into_iter()
            .fold(Roles(0), |set, role| Roles(set.0 | role.bit()));
        if set.0 == 0 {
            return Err(HubError::invalid("roles", "at least one role is needed"));
        }
        Ok(set)
    }

    /// Whether `role` is in the set.
    pub const fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The roles, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL
            .into_iter()
            .filter(move |role| self.contains(*role))
    }
}

impl Serialize for Roles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>().unwrap(), role);
        }
        assert!("Issuer".parse::<Role>().is_err());
        assert!("application-provider".parse::<Role>().is_err());
    }

    #[test]
    fn sets_are_never_empty_and_keep_a_fixed_order() {
        assert!(Roles::new([]).is_err());
        let roles = Roles::new([Role::Operator, Role::Issuer, Role::Issuer]).unwrap();
        assert!(roles.contains(Role::Issuer) && !roles.contains(Role::Acquirer));
        assert_eq!(
            serde_json::to_string(&roles).unwrap(),
            r#"["issuer","operator"]"#
        );
    }
}

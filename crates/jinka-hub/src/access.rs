//! Who may do what: the pure authorization rules of the API, over an authenticated
//! [`Caller`].
//!
//! - The operator manages participants, credentials and keys, and sees everything.
//! - Any other participant sees and changes only its own terminals, cards and (later)
//!   batches and reports.
//! - **403** when the request itself names another participant to act for (registering a
//!   terminal for another acquirer) or an operator-only route; **404** when a resource id is
//!   not the caller's or does not exist: the answer does not tell another participant's ids
//!   from unused ones.

use crate::credential::CredentialId;
use crate::participant::ParticipantId;
use crate::role::{Role, Roles};
use crate::store::Scope;

/// The authenticated sender of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) participant: ParticipantId,
    pub(crate) roles: Roles,
    pub(crate) credential: CredentialId,
}

/// A refusal: the caller may not do this (HTTP 403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Denied(pub(crate) &'static str);

/// Whom a change is for: the participant named, or the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ActingFor {
    /// This participant.
    Participant(ParticipantId),
    /// The operator must name the participant (HTTP 400).
    Unnamed,
}

impl Caller {
    pub(crate) const fn is_operator(&self) -> bool {
        self.roles.contains(Role::Operator)
    }

    /// What listings show the caller.
    pub(crate) const fn scope(&self) -> Scope {
        if self.is_operator() {
            Scope::All
        } else {
            Scope::Of(self.participant)
        }
    }

    /// Whether the caller may see a resource of `owner` (else: 404).
    pub(crate) fn may_see(&self, owner: ParticipantId) -> bool {
        self.is_operator() || owner == self.participant
    }

    /// Operator-only routes.
    pub(crate) fn require_operator(&self) -> Result<(), Denied> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(Denied("only the network operator may do this"))
        }
    }

    /// For whom a change naming `requested` (or not) is made.
    pub(crate) fn acting_for(&self, requested: Option<ParticipantId>) -> Result<ActingFor, Denied> {
        match requested {
            Some(id) if self.is_operator() || id == self.participant => {
                Ok(ActingFor::Participant(id))
            }
            Some(_) => Err(Denied("a participant acts only for itself")),
            None if self.is_operator() => Ok(ActingFor::Unnamed),
            None => Ok(ActingFor::Participant(self.participant)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: u32, role: Role) -> Caller {
        Caller {
            participant: ParticipantId::new(id).unwrap(),
            roles: Roles::new([role]).unwrap(),
            credential: CredentialId::from_column(1).unwrap(),
        }
    }

    fn id(n: u32) -> ParticipantId {
        ParticipantId::new(n).unwrap()
    }

    #[test]
    fn participants_act_for_themselves_only() {
        let acquirer = caller(2, Role::Acquirer);
        assert_eq!(acquirer.scope(), Scope::Of(id(2)));
        assert!(acquirer.may_see(id(2)) && !acquirer.may_see(id(3)));
        assert_eq!(acquirer.acting_for(None), Ok(ActingFor::Participant(id(2))));
        assert_eq!(
            acquirer.acting_for(Some(id(2))),
            Ok(ActingFor::Participant(id(2)))
        );
        assert!(acquirer.acting_for(Some(id(3))).is_err());
        assert!(acquirer.require_operator().is_err());
    }

    #[test]
    fn the_operator_acts_for_anyone_it_names() {
        let operator = caller(1, Role::Operator);
        assert_eq!(operator.scope(), Scope::All);
        assert!(operator.may_see(id(9)));
        assert_eq!(operator.acting_for(None), Ok(ActingFor::Unnamed));
        assert_eq!(
            operator.acting_for(Some(id(9))),
            Ok(ActingFor::Participant(id(9)))
        );
        assert!(operator.require_operator().is_ok());
    }
}

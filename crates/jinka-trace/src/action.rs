//! What an event does to its objects (EPCIS `action`).

use crate::error::{Error, Result, quote};

/// EPCIS §7.3.2: `ADD` (the objects come into being, or are put in the parent), `OBSERVE`
/// (seen, nothing changes), `DELETE` (cease to exist, or are taken out of the parent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Add,
    Observe,
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Add, Action::Observe, Action::Delete];

    pub const fn name(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }

    /// Reads `ADD`, `OBSERVE` or `DELETE`, exactly.
    pub fn parse(text: &str) -> Result<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.name() == text)
            .ok_or_else(|| Error::UnknownTerm {
                vocabulary: "action (ADD, OBSERVE, DELETE)",
                found: quote(text),
            })
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Action::parse(&text).map_err(serde::de::Error::custom)
    }
}

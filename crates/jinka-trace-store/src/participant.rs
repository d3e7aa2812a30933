//! Who captures events and who reads them.

use std::num::NonZeroU32;

/// A participant of the network, by its registry number (the hub's `ParticipantId`): the
/// one that captured an event, or one an event is shared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Participant(NonZeroU32);

impl Participant {
    /// Participant number `number`; 0 is not one.
    pub fn new(number: u32) -> Option<Participant> {
        NonZeroU32::new(number).map(Participant)
    }

    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// Reads a stored number back.
    pub(crate) fn from_column(number: i64) -> Option<Participant> {
        u32::try_from(number).ok().and_then(Participant::new)
    }

    pub(crate) fn column(self) -> i64 {
        i64::from(self.get())
    }
}

/// Whose eyes a query is answered for: the operator sees every event; a participant sees
/// the events it captured and those shared with it (see [`crate::shared_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Operator,
    Participant(Participant),
}

impl Viewer {
    /// The participant column value of the visibility clause (0 for the operator).
    pub(crate) fn who(self) -> i64 {
        match self {
            Viewer::Operator => 0,
            Viewer::Participant(participant) => participant.column(),
        }
    }

    /// The SQL condition "event `e` is visible", with the viewer's [`Viewer::who`] at
    /// parameter `$who`. The operator's is always true (and still names the parameter, so
    /// both forms take the same parameters); two texts rather than a flag parameter, so
    /// that each is planned for what it is.
    pub(crate) fn visible(self, who: usize) -> String {
        match self {
            Viewer::Operator => format!("(e.participant = ${who} OR 1 = 1)"),
            Viewer::Participant(_) => format!(
                "(e.participant = ${who} OR EXISTS (SELECT 1 FROM trace_shares s \
                 WHERE s.event_key = e.event_key AND s.participant = ${who}))"
            ),
        }
    }
}

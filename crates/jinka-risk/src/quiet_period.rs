//! How a rule avoids deciding the same thing again for one ongoing pattern.

use serde::{Deserialize, Serialize};

/// The end of a subject's quiet period for one rule. Each time the rule's condition holds,
/// the period is pushed to that time plus the configured quiet time; the rule decides only
/// when the condition holds outside a period. So a pattern that goes on (a cloned card used
/// in two cities all day) gives one decision, and the same pattern after a lull of the quiet
/// time gives another.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct QuietPeriod(pub(crate) Option<i64>);

impl QuietPeriod {
    /// The rule's condition holds at `at_ms`: whether to decide (outside a period), and the
    /// period extended either way.
    pub(crate) fn admits(&mut self, at_ms: i64, quiet_ms: i64) -> bool {
        let outside = self.0.is_none_or(|until_ms| at_ms >= until_ms);
        self.0 = Some(
            at_ms
                .saturating_add(quiet_ms)
                .max(self.0.unwrap_or(i64::MIN)),
        );
        outside
    }

    /// Whether a period runs at `at_ms` (state inside one must not be forgotten).
    pub(crate) fn runs_at(self, at_ms: i64) -> bool {
        self.0.is_some_and(|until_ms| at_ms < until_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_slides_while_the_condition_holds() {
        let mut quiet = QuietPeriod::default();
        assert!(quiet.admits(1_000, 100));
        assert!(!quiet.admits(1_050, 100));
        assert!(!quiet.admits(1_140, 100), "slid to 1150 at 1050");
        assert!(quiet.runs_at(1_239));
        assert!(quiet.admits(1_240, 100), "a lull of the quiet time");
        assert!(!quiet.runs_at(1_340));
    }
}

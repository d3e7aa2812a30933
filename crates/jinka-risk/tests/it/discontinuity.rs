//! Balance discontinuity: a cloned card spending a copied balance is hotlisted.

use jinka_clearing::{Flag, Flags, IssuerId};
use jinka_risk::{
    Action, CardAction, DiscontinuityRule, IssuerRules, RiskConfig, RiskSettings, Rule, Subject,
};

use crate::support::*;

fn discontinuous() -> Flags {
    Flags::NONE.with(Flag::BalanceDiscontinuity)
}

#[test]
fn a_discontinuity_hotlists_the_card_once() {
    let mut hub = Harness::with_defaults();
    hub.ok(purchase(1, 0, 500), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 500), SHANGHAI, T0);
    assert_eq!(hub.take(), []);
    // The clone spends the copied 500.00 yuan again.
    hub.accept(purchase(1, 2, 500), SHANGHAI, discontinuous(), T0 + HOUR_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    let decision = &fired[0];
    assert_eq!(
        (decision.rule, decision.action, decision.subject),
        (
            Rule::BalanceDiscontinuity,
            Action::HotlistCard,
            Subject::Card(asn(1))
        )
    );
    assert_eq!(decision.evidence, ids(&[3]));
    assert_eq!(
        decision.explanation,
        "Card 3104000000000001's purchase at offline ATC 2 shows a balance of 500.00 yuan before \
         it that does not follow from the card's accepted records: a cloned card may be \
         spending a copied balance."
    );
    // The clone goes on spending that day: nothing more to decide.
    for atc in 3..10 {
        hub.accept(
            purchase(1, atc, 500),
            SHANGHAI,
            discontinuous(),
            T0 + 2 * HOUR_MS,
        );
    }
    assert_eq!(hub.take(), []);
    // Other flags are not this rule's.
    let other = Flags::NONE
        .with(Flag::HotlistedCardUsed)
        .with(Flag::CounterGap);
    hub.accept(purchase(2, 5, 500), SHANGHAI, other, T0);
    assert_eq!(hub.take(), []);
}

#[test]
fn an_issuer_may_only_flag_or_turn_the_rule_off() {
    let mut flag_only = IssuerRules::new(IssuerId::new(ISSUER));
    flag_only.balance_discontinuity = Some(DiscontinuityRule {
        enabled: true,
        action: CardAction::Flag,
    });
    let mut off = IssuerRules::new(IssuerId::new(OTHER_ISSUER));
    off.balance_discontinuity = Some(DiscontinuityRule {
        enabled: false,
        action: CardAction::HotlistCard,
    });
    let settings = RiskSettings {
        issuers: vec![flag_only, off],
        ..RiskSettings::default()
    };
    let mut hub = Harness::new(RiskConfig::new(settings).unwrap());
    hub.accept(purchase(1, 0, 500), SHANGHAI, discontinuous(), T0);
    hub.accept(
        purchase(2, 0, 500).issuer(OTHER_ISSUER),
        SHANGHAI,
        discontinuous(),
        T0,
    );
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(
        (fired[0].action, fired[0].subject),
        (Action::Flag, Subject::Card(asn(1)))
    );
}

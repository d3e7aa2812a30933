//! The configuration: documented defaults, JSON with overrides, and what is refused.

use jinka_clearing::IssuerId;
use jinka_risk::{
    BadTacRule, CardAction, CounterGapRule, DailySpendRule, DiscontinuityRule, RegionPair,
    RiskConfig, RiskError, RiskSettings, StateLimits, TerminalAction, VelocityRule,
};

#[test]
fn the_defaults_are_the_documented_ones() {
    let settings = RiskSettings::default();
    assert_eq!(
        settings.daily_spend,
        DailySpendRule {
            enabled: true,
            threshold_fen: 100_000,
            action: CardAction::Flag
        }
    );
    assert_eq!(
        settings.velocity,
        VelocityRule {
            enabled: true,
            min_travel_minutes: 60,
            region_pairs: vec![],
            action: CardAction::Flag
        }
    );
    assert_eq!(
        settings.balance_discontinuity,
        DiscontinuityRule {
            enabled: true,
            action: CardAction::HotlistCard
        }
    );
    assert_eq!(
        settings.counter_gap,
        CounterGapRule {
            enabled: true,
            open_limit_minutes: 4320,
            action: CardAction::Flag
        }
    );
    assert_eq!(
        settings.bad_tac,
        BadTacRule {
            enabled: true,
            count: 10,
            window_minutes: 60,
            action: TerminalAction::SuspendTerminal
        }
    );
    assert_eq!(settings.repeat_quiet_minutes, 1440);
    assert_eq!(
        settings.limits,
        StateLimits {
            cards_max: 1_000_000,
            card_idle_minutes: 4320,
            terminals_max: 100_000,
            gap_counters_max: 100_000,
            gap_idle_minutes: 43_200
        }
    );
    assert!(settings.issuers.is_empty());
    // An empty JSON object is the defaults.
    assert_eq!(RiskConfig::from_json("{}").unwrap(), RiskConfig::default());
}

const EXAMPLE: &str = r#"{
    "daily_spend": {"threshold_fen": 50000},
    "velocity": {"min_travel_minutes": 90, "region_pairs": [
        {"regions": [310000, 320500], "min_travel_minutes": 25}
    ]},
    "bad_tac": {"count": 5, "window_minutes": 30, "action": "flag"},
    "repeat_quiet_minutes": 720,
    "limits": {"cards_max": 2000000},
    "issuers": [
        {"issuer_id": "3104000000000001", "daily_spend": {"threshold_fen": 20000, "action": "hotlist_card"}},
        {"issuer_id": "3104000000000002", "balance_discontinuity": {"enabled": false}}
    ]
}"#;

#[test]
fn a_json_configuration_reads_with_overrides_and_round_trips() {
    let config = RiskConfig::from_json(EXAMPLE).unwrap();
    let settings = config.settings();
    assert_eq!(settings.daily_spend.threshold_fen, 50_000);
    assert_eq!(
        settings.daily_spend.action,
        CardAction::Flag,
        "omitted: default"
    );
    assert_eq!(settings.velocity.region_pairs[0].min_travel_minutes, 25);
    assert_eq!(settings.bad_tac.action, TerminalAction::Flag);
    assert_eq!(settings.limits.cards_max, 2_000_000);
    assert_eq!(settings.limits.terminals_max, 100_000);
    let issuer = &settings.issuers[0];
    assert_eq!(
        issuer.issuer_id,
        IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1])
    );
    assert_eq!(
        issuer
            .daily_spend
            .map(|rule| (rule.threshold_fen, rule.action)),
        Some((20_000, CardAction::HotlistCard))
    );
    assert_eq!(issuer.velocity, None);
    let json = serde_json::to_string(&config).unwrap();
    assert!(json.contains(r#""issuer_id":"3104000000000001""#));
    assert_eq!(serde_json::from_str::<RiskConfig>(&json).unwrap(), config);
}

fn refused(json: &str) -> RiskError {
    RiskConfig::from_json(json).unwrap_err()
}

#[test]
fn values_out_of_range_are_refused_with_their_field() {
    let invalid = |field, reason| RiskError::InvalidConfig { field, reason };
    assert_eq!(
        refused(r#"{"daily_spend": {"threshold_fen": 0}}"#),
        invalid("daily_spend.threshold_fen", "must be at least 1 fen")
    );
    assert_eq!(
        refused(
            r#"{"issuers": [{"issuer_id": "3104000000000001", "daily_spend": {"threshold_fen": 0}}]}"#
        ),
        invalid(
            "issuers[].daily_spend.threshold_fen",
            "must be at least 1 fen"
        )
    );
    assert_eq!(
        refused(r#"{"bad_tac": {"count": 65}}"#),
        invalid("bad_tac.count", "must be 1 to 64")
    );
    assert_eq!(
        refused(r#"{"bad_tac": {"window_minutes": 0}}"#),
        invalid(
            "bad_tac.window_minutes",
            "must be 1 to 10080 minutes (7 days)"
        )
    );
    assert_eq!(
        refused(r#"{"counter_gap": {"open_limit_minutes": 0}}"#),
        invalid(
            "counter_gap.open_limit_minutes",
            "must be 1 to 129600 minutes (90 days)"
        )
    );
    assert_eq!(
        refused(r#"{"velocity": {"min_travel_minutes": 10081}}"#),
        invalid(
            "velocity.min_travel_minutes",
            "must be at most 10080 minutes (7 days)"
        )
    );
    assert_eq!(
        refused(r#"{"repeat_quiet_minutes": 43201}"#),
        invalid(
            "repeat_quiet_minutes",
            "must be at most 43200 minutes (30 days)"
        )
    );
    assert_eq!(
        refused(r#"{"limits": {"cards_max": 0}}"#),
        invalid("limits.cards_max", "must be 1 to 100000000")
    );
    assert_eq!(
        refused(r#"{"limits": {"gap_idle_minutes": 0}}"#),
        invalid(
            "limits.gap_idle_minutes",
            "must be 1 to 525600 minutes (a year)"
        )
    );
}

#[test]
fn contradictions_are_refused() {
    let invalid = |field, reason| RiskError::InvalidConfig { field, reason };
    let pair = |a, b, minutes| RegionPair {
        regions: [a, b],
        min_travel_minutes: minutes,
    };
    let with_pairs = |region_pairs| {
        RiskConfig::new(RiskSettings {
            velocity: VelocityRule {
                region_pairs,
                ..VelocityRule::default()
            },
            ..RiskSettings::default()
        })
        .unwrap_err()
    };
    assert_eq!(
        with_pairs(vec![pair(1, 1, 10)]),
        invalid("velocity.region_pairs", "pairs two different regions")
    );
    assert_eq!(
        with_pairs(vec![pair(1, 2, 10), pair(2, 1, 20)]),
        invalid("velocity.region_pairs", "lists each pair once")
    );
    assert_eq!(
        refused(r#"{"limits": {"card_idle_minutes": 30}}"#),
        invalid(
            "limits.card_idle_minutes",
            "must be at least the longest velocity travel time"
        )
    );
    assert_eq!(
        refused(r#"{"limits": {"gap_idle_minutes": 60}}"#),
        invalid(
            "limits.gap_idle_minutes",
            "must be at least the longest counter gap limit"
        )
    );
    assert_eq!(
        refused(
            r#"{"issuers": [{"issuer_id": "3104000000000001"}, {"issuer_id": "3104000000000001"}]}"#
        ),
        invalid("issuers", "lists each issuer id once")
    );
}

#[test]
fn json_of_another_shape_is_refused() {
    for json in [
        // A card rule cannot suspend a terminal, nor a terminal rule hotlist a card.
        r#"{"daily_spend": {"action": "suspend_terminal"}}"#,
        r#"{"bad_tac": {"action": "hotlist_card"}}"#,
        r#"{"velocity": {"min_travel": 10}}"#,
        r#"{"issuers": [{"issuer_id": "31040000"}]}"#,
        r#"{"issuers": [{"daily_spend": {}}]}"#,
        r#"{"issuers": [{"issuer_id": "3104000000000001", "bad_tac": {}}]}"#,
        r#"{"unknown": 1}"#,
        "42",
    ] {
        assert!(matches!(refused(json), RiskError::ConfigJson(_)), "{json}");
    }
}

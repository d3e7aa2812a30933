//! The hub's risk control (`hub.md` § Risk control, § Blacklist): rules over what the hub
//! sees, and the versioned network blacklist terminals fetch. Pure: no I/O, no clock (the
//! hub's time comes in as epoch ms with each call), deterministic.
//!
//! - [`RiskEvaluator`]: the rules over [`AcceptedRecord`]s, [`RejectedRecord`]s,
//!   [`ApprovedLoad`]s and [`GapReport`]s (or a whole decided batch,
//!   [`RiskEvaluator::observe_batch`]), giving [`RiskDecision`]s: a [`Rule`], an [`Action`]
//!   (flag, hotlist the card, suspend the terminal), a [`Subject`], evidence ([`RecordId`]s
//!   the caller gave), the time, and a sentence. The rules, their evidence and how they
//!   avoid deciding twice are at [`RiskEvaluator`]. Its state is bounded
//!   ([`StateLimits`]) and plain data ([`RiskState`]), or a compact binary form written and read without a
//!   copy ([`RiskEvaluator::write_state`], [`RiskEvaluator::read_state`]).
//! - [`RiskConfig`]: per-network rules with per-issuer overrides ([`RiskSettings`],
//!   [`IssuerRules`]), JSON, checked; the defaults are tabled at [`RiskSettings`].
//! - [`NetworkBlacklist`]: hotlisted cards ([`Listing`], [`ListingReason`]), one version per
//!   change; [`NetworkBlacklist::delta_since`] gives a [`BlacklistUpdate`] (a folded delta, or
//!   the full list when the asker is too far behind), in JSON or a compact binary form
//!   ([`BlacklistUpdate::encode`], layout at [`BlacklistUpdate`]), which
//!   `jinka_terminal::Blacklist` applies as it is.
//!
//! ```
//! use jinka_clearing::{Asn, Flag, Flags, Region};
//! use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
//! use jinka_risk::*;
//!
//! let config = RiskConfig::from_json(r#"{"velocity": {"min_travel_minutes": 120}}"#)?;
//! let mut risk = RiskEvaluator::new(config);
//! let mut blacklist = NetworkBlacklist::new(BlacklistLimits::default());
//! let purchase = |atc: u16, terminal: u8, hour: u8| {
//!     TransactionRecord::new(RecordFields {
//!         asn: [0x31, 0x04, 0, 0, 0, 0, 0x12, 0x34],
//!         issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
//!         kind: TransactionKind::Purchase,
//!         amount_fen: 300,
//!         balance_before_fen: 10_000 - 300 * u32::from(atc),
//!         atc,
//!         terminal_id: [0, 0, 0, 0, 0x20, terminal],
//!         terminal_serial: Some(u32::from(atc) + 1),
//!         date: Date::from_ymd(2026, 11, 27).unwrap(),
//!         time: Time::from_hms(hour, 0, 0).unwrap(),
//!         key_version: 1,
//!         algorithm_id: 4,
//!         tac: [0; 4],
//!     })
//! };
//! let (shanghai, beijing) = (Some(Region::new(310_000)), Some(Region::new(110_000)));
//! let now_ms = 1_795_000_000_000;
//! let mut decisions = Vec::new();
//!
//! // A ride in Shanghai at 08:00, then the same card in Beijing at 09:00: faster than the
//! // two hours the configuration says the trip takes.
//! let morning = purchase(0, 1, 8)?;
//! let (id, flags) = (RecordId::new(1), Flags::NONE);
//! let seen = AcceptedRecord { id, record: &morning, flags, region: shanghai };
//! risk.accepted(&seen, now_ms, &mut decisions);
//! assert!(decisions.is_empty());
//! let later = purchase(1, 2, 9)?;
//! let seen = AcceptedRecord { id: RecordId::new(2), record: &later, flags, region: beijing };
//! risk.accepted(&seen, now_ms, &mut decisions);
//! assert_eq!(decisions.len(), 1);
//! assert_eq!((decisions[0].rule, decisions[0].action), (Rule::Velocity, Action::Flag));
//! assert_eq!(decisions[0].evidence, [RecordId::new(1), RecordId::new(2)]);
//!
//! // A cloned card's balance discontinuity hotlists it; the hub lists it at once.
//! let clone = purchase(2, 2, 10)?;
//! let flags = Flags::NONE.with(Flag::BalanceDiscontinuity);
//! let seen = AcceptedRecord { id: RecordId::new(3), record: &clone, flags, region: beijing };
//! risk.accepted(&seen, now_ms, &mut decisions);
//! let hotlist = decisions.last().unwrap();
//! assert_eq!(hotlist.action, Action::HotlistCard);
//! if let Subject::Card(asn) = hotlist.subject {
//!     blacklist.list(asn, ListingReason::RiskRule, now_ms)?;
//! }
//!
//! // A terminal at version 0 gets the delta; its binary form decodes to the same.
//! let update = blacklist.delta_since(0)?;
//! let card = Asn::new([0x31, 0x04, 0, 0, 0, 0, 0x12, 0x34]);
//! let expected = BlacklistUpdate::Delta { from: 0, to: 1, added: vec![card], removed: vec![] };
//! assert_eq!(update, expected);
//! assert_eq!(BlacklistUpdate::decode(&update.encode())?, update);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// A setting's JSON path, under `issuers[]` when it is an issuer's override.
macro_rules! field {
    ($issuer:expr, $name:literal) => {
        if $issuer {
            concat!("issuers[].", $name)
        } else {
            $name
        }
    };
}

mod bad_tac;
mod blacklist;
mod blacklist_update;
mod card_state;
mod civil_time;
mod config;
mod counter_gap;
mod daily_spend;
mod decision;
mod discontinuity;
mod error;
mod evaluator;
mod eviction;
mod identifier_text;
mod observation;
mod quiet_period;
mod rule;
mod spend_evidence;
mod state;
mod state_encoding;
mod state_table;
mod velocity;

pub use bad_tac::{
    BAD_TAC_COUNT_DEFAULT, BAD_TAC_COUNT_MAX, BAD_TAC_WINDOW_MINUTES_DEFAULT,
    BAD_TAC_WINDOW_MINUTES_MAX, BadTacRule,
};
pub use blacklist::{
    BlacklistLimits, BlacklistState, Change, ChangeKind, DELTA_VERSIONS_MAX,
    DELTA_VERSIONS_MAX_DEFAULT, LISTED_CARDS_MAX, ListOutcome, Listing, ListingReason,
    NetworkBlacklist, SORTED_REFRESH_CHANGES, UnlistOutcome,
};
pub use blacklist_update::{BLACKLIST_FORMAT_VERSION, BLACKLIST_MAGIC, BlacklistUpdate};
pub use config::{
    CARD_IDLE_MINUTES_DEFAULT, CARDS_MAX_DEFAULT, GAP_COUNTERS_MAX_DEFAULT,
    GAP_IDLE_MINUTES_DEFAULT, IDLE_MINUTES_MAX, ISSUER_OVERRIDES_MAX, IssuerRules,
    REPEAT_QUIET_MINUTES_DEFAULT, REPEAT_QUIET_MINUTES_MAX, RiskConfig, RiskSettings, StateLimits,
    TABLE_ENTRIES_MAX, TERMINALS_MAX_DEFAULT,
};
pub use counter_gap::{
    CounterGapRule, GAP_OPEN_LIMIT_MINUTES_DEFAULT, GAP_OPEN_LIMIT_MINUTES_MAX,
    GAPS_PER_COUNTER_MAX,
};
pub use daily_spend::{
    DAILY_SPEND_THRESHOLD_FEN_DEFAULT, DailySpendRule, SPEND_DAYS_PER_CARD, SPEND_EVIDENCE_RECORDS,
};
pub use decision::{RecordId, RiskDecision};
pub use discontinuity::DiscontinuityRule;
pub use error::RiskError;
pub use evaluator::{RiskEvaluator, StateSizes};
pub use observation::{AcceptedRecord, ApprovedLoad, GapReport, RejectedRecord};
pub use rule::{Action, CardAction, RULES, Rule, Subject, TerminalAction};
pub use state::RiskState;
pub use state_encoding::{RISK_STATE_FORMAT_VERSION, RISK_STATE_MAGIC};
pub use velocity::{
    MIN_TRAVEL_MINUTES_DEFAULT, REGION_PAIRS_MAX, RegionPair, TRAVEL_MINUTES_MAX, VelocityRule,
};

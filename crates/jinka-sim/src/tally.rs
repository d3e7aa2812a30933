//! What the run did and saw, counted as it goes: activity, each fault's injections and their
//! outcomes, and the hub's decisions against what the simulation expected of each record. The
//! audit reads it; the report prints it (`--report`, fields documented in the README).

use serde::Serialize;

/// Examples of a surprise kept for the report.
pub const EXAMPLES_MAX: usize = 5;

/// The network's activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Card transactions approved (purchases, taps, loads; a resolved tear counts once).
    pub transactions: u64,
    /// Simple purchases (buses, shops, canteens).
    pub purchases: u64,
    /// Their sum.
    pub purchases_fen: u64,
    /// Metro entry taps.
    pub transit_entries: u64,
    /// Metro exit taps.
    pub transit_exits: u64,
    /// What taps charged (fares and missing-trip charges).
    pub transit_fen: u64,
    /// Loads.
    pub loads: u64,
    /// Their sum.
    pub loads_fen: u64,
    /// Loads confirmed online and posted by the hub before their record came.
    pub loads_confirmed_online: u64,
    /// Transactions refused, by reason.
    pub refused: Refused,
    /// APDUs sent to cards (card emulators and clones).
    pub apdus: u64,
    /// Records terminals stored.
    pub records_made: u64,
    /// Batch uploads (each upload call, re-uploads included).
    pub uploads: u64,
    /// Records in those uploads.
    pub records_uploaded: u64,
    /// Records accepted.
    pub records_accepted: u64,
    /// Records rejected.
    pub records_rejected: u64,
    /// Social-security applications added after issuance.
    pub social_security_added: u64,
    /// Cards whose directory lists the social-security application after it was added.
    pub social_security_listed: u64,
    /// Cards whose e-purse balance the addition left as it was.
    pub social_security_balance_kept: u64,
    /// Load authorizations the hub voided or posted by the counter chain.
    pub loads_resolved_voided: u64,
    /// Loads the resolver posted by the counter chain.
    pub loads_resolved_posted: u64,
}

/// Refusals by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// The balance did not cover the amount.
    pub insufficient_balance: u64,
    /// The SAM lacked the card's key version.
    pub sam_missing_key: u64,
    /// The card was on the blacklist.
    pub blacklisted: u64,
    /// The hub refused the load.
    pub load_refused: u64,
    /// Anything else.
    pub other: u64,
}

/// Torn cards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TornTally {
    /// Tears that fired during DEBIT or CREDIT.
    pub injected: u64,
    /// The card had committed: the terminal took the record from GET TRANSACTION PROVE.
    pub recovered: u64,
    /// The card had not committed: nothing moved, the transaction ran again.
    pub rolled_back: u64,
    /// Tears the next presentation did not resolve.
    pub unresolved: u64,
    /// Loads among the torn transactions.
    pub loads: u64,
}

/// Offline terminals and late records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OfflineTally {
    /// Terminals that went offline.
    pub terminals: u64,
    /// Terminal-days offline.
    pub terminal_days: u64,
    /// Batches uploaded after a day or more offline (in shuffled order).
    pub late_batches: u64,
    /// Records uploaded on a later day than they were made.
    pub late_records: u64,
    /// Of those, accepted.
    pub late_accepted: u64,
    /// Accepted records that opened a counter gap.
    pub counter_gaps_opened: u64,
}

/// Batches uploaded twice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DuplicateTally {
    /// Re-uploads under the same batch id.
    pub same_id: u64,
    /// Of those, answered with the first answer byte for byte.
    pub same_id_identical: u64,
    /// Replays of a batch's accepted records under a new batch id.
    pub replays: u64,
    /// Records replayed.
    pub replayed_records: u64,
    /// Of those, rejected `duplicate`.
    pub replayed_duplicate: u64,
}

/// Records corrupted in transit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CorruptTally {
    /// Records corrupted.
    pub records: u64,
    /// Rejected `bad_tac`.
    pub bad_tac: u64,
    /// Clean copies sent again.
    pub resent: u64,
    /// Clean copies accepted.
    pub resent_accepted: u64,
}

/// Cloned cards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CloneTally {
    /// Cards cloned.
    pub cards: u64,
    /// Purchases the clones made.
    pub purchases: u64,
    /// Their sum.
    pub purchases_fen: u64,
    /// Records of cloned cards the hub flagged `balance_discontinuity`.
    pub discontinuity_flags: u64,
    /// Records of cloned cards rejected `duplicate` (two chips, one counter value).
    pub duplicates: u64,
    /// Their sum: what the two chips spent that no one will be paid for.
    pub duplicates_fen: u64,
    /// Cloned cards the hub's decisions exposed (flag or duplicate).
    pub detected: u64,
    /// Cloned cards whose two chips never used one counter value (nothing to detect).
    pub undetectable: u64,
}

/// Lost cards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LostTally {
    /// Cards reported lost.
    pub reported: u64,
    /// Reports the hub hotlisted.
    pub hub_hotlisted: u64,
    /// Tries by the finder after the report.
    pub finder_tries: u64,
    /// Of those, refused as blacklisted.
    pub refused: u64,
    /// Cards the refusing terminal blocked on the chip.
    pub blocked_on_card: u64,
    /// Money that moved on a lost card after its report.
    pub moved_after_report_fen: u64,
}

/// Hub restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RestartTally {
    /// Restarts around an upload.
    pub injected: u64,
    /// Uploads whose answer was lost, uploaded again after the restart.
    pub answers_lost: u64,
    /// Of those, answered after the restart with the lost answer, byte for byte.
    pub answers_identical: u64,
    /// Restarts before an upload reached the hub.
    pub before_upload: u64,
    /// Restarts this hub could not do (a remote hub).
    pub not_possible: u64,
}

/// SAMs missing a key version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MissingKeyTally {
    /// SAMs that started without the bank's new key version.
    pub sams: u64,
    /// Purchases and taps they refused for it.
    pub refused: u64,
    /// SAMs updated later.
    pub updated: u64,
}

/// Every fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultTally {
    /// Torn cards.
    pub torn: TornTally,
    /// Offline terminals.
    pub offline: OfflineTally,
    /// Duplicate uploads.
    pub duplicate: DuplicateTally,
    /// Corrupted records.
    pub corrupt: CorruptTally,
    /// Cloned cards.
    pub clone: CloneTally,
    /// Lost cards.
    pub lost: LostTally,
    /// Hub restarts.
    pub restart: RestartTally,
    /// SAMs missing a key.
    pub missing_key: MissingKeyTally,
}

/// The hub's decisions against the simulation's expectations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DecisionTally {
    /// Decisions as expected.
    pub as_expected: u64,
    /// Decisions not as expected.
    pub unexpected: u64,
    /// The first surprises.
    pub examples: Vec<String>,
    /// `balance_discontinuity` on a card never cloned (a false alarm).
    pub false_discontinuities: u64,
    /// `hotlisted_card_used` flags.
    pub hotlisted_flags: u64,
}

impl DecisionTally {
    /// Notes a surprise.
    pub fn surprise(&mut self, what: String) {
        self.unexpected += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(what);
        }
    }
}

/// Everything counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Activity.
    pub activity: Activity,
    /// Faults.
    pub faults: FaultTally,
    /// Decisions.
    pub decisions: DecisionTally,
    /// Approvals whose balance before was not the balance the simulation expected (a double
    /// or a lost debit).
    pub balance_surprises: u64,
    /// Examples of those.
    pub balance_examples: Vec<String>,
    /// Each simulated day's share of the activity (the drain's uploads not included).
    pub days: Vec<DayActivity>,
}

/// One simulated day's activity: what the day added to the run's [`Activity`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayActivity {
    /// Card transactions approved.
    pub transactions: u64,
    /// Loads.
    pub loads: u64,
    /// Records uploaded (re-uploads included).
    pub records_uploaded: u64,
}

impl DayActivity {
    /// The run's activity so far, as a day's counters.
    pub(crate) fn so_far(activity: &Activity) -> DayActivity {
        DayActivity {
            transactions: activity.transactions,
            loads: activity.loads,
            records_uploaded: activity.records_uploaded,
        }
    }

    /// What was added since `before`.
    pub(crate) fn since(self, before: DayActivity) -> DayActivity {
        DayActivity {
            transactions: self.transactions.saturating_sub(before.transactions),
            loads: self.loads.saturating_sub(before.loads),
            records_uploaded: self
                .records_uploaded
                .saturating_sub(before.records_uploaded),
        }
    }
}

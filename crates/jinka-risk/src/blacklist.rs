//! The network blacklist (`hub.md` § Blacklist): hotlisted cards, versioned. Every listing
//! and every removal bumps the version by one and is logged; a terminal at version `v` gets
//! the changes since `v` folded into one [`BlacklistUpdate::Delta`], or the whole list
//! ([`BlacklistUpdate::Full`]) when it is further behind than the log reaches.

use std::collections::{HashMap, VecDeque};

use jinka_clearing::Asn;
use serde::{Deserialize, Serialize};

use crate::blacklist_update::BlacklistUpdate;
use crate::error::RiskError;

/// The most cards the blacklist may hold: as many as a terminal's list holds
/// (`jinka_terminal::blacklist::BLACKLIST_CARDS_MAX`), so every full list fits a terminal.
pub const LISTED_CARDS_MAX: usize = 4_000_000;
/// Default number of versions a delta may span, and of changes the log keeps: a terminal
/// further behind gets the full list.
pub const DELTA_VERSIONS_MAX_DEFAULT: u64 = 100_000;
/// The most changes a configuration may keep in the log.
pub const DELTA_VERSIONS_MAX: u64 = 10_000_000;
/// Changes after which the sorted copy of the list is brought up to date (or fewer, when the
/// log keeps fewer): a full list merges at most that many changes into it, so it costs about
/// a copy of the list, however the cards were listed. Bringing it up to date costs the same,
/// once per that many changes.
pub const SORTED_REFRESH_CHANGES: u64 = 4_096;

/// Why a card is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingReason {
    /// Reported lost or stolen by its holder.
    Lost,
    /// A risk rule's decision ([`crate::Action::HotlistCard`]).
    RiskRule,
    /// Its issuer asked.
    IssuerRequest,
    /// Replaced by a new card (the old one must not be used).
    Replaced,
    /// Closed and refunded.
    Closed,
}

/// A listed card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// The card.
    #[serde(with = "crate::identifier_text::asn")]
    pub asn: Asn,
    /// Why.
    pub reason: ListingReason,
    /// When (the hub's time, epoch ms).
    pub listed_at_ms: i64,
}

/// One change of the log: what made the list `version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The version it made.
    pub version: u64,
    /// The card.
    #[serde(with = "crate::identifier_text::asn")]
    pub asn: Asn,
    /// Listed (with why) or removed.
    pub kind: ChangeKind,
    /// When (the hub's time, epoch ms).
    pub at_ms: i64,
}

/// Listed or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Listed, with why.
    Listed(ListingReason),
    /// Removed from the list.
    Unlisted,
}

/// The blacklist's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlacklistLimits {
    delta_versions_max: u64,
    listed_cards_max: usize,
}

impl BlacklistLimits {
    /// Limits: deltas span at most `delta_versions_max` versions (1 to
    /// [`DELTA_VERSIONS_MAX`]; the log keeps that many changes), and at most
    /// `listed_cards_max` cards are listed (1 to [`LISTED_CARDS_MAX`]).
    pub const fn new(
        delta_versions_max: u64,
        listed_cards_max: usize,
    ) -> Result<BlacklistLimits, RiskError> {
        if delta_versions_max == 0 || delta_versions_max > DELTA_VERSIONS_MAX {
            return Err(RiskError::config(
                "blacklist.delta_versions_max",
                "must be 1 to 10000000",
            ));
        }
        if listed_cards_max == 0 || listed_cards_max > LISTED_CARDS_MAX {
            return Err(RiskError::config(
                "blacklist.listed_cards_max",
                "must be 1 to 4000000 (a terminal's list)",
            ));
        }
        Ok(BlacklistLimits {
            delta_versions_max,
            listed_cards_max,
        })
    }

    /// Versions a delta may span (and changes the log keeps).
    pub const fn delta_versions_max(&self) -> u64 {
        self.delta_versions_max
    }

    /// Cards the list may hold.
    pub const fn listed_cards_max(&self) -> usize {
        self.listed_cards_max
    }
}

impl Default for BlacklistLimits {
    fn default() -> BlacklistLimits {
        BlacklistLimits {
            delta_versions_max: DELTA_VERSIONS_MAX_DEFAULT,
            listed_cards_max: LISTED_CARDS_MAX,
        }
    }
}

/// What [`NetworkBlacklist::list`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOutcome {
    /// Listed: the list is now at `version`.
    Listed {
        /// The new version.
        version: u64,
    },
    /// It was listed already (its listing is kept as it was; the version does not move).
    AlreadyListed(Listing),
}

/// What [`NetworkBlacklist::unlist`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlistOutcome {
    /// Removed: the list is now at `version`.
    Unlisted {
        /// The new version.
        version: u64,
        /// The listing removed.
        listing: Listing,
    },
    /// It was not listed (the version does not move).
    NotListed,
}

/// The blacklist as plain data: what the hub persists (or keeps in its tables) and takes
/// back with [`NetworkBlacklist::restore`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlacklistState {
    /// The version.
    pub version: u64,
    /// The listed cards, sorted by ASN.
    pub entries: Vec<Listing>,
    /// The change log, oldest first: consecutive versions ending at `version` (it may be
    /// shorter than the limit, or empty).
    pub changes: Vec<Change>,
}

/// The listed part of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listed {
    reason: ListingReason,
    listed_at_ms: i64,
}

/// The versioned network blacklist. Version 0 is the empty list no change has touched (a
/// terminal's list starts there too).
///
/// Lookups go through a hash map (load authorization asks for every load); the full list is
/// a sorted copy at an earlier version merged with the changes since (see
/// [`SORTED_REFRESH_CHANGES`]), because walking a tree of a million cards listed in random
/// order costs a cache miss per card.
#[derive(Clone, Debug)]
pub struct NetworkBlacklist {
    limits: BlacklistLimits,
    version: u64,
    listed: HashMap<Asn, Listed>,
    /// The listed cards at `sorted_version`, ascending.
    sorted: Vec<Asn>,
    /// At most [`NetworkBlacklist::refresh_after`] versions behind `version`.
    sorted_version: u64,
    /// Consecutive versions ending at `version`, at most `delta_versions_max` of them.
    changes: VecDeque<Change>,
}

/// Two lists are equal when they list the same cards at the same version with the same log
/// (however recently their sorted copies were refreshed).
impl PartialEq for NetworkBlacklist {
    fn eq(&self, other: &NetworkBlacklist) -> bool {
        self.limits == other.limits
            && self.version == other.version
            && self.listed == other.listed
            && self.changes == other.changes
    }
}

impl Eq for NetworkBlacklist {}

impl NetworkBlacklist {
    /// An empty list at version 0.
    pub fn new(limits: BlacklistLimits) -> NetworkBlacklist {
        NetworkBlacklist {
            limits,
            version: 0,
            listed: HashMap::new(),
            sorted: Vec::new(),
            sorted_version: 0,
            changes: VecDeque::new(),
        }
    }

    /// The version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Cards listed.
    pub fn len(&self) -> usize {
        self.listed.len()
    }

    /// Whether no card is listed.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The limits.
    pub fn limits(&self) -> &BlacklistLimits {
        &self.limits
    }

    /// Whether `asn` is listed (what load authorization asks, at once).
    pub fn contains(&self, asn: Asn) -> bool {
        self.listed.contains_key(&asn)
    }

    /// The listing of `asn`, if listed.
    pub fn listing(&self, asn: Asn) -> Option<Listing> {
        self.listed.get(&asn).map(|listed| listing(asn, *listed))
    }

    /// Every listing, by ASN.
    pub fn listings(&self) -> Vec<Listing> {
        let entries = self.full_entries();
        let listed = |asn: Asn| self.listed.get(&asn).map(|listed| listing(asn, *listed));
        entries.into_iter().filter_map(listed).collect()
    }

    /// The log's changes, oldest first (for the hub to persist).
    pub fn changes(&self) -> impl Iterator<Item = &Change> + '_ {
        self.changes.iter()
    }

    /// The oldest version a delta can start from: older ones get the full list.
    pub fn oldest_delta_base(&self) -> u64 {
        let oldest_change = self.changes.front().map_or(self.version, |c| c.version - 1);
        let limit = self.version.saturating_sub(self.limits.delta_versions_max);
        oldest_change.max(limit)
    }

    /// Lists `asn` for `reason` at `at_ms`, bumping the version; a card listed already keeps
    /// its listing. Refused when the list is full.
    pub fn list(
        &mut self,
        asn: Asn,
        reason: ListingReason,
        at_ms: i64,
    ) -> Result<ListOutcome, RiskError> {
        if let Some(listed) = self.listed.get(&asn) {
            return Ok(ListOutcome::AlreadyListed(listing(asn, *listed)));
        }
        if self.listed.len() >= self.limits.listed_cards_max {
            return Err(RiskError::BlacklistFull {
                max: self.limits.listed_cards_max,
            });
        }
        let listed_at_ms = at_ms;
        self.listed.insert(
            asn,
            Listed {
                reason,
                listed_at_ms,
            },
        );
        let version = self.log(asn, ChangeKind::Listed(reason), at_ms);
        Ok(ListOutcome::Listed { version })
    }

    /// Removes `asn` at `at_ms`, bumping the version; nothing when it is not listed.
    pub fn unlist(&mut self, asn: Asn, at_ms: i64) -> UnlistOutcome {
        let Some(listed) = self.listed.remove(&asn) else {
            return UnlistOutcome::NotListed;
        };
        let version = self.log(asn, ChangeKind::Unlisted, at_ms);
        UnlistOutcome::Unlisted {
            version,
            listing: listing(asn, listed),
        }
    }

    /// Logs a change as the next version and compacts the log to its limit.
    fn log(&mut self, asn: Asn, kind: ChangeKind, at_ms: i64) -> u64 {
        // One change per version: 2^64 changes do not happen.
        self.version = self.version.saturating_add(1);
        let version = self.version;
        self.changes.push_back(Change {
            version,
            asn,
            kind,
            at_ms,
        });
        if version - self.sorted_version >= self.refresh_after() {
            self.sorted = self.full_entries();
            self.sorted_version = version;
        }
        let kept = usize::try_from(self.limits.delta_versions_max).unwrap_or(usize::MAX);
        while self.changes.len() > kept {
            self.changes.pop_front();
        }
        version
    }

    /// How many versions the sorted copy may fall behind: the log must still hold them.
    fn refresh_after(&self) -> u64 {
        SORTED_REFRESH_CHANGES.min(self.limits.delta_versions_max)
    }

    /// The cards listed now and not at `from`, and those listed at `from` and not now, both
    /// ascending. `from` must be at least [`NetworkBlacklist::oldest_delta_base`].
    fn changes_since(&self, from: u64) -> (Vec<Asn>, Vec<Asn>) {
        let first_kept = self.changes.front().map_or(self.version, |c| c.version);
        let skip = usize::try_from(from.saturating_add(1).saturating_sub(first_kept)).unwrap_or(0);
        // Whether each card touched since was listed at `from`: the opposite of its first
        // change. Whether it is listed now: the map.
        let mut listed_at_from: HashMap<Asn, bool> = HashMap::new();
        for change in self.changes.iter().skip(skip) {
            let was_listed = change.kind == ChangeKind::Unlisted;
            listed_at_from.entry(change.asn).or_insert(was_listed);
        }
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for (asn, was_listed) in listed_at_from {
            match (was_listed, self.listed.contains_key(&asn)) {
                (false, true) => added.push(asn),
                (true, false) => removed.push(asn),
                _ => {}
            }
        }
        added.sort_unstable();
        removed.sort_unstable();
        (added, removed)
    }

    /// Every listed card, ascending: the sorted copy with the changes since merged in.
    fn full_entries(&self) -> Vec<Asn> {
        let (added, removed) = self.changes_since(self.sorted_version);
        let mut entries = Vec::with_capacity(self.listed.len());
        let (mut added, mut removed) = (added.into_iter().peekable(), removed.iter().peekable());
        for asn in &self.sorted {
            while let Some(new) = added.next_if(|new| new < asn) {
                entries.push(new);
            }
            // Every removed card is in the copy (it was listed then), in the same order.
            if removed.next_if(|gone| *gone == asn).is_none() {
                entries.push(*asn);
            }
        }
        entries.extend(added);
        entries
    }

    /// What a holder of the list at version `from` needs to reach the current version: the
    /// changes since folded into a delta (a card listed and removed since is in neither
    /// list; an empty delta from the current version says "up to date"), or the full list
    /// when `from` is before [`NetworkBlacklist::oldest_delta_base`]. Refused when `from` is
    /// past the current version.
    pub fn delta_since(&self, from: u64) -> Result<BlacklistUpdate, RiskError> {
        if from > self.version {
            return Err(RiskError::VersionAhead {
                asked: from,
                current: self.version,
            });
        }
        if from < self.oldest_delta_base() {
            return Ok(self.full());
        }
        let (added, removed) = self.changes_since(from);
        Ok(BlacklistUpdate::Delta {
            from,
            to: self.version,
            added,
            removed,
        })
    }

    /// The full list at the current version.
    pub fn full(&self) -> BlacklistUpdate {
        BlacklistUpdate::Full {
            version: self.version,
            entries: self.full_entries(),
        }
    }

    /// The list as plain data.
    pub fn state(&self) -> BlacklistState {
        BlacklistState {
            version: self.version,
            entries: self.listings(),
            changes: self.changes.iter().copied().collect(),
        }
    }

    /// A list from stored `state`, checked: entries distinct and within the limit, changes
    /// at consecutive versions ending at `version`, each card's last change agreeing with
    /// the entries. A log longer than `limits` allows keeps its newest changes.
    pub fn restore(
        limits: BlacklistLimits,
        state: BlacklistState,
    ) -> Result<NetworkBlacklist, RiskError> {
        if state.entries.len() > limits.listed_cards_max {
            return Err(RiskError::InvalidBlacklist("more entries than the limit"));
        }
        let mut listed = HashMap::with_capacity(state.entries.len());
        for entry in &state.entries {
            let value = Listed {
                reason: entry.reason,
                listed_at_ms: entry.listed_at_ms,
            };
            if listed.insert(entry.asn, value).is_some() {
                return Err(RiskError::InvalidBlacklist("a card is listed twice"));
            }
        }
        check_log(&state, &listed)?;
        let mut sorted: Vec<Asn> = state.entries.iter().map(|entry| entry.asn).collect();
        sorted.sort_unstable();
        let mut blacklist = NetworkBlacklist {
            limits,
            version: state.version,
            listed,
            sorted,
            sorted_version: state.version,
            changes: state.changes.into(),
        };
        let kept = usize::try_from(limits.delta_versions_max).unwrap_or(usize::MAX);
        while blacklist.changes.len() > kept {
            blacklist.changes.pop_front();
        }
        Ok(blacklist)
    }
}

fn listing(asn: Asn, listed: Listed) -> Listing {
    Listing {
        asn,
        reason: listed.reason,
        listed_at_ms: listed.listed_at_ms,
    }
}

/// The log's versions are consecutive and end at the state's version, and each card's last
/// change agrees with the entries.
fn check_log(state: &BlacklistState, listed: &HashMap<Asn, Listed>) -> Result<(), RiskError> {
    let count = u64::try_from(state.changes.len()).unwrap_or(u64::MAX);
    if count > state.version {
        return Err(RiskError::InvalidBlacklist("more changes than versions"));
    }
    let first = state.version - count + 1;
    let mut last_change: HashMap<Asn, ChangeKind> = HashMap::new();
    for (expected, change) in (first..).zip(&state.changes) {
        if change.version != expected {
            return Err(RiskError::InvalidBlacklist(
                "changes must be at consecutive versions ending at the list's",
            ));
        }
        last_change.insert(change.asn, change.kind);
    }
    for (asn, kind) in last_change {
        let agrees = match kind {
            ChangeKind::Listed(_) => listed.contains_key(&asn),
            ChangeKind::Unlisted => !listed.contains_key(&asn),
        };
        if !agrees {
            return Err(RiskError::InvalidBlacklist(
                "a card's last change contradicts the entries",
            ));
        }
    }
    Ok(())
}

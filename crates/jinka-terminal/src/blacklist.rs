//! The terminal's copy of the network blacklist: versioned, updated by deltas or a full list.

use std::collections::HashSet;
use std::sync::Arc;

/// Most cards a terminal's blacklist holds.
pub const BLACKLIST_CARDS_MAX: usize = 4_000_000;

/// Hotlisted cards by ASN8, at a version of the network's list.
///
/// A clone shares the list until one of them changes (copy on write): a host that keeps the
/// same version for many terminals (a simulation of thousands) holds it once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Blacklist {
    version: u64,
    listed: Arc<HashSet<[u8; 8]>>,
}

/// Why a blacklist update was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlacklistError {
    /// A delta from another version than ours: fetch the delta from our version, or the list.
    #[error("delta starts at version {delta_from}, the terminal is at {ours}")]
    VersionGap {
        /// Our version.
        ours: u64,
        /// The delta's base.
        delta_from: u64,
    },
    /// The update would not move the version forward.
    #[error("version {0} is not newer than the terminal's")]
    NotNewer(u64),
    /// More cards than the terminal holds.
    #[error("more than {BLACKLIST_CARDS_MAX} cards")]
    TooLarge,
}

impl Blacklist {
    /// The version this list is at (0: never updated).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether the card is listed.
    pub fn contains(&self, asn: &[u8; 8]) -> bool {
        self.listed.contains(asn)
    }

    /// Number of listed cards.
    pub fn len(&self) -> usize {
        self.listed.len()
    }

    /// Whether no card is listed.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Applies the changes from version `from` to `to`. An empty delta at the list's own
    /// version (`from == to`, nothing added or removed: the hub's "up to date") changes
    /// nothing; any other delta must move the version forward.
    pub fn apply_delta(
        &mut self,
        from: u64,
        to: u64,
        added: &[[u8; 8]],
        removed: &[[u8; 8]],
    ) -> Result<(), BlacklistError> {
        if from != self.version {
            return Err(BlacklistError::VersionGap {
                ours: self.version,
                delta_from: from,
            });
        }
        if to == self.version && added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        if to <= self.version {
            return Err(BlacklistError::NotNewer(to));
        }
        if self.listed.len() + added.len() > BLACKLIST_CARDS_MAX {
            return Err(BlacklistError::TooLarge);
        }
        let listed = Arc::make_mut(&mut self.listed);
        removed.iter().for_each(|asn| {
            listed.remove(asn);
        });
        listed.extend(added.iter().copied());
        self.version = to;
        Ok(())
    }

    /// Replaces the list with the full list at `version`.
    pub fn replace(&mut self, version: u64, listed: &[[u8; 8]]) -> Result<(), BlacklistError> {
        if listed.len() > BLACKLIST_CARDS_MAX {
            return Err(BlacklistError::TooLarge);
        }
        if version < self.version {
            return Err(BlacklistError::NotNewer(version));
        }
        self.listed = Arc::new(listed.iter().copied().collect());
        self.version = version;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_the_list_until_it_changes() {
        let mut first = Blacklist::default();
        first.replace(1, &[[1; 8], [2; 8]]).unwrap();
        let mut second = first.clone();
        assert!(Arc::ptr_eq(&first.listed, &second.listed));
        second.apply_delta(1, 2, &[[3; 8]], &[[1; 8]]).unwrap();
        assert!(!Arc::ptr_eq(&first.listed, &second.listed));
        assert!(first.contains(&[1; 8]) && !first.contains(&[3; 8]));
        assert!(!second.contains(&[1; 8]) && second.contains(&[3; 8]));
        assert_eq!((first.version(), second.version()), (1, 2));
    }

    #[test]
    fn deltas_apply_in_order_only() {
        let mut list = Blacklist::default();
        list.apply_delta(0, 3, &[[1; 8], [2; 8]], &[]).unwrap();
        assert!(list.contains(&[1; 8]));
        assert_eq!(
            list.apply_delta(2, 4, &[], &[]),
            Err(BlacklistError::VersionGap {
                ours: 3,
                delta_from: 2
            })
        );
        assert_eq!(
            list.apply_delta(3, 3, &[[9; 8]], &[]),
            Err(BlacklistError::NotNewer(3))
        );
        assert_eq!(
            list.apply_delta(3, 2, &[], &[]),
            Err(BlacklistError::NotNewer(2))
        );
        list.apply_delta(3, 5, &[[3; 8]], &[[1; 8]]).unwrap();
        assert!(!list.contains(&[1; 8]) && list.contains(&[3; 8]));
        assert_eq!((list.version(), list.len()), (5, 2));
        list.replace(9, &[[7; 8]]).unwrap();
        assert!(list.contains(&[7; 8]) && !list.contains(&[2; 8]));
    }

    #[test]
    fn an_empty_delta_at_the_current_version_changes_nothing() {
        let mut list = Blacklist::default();
        list.apply_delta(0, 0, &[], &[]).unwrap();
        assert_eq!((list.version(), list.len()), (0, 0));
        list.apply_delta(0, 2, &[[1; 8]], &[]).unwrap();
        let before = list.clone();
        list.apply_delta(2, 2, &[], &[]).unwrap();
        assert_eq!(list, before);
        assert_eq!(
            list.apply_delta(1, 1, &[], &[]),
            Err(BlacklistError::VersionGap {
                ours: 2,
                delta_from: 1
            })
        );
    }
}

//! A table of per-subject state with a named limit: full, it first forgets what has gone idle,
//! then the least recently touched eighth.

use std::collections::HashMap;
use std::hash::Hash;

use crate::eviction::{eviction_count, least_recent};

/// State that knows when it was last touched (the hub's time, epoch ms).
pub(crate) trait Touched {
    fn touched_at_ms(&self) -> i64;
}

/// Per-subject state, at most `max` entries.
#[derive(Clone, Debug)]
pub(crate) struct StateTable<K, V> {
    map: HashMap<K, V>,
    max: usize,
}

impl<K, V> StateTable<K, V>
where
    K: Copy + Eq + Hash + Ord,
    V: Touched + Default,
{
    pub(crate) fn new(max: usize) -> Self {
        StateTable {
            map: HashMap::new(),
            max,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Makes room for `additional` more entries at once (restoring a stored state, whose
    /// size is known), at most up to the limit, so the table does not grow (and hold its old
    /// and new storage at once) on the way. The count comes from stored bytes: when the
    /// memory cannot be had, the table grows as entries come instead.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let room = self.max.saturating_sub(self.map.len());
        let _ = self.map.try_reserve(additional.min(room));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.map.remove(key);
    }

    /// The state of `key`, created empty if there is none; when that needs room in a full
    /// table, entries for which `idle` holds go first, then the least recently touched.
    pub(crate) fn get_or_insert(&mut self, key: K, idle: impl Fn(&V) -> bool) -> &mut V {
        if self.map.len() >= self.max && !self.map.contains_key(&key) {
            self.make_room(idle);
        }
        self.map.entry(key).or_default()
    }

    /// Puts `state` under `key` (restoring), making room as [`StateTable::get_or_insert`]
    /// does; `false` if `key` was there already.
    pub(crate) fn insert(&mut self, key: K, state: V, idle: impl Fn(&V) -> bool) -> bool {
        if self.map.contains_key(&key) {
            return false;
        }
        if self.map.len() >= self.max {
            self.make_room(idle);
        }
        self.map.insert(key, state);
        true
    }

    fn make_room(&mut self, idle: impl Fn(&V) -> bool) {
        self.map.retain(|_, state| !idle(state));
        if self.map.len() < self.max {
            return;
        }
        let count = eviction_count(self.max);
        let entries = self
            .map
            .iter()
            .map(|(key, state)| (state.touched_at_ms(), *key));
        for key in least_recent(entries, count) {
            self.map.remove(&key);
        }
    }

    /// Forgets the entries for which `idle` holds.
    pub(crate) fn forget(&mut self, idle: impl Fn(&V) -> bool) {
        self.map.retain(|_, state| !idle(state));
    }

    /// The keys for which `wanted` holds, sorted (so that what follows is deterministic).
    pub(crate) fn sorted_keys(&self, wanted: impl Fn(&V) -> bool) -> Vec<K> {
        let mut keys: Vec<K> = self
            .map
            .iter()
            .filter(|(_, state)| wanted(state))
            .map(|(key, _)| *key)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Every entry, sorted by key.
    pub(crate) fn sorted_entries(&self) -> Vec<(K, &V)> {
        let mut entries: Vec<(K, &V)> = self.map.iter().map(|(key, state)| (*key, state)).collect();
        entries.sort_unstable_by_key(|(key, _)| *key);
        entries
    }
}

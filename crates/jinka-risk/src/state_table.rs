//! A table of per-subject state with a named limit: full, it first forgets what has gone idle,
//! then the least recently touched eighth.
//!
//! The states live in a vector of slots, and a hash map takes each key to its slot's index
//! (a `u32`). A hash table keeps half to seven eighths of its buckets in use, so a map of
//! large entries pays for up to twice the entries it holds; here it pays that for the small
//! key and index only, and the states are kept once each. A forgotten state's slot is reset
//! and given to the next new key, so slots never move and the states need not know their keys.
//!
//! A table can keep a journal ([`StateTable::begin`]): each key's state as it was before the
//! first change since, so that [`StateTable::undo`] puts every state back (the hub's
//! transaction that failed after the rules saw it) and [`StateTable::keep`] forgets it.

use std::collections::hash_map::Entry;
use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};

use crate::eviction::{eviction_count, least_recent};

/// State that knows when it was last touched (the hub's time, epoch ms).
pub(crate) trait Touched {
    fn touched_at_ms(&self) -> i64;
}

/// Per-subject state, at most `max` entries (at most [`crate::TABLE_ENTRIES_MAX`], so a slot
/// index fits a `u32`).
#[derive(Clone, Debug)]
pub(crate) struct StateTable<K, V> {
    /// Each key's slot.
    index: HashMap<K, u32>,
    /// The states; a slot no key names holds `V::default()` and is listed in `free`.
    slots: Vec<V>,
    /// Slots no key names, taken before the vector grows.
    free: Vec<u32>,
    max: usize,
    /// Each state as it was before its first change since [`StateTable::begin`], if begun.
    journal: Option<Journal<K, V>>,
}

/// The states as they were: for each key changed, once, its state then (`None`: it had none).
#[derive(Clone, Debug)]
struct Journal<K, V>(HashMap<K, Option<V>>);

impl<K: Copy + Eq + Hash, V: Clone> Journal<K, V> {
    /// Notes `key`'s state before a change, the first time only.
    fn note(&mut self, key: K, index: &HashMap<K, u32>, slots: &[V]) {
        if let Entry::Vacant(entry) = self.0.entry(key) {
            entry.insert(index.get(&key).map(|slot| slot_ref(slots, *slot).clone()));
        }
    }

    /// Notes `key`'s state, about to be forgotten: taken from its slot, not copied.
    fn note_forgotten(&mut self, key: K, state: &mut V)
    where
        V: Default,
    {
        if let Entry::Vacant(entry) = self.0.entry(key) {
            entry.insert(Some(std::mem::take(state)));
        }
    }
}

impl<K, V> StateTable<K, V>
where
    K: Copy + Eq + Hash + Ord,
    V: Touched + Default + Clone,
{
    pub(crate) fn new(max: usize) -> Self {
        assert!(
            u32::try_from(max).is_ok(),
            "a table limit past u32 (the configuration checks it)"
        );
        StateTable {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            max,
            journal: None,
        }
    }

    /// Starts a journal of the changes from now on (a journal begun before is kept: its
    /// changes stay).
    pub(crate) fn begin(&mut self) {
        self.journal = Some(Journal(HashMap::new()));
    }

    /// Keeps the changes since [`StateTable::begin`] and stops the journal.
    pub(crate) fn keep(&mut self) {
        self.journal = None;
    }

    /// Puts back every state changed since [`StateTable::begin`] as it was then (a key that
    /// had none has none again) and stops the journal. Without a journal, nothing changes.
    pub(crate) fn undo(&mut self) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        // The keys that were not there go first, so the table never holds more than it did.
        let (absent, present): (Vec<_>, Vec<_>) =
            (journal.0.into_iter()).partition(|(_, state)| state.is_none());
        for (key, _) in absent {
            self.remove(&key);
        }
        for (key, state) in present {
            let Some(state) = state else { continue };
            let slot = match self.index.entry(key) {
                Entry::Occupied(entry) => *entry.get(),
                Entry::Vacant(entry) => *entry.insert(take_slot(&mut self.slots, &mut self.free)),
            };
            *slot_mut(&mut self.slots, slot) = state;
        }
    }

    /// Notes `key`'s state in the journal, if one is kept, before it changes.
    fn note(&mut self, key: K) {
        if let Some(journal) = &mut self.journal {
            journal.note(key, &self.index, &self.slots);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Makes room for `additional` more entries at once (restoring a stored state, whose
    /// size is known), at most up to the limit, so the table does not grow (and hold its old
    /// and new storage at once) on the way. The count comes from stored bytes: when the
    /// memory cannot be had, the table grows as entries come instead.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let wanted = additional.min(self.max.saturating_sub(self.index.len()));
        let _ = self.index.try_reserve(wanted);
        let _ = self
            .slots
            .try_reserve_exact(wanted.saturating_sub(self.free.len()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let slot = *self.index.get(key)?;
        self.note(*key);
        self.slots.get_mut(slot as usize)
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.note(*key);
        if let Some(slot) = self.index.remove(key) {
            release(&mut self.slots, &mut self.free, slot);
        }
    }

    /// The state of `key`, created empty if there is none; when that needs room in a full
    /// table, entries for which `idle` holds go first, then the least recently touched.
    pub(crate) fn get_or_insert(&mut self, key: K, idle: impl Fn(&V) -> bool) -> &mut V {
        if self.index.len() >= self.max && !self.index.contains_key(&key) {
            self.make_room(idle);
        }
        self.note(key);
        let slot = match self.index.entry(key) {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(entry) => *entry.insert(take_slot(&mut self.slots, &mut self.free)),
        };
        slot_mut(&mut self.slots, slot)
    }

    /// Puts `state` under `key` (restoring), making room as [`StateTable::get_or_insert`]
    /// does; `false` if `key` was there already.
    pub(crate) fn insert(&mut self, key: K, state: V, idle: impl Fn(&V) -> bool) -> bool {
        if self.index.contains_key(&key) {
            return false;
        }
        if self.index.len() >= self.max {
            self.make_room(idle);
        }
        self.note(key);
        let slot = take_slot(&mut self.slots, &mut self.free);
        *slot_mut(&mut self.slots, slot) = state;
        self.index.insert(key, slot);
        true
    }

    fn make_room(&mut self, idle: impl Fn(&V) -> bool) {
        self.forget(idle);
        if self.index.len() < self.max {
            return;
        }
        let count = eviction_count(self.max);
        let slots = &self.slots;
        let entries = self
            .index
            .iter()
            .map(|(key, slot)| (slot_ref(slots, *slot).touched_at_ms(), *key));
        for key in least_recent(entries, count) {
            self.remove(&key);
        }
    }

    /// Forgets the entries for which `idle` holds.
    pub(crate) fn forget(&mut self, idle: impl Fn(&V) -> bool) {
        let (slots, free, journal) = (&mut self.slots, &mut self.free, &mut self.journal);
        self.index.retain(|key, slot| {
            let keep = !idle(slot_ref(slots, *slot));
            if !keep {
                if let Some(journal) = journal.as_mut() {
                    journal.note_forgotten(*key, slot_mut(slots, *slot));
                }
                release(slots, free, *slot);
            }
            keep
        });
    }

    /// The keys for which `wanted` holds, sorted (so that what follows is deterministic).
    pub(crate) fn sorted_keys(&self, wanted: impl Fn(&V) -> bool) -> Vec<K> {
        let mut keys: Vec<K> = self
            .index
            .iter()
            .filter(|(_, slot)| wanted(slot_ref(&self.slots, **slot)))
            .map(|(key, _)| *key)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Every entry, sorted by key.
    pub(crate) fn sorted_entries(&self) -> Vec<(K, &V)> {
        let mut entries: Vec<(K, &V)> = (self.index.iter())
            .map(|(key, slot)| (*key, slot_ref(&self.slots, *slot)))
            .collect();
        entries.sort_unstable_by_key(|(key, _)| *key);
        entries
    }
}

/// A slot for a new key: a free one, or a new one at the end.
fn take_slot<V: Default>(slots: &mut Vec<V>, free: &mut Vec<u32>) -> u32 {
    if let Some(slot) = free.pop() {
        return slot;
    }
    // At most `max` keys name slots and `new` checked that `max` fits a u32.
    let slot = u32::try_from(slots.len()).expect("a slot index within the table's limit");
    slots.push(V::default());
    slot
}

/// Resets a slot no key names any more (letting go of what its state holds) and frees it.
fn release<V: Default>(slots: &mut [V], free: &mut Vec<u32>, slot: u32) {
    *slot_mut(slots, slot) = V::default();
    free.push(slot);
}

// Every index in the map names a slot of the vector (slots are never dropped): a broken
// invariant is a bug, so these stop rather than limp on.
fn slot_ref<V>(slots: &[V], slot: u32) -> &V {
    slots.get(slot as usize).expect("a key's slot exists")
}

fn slot_mut<V>(slots: &mut [V], slot: u32) -> &mut V {
    slots.get_mut(slot as usize).expect("a key's slot exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Seen(i64);

    impl Touched for Seen {
        fn touched_at_ms(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn forgotten_slots_are_reset_and_taken_again() {
        let mut table: StateTable<u32, Seen> = StateTable::new(4);
        for key in 0..4 {
            table.get_or_insert(key, |_| false).0 = i64::from(key) + 10;
        }
        table.forget(|seen| seen.0 < 12);
        assert_eq!(table.len(), 2);
        assert_eq!(table.free.len(), 2);
        assert!(table.slots.iter().filter(|seen| seen.0 == 0).count() == 2);
        // New keys take the freed slots, empty; the vector does not grow.
        assert_eq!(*table.get_or_insert(7, |_| false), Seen(0));
        assert!(table.insert(8, Seen(5), |_| false));
        assert!(!table.insert(8, Seen(6), |_| false));
        assert_eq!(table.slots.len(), 4);
        let entries: Vec<(u32, i64)> = (table.sorted_entries().into_iter())
            .map(|(key, seen)| (key, seen.0))
            .collect();
        assert_eq!(entries, [(2, 12), (3, 13), (7, 0), (8, 5)]);
        // Full: the least recently touched eighth (one) goes.
        table.get_or_insert(9, |_| false).0 = 20;
        assert!(!table.contains(&7));
        assert_eq!(table.len(), 4);
        assert_eq!(table.get_mut(&8), Some(&mut Seen(5)));
        table.remove(&8);
        assert_eq!(table.get_mut(&8), None);
        assert_eq!(table.sorted_keys(|seen| seen.0 > 12), [3, 9]);
    }
}

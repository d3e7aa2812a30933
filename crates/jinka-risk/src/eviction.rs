//! Choosing what state to forget when a table is full.

/// The keys of the `count` entries touched least recently, ties broken by key: chosen by
/// value, not by the table's iteration order, so the choice is deterministic.
pub(crate) fn least_recent<K: Ord + Copy>(
    entries: impl Iterator<Item = (i64, K)>,
    count: usize,
) -> Vec<K> {
    let mut entries: Vec<(i64, K)> = entries.collect();
    if count == 0 {
        return Vec::new();
    }
    if count < entries.len() {
        entries.select_nth_unstable(count - 1);
        entries.truncate(count);
    }
    entries.into_iter().map(|(_, key)| key).collect()
}

/// How many entries to forget when a table of `max` entries is full: an eighth, so that the
/// O(entries) choice is paid once per `max / 8` insertions.
pub(crate) const fn eviction_count(max: usize) -> usize {
    if max / 8 == 0 { 1 } else { max / 8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recent_go_first_whatever_the_order() {
        let entries = [(5, 'a'), (1, 'b'), (3, 'c'), (1, 'a'), (9, 'd')];
        let mut chosen = least_recent(entries.into_iter(), 3);
        chosen.sort_unstable();
        assert_eq!(chosen, ['a', 'b', 'c']);
        assert_eq!(least_recent(entries.into_iter().rev(), 2).len(), 2);
        assert!(least_recent(entries.into_iter(), 0).is_empty());
        assert_eq!(least_recent(entries.into_iter(), 9).len(), 5);
        assert_eq!((eviction_count(3), eviction_count(80)), (1, 10));
    }
}

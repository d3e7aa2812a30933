//! Event order as bytes: the order of events is `eventTime`, then `eventID` (as
//! `jinka-trace`'s projections order them), and an order key is the time as 8 big-endian
//! bytes with the sign bit flipped, followed by the id's bytes. Byte-wise comparison of two
//! keys (SQLite `BLOB`, PostgreSQL `BYTEA`) is then the event order, and a time alone (8
//! bytes) is a bound: every key of that millisecond sorts after it.

/// The key of the event at `time_ms` with id `event_id`.
pub(crate) fn order_key(time_ms: i64, event_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + event_id.len());
    key.extend_from_slice(&time_prefix(time_ms));
    key.extend_from_slice(event_id.as_bytes());
    key
}

/// The 8 bytes that start the keys of events at `time_ms`.
pub(crate) fn time_prefix(time_ms: i64) -> [u8; 8] {
    (time_ms.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// A key below every key.
pub(crate) const KEY_MIN: &[u8] = &[];
/// A key above every key: no time prefix starts with `FF` (times stop at year 9999).
pub(crate) const KEY_MAX: &[u8] = &[0xFF];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_order_as_time_then_id() {
        let keys = [
            order_key(-5, "urn:b"),
            order_key(-5, "urn:c"),
            order_key(0, "urn:a"),
            order_key(0, "urn:a:1"),
            order_key(0, "urn:b"),
            order_key(253_402_300_799_999, "urn:a"),
        ];
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            keys.iter()
                .all(|key| KEY_MIN < key.as_slice() && key.as_slice() < KEY_MAX)
        );
        assert!(time_prefix(0).as_slice() < order_key(0, "urn:a").as_slice());
        assert!(order_key(-1, "urn:z").as_slice() < time_prefix(0).as_slice());
    }
}

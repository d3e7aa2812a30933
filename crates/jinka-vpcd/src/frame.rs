//! The vpcd frame: a 2-byte big-endian length, then that many payload bytes. Pure: no I/O.

use crate::VpcdError;

/// Bytes of the length prefix in front of every payload.
pub const LENGTH_PREFIX_BYTES: usize = 2;

/// Largest payload a frame can carry: what the 2-byte length prefix can count.
pub const PAYLOAD_BYTES_MAX: usize = u16::MAX as usize;

/// Appends one frame carrying `payload` to `out`.
///
/// Refuses a payload over [`PAYLOAD_BYTES_MAX`] with [`VpcdError::PayloadTooLong`] and then
/// leaves `out` unchanged.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) -> Result<(), VpcdError> {
    let length = u16::try_from(payload.len()).map_err(|_| VpcdError::PayloadTooLong {
        payload_bytes: payload.len(),
    })?;
    out.reserve(LENGTH_PREFIX_BYTES + payload.len());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// The payload length a length prefix announces.
pub fn payload_length(prefix: [u8; LENGTH_PREFIX_BYTES]) -> usize {
    usize::from(u16::from_be_bytes(prefix))
}

/// Splits the first complete frame off `bytes`: `Some((payload, rest))`, or `None` while the
/// frame is still incomplete.
pub fn decode_frame(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (prefix, after_prefix) = bytes.split_first_chunk::<LENGTH_PREFIX_BYTES>()?;
    let length = payload_length(*prefix);
    if after_prefix.len() < length {
        return None;
    }
    Some(after_prefix.split_at(length))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_big_endian_length_then_payload() {
        let mut out = vec![0xEE];
        assert!(encode_frame(&[0x00, 0xA4, 0x04, 0x00], &mut out).is_ok());
        assert_eq!(out, [0xEE, 0x00, 0x04, 0x00, 0xA4, 0x04, 0x00]);
    }

    #[test]
    fn encodes_the_largest_payload_and_refuses_one_more_byte() {
        let mut out = Vec::new();
        assert!(encode_frame(&vec![0x5A; PAYLOAD_BYTES_MAX], &mut out).is_ok());
        assert_eq!(out.get(..2), Some(&[0xFF, 0xFF][..]));
        assert_eq!(out.len(), PAYLOAD_BYTES_MAX + LENGTH_PREFIX_BYTES);

        let mut out = vec![0x01];
        let refused = encode_frame(&vec![0x5A; PAYLOAD_BYTES_MAX + 1], &mut out);
        assert!(matches!(
            refused,
            Err(VpcdError::PayloadTooLong { payload_bytes }) if payload_bytes == PAYLOAD_BYTES_MAX + 1
        ));
        assert_eq!(out, [0x01], "a refused payload leaves the buffer unchanged");
    }

    #[test]
    fn decode_waits_for_a_complete_frame() {
        assert_eq!(decode_frame(&[]), None);
        assert_eq!(decode_frame(&[0x00]), None);
        assert_eq!(decode_frame(&[0x00, 0x02, 0x90]), None);
        assert_eq!(
            decode_frame(&[0x00, 0x02, 0x90, 0x00, 0x07]),
            Some((&[0x90, 0x00][..], &[0x07][..]))
        );
        assert_eq!(decode_frame(&[0x00, 0x00]), Some((&[][..], &[][..])));
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(
            payload in proptest::collection::vec(any::<u8>(), 0..600),
            rest in proptest::collection::vec(any::<u8>(), 0..8),
        ) {
            let mut bytes = Vec::new();
            prop_assert!(encode_frame(&payload, &mut bytes).is_ok());
            bytes.extend_from_slice(&rest);
            prop_assert_eq!(decode_frame(&bytes), Some((&payload[..], &rest[..])));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Some((payload, rest)) = decode_frame(&bytes) {
                prop_assert_eq!(payload.len() + rest.len() + LENGTH_PREFIX_BYTES, bytes.len());
            }
        }
    }
}

//! Frames: how entries sit in the log file, and how recovery tells a torn tail from damage.
//!
//! ```text
//! offset  bytes  field
//!  0      4      payload length L, big-endian, 1..=FRAME_PAYLOAD_BYTES_MAX
//!  4      4      !L (bitwise complement): a damaged length is caught before it is trusted
//!  8      8      checksum: the first 8 bytes of SM3(L ‖ payload)
//! 16      L      payload (an entry)
//! ```
//!
//! A commit appends whole frames with one `write` and then `fdatasync`s, so a crash can only
//! leave the frames of the last, unfinished commit incomplete: a prefix of them, or their full
//! length with zeros or stale bytes where the data never reached the disk. [`scan`] therefore
//! calls an invalid frame a **torn tail** (to be truncated) only where nothing could follow it:
//! - fewer bytes left than a header;
//! - a valid header whose frame runs past the end of the file;
//! - a frame that ends exactly at the end of the file but fails its checksum;
//! - an invalid header followed by nothing but zero bytes (a zero-filled tail).
//!
//! Anything else, in particular a bad checksum or a bad header with valid-looking bytes after
//! it, is **corruption**: the caller refuses to open the log rather than drop what follows.
//!
//! The checksum guards against torn writes and media damage, not against an attacker (the
//! card's TAC does that for each record). SM3 is already a dependency of the workspace (no new
//! crate to vet); it costs about 0.16 µs per record (`checksum/sm3-1024-records` in the
//! store benchmark), under 2 % of the 10 µs a purchase may take at 100 000 a second.

use sm3::{Digest, Sm3};

/// Bytes of a frame header.
pub const FRAME_HEADER_BYTES: usize = 16;
/// The largest payload a frame may carry: one commit of [`crate::COMMIT_RECORDS_MAX`] records
/// (kind byte, count, records).
pub const FRAME_PAYLOAD_BYTES_MAX: usize =
    1 + 2 + crate::COMMIT_RECORDS_MAX * jinka_record::RECORD_BYTES;
/// The largest frame.
pub const FRAME_BYTES_MAX: usize = FRAME_HEADER_BYTES + FRAME_PAYLOAD_BYTES_MAX;

fn checksum(length: [u8; 4], payload: &[u8]) -> [u8; 8] {
    let digest = Sm3::new()
        .chain_update(length)
        .chain_update(payload)
        .finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Starts a frame at the end of `out`; write the payload after it, then call [`finish`].
pub fn begin(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER_BYTES]);
    start
}

/// Fills in the header of the frame begun at `start`, whose payload is the rest of `out`.
pub fn finish(out: &mut [u8], start: usize) {
    let payload_start = start + FRAME_HEADER_BYTES;
    let length = out.len() - payload_start;
    assert!(
        (1..=FRAME_PAYLOAD_BYTES_MAX).contains(&length),
        "a frame payload is 1..={FRAME_PAYLOAD_BYTES_MAX} bytes, not {length}"
    );
    let length = u32::try_from(length).expect("bounded above").to_be_bytes();
    let (header, payload) = out[start..].split_at_mut(FRAME_HEADER_BYTES);
    header[0..4].copy_from_slice(&length);
    header[4..8].copy_from_slice(&length.map(|byte| !byte));
    header[8..16].copy_from_slice(&checksum(length, payload));
}

/// How the frames of a log end.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every byte belongs to a valid frame.
    Clean,
    /// The bytes from `offset` on are a torn tail.
    Torn {
        /// Where the tail starts.
        offset: usize,
    },
    /// The frame at `offset` is damaged and valid data may follow it.
    Corrupt {
        /// Where the damaged frame starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// The valid frames of a log, each as (offset, payload), and how they end.
#[derive(Debug)]
pub struct Scan<'a> {
    /// Valid frames in file order.
    pub frames: Vec<(usize, &'a [u8])>,
    /// What follows the last valid frame.
    pub ending: Ending,
}

/// Splits `bytes` into frames. Never panics.
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    let mut frames = Vec::new();
    let mut offset = 0;
    let ending = loop {
        let Some(rest) = bytes.get(offset..).filter(|rest| !rest.is_empty()) else {
            break Ending::Clean;
        };
        match frame(rest) {
            Ok((payload, length)) => {
                frames.push((offset, payload));
                offset += length;
            }
            Err(Invalid::Torn) => break Ending::Torn { offset },
            Err(Invalid::Corrupt(reason)) => break Ending::Corrupt { offset, reason },
        }
    };
    Scan { frames, ending }
}

enum Invalid {
    Torn,
    Corrupt(&'static str),
}

/// The payload and whole length of the frame at the start of `rest` (not empty).
fn frame(rest: &[u8]) -> Result<(&[u8], usize), Invalid> {
    let Some((header, after)) = rest.split_first_chunk::<FRAME_HEADER_BYTES>() else {
        return Err(Invalid::Torn);
    };
    let [l0, l1, l2, l3, c0, c1, c2, c3, sum @ ..] = *header;
    let length = u32::from_be_bytes([l0, l1, l2, l3]);
    let length_valid = length == !u32::from_be_bytes([c0, c1, c2, c3])
        && (1..=FRAME_PAYLOAD_BYTES_MAX).contains(&(length as usize));
    if !length_valid {
        return if rest.iter().all(|&byte| byte == 0) {
            Err(Invalid::Torn)
        } else {
            Err(Invalid::Corrupt("invalid frame header"))
        };
    }
    let Some(payload) = after.get(..length as usize) else {
        return Err(Invalid::Torn);
    };
    if checksum(length.to_be_bytes(), payload) != sum {
        return if after.len() == payload.len() {
            Err(Invalid::Torn)
        } else {
            Err(Invalid::Corrupt("frame checksum mismatch"))
        };
    }
    Ok((payload, FRAME_HEADER_BYTES + payload.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for payload in payloads {
            let start = begin(&mut out);
            out.extend_from_slice(payload);
            finish(&mut out, start);
        }
        out
    }

    fn payloads<'a>(scan: &Scan<'a>) -> Vec<&'a [u8]> {
        scan.frames.iter().map(|(_, payload)| *payload).collect()
    }

    #[test]
    fn frames_round_trip() {
        let bytes = log(&[b"one", b"two two", &[7; 300]]);
        let scan = scan(&bytes);
        assert_eq!(scan.ending, Ending::Clean);
        assert_eq!(payloads(&scan), [&b"one"[..], b"two two", &[7; 300]]);
        assert_eq!(scan.frames[1].0, FRAME_HEADER_BYTES + 3);
    }

    #[test]
    fn every_prefix_of_the_last_frame_is_a_torn_tail() {
        let bytes = log(&[b"kept", b"the last frame"]);
        let last = FRAME_HEADER_BYTES + 4;
        for cut in last + 1..bytes.len() {
            let scan = scan(&bytes[..cut]);
            assert_eq!(payloads(&scan), [b"kept"]);
            assert_eq!(scan.ending, Ending::Torn { offset: last }, "cut at {cut}");
        }
    }

    #[test]
    fn zeroed_or_garbled_last_frames_are_torn_tails() {
        let bytes = log(&[b"kept", b"the last frame"]);
        let last = FRAME_HEADER_BYTES + 4;
        let mut zero_tail = bytes[..last].to_vec();
        zero_tail.extend_from_slice(&[0; 100]);
        assert_eq!(scan(&zero_tail).ending, Ending::Torn { offset: last });
        // The last frame at full length, its payload never written.
        let mut unwritten = bytes.clone();
        unwritten[last + FRAME_HEADER_BYTES..].fill(0);
        assert_eq!(scan(&unwritten).ending, Ending::Torn { offset: last });
    }

    #[test]
    fn damage_before_the_last_frame_is_corruption() {
        let bytes = log(&[b"first", b"second", b"third"]);
        let second = FRAME_HEADER_BYTES + 5;
        for (at, reason) in [
            (second, "invalid frame header"),     // length
            (second + 5, "invalid frame header"), // length check
            (second + 9, "frame checksum mismatch"),
            (second + FRAME_HEADER_BYTES + 2, "frame checksum mismatch"),
        ] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            let scan = scan(&damaged);
            assert_eq!(payloads(&scan), [b"first"]);
            assert_eq!(
                scan.ending,
                Ending::Corrupt {
                    offset: second,
                    reason
                },
                "byte {at}"
            );
        }
        // A length grown to run past the end is caught by its complement, not taken as torn.
        let mut grown = bytes.clone();
        grown[second + 2] = 0x10;
        assert!(matches!(scan(&grown).ending, Ending::Corrupt { .. }));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(0u8..4, 0..600)) {
            // Small byte values: many zero runs (torn tails) among invalid headers.
            let scan = scan(&bytes);
            let end = match scan.ending {
                Ending::Clean => bytes.len(),
                Ending::Torn { offset } | Ending::Corrupt { offset, .. } => offset,
            };
            let framed: usize = scan.frames.iter().map(|(_, p)| FRAME_HEADER_BYTES + p.len()).sum();
            proptest::prop_assert_eq!(framed, end);
        }

        #[test]
        fn a_valid_log_with_garbage_appended_never_loses_its_frames(
            garbage in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
        ) {
            let mut bytes = log(&[b"one", b"two"]);
            bytes.extend_from_slice(&garbage);
            let scan = scan(&bytes);
            proptest::prop_assert_eq!(payloads(&scan), [&b"one"[..], b"two"]);
        }
    }
}

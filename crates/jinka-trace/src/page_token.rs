//! The opaque cursor of a paged query (EPCIS 2.0 REST `nextPageToken`).

use crate::error::{Error, Result};
use crate::event_id::EventId;
use crate::uri::IDENTIFIER_BYTES_MAX;

const VERSION: u8 = 1;
/// Version, fingerprint, count returned, key: the bytes before the event id.
const HEADER_BYTES: usize = 1 + 8 + 8 + 8;
/// The longest token read, in characters (hex of the header and the longest event id).
pub const PAGE_TOKEN_CHARS_MAX: usize = 2 * (HEADER_BYTES + IDENTIFIER_BYTES_MAX);

/// Where the next page starts: after the event with `key_ms` (its event or record time,
/// after the query's `orderBy`) and `event_id`, for the query with `fingerprint`, `returned`
/// events already handed out (for `eventCountLimit` across pages).
///
/// Written as hex, so it is opaque to clients and safe in a URL; it carries no secret and
/// grants nothing (the hub checks access on every page as on the first). The fingerprint
/// hashes the query's parameters as this build prints them, so a token outlives neither a
/// change of query nor an upgrade of the binary (the client then starts again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageToken {
    pub(crate) fingerprint: u64,
    pub(crate) returned: u64,
    pub(crate) key_ms: i64,
    pub(crate) event_id: EventId,
}

impl PageToken {
    /// The ordering key (event or record time, in epoch ms) of the last event handed out:
    /// the next page starts after it. Storage that pages with an index reads it.
    pub fn key_ms(&self) -> i64 {
        self.key_ms
    }

    /// The id of the last event handed out (ties of `key_ms` are ordered by id).
    pub fn event_id(&self) -> &EventId {
        &self.event_id
    }

    pub fn parse(text: &str) -> Result<PageToken> {
        let bad = |reason| Error::PageToken { reason };
        if text.len() > PAGE_TOKEN_CHARS_MAX {
            return Err(bad("too long"));
        }
        let bytes = hex::decode(text).map_err(|_| bad("not hex"))?;
        let (header, id) = bytes
            .split_at_checked(HEADER_BYTES)
            .ok_or(bad("too short"))?;
        let [version, rest @ ..] = header else {
            return Err(bad("too short"));
        };
        if *version != VERSION {
            return Err(bad("unknown version"));
        }
        let word = |at: usize| -> Result<[u8; 8]> {
            rest.get(at..at + 8)
                .and_then(|slice| slice.try_into().ok())
                .ok_or(bad("too short"))
        };
        let id = std::str::from_utf8(id).map_err(|_| bad("event id is not text"))?;
        Ok(PageToken {
            fingerprint: u64::from_be_bytes(word(0)?),
            returned: u64::from_be_bytes(word(8)?),
            key_ms: i64::from_be_bytes(word(16)?),
            event_id: EventId::parse(id).map_err(|_| bad("event id is not a URI"))?,
        })
    }
}

impl std::fmt::Display for PageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + self.event_id.as_str().len());
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.fingerprint.to_be_bytes());
        bytes.extend_from_slice(&self.returned.to_be_bytes());
        bytes.extend_from_slice(&self.key_ms.to_be_bytes());
        bytes.extend_from_slice(self.event_id.as_str().as_bytes());
        f.write_str(&hex::encode(bytes))
    }
}

/// FNV-1a, 64 bits: a fixed, dependency-free hash to tie a token to its query.
pub(crate) fn fingerprint(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let token = PageToken {
            fingerprint: 0xdead_beef,
            returned: 30,
            key_ms: -5,
            event_id: EventId::parse("urn:jinka:event:42").unwrap(),
        };
        assert_eq!(PageToken::parse(&token.to_string()), Ok(token.clone()));
        for text in ["", "zz", "00", &"0".repeat(PAGE_TOKEN_CHARS_MAX + 2)] {
            assert!(PageToken::parse(text).is_err(), "{text}");
        }
        let mut other_version = token.to_string();
        other_version.replace_range(0..2, "02");
        assert!(PageToken::parse(&other_version).is_err());
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}

//! What a terminal fetches: a delta from its version, or the full list. Two forms: JSON
//! (serde) and a compact binary form for large lists; both are checked when read.
//!
//! The forms and their checks are at [`BlacklistUpdate`].

use jinka_clearing::Asn;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::blacklist::LISTED_CARDS_MAX;
use crate::error::RiskError;

/// The binary form's first bytes.
pub const BLACKLIST_MAGIC: [u8; 4] = *b"JKBL";
/// The binary form's format version.
pub const BLACKLIST_FORMAT_VERSION: u8 = 1;
const KIND_FULL: u8 = 0x01;
const KIND_DELTA: u8 = 0x02;
const ASN_BYTES: usize = 8;

/// A delta or the full list.
///
/// A terminal applies them with `jinka_terminal::Blacklist`: a delta with
/// `apply_delta(from, to, added, removed)`, a full list with `replace(version, entries)`.
/// An empty delta with `from == to` means "up to date": there is nothing to apply (the
/// terminal's `apply_delta` takes it as a no-op at its own version).
///
/// # JSON
///
/// `{"kind": "delta", "from": 7, "to": 9, "added": ["3104000000012345"], "removed": []}` or
/// `{"kind": "full", "version": 9, "entries": ["3104000000012345", ...]}`: ASNs as 16 hex
/// digits, each list sorted ascending without repeats.
///
/// # Binary (all integers big-endian)
///
/// | bytes | field |
/// |---|---|
/// | 4 | magic `JKBL` |
/// | 1 | format version, [`BLACKLIST_FORMAT_VERSION`] |
/// | 1 | kind: `01` full, `02` delta |
/// | full: 8 | version |
/// | full: 4 + 8 × n | count n, then n ASN8s ascending |
/// | delta: 8 + 8 | from, to |
/// | delta: 4 + 8 × a | count a, then a added ASN8s ascending |
/// | delta: 4 + 8 × r | count r, then r removed ASN8s ascending |
///
/// Nothing follows. A full list of a million cards is 8,000,018 bytes.
///
/// # Checks (both forms)
///
/// Lists sorted strictly ascending, at most [`crate::LISTED_CARDS_MAX`] ASNs; a delta's `from`
/// at most its `to`, no ASN both added and removed, at most `to - from` ASNs in all (each
/// version is one change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlacklistUpdate {
    /// The changes from version `from` to version `to`, folded: cards listed at `to` and not
    /// at `from`, and cards listed at `from` and not at `to`.
    Delta {
        /// The version it applies to.
        from: u64,
        /// The version it brings.
        to: u64,
        /// Cards to add, ascending.
        added: Vec<Asn>,
        /// Cards to remove, ascending.
        removed: Vec<Asn>,
    },
    /// Every listed card at `version`.
    Full {
        /// The version.
        version: u64,
        /// The listed cards, ascending.
        entries: Vec<Asn>,
    },
}

fn strictly_ascending(list: &[Asn]) -> bool {
    list.windows(2).all(|pair| pair[0] < pair[1])
}

/// Whether two ascending lists share an element.
fn intersect(a: &[Asn], b: &[Asn]) -> bool {
    let (mut i, mut j) = (a.iter().peekable(), b.iter().peekable());
    while let (Some(x), Some(y)) = (i.peek(), j.peek()) {
        match x.cmp(y) {
            core::cmp::Ordering::Less => {
                i.next();
            }
            core::cmp::Ordering::Greater => {
                j.next();
            }
            core::cmp::Ordering::Equal => return true,
        }
    }
    false
}

impl BlacklistUpdate {
    /// A checked delta (the module's checks).
    pub fn delta(
        from: u64,
        to: u64,
        added: Vec<Asn>,
        removed: Vec<Asn>,
    ) -> Result<BlacklistUpdate, RiskError> {
        let invalid = RiskError::InvalidUpdate;
        if from > to {
            return Err(invalid("a delta runs from a version to a later one"));
        }
        let cards = added.len().saturating_add(removed.len());
        if u64::try_from(cards).unwrap_or(u64::MAX) > to - from || cards > LISTED_CARDS_MAX {
            return Err(invalid("a delta changes at most one card per version"));
        }
        if !strictly_ascending(&added) || !strictly_ascending(&removed) {
            return Err(invalid("lists must be ascending without repeats"));
        }
        if intersect(&added, &removed) {
            return Err(invalid("a card is both added and removed"));
        }
        Ok(BlacklistUpdate::Delta {
            from,
            to,
            added,
            removed,
        })
    }

    /// A checked full list (the module's checks).
    pub fn full(version: u64, entries: Vec<Asn>) -> Result<BlacklistUpdate, RiskError> {
        if entries.len() > LISTED_CARDS_MAX {
            return Err(RiskError::InvalidUpdate("more cards than a list holds"));
        }
        if !strictly_ascending(&entries) {
            return Err(RiskError::InvalidUpdate(
                "lists must be ascending without repeats",
            ));
        }
        Ok(BlacklistUpdate::Full { version, entries })
    }

    /// The version the holder is at after applying it.
    pub fn version(&self) -> u64 {
        match self {
            BlacklistUpdate::Delta { to, .. } => *to,
            BlacklistUpdate::Full { version, .. } => *version,
        }
    }

    /// Whether it is the empty delta of a holder already up to date.
    pub fn is_up_to_date(&self) -> bool {
        matches!(self, BlacklistUpdate::Delta { from, to, .. } if from == to)
    }

    /// The binary form (the module's table).
    pub fn encode(&self) -> Vec<u8> {
        let cards = match self {
            BlacklistUpdate::Delta { added, removed, .. } => added.len() + removed.len(),
            BlacklistUpdate::Full { entries, .. } => entries.len(),
        };
        let mut bytes = Vec::with_capacity(4 + 1 + 1 + 16 + 8 + ASN_BYTES * cards);
        bytes.extend_from_slice(&BLACKLIST_MAGIC);
        bytes.push(BLACKLIST_FORMAT_VERSION);
        match self {
            BlacklistUpdate::Full { version, entries } => {
                bytes.push(KIND_FULL);
                bytes.extend_from_slice(&version.to_be_bytes());
                put_list(&mut bytes, entries);
            }
            BlacklistUpdate::Delta {
                from,
                to,
                added,
                removed,
            } => {
                bytes.push(KIND_DELTA);
                bytes.extend_from_slice(&from.to_be_bytes());
                bytes.extend_from_slice(&to.to_be_bytes());
                put_list(&mut bytes, added);
                put_list(&mut bytes, removed);
            }
        }
        bytes
    }

    /// Reads the binary form, checked.
    pub fn decode(bytes: &[u8]) -> Result<BlacklistUpdate, RiskError> {
        let mut reader = Reader(bytes);
        if reader.take::<4>()? != BLACKLIST_MAGIC {
            return Err(RiskError::InvalidUpdate("not a blacklist update (magic)"));
        }
        if reader.take::<1>()? != [BLACKLIST_FORMAT_VERSION] {
            return Err(RiskError::InvalidUpdate("unknown format version"));
        }
        let update = match reader.take::<1>()? {
            [KIND_FULL] => {
                let version = reader.u64()?;
                BlacklistUpdate::full(version, reader.list()?)?
            }
            [KIND_DELTA] => {
                let (from, to) = (reader.u64()?, reader.u64()?);
                let added = reader.list()?;
                BlacklistUpdate::delta(from, to, added, reader.list()?)?
            }
            _ => return Err(RiskError::InvalidUpdate("unknown kind")),
        };
        if !reader.0.is_empty() {
            return Err(RiskError::InvalidUpdate("bytes after the end"));
        }
        Ok(update)
    }
}

fn put_list(bytes: &mut Vec<u8>, list: &[Asn]) {
    // A list longer than u32 cannot be checked in: LISTED_CARDS_MAX is far below.
    let count = u32::try_from(list.len()).unwrap_or(u32::MAX);
    bytes.extend_from_slice(&count.to_be_bytes());
    for asn in list {
        bytes.extend_from_slice(&asn.bytes());
    }
}

/// Reads the binary form front to back.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], RiskError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(RiskError::InvalidUpdate("truncated"))?;
        self.0 = rest;
        Ok(*head)
    }

    fn u64(&mut self) -> Result<u64, RiskError> {
        self.take::<8>().map(u64::from_be_bytes)
    }

    fn list(&mut self) -> Result<Vec<Asn>, RiskError> {
        let count = u32::from_be_bytes(self.take::<4>()?) as usize;
        if count > LISTED_CARDS_MAX {
            return Err(RiskError::InvalidUpdate("more cards than a list holds"));
        }
        let bytes_len = count * ASN_BYTES;
        let Some((list, rest)) = self.0.split_at_checked(bytes_len) else {
            return Err(RiskError::InvalidUpdate("truncated"));
        };
        self.0 = rest;
        let asns = list
            .chunks_exact(ASN_BYTES)
            .filter_map(|chunk| <[u8; ASN_BYTES]>::try_from(chunk).ok().map(Asn::new));
        Ok(asns.collect())
    }
}

/// The JSON form, as read before the checks.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum UpdateJson {
    Delta {
        from: u64,
        to: u64,
        #[serde(with = "crate::identifier_text::asn_list")]
        added: Vec<Asn>,
        #[serde(with = "crate::identifier_text::asn_list")]
        removed: Vec<Asn>,
    },
    Full {
        version: u64,
        #[serde(with = "crate::identifier_text::asn_list")]
        entries: Vec<Asn>,
    },
}

/// Borrowing twin of [`UpdateJson`] for writing without copying the lists.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum UpdateJsonRef<'a> {
    Delta {
        from: u64,
        to: u64,
        #[serde(with = "crate::identifier_text::asn_list")]
        added: &'a [Asn],
        #[serde(with = "crate::identifier_text::asn_list")]
        removed: &'a [Asn],
    },
    Full {
        version: u64,
        #[serde(with = "crate::identifier_text::asn_list")]
        entries: &'a [Asn],
    },
}

impl Serialize for BlacklistUpdate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            BlacklistUpdate::Delta {
                from,
                to,
                added,
                removed,
            } => UpdateJsonRef::Delta {
                from: *from,
                to: *to,
                added,
                removed,
            },
            BlacklistUpdate::Full { version, entries } => UpdateJsonRef::Full {
                version: *version,
                entries,
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BlacklistUpdate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BlacklistUpdate, D::Error> {
        let checked = match UpdateJson::deserialize(deserializer)? {
            UpdateJson::Delta {
                from,
                to,
                added,
                removed,
            } => BlacklistUpdate::delta(from, to, added, removed),
            UpdateJson::Full { version, entries } => BlacklistUpdate::full(version, entries),
        };
        checked.map_err(serde::de::Error::custom)
    }
}

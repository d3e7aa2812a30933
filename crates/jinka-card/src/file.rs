//! Elementary files: transparent (binary) and record files (linear or cyclic).

use serde::{Deserialize, Serialize};

use crate::access::Access;

/// Largest transparent file.
pub const BINARY_BYTES_MAX: usize = 4096;
/// Longest record.
pub const RECORD_BYTES_MAX: usize = 254;
/// Most records in a record file.
pub const RECORDS_MAX: usize = 254;

/// An elementary file of an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ef {
    /// File identifier (SELECT by FID).
    pub fid: u16,
    /// Short file identifier (1 to 30; READ BINARY / READ RECORD by SFI).
    pub sfi: u8,
    /// Who may read it.
    pub read: Access,
    /// Who may write it.
    pub write: Access,
    /// Its content.
    pub body: EfBody,
}

/// The content of an elementary file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "structure")]
pub enum EfBody {
    /// A transparent file of fixed size.
    Binary {
        /// The bytes, as long as the file.
        #[serde(with = "hex::serde")]
        bytes: Vec<u8>,
    },
    /// A record file.
    Records(Records),
}

/// Records of a linear or cyclic file, held in physical slots.
///
/// Linear: record `n` is slot `n - 1`. Cyclic: record 1 is the newest, slot `head`, and record
/// `n` is `n - 1` slots before it; appending overwrites the oldest slot once the file is full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    /// Longest record this file takes.
    pub record_bytes_max: u8,
    /// Most records it holds.
    pub records_max: u8,
    /// Cyclic (newest first, oldest overwritten) or linear.
    pub cyclic: bool,
    /// The slot of the newest record (cyclic files).
    pub head: u8,
    /// The stored records, in slot order.
    pub slots: Slots,
}

impl Records {
    /// An empty record file.
    pub fn empty(record_bytes_max: u8, records_max: u8, cyclic: bool) -> Records {
        Records {
            record_bytes_max,
            records_max,
            cyclic,
            head: 0,
            slots: Slots::new(),
        }
    }

    /// The slot that holds record `number` (1-based), if that record exists.
    pub fn slot_of(&self, number: u8) -> Option<usize> {
        let count = self.slots.len();
        let offset = usize::from(number).checked_sub(1)?;
        if offset >= count {
            return None;
        }
        if self.cyclic {
            Some((usize::from(self.head) + count - offset) % count)
        } else {
            Some(offset)
        }
    }

    /// Record `number` (1-based).
    pub fn record(&self, number: u8) -> Option<&[u8]> {
        self.slot_of(number).and_then(|slot| self.slots.get(slot))
    }

    /// Where an appended record goes: `(slot, new head)`, or `None` when a linear file is full.
    pub fn append_slot(&self) -> Option<(usize, u8)> {
        let count = self.slots.len();
        if count < usize::from(self.records_max) {
            Some((count, count as u8))
        } else if self.cyclic && count > 0 {
            let slot = (usize::from(self.head) + 1) % count;
            Some((slot, slot as u8))
        } else {
            None
        }
    }

    /// Stores `bytes` in `slot` (growing the file by one slot at most) and sets the head.
    /// Setting the same slot twice is the same as once: the journal may replay it.
    pub fn set_slot(&mut self, slot: usize, head: u8, bytes: &[u8]) {
        if slot < self.slots.len() {
            self.slots.set(slot, bytes);
        } else {
            assert_eq!(
                slot,
                self.slots.len(),
                "a record slot is written next to the last one"
            );
            self.slots.push(bytes);
        }
        self.head = head;
    }
}

/// Bytes of the length in front of each record in [`Slots`].
const SLOT_LENGTH_BYTES: usize = 2;

/// The records of a record file, in slot order, packed in one buffer of exactly their size.
///
/// Each slot is its length (2 bytes, big-endian) then its bytes. A card's files hold a few short
/// records (the e-purse log: ten of 23 bytes), and a simulation holds a million cards: one
/// buffer per file instead of one per record saves the per-record `Vec` and its allocation.
/// Finding slot `n` walks `n` lengths, which for files of at most [`RECORDS_MAX`] records costs
/// less than the allocation it saves. The packing is canonical, so equal buffers mean equal
/// records.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<String>", try_from = "Vec<String>")]
pub struct Slots {
    packed: Vec<u8>,
    count: usize,
}

impl Slots {
    /// No records.
    pub const fn new() -> Slots {
        Slots {
            packed: Vec::new(),
            count: 0,
        }
    }

    /// How many slots are written.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no slot is written.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The record in `slot`.
    pub fn get(&self, slot: usize) -> Option<&[u8]> {
        if slot >= self.count {
            return None;
        }
        let (start, len) = self.locate(slot);
        self.packed.get(start..start + len)
    }

    /// The records in slot order.
    pub fn iter(&self) -> SlotsIter<'_> {
        SlotsIter { rest: &self.packed }
    }

    /// Appends a record in a new slot, growing the buffer by exactly its size.
    ///
    /// # Panics
    ///
    /// When the record is longer than 65,535 bytes: records are at most [`RECORD_BYTES_MAX`],
    /// checked before any write is made.
    pub fn push(&mut self, bytes: &[u8]) {
        let len = u16::try_from(bytes.len()).expect("a record fits its 2-byte length");
        self.packed.reserve_exact(SLOT_LENGTH_BYTES + bytes.len());
        self.packed.extend_from_slice(&len.to_be_bytes());
        self.packed.extend_from_slice(bytes);
        self.count += 1;
    }

    /// Replaces the record in `slot`; a record of the same length is overwritten in place.
    ///
    /// # Panics
    ///
    /// When `slot` is not written, or as [`Slots::push`]: writes are checked against the file
    /// before they are made, so either is a bug.
    pub fn set(&mut self, slot: usize, bytes: &[u8]) {
        assert!(slot < self.count, "a replaced record slot exists");
        let len = u16::try_from(bytes.len()).expect("a record fits its 2-byte length");
        let (start, old_len) = self.locate(slot);
        if old_len == bytes.len() {
            self.packed[start..start + old_len].copy_from_slice(bytes);
            return;
        }
        self.packed
            .reserve_exact(bytes.len().saturating_sub(old_len));
        self.packed
            .splice(start..start + old_len, bytes.iter().copied());
        self.packed[start - SLOT_LENGTH_BYTES..start].copy_from_slice(&len.to_be_bytes());
        // A shorter record leaves spare capacity; give it back so the buffer stays exact.
        self.packed.shrink_to_fit();
    }

    /// The packed buffer (each slot its 2-byte length then its bytes), as
    /// [`PackedMemory`](crate::PackedMemory) stores it.
    pub(crate) fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// Slots from a packed buffer, if it is whole: every length followed by that many bytes.
    pub(crate) fn from_packed(bytes: &[u8]) -> Option<Slots> {
        let mut rest = bytes;
        let mut count = 0;
        while !rest.is_empty() {
            let (length, after) = rest.split_first_chunk::<SLOT_LENGTH_BYTES>()?;
            rest = after.get(usize::from(u16::from_be_bytes(*length))..)?;
            count += 1;
        }
        Some(Slots {
            packed: bytes.to_vec(),
            count,
        })
    }

    /// Where the bytes of written slot `slot` start, and their length.
    fn locate(&self, slot: usize) -> (usize, usize) {
        let mut start = 0;
        for _ in 0..slot {
            start += SLOT_LENGTH_BYTES + self.length_at(start);
        }
        (start + SLOT_LENGTH_BYTES, self.length_at(start))
    }

    fn length_at(&self, offset: usize) -> usize {
        usize::from(u16::from_be_bytes([
            self.packed[offset],
            self.packed[offset + 1],
        ]))
    }
}

impl core::fmt::Debug for Slots {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Slots {
    type Item = &'a [u8];
    type IntoIter = SlotsIter<'a>;

    fn into_iter(self) -> SlotsIter<'a> {
        self.iter()
    }
}

impl<B: AsRef<[u8]>> FromIterator<B> for Slots {
    fn from_iter<I: IntoIterator<Item = B>>(records: I) -> Slots {
        let mut slots = Slots::new();
        for record in records {
            slots.push(record.as_ref());
        }
        slots
    }
}

/// The records of [`Slots`], in slot order.
#[derive(Clone, Debug)]
pub struct SlotsIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SlotsIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (length, rest) = self.rest.split_first_chunk::<SLOT_LENGTH_BYTES>()?;
        let (record, rest) = rest.split_at_checked(usize::from(u16::from_be_bytes(*length)))?;
        self.rest = rest;
        Some(record)
    }
}

/// The image form: one upper-case hex string per record, as when slots were a `Vec<Vec<u8>>`.
impl From<Slots> for Vec<String> {
    fn from(slots: Slots) -> Vec<String> {
        slots.iter().map(hex::encode_upper).collect()
    }
}

impl TryFrom<Vec<String>> for Slots {
    type Error = String;

    fn try_from(texts: Vec<String>) -> Result<Slots, String> {
        let mut slots = Slots::new();
        for text in &texts {
            let record = hex::decode(text).map_err(|error| error.to_string())?;
            if u16::try_from(record.len()).is_err() {
                return Err(format!("a record of {} bytes is too long", record.len()));
            }
            slots.push(&record);
        }
        Ok(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclic_files_number_newest_first_and_wrap() {
        let mut log = Records::empty(2, 3, true);
        for value in 1u8..=5 {
            let (slot, head) = log.append_slot().unwrap();
            log.set_slot(slot, head, &[value, value]);
        }
        assert_eq!(log.slots.len(), 3);
        assert_eq!(log.record(1), Some(&[5, 5][..]));
        assert_eq!(log.record(2), Some(&[4, 4][..]));
        assert_eq!(log.record(3), Some(&[3, 3][..]));
        assert_eq!(log.record(4), None);
        assert_eq!(log.record(0), None);
    }

    #[test]
    fn linear_files_fill_up() {
        let mut file = Records::empty(4, 2, false);
        for value in 1u8..=2 {
            let (slot, head) = file.append_slot().unwrap();
            file.set_slot(slot, head, &[value]);
        }
        assert_eq!(file.append_slot(), None);
        assert_eq!(file.record(1), Some(&[1][..]));
        assert_eq!(file.record(2), Some(&[2][..]));
    }

    #[test]
    fn slots_pack_records_of_any_length_exactly() {
        let mut slots = Slots::new();
        assert!(slots.is_empty());
        slots.push(&[1, 2, 3]);
        slots.push(&[]);
        slots.push(&[4; 30]);
        assert_eq!(slots.len(), 3);
        assert_eq!(slots.packed.capacity(), 3 * SLOT_LENGTH_BYTES + 33);
        slots.set(1, &[5, 5]);
        slots.set(0, &[6]);
        slots.set(2, &[7; 30]);
        let records: Vec<&[u8]> = slots.iter().collect();
        assert_eq!(records, [&[6][..], &[5, 5][..], &[7; 30][..]]);
        assert_eq!(slots.get(1), Some(&[5, 5][..]));
        assert_eq!(slots.get(3), None);
        assert_eq!(slots.packed.capacity(), slots.packed.len());
        let rebuilt: Slots = records.iter().collect();
        assert_eq!(rebuilt, slots);
        assert_eq!(format!("{slots:?}"), format!("{records:?}"));
    }

    #[test]
    fn slots_keep_their_image_form() {
        let slots: Slots = [vec![0xAB, 0x01], vec![]].into_iter().collect();
        let json = serde_json::to_string(&slots).unwrap();
        assert_eq!(json, r#"["AB01",""]"#);
        assert_eq!(serde_json::from_str::<Slots>(&json).unwrap(), slots);
        assert!(serde_json::from_str::<Slots>(r#"["ABC"]"#).is_err());
        let long = format!(r#"["{}"]"#, "00".repeat(70_000));
        assert!(serde_json::from_str::<Slots>(&long).is_err());
    }

    #[test]
    fn replaying_a_slot_write_changes_nothing() {
        let mut file = Records::empty(4, 3, true);
        file.set_slot(0, 0, &[1]);
        let once = file.clone();
        file.set_slot(0, 0, &[1]);
        assert_eq!(file, once);
    }
}

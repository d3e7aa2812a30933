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
    #[serde(with = "hex_records")]
    pub slots: Vec<Vec<u8>>,
}

impl Records {
    /// An empty record file.
    pub fn empty(record_bytes_max: u8, records_max: u8, cyclic: bool) -> Records {
        Records {
            record_bytes_max,
            records_max,
            cyclic,
            head: 0,
            slots: Vec::with_capacity(usize::from(records_max)),
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
        self.slot_of(number)
            .and_then(|slot| self.slots.get(slot))
            .map(Vec::as_slice)
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
        match self.slots.get_mut(slot) {
            Some(existing) => {
                existing.clear();
                existing.extend_from_slice(bytes);
            }
            None => {
                assert_eq!(
                    slot,
                    self.slots.len(),
                    "a record slot is written next to the last one"
                );
                let mut record = Vec::with_capacity(usize::from(self.record_bytes_max));
                record.extend_from_slice(bytes);
                self.slots.push(record);
            }
        }
        self.head = head;
    }
}

mod hex_records {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub(crate) fn serialize<S: Serializer>(
        slots: &[Vec<u8>],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(slots.len()))?;
        for slot in slots {
            seq.serialize_element(&hex::encode_upper(slot))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| hex::decode(text).map_err(serde::de::Error::custom))
            .collect()
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
    fn replaying_a_slot_write_changes_nothing() {
        let mut file = Records::empty(4, 3, true);
        file.set_slot(0, 0, &[1]);
        let once = file.clone();
        file.set_slot(0, 0, &[1]);
        assert_eq!(file, once);
    }
}

//! A day's latest purchases, kept as the daily spend rule's evidence: a ring of
//! [`SPEND_EVIDENCE_RECORDS`] record ids.
//!
//! Every card the evaluator holds has a ring for each of its days, so the ring is kept small:
//! ids that share their high 32 bits are kept as those bits once and each id's low 32 bits
//! (the hub numbers records by batch and index, so a card's purchases on one day nearly always
//! do), and only a ring whose ids do not goes out of line. A slot not used yet holds 0,
//! which fits with any others.

use crate::daily_spend::SPEND_EVIDENCE_RECORDS;
use crate::decision::RecordId;

/// Slots whose bit is set in a full `zero` mask: every slot.
const ALL_ZERO: u8 = (1 << SPEND_EVIDENCE_RECORDS) - 1;

/// The ring's ids (24 bytes in line).
#[derive(Clone, Debug)]
pub(crate) enum SpendEvidence {
    /// Slot `i` holds 0 where bit `i` of `zero` is set, and `high << 32 | low[i]` elsewhere.
    Near {
        high: u32,
        low: [u32; SPEND_EVIDENCE_RECORDS],
        zero: u8,
    },
    /// Ids that do not share their high bits.
    Far(Box<[RecordId; SPEND_EVIDENCE_RECORDS]>),
}

impl Default for SpendEvidence {
    /// Every slot 0.
    fn default() -> SpendEvidence {
        SpendEvidence::Near {
            high: 0,
            low: [0; SPEND_EVIDENCE_RECORDS],
            zero: ALL_ZERO,
        }
    }
}

impl PartialEq for SpendEvidence {
    /// The same ids, however they are kept.
    fn eq(&self, other: &SpendEvidence) -> bool {
        self.ids() == other.ids()
    }
}

impl Eq for SpendEvidence {}

impl SpendEvidence {
    /// A ring holding `ids`.
    pub(crate) fn of(ids: [RecordId; SPEND_EVIDENCE_RECORDS]) -> SpendEvidence {
        let mut evidence = SpendEvidence::default();
        for (slot, id) in ids.into_iter().enumerate() {
            evidence.set(slot, id);
        }
        evidence
    }

    /// The id in `slot` (below [`SPEND_EVIDENCE_RECORDS`]; 0 past it).
    pub(crate) fn get(&self, slot: usize) -> RecordId {
        match self {
            SpendEvidence::Near { high, low, zero } => match low.get(slot) {
                Some(low) if zero & (1 << slot) == 0 => {
                    RecordId::new(u64::from(*high) << 32 | u64::from(*low))
                }
                _ => RecordId::default(),
            },
            SpendEvidence::Far(ids) => ids.get(slot).copied().unwrap_or_default(),
        }
    }

    /// Every slot's id.
    pub(crate) fn ids(&self) -> [RecordId; SPEND_EVIDENCE_RECORDS] {
        std::array::from_fn(|slot| self.get(slot))
    }

    /// Puts `id` in `slot` (below [`SPEND_EVIDENCE_RECORDS`]; nothing happens past it).
    pub(crate) fn set(&mut self, slot: usize, id: RecordId) {
        if slot >= SPEND_EVIDENCE_RECORDS {
            return;
        }
        match self {
            SpendEvidence::Near { high, low, zero } => {
                let bit = 1u8 << slot;
                let (id_high, id_low) = ((id.get() >> 32) as u32, id.get() as u32);
                if id.get() == 0 {
                    *zero |= bit;
                    low[slot] = 0;
                } else if id_high == *high || *zero | bit == ALL_ZERO {
                    // The same high bits, or the only id not 0: it sets them.
                    *high = id_high;
                    low[slot] = id_low;
                    *zero &= !bit;
                } else {
                    let mut ids = self.ids();
                    ids[slot] = id;
                    *self = SpendEvidence::Far(Box::new(ids));
                }
            }
            SpendEvidence::Far(ids) => ids[slot] = id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(numbers: [u64; 4]) -> [RecordId; 4] {
        numbers.map(RecordId::new)
    }

    #[test]
    fn ids_with_one_high_half_stay_in_line_and_others_go_out() {
        assert_eq!(size_of::<SpendEvidence>(), 24);
        let mut ring = SpendEvidence::default();
        assert_eq!(ring.ids(), ids([0; 4]));
        let batch = 0x0000_0123_0000_0000;
        ring.set(0, RecordId::new(batch | 7));
        ring.set(2, RecordId::new(batch | 0xFFFF_FFFF));
        assert!(matches!(ring, SpendEvidence::Near { .. }));
        assert_eq!(ring.ids(), ids([batch | 7, 0, batch | 0xFFFF_FFFF, 0]));
        // A load's id (tag bit 63) among records' ids.
        ring.set(1, RecordId::new(1 << 63 | 5));
        assert!(matches!(ring, SpendEvidence::Far(_)));
        assert_eq!(
            ring.ids(),
            ids([batch | 7, 1 << 63 | 5, batch | 0xFFFF_FFFF, 0])
        );
        ring.set(3, RecordId::new(9));
        ring.set(4, RecordId::new(9));
        assert_eq!(ring.get(3), RecordId::new(9));
        assert_eq!(ring.get(4), RecordId::default());
        // Equal whatever the form; any ids go back and forth.
        assert_eq!(SpendEvidence::of(ring.ids()), ring);
        let near = SpendEvidence::of(ids([0, batch, 0, batch | 1]));
        assert!(matches!(near, SpendEvidence::Near { .. }));
        let mut overwritten = near.clone();
        overwritten.set(1, RecordId::new(u64::MAX));
        overwritten.set(3, RecordId::new(u64::MAX - 1));
        assert_ne!(overwritten, near);
        assert_eq!(overwritten.ids(), ids([0, u64::MAX, 0, u64::MAX - 1]));
        // The only id not 0 sets the high bits, even when it replaces another.
        let mut alone = SpendEvidence::of(ids([0, 0, batch | 1, 0]));
        alone.set(2, RecordId::new(u64::MAX));
        assert!(matches!(alone, SpendEvidence::Near { .. }));
        assert_eq!(alone.ids(), ids([0, 0, u64::MAX, 0]));
    }
}

//! The compact binary form.

use jinka_record::{RECORD_BYTES, RecordError, TransactionRecord};
use proptest::prelude::*;

use crate::strategy::record;

proptest! {
    #[test]
    fn decode_inverts_encode(record in record()) {
        let bytes = record.encode();
        prop_assert_eq!(bytes.len(), RECORD_BYTES);
        prop_assert_eq!(TransactionRecord::decode(&bytes), Ok(record));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        // Whatever decodes is canonical: it encodes back to the same bytes.
        if let Ok(record) = TransactionRecord::decode(&bytes) {
            prop_assert_eq!(&record.encode()[..], &bytes[..]);
        }
    }

    #[test]
    fn arbitrary_bytes_of_record_size_never_panic(mut bytes in any::<[u8; RECORD_BYTES]>()) {
        bytes[0] = 1; // reach the field checks, past the version byte
        if let Ok(record) = TransactionRecord::decode(&bytes) {
            prop_assert_eq!(record.encode(), bytes);
        }
    }

    #[test]
    fn a_changed_byte_decodes_canonically_or_is_refused(
        record in record(),
        at in 0..RECORD_BYTES,
        value: u8,
    ) {
        let mut bytes = record.encode();
        bytes[at] = value;
        match TransactionRecord::decode(&bytes) {
            Ok(changed) => prop_assert_eq!(changed.encode(), bytes),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn truncated_or_extended_forms_are_refused(record in record(), cut in 0..RECORD_BYTES) {
        let bytes = record.encode();
        let short = TransactionRecord::decode(&bytes[..cut]);
        prop_assert!(
            matches!(short, Err(RecordError::Length { found, .. }) if found == cut),
            "{:?}", short
        );
        let mut long = bytes.to_vec();
        long.push(0);
        prop_assert!(
            matches!(TransactionRecord::decode(&long), Err(RecordError::Length { .. })),
            "an extra byte is refused"
        );
    }
}

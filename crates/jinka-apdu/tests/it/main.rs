//! Property tests of the APDU codec.

use jinka_apdu::{CommandApdu, ResponseApdu};
use proptest::prelude::*;

fn command() -> impl Strategy<Value = (u8, u8, u8, u8, Vec<u8>, Option<usize>)> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..=300),
            proptest::collection::vec(any::<u8>(), 0..=2000)
        ],
        prop_oneof![
            Just(None),
            (1usize..=256).prop_map(Some),
            (1usize..=65_536).prop_map(Some)
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(command) = CommandApdu::parse(&bytes) {
            // Whatever parses re-encodes to a command that parses to the same thing.
            let again = command.to_bytes().expect("a parsed command encodes");
            prop_assert_eq!(CommandApdu::parse(&again).expect("re-encoded parses"), command);
        }
        let _ = ResponseApdu::parse(&bytes);
    }

    #[test]
    fn decode_encode_round_trips((cla, ins, p1, p2, data, le) in command()) {
        let command = CommandApdu { cla, ins, p1, p2, data: &data, le };
        let bytes = command.to_bytes().expect("encodes");
        prop_assert_eq!(CommandApdu::parse(&bytes).expect("parses"), command);
    }

    #[test]
    fn structured_near_misses_never_panic(
        header in proptest::collection::vec(any::<u8>(), 4),
        lengths in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xFF), any::<u8>()], 0..4),
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = header;
        bytes.extend(lengths);
        bytes.extend(tail);
        let _ = CommandApdu::parse(&bytes);
    }
}

//! A card that answers garbage, wrong status words or truncated responses gets a clear refusal
//! and leaves nothing half done.

use jinka_apdu::{Transport, TransportError};
use jinka_crypto::Profile;
use jinka_terminal::Refusal;
use proptest::prelude::*;

use crate::support::*;

/// A real card whose `n`-th answer is replaced, the command having reached the card
/// (`forward`) or not.
struct Tampered<T> {
    inner: T,
    answer: usize,
    replacement: Vec<u8>,
    forward: bool,
    count: usize,
}

impl<T: Transport> Transport for Tampered<T> {
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        self.count += 1;
        if self.count == self.answer {
            if self.forward {
                self.inner.transmit(command, &mut Vec::new())?;
            }
            response.extend_from_slice(&self.replacement);
            return Ok(());
        }
        self.inner.transmit(command, response)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_answers_are_refused_cleanly(
        answer in 1usize..8,
        forward in any::<bool>(),
        replacement in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let keys = issuer(Profile::Sm4, 1);
        let card = loaded(&keys, 1_000);
        let mut tampered = Tampered { inner: card, answer, replacement, forward, count: 0 };
        let mut terminal = terminal(&[&keys]);
        let outcome = terminal.purchase(&mut tampered, 100, moment(2, 9, 0));
        let stored = terminal.journal().records.clone();
        match &outcome {
            Ok(approved) => prop_assert_eq!(stored.as_slice(), &[approved.record]),
            Err(Refusal::Mac2Invalid(record)) => prop_assert_eq!(stored.as_slice(), &[**record]),
            Err(Refusal::Torn) => prop_assert_eq!(terminal.journal().pending.len(), 1),
            Err(_) => prop_assert!(stored.is_empty() && terminal.journal().pending.is_empty()),
        }
        // The card presented again: anything pending is resolved, and the card's balance and
        // the stored records agree (never lost, never taken twice).
        terminal.present(&mut tampered.inner, moment(2, 9, 1)).unwrap();
        prop_assert!(terminal.journal().pending.is_empty());
        let debited: u32 = terminal.journal().records.iter().map(|r| r.amount_fen()).sum();
        let balance = terminal.balance(&mut tampered.inner).unwrap();
        prop_assert_eq!(balance + debited, 1_000);
    }
}

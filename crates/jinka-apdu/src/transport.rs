//! "A card in a reader": the one interface terminals drive cards and card-form SAMs through,
//! whether the card is in process, behind vpcd, or in a real PC/SC reader.

/// Why an exchange with a card did not complete.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card left the field or lost power before answering: a command may or may not have
    /// taken effect (a torn transaction).
    #[error("the card was removed or lost power")]
    CardRemoved,
    /// No card is present.
    #[error("no card in the reader")]
    NoCard,
    /// The reader or its service failed.
    #[error("reader failure: {0}")]
    Reader(String),
}

/// A card in a reader.
pub trait Transport {
    /// Sends one command APDU and appends the response (data ‖ SW1 SW2) to `response`.
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        (**self).transmit(command, response)
    }
}

//! The card side of the transport: what a virtual card implements to be served.

use crate::PersistError;

/// A virtual smart card that [`serve`](crate::serve) connects to a vpcd reader slot.
///
/// The serve loop calls one method per request, in the order vpcd sends them, on one thread.
/// The card keeps its own state; the transport never looks inside an APDU beyond logging its
/// INS and the answer's status word.
pub trait VirtualCard {
    /// The reader powered the card: start a fresh session (nothing selected, no pending
    /// transaction).
    fn power_on(&mut self);

    /// The reader cut the power, or the card left the reader: drop the session state. Also
    /// called once when a session with vpcd ends, so it may come when the card is already off.
    fn power_off(&mut self);

    /// Warm reset: power cycle of the session state.
    fn reset(&mut self);

    /// The answer to reset, 2 to [`ATR_BYTES_MAX`](crate::ATR_BYTES_MAX) bytes (TS first).
    fn atr(&self) -> &[u8];

    /// Answers one command APDU; `response` is cleared by the caller and receives
    /// data ‖ SW1 SW2.
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>);

    /// Called after every request that may change the card (power off, power on, reset, an
    /// APDU, and the end of a session), before any answer is sent. A card backed by a file
    /// saves itself here when it changed, so the terminal never sees an answer that the saved
    /// image does not hold. An error ends the session without sending the answer.
    fn after_command(&mut self) -> Result<(), PersistError> {
        Ok(())
    }
}

//! A real PC/SC reader through pcsc-lite (cargo feature `pcsc`): the same [`Transport`] the
//! in-process card implements, so terminal flows run unchanged against a card in a reader,
//! including a jinka card served over vpcd.

use std::ffi::CString;

use jinka_apdu::{Transport, TransportError};

/// A card in a named PC/SC reader.
pub struct PcscReader {
    card: pcsc::Card,
    receive: Vec<u8>,
}

impl PcscReader {
    /// Connects to the card in `reader` (e.g. `Virtual PCD 00 00`).
    pub fn connect(reader: &str) -> Result<PcscReader, TransportError> {
        let context = pcsc::Context::establish(pcsc::Scope::User).map_err(reader_error)?;
        let name = CString::new(reader)
            .map_err(|_| TransportError::Reader("reader name contains NUL".into()))?;
        let card = context
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(card_error)?;
        Ok(PcscReader {
            card,
            receive: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }

    /// The names of the readers pcscd knows.
    pub fn readers() -> Result<Vec<String>, TransportError> {
        let context = pcsc::Context::establish(pcsc::Scope::User).map_err(reader_error)?;
        let names = context.list_readers_owned().map_err(reader_error)?;
        Ok(names
            .into_iter()
            .map(|name| name.to_string_lossy().into_owned())
            .collect())
    }
}

impl Transport for PcscReader {
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        let answer = self
            .card
            .transmit(command, &mut self.receive)
            .map_err(card_error)?;
        response.extend_from_slice(answer);
        Ok(())
    }
}

fn card_error(error: pcsc::Error) -> TransportError {
    match error {
        pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard => {
            TransportError::CardRemoved
        }
        pcsc::Error::NoSmartcard => TransportError::NoCard,
        other => reader_error(other),
    }
}

fn reader_error(error: pcsc::Error) -> TransportError {
    TransportError::Reader(error.to_string())
}

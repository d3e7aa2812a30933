//! A reader over command data that fails with a status word, never a panic.

use jinka_apdu::StatusWord;

pub(crate) struct Payload<'a>(&'a [u8]);

impl<'a> Payload<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Payload<'a> {
        Payload(bytes)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, StatusWord> {
        let (&first, rest) = self.0.split_first().ok_or(StatusWord::WRONG_LENGTH)?;
        self.0 = rest;
        Ok(first)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, StatusWord> {
        Ok(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], StatusWord> {
        if self.0.len() < len {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(taken)
    }

    /// A length byte and that many bytes.
    pub(crate) fn length_value(&mut self) -> Result<&'a [u8], StatusWord> {
        let len = self.byte()?;
        self.take(usize::from(len))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn finish(&self) -> Result<(), StatusWord> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(StatusWord::WRONG_LENGTH)
        }
    }
}

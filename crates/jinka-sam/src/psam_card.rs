//! A card-form PSAM emulator: the software SAM behind the PSAM commands of card.md, so the
//! terminal code that drives it ([`crate::PsamClient`]) can drive a real PSAM in a reader.

use core::fmt;

use jinka_apdu::{CommandApdu, StatusWord, Transport, TransportError};
use jinka_crypto::Profile;

use crate::psam_protocol::{
    self, ALGORITHM_MISMATCH, AMBIGUOUS_KEY, InitSamForPurchase, MISSING_KEY_VERSION,
    TERMINAL_ID_SFI, UNKNOWN_ALGORITHM,
};
use crate::sam::{Sam, TERMINAL_ID_BYTES};
use crate::software_sam::SoftwareSam;
use crate::store::StateStore;

/// A PSAM answering `80 70`, `80 72`, `00 B0 96` and jinka's `80 7C` (see
/// [`crate::psam_protocol`]). Every malformed APDU gets a status word.
pub struct PsamCard<S> {
    sam: SoftwareSam<S>,
}

impl<S: StateStore> PsamCard<S> {
    /// A PSAM holding `sam`'s keys, terminal id and serial counter.
    pub fn new(sam: SoftwareSam<S>) -> PsamCard<S> {
        PsamCard { sam }
    }

    /// The software SAM inside.
    pub fn sam(&self) -> &SoftwareSam<S> {
        &self.sam
    }

    /// The software SAM inside, mutably.
    pub fn sam_mut(&mut self) -> &mut SoftwareSam<S> {
        &mut self.sam
    }

    /// The software SAM inside.
    pub fn into_sam(self) -> SoftwareSam<S> {
        self.sam
    }

    /// Answers `apdu`, appending response data and the status word to `response`.
    pub fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) {
        let start = response.len();
        let status = match self.answer(apdu, response) {
            Ok(()) => StatusWord::OK,
            Err(status) => {
                response.truncate(start);
                status
            }
        };
        response.extend_from_slice(&status.to_bytes());
    }

    fn answer(&mut self, apdu: &[u8], out: &mut Vec<u8>) -> Result<(), StatusWord> {
        let command = CommandApdu::parse(apdu).map_err(|_| StatusWord::WRONG_LENGTH)?;
        match (command.cla, command.ins) {
            (0x80, 0x70) => self.init_sam_for_purchase(&command, out),
            (0x80, 0x72) => self.credit_sam_for_purchase(&command),
            (0x80, 0x7C) => self.block_mac(&command, out),
            (0x00, 0xB0) => self.read_binary(&command, out),
            (0x00 | 0x80, _) => Err(StatusWord::INS_NOT_SUPPORTED),
            _ => Err(StatusWord::CLA_NOT_SUPPORTED),
        }
    }

    fn init_sam_for_purchase(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), StatusWord> {
        if (command.p1, command.p2) != (0, 0) {
            return Err(StatusWord::WRONG_P1P2);
        }
        let init = InitSamForPurchase::parse(command.data)?;
        let mut request = init.request;
        request.issuer_id = match init.issuer_id {
            Some(issuer_id) => issuer_id,
            None => self.issuer_for(request.key_version, request.algorithm_id)?,
        };
        let authorization = self
            .sam
            .init_purchase(&request)
            .map_err(|e| psam_protocol::status_of(&e))?;
        out.extend_from_slice(&authorization.terminal_serial.to_be_bytes());
        out.extend_from_slice(&authorization.mac1);
        Ok(())
    }

    /// card.md's INIT carries no issuer id: the key set is the only one of that key version and
    /// algorithm among the PSAM's issuers.
    fn issuer_for(&self, key_version: u8, algorithm_id: u8) -> Result<[u8; 8], StatusWord> {
        let profile = Profile::from_algorithm_id(algorithm_id).ok_or(UNKNOWN_ALGORITHM)?;
        let mut of_version = self
            .sam
            .keys()
            .iter()
            .filter(|entry| entry.key_version == key_version)
            .peekable();
        if of_version.peek().is_none() {
            return Err(MISSING_KEY_VERSION);
        }
        let mut matching = of_version.filter(|entry| entry.profile == profile);
        match (matching.next(), matching.next()) {
            (Some(entry), None) => Ok(entry.issuer_id),
            (Some(_), Some(_)) => Err(AMBIGUOUS_KEY),
            (None, _) => Err(ALGORITHM_MISMATCH),
        }
    }

    fn credit_sam_for_purchase(&mut self, command: &CommandApdu<'_>) -> Result<(), StatusWord> {
        if (command.p1, command.p2) != (0, 0) {
            return Err(StatusWord::WRONG_P1P2);
        }
        let mac2: [u8; 4] = command
            .data
            .try_into()
            .map_err(|_| StatusWord::WRONG_LENGTH)?;
        self.sam
            .check_mac2(mac2)
            .map_err(|e| psam_protocol::status_of(&e))
    }

    fn block_mac(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), StatusWord> {
        if (command.p1, command.p2) != (0, 0) {
            return Err(StatusWord::WRONG_P1P2);
        }
        let request = psam_protocol::parse_block_mac(command.data)?;
        let mac = self
            .sam
            .block_mac(&request)
            .map_err(|e| psam_protocol::status_of(&e))?;
        out.extend_from_slice(&mac);
        Ok(())
    }

    /// READ BINARY with the SFI in P1 (bit 8 set) and the offset in P2; only EF 0x16, the
    /// terminal id, exists.
    fn read_binary(&self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Result<(), StatusWord> {
        if command.p1 & 0x80 == 0 {
            // Addressing the current EF: the PSAM selects none.
            return Err(StatusWord::NO_CURRENT_EF);
        }
        if command.p1 & 0x7F != TERMINAL_ID_SFI {
            return Err(StatusWord::FILE_NOT_FOUND);
        }
        let le = match (command.data, command.le) {
            ([], Some(le)) => le,
            _ => return Err(StatusWord::WRONG_LENGTH),
        };
        let terminal_id: [u8; TERMINAL_ID_BYTES] = self.sam.terminal_id();
        let rest = terminal_id
            .get(usize::from(command.p2)..)
            .ok_or(StatusWord::WRONG_OFFSET)?;
        out.extend(rest.iter().take(le));
        Ok(())
    }
}

impl<S: StateStore> Transport for PsamCard<S> {
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        PsamCard::transmit(self, apdu, response);
        Ok(())
    }
}

impl<S> fmt::Debug for PsamCard<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsamCard").field("sam", &self.sam).finish()
    }
}

//! The terminal's side of a card-form PSAM: [`Sam`] over PSAM APDUs, through any
//! [`Transport`] (a PC/SC reader, or [`crate::PsamCard`] in the same process).

use core::fmt;

use jinka_apdu::{ResponseApdu, StatusWord, Transport};

use crate::error::SamError;
use crate::psam_protocol::{
    self, ALGORITHM_MISMATCH, AMBIGUOUS_KEY, COMMAND_NOT_ALLOWED, CREDIT_SAM_FOR_PURCHASE,
    INIT_ANSWER_BYTES, InitSamForPurchase, MISSING_KEY_VERSION, NO_SESSION, READ_TERMINAL_ID,
    SERIALS_EXHAUSTED, UNKNOWN_ALGORITHM, UNKNOWN_ISSUER,
};
use crate::sam::{BlockRequest, PurchaseAuthorization, PurchaseRequest, Sam, TERMINAL_ID_BYTES};

/// Most `61xx` / GET RESPONSE rounds for one command (T=0 readers).
pub const GET_RESPONSE_ROUNDS_MAX: usize = 4;

/// Which form of INIT SAM FOR PURCHASE the client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitForm {
    /// card.md's 28-byte form, which any PSAM understands; only if the PSAM answers that the
    /// key is ambiguous (several of its issuers share the key version and algorithm), the
    /// extended form. A PSAM holding one issuer then uses that issuer's key whatever the card's
    /// issuer id: the card refuses the resulting MAC1 (`9302`).
    #[default]
    StandardFirst,
    /// Always jinka's 36-byte form with the issuer id: a jinka PSAM then refuses a card of an
    /// issuer it does not serve before the purchase, as the software SAM does.
    Extended,
}

/// A [`Sam`] that is a PSAM behind `transport`.
pub struct PsamClient<T> {
    transport: T,
    terminal_id: [u8; TERMINAL_ID_BYTES],
    init_form: InitForm,
    /// Reused for every command and answer: no allocation per purchase after warm-up.
    command: Vec<u8>,
    response: Vec<u8>,
}

impl<T: Transport> PsamClient<T> {
    /// Connects to the PSAM: reads its terminal id from EF 0x16.
    pub fn connect(transport: T) -> Result<PsamClient<T>, SamError> {
        let mut client = PsamClient {
            transport,
            terminal_id: [0; TERMINAL_ID_BYTES],
            init_form: InitForm::default(),
            command: Vec::with_capacity(64),
            response: Vec::with_capacity(64),
        };
        client.command.extend_from_slice(&READ_TERMINAL_ID);
        let name = "READ BINARY (terminal id)";
        match client.exchange(name)? {
            StatusWord::OK => client.terminal_id = client.data_exact(name)?,
            status => {
                return Err(SamError::UnexpectedStatus {
                    command: name,
                    status,
                });
            }
        }
        Ok(client)
    }

    /// Chooses the INIT form (default [`InitForm::StandardFirst`]).
    pub fn with_init_form(mut self, init_form: InitForm) -> PsamClient<T> {
        self.init_form = init_form;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The transport.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Sends `self.command`, following `61xx` with GET RESPONSE; leaves data ‖ SW in
    /// `self.response` and returns the final status word.
    fn exchange(&mut self, name: &'static str) -> Result<StatusWord, SamError> {
        self.response.clear();
        self.transport.transmit(&self.command, &mut self.response)?;
        for _ in 0..GET_RESPONSE_ROUNDS_MAX {
            let status = self.status(name)?;
            if status.sw1() != 0x61 {
                return Ok(status);
            }
            self.response.truncate(self.response.len() - 2);
            let get_response = [0x00, 0xC0, 0x00, 0x00, status.sw2()];
            self.transport.transmit(&get_response, &mut self.response)?;
        }
        let status = self.status(name)?;
        if status.sw1() == 0x61 {
            return Err(SamError::UnexpectedStatus {
                command: name,
                status,
            });
        }
        Ok(status)
    }

    fn status(&self, name: &'static str) -> Result<StatusWord, SamError> {
        ResponseApdu::parse(&self.response)
            .map(|response| response.status)
            .map_err(|_| SamError::MalformedResponse {
                command: name,
                bytes: self.response.len(),
            })
    }

    /// The answer's data, which must be exactly `N` bytes.
    fn data_exact<const N: usize>(&self, name: &'static str) -> Result<[u8; N], SamError> {
        let data = self
            .response
            .split_last_chunk::<2>()
            .map(|(data, _)| data)
            .unwrap_or_default();
        data.try_into().map_err(|_| SamError::MalformedResponse {
            command: name,
            bytes: data.len(),
        })
    }

    fn send_init(
        &mut self,
        request: &PurchaseRequest,
        extended: bool,
    ) -> Result<StatusWord, SamError> {
        let init = InitSamForPurchase {
            issuer_id: extended.then_some(request.issuer_id),
            request: *request,
        };
        self.command.clear();
        init.encode(&mut self.command);
        self.exchange("INIT SAM FOR PURCHASE")
    }
}

impl<T: Transport> Sam for PsamClient<T> {
    fn terminal_id(&self) -> [u8; TERMINAL_ID_BYTES] {
        self.terminal_id
    }

    fn init_purchase(
        &mut self,
        request: &PurchaseRequest,
    ) -> Result<PurchaseAuthorization, SamError> {
        let name = "INIT SAM FOR PURCHASE";
        let extended = self.init_form == InitForm::Extended;
        let mut status = self.send_init(request, extended)?;
        if status == AMBIGUOUS_KEY && !extended {
            status = self.send_init(request, true)?;
        }
        let (issuer_id, key_version, algorithm_id) =
            (request.issuer_id, request.key_version, request.algorithm_id);
        match status {
            StatusWord::OK => {
                let [s0, s1, s2, s3, m0, m1, m2, m3]: [u8; INIT_ANSWER_BYTES] =
                    self.data_exact(name)?;
                Ok(PurchaseAuthorization {
                    terminal_serial: u32::from_be_bytes([s0, s1, s2, s3]),
                    mac1: [m0, m1, m2, m3],
                })
            }
            UNKNOWN_ISSUER => Err(SamError::UnknownIssuer { issuer_id }),
            MISSING_KEY_VERSION => Err(SamError::MissingKeyVersion {
                issuer_id,
                key_version,
            }),
            UNKNOWN_ALGORITHM => Err(SamError::UnknownAlgorithm { algorithm_id }),
            ALGORITHM_MISMATCH => Err(SamError::AlgorithmMismatch {
                issuer_id,
                key_version,
                algorithm_id,
            }),
            SERIALS_EXHAUSTED => Err(SamError::SerialsExhausted),
            status => Err(SamError::UnexpectedStatus {
                command: name,
                status,
            }),
        }
    }

    fn check_mac2(&mut self, mac2: [u8; 4]) -> Result<(), SamError> {
        let name = "CREDIT SAM FOR PURCHASE";
        self.command.clear();
        self.command.extend_from_slice(&CREDIT_SAM_FOR_PURCHASE);
        self.command.push(4);
        self.command.extend_from_slice(&mac2);
        match self.exchange(name)? {
            StatusWord::OK => Ok(()),
            StatusWord::MAC_INVALID => Err(SamError::Mac2Invalid),
            NO_SESSION => Err(SamError::NoSession),
            status => Err(SamError::UnexpectedStatus {
                command: name,
                status,
            }),
        }
    }

    fn block_mac(&mut self, request: &BlockRequest) -> Result<[u8; 4], SamError> {
        let name = "APPLICATION BLOCK MAC";
        self.command.clear();
        psam_protocol::encode_block_mac(request, &mut self.command);
        match self.exchange(name)? {
            StatusWord::OK => self.data_exact(name),
            COMMAND_NOT_ALLOWED => Err(SamError::CommandNotAllowed {
                header: request.header,
            }),
            UNKNOWN_ISSUER => Err(SamError::UnknownIssuer {
                issuer_id: request.issuer_id,
            }),
            MISSING_KEY_VERSION => Err(SamError::MissingKeyVersion {
                issuer_id: request.issuer_id,
                key_version: request.key_version,
            }),
            StatusWord::INS_NOT_SUPPORTED => Err(SamError::Unsupported { command: name }),
            status => Err(SamError::UnexpectedStatus {
                command: name,
                status,
            }),
        }
    }
}

impl<T> fmt::Debug for PsamClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsamClient")
            .field("terminal_id", &hex::encode_upper(self.terminal_id))
            .field("init_form", &self.init_form)
            .finish_non_exhaustive()
    }
}

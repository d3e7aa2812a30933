//! What vpcd asks of the card: a control code or a command APDU. Pure: no I/O.

use crate::VpcdError;

// vsmartcard vpcd control codes, sent as a 1-byte payload.
const CONTROL_POWER_OFF: u8 = 0x00;
const CONTROL_POWER_ON: u8 = 0x01;
const CONTROL_RESET: u8 = 0x02;
const CONTROL_GET_ATR: u8 = 0x04;

/// One request from vpcd, parsed from a frame payload.
///
/// Only [`Request::GetAtr`] and [`Request::Apdu`] get an answer. A 1-byte payload is always a
/// control code, so a 1-byte APDU cannot travel over vpcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Control `00`: the reader cut the card's power.
    PowerOff,
    /// Control `01`: the reader powered the card.
    PowerOn,
    /// Control `02`: warm reset.
    Reset,
    /// Control `04`: the reader wants the ATR; answered with it.
    GetAtr,
    /// Any payload of 2 bytes or more: a command APDU, answered with data ‖ SW1 SW2. The
    /// transport does not check its structure; the card answers a malformed one with a status
    /// word.
    Apdu(&'a [u8]),
}

impl<'a> Request<'a> {
    /// Parses one frame payload. Never panics: an empty payload and an unknown control code
    /// are errors.
    pub fn parse(payload: &'a [u8]) -> Result<Self, VpcdError> {
        match payload {
            [] => Err(VpcdError::EmptyPayload),
            [CONTROL_POWER_OFF] => Ok(Self::PowerOff),
            [CONTROL_POWER_ON] => Ok(Self::PowerOn),
            [CONTROL_RESET] => Ok(Self::Reset),
            [CONTROL_GET_ATR] => Ok(Self::GetAtr),
            [unknown] => Err(VpcdError::UnknownControl(*unknown)),
            apdu => Ok(Self::Apdu(apdu)),
        }
    }

    /// The frame payload that carries this request: what vpcd sends. The inverse of
    /// [`Request::parse`] for every `Apdu` of 2 bytes or more.
    pub fn payload(self) -> &'a [u8] {
        match self {
            Self::PowerOff => &[CONTROL_POWER_OFF],
            Self::PowerOn => &[CONTROL_POWER_ON],
            Self::Reset => &[CONTROL_RESET],
            Self::GetAtr => &[CONTROL_GET_ATR],
            Self::Apdu(apdu) => apdu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_four_control_codes() {
        assert_eq!(Request::parse(&[0x00]).ok(), Some(Request::PowerOff));
        assert_eq!(Request::parse(&[0x01]).ok(), Some(Request::PowerOn));
        assert_eq!(Request::parse(&[0x02]).ok(), Some(Request::Reset));
        assert_eq!(Request::parse(&[0x04]).ok(), Some(Request::GetAtr));
    }

    #[test]
    fn refuses_an_empty_payload_and_unknown_control_codes() {
        assert!(matches!(Request::parse(&[]), Err(VpcdError::EmptyPayload)));
        assert!(matches!(
            Request::parse(&[0x03]),
            Err(VpcdError::UnknownControl(0x03))
        ));
        assert!(matches!(
            Request::parse(&[0xFF]),
            Err(VpcdError::UnknownControl(0xFF))
        ));
    }

    #[test]
    fn two_bytes_or_more_are_an_apdu() {
        let select = [0x00, 0xA4, 0x04, 0x00, 0x00];
        assert_eq!(Request::parse(&select).ok(), Some(Request::Apdu(&select)));
        assert_eq!(
            Request::parse(&[0x00, 0x01]).ok(),
            Some(Request::Apdu(&[0x00, 0x01]))
        );
    }

    fn request() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(vec![0x00]),
            Just(vec![0x01]),
            Just(vec![0x02]),
            Just(vec![0x04]),
            proptest::collection::vec(any::<u8>(), 2..300),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            match Request::parse(&payload) {
                Ok(request) => prop_assert_eq!(request.payload(), &payload[..]),
                Err(VpcdError::EmptyPayload) => prop_assert!(payload.is_empty()),
                Err(VpcdError::UnknownControl(code)) => prop_assert_eq!(&payload[..], &[code][..]),
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
        }

        #[test]
        fn parse_inverts_payload(payload in request()) {
            let parsed = Request::parse(&payload);
            prop_assert!(parsed.is_ok());
            if let Ok(request) = parsed {
                prop_assert_eq!(request.payload(), &payload[..]);
            }
        }
    }
}

//! GET CHALLENGE, EXTERNAL / INTERNAL AUTHENTICATE, VERIFY and CHANGE PIN.

use jinka_apdu::{CommandApdu, StatusWord};
use subtle::ConstantTimeEq;

use crate::card::{Answer, Card, Refusal};
use crate::entropy::Entropy;
use crate::key::KeyUsage;
use crate::nvm::Write;
use crate::pin::{Pin, PinValue};

/// `6300`: authentication failed (ISO/IEC 7816-4).
pub const AUTHENTICATION_FAILED: StatusWord = StatusWord(0x6300);
/// Bytes of an authentication challenge.
pub const CHALLENGE_BYTES: usize = 8;

impl<E: Entropy> Card<E> {
    /// `00 84 00 00 Le`: 4 or 8 random bytes; a 4-byte challenge is used as `random ‖ 00 00 00 00`.
    pub(crate) fn get_challenge(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let len = match command.le {
            Some(4) => 4,
            Some(8) => 8,
            _ => return Err(StatusWord::WRONG_LENGTH.into()),
        };
        let mut challenge = [0u8; CHALLENGE_BYTES];
        self.entropy.fill(&mut challenge[..len]);
        out.extend_from_slice(&challenge[..len]);
        self.session.challenge = Some(challenge);
        Ok(())
    }

    /// `00 82 00 idx 10 cryptogram`: the terminal proves it holds external-authentication key
    /// `idx` by sending `expand(key, challenge)` (16 bytes, as in key diversification).
    pub(crate) fn external_authenticate(&mut self, command: &CommandApdu<'_>) -> Answer {
        let challenge = self
            .session
            .challenge
            .take()
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let profile = self.nvm.state.profile;
        let (_, app) = self.selected()?;
        let key = app
            .key(KeyUsage::External, command.p2)
            .ok_or(StatusWord::DATA_NOT_FOUND)?;
        let expected = profile.expand(&key.key, &challenge);
        if command.data.len() != 16 {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        if bool::from(expected.as_bytes().ct_eq(command.data)) {
            self.session.authenticated = Some(command.p2);
            Ok(())
        } else {
            self.session.authenticated = None;
            Err(AUTHENTICATION_FAILED.into())
        }
    }

    /// `00 88 00 idx 08 challenge`: the card proves it holds internal-authentication key `idx`
    /// by answering `expand(key, challenge)` (16 bytes): building access, challenge-response.
    pub(crate) fn internal_authenticate(
        &mut self,
        command: &CommandApdu<'_>,
        out: &mut Vec<u8>,
    ) -> Answer {
        let challenge: &[u8; 8] = command
            .data
            .try_into()
            .map_err(|_| StatusWord::WRONG_LENGTH)?;
        let profile = self.nvm.state.profile;
        let (_, app) = self.selected()?;
        let key = app
            .key(KeyUsage::Internal, command.p2)
            .ok_or(StatusWord::DATA_NOT_FOUND)?;
        out.extend_from_slice(profile.expand(&key.key, challenge).as_bytes());
        Ok(())
    }

    /// `00 20 00 00 Lc PIN`; with no data, answers `63Cx` with the tries left.
    pub(crate) fn verify(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let (_, app) = self.selected()?;
        let pin = app.pin.as_ref().ok_or(StatusWord::DATA_NOT_FOUND)?;
        if command.data.is_empty() {
            return Err(StatusWord::wrong_pin(pin.tries_left).into());
        }
        self.check_pin(command.data)
    }

    /// `80 5E 01 00 Lc old ‖ FF ‖ new` (PBOC CHANGE PIN).
    pub(crate) fn change_pin(&mut self, command: &CommandApdu<'_>) -> Answer {
        if command.p1 != 0x01 || command.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2.into());
        }
        let separator = command
            .data
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or(StatusWord::WRONG_DATA)?;
        let (old, new) = (&command.data[..separator], &command.data[separator + 1..]);
        let new = PinValue::new(new).ok_or(StatusWord::WRONG_DATA)?;
        self.check_pin(old)?;
        let (app, application) = self.selected()?;
        let pin = application.pin.as_ref().ok_or(StatusWord::DATA_NOT_FOUND)?;
        let changed = Pin {
            value: new,
            tries_left: pin.tries_max,
            tries_max: pin.tries_max,
        };
        self.writes.push(Write::Pin { app, pin: changed });
        self.commit()?;
        Ok(())
    }

    /// Compares a presented PIN with the selected application's, counting tries. The new try
    /// counter is committed before the answer; comparison and counter change are one write.
    fn check_pin(&mut self, presented: &[u8]) -> Answer {
        let (app, application) = self.selected()?;
        let pin = application.pin.as_ref().ok_or(StatusWord::DATA_NOT_FOUND)?;
        if pin.tries_left == 0 {
            return Err(StatusWord::PIN_BLOCKED.into());
        }
        if pin.value.matches(presented) {
            if pin.tries_left != pin.tries_max {
                let reset = Pin {
                    tries_left: pin.tries_max,
                    ..pin.clone()
                };
                self.writes.push(Write::Pin { app, pin: reset });
                self.commit()?;
            }
            self.session.pin_verified = true;
            return Ok(());
        }
        let tries_left = pin.tries_left - 1;
        let counted = Pin {
            tries_left,
            ..pin.clone()
        };
        self.session.pin_verified = false;
        self.writes.push(Write::Pin { app, pin: counted });
        self.commit()?;
        Err(Refusal::Status(if tries_left == 0 {
            StatusWord::PIN_BLOCKED
        } else {
            StatusWord::wrong_pin(tries_left)
        }))
    }
}

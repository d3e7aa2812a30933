//! The issuer's side of application management: builds the authenticated management APDUs a
//! card accepts (a "script"), under the card's diversified card manager key.

use jinka_apdu::CommandApdu;
use jinka_crypto::{Key16, Profile, diversify};

use crate::aid::Aid;
use crate::key::KeyUsage;
use crate::management::{ApplicationSpec, FileSpec, push_length_value};
use crate::pin::PinValue;
use crate::secure_messaging::management_mac;

/// Builds management commands for one card. Each command takes the next counter value; the
/// card accepts a command only if its counter exceeds every one it accepted before.
pub struct CardManager {
    profile: Profile,
    key: Key16,
    counter: u32,
}

impl CardManager {
    /// For the card with ASN8 `asn`, from the issuer's card manager master key; `counter` is the
    /// last counter used for this card (0 for a new card).
    pub fn new(profile: Profile, master: &Key16, asn: &[u8; 8], counter: u32) -> CardManager {
        CardManager {
            profile,
            key: diversify(profile, master, asn),
            counter,
        }
    }

    /// The last counter used.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// CREATE APPLICATION.
    pub fn create_application(&mut self, spec: &ApplicationSpec) -> Vec<u8> {
        self.seal(0xE0, 0x00, &spec.encode())
    }

    /// CREATE FILE with its initial content.
    pub fn create_file(&mut self, spec: &FileSpec) -> Vec<u8> {
        self.seal(0xE0, 0x01, &spec.encode())
    }

    /// PUT KEY: `key` travels encrypted under the card manager key.
    pub fn put_key(
        &mut self,
        aid: &Aid,
        usage: KeyUsage,
        index: u8,
        version: u8,
        key: &Key16,
    ) -> Vec<u8> {
        let mut payload = Vec::with_capacity(40);
        push_length_value(&mut payload, aid.as_bytes());
        payload.extend_from_slice(&[usage.code(), index, version]);
        payload.extend_from_slice(&self.profile.encrypt_key(&self.key, key));
        self.seal(0xD4, 0x00, &payload)
    }

    /// PUT PIN: the PIN travels encrypted under the card manager key.
    pub fn put_pin(&mut self, aid: &Aid, pin: &PinValue, tries_max: u8) -> Vec<u8> {
        let mut block = [0xFFu8; 16];
        block[0] = pin.as_bytes().len() as u8;
        block[1..=pin.as_bytes().len()].copy_from_slice(pin.as_bytes());
        let block = Key16::new(block);
        let mut payload = Vec::with_capacity(40);
        push_length_value(&mut payload, aid.as_bytes());
        payload.push(tries_max);
        payload.extend_from_slice(&self.profile.encrypt_key(&self.key, &block));
        self.seal(0xD4, 0x01, &payload)
    }

    /// DELETE APPLICATION.
    pub fn delete_application(&mut self, aid: &Aid) -> Vec<u8> {
        let mut payload = Vec::with_capacity(17);
        push_length_value(&mut payload, aid.as_bytes());
        self.seal(0xE4, 0x00, &payload)
    }

    fn seal(&mut self, ins: u8, p1: u8, payload: &[u8]) -> Vec<u8> {
        self.counter += 1;
        let header = [0x84, ins, p1, 0x00];
        let mac = management_mac(self.profile, &self.key, header, payload, self.counter);
        let mut data = Vec::with_capacity(payload.len() + 8);
        data.extend_from_slice(payload);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data.extend_from_slice(&mac);
        let command = CommandApdu {
            cla: 0x84,
            ins,
            p1,
            p2: 0x00,
            data: &data,
            le: None,
        };
        // Payloads are built here from bounded specs, far below the extended-length limit.
        command
            .to_bytes()
            .expect("management commands fit an extended APDU")
    }
}

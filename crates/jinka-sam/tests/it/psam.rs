//! The PSAM emulator's APDUs, byte for byte; the client over T=0 and over failing or foreign
//! PSAMs; and no panic on any bytes.

use jinka_apdu::{ResponseApdu, StatusWord, Transport, TransportError};
use jinka_crypto::Profile;
use jinka_sam::psam_protocol::{self, InitSamForPurchase};
use jinka_sam::{
    BlockRequest, MemoryStore, PsamCard, PsamClient, PurchaseRequest, PurchaseType, Sam, SamError,
    SamState, SoftwareSam,
};
use proptest::prelude::*;

use crate::support::{ISSUER, OTHER_ISSUER, TERMINAL, issuer_keys, request, state_for};

fn psam(state: SamState) -> PsamCard<MemoryStore> {
    PsamCard::new(SoftwareSam::new(state, MemoryStore::new()))
}

fn exchange(card: &mut PsamCard<MemoryStore>, apdu: &[u8]) -> (Vec<u8>, StatusWord) {
    let mut response = Vec::new();
    card.transmit(apdu, &mut response);
    let parsed = ResponseApdu::parse(&response).expect("a status word");
    (parsed.data.to_vec(), parsed.status)
}

fn init_apdu(request: &PurchaseRequest, extended: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    InitSamForPurchase {
        issuer_id: extended.then_some(request.issuer_id),
        request: *request,
    }
    .encode(&mut bytes);
    bytes
}

#[test]
fn the_terminal_id_is_read_from_ef_16() {
    let mut card = psam(state_for(&[&issuer_keys(Profile::Sm4, ISSUER, 1, 1)]));
    let cases: [(&[u8], &[u8], StatusWord); 7] = [
        (&[0x00, 0xB0, 0x96, 0x00, 0x06], &TERMINAL, StatusWord::OK),
        (&[0x00, 0xB0, 0x96, 0x00, 0x00], &TERMINAL, StatusWord::OK),
        (
            &[0x00, 0xB0, 0x96, 0x02, 0x02],
            &TERMINAL[2..4],
            StatusWord::OK,
        ),
        (
            &[0x00, 0xB0, 0x96, 0x07, 0x01],
            &[],
            StatusWord::WRONG_OFFSET,
        ),
        (
            &[0x00, 0xB0, 0x95, 0x00, 0x06],
            &[],
            StatusWord::FILE_NOT_FOUND,
        ),
        (
            &[0x00, 0xB0, 0x00, 0x00, 0x06],
            &[],
            StatusWord::NO_CURRENT_EF,
        ),
        (&[0x00, 0xB0, 0x96, 0x00], &[], StatusWord::WRONG_LENGTH),
    ];
    for (apdu, data, status) in cases {
        assert_eq!(
            exchange(&mut card, apdu),
            (data.to_vec(), status),
            "{apdu:02X?}"
        );
    }
}

#[test]
fn malformed_commands_get_status_words() {
    let keys = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    let mut card = psam(state_for(&[&keys]));
    let good = init_apdu(&request(&keys), false);
    let mut wrong_p1 = good.clone();
    wrong_p1[2] = 0x01;
    let mut bad_type = good.clone();
    bad_type[5 + 10] = 0x02;
    let cases: [(&[u8], StatusWord); 8] = [
        (&[0x80], StatusWord::WRONG_LENGTH),
        (&[0x80, 0x50, 0x00, 0x00], StatusWord::INS_NOT_SUPPORTED),
        (&[0x90, 0x70, 0x00, 0x00], StatusWord::CLA_NOT_SUPPORTED),
        (&wrong_p1, StatusWord::WRONG_P1P2),
        (&bad_type, psam_protocol::INVALID_TRANSACTION_TYPE),
        (
            &[0x80, 0x70, 0x00, 0x00, 0x01, 0x00],
            StatusWord::WRONG_LENGTH,
        ),
        (
            &[0x80, 0x72, 0x00, 0x00, 0x04, 1, 2, 3, 4],
            psam_protocol::NO_SESSION,
        ),
        (
            &[0x80, 0x72, 0x00, 0x00, 0x03, 1, 2, 3],
            StatusWord::WRONG_LENGTH,
        ),
    ];
    for (apdu, status) in cases {
        assert_eq!(
            exchange(&mut card, apdu),
            (Vec::new(), status),
            "{apdu:02X?}"
        );
    }
    // After all that, the first serial is still unused.
    let (answer, status) = exchange(&mut card, &good);
    assert_eq!(status, StatusWord::OK);
    assert_eq!(answer[..4], [0, 0, 0, 1]);
}

#[test]
fn card_md_init_picks_the_key_by_version_and_algorithm_or_says_it_is_ambiguous() {
    let first = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    let second = issuer_keys(Profile::Sm4, OTHER_ISSUER, 1, 2);
    let older = issuer_keys(Profile::Des3, OTHER_ISSUER, 2, 3);
    let state = state_for(&[&first, &second, &older]);
    let mut card = psam(state.clone());

    // Version 2 des3: one issuer only.
    let (_, status) = exchange(&mut card, &init_apdu(&request(&older), false));
    assert_eq!(status, StatusWord::OK);
    // Version 1 sm4: two issuers.
    let (_, status) = exchange(&mut card, &init_apdu(&request(&second), false));
    assert_eq!(status, psam_protocol::AMBIGUOUS_KEY);
    // Version 2 sm4: the only version-2 key set is des3.
    let mut mismatch = request(&older);
    mismatch.algorithm_id = 0x04;
    let (_, status) = exchange(&mut card, &init_apdu(&mismatch, false));
    assert_eq!(status, psam_protocol::ALGORITHM_MISMATCH);

    // The client resends in the extended form and gets the same MAC1 as the software SAM.
    let mut software = SoftwareSam::new(state.clone(), MemoryStore::new());
    let mut client = PsamClient::connect(psam(state)).unwrap();
    for keys in [&first, &second, &older] {
        assert_eq!(
            client.init_purchase(&request(keys)).unwrap(),
            software.init_purchase(&request(keys)).unwrap()
        );
    }
}

/// A T=0 reader: every answer with data comes as `61 xx`, then GET RESPONSE.
struct T0<T>(T, Vec<u8>);

impl<T: Transport> Transport for T0<T> {
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        if let [0x00, 0xC0, 0x00, 0x00, _] = apdu {
            response.append(&mut self.1);
            response.extend_from_slice(&[0x90, 0x00]);
            return Ok(());
        }
        let mut full = Vec::new();
        self.0.transmit(apdu, &mut full)?;
        match full.as_slice() {
            [data @ .., 0x90, 0x00] if !data.is_empty() => {
                self.1 = data.to_vec();
                response.extend_from_slice(&[0x61, data.len() as u8]);
            }
            _ => response.extend_from_slice(&full),
        }
        Ok(())
    }
}

#[test]
fn the_client_follows_61xx_with_get_response() {
    let keys = issuer_keys(Profile::Des3, ISSUER, 1, 1);
    let state = state_for(&[&keys]);
    let mut direct = PsamClient::connect(psam(state.clone())).unwrap();
    let mut t0 = PsamClient::connect(T0(psam(state), Vec::new())).unwrap();
    assert_eq!(t0.terminal_id(), TERMINAL);
    assert_eq!(
        t0.init_purchase(&request(&keys)).unwrap(),
        direct.init_purchase(&request(&keys)).unwrap()
    );
}

/// A PSAM of another make: no jinka extension, or a broken reader.
struct Foreign(Result<Vec<u8>, ()>);

impl Transport for Foreign {
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        if apdu == [0x00, 0xB0, 0x96, 0x00, 0x06] {
            response.extend_from_slice(&TERMINAL);
            response.extend_from_slice(&[0x90, 0x00]);
            return Ok(());
        }
        match &self.0 {
            Ok(answer) => {
                response.extend_from_slice(answer);
                Ok(())
            }
            Err(()) => Err(TransportError::Reader("the reader is gone".into())),
        }
    }
}

#[test]
fn foreign_and_broken_psams_give_sam_faults() {
    let keys = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    let block = BlockRequest {
        issuer_id: ISSUER,
        asn8: [1; 8],
        key_version: 1,
        challenge: [0; 8],
        header: jinka_sam::APPLICATION_BLOCK_HEADER,
    };
    let mut foreign = PsamClient::connect(Foreign(Ok(vec![0x6D, 0x00]))).unwrap();
    let error = foreign.block_mac(&block).unwrap_err();
    assert!(matches!(error, SamError::Unsupported { .. }), "{error}");
    assert_eq!(error.kind(), jinka_sam::SamErrorKind::SamFault);

    let mut short = PsamClient::connect(Foreign(Ok(vec![1, 2, 0x90, 0x00]))).unwrap();
    let error = short.init_purchase(&request(&keys)).unwrap_err();
    assert!(
        matches!(error, SamError::MalformedResponse { bytes: 2, .. }),
        "{error}"
    );
    let mut mute = PsamClient::connect(Foreign(Ok(vec![0x90]))).unwrap();
    let error = mute.check_mac2([0; 4]).unwrap_err();
    assert!(
        matches!(error, SamError::MalformedResponse { .. }),
        "{error}"
    );

    let mut gone = PsamClient::connect(Foreign(Err(()))).unwrap();
    let error = gone.init_purchase(&request(&keys)).unwrap_err();
    assert!(matches!(error, SamError::Transport(_)), "{error}");

    let mut endless = PsamClient::connect(Foreign(Ok(vec![0x61, 0x08]))).unwrap();
    let error = endless.init_purchase(&request(&keys)).unwrap_err();
    assert!(
        matches!(error, SamError::UnexpectedStatus { .. }),
        "{error}"
    );
}

fn command() -> impl Strategy<Value = Vec<u8>> {
    let cla = prop_oneof![Just(0x00u8), Just(0x80), any::<u8>()];
    let ins = prop_oneof![
        Just(0x70u8),
        Just(0x72),
        Just(0x7C),
        Just(0xB0),
        any::<u8>()
    ];
    let lengths = prop_oneof![
        Just(28usize),
        Just(36),
        Just(29),
        Just(4),
        Just(0),
        0usize..300
    ];
    (
        cla,
        ins,
        any::<u8>(),
        any::<u8>(),
        lengths,
        any::<Option<u8>>(),
    )
        .prop_flat_map(|(cla, ins, p1, p2, length, le)| {
            proptest::collection::vec(any::<u8>(), length).prop_map(move |data| {
                let mut bytes = vec![cla, ins, p1, p2];
                if !data.is_empty() {
                    if data.len() <= 255 {
                        bytes.push(data.len() as u8);
                    } else {
                        bytes.push(0);
                        bytes.extend_from_slice(&(data.len() as u16).to_be_bytes());
                    }
                    bytes.extend_from_slice(&data);
                }
                bytes.extend(le);
                bytes
            })
        })
}

fn request_strategy() -> impl Strategy<Value = PurchaseRequest> {
    (
        any::<[u8; 8]>(),
        any::<[u8; 8]>(),
        any::<(u8, u8, [u8; 4], u16, u32, bool)>(),
        any::<([u8; 4], [u8; 3])>(),
    )
        .prop_map(
            |(
                issuer_id,
                asn8,
                (key_version, algorithm_id, card_random, card_atc, amount_fen, capp),
                (date, time),
            )| {
                PurchaseRequest {
                    issuer_id,
                    asn8,
                    key_version,
                    algorithm_id,
                    card_random,
                    card_atc,
                    amount_fen,
                    transaction_type: if capp {
                        PurchaseType::CappPurchase
                    } else {
                        PurchaseType::Purchase
                    },
                    date,
                    time,
                }
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut card = psam(state_for(&[&issuer_keys(Profile::Sm4, ISSUER, 1, 1)]));
        let mut response = vec![0xAA];
        card.transmit(&bytes, &mut response);
        prop_assert!(response.len() >= 3);
        prop_assert_eq!(response[0], 0xAA);
    }

    #[test]
    fn shaped_commands_never_panic(commands in proptest::collection::vec(command(), 1..8)) {
        let mut card = psam(state_for(&[
            &issuer_keys(Profile::Sm4, ISSUER, 1, 1),
            &issuer_keys(Profile::Des3, OTHER_ISSUER, 1, 2),
        ]));
        for command in commands {
            let mut response = Vec::new();
            card.transmit(&command, &mut response);
            let parsed = ResponseApdu::parse(&response).unwrap();
            if parsed.status.is_ok() {
                prop_assert!(parsed.data.len() <= 8);
            } else {
                prop_assert!(parsed.data.is_empty());
            }
        }
    }

    #[test]
    fn init_encodes_and_parses_back(request in request_strategy(), extended in any::<bool>()) {
        let bytes = init_apdu(&request, extended);
        let command = jinka_apdu::CommandApdu::parse(&bytes).unwrap();
        let parsed = InitSamForPurchase::parse(command.data).unwrap();
        prop_assert_eq!(parsed.issuer_id, extended.then_some(request.issuer_id));
        let expected = PurchaseRequest {
            issuer_id: if extended { request.issuer_id } else { [0; 8] },
            ..request
        };
        prop_assert_eq!(parsed.request, expected);
    }
}

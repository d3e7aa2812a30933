//! Typed refusals — unknown issuer, missing key version, unknown or mismatched algorithm — in
//! both forms, none of them taking a serial; and no key ever shows in an error or a `Debug`.

use jinka_apdu::{StatusWord, TransportError};
use jinka_card::SeededEntropy;
use jinka_crypto::Profile;
use jinka_sam::{
    BlockRequest, MemoryStore, PsamCard, PsamClient, SamError, SamErrorKind, SamFile, SamFileError,
    SamState, SoftwareSam, StateError, StoreError,
};

use crate::support::{FORMS, Form, ISSUER, OTHER_ISSUER, issuer_keys, request, sam, state_for};

#[test]
fn each_refusal_is_its_own_error_and_takes_no_serial() {
    let sm4 = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    let other = issuer_keys(Profile::Des3, OTHER_ISSUER, 1, 2);
    let state = state_for(&[&sm4]);
    for form in FORMS {
        let mut sam = sam(form, state.clone());
        let mut unknown_issuer = request(&sm4);
        unknown_issuer.issuer_id = OTHER_ISSUER;
        let mut missing_version = request(&sm4);
        missing_version.key_version = 2;
        let mut mismatch = request(&sm4);
        mismatch.algorithm_id = Profile::Des3.algorithm_id();
        let mut unknown_algorithm = request(&sm4);
        unknown_algorithm.algorithm_id = 0x07;

        let error = sam.init_purchase(&unknown_issuer);
        if form == Form::PsamStandardFirst {
            // card.md's INIT names no issuer: the PSAM's only sm4 key set of version 1 serves,
            // and it is the card that refuses the MAC1 (not tested here: no card).
            assert!(error.is_ok(), "{form:?}");
        } else {
            assert!(
                matches!(error, Err(SamError::UnknownIssuer { issuer_id }) if issuer_id == OTHER_ISSUER),
                "{form:?} {error:?}"
            );
        }
        let error = sam.init_purchase(&missing_version).unwrap_err();
        assert!(
            matches!(error, SamError::MissingKeyVersion { key_version: 2, .. }),
            "{form:?} {error:?}"
        );
        let error = sam.init_purchase(&mismatch).unwrap_err();
        assert!(
            matches!(
                error,
                SamError::AlgorithmMismatch {
                    algorithm_id: 0x00,
                    ..
                }
            ),
            "{form:?} {error:?}"
        );
        let error = sam.init_purchase(&unknown_algorithm).unwrap_err();
        assert!(
            matches!(error, SamError::UnknownAlgorithm { algorithm_id: 0x07 }),
            "{form:?} {error:?}"
        );
        assert_eq!(error.kind(), SamErrorKind::RefuseCard);
        // Refusals took no serial.
        let expected = if form == Form::PsamStandardFirst {
            2
        } else {
            1
        };
        assert_eq!(
            sam.init_purchase(&request(&sm4)).unwrap().terminal_serial,
            expected,
            "{form:?}"
        );
        assert!(matches!(
            sam.block_mac(&BlockRequest {
                issuer_id: other.issuer_id,
                asn8: [0; 8],
                key_version: 1,
                challenge: [0; 8],
                header: jinka_sam::APPLICATION_BLOCK_HEADER,
            }),
            Err(SamError::UnknownIssuer { .. })
        ));
    }
}

#[test]
fn check_mac2_without_a_purchase_is_misuse() {
    let keys = issuer_keys(Profile::Des3, ISSUER, 1, 1);
    for form in FORMS {
        let mut sam = sam(form, state_for(&[&keys]));
        let error = sam.check_mac2([0; 4]).unwrap_err();
        assert!(matches!(error, SamError::NoSession), "{form:?}");
        assert_eq!(error.kind(), SamErrorKind::Misuse);
    }
}

#[test]
fn the_sam_macs_application_block_only() {
    let keys = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    for form in FORMS {
        let mut sam = sam(form, state_for(&[&keys]));
        for header in [
            [0x84, 0x18, 0x00, 0x00],
            [0x84, 0x1E, 0x00, 0x01],
            [0x04, 0xD6, 0x95, 0],
        ] {
            let error = sam
                .block_mac(&BlockRequest {
                    issuer_id: ISSUER,
                    asn8: [1; 8],
                    key_version: 1,
                    challenge: [2; 8],
                    header,
                })
                .unwrap_err();
            assert!(
                matches!(error, SamError::CommandNotAllowed { header: h } if h == header),
                "{form:?} {error:?}"
            );
            assert_eq!(error.kind(), SamErrorKind::Misuse);
        }
    }
}

/// Every key's hex, both cases.
fn key_texts(state: &SamState) -> Vec<String> {
    state
        .keys
        .iter()
        .flat_map(|entry| [entry.purchase.to_hex(), entry.maintenance.to_hex()])
        .flat_map(|hex| [hex.to_lowercase(), hex])
        .collect()
}

fn assert_no_key(texts: &[String], keys: &[String]) {
    for text in texts {
        for key in keys {
            assert!(!text.contains(key.as_str()), "a key shows in {text}");
            // Not even half a key.
            assert!(!text.contains(&key[..16]), "half a key shows in {text}");
            assert!(!text.contains(&key[16..]), "half a key shows in {text}");
        }
    }
}

#[test]
fn no_error_and_no_debug_shows_a_key() {
    let des3 = issuer_keys(Profile::Des3, ISSUER, 1, 1);
    let sm4 = issuer_keys(Profile::Sm4, OTHER_ISSUER, 3, 2);
    let state = state_for(&[&des3, &sm4]);
    let keys = key_texts(&state);
    let path = std::path::PathBuf::from("/var/lib/jinka/sam.json");
    let errors = [
        SamError::UnknownIssuer { issuer_id: ISSUER },
        SamError::MissingKeyVersion {
            issuer_id: ISSUER,
            key_version: 9,
        },
        SamError::UnknownAlgorithm { algorithm_id: 7 },
        SamError::AlgorithmMismatch {
            issuer_id: ISSUER,
            key_version: 1,
            algorithm_id: 4,
        },
        SamError::Mac2Invalid,
        SamError::NoSession,
        SamError::CommandNotAllowed {
            header: [0x84, 0x18, 0, 0],
        },
        SamError::SerialsExhausted,
        SamError::Store(StoreError::new(SamFileError::Tampered {
            path: path.clone(),
        })),
        SamError::Transport(TransportError::CardRemoved),
        SamError::Unsupported { command: "X" },
        SamError::UnexpectedStatus {
            command: "X",
            status: StatusWord::MEMORY_FAILURE,
        },
        SamError::MalformedResponse {
            command: "X",
            bytes: 3,
        },
    ];
    let file_errors = [
        SamFileError::WrongKek { path: path.clone() },
        SamFileError::Tampered { path: path.clone() },
        SamFileError::KekRequired { path: path.clone() },
        SamFileError::NotEncrypted { path: path.clone() },
        SamFileError::Unreadable {
            path: path.clone(),
            reason: "r",
        },
        SamFileError::UnsupportedVersion {
            path: path.clone(),
            version: 2,
        },
        SamFileError::Invalid {
            path: path.clone(),
            source: StateError::DuplicateKeySet {
                issuer_id: ISSUER,
                key_version: 1,
            },
        },
    ];
    let mut texts: Vec<String> = errors
        .iter()
        .flat_map(|e| [e.to_string(), format!("{e:?}")])
        .chain(
            file_errors
                .iter()
                .flat_map(|e| [e.to_string(), format!("{e:?}")]),
        )
        .collect();

    let mut software = SoftwareSam::new(state.clone(), MemoryStore::new());
    jinka_sam::Sam::init_purchase(&mut software, &request(&des3)).unwrap();
    texts.push(format!("{software:?}"));
    texts.push(format!("{:?}", software.store()));
    texts.push(format!("{state:?}"));
    texts.push(format!("{:?}", state.keys));
    let mut card = PsamCard::new(SoftwareSam::new(state.clone(), MemoryStore::new()));
    texts.push(format!("{card:?}"));
    let client = PsamClient::connect(&mut card).unwrap();
    texts.push(format!("{client:?}"));
    let kek = jinka_crypto::Key16::new([0xC3; 16]);
    let file = SamFile::new(&path, Some(kek), SeededEntropy::new(1));
    texts.push(format!("{file:?}"));
    assert!(texts.iter().all(|text| !text.contains("C3C3C3C3")));
    assert_no_key(&texts, &keys);
}

//! Card images: round trip, and refusal of foreign, corrupt and inconsistent files.

use jinka_card::image::{self, ImageError};
use jinka_card::{Card, E_PURSE_AID, SeededEntropy, Write};
use jinka_crypto::Profile;
use sm3::{Digest, Sm3};

use crate::support::*;

fn used_card() -> Card<SeededEntropy> {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 5_000).unwrap();
    purchase(&mut card, &issuer, 120, 1).unwrap();
    card
}

/// Rewrites an image's JSON body with `edit` and a matching digest.
fn reseal(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&bytes[newline + 1..]).unwrap();
    edit(&mut body);
    let body = serde_json::to_vec(&body).unwrap();
    let mut out = format!(
        "JINKA-CARD-IMAGE 1 SM3 {}\n",
        hex::encode_upper(Sm3::digest(&body))
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[test]
fn images_round_trip() {
    let card = used_card();
    let bytes = image::encode(card.nvm());
    assert!(bytes.starts_with(b"JINKA-CARD-IMAGE 1 SM3 "));
    let loaded = image::decode(&bytes).unwrap();
    assert_eq!(&loaded, card.nvm());
    let mut card = Card::new(loaded, SeededEntropy::new(1));
    select(&mut card, &E_PURSE_AID);
    assert_eq!(balance(&mut card), 4_880);
}

#[test]
fn foreign_corrupt_and_inconsistent_images_are_refused() {
    let bytes = image::encode(used_card().nvm());
    assert_eq!(image::decode(b"{\"hello\": 1}\n"), Err(ImageError::Foreign));
    assert_eq!(image::decode(b""), Err(ImageError::Foreign));
    assert_eq!(
        image::decode(&[0xFF, 0xFE, b'\n']),
        Err(ImageError::Foreign)
    );
    let future = [&b"JINKA-CARD-IMAGE 2"[..], &bytes[18..]].concat();
    assert_eq!(
        image::decode(&future),
        Err(ImageError::UnsupportedVersion("2".into()))
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x01;
    assert_eq!(image::decode(&flipped), Err(ImageError::Corrupt));
    assert_eq!(
        image::decode(&bytes[..bytes.len() - 1]),
        Err(ImageError::Corrupt)
    );
    let too_rich = reseal(&bytes, |body| {
        body["state"]["applications"][0]["purse"]["balance_fen"] = 0x8000_0000u32.into()
    });
    assert!(matches!(
        image::decode(&too_rich),
        Err(ImageError::Inconsistent(_))
    ));
    let bad_head = reseal(&bytes, |body| {
        body["state"]["applications"][0]["files"][3]["body"]["head"] = 9.into()
    });
    assert!(matches!(
        image::decode(&bad_head),
        Err(ImageError::Inconsistent(_))
    ));
    let not_a_card = reseal(&bytes, |body| body["state"]["profile"] = "aes".into());
    assert!(matches!(
        image::decode(&not_a_card),
        Err(ImageError::Malformed(_))
    ));
}

#[test]
fn a_journal_that_cannot_replay_is_refused() {
    let card = used_card();
    let mut nvm = card.nvm().clone();
    nvm.journal.entries.push(Write::Binary {
        app: 0,
        file: 0,
        offset: 29,
        bytes: vec![1, 2],
    });
    nvm.journal.committed = true;
    assert!(matches!(
        image::decode(&image::encode(&nvm)),
        Err(ImageError::Inconsistent(_))
    ));
    nvm.journal.entries = vec![Write::AppState {
        app: 7,
        state: jinka_card::AppState::Blocked,
    }];
    assert!(matches!(
        image::decode(&image::encode(&nvm)),
        Err(ImageError::Inconsistent(_))
    ));
    // A valid committed journal is replayed at power-up.
    nvm.journal.entries = vec![Write::AppState {
        app: 0,
        state: jinka_card::AppState::Blocked,
    }];
    let card = Card::new(
        image::decode(&image::encode(&nvm)).unwrap(),
        SeededEntropy::new(1),
    );
    assert_eq!(
        card.nvm().state.applications[0].state,
        jinka_card::AppState::Blocked
    );
    assert!(card.nvm().journal.entries.is_empty());
}

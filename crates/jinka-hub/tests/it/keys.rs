//! Issuer keys and the KEK: keys go in sealed and never come out; the KEK is created once,
//! private, and a wrong one is refused.

use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_crypto::{Key16, Profile};
use jinka_hub::{ErrorKind, HubError};
use serde_json::json;

use crate::test_hub::TestHub;

pub fn key_set(seed: u64, issuer_id: [u8; 8]) -> IssuerKeys {
    IssuerKeys::generate(Profile::Sm4, 1, issuer_id, &mut SeededEntropy::new(seed))
}

pub fn all_keys(keys: &IssuerKeys) -> [&Key16; 6] {
    [
        &keys.purchase,
        &keys.load,
        &keys.tac,
        &keys.maintenance,
        &keys.authentication,
        &keys.card_manager,
    ]
}

/// Whether `haystack` holds any key of `keys`, in hex (either case) or as raw bytes.
pub fn holds_a_key(haystack: &[u8], keys: &IssuerKeys) -> bool {
    let text = String::from_utf8_lossy(haystack).to_uppercase();
    all_keys(keys).iter().any(|key| {
        text.contains(&key.to_hex())
            || haystack
                .windows(16)
                .any(|window| window == key.as_bytes().as_slice())
    })
}

#[tokio::test]
async fn uploaded_keys_are_never_echoed_nor_stored_in_clear() {
    let hub = TestHub::start().await;
    let issuer = hub.member("City card", &["issuer"]).await;
    let keys = key_set(42, [0x31, 0x04, 0, 0, 0, 0, 0, 0]);
    let path = format!("/v1/issuers/{}/keys", issuer.id);
    let operator = Some(hub.operator_key.as_str());
    let reply = hub
        .post_raw(&path, operator, keys.to_json().as_bytes().to_vec())
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({
            "issuer": issuer.id, "issuer_id": "3104000000000000", "key_version": 1,
            "profile": "sm4", "kinds": ["load", "tac", "card_manager"],
            "created_at_ms": reply.json()["created_at_ms"]
        })
    );
    assert!(!holds_a_key(&reply.body, &keys));
    let listed = hub.get(&path, Some(&issuer.key)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
    assert!(!holds_a_key(&listed.body, &keys));

    // The same set again: a conflict; an answer that would quote a key does not.
    let again = hub
        .post_raw(&path, operator, keys.to_json().as_bytes().to_vec())
        .await;
    assert_eq!(again.status, 409);
    let misplaced = keys.to_json().replace(
        "\"key_version\": 1",
        &format!("\"key_version\": \"{}\"", keys.load.to_hex()),
    );
    let reply = hub.post_raw(&path, operator, misplaced.into_bytes()).await;
    assert_eq!(reply.status, 400);
    assert!(!holds_a_key(&reply.body, &keys), "{}", reply.text());
    let bad_key = keys.to_json().replace(&keys.tac.to_hex(), "XYZ");
    let reply = hub.post_raw(&path, operator, bad_key.into_bytes()).await;
    assert_eq!(reply.status, 400);
    assert!(!holds_a_key(&reply.body, &keys), "{}", reply.text());

    // Only the operator uploads, only for issuers.
    let other = key_set(43, [0x31, 0x04, 0, 0, 0, 0, 0, 9]);
    let reply = hub
        .post_raw(
            &path,
            Some(&issuer.key),
            other.to_json().as_bytes().to_vec(),
        )
        .await;
    assert_eq!(reply.status, 403);
    let acquirer = hub.member("Metro", &["acquirer"]).await;
    let reply = hub
        .post_raw(
            &format!("/v1/issuers/{}/keys", acquirer.id),
            operator,
            other.to_json().as_bytes().to_vec(),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(hub.get(&path, Some(&acquirer.key)).await.status, 404);

    // Nothing of the keys is in the database in clear (its files, or its tables' rows).
    let stored = hub.stored_bytes();
    assert!(stored.iter().any(|(_, bytes)| !bytes.is_empty()));
    for (what, bytes) in stored {
        assert!(!holds_a_key(&bytes, &keys), "{what} holds a key");
    }
}

#[tokio::test]
async fn the_first_start_creates_a_private_kek() {
    let hub = TestHub::start().await;
    let path = hub.data_dir().join(jinka_hub::KEK_FILE_NAME);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(jinka_hub::parse_kek(&text).is_ok());
    assert_eq!(text.len(), 33);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // The embedded database's file (PostgreSQL keeps its own files).
        if hub.config.database_url.is_none() {
            let database = hub.data_dir().join(jinka_hub::DATABASE_FILE_NAME);
            let mode = std::fs::metadata(database).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the database is readable by others");
        }
    }
}

#[tokio::test]
async fn a_wrong_kek_is_refused_at_restart_and_the_right_one_opens() {
    let mut hub = TestHub::start().await;
    let issuer = hub.member("City card", &["issuer"]).await;
    let keys = key_set(7, [0x31, 0x04, 0, 0, 0, 0, 0, 1]);
    let reply = hub
        .post_raw(
            &format!("/v1/issuers/{}/keys", issuer.id),
            Some(&hub.operator_key),
            keys.to_json().as_bytes().to_vec(),
        )
        .await;
    assert_eq!(reply.status, 201);
    hub.stop().await;
    let kek_path = hub.data_dir().join(jinka_hub::KEK_FILE_NAME);
    let right = jinka_hub::read_kek_file(&kek_path).unwrap();

    hub.config.kek = Some(Key16::new([0x5A; 16]));
    let error = hub.serve(None).await.unwrap_err();
    assert!(matches!(error, HubError::WrongKek { .. }), "{error}");
    assert_eq!(error.kind(), ErrorKind::BadInput);
    assert!(
        error.to_string().contains("--kek-file or JINKA_KEK"),
        "{error}"
    );

    // A changed KEK file too.
    hub.config.kek = None;
    std::fs::write(&kek_path, "00112233445566778899AABBCCDDEEFF\n").unwrap();
    assert!(matches!(
        hub.serve(None).await.unwrap_err(),
        HubError::WrongKek { .. }
    ));
    // A missing one is not silently replaced.
    std::fs::remove_file(&kek_path).unwrap();
    let error = hub.serve(None).await.unwrap_err();
    assert!(matches!(error, HubError::Config { .. }), "{error}");
    assert!(!kek_path.exists());

    // The right KEK, given explicitly, opens everything as before.
    hub.config.kek = Some(right);
    hub.serve(None).await.unwrap();
    let listed = hub
        .get(
            &format!("/v1/issuers/{}/keys", issuer.id),
            Some(&hub.operator_key),
        )
        .await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_database_url_of_another_engine_is_refused_naming_its_scheme_not_its_password() {
    let directory = tempfile::tempdir().unwrap();
    for (url, scheme) in [
        ("mysql://jinka:s3cret-pass@db.example/jinka", Some("mysql")),
        ("sqlite:///var/lib/jinka/hub.db", Some("sqlite")),
        ("jinka:s3cret-pass@db.example/jinka", None),
    ] {
        let mut config =
            jinka_hub::HubConfig::new(directory.path(), "127.0.0.1:0".parse().unwrap());
        config.database_url = Some(url.to_owned());
        let error = match jinka_hub::bind(config).await {
            Ok(_) => panic!("{url} was accepted"),
            Err(error) => error,
        };
        assert!(matches!(error, HubError::Config { .. }), "{error}");
        let text = error.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("postgres://"), "{text}");
        if let Some(scheme) = scheme {
            assert!(text.contains(&format!("`{scheme}`")), "{text}");
        }
    }
}

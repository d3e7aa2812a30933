//! The SAM file: sealed round trip, wrong KEK, tampering, clear mode 0600, serials that
//! survive a restart, and errors that name the file.

use jinka_card::SeededEntropy;
use jinka_crypto::{Key16, Profile};
use jinka_sam::{
    Protection, Sam, SamFile, SamFileError, SamState, create_software_sam, load_software_sam,
};
use jinka_secret_file::Overwrite;

use crate::support::{ISSUER, OTHER_ISSUER, issuer_keys, request, state_for};

fn kek() -> Key16 {
    Key16::from_hex("000102030405060708090A0B0C0D0E0F").unwrap()
}

fn state() -> SamState {
    state_for(&[
        &issuer_keys(Profile::Sm4, ISSUER, 1, 1),
        &issuer_keys(Profile::Des3, OTHER_ISSUER, 2, 2),
    ])
}

fn file(path: &std::path::Path, kek: Option<Key16>) -> SamFile<SeededEntropy> {
    SamFile::new(path, kek, SeededEntropy::new(42))
}

fn key_hex(state: &SamState) -> Vec<String> {
    state
        .keys
        .iter()
        .flat_map(|entry| [entry.purchase.to_hex(), entry.maintenance.to_hex()])
        .collect()
}

#[test]
fn a_sealed_file_round_trips_and_holds_no_key_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sam.json");
    let state = state();
    let (_, protection) = create_software_sam(file(&path, Some(kek())), state.clone()).unwrap();
    assert_eq!(protection, Protection::Encrypted);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("jinka-sam-sealed"), "{text}");
    for key in key_hex(&state) {
        assert!(!text.contains(&key));
    }
    assert!(
        !text.contains("3104000000000001"),
        "issuer ids are inside the seal too"
    );
    assert_eq!(file(&path, Some(kek())).read().unwrap(), state);
    let (sam, protection) = load_software_sam(file(&path, Some(kek()))).unwrap();
    assert_eq!(protection, Protection::Encrypted);
    assert_eq!(sam.serial_next(), 1);
    // Creating refuses to destroy an existing SAM.
    assert!(matches!(
        create_software_sam(file(&path, Some(kek())), state),
        Err(SamFileError::File(
            jinka_secret_file::FileError::Exists { .. }
        ))
    ));
}

#[test]
fn a_wrong_kek_and_a_tampered_file_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sam.sealed");
    file(&path, Some(kek()))
        .write(&state(), Overwrite::Refuse)
        .unwrap();

    let wrong = Key16::from_hex("FF0102030405060708090A0B0C0D0E0F").unwrap();
    let error = load_software_sam(file(&path, Some(wrong))).unwrap_err();
    assert!(matches!(error, SamFileError::WrongKek { .. }), "{error}");
    assert!(error.to_string().contains("sam.sealed"), "{error}");

    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("\"ciphertext\": \"").unwrap() + 15;
    let mut bytes = text.into_bytes();
    bytes[start] = if bytes[start] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, &bytes).unwrap();
    let error = load_software_sam(file(&path, Some(kek()))).unwrap_err();
    assert!(matches!(error, SamFileError::Tampered { .. }), "{error}");
    assert!(error.to_string().contains("sam.sealed"), "{error}");

    let error = load_software_sam(file(&path, None)).unwrap_err();
    assert!(matches!(error, SamFileError::KekRequired { .. }), "{error}");
}

#[test]
fn without_a_kek_the_file_is_clear_private_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sam.json");
    let state = state();
    let (_, protection) = create_software_sam(file(&path, None), state.clone()).unwrap();
    assert_eq!(protection, Protection::Clear);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, protection) = load_software_sam(file(&path, None)).unwrap();
    assert_eq!(protection, Protection::Clear);
    // A KEK given for a clear file: refused, the file may have been swapped.
    let error = load_software_sam(file(&path, Some(kek()))).unwrap_err();
    assert!(
        matches!(error, SamFileError::NotEncrypted { .. }),
        "{error}"
    );
}

#[test]
fn serials_survive_a_restart_and_a_crash_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sam.json");
    let keys = issuer_keys(Profile::Sm4, ISSUER, 1, 1);
    let (sam, _) = create_software_sam(file(&path, Some(kek())), state()).unwrap();
    let mut sam = sam.with_serial_block(5);
    for expected in 1..=3 {
        assert_eq!(
            sam.init_purchase(&request(&keys)).unwrap().terminal_serial,
            expected
        );
    }
    // Crash: the process dies without a word; the file holds the reservation.
    drop(sam);
    let (sam, _) = load_software_sam(file(&path, Some(kek()))).unwrap();
    let mut sam = sam.with_serial_block(5);
    assert_eq!(
        sam.init_purchase(&request(&keys)).unwrap().terminal_serial,
        6
    );
    // Orderly shutdown: the unused serials are given back.
    sam.release_unused_serials().unwrap();
    drop(sam);
    let (mut sam, _) = load_software_sam(file(&path, Some(kek()))).unwrap();
    assert_eq!(
        sam.init_purchase(&request(&keys)).unwrap().terminal_serial,
        7
    );
}

#[test]
fn broken_files_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let error = load_software_sam(file(&missing, None)).unwrap_err();
    assert!(error.to_string().contains("missing.json"), "{error}");

    let path = dir.path().join("odd.json");
    for (content, expected) in [
        (&b"\xff\xfe"[..], "not UTF-8"),
        (b"{", "not a SAM file"),
        (b"{\"format\": \"jinka-issuer-keys\"}", "unknown format"),
    ] {
        std::fs::write(&path, content).unwrap();
        let error = load_software_sam(file(&path, None)).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, SamFileError::Unreadable { .. }), "{text}");
        assert!(
            text.contains("odd.json") && text.contains(expected),
            "{text}"
        );
    }
    let text = state()
        .to_json()
        .replace("\"version\": 1", "\"version\": 7");
    std::fs::write(&path, text.as_bytes()).unwrap();
    let error = load_software_sam(file(&path, None)).unwrap_err();
    assert!(matches!(error, SamFileError::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("odd.json"), "{error}");
}

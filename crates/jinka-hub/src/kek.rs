//! The key-encryption key (KEK): given by the operator (`--kek-file` or `JINKA_KEK`), or on
//! the embedded default kept in the data directory's `kek` file, which the first start
//! creates (mode 0600) and says so.

use std::path::{Path, PathBuf};

use jinka_crypto::Key16;
use zeroize::Zeroizing;

use crate::entropy::Entropy;
use crate::error::HubError;

/// The KEK file's name in the data directory.
pub const KEK_FILE_NAME: &str = "kek";
/// Largest KEK file read: 32 hex digits and some white space.
const KEK_FILE_BYTES_MAX: u64 = 256;

/// Parses a KEK: 32 hexadecimal digits, white space around them ignored. The error never
/// echoes the text.
pub fn parse_kek(text: &str) -> Result<Key16, HubError> {
    Key16::from_hex(text.trim())
        .map_err(|_| HubError::config("a key-encryption key is 32 hexadecimal digits"))
}

/// Reads a KEK file (see [`parse_kek`]); errors name the file.
pub fn read_kek_file(path: &Path) -> Result<Key16, HubError> {
    let bytes = Zeroizing::new(jinka_secret_file::read(path, KEK_FILE_BYTES_MAX)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        HubError::config(format!("{}: not a key-encryption key file", path.display()))
    })?;
    parse_kek(text).map_err(|_| {
        HubError::config(format!(
            "{}: a key-encryption key file holds 32 hexadecimal digits",
            path.display()
        ))
    })
}

/// The KEK to use and where it came from (for messages: never the key).
pub(crate) struct ResolvedKek {
    pub(crate) key: Key16,
    pub(crate) source: String,
}

/// Finds the KEK: the given one, else the data directory's file, else (only while the
/// database has nothing sealed) a new file.
pub(crate) fn resolve(
    given: Option<Key16>,
    data_dir: &Path,
    database_sealed_anything: bool,
    entropy: &dyn Entropy,
) -> Result<ResolvedKek, HubError> {
    if let Some(key) = given {
        return Ok(ResolvedKek {
            key,
            source: "the given KEK (--kek-file or JINKA_KEK)".to_owned(),
        });
    }
    let path = data_dir.join(KEK_FILE_NAME);
    if path.exists() {
        warn_if_shared(&path);
        return Ok(ResolvedKek {
            key: read_kek_file(&path)?,
            source: path.display().to_string(),
        });
    }
    if database_sealed_anything {
        return Err(HubError::config(format!(
            "{} is missing but the database holds keys sealed under a KEK: give it with \
             --kek-file or JINKA_KEK",
            path.display()
        )));
    }
    create(path, entropy)
}

fn create(path: PathBuf, entropy: &dyn Entropy) -> Result<ResolvedKek, HubError> {
    let mut bytes = Zeroizing::new([0u8; 16]);
    entropy.fill(bytes.as_mut())?;
    let key = Key16::new(*bytes);
    let mut text = Zeroizing::new(key.to_hex());
    text.push('\n');
    jinka_secret_file::write(&path, text.as_bytes(), jinka_secret_file::Overwrite::Refuse)?;
    tracing::warn!(
        path = %path.display(),
        "created a new key-encryption key (mode 0600) for the keys this hub seals: keep a copy \
         apart from the database; production gives it with --kek-file or JINKA_KEK"
    );
    Ok(ResolvedKek {
        key,
        source: path.display().to_string(),
    })
}

/// Logs a warning when the KEK file can be read by others than its owner.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the KEK file is readable by others: chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kek_text_is_32_hex_digits_and_errors_do_not_echo_it() {
        let key = parse_kek(" 00112233445566778899AABBCCDDEEFF\n").unwrap();
        assert_eq!(key.to_hex(), "00112233445566778899AABBCCDDEEFF");
        let error = parse_kek("00112233445566778899AABBCCDDEEF").unwrap_err();
        assert!(!error.to_string().contains("0011"), "{error}");
    }
}

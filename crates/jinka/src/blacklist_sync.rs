//! `jinka terminal blacklist-sync --hub URL --blacklist FILE`: brings a terminal's blacklist
//! file up to date from the clearing centre (`GET /v1/blacklist?since=V`), so `jinka
//! terminal purchase --blacklist FILE` blocks a hotlisted card on the card itself.
//!
//! The file stays readable by hand: a first line `# version N` (the network blacklist's
//! version it holds; a file without it is at version 0, or 1 when read by a transaction:
//! see [`read`]), then one ASN (16 hex digits) a line, ascending. `#` lines and blank lines
//! are ignored. It is written whole to a temporary file beside it and renamed over it.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use crate::BadInput;
use crate::hub_client::HubClient;

/// Most bytes a blacklist file may have (4,000,000 ASNs of 17 bytes, and the header).
pub const BLACKLIST_FILE_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// A blacklist file's content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlacklistFile {
    /// The `# version N` line's N, if there is one.
    pub version: Option<u64>,
    pub listed: BTreeSet<[u8; 8]>,
}

/// Reads a blacklist file.
pub fn read(path: &Path) -> anyhow::Result<BlacklistFile> {
    let bytes = jinka_secret_file::read(path, BLACKLIST_FILE_BYTES_MAX)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| BadInput(format!("{}: not text", path.display())))?;
    parse(text).map_err(|(line, reason)| {
        BadInput(format!("{} line {line}: {reason}", path.display())).into()
    })
}

fn parse(text: &str) -> Result<BlacklistFile, (usize, &'static str)> {
    let mut file = BlacklistFile::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if number == 0
            && let Some(version) = line.strip_prefix("# version ")
        {
            let version = version.trim().parse().map_err(|_| (1, "not a version"))?;
            file.version = Some(version);
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let asn = crate::keys_command::parse_hex_array::<8>(line)
            .ok_or((number + 1, "not an ASN (16 hex digits)"))?;
        file.listed.insert(asn);
    }
    Ok(file)
}

fn render(file: &BlacklistFile) -> String {
    let mut text = format!("# version {}\n", file.version.unwrap_or(0));
    for asn in &file.listed {
        text.push_str(&hex::encode_upper(asn));
        text.push('\n');
    }
    text
}

fn asns(value: &Value, field: &str) -> anyhow::Result<Vec<[u8; 8]>> {
    let garbled = || BadInput(format!("the hub's blacklist answer: bad `{field}`"));
    value[field]
        .as_array()
        .ok_or_else(garbled)?
        .iter()
        .map(|asn| {
            asn.as_str()
                .and_then(crate::keys_command::parse_hex_array::<8>)
                .ok_or_else(garbled)
        })
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}

/// Applies a `BlacklistUpdate` (JSON) to `file`.
fn apply(file: &mut BlacklistFile, update: &Value) -> anyhow::Result<()> {
    let number = |field: &str| {
        update[field]
            .as_u64()
            .ok_or_else(|| BadInput(format!("the hub's blacklist answer: bad `{field}`")))
    };
    match update["kind"].as_str() {
        Some("delta") => {
            let (from, to) = (number("from")?, number("to")?);
            if from != file.version.unwrap_or(0) || to < from {
                return Err(BadInput(format!(
                    "the hub sent a delta from version {from} to {to}; the file is at {}",
                    file.version.unwrap_or(0)
                ))
                .into());
            }
            for asn in asns(update, "removed")? {
                file.listed.remove(&asn);
            }
            file.listed.extend(asns(update, "added")?);
            file.version = Some(to);
        }
        Some("full") => {
            file.listed = asns(update, "entries")?.into_iter().collect();
            file.version = Some(number("version")?);
        }
        _ => return Err(BadInput("the hub's blacklist answer: unknown kind".into()).into()),
    }
    Ok(())
}

/// Fetches the changes since the file's version (a missing file: since 0) and writes the
/// file back; prints what changed.
pub fn sync(path: &Path, hub: &str, api_key: &str) -> anyhow::Result<()> {
    let mut file = if path.exists() {
        read(path)?
    } else {
        BlacklistFile::default()
    };
    let before = (file.version.unwrap_or(0), file.listed.len());
    let client = HubClient::new(hub, api_key);
    let update = client
        .get_value(&format!("/v1/blacklist?since={}", before.0))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    apply(&mut file, &update)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, render(&file))
        .with_context(|| format!("writing {}", Path::new(&temporary).display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "blacklist {}: version {} -> {}, {} -> {} cards",
        path.display(),
        before.0,
        file.version.unwrap_or(0),
        before.1,
        file.listed.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_and_full_lists_apply_and_the_file_reads_back() {
        let mut file = parse("# version 2\n3104000000010001\n\n# a comment\n").unwrap();
        assert_eq!(file.version, Some(2));
        let delta = serde_json::json!({ "kind": "delta", "from": 2, "to": 4,
            "added": ["3104000000010002"], "removed": ["3104000000010001"] });
        apply(&mut file, &delta).unwrap();
        let text = render(&file);
        assert_eq!(text, "# version 4\n3104000000010002\n");
        assert_eq!(parse(&text).unwrap(), file);
        // A delta from another version is refused; an empty one at ours changes nothing.
        assert!(apply(&mut file, &delta).is_err());
        let empty = serde_json::json!({ "kind": "delta", "from": 4, "to": 4,
            "added": [], "removed": [] });
        apply(&mut file, &empty).unwrap();
        assert_eq!(render(&file), text);
        let full = serde_json::json!({ "kind": "full", "version": 9, "entries": [] });
        apply(&mut file, &full).unwrap();
        assert_eq!(render(&file), "# version 9\n");
        // The old format (no version line) still reads.
        let old = parse("3104000000010001\n").unwrap();
        assert_eq!((old.version, old.listed.len()), (None, 1));
        assert_eq!(parse("# version x\n"), Err((1, "not a version")));
    }
}

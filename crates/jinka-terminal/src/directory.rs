//! The card's directory: SELECT `2PAY.SYS.DDF01` and the applications its FCI lists.

use jinka_apdu::Transport;
use jinka_card::{Aid, PPSE_NAME, tlv};

use crate::exchange::{ExchangeError, command, exchange};

/// An application the card's directory lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Its AID.
    pub aid: Aid,
    /// Its label.
    pub label: String,
}

/// Most entries read from one directory.
pub const DIRECTORY_ENTRIES_MAX: usize = 32;

/// Reads the card's directory.
pub fn read_directory(
    transport: &mut impl Transport,
    buffer: &mut Vec<u8>,
) -> Result<Vec<DirectoryEntry>, ExchangeError> {
    let mut apdu = Vec::with_capacity(32);
    let fci = exchange(
        transport,
        "SELECT 2PAY.SYS.DDF01",
        command(&mut apdu, [0x00, 0xA4, 0x04, 0x00], &[PPSE_NAME], Some(0)),
        buffer,
    )?;
    Ok(parse_directory(fci))
}

/// The entries of a directory FCI `6F { 84, A5 { BF0C { 61 { 4F, 50 } … } } }`; anything
/// malformed ends the list (a garbled FCI lists nothing), never a panic.
pub fn parse_directory(fci: &[u8]) -> Vec<DirectoryEntry> {
    let mut entries = Vec::new();
    let Some((0x6F, body, _)) = tlv::read(fci) else {
        return entries;
    };
    let Some(a5) = find(body, 0xA5) else {
        return entries;
    };
    let Some(mut list) = find(a5, 0xBF0C) else {
        return entries;
    };
    while let Some((tag, entry, rest)) = tlv::read(list) {
        list = rest;
        if tag != 0x61 || entries.len() >= DIRECTORY_ENTRIES_MAX {
            continue;
        }
        let aid = find(entry, 0x4F).and_then(Aid::new);
        let label = find(entry, 0x50)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        if let Some(aid) = aid {
            entries.push(DirectoryEntry { aid, label });
        }
    }
    entries
}

fn find(mut bytes: &[u8], wanted: u16) -> Option<&[u8]> {
    while let Some((tag, value, rest)) = tlv::read(bytes) {
        if tag == wanted {
            return Some(value);
        }
        bytes = rest;
    }
    None
}

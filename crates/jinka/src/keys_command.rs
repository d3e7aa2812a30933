//! `jinka keys new`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use jinka_card::IssuerKeys;
use jinka_crypto::Profile;
use jinka_secret_file::Overwrite;

use crate::BadInput;
use crate::os_entropy::OsEntropy;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Write a new issuer key set (JSON, keys in hex, mode 0600).
    New(NewKeys),
}

#[derive(Args)]
pub struct NewKeys {
    /// Cryptographic profile: sm4 or des3.
    #[arg(long, default_value = "sm4")]
    profile: String,
    /// Key version the cards will report.
    #[arg(long, default_value_t = 1)]
    key_version: u8,
    /// Issuer id, 16 hex digits (written in each card's EF 0x15).
    #[arg(long, default_value = "3104000000000001")]
    issuer_id: String,
    /// Where to write the key set; an existing file is never overwritten.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(command: KeysCommand) -> anyhow::Result<()> {
    let KeysCommand::New(args) = command;
    let profile = Profile::from_name(&args.profile)
        .ok_or_else(|| BadInput(format!("--profile {}: must be sm4 or des3", args.profile)))?;
    let issuer_id = parse_hex_array::<8>(&args.issuer_id)
        .ok_or_else(|| BadInput("--issuer-id: must be 16 hex digits".into()))?;
    let keys = IssuerKeys::generate(profile, args.key_version, issuer_id, &mut OsEntropy);
    jinka_secret_file::write(&args.out, keys.to_json().as_bytes(), Overwrite::Refuse)?;
    println!(
        "wrote {} key set version {} to {}",
        profile.name(),
        args.key_version,
        args.out.display()
    );
    Ok(())
}

/// Reads an issuer key set file.
pub fn load(path: &std::path::Path) -> anyhow::Result<IssuerKeys> {
    let bytes = jinka_secret_file::read(path, 64 * 1024)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| BadInput(format!("{}: not UTF-8 text", path.display())))?;
    IssuerKeys::from_json(text)
        .map_err(|e| BadInput(format!("{}: {e}", path.display())))
        .with_context(|| format!("reading key set {}", path.display()))
}

/// Parses exactly `N` bytes of hex (spaces and colons between digits allowed).
pub fn parse_hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    parse_hex(text)?.try_into().ok()
}

/// Parses hex, ignoring spaces and colons.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '\t'))
        .collect();
    hex::decode(digits).ok()
}

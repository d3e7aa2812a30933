//! `jinka sam new`, and opening a software SAM for the terminal commands.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use jinka_crypto::Key16;
use jinka_sam::{
    IssuerMasterKeys, KeyTable, Protection, SamFile, SamState, SoftwareSam, create_software_sam,
    load_software_sam,
};
use zeroize::Zeroizing;

use crate::BadInput;
use crate::keys_command::{self, parse_hex_array};
use crate::os_entropy::OsEntropy;

#[derive(Subcommand)]
pub enum SamCommand {
    /// Make a software SAM holding the purchase and maintenance master keys of these issuers.
    New(NewSam),
}

#[derive(Args)]
pub struct NewSam {
    /// Issuer key sets whose cards the terminal accepts (repeatable).
    #[arg(long = "keys", required = true)]
    keys: Vec<PathBuf>,
    /// The terminal id, 12 hex digits.
    #[arg(long)]
    terminal_id: String,
    /// Where to write the SAM; an existing file is never overwritten.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    kek: KekArgs,
}

/// Where the SAM file's key-encryption key comes from.
#[derive(Args)]
pub struct KekArgs {
    /// A file holding the key-encryption key (32 hex digits); or set JINKA_KEK.
    #[arg(long)]
    kek_file: Option<PathBuf>,
}

impl KekArgs {
    pub fn key(&self) -> anyhow::Result<Option<Key16>> {
        let text = match (&self.kek_file, std::env::var("JINKA_KEK")) {
            (Some(path), _) => {
                let bytes = Zeroizing::new(jinka_secret_file::read(path, 1024)?);
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| BadInput(format!("{}: not text", path.display())))?;
                Zeroizing::new(text.trim().to_owned())
            }
            (None, Ok(text)) => Zeroizing::new(text.trim().to_owned()),
            (None, Err(_)) => return Ok(None),
        };
        Ok(Some(Key16::from_hex(&text).map_err(|_| {
            BadInput("the key-encryption key must be 32 hex digits".into())
        })?))
    }
}

pub fn run(command: SamCommand) -> anyhow::Result<()> {
    let SamCommand::New(args) = command;
    let terminal_id = parse_hex_array::<6>(&args.terminal_id).ok_or_else(|| {
        BadInput(format!(
            "--terminal-id {}: must be 12 hex digits",
            args.terminal_id
        ))
    })?;
    let mut masters = Vec::new();
    for path in &args.keys {
        masters.push(IssuerMasterKeys::from(&keys_command::load(path)?));
    }
    let table = KeyTable::new(masters).map_err(|e| BadInput(format!("--keys: {e}")))?;
    let file = SamFile::new(&args.out, args.kek.key()?, OsEntropy);
    let (_, protection) = create_software_sam(file, SamState::new(terminal_id, table))?;
    warn_if_clear(&args.out, protection);
    println!(
        "wrote SAM for terminal {} with {} issuer key set(s) to {}",
        hex::encode_upper(terminal_id),
        args.keys.len(),
        args.out.display()
    );
    Ok(())
}

fn warn_if_clear(path: &Path, protection: Protection) {
    if protection == Protection::Clear {
        eprintln!(
            "warning: {} holds master keys unencrypted (mode 0600); give --kek-file or JINKA_KEK to seal it",
            path.display()
        );
    }
}

pub fn open(path: &Path, kek: &KekArgs) -> anyhow::Result<SoftwareSam<SamFile<OsEntropy>>> {
    let (sam, protection) = load_software_sam(SamFile::new(path, kek.key()?, OsEntropy))?;
    warn_if_clear(path, protection);
    Ok(sam)
}

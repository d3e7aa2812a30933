//! `jinka card serve CARD --vpcd HOST:PORT`: the card, reachable through pcscd.

use std::path::{Path, PathBuf};

use clap::Args;
use jinka_card::Card;
use jinka_vpcd::{ConnectOptions, PersistError, ServeLimits, VirtualCard, connect_and_serve};

use crate::card_command::{load_card, save_card};
use crate::os_entropy::OsEntropy;

/// The card's ATR: T=1, historical bytes "JINKA-EPURSE", TCK 0x63.
pub const ATR: [u8; 17] = [
    0x3B, 0x8C, 0x80, 0x01, 0x4A, 0x49, 0x4E, 0x4B, 0x41, 0x2D, 0x45, 0x50, 0x55, 0x52, 0x53, 0x45,
    0x63,
];
/// Largest frame read from vpcd: an extended APDU of 4 KiB of data.
const FRAME_BYTES_MAX: usize = 4096 + 9;

#[derive(Args)]
pub struct ServeArgs {
    /// The card image (saved after every command that changes the card).
    card: PathBuf,
    /// Address of pcscd's vpcd driver (slot 0 listens on 127.0.0.1:35963).
    #[arg(long, value_name = "HOST:PORT")]
    vpcd: String,
    /// Stop after the first session instead of reconnecting.
    #[arg(long)]
    once: bool,
}

struct ServedCard<'a> {
    card: Card<OsEntropy>,
    path: &'a Path,
    saved_steps: u64,
}

impl VirtualCard for ServedCard<'_> {
    fn power_on(&mut self) {
        self.card.power_on();
    }

    fn power_off(&mut self) {
        self.card.power_on();
    }

    fn reset(&mut self) {
        self.card.power_on();
    }

    fn atr(&self) -> &[u8] {
        &ATR
    }

    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) {
        // No tear is ever armed here, so the card always answers.
        if self.card.transmit(apdu, response).is_err() {
            response.clear();
            response.extend_from_slice(&jinka_apdu::StatusWord::MEMORY_FAILURE.to_bytes());
        }
    }

    /// Saves the image before the answer leaves, when the command wrote to the card.
    fn after_command(&mut self) -> Result<(), PersistError> {
        let steps = self.card.nvm().steps_taken();
        if steps != self.saved_steps {
            save_card(self.path, self.card.nvm()).map_err(|e| -> PersistError { e.into() })?;
            self.saved_steps = steps;
        }
        Ok(())
    }
}

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let nvm = load_card(&args.card)?;
    let mut served = ServedCard {
        card: Card::new(nvm, OsEntropy),
        path: &args.card,
        saved_steps: 0,
    };
    let limits = ServeLimits::new(FRAME_BYTES_MAX)?;
    let options = ConnectOptions {
        limits,
        ..ConnectOptions::default()
    };
    let options = if args.once { options.once() } else { options };
    eprintln!("serving {} to vpcd at {}", args.card.display(), args.vpcd);
    let end = connect_and_serve(&args.vpcd, &mut served, &options)?;
    eprintln!(
        "served {} session(s), {} APDU(s)",
        end.sessions, end.apdus_answered
    );
    Ok(())
}

//! A fixed-answer card served through pcscd's vpcd driver, to check pcscd + vpcd + a PC/SC
//! client on a machine without the real card.
//!
//! ```text
//! cargo run -p jinka-vpcd --example echo_card -- [ADDR] [--atr HEX] [--once]
//! echo '00A4040002 3F00' | scriptor -r 'Virtual PCD 00 00'
//! ```
//!
//! ADDR defaults to 127.0.0.1:35963 (vpcd slot 0). SELECT (INS A4) answers `90 00`; any other
//! APDU is echoed back whole, followed by `90 00`.

use std::process::ExitCode;

use jinka_vpcd::{ConnectOptions, VirtualCard, connect_and_serve};

/// T=1 ATR with 12 proprietary historical bytes "JINKA-EPURSE" (ISO/IEC 7816-3 §8.2):
/// TS 3B, T0 8C (TD1 follows, 12 historical bytes), TD1 80 (TD2 follows, T=0),
/// TD2 01 (T=1), historical bytes, TCK = XOR of T0 to the last historical byte.
const ATR_DEFAULT: [u8; 17] = [
    0x3B, 0x8C, 0x80, 0x01, b'J', b'I', b'N', b'K', b'A', b'-', b'E', b'P', b'U', b'R', b'S', b'E',
    0x63,
];

struct EchoCard {
    atr: Vec<u8>,
}

impl VirtualCard for EchoCard {
    fn power_on(&mut self) {
        eprintln!("power on");
    }
    fn power_off(&mut self) {
        eprintln!("power off");
    }
    fn reset(&mut self) {
        eprintln!("reset");
    }
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) {
        eprintln!("APDU of {} bytes", apdu.len());
        if apdu.get(1) != Some(&0xA4) {
            response.extend_from_slice(apdu);
        }
        response.extend_from_slice(&[0x90, 0x00]);
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair)
                .ok()
                .filter(|pair| pair.len() == 2)?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

fn main() -> ExitCode {
    let mut addr = String::from("127.0.0.1:35963");
    let mut options = ConnectOptions::default();
    let mut card = EchoCard {
        atr: ATR_DEFAULT.to_vec(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--once" => options = options.once(),
            "--atr" => match args.next().as_deref().and_then(parse_hex) {
                Some(atr) => card.atr = atr,
                None => {
                    eprintln!("--atr needs hex digits");
                    return ExitCode::from(2);
                }
            },
            _ => addr = arg,
        }
    }
    eprintln!("serving the echo card to vpcd at {addr}");
    match connect_and_serve(&addr, &mut card, &options) {
        Ok(end) => {
            eprintln!(
                "done: {} sessions, {} APDUs",
                end.sessions, end.apdus_answered
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

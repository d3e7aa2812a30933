//! `jinka demo`: issue a card and run a load, a purchase and a transit ride against it through
//! its APDUs, acting as terminal, SAM and issuer at once, and check every MAC and TAC.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use clap::Args;
use jinka_apdu::ResponseApdu;
use jinka_card::{
    Card, E_PURSE_AID, Issuance, IssuerKeys, SOCIAL_SECURITY_AID, SeededEntropy, Template, issue,
};
use jinka_crypto::{MacKey, Profile, diversify, mac_eq, session_key, tac_key};
use jinka_secret_file::Overwrite;

use crate::BadInput;
use crate::card_command::yuan;

#[derive(Args)]
pub struct DemoArgs {
    /// Cryptographic profile: sm4 or des3.
    #[arg(long, default_value = "sm4")]
    profile: String,
    /// Seed of the keys and the card's randomness: the same seed prints the same session.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also save the card image here (mode 0600; an existing file is not overwritten).
    #[arg(long)]
    card: Option<PathBuf>,
}

const TERMINAL: [u8; 6] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x01];
const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x27];

struct Session {
    card: Card<SeededEntropy>,
    keys: IssuerKeys,
    asn: [u8; 8],
    serial: u32,
}

impl Session {
    /// Sends one APDU, prints the exchange, and gives the data of a `9000` answer.
    fn send(&mut self, what: &str, apdu: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut response = Vec::new();
        self.card
            .transmit(apdu, &mut response)
            .context("the card lost power")?;
        let parsed = ResponseApdu::parse(&response)?;
        println!("{what:<28} > {}", hex::encode_upper(apdu));
        println!(
            "{:<28} < {} {}",
            "",
            hex::encode_upper(parsed.data),
            parsed.status
        );
        ensure!(
            parsed.status.is_ok(),
            "{what}: the card answered {} ({})",
            parsed.status,
            parsed.status.meaning()
        );
        Ok(parsed.data.to_vec())
    }

    fn load(&mut self, amount: u32, time: [u8; 3]) -> anyhow::Result<()> {
        let profile = self.keys.profile;
        let answer = self.send(
            "INITIALIZE FOR LOAD",
            &command(
                0x80,
                0x50,
                0x00,
                0x02,
                &[&[0x01], &amount.to_be_bytes(), &TERMINAL],
                Some(0x10),
            ),
        )?;
        ensure!(
            answer.len() == 16,
            "INITIALIZE FOR LOAD answered {} bytes",
            answer.len()
        );
        // The issuer side: check MAC1, answer MAC2.
        let dlk = diversify(profile, &self.keys.load, &self.asn);
        let session = session_key(
            profile,
            &dlk,
            &[
                answer[8], answer[9], answer[10], answer[11], answer[4], answer[5], 0x80, 0x00,
            ],
        );
        let mac1 = session.mac(&[&answer[..4], &amount.to_be_bytes(), &[0x02], &TERMINAL]);
        ensure!(
            mac_eq(&mac1, answer[12..16].try_into()?),
            "MAC1 of the load does not verify"
        );
        let mac2 = session.mac(&[&amount.to_be_bytes(), &[0x02], &TERMINAL, &DATE, &time]);
        let tac = self.send(
            "CREDIT FOR LOAD",
            &command(0x80, 0x52, 0x00, 0x00, &[&DATE, &time, &mac2], Some(0x04)),
        )?;
        let new_balance = u32::from_be_bytes(answer[..4].try_into()?) + amount;
        let expected = self.tac().mac(&[
            &new_balance.to_be_bytes(),
            &answer[4..6],
            &amount.to_be_bytes(),
            &[0x02],
            &TERMINAL,
            &DATE,
            &time,
        ]);
        ensure!(tac == expected, "the load's TAC does not verify");
        println!(
            "{:<28}   loaded {} yuan, TAC {} verified",
            "",
            yuan(amount),
            hex::encode_upper(tac)
        );
        Ok(())
    }

    /// A purchase (`p1 = 01`) or compound purchase with a transit record (`p1 = 03`).
    fn purchase(
        &mut self,
        amount: u32,
        time: [u8; 3],
        transit_record: Option<&[u8]>,
    ) -> anyhow::Result<()> {
        let (p1, kind) = if transit_record.is_some() {
            (0x03, 0x09)
        } else {
            (0x01, 0x06)
        };
        let answer = self.send(
            "INITIALIZE FOR PURCHASE",
            &command(
                0x80,
                0x50,
                p1,
                0x02,
                &[&[0x01], &amount.to_be_bytes(), &TERMINAL],
                Some(0x0F),
            ),
        )?;
        ensure!(
            answer.len() == 15,
            "INITIALIZE FOR PURCHASE answered {} bytes",
            answer.len()
        );
        if let Some(record) = transit_record {
            self.send(
                "UPDATE CAPP DATA CACHE",
                &command(0x80, 0xDC, 0x01, 0x17 << 3, &[record], None),
            )?;
        }
        self.serial += 1;
        let serial = self.serial.to_be_bytes();
        // The SAM: DPK, SESPK, MAC1.
        let dpk = diversify(self.keys.profile, &self.keys.purchase, &self.asn);
        let input = [
            answer[11], answer[12], answer[13], answer[14], answer[4], answer[5], serial[2],
            serial[3],
        ];
        let session = session_key(self.keys.profile, &dpk, &input);
        let mac1 = session.mac(&[&amount.to_be_bytes(), &[kind], &TERMINAL, &DATE, &time]);
        let answer = self.send(
            "DEBIT FOR PURCHASE",
            &command(
                0x80,
                0x54,
                0x01,
                0x00,
                &[&serial, &DATE, &time, &mac1],
                Some(0x08),
            ),
        )?;
        ensure!(answer.len() == 8, "DEBIT answered {} bytes", answer.len());
        ensure!(
            mac_eq(
                &session.mac(&[&amount.to_be_bytes()]),
                answer[4..8].try_into()?
            ),
            "MAC2 does not verify"
        );
        let tac = self.tac().mac(&[
            &amount.to_be_bytes(),
            &[kind],
            &TERMINAL,
            &serial,
            &DATE,
            &time,
        ]);
        ensure!(tac[..] == answer[..4], "the purchase's TAC does not verify");
        println!(
            "{:<28}   paid {} yuan, MAC2 and TAC {} verified",
            "",
            yuan(amount),
            hex::encode_upper(tac)
        );
        Ok(())
    }

    fn tac(&self) -> MacKey {
        tac_key(
            self.keys.profile,
            &diversify(self.keys.profile, &self.keys.tac, &self.asn),
        )
    }
}

fn command(cla: u8, ins: u8, p1: u8, p2: u8, data: &[&[u8]], le: Option<u8>) -> Vec<u8> {
    let data: Vec<u8> = data.concat();
    let mut out = vec![cla, ins, p1, p2];
    if !data.is_empty() {
        out.push(data.len() as u8);
        out.extend_from_slice(&data);
    }
    out.extend(le);
    out
}

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let profile = Profile::from_name(&args.profile)
        .ok_or_else(|| BadInput(format!("--profile {}: must be sm4 or des3", args.profile)))?;
    let mut entropy = SeededEntropy::new(args.seed);
    let keys = IssuerKeys::generate(profile, 1, [0x31, 0x04, 0, 0, 0, 0, 0, 1], &mut entropy);
    let asn = [0x31, 0x04, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45];
    let issuance = Issuance {
        asn,
        start_date: [0x20, 0x26, 0x01, 0x01],
        expiry_date: [0x20, 0x36, 0x12, 0x31],
    };
    let applications = [
        (Template::EPurse, &keys),
        (Template::SocialSecurity, &keys),
        (Template::AccessControl, &keys),
    ];
    let nvm = issue(&keys, &issuance, &applications).context("issuing the card")?;
    println!(
        "issued a {} card, ASN {}, with an e-purse, a social-security and an access-control application\n",
        profile.name(),
        hex::encode_upper(asn)
    );
    let mut session = Session {
        card: Card::new(nvm, SeededEntropy::new(args.seed ^ 0xC0FFEE)),
        keys,
        asn,
        serial: 0,
    };

    session.send(
        "SELECT 2PAY.SYS.DDF01",
        &command(0x00, 0xA4, 0x04, 0x00, &[b"2PAY.SYS.DDF01"], Some(0)),
    )?;
    session.send(
        "SELECT e-purse",
        &command(0x00, 0xA4, 0x04, 0x00, &[&E_PURSE_AID], Some(0)),
    )?;
    let public = session.send("READ BINARY EF 0x15", &[0x00, 0xB0, 0x95, 0x00, 0x1E])?;
    ensure!(
        public.get(12..20) == Some(&asn[..]),
        "EF 0x15 does not carry the ASN"
    );
    session.load(10_000, [0x08, 0x00, 0x00])?;
    session.purchase(1_250, [0x08, 0x05, 0x00], None)?;
    println!("\na metro ride: entry tap (zero amount, entry record), exit tap (fare 3.00 yuan)");
    session.purchase(
        0,
        [0x08, 0x10, 0x00],
        Some(&[0x01, 0x08, 0x00, 0x00, 0x17, 0x20, 0x26, 0x11, 0x27, 0x08]),
    )?;
    session.purchase(
        300,
        [0x08, 0x42, 0x00],
        Some(&[0x01, 0x08, 0x01, 0x00, 0x23, 0x20, 0x26, 0x11, 0x27, 0x08]),
    )?;
    let balance = session.send("GET BALANCE", &[0x80, 0x5C, 0x00, 0x02, 0x04])?;
    let balance = u32::from_be_bytes(
        balance
            .try_into()
            .map_err(|_| anyhow::anyhow!("GET BALANCE is 4 bytes"))?,
    );
    if balance != 10_000 - 1_250 - 300 {
        bail!("balance is {} yuan, expected 84.50", yuan(balance));
    }
    println!("\nthe social-security department's application on the same card, after the PIN");
    session.send(
        "SELECT social security",
        &command(0x00, 0xA4, 0x04, 0x00, &[&SOCIAL_SECURITY_AID], Some(0)),
    )?;
    session.send(
        "VERIFY PIN",
        &command(0x00, 0x20, 0x00, 0x00, &[&[0x12, 0x34, 0x56]], None),
    )?;
    session.send("READ BINARY EF 0x05", &[0x00, 0xB0, 0x85, 0x00, 0x10])?;
    println!(
        "\nbalance {} yuan: every MAC and TAC verified",
        yuan(balance)
    );
    if let Some(path) = &args.card {
        jinka_secret_file::write(
            path,
            &jinka_card::image::encode(session.card.nvm()),
            Overwrite::Refuse,
        )?;
        println!(
            "card saved to {} (try `jinka card show {}`)",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

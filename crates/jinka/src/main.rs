//! `jinka`: the command line of the jinka card network. Thin glue: argument parsing, files,
//! printing; the work is in the library crates.
//!
//! Exit codes: 0 success; 1 an operation failed (a file could not be read or written, a card
//! refused issuance, a check failed); 2 the command line or an input was wrong (clap's usage
//! errors, bad hex, a foreign or corrupt file, a file that would be overwritten).

/// The allocator of every command: mimalloc instead of the C library's. On the million-card
/// day (the simulation's cards on one thread, the hub on another) the peak resident memory
/// was 65-77 MiB lower with it, at the same speed (BENCHMARKS.md): memory the hub's page cache
/// uses instead. SQLite still allocates through the C library.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench_command;
mod blacklist_sync;
mod card_command;
mod card_lifecycle_command;
mod clock;
mod demo;
mod file_journal;
mod hub_client;
mod hub_command;
mod hub_risk_command;
mod keys_command;
mod os_entropy;
mod sam_command;
mod script_command;
mod serve;
mod sim_command;
mod tag_command;
mod tag_ingest;
mod terminal_command;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "jinka",
    version,
    about = "One card, many uses: the jinka smart card network"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Issuer key sets.
    #[command(subcommand)]
    Keys(keys_command::KeysCommand),
    /// Cards: issue, show, send APDUs, serve over vpcd.
    #[command(subcommand)]
    Card(card_command::CardCommand),
    /// Software SAMs.
    #[command(subcommand)]
    Sam(sam_command::SamCommand),
    /// A terminal: purchase, load, balance, history, transit entry and exit.
    Terminal(terminal_command::TerminalArgs),
    /// The clearing centre: serve it, and its operator's commands.
    Hub(hub_command::HubArgs),
    /// RFID tags: decode an EPC from any of its forms into all of them; ingest reads.
    Tag(tag_command::TagArgs),
    /// Issue a card and run a load, a purchase and a transit ride against it, printing every
    /// APDU: the main job until the network simulation exists.
    Demo(demo::DemoArgs),
    /// Simulate a whole network for some days, with faults, and audit every fen.
    Sim(sim_command::SimArgs),
    /// Time the hot paths (purchases, ingest, settlement), each beside its limit.
    Bench(bench_command::BenchArgs),
}

/// An error whose exit code is 2: the input was wrong, not the machine.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JINKA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys(command) => keys_command::run(command),
        Command::Card(command) => card_command::run(command),
        Command::Sam(command) => sam_command::run(command),
        Command::Terminal(args) => terminal_command::run(args),
        Command::Hub(args) => hub_command::run(args),
        Command::Tag(args) => tag_command::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Sim(args) => sim_command::run(&args),
        Command::Bench(args) => bench_command::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("jinka: {error:#}");
            let refused_overwrite = matches!(
                error.downcast_ref(),
                Some(jinka_secret_file::FileError::Exists { .. })
            );
            if error.downcast_ref::<BadInput>().is_some() || refused_overwrite {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

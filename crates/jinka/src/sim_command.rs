//! `jinka sim`: the seeded network simulation (`jinka-sim`) on a hub in this process (a fresh
//! temporary data directory, `--data DIR`, or `--database URL` for PostgreSQL) or on a
//! running hub (`--hub URL --api-key K`, the operator's key), with progress bars, a summary,
//! the audit as a table and `--report FILE` as JSON. Exit code 1 when an audit line fails,
//! with the command that replays the run.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use jinka_card::IssuerKeys;
use jinka_hub::wire::LoadAuthorizeBody;
use jinka_sim::{
    AccountTotals, CARDS_DEFAULT, CITIES_DEFAULT, CardSpec, ConfirmAnswer, DAYS_DEFAULT, Fault,
    FaultRates, HubCardState, HubPort, InProcessHub, LoadAnswer, LoadAsk, LoadConfirm, Outcome,
    ParticipantSpec, PortError, Progress, Rate, ResolvedLoads, SEED_DEFAULT, SimClock, SimConfig,
    TerminalSpec,
};
use jinka_terminal::LoadRequest;
use serde_json::{Value, json};

use crate::BadInput;
use crate::hub_client::{HubClient, HubError};

#[derive(Args)]
pub struct SimArgs {
    /// Cards (one cardholder each).
    #[arg(long, default_value_t = CARDS_DEFAULT)]
    cards: u32,
    /// Simulated days (a settlement window closes each day).
    #[arg(long, default_value_t = DAYS_DEFAULT)]
    days: u32,
    /// Cities (regions), each with its metro, buses and shops.
    #[arg(long, default_value_t = CITIES_DEFAULT)]
    cities: u32,
    /// The seed: the same seed and flags replay the same run.
    #[arg(long, default_value_t = SEED_DEFAULT)]
    seed: u64,
    /// Outings each cardholder makes every afternoon beyond their habits (a round trip and
    /// a purchase: about four transactions each; at most 2).
    #[arg(long, default_value_t = 0)]
    outings: u32,
    /// The in-process hub's data directory (kept; it must be new). Default: a fresh
    /// temporary directory, removed after the run.
    #[arg(long, conflicts_with = "hub")]
    data: Option<PathBuf>,
    /// Run the in-process hub on this PostgreSQL database instead of SQLite.
    #[arg(long, conflicts_with = "hub")]
    database: Option<String>,
    /// Run against this running hub over HTTP (it should be fresh: the world registers
    /// itself). Hub restarts and audit reads the API does not offer are skipped.
    #[arg(long)]
    hub: Option<String>,
    /// The hub operator's API key (or JINKA_API_KEY), with --hub.
    #[arg(long)]
    api_key: Option<String>,
    /// Write the report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Cards torn mid-command: probability per card transaction.
    #[arg(long, value_name = "RATE")]
    torn_rate: Option<String>,
    /// Terminals offline for days: probability per acquirer terminal and day.
    #[arg(long, value_name = "RATE")]
    offline_rate: Option<String>,
    /// Batches uploaded twice: probability per upload.
    #[arg(long, value_name = "RATE")]
    duplicate_rate: Option<String>,
    /// Records corrupted in transit: probability per record uploaded.
    #[arg(long, value_name = "RATE")]
    corrupt_rate: Option<String>,
    /// Cards cloned: probability per card and day.
    #[arg(long, value_name = "RATE")]
    clone_rate: Option<String>,
    /// Cards lost and reported: probability per card and day.
    #[arg(long, value_name = "RATE")]
    lost_rate: Option<String>,
    /// Hub restarted around an upload: probability per upload.
    #[arg(long, value_name = "RATE")]
    restart_rate: Option<String>,
    /// SAMs missing the bank's new key version: probability per terminal.
    #[arg(long, value_name = "RATE")]
    missing_key_rate: Option<String>,
}

impl SimArgs {
    fn config(&self) -> anyhow::Result<SimConfig> {
        let mut faults = FaultRates::default();
        let flags = [
            (Fault::Torn, &self.torn_rate),
            (Fault::Offline, &self.offline_rate),
            (Fault::Duplicate, &self.duplicate_rate),
            (Fault::Corrupt, &self.corrupt_rate),
            (Fault::Clone, &self.clone_rate),
            (Fault::Lost, &self.lost_rate),
            (Fault::Restart, &self.restart_rate),
            (Fault::MissingKey, &self.missing_key_rate),
        ];
        for (fault, text) in flags {
            if let Some(text) = text {
                let rate = Rate::parse(text).ok_or_else(|| {
                    BadInput(format!(
                        "--{}-rate {text}: must be a probability from 0 to 1",
                        fault.name()
                    ))
                })?;
                faults.set(fault, rate);
            }
        }
        let config = SimConfig {
            cards: self.cards,
            days: self.days,
            cities: self.cities,
            seed: self.seed,
            outings: self.outings,
            faults,
        };
        config
            .check()
            .map_err(|error| BadInput(error.to_string()))?;
        Ok(config)
    }
}

pub fn run(args: &SimArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let clock = SimClock::new();
    let mut temporary = None;
    let mut hub: Box<dyn HubPort + Send> = match &args.hub {
        Some(url) => {
            let key = args
                .api_key
                .clone()
                .or_else(|| std::env::var("JINKA_API_KEY").ok())
                .ok_or_else(|| BadInput("--hub needs --api-key or JINKA_API_KEY".into()))?;
            Box::new(HttpHub::new(url, &key))
        }
        None => {
            // A temporary hub's sealed keys die with it: its KEK need not be kept in a file.
            let mut kek = None;
            let data = match &args.data {
                Some(dir) => dir.clone(),
                None => {
                    kek = Some(random_key()?);
                    let dir = tempfile::Builder::new()
                        .prefix("jinka-sim-")
                        .tempdir()
                        .context("creating the hub's temporary data directory")?;
                    let path = dir.path().join("hub");
                    temporary = Some(dir);
                    path
                }
            };
            Box::new(
                InProcessHub::open_with_kek(data, args.database.clone(), kek, clock.clone())
                    .context("opening the hub")?,
            )
        }
    };
    let mut timed = Timed::new(hub.as_mut());
    let mut bars = Bars::new(timed.spent.clone());
    let started = Instant::now();
    // The hub on its own thread: the cards and the hub share the two cores.
    let outcome = jinka_sim::background::in_background(&mut timed, |hub| {
        let waits = hub.wait_clock();
        let mut simulation = jinka_sim::Simulation::new(config.clone(), hub, clock, &mut bars)?;
        let built = started.elapsed();
        let waited_at_build = waits.get();
        simulation.run_days()?;
        let ran = started.elapsed();
        let waited = waits.get().saturating_sub(waited_at_build);
        let outcome = simulation.outcome()?;
        anyhow::Ok((outcome, built, ran, waited))
    })?;
    bars.finish();
    let (outcome, built, ran, waited) = outcome;
    let throughput = Throughput {
        total: started.elapsed(),
        build: built,
        days: ran - built,
        upload: timed.upload,
        hub: timed.hub_total(),
        waited_during_days: waited,
        calls: timed.calls.clone(),
        description: timed.description(),
        days_timed: bars.days.clone(),
    };
    print_summary(&outcome, &throughput);
    if let Some(path) = &args.report {
        let mut report = outcome.report();
        report["throughput"] = throughput.json(&outcome);
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    drop(temporary);
    if !outcome.audit.passed() {
        bail!(
            "the audit failed; replay this run with: jinka sim {}",
            config.replay_arguments()
        );
    }
    Ok(())
}

/// A fresh key from the operating system.
pub fn random_key() -> anyhow::Result<jinka_crypto::Key16> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 16]);
    getrandom::fill(bytes.as_mut()).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    Ok(jinka_crypto::Key16::new(*bytes))
}

/// Wall-clock figures, beside the audit and never inside it.
struct Throughput {
    total: Duration,
    build: Duration,
    days: Duration,
    upload: Duration,
    hub: Duration,
    /// How long the day loop waited for the hub during the days (the hub works beside it).
    waited_during_days: Duration,
    /// Calls and time per hub port method.
    calls: BTreeMap<&'static str, (u64, Duration)>,
    description: String,
    /// Each simulated day's wall time and hub time (the drain not included).
    days_timed: Vec<DayTiming>,
}

fn per_second(count: u64, time: Duration) -> f64 {
    let seconds = time.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

impl Throughput {
    /// Time of the days outside the hub: the cards, terminals and SAMs.
    fn card_side(&self) -> Duration {
        self.days.saturating_sub(self.waited_during_days)
    }

    fn json(&self, outcome: &Outcome) -> Value {
        let activity = &outcome.tally.activity;
        json!({
            "hub": self.description,
            "seconds": self.total.as_secs_f64(),
            "build_seconds": self.build.as_secs_f64(),
            "days_seconds": self.days.as_secs_f64(),
            "hub_seconds": self.hub.as_secs_f64(),
            "hub_wait_seconds": self.waited_during_days.as_secs_f64(),
            "upload_seconds": self.upload.as_secs_f64(),
            "transactions_per_second": per_second(activity.transactions, self.days),
            "card_side_transactions_per_second": per_second(activity.transactions, self.card_side()),
            "apdus_per_second": per_second(activity.apdus, self.card_side()),
            "records_ingested_per_second": per_second(activity.records_uploaded, self.upload),
            "day_seconds": self.days_timed.iter().map(|day| day.wall.as_secs_f64()).collect::<Vec<_>>(),
            "day_hub_seconds": self.days_timed.iter().map(|day| day.hub.as_secs_f64()).collect::<Vec<_>>(),
            "hub_calls": self
                .calls
                .iter()
                .map(|(call, (count, spent))| {
                    ((*call).to_owned(), json!({"calls": count, "seconds": spent.as_secs_f64()}))
                })
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn signed_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}", yuan(fen.unsigned_abs()))
}

fn print_summary(outcome: &Outcome, throughput: &Throughput) {
    let config = &outcome.config;
    let world = &outcome.world;
    let activity = &outcome.tally.activity;
    println!(
        "jinka sim {}  (hub: {})",
        config.replay_arguments(),
        throughput.description
    );
    println!();
    println!(
        "World     {} participants: {}",
        world.participants.len() + 1,
        world.participants.join(", ")
    );
    println!("          cities: {}", world.cities.join(", "));
    let terminals: Vec<String> = world
        .terminals
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!("          terminals: {}", terminals.join(", "));
    let cards: Vec<String> = world
        .cards
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!("          cards: {}", cards.join(", "));
    println!(
        "Activity  {} transactions: {} purchases ({} yuan), {} metro entries and {} exits \
         ({} yuan), {} loads ({} yuan, {} confirmed online)",
        activity.transactions,
        activity.purchases,
        yuan(activity.purchases_fen),
        activity.transit_entries,
        activity.transit_exits,
        yuan(activity.transit_fen),
        activity.loads,
        yuan(activity.loads_fen),
        activity.loads_confirmed_online
    );
    let refused = &activity.refused;
    println!(
        "          refused: {} insufficient balance, {} SAM missing a key, {} blacklisted, {} \
         loads refused, {} other",
        refused.insufficient_balance,
        refused.sam_missing_key,
        refused.blacklisted,
        refused.load_refused,
        refused.other
    );
    println!(
        "          {} APDUs; {} records in {} uploads: {} accepted, {} rejected; social \
         security added to {} cards",
        activity.apdus,
        activity.records_uploaded,
        activity.uploads,
        activity.records_accepted,
        activity.records_rejected,
        activity.social_security_added
    );
    let money = &outcome.money;
    println!(
        "Money     loads {} yuan, purchases accepted {} yuan, card float {} yuan (ledger), \
         cards hold {} yuan",
        yuan(money.loads_fen),
        yuan(money.purchases_accepted_fen),
        money
            .card_float_fen
            .map_or_else(|| "?".to_owned(), signed_yuan),
        yuan(money.card_balances_fen)
    );
    for window in &outcome.windows {
        println!(
            "Window {:<3} {} transactions, {} positions summing to {} fen",
            window.window_id, window.transactions, window.positions, window.positions_sum_fen
        );
    }
    println!();
    println!("Audit");
    print!("{}", outcome.audit.table());
    println!();
    println!(
        "Throughput (not part of the audit): {:.1} s in all ({:.1} s building the world); {:.0} \
         transactions/s card side, {:.0} APDUs/s, {:.0} records ingested/s by the hub",
        throughput.total.as_secs_f64(),
        throughput.build.as_secs_f64(),
        per_second(activity.transactions, throughput.card_side()),
        per_second(activity.apdus, throughput.card_side()),
        per_second(activity.records_uploaded, throughput.upload)
    );
    if throughput.days_timed.len() > 1 {
        for (index, (timing, day)) in throughput
            .days_timed
            .iter()
            .zip(&outcome.tally.days)
            .enumerate()
        {
            println!(
                "          day {}: {} transactions ({} loads) in {:.1} s; the hub worked {:.1} s beside the cards",
                index + 1,
                day.transactions,
                day.loads,
                timing.wall.as_secs_f64(),
                timing.hub.as_secs_f64()
            );
        }
    }
    println!(
        "Audit {}",
        if outcome.audit.passed() {
            "passed".to_owned()
        } else {
            format!(
                "FAILED: replay with jinka sim {}",
                config.replay_arguments()
            )
        }
    );
}

/// Progress bars on standard error: one for the day, one for the records ingested. Hidden
/// when standard error is not a terminal.
struct Bars {
    multi: MultiProgress,
    day: ProgressBar,
    ingest: ProgressBar,
    /// The hub time so far (kept by [`Timed`]).
    hub_spent: SharedTime,
    /// When the day running started, and the hub time then.
    day_start: Option<(Instant, Duration)>,
    /// Each finished day's wall time and hub time.
    days: Vec<DayTiming>,
}

/// A simulated day's wall time and the hub's share of it.
#[derive(Clone, Copy, Debug)]
struct DayTiming {
    wall: Duration,
    hub: Duration,
}

impl Bars {
    fn new(hub_spent: SharedTime) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let day = multi.add(ProgressBar::new(1));
        day.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:40}] {percent:>3}% {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        day.set_prefix("world");
        let ingest = multi.add(ProgressBar::no_length());
        ingest.set_style(
            ProgressStyle::with_template("{prefix:>8} {human_pos} records uploaded {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        ingest.set_prefix("ingest");
        Bars {
            multi,
            day,
            ingest,
            hub_spent,
            day_start: None,
            days: Vec::new(),
        }
    }

    fn finish(&self) {
        self.day.finish_and_clear();
        self.ingest.finish_and_clear();
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn stage(&mut self, what: &str) {
        self.day.set_message(what.to_owned());
    }

    fn day_started(&mut self, day: u32, days: u32) {
        self.day.set_prefix(format!("day {}/{days}", day + 1));
        self.day.set_position(0);
        self.day.set_message(String::new());
        self.day_start = Some((Instant::now(), self.hub_spent.get()));
    }

    fn day_progress(&mut self, done: u64, total: u64) {
        self.day.set_length(total);
        self.day.set_position(done);
    }

    fn day_finished(&mut self, _day: u32) {
        if let Some(length) = self.day.length() {
            self.day.set_position(length);
        }
        if let Some((started, hub_before)) = self.day_start.take() {
            self.days.push(DayTiming {
                wall: started.elapsed(),
                hub: self.hub_spent.get().saturating_sub(hub_before),
            });
        }
    }

    fn uploaded(&mut self, records: u64) {
        self.ingest.inc(records);
    }
}

/// A hub port that times the calls it passes on.
struct Timed<'p> {
    inner: &'p mut (dyn HubPort + Send),
    upload: Duration,
    other: Duration,
    /// Calls and time per port method.
    calls: BTreeMap<&'static str, (u64, Duration)>,
    /// The hub time so far, shared with the day timer.
    spent: SharedTime,
}

impl<'p> Timed<'p> {
    fn new(inner: &'p mut (dyn HubPort + Send)) -> Timed<'p> {
        Timed {
            inner,
            upload: Duration::ZERO,
            other: Duration::ZERO,
            calls: BTreeMap::new(),
            spent: SharedTime::default(),
        }
    }

    fn hub_total(&self) -> Duration {
        self.upload + self.other
    }

    fn time<T>(&mut self, call: &'static str, work: impl FnOnce(&mut dyn HubPort) -> T) -> T {
        let started = Instant::now();
        let value = work(&mut *self.inner);
        let spent = started.elapsed();
        self.other += spent;
        self.count(call, spent);
        value
    }

    fn count(&mut self, call: &'static str, spent: Duration) {
        let entry = self.calls.entry(call).or_default();
        entry.0 += 1;
        entry.1 += spent;
        self.spent.set(self.hub_total());
    }
}

impl HubPort for Timed<'_> {
    fn description(&self) -> String {
        self.inner.description()
    }

    fn add_participant(&mut self, spec: &ParticipantSpec) -> Result<u32, PortError> {
        self.time("add_participant", |hub| hub.add_participant(spec))
    }

    fn upload_issuer_keys(&mut self, issuer: u32, keys: &IssuerKeys) -> Result<(), PortError> {
        self.time("upload_issuer_keys", |hub| {
            hub.upload_issuer_keys(issuer, keys)
        })
    }

    fn register_terminal(&mut self, owner: u32, id: [u8; 6], region: u32) -> Result<(), PortError> {
        self.time("register_terminal", |hub| {
            hub.register_terminal(owner, id, region)
        })
    }

    fn register_terminals(&mut self, terminals: &[TerminalSpec]) -> Result<(), PortError> {
        self.time("register_terminals", |hub| {
            hub.register_terminals(terminals)
        })
    }

    fn register_card(&mut self, issuer: u32, card: &CardSpec) -> Result<(), PortError> {
        self.time("register_card", |hub| hub.register_card(issuer, card))
    }

    fn register_cards(&mut self, issuer: u32, cards: &[CardSpec]) -> Result<(), PortError> {
        self.time("register_cards", |hub| hub.register_cards(issuer, cards))
    }

    fn upload_batch(&mut self, uploader: u32, body: &[u8]) -> Result<String, PortError> {
        let started = Instant::now();
        let answer = self.inner.upload_batch(uploader, body);
        let spent = started.elapsed();
        self.upload += spent;
        self.count("upload_batch", spent);
        answer
    }

    fn upload_batches(&mut self, uploads: &[(u32, &[u8])]) -> Vec<Result<String, PortError>> {
        let started = Instant::now();
        let answers = self.inner.upload_batches(uploads);
        let spent = started.elapsed();
        self.upload += spent;
        // Each batch is one call of `upload_batch`, as without groups; the group's time once.
        let entry = self.calls.entry("upload_batch").or_default();
        entry.0 += u64::try_from(uploads.len()).unwrap_or(u64::MAX);
        entry.1 += spent;
        self.spent.set(self.hub_total());
        answers
    }

    fn authorize_load(
        &mut self,
        requester: u32,
        request_id: &str,
        request: &LoadRequest,
    ) -> Result<LoadAnswer, PortError> {
        self.time("authorize_load", |hub| {
            hub.authorize_load(requester, request_id, request)
        })
    }

    fn confirm_load(
        &mut self,
        requester: u32,
        load_id: &str,
        tac: [u8; 4],
    ) -> Result<ConfirmAnswer, PortError> {
        self.time("confirm_load", |hub| {
            hub.confirm_load(requester, load_id, tac)
        })
    }

    fn authorize_loads(&mut self, loads: &[LoadAsk<'_>]) -> Result<Vec<LoadAnswer>, PortError> {
        self.time("authorize_loads", |hub| hub.authorize_loads(loads))
    }

    fn confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Vec<ConfirmAnswer>, PortError> {
        self.time("confirm_loads", |hub| hub.confirm_loads(confirmations))
    }

    fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError> {
        self.time("resolve_overdue_loads", |hub| hub.resolve_overdue_loads())
    }

    fn close_window(&mut self) -> Result<Value, PortError> {
        self.time("close_window", |hub| hub.close_window())
    }

    fn restart(&mut self) -> Result<bool, PortError> {
        self.time("restart", |hub| hub.restart())
    }

    fn report_lost(&mut self, asn: [u8; 8]) -> Result<bool, PortError> {
        self.time("report_lost", |hub| hub.report_lost(asn))
    }

    fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError> {
        self.time("hotlisted", |hub| hub.hotlisted())
    }

    fn card_states(
        &mut self,
        asns: &[[u8; 8]],
    ) -> Result<Option<Vec<Option<HubCardState>>>, PortError> {
        self.time("card_states", |hub| hub.card_states(asns))
    }

    fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError> {
        self.time("ledger_accounts", |hub| hub.ledger_accounts())
    }
}

/// The hub over its HTTP API, as its operator; each participant the world registers gets a
/// credential, and acts with it (uploads, loads).
struct HttpHub {
    base: String,
    operator: HubClient,
    members: HashMap<u32, HubClient>,
}

fn port_error(error: HubError) -> PortError {
    match error {
        HubError::Unreachable(reason) => PortError::Unavailable(reason),
        HubError::Refused { .. } => PortError::Refused(error.to_string()),
        HubError::Garbled(reason) => PortError::Broken(reason),
    }
}

impl HttpHub {
    fn new(base: &str, api_key: &str) -> HttpHub {
        HttpHub {
            base: base.trim_end_matches('/').to_owned(),
            operator: HubClient::new(base, api_key),
            members: HashMap::new(),
        }
    }

    fn member(&self, id: u32) -> Result<&HubClient, PortError> {
        self.members
            .get(&id)
            .ok_or_else(|| PortError::Refused(format!("participant {id} has no credential here")))
    }
}

impl HubPort for HttpHub {
    fn description(&self) -> String {
        self.base.clone()
    }

    fn add_participant(&mut self, spec: &ParticipantSpec) -> Result<u32, PortError> {
        let fee = |basis_points: u32| json!({ "basis_points": basis_points, "fixed_fen": 0 });
        let body = json!({
            "name": spec.name,
            "roles": spec.roles,
            "region": spec.region,
            "fees": { "interchange": fee(spec.interchange_bp), "network": fee(spec.network_bp) },
        });
        let answer = self
            .operator
            .post_value("/v1/participants", &body)
            .map_err(port_error)?;
        let id = answer["id"]
            .as_u64()
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| PortError::Broken(format!("participant answer: {answer}")))?;
        let credential = self
            .operator
            .post_value(
                &format!("/v1/participants/{id}/credentials"),
                &json!({ "label": "jinka sim" }),
            )
            .map_err(port_error)?;
        let key = credential["api_key"]
            .as_str()
            .ok_or_else(|| PortError::Broken("credential answer without api_key".into()))?;
        self.members.insert(id, HubClient::new(&self.base, key));
        Ok(id)
    }

    fn upload_issuer_keys(&mut self, issuer: u32, keys: &IssuerKeys) -> Result<(), PortError> {
        self.operator
            .post_text(&format!("/v1/issuers/{issuer}/keys"), &keys.to_json())
            .map(drop)
            .map_err(port_error)
    }

    fn register_terminal(&mut self, owner: u32, id: [u8; 6], region: u32) -> Result<(), PortError> {
        let body = json!({ "terminal_id": hex::encode_upper(id), "region": region });
        self.member(owner)?
            .post_value("/v1/terminals", &body)
            .map(drop)
            .map_err(port_error)
    }

    fn register_card(&mut self, issuer: u32, card: &CardSpec) -> Result<(), PortError> {
        let body = json!({
            "asn": hex::encode_upper(card.asn),
            "issuer_id": hex::encode_upper(card.issuer_id),
            "profile": card.profile.name(),
        });
        self.member(issuer)?
            .post_value("/v1/cards", &body)
            .map(drop)
            .map_err(port_error)
    }

    fn upload_batch(&mut self, uploader: u32, body: &[u8]) -> Result<String, PortError> {
        self.member(uploader)?.upload_bulk(body).map_err(port_error)
    }

    fn authorize_load(
        &mut self,
        requester: u32,
        request_id: &str,
        request: &LoadRequest,
    ) -> Result<LoadAnswer, PortError> {
        let body = LoadAuthorizeBody {
            request_id: request_id.to_owned(),
            issuer_id: hex::encode_upper(request.issuer_id),
            asn: hex::encode_upper(request.asn),
            key_version: request.key_version,
            algorithm_id: request.algorithm_id,
            balance_fen: request.balance_fen,
            online_atc: request.online_atc,
            card_random: hex::encode_upper(request.card_random),
            mac1: hex::encode_upper(request.mac1),
            amount_fen: request.amount_fen,
            terminal_id: hex::encode_upper(request.terminal_id),
            date: hex::encode(request.date.bcd()),
            time: hex::encode(request.time.bcd()),
        };
        match self.member(requester)?.authorize_load(&body) {
            Ok(answer) => {
                let mut mac2 = [0u8; 4];
                hex::decode_to_slice(&answer.mac2, &mut mac2)
                    .map_err(|_| PortError::Broken(format!("MAC2 {}", answer.mac2)))?;
                Ok(LoadAnswer::Approved {
                    load_id: answer.load_id,
                    mac2,
                })
            }
            Err(HubError::Refused { error, .. }) => Ok(LoadAnswer::Refused(error)),
            Err(error) => Err(port_error(error)),
        }
    }

    fn confirm_load(
        &mut self,
        requester: u32,
        load_id: &str,
        tac: [u8; 4],
    ) -> Result<ConfirmAnswer, PortError> {
        let body = json!({ "tac": hex::encode_upper(tac) });
        match self
            .member(requester)?
            .post_value(&format!("/v1/loads/{load_id}/confirm"), &body)
        {
            Ok(_) => Ok(ConfirmAnswer::Posted),
            Err(HubError::Refused { status: 404, .. }) => Ok(ConfirmAnswer::UnknownLoad),
            Err(HubError::Refused { error, .. }) if error == "load_voided" => {
                Ok(ConfirmAnswer::Voided)
            }
            Err(HubError::Refused { error, .. }) => Ok(ConfirmAnswer::Refused(error)),
            Err(error) => Err(port_error(error)),
        }
    }

    fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError> {
        // A serving hub runs its own resolver.
        Ok(None)
    }

    fn close_window(&mut self) -> Result<Value, PortError> {
        self.operator
            .post_value("/v1/windows/close", &json!({}))
            .map_err(port_error)
    }

    fn restart(&mut self) -> Result<bool, PortError> {
        Ok(false)
    }

    fn report_lost(&mut self, asn: [u8; 8]) -> Result<bool, PortError> {
        let path = format!("/v1/cards/{}/hotlist", hex::encode_upper(asn));
        self.operator
            .post_value(&path, &json!({"reason": "lost"}))
            .map_err(port_error)?;
        Ok(true)
    }

    fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError> {
        // The operator's blacklist over HTTP is a terminal's view (versions, deltas); the
        // audit reads it in process only.
        Ok(None)
    }

    fn card_states(
        &mut self,
        _asns: &[[u8; 8]],
    ) -> Result<Option<Vec<Option<HubCardState>>>, PortError> {
        Ok(None)
    }

    fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError> {
        Ok(None)
    }
}

/// The hub time so far, kept by [`Timed`] on the hub's thread and read by [`Bars`].
#[derive(Clone, Default)]
struct SharedTime(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl SharedTime {
    fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn set(&self, value: Duration) {
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.0.store(nanos, std::sync::atomic::Ordering::Relaxed);
    }
}

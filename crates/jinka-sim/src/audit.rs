//! The audit: after the drain, the simulation's own truth (the card emulators' memory, what
//! every terminal approved, what the hub answered to every upload) against the hub's books
//! (shadow balances and counters, ledger accounts, settlement reports). Each [`AuditLine`]
//! passes, fails, or is skipped when the hub does not show what it needs (over HTTP: shadow
//! balances and accounts). Lines and report fields are documented in the README, section
//! "The simulation".

use serde::Serialize;
use serde_json::Value;

use crate::error::SimError;
use crate::flows::{purse_balance, purse_blocked, purse_counters};
use crate::hub_port::{AccountTotals, HubCardState};
use crate::simulation::Simulation;

/// Cards named in a failing line's detail.
const NAMED_CARDS_MAX: usize = 3;

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check held.
    Pass,
    /// It did not.
    Fail,
    /// It could not be made (the hub does not show what it needs).
    Skipped,
}

/// One audit line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditLine {
    /// Its name (`money.per_card`, ...).
    pub check: &'static str,
    /// Its outcome.
    pub status: Status,
    /// What was compared, with the figures.
    pub detail: String,
}

/// Every line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// The lines, in report order.
    pub lines: Vec<AuditLine>,
}

impl Audit {
    /// Whether no line failed.
    pub fn passed(&self) -> bool {
        self.lines.iter().all(|line| line.status != Status::Fail)
    }

    fn line(&mut self, check: &'static str, pass: bool, detail: String) {
        let status = if pass { Status::Pass } else { Status::Fail };
        self.lines.push(AuditLine {
            check,
            status,
            detail,
        });
    }

    fn skip(&mut self, check: &'static str, detail: &str) {
        self.lines.push(AuditLine {
            check,
            status: Status::Skipped,
            detail: detail.to_owned(),
        });
    }

    /// The lines as a table, one per line.
    pub fn table(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            let status = match line.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Skipped => "SKIP",
            };
            text.push_str(&format!("{status}  {:<26} {}\n", line.check, line.detail));
        }
        text
    }
}

/// Money in the network at the end of the run, as each side counts it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Money {
    /// Σ loads the cards took (every one authorized by the hub).
    pub loads_fen: u64,
    /// Σ purchases the original chips paid.
    pub purchases_fen: u64,
    /// Σ purchases clone chips paid.
    pub clone_purchases_fen: u64,
    /// Σ purchases the hub accepted (its answers).
    pub purchases_accepted_fen: u64,
    /// Σ balances on the original chips.
    pub card_balances_fen: u64,
    /// Σ shadow balances (`null` when the hub does not show them).
    pub shadow_balances_fen: Option<i64>,
    /// Σ card float in the ledger, credits − debits of every `card-float` account.
    pub card_float_fen: Option<i64>,
    /// Σ card float the windows' reports posted.
    pub windows_card_float_fen: i64,
}

/// The facts of one closed window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowFacts {
    /// Its id.
    pub window_id: u64,
    /// Transactions it held.
    pub transactions: u64,
    /// Participants with a position.
    pub positions: usize,
    /// Σ positions (0 when balanced).
    pub positions_sum_fen: i64,
    /// Σ debits of its lines.
    pub debits_fen: u64,
    /// Σ credits of its lines.
    pub credits_fen: u64,
    /// Participants whose position is not the sum of their lines.
    pub positions_off_their_lines: usize,
}

fn number(value: &Value, field: &str) -> i64 {
    value[field].as_i64().unwrap_or_default()
}

/// Reads a window report: its facts and its card-float lines' net.
fn window_facts(report: &Value) -> (WindowFacts, i64) {
    let positions = report["positions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let lines = report["lines"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut by_participant = std::collections::BTreeMap::<i64, i64>::new();
    let (mut debits, mut credits, mut float) = (0u64, 0u64, 0i64);
    for line in lines {
        debits += line["debit_fen"].as_u64().unwrap_or_default();
        credits += line["credit_fen"].as_u64().unwrap_or_default();
        let net = number(line, "credit_fen") - number(line, "debit_fen");
        *by_participant
            .entry(number(line, "participant"))
            .or_default() += net;
        if line["account"] == "card-float" {
            float += net;
        }
    }
    let off = positions
        .iter()
        .filter(|p| {
            by_participant
                .get(&number(p, "participant"))
                .copied()
                .unwrap_or_default()
                != number(p, "position_fen")
        })
        .count();
    let facts = WindowFacts {
        window_id: report["window_id"].as_u64().unwrap_or_default(),
        transactions: report["transaction_count"].as_u64().unwrap_or_default(),
        positions: positions.len(),
        positions_sum_fen: positions.iter().map(|p| number(p, "position_fen")).sum(),
        debits_fen: debits,
        credits_fen: credits,
        positions_off_their_lines: off,
    };
    (facts, float)
}

/// Per-card comparisons.
#[derive(Default)]
struct CardChecks {
    checked: u64,
    money_off: Vec<String>,
    counters_off: Vec<String>,
    cloned_off: Vec<String>,
    shadow_sum: i64,
    missing_atcs: u64,
}

fn name(list: &[String]) -> String {
    let shown: Vec<&str> = list
        .iter()
        .take(NAMED_CARDS_MAX)
        .map(String::as_str)
        .collect();
    if shown.is_empty() {
        String::new()
    } else {
        format!("; e.g. {}", shown.join(", "))
    }
}

impl Simulation<'_> {
    /// Audits the run (after [`Simulation::run_days`]): the lines, the money figures and
    /// the windows' facts.
    pub fn audit(&mut self) -> Result<(Audit, Money, Vec<WindowFacts>), SimError> {
        self.progress.stage("auditing");
        let asns: Vec<[u8; 8]> = self.world.holders.iter().map(|h| h.asn).collect();
        let states = self.hub.card_states(&asns)?;
        let accounts = self.hub.ledger_accounts()?;
        let hotlisted: Option<std::collections::BTreeSet<[u8; 8]>> =
            self.hub.hotlisted()?.map(|list| list.into_iter().collect());
        let mut audit = Audit::default();
        let mut money = self.money();
        let cards = states.as_ref().map(|states| self.card_checks(states));
        self.money_lines(&mut audit, &mut money, cards.as_ref(), accounts.as_deref());
        let windows = self.window_lines(&mut audit, &mut money, accounts.as_deref());
        self.record_lines(&mut audit, cards.as_ref());
        self.fault_lines(&mut audit, cards.as_ref(), hotlisted.as_ref());
        Ok((audit, money, windows))
    }

    fn money(&self) -> Money {
        let holders = &self.world.holders;
        Money {
            loads_fen: holders.iter().map(|h| h.loaded_fen).sum(),
            purchases_fen: holders.iter().map(|h| h.spent_fen).sum(),
            clone_purchases_fen: holders.iter().map(|h| h.clone_spent_fen).sum(),
            purchases_accepted_fen: self.accepted_purchases_fen.iter().sum(),
            // A card whose memory does not unpack counts as empty here and is named by
            // `money.per_card`.
            card_balances_fen: (0..holders.len())
                .map(|index| {
                    let memory = self.world.card_memory(index).ok();
                    u64::from(memory.as_ref().and_then(purse_balance).unwrap_or_default())
                })
                .sum(),
            ..Money::default()
        }
    }

    fn card_checks(&self, states: &[Option<HubCardState>]) -> CardChecks {
        let mut checks = CardChecks::default();
        for (index, (holder, state)) in self.world.holders.iter().zip(states).enumerate() {
            let asn = hex::encode_upper(holder.asn);
            let Some(state) = state else {
                checks.money_off.push(format!("{asn} unknown to the hub"));
                continue;
            };
            checks.checked += 1;
            checks.shadow_sum += state.shadow_balance_fen;
            checks.missing_atcs += u64::from(state.offline_missing + state.online_missing);
            let memory = match self.world.card_memory(index) {
                Ok(memory) => memory,
                Err(error) => {
                    checks.money_off.push(format!("{asn}: {error}"));
                    continue;
                }
            };
            let balance = purse_balance(&memory).unwrap_or_default();
            let loaded = i64::try_from(holder.loaded_fen).unwrap_or(i64::MAX);
            let accepted = i64::try_from(self.accepted_purchases_fen[index]).unwrap_or(i64::MAX);
            if holder.cloned_on.is_some() {
                if state.shadow_balance_fen != loaded - accepted {
                    checks.cloned_off.push(format!(
                        "{asn}: shadow {} fen, loads − accepted purchases {} fen",
                        state.shadow_balance_fen,
                        loaded - accepted
                    ));
                }
            } else {
                let spent = i64::try_from(holder.spent_fen).unwrap_or(i64::MAX);
                let agree = state.shadow_balance_fen == i64::from(balance)
                    && balance == holder.expected_balance_fen
                    && i64::from(balance) == loaded - spent
                    && accepted == spent;
                if !agree {
                    checks.money_off.push(format!(
                        "{asn}: card {balance} fen, hub shadow {} fen, loads − purchases {} fen",
                        state.shadow_balance_fen,
                        loaded - spent
                    ));
                }
            }
            let (offline, online) = purse_counters(&memory).unwrap_or_default();
            let offline = offline.max(holder.clone_offline_atc);
            let used = |next: u16| next.checked_sub(1);
            if state.offline_highest != used(offline)
                || state.online_highest != used(online)
                || state.offline_missing + state.online_missing != 0
            {
                checks.counters_off.push(format!(
                    "{asn}: card ATCs {offline}/{online} used, hub highest {:?}/{:?} missing {}/{}",
                    state.offline_highest,
                    state.online_highest,
                    state.offline_missing,
                    state.online_missing
                ));
            }
        }
        checks
    }

    fn money_lines(
        &self,
        audit: &mut Audit,
        money: &mut Money,
        cards: Option<&CardChecks>,
        accounts: Option<&[AccountTotals]>,
    ) {
        let cloned = self.tally.faults.clone.cards;
        match cards {
            Some(cards) => {
                money.shadow_balances_fen = Some(cards.shadow_sum);
                audit.line(
                    "money.per_card",
                    cards.money_off.is_empty(),
                    format!(
                        "{} of {} cards: balance on the card = hub shadow balance = loads − \
                         purchases, every purchase accepted once{}",
                        cards.checked - cloned - cards.money_off.len() as u64,
                        cards.checked - cloned,
                        name(&cards.money_off)
                    ),
                );
                audit.line(
                    "money.cloned_cards",
                    cards.cloned_off.is_empty(),
                    format!(
                        "{cloned} cloned cards: hub shadow balance = loads − the purchases it \
                         accepted from either chip; {} fen spent by the two chips is not \
                         payable (rejected duplicate){}",
                        self.tally.faults.clone.duplicates_fen,
                        name(&cards.cloned_off)
                    ),
                );
            }
            None => {
                audit.skip("money.per_card", "the hub does not show shadow balances");
                audit.skip(
                    "money.cloned_cards",
                    "the hub does not show shadow balances",
                );
            }
        }
        let Some(accounts) = accounts else {
            audit.skip("money.network", "the hub does not show its ledger accounts");
            audit.skip(
                "ledger.balanced",
                "the hub does not show its ledger accounts",
            );
            return;
        };
        let net = |account: &AccountTotals| {
            i64::try_from(account.credits_fen).unwrap_or(i64::MAX)
                - i64::try_from(account.debits_fen).unwrap_or(i64::MAX)
        };
        let float: i64 = accounts
            .iter()
            .filter(|account| account.account == "card-float")
            .map(net)
            .sum();
        money.card_float_fen = Some(float);
        let expected = money.loads_fen as i64 - money.purchases_accepted_fen as i64;
        let shadows = money.shadow_balances_fen.unwrap_or(float);
        audit.line(
            "money.network",
            float == expected && float == shadows,
            format!(
                "card float in the ledger {float} fen = Σ loads {} − Σ purchases accepted {} = \
                 Σ shadow balances {shadows} fen",
                money.loads_fen, money.purchases_accepted_fen
            ),
        );
        let debits: u64 = accounts.iter().map(|account| account.debits_fen).sum();
        let credits: u64 = accounts.iter().map(|account| account.credits_fen).sum();
        let mut by_participant = std::collections::BTreeMap::<u32, i64>::new();
        for account in accounts {
            *by_participant.entry(account.participant).or_default() += net(account);
        }
        let unsettled = by_participant.values().filter(|net| **net != 0).count();
        audit.line(
            "ledger.balanced",
            debits == credits && unsettled == 0,
            format!(
                "Σ debits {debits} = Σ credits {credits} fen over {} accounts; after the last \
                 settlement {unsettled} of {} participants hold a non-zero net",
                accounts.len(),
                by_participant.len()
            ),
        );
    }

    fn window_lines(
        &self,
        audit: &mut Audit,
        money: &mut Money,
        accounts: Option<&[AccountTotals]>,
    ) -> Vec<WindowFacts> {
        let mut facts = Vec::new();
        for report in &self.windows {
            let (window, float) = window_facts(report);
            money.windows_card_float_fen += float;
            facts.push(window);
        }
        let unbalanced = facts
            .iter()
            .filter(|w| {
                w.positions_sum_fen != 0
                    || w.debits_fen != w.credits_fen
                    || w.positions_off_their_lines != 0
            })
            .count();
        let transactions: u64 = facts.iter().map(|w| w.transactions).sum();
        audit.line(
            "windows.balanced",
            unbalanced == 0 && facts.len() as u32 == self.config.days + 1,
            format!(
                "{} windows closed (one a day and the drain's), {transactions} transactions: \
                 in each, positions sum to 0, line debits = line credits, each position = its \
                 lines; {unbalanced} do not",
                facts.len()
            ),
        );
        match (accounts, money.card_float_fen) {
            (Some(_), Some(float)) => audit.line(
                "windows.card_float",
                money.windows_card_float_fen == float,
                format!(
                    "card float the windows' lines posted {} fen = card float in the ledger \
                     {float} fen",
                    money.windows_card_float_fen
                ),
            ),
            _ => audit.skip(
                "windows.card_float",
                "the hub does not show its ledger accounts",
            ),
        }
        facts
    }

    fn record_lines(&self, audit: &mut Audit, cards: Option<&CardChecks>) {
        match cards {
            Some(cards) => audit.line(
                "records.exactly_once",
                cards.counters_off.is_empty(),
                format!(
                    "{} cards: the hub accepted every counter value the card used, once, none \
                     missing{}",
                    cards.checked,
                    name(&cards.counters_off)
                ),
            ),
            None => audit.skip("records.exactly_once", "the hub does not show counters"),
        }
        let decisions = &self.tally.decisions;
        audit.line(
            "records.decisions",
            decisions.unexpected == 0,
            format!(
                "{} decisions as expected, {} not{}",
                decisions.as_expected,
                decisions.unexpected,
                name(&decisions.examples)
            ),
        );
        let pending: usize = self
            .world
            .terminals
            .iter()
            .map(|terminal| terminal.terminal.journal().pending.len())
            .sum();
        audit.line(
            "cards.no_double_debit",
            self.tally.balance_surprises == 0 && pending == 0,
            format!(
                "{} approvals each started from the balance the card was known to hold; {} did \
                 not; {pending} transactions left pending in terminals{}",
                self.tally.activity.transactions,
                self.tally.balance_surprises,
                name(&self.tally.balance_examples)
            ),
        );
    }

    fn fault_lines(
        &self,
        audit: &mut Audit,
        cards: Option<&CardChecks>,
        hotlisted: Option<&std::collections::BTreeSet<[u8; 8]>>,
    ) {
        let faults = &self.tally.faults;
        let torn = &faults.torn;
        audit.line(
            "faults.torn",
            torn.injected == torn.recovered + torn.rolled_back && torn.unresolved == 0,
            format!(
                "{} torn ({} loads): {} committed and recovered by the terminal's journal, {} \
                 rolled back and run again, {} unresolved",
                torn.injected, torn.loads, torn.recovered, torn.rolled_back, torn.unresolved
            ),
        );
        let offline = &faults.offline;
        match cards {
            Some(cards) => audit.line(
                "faults.offline",
                cards.missing_atcs == 0,
                format!(
                    "{} terminals offline for {} terminal-days; {} late records in {} batches \
                     uploaded out of order, {} accepted; {} counter gaps opened, {} counter \
                     values still missing",
                    offline.terminals,
                    offline.terminal_days,
                    offline.late_records,
                    offline.late_batches,
                    offline.late_accepted,
                    offline.counter_gaps_opened,
                    cards.missing_atcs
                ),
            ),
            None => audit.skip("faults.offline", "the hub does not show counter gaps"),
        }
        let duplicate = &faults.duplicate;
        audit.line(
            "faults.duplicate",
            duplicate.same_id == duplicate.same_id_identical
                && duplicate.replayed_records == duplicate.replayed_duplicate,
            format!(
                "{} batches uploaded again under their id, {} answered with the first answer; \
                 {} replayed under a new id: {} of {} records rejected duplicate",
                duplicate.same_id,
                duplicate.same_id_identical,
                duplicate.replays,
                duplicate.replayed_duplicate,
                duplicate.replayed_records
            ),
        );
        let corrupt = &faults.corrupt;
        audit.line(
            "faults.corrupt",
            corrupt.records == corrupt.bad_tac && corrupt.resent == corrupt.bad_tac,
            format!(
                "{} records corrupted in transit: {} rejected bad_tac, {} clean copies sent \
                 again, {} of them accepted",
                corrupt.records, corrupt.bad_tac, corrupt.resent, corrupt.resent_accepted
            ),
        );
        self.clone_line(audit, hotlisted);
        let lost = &faults.lost;
        audit.line(
            "faults.lost",
            lost.finder_tries == lost.refused
                && lost.moved_after_report_fen == 0
                && lost.hub_hotlisted == lost.reported,
            format!(
                "{} cards reported lost (hub hotlisted {}, the report reached every \
                 terminal's blacklist); {} tries after the report, {} refused, {} cards \
                 blocked on the chip, {} fen moved",
                lost.reported,
                lost.hub_hotlisted,
                lost.finder_tries,
                lost.refused,
                lost.blocked_on_card,
                lost.moved_after_report_fen
            ),
        );
        let restart = &faults.restart;
        audit.line(
            "faults.restart",
            restart.answers_lost == restart.answers_identical,
            format!(
                "{} hub restarts ({} not possible on this hub): {} before an upload, {} after \
                 an upload whose answer was lost, re-uploaded and answered identically {} times",
                restart.injected,
                restart.not_possible,
                restart.before_upload,
                restart.answers_lost,
                restart.answers_identical
            ),
        );
        let missing = &faults.missing_key;
        audit.line(
            "faults.missing_key",
            missing.updated == missing.sams,
            format!(
                "{} SAMs without the bank's key version 2: {} transactions refused (no record, \
                 no debit), {} SAMs updated by the end",
                missing.sams, missing.refused, missing.updated
            ),
        );
        let activity = &self.tally.activity;
        audit.line(
            "applications.social_security",
            activity.social_security_listed == activity.social_security_added
                && activity.social_security_balance_kept == activity.social_security_added,
            format!(
                "the bureau's application added after issuance to {} cards by the issuer's \
                 management script: {} list it, {} kept their e-purse balance",
                activity.social_security_added,
                activity.social_security_listed,
                activity.social_security_balance_kept
            ),
        );
    }

    fn clone_line(
        &self,
        audit: &mut Audit,
        hotlisted: Option<&std::collections::BTreeSet<[u8; 8]>>,
    ) {
        let clone = &self.tally.faults.clone;
        let (mut detected, mut undetectable, mut missed) = (0u64, 0u64, 0u64);
        // A clone exposed by a balance discontinuity is hotlisted by the hub's risk rule.
        let (mut flagged, mut flagged_hotlisted) = (0u64, 0u64);
        for (index, holder) in self.world.holders.iter().enumerate() {
            if holder.cloned_on.is_none() {
                continue;
            }
            // A memory that does not unpack is named by `money.per_card`.
            let memory = self.world.card_memory(index).ok();
            let (original, _) = memory.as_ref().and_then(purse_counters).unwrap_or_default();
            let overlap = holder.clone_offline_atc > holder.clone_from_atc
                && original > holder.clone_from_atc;
            let evidence = self
                .clone_evidence
                .get(&(index as u32))
                .copied()
                .unwrap_or_default();
            let seen = evidence.flagged || evidence.duplicates > 0;
            if evidence.flagged {
                flagged += 1;
                if hotlisted.is_some_and(|list| list.contains(&holder.asn)) {
                    flagged_hotlisted += 1;
                }
            }
            match (overlap, seen) {
                (_, true) => detected += 1,
                (false, false) => undetectable += 1,
                (true, false) => missed += 1,
            }
        }
        let hotlisting = match hotlisted {
            Some(_) => format!(
                "; {flagged_hotlisted} of the {flagged} flagged cards hotlisted by the risk rule"
            ),
            None => "; hotlisting not shown by this hub".to_owned(),
        };
        audit.line(
            "faults.clone",
            missed == 0 && (hotlisted.is_none() || flagged_hotlisted == flagged),
            format!(
                "{} cards cloned, the clones spent {} fen in {} purchases; the hub exposed {} \
                 ({} balance_discontinuity flags, {} duplicates){hotlisting}; {} clones never \
                 shared a counter value with their card (nothing to see); {missed} missed",
                clone.cards,
                clone.purchases_fen,
                clone.purchases,
                detected,
                clone.discontinuity_flags,
                clone.duplicates,
                undetectable
            ),
        );
    }

    /// **Test hook**: writes card `holder`'s e-purse balance behind the network's back, as a
    /// forged card would. The audit must then fail (`money.per_card`).
    pub fn tamper_with_card_balance(&mut self, holder: usize, balance_fen: u32) -> bool {
        if holder >= self.world.holders.len() {
            return false;
        }
        let Ok(mut card) = self.world.take_card(holder) else {
            return false;
        };
        let tampered = match crate::flows::purse_mut(card.nvm_mut()) {
            Some(purse) => {
                purse.balance_fen = balance_fen;
                true
            }
            None => false,
        };
        self.world.put_card(holder, card);
        tampered
    }

    /// Whether card `holder`'s e-purse is blocked on the chip.
    pub fn card_blocked(&self, holder: usize) -> bool {
        holder < self.world.holders.len()
            && self
                .world
                .card_memory(holder)
                .is_ok_and(|memory| purse_blocked(&memory))
    }
}

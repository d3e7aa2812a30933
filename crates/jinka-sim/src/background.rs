//! [`in_background`]: the hub on a thread of its own, so the day loop (the cards, SAMs and
//! terminals) and the hub use both cores.
//!
//! The hub's thread takes the calls from one queue, in the order the day loop made them, so
//! the hub sees exactly the calls, in exactly the order, of a run without it: the run's
//! decisions and audit do not change (the tests compare whole reports). A call that needs
//! its answer ([`HubPort::authorize_loads`], ...) waits behind the uploads queued before it.
//! Only an upload started with [`HubPort::start_upload`] lets the day loop go on; it takes
//! the answers later with [`HubPort::upload_answer`], oldest first (`Simulation` judges
//! them then, from what it captured when it sent the batch). The uploads waiting next to
//! each other in the queue go to the hub together ([`HubPort::upload_batches`]: the
//! in-process hub ingests them in one transaction), their answers as one by one. A group of
//! load confirmations started with [`HubPort::start_confirm_loads`] lets it go on as well
//! (the top-up round presents the next group's cards meanwhile), its answers taken with
//! [`HubPort::confirmed_loads`]. Card
//! registrations go on too, so the world's next cards are personalized while the hub
//! registers the last ones: the
//! first that failed is the answer of the next call that waits ([`HubPort::registered`]
//! waits for them all).
//!
//! The calls' arguments are copied to the hub's thread (a load group's requests, a batch's
//! body): a queued upload outlives the day loop's borrow of its body. A panic on the hub's
//! thread ends its queue: the day loop's next call answers `Broken`, as does the answer of
//! every upload or confirmation group it started and the thread had not answered (each has
//! a channel of its own, whose sender the dropped job takes with it), and the panic goes on
//! when the thread is joined.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jinka_card::IssuerKeys;
use jinka_terminal::LoadRequest;

use crate::hub_port::{
    AccountTotals, CardSpec, ConfirmAnswer, HubCardState, HubPort, LoadAnswer, LoadAsk,
    LoadConfirm, ParticipantSpec, PortError, ResolvedLoads, TerminalSpec,
};

/// A call the hub's thread makes as it comes.
type Call = Box<dyn FnOnce(&mut dyn HubPort) + Send>;

/// A call for the hub's thread.
enum Job {
    /// Any call but an upload.
    Call(Call),
    /// An upload started with [`HubPort::start_upload`]: consecutive ones go to the hub
    /// together ([`HubPort::upload_batches`]).
    Upload {
        uploader: u32,
        body: Vec<u8>,
        answers: mpsc::Sender<Result<String, PortError>>,
    },
}

/// Most uploads waiting in the queue that the hub's thread takes as one group.
const UPLOAD_GROUP_MAX: usize = 64;

/// The hub's thread: the calls in order, consecutive uploads as one group.
fn serve(hub: &mut dyn HubPort, queue: &mpsc::Receiver<Job>) {
    let mut next = None;
    while let Some(job) = next.take().or_else(|| queue.recv().ok()) {
        match job {
            Job::Call(call) => call(hub),
            Job::Upload {
                uploader,
                body,
                answers,
            } => {
                let mut group = vec![(uploader, body, answers)];
                while group.len() < UPLOAD_GROUP_MAX {
                    match queue.try_recv() {
                        Ok(Job::Upload {
                            uploader,
                            body,
                            answers,
                        }) => group.push((uploader, body, answers)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let uploads: Vec<(u32, &[u8])> = group
                    .iter()
                    .map(|(uploader, body, _)| (*uploader, body.as_slice()))
                    .collect();
                // One answer per upload, whatever the port gave: the day loop waits for each.
                let mut replies = hub.upload_batches(&uploads).into_iter();
                for (_, _, answers) in &group {
                    let reply = replies.next().unwrap_or_else(|| {
                        Err(PortError::Broken(
                            "the hub left an upload unanswered".to_owned(),
                        ))
                    });
                    let _ = answers.send(reply);
                }
            }
        }
    }
}

/// How long the day loop has waited for the hub, shared with whoever reports it.
#[derive(Clone, Debug, Default)]
pub struct WaitClock(Arc<AtomicU64>);

impl WaitClock {
    /// The waiting so far.
    pub fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    fn add(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// A group of load confirmations copied for the hub's thread.
struct OwnedConfirmations(Vec<(u32, String, [u8; 4])>);

impl OwnedConfirmations {
    fn of(confirmations: &[LoadConfirm<'_>]) -> OwnedConfirmations {
        OwnedConfirmations(
            confirmations
                .iter()
                .map(|c| (c.requester, c.load_id.to_owned(), c.tac))
                .collect(),
        )
    }

    /// Confirms them on `hub`.
    fn confirm(&self, hub: &mut dyn HubPort) -> Result<Vec<ConfirmAnswer>, PortError> {
        let confirmations: Vec<LoadConfirm<'_>> = self
            .0
            .iter()
            .map(|(requester, load_id, tac)| LoadConfirm {
                requester: *requester,
                load_id,
                tac: *tac,
            })
            .collect();
        hub.confirm_loads(&confirmations)
    }
}

/// The hub as the day loop sees it when the hub runs on its own thread ([`in_background`]).
pub struct Background {
    jobs: mpsc::Sender<Job>,
    /// The answer of each upload started and not answered yet, oldest first: a channel each,
    /// whose sender goes with the job, so a job the hub's thread drops (it stopped) answers
    /// `Broken` instead of never.
    answers: VecDeque<mpsc::Receiver<Result<String, PortError>>>,
    /// The same for the confirmations started with [`HubPort::start_confirm_loads`].
    confirmed: VecDeque<mpsc::Receiver<Result<Vec<ConfirmAnswer>, PortError>>>,
    description: String,
    waited: WaitClock,
    /// The first card registration that failed, for the next call that waits.
    failed: Arc<Mutex<Option<PortError>>>,
}

fn stopped() -> PortError {
    PortError::Broken("the hub's thread stopped".to_owned())
}

/// Runs `run` with `hub` on a thread of its own (joined before this returns).
pub fn in_background<R>(
    hub: &mut (dyn HubPort + Send),
    run: impl FnOnce(&mut Background) -> R,
) -> R {
    let description = hub.description();
    std::thread::scope(|scope| {
        let (jobs, queue) = mpsc::channel::<Job>();
        scope.spawn(move || serve(&mut *hub, &queue));
        let mut background = Background {
            jobs,
            answers: VecDeque::new(),
            confirmed: VecDeque::new(),
            description,
            waited: WaitClock::default(),
            failed: Arc::default(),
        };
        run(&mut background)
    })
}

impl Background {
    /// How long the day loop has waited for the hub (a handle that keeps counting).
    pub fn wait_clock(&self) -> WaitClock {
        self.waited.clone()
    }

    /// Sends `work` to the hub's thread and waits for its answer (a card registration that
    /// failed before it comes first).
    fn call<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut dyn HubPort) -> Result<T, PortError> + Send + 'static,
    ) -> Result<T, PortError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.jobs
            .send(Job::Call(Box::new(move |hub| {
                let _ = reply.send(work(hub));
            })))
            .map_err(|_| stopped())?;
        self.wait(&answer)
    }

    /// Waits for `answer`, counting the wait (a card registration that failed comes first;
    /// a job the stopped thread dropped answers `Broken`).
    fn wait<T>(&self, answer: &mpsc::Receiver<Result<T, PortError>>) -> Result<T, PortError> {
        let started = Instant::now();
        let answer = answer.recv();
        self.waited.add(started.elapsed());
        self.registration_failure()?;
        answer.map_err(|_| stopped())?
    }

    /// The first card registration that failed, if any (taken: it is answered once).
    fn registration_failure(&self) -> Result<(), PortError> {
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        failed.map_or(Ok(()), Err)
    }
}

impl HubPort for Background {
    fn description(&self) -> String {
        self.description.clone()
    }
    fn add_participant(&mut self, spec: &ParticipantSpec) -> Result<u32, PortError> {
        let spec = spec.clone();
        self.call(move |hub| hub.add_participant(&spec))
    }
    fn upload_issuer_keys(&mut self, issuer: u32, keys: &IssuerKeys) -> Result<(), PortError> {
        let keys = keys.clone();
        self.call(move |hub| hub.upload_issuer_keys(issuer, &keys))
    }
    fn register_terminal(&mut self, owner: u32, id: [u8; 6], region: u32) -> Result<(), PortError> {
        self.call(move |hub| hub.register_terminal(owner, id, region))
    }
    fn register_terminals(&mut self, terminals: &[TerminalSpec]) -> Result<(), PortError> {
        let terminals = terminals.to_vec();
        self.call(move |hub| hub.register_terminals(&terminals))
    }
    fn register_card(&mut self, issuer: u32, card: &CardSpec) -> Result<(), PortError> {
        let card = *card;
        self.call(move |hub| hub.register_card(issuer, &card))
    }
    fn register_cards(&mut self, issuer: u32, cards: &[CardSpec]) -> Result<(), PortError> {
        self.registration_failure()?;
        let cards = cards.to_vec();
        let failed = Arc::clone(&self.failed);
        self.jobs
            .send(Job::Call(Box::new(move |hub| {
                if let Err(error) = hub.register_cards(issuer, &cards) {
                    failed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert(error);
                }
            })))
            .map_err(|_| stopped())
    }
    fn registered(&mut self) -> Result<(), PortError> {
        self.call(|_| Ok(()))
    }
    fn upload_batch(&mut self, uploader: u32, body: &[u8]) -> Result<String, PortError> {
        let body = body.to_vec();
        self.call(move |hub| hub.upload_batch(uploader, &body))
    }
    fn start_upload(&mut self, uploader: u32, body: Vec<u8>) -> Result<Option<String>, PortError> {
        let (answers, answer) = mpsc::channel();
        self.jobs
            .send(Job::Upload {
                uploader,
                body,
                answers,
            })
            .map_err(|_| stopped())?;
        self.answers.push_back(answer);
        Ok(None)
    }
    fn upload_answer(&mut self) -> Result<String, PortError> {
        let answer = self
            .answers
            .pop_front()
            .ok_or_else(|| PortError::Broken("no upload in the background".to_owned()))?;
        self.wait(&answer)
    }
    fn authorize_load(
        &mut self,
        requester: u32,
        request_id: &str,
        request: &LoadRequest,
    ) -> Result<LoadAnswer, PortError> {
        let (request_id, request) = (request_id.to_owned(), *request);
        self.call(move |hub| hub.authorize_load(requester, &request_id, &request))
    }
    fn confirm_load(
        &mut self,
        requester: u32,
        load_id: &str,
        tac: [u8; 4],
    ) -> Result<ConfirmAnswer, PortError> {
        let load_id = load_id.to_owned();
        self.call(move |hub| hub.confirm_load(requester, &load_id, tac))
    }
    fn authorize_loads(&mut self, loads: &[LoadAsk<'_>]) -> Result<Vec<LoadAnswer>, PortError> {
        let owned: Vec<(u32, String, LoadRequest)> = loads
            .iter()
            .map(|ask| (ask.requester, ask.request_id.to_owned(), *ask.request))
            .collect();
        self.call(move |hub| {
            let asks: Vec<LoadAsk<'_>> = owned
                .iter()
                .map(|(requester, request_id, request)| LoadAsk {
                    requester: *requester,
                    request_id,
                    request,
                })
                .collect();
            hub.authorize_loads(&asks)
        })
    }
    fn confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Vec<ConfirmAnswer>, PortError> {
        let owned = OwnedConfirmations::of(confirmations);
        self.call(move |hub| owned.confirm(hub))
    }
    fn start_confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Option<Vec<ConfirmAnswer>>, PortError> {
        let owned = OwnedConfirmations::of(confirmations);
        let (answers, answer) = mpsc::channel();
        self.jobs
            .send(Job::Call(Box::new(move |hub| {
                let _ = answers.send(owned.confirm(hub));
            })))
            .map_err(|_| stopped())?;
        self.confirmed.push_back(answer);
        Ok(None)
    }
    fn confirmed_loads(&mut self) -> Result<Vec<ConfirmAnswer>, PortError> {
        let answer = self
            .confirmed
            .pop_front()
            .ok_or_else(|| PortError::Broken("no confirmations in the background".to_owned()))?;
        self.wait(&answer)
    }
    fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError> {
        self.call(|hub| hub.resolve_overdue_loads())
    }
    fn close_window(&mut self) -> Result<serde_json::Value, PortError> {
        self.call(|hub| hub.close_window())
    }
    fn restart(&mut self) -> Result<bool, PortError> {
        self.call(|hub| hub.restart())
    }
    fn report_lost(&mut self, asn: [u8; 8]) -> Result<bool, PortError> {
        self.call(move |hub| hub.report_lost(asn))
    }
    fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError> {
        self.call(|hub| hub.hotlisted())
    }
    fn card_states(
        &mut self,
        asns: &[[u8; 8]],
    ) -> Result<Option<Vec<Option<HubCardState>>>, PortError> {
        let asns = asns.to_vec();
        self.call(move |hub| hub.card_states(&asns))
    }
    fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError> {
        self.call(|hub| hub.ledger_accounts())
    }
}

#[cfg(test)]
mod tests {
    use jinka_crypto::Profile;

    use super::*;
    use crate::{InProcessHub, SimClock};

    fn card(n: u8) -> CardSpec {
        CardSpec {
            asn: [0x31, 0x04, 0, 0, 0, 0, 0, n],
            issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
            profile: Profile::Sm4,
        }
    }

    /// A bulk body: batch `id` of one record that cannot be read (decided `malformed`).
    fn unreadable_batch(id: &str) -> Vec<u8> {
        let mut body = vec![u8::try_from(id.len()).unwrap()];
        body.extend_from_slice(id.as_bytes());
        body.extend_from_slice(&[0; 51]);
        body
    }

    /// A hub in `dir` with the acquirer Metro: the hub and Metro's id.
    fn hub_with_metro(dir: &std::path::Path) -> (InProcessHub, u32) {
        let mut hub = InProcessHub::open(dir.join("hub"), None, SimClock::new()).unwrap();
        let metro = hub
            .add_participant(&ParticipantSpec {
                name: "Metro".to_owned(),
                roles: vec!["acquirer"],
                region: 310_000,
                interchange_bp: 0,
                network_bp: 10,
            })
            .unwrap();
        (hub, metro)
    }

    #[test]
    fn uploads_started_together_are_answered_in_order_as_one_by_one() {
        let data = tempfile::tempdir().unwrap();
        let (mut hub, metro) = hub_with_metro(data.path());
        let uploads = [
            (metro, unreadable_batch("b-1")),
            (metro, vec![9, b'x']),
            (77, unreadable_batch("b-2")),
            (metro, unreadable_batch("b-3")),
            (metro, unreadable_batch("b-1")),
        ];
        // However the hub's thread takes them (those waiting as one group), the answers come
        // in the order the uploads started.
        let answers: Vec<Result<String, PortError>> = in_background(&mut hub, |background| {
            for (uploader, body) in &uploads {
                assert_eq!(background.start_upload(*uploader, body.clone()), Ok(None));
            }
            (0..uploads.len())
                .map(|_| background.upload_answer())
                .collect()
        });
        assert!(
            matches!(&answers[0], Ok(text) if text.contains(r#""reason":"malformed""#)),
            "{answers:?}"
        );
        assert!(
            matches!(&answers[1], Err(PortError::Refused(_))),
            "{answers:?}"
        );
        assert!(
            matches!(&answers[2], Err(PortError::Refused(_))),
            "{answers:?}"
        );
        assert!(
            matches!(&answers[3], Ok(text) if text.contains(r#""batch_id":"b-3""#)),
            "{answers:?}"
        );
        // The first batch's id again: its first answer.
        assert_eq!(answers[4], answers[0]);
        // The same uploads one by one on a hub of their own: the same answers.
        let data = tempfile::tempdir().unwrap();
        let (mut alone, _) = hub_with_metro(data.path());
        let one_by_one: Vec<Result<String, PortError>> = uploads
            .iter()
            .map(|(uploader, body)| alone.upload_batch(*uploader, body))
            .collect();
        assert_eq!(one_by_one, answers);
    }

    #[test]
    fn a_registration_that_fails_is_the_answer_of_the_next_call_that_waits() {
        let data = tempfile::tempdir().unwrap();
        let mut hub = InProcessHub::open(data.path().join("hub"), None, SimClock::new()).unwrap();
        let direct = hub.register_cards(77, &[card(1)]);
        assert!(
            matches!(direct, Err(PortError::Refused(_))),
            "no participant 77: {direct:?}"
        );
        in_background(&mut hub, |background| {
            // Sent, not yet made: the day loop goes on.
            assert_eq!(background.register_cards(77, &[card(1)]), Ok(()));
            assert_eq!(background.register_cards(77, &[card(2)]), Ok(()));
            // The first failure answers the next call that waits, once.
            assert_eq!(background.registered(), direct);
            assert_eq!(background.registered(), Ok(()));
            assert!(background.hotlisted().is_ok());
            // Before a call's own answer, too.
            assert_eq!(background.register_cards(77, &[card(1)]), Ok(()));
            assert_eq!(background.hotlisted(), direct.clone().map(|()| None));
        });
    }

    #[test]
    fn confirmations_started_without_waiting_are_answered_in_order_as_at_once() {
        let data = tempfile::tempdir().unwrap();
        let (mut hub, metro) = hub_with_metro(data.path());
        let confirm = |requester: u32, load_id: &'static str| LoadConfirm {
            requester,
            load_id,
            tac: [1, 2, 3, 4],
        };
        // No such loads (one id the hub cannot have made, one unknown requester): answered,
        // nothing stored.
        let first = [confirm(metro, "L-1")];
        let second = [
            confirm(metro, ""),
            confirm(77, "L-2"),
            confirm(metro, "L-3"),
        ];
        let at_once = (hub.confirm_loads(&first), hub.confirm_loads(&second));
        assert!(at_once.0.is_ok() && at_once.1.is_ok(), "{at_once:?}");
        // A hub that answers at once gives the answers when the confirmations start.
        assert_eq!(hub.start_confirm_loads(&first), at_once.0.clone().map(Some));
        assert!(hub.confirmed_loads().is_err(), "none in the background");
        let started = in_background(&mut hub, |background| {
            assert_eq!(background.start_confirm_loads(&first), Ok(None));
            assert_eq!(background.start_confirm_loads(&second), Ok(None));
            // A call that waits in between is answered in its turn.
            assert!(background.hotlisted().is_ok());
            (background.confirmed_loads(), background.confirmed_loads())
        });
        assert_eq!(started, at_once);
    }

    /// A hub whose uploads and load confirmations panic (a bug on the hub's thread).
    struct Panicking;

    impl HubPort for Panicking {
        fn description(&self) -> String {
            "a hub that panics".to_owned()
        }
        fn add_participant(&mut self, _: &ParticipantSpec) -> Result<u32, PortError> {
            unreachable!()
        }
        fn upload_issuer_keys(&mut self, _: u32, _: &IssuerKeys) -> Result<(), PortError> {
            unreachable!()
        }
        fn register_terminal(&mut self, _: u32, _: [u8; 6], _: u32) -> Result<(), PortError> {
            unreachable!()
        }
        fn register_card(&mut self, _: u32, _: &CardSpec) -> Result<(), PortError> {
            unreachable!()
        }
        fn upload_batch(&mut self, _: u32, _: &[u8]) -> Result<String, PortError> {
            panic!("the hub broke on an upload")
        }
        fn authorize_load(
            &mut self,
            _: u32,
            _: &str,
            _: &LoadRequest,
        ) -> Result<LoadAnswer, PortError> {
            unreachable!()
        }
        fn confirm_load(
            &mut self,
            _: u32,
            _: &str,
            _: [u8; 4],
        ) -> Result<ConfirmAnswer, PortError> {
            panic!("the hub broke on a confirmation")
        }
        fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError> {
            unreachable!()
        }
        fn close_window(&mut self) -> Result<serde_json::Value, PortError> {
            unreachable!()
        }
        fn restart(&mut self) -> Result<bool, PortError> {
            unreachable!()
        }
        fn report_lost(&mut self, _: [u8; 8]) -> Result<bool, PortError> {
            unreachable!()
        }
        fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError> {
            unreachable!()
        }
        fn card_states(
            &mut self,
            _: &[[u8; 8]],
        ) -> Result<Option<Vec<Option<HubCardState>>>, PortError> {
            unreachable!()
        }
        fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError> {
            unreachable!()
        }
    }

    #[test]
    fn work_started_on_a_hub_whose_thread_stops_is_answered_broken_not_awaited_forever() {
        // On a thread of its own: a wait that never ends fails the test instead of hanging it.
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            answered_broken_when_the_hub_thread_stops();
            let _ = done.send(());
        });
        let outcome = finished.recv_timeout(Duration::from_secs(60));
        assert!(
            outcome.is_ok(),
            "still waiting for the stopped hub ({outcome:?})"
        );
    }

    fn answered_broken_when_the_hub_thread_stops() {
        for confirming in [true, false] {
            let answers = std::sync::Mutex::new(Vec::new());
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                in_background(&mut Panicking, |background| {
                    let confirm = [LoadConfirm {
                        requester: 1,
                        load_id: "L-1",
                        tac: [0; 4],
                    }];
                    let answer = if confirming {
                        assert_eq!(background.start_confirm_loads(&confirm), Ok(None));
                        background.confirmed_loads().map(drop)
                    } else {
                        assert_eq!(background.start_upload(1, vec![1]), Ok(None));
                        background.upload_answer().map(drop)
                    };
                    answers.lock().unwrap().push(answer);
                    // Later work finds the thread stopped (or queued as it stops: dropped).
                    let later = background
                        .start_upload(1, vec![1])
                        .and_then(|_| background.upload_answer())
                        .map(drop);
                    answers.lock().unwrap().push(later);
                })
            }));
            // The hub thread's panic goes on when it is joined.
            assert!(run.is_err());
            let answers = answers.into_inner().unwrap();
            assert_eq!(answers.len(), 2, "{answers:?}");
            assert!(
                answers
                    .iter()
                    .all(|a| matches!(a, Err(PortError::Broken(_)))),
                "{answers:?}"
            );
        }
    }
}

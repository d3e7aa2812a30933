//! Group commit: a thread that takes the requests waiting in its queue, as many as a group
//! may hold, and decides them together ([`Committer`]); [`in_one_transaction`] runs a group
//! in one clearing transaction. The load committer (`load_committer.rs`) and the batch committer
//! (`batch_committer.rs`) are its two users.
//!
//! A durable commit costs a sync of the disk and the writing of every page the transaction
//! dirtied; jobs decided one after the other in ONE transaction (each sees the ones before
//! it, as if committed one by one) pay that once. Nothing is answered before its commit, so
//! a crash loses no answered job; a lone job is committed at once (a group is whatever is
//! waiting, never a timer).

use tokio::sync::{mpsc, oneshot};

use crate::clearing::ClearingStorage;
use crate::error::HubError;
use crate::hub::Hub;

/// What one group may hold: at most `jobs` jobs, and at most `weight_max` of the jobs'
/// `weight` together (a job heavier than that alone is a group of its own).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GroupLimit<J> {
    pub(crate) jobs: usize,
    pub(crate) weight: fn(&J) -> usize,
    pub(crate) weight_max: usize,
}

impl<J> GroupLimit<J> {
    /// At most `jobs` jobs, whatever they weigh.
    pub(crate) fn jobs(jobs: usize) -> GroupLimit<J> {
        GroupLimit {
            jobs,
            weight: |_| 0,
            weight_max: 0,
        }
    }

    /// The group's weight with `job` added, if a group of `size` jobs weighing `weight`
    /// can take it (an empty group takes any job).
    fn with(&self, size: usize, weight: usize, job: &J) -> Option<usize> {
        let with = weight.saturating_add((self.weight)(job));
        (size == 0 || (size < self.jobs && with <= self.weight_max)).then_some(with)
    }

    /// `items` cut into consecutive groups within the limit, in order.
    pub(crate) fn groups<'a>(&self, items: &'a [J]) -> Vec<&'a [J]> {
        let mut groups = Vec::new();
        let mut rest = items;
        while !rest.is_empty() {
            let (mut size, mut weight) = (0, 0);
            while let Some(with) = rest.get(size).and_then(|job| self.with(size, weight, job)) {
                (size, weight) = (size + 1, with);
            }
            let (group, after) = rest.split_at(size);
            groups.push(group);
            rest = after;
        }
        groups
    }
}

/// A request waiting in a committer's queue, and where its answer goes.
struct Job<R, A> {
    request: R,
    answer: oneshot::Sender<Result<A, HubError>>,
}

/// A committer: the handle its users hold; its thread stops when the last handle is dropped.
pub(crate) struct Committer<R, A> {
    name: &'static str,
    queue: mpsc::Sender<Job<R, A>>,
}

impl<R: Send + 'static, A: Send + 'static> Committer<R, A> {
    /// Starts the thread `name`: each group of requests from a queue of `capacity` goes to
    /// `decide` (one answer per request, in order), in the order they were queued, and the
    /// answers go out once it returns (a request it left unanswered is answered `Corrupt`).
    pub(crate) fn start(
        name: &'static str,
        capacity: usize,
        limit: GroupLimit<R>,
        mut decide: impl FnMut(&[R]) -> Vec<Result<A, HubError>> + Send + 'static,
    ) -> Result<Committer<R, A>, HubError> {
        let (queue, waiting) = mpsc::channel(capacity);
        let answer_group = move |group: Vec<Job<R, A>>| {
            let (requests, answers): (Vec<R>, Vec<_>) = group
                .into_iter()
                .map(|job| (job.request, job.answer))
                .unzip();
            let mut decided = decide(&requests).into_iter();
            for answer in answers {
                let decision = decided.next().unwrap_or_else(|| {
                    Err(HubError::corrupt(format!(
                        "{name}: a request left unanswered"
                    )))
                });
                // A requester that went away does not stop the others' answers.
                let _ = answer.send(decision);
            }
        };
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(waiting, limit, |job: &Job<R, A>| &job.request, answer_group))
            .map_err(|error| HubError::Unavailable {
                reason: format!("cannot start the {name} thread: {error}"),
            })?;
        Ok(Committer { name, queue })
    }

    /// `request`'s answer, once its group is committed.
    pub(crate) async fn submit(&self, request: R) -> Result<A, HubError> {
        let stopped = || HubError::Unavailable {
            reason: format!("the {} thread has stopped", self.name),
        };
        let (answer, answered) = oneshot::channel();
        let job = Job { request, answer };
        self.queue.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// The thread's loop: a group at a time, each the jobs waiting whose requests fit (the
/// first that does not starts the next group).
fn run<J, R>(
    mut waiting: mpsc::Receiver<J>,
    limit: GroupLimit<R>,
    request: fn(&J) -> &R,
    mut commit: impl FnMut(Vec<J>),
) {
    let mut next = None;
    while let Some(first) = next.take().or_else(|| waiting.blocking_recv()) {
        let mut weight = (limit.weight)(request(&first));
        let mut group = vec![first];
        while group.len() < limit.jobs {
            let Ok(job) = waiting.try_recv() else {
                break;
            };
            match limit.with(group.len(), weight, request(&job)) {
                Some(with) => {
                    weight = with;
                    group.push(job);
                }
                None => {
                    next = Some(job);
                    break;
                }
            }
        }
        commit(group);
    }
}

/// Runs `decide` over all of `items` in ONE clearing transaction, committed once: their
/// results in order. If that transaction fails, each item is decided again alone in a
/// transaction of its own, so one item's trouble is not its neighbours'; `decide` must
/// give one result per item it is given.
pub(crate) fn in_one_transaction<T, D>(
    hub: &Hub,
    what: &'static str,
    items: &[T],
    mut decide: impl FnMut(&mut dyn ClearingStorage, &[T]) -> Result<Vec<D>, HubError>,
) -> Vec<Result<D, HubError>> {
    if items.is_empty() {
        return Vec::new();
    }
    let together = hub.clearing(|storage| decide(storage, items));
    let error = match together {
        Ok(decided) if decided.len() == items.len() => {
            return decided.into_iter().map(Ok).collect();
        }
        Ok(decided) => HubError::corrupt(format!(
            "{} {what}s decided as {}",
            items.len(),
            decided.len()
        )),
        Err(error) => error,
    };
    tracing::warn!(%error, items = items.len(), "a {what} group failed: one at a time");
    items
        .iter()
        .map(|item| {
            let alone = hub.clearing(|storage| decide(storage, std::slice::from_ref(item)))?;
            alone
                .into_iter()
                .next()
                .ok_or_else(|| HubError::corrupt(format!("a {what} decided as none")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The groups `run` makes of `jobs`, all waiting before it starts.
    fn groups(jobs: &[usize], limit: GroupLimit<usize>) -> Vec<Vec<usize>> {
        let (queue, waiting) = mpsc::channel(jobs.len().max(1));
        for job in jobs {
            queue.try_send(*job).unwrap();
        }
        drop(queue);
        let mut groups = Vec::new();
        run(waiting, limit, |job| job, |group| groups.push(group));
        groups
    }

    #[tokio::test]
    async fn each_request_gets_its_own_answer_and_one_left_unanswered_is_corrupt() {
        // Answers every request but a 0: its double.
        let committer: Committer<u32, u32> = Committer::start(
            "test committer",
            4,
            GroupLimit::jobs(4),
            |requests: &[u32]| {
                requests
                    .iter()
                    .take_while(|request| **request != 0)
                    .map(|request| Ok(request * 2))
                    .collect()
            },
        )
        .unwrap();
        let (a, b, c) = tokio::join!(
            committer.submit(1),
            committer.submit(2),
            committer.submit(3)
        );
        assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (2, 4, 6));
        let unanswered = committer.submit(0).await.unwrap_err();
        assert_eq!(unanswered.kind(), crate::ErrorKind::Broken, "{unanswered}");
    }

    #[test]
    fn the_jobs_waiting_are_grouped_up_to_the_count() {
        let limit = GroupLimit::jobs(3);
        assert_eq!(
            groups(&[1, 2, 3, 4, 5, 6, 7], limit),
            [vec![1, 2, 3], vec![4, 5, 6], vec![7]]
        );
        assert_eq!(groups(&[], limit), Vec::<Vec<usize>>::new());
    }

    #[test]
    fn a_group_ends_before_the_job_that_would_weigh_it_over_its_limit() {
        let limit = GroupLimit {
            jobs: 3,
            weight: |job: &usize| *job,
            weight_max: 10,
        };
        // 4 + 6 fit; 5 would make 15: it starts the next group. 12 alone is over the limit:
        // a group of its own, never dropped. 1 + 1 + 1 is three jobs: the fourth waits.
        let jobs = [4, 6, 5, 5, 12, 1, 9, 1, 1, 1, 1];
        let expected = [
            vec![4, 6],
            vec![5, 5],
            vec![12],
            vec![1, 9],
            vec![1, 1, 1],
            vec![1],
        ];
        assert_eq!(groups(&jobs, limit), expected);
        // Cut from a slice, the same groups.
        let cut: Vec<Vec<usize>> = limit.groups(&jobs).iter().map(|g| g.to_vec()).collect();
        assert_eq!(cut, expected);
        assert!(limit.groups(&[]).is_empty());
    }
}

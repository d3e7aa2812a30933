//! [`Pool`]: at most a fixed number of connections, opened when first needed, each with the
//! statements prepared on it; a caller waits for a free one at most
//! [`POSTGRES_POOL_WAIT_MS`].
//!
//! The `postgres` crate drives each connection on a runtime of its own, which must not be
//! closed from inside an asynchronous task: the pool closes its connections on a thread of
//! its own when it is dropped.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ::postgres::{Client, NoTls};

use crate::error::HubError;
use crate::postgres::sql::Statements;
use crate::postgres::{POSTGRES_LOCK_TIMEOUT_MS, POSTGRES_POOL_WAIT_MS, connect_error};

/// An open connection and the statements prepared on it.
pub(crate) struct Connection {
    client: Client,
    statements: Statements,
}

impl Connection {
    fn open(config: &::postgres::Config) -> Result<Connection, HubError> {
        let mut client = config.connect(NoTls).map_err(connect_error)?;
        client
            .batch_execute(&format!("SET lock_timeout = {POSTGRES_LOCK_TIMEOUT_MS}"))
            .map_err(connect_error)?;
        Ok(Connection {
            client,
            statements: Statements::default(),
        })
    }
}

struct State {
    idle: Vec<Connection>,
    /// Connections open, idle or lent.
    open: usize,
}

/// The connections of one store.
pub(crate) struct Pool {
    config: ::postgres::Config,
    size: usize,
    state: Mutex<State>,
    returned: Condvar,
}

/// A connection lent by the pool, given back when dropped (closed if it broke).
pub(crate) struct Lent<'p> {
    pool: &'p Pool,
    connection: Option<Connection>,
}

impl Pool {
    pub(crate) fn new(config: ::postgres::Config, size: usize) -> Pool {
        Pool {
            config,
            size,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a list and a count, consistent between statements: a panic elsewhere
        // cannot leave it half-changed.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection: an idle one, a new one while fewer than the pool's size are open, or the
    /// first one given back.
    pub(crate) fn get(&self) -> Result<Lent<'_>, HubError> {
        let deadline = Instant::now() + Duration::from_millis(POSTGRES_POOL_WAIT_MS);
        let mut state = self.state();
        loop {
            if let Some(connection) = state.idle.pop() {
                return Ok(Lent {
                    pool: self,
                    connection: Some(connection),
                });
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match Connection::open(&self.config) {
                    Ok(connection) => Ok(Lent {
                        pool: self,
                        connection: Some(connection),
                    }),
                    Err(error) => {
                        self.state().open -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HubError::Unavailable {
                    reason: format!(
                        "all {} database connections stayed busy for {POSTGRES_POOL_WAIT_MS} ms",
                        self.size
                    ),
                });
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.state().idle);
        if idle.is_empty() {
            return;
        }
        // Closing a connection runs its runtime, which panics inside an asynchronous task (the
        // server's state is dropped in one): close them on a thread of their own.
        std::thread::scope(|scope| {
            scope.spawn(move || drop(idle));
        });
    }
}

impl Lent<'_> {
    /// The client and the statements prepared on it.
    pub(crate) fn parts(&mut self) -> (&mut Client, &mut Statements) {
        match self.connection.as_mut() {
            Some(connection) => (&mut connection.client, &mut connection.statements),
            None => unreachable!("a lent connection is taken back only when dropped"),
        }
    }

    /// The client.
    pub(crate) fn client(&mut self) -> &mut Client {
        self.parts().0
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let mut state = self.pool.state();
        if connection.client.is_closed() {
            state.open -= 1;
            drop(state);
            drop(connection);
        } else {
            state.idle.push(connection);
            drop(state);
        }
        self.pool.returned.notify_one();
    }
}

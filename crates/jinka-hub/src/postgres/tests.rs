//! Tests of the PostgreSQL engine against a real server. Those that need one run when
//! `JINKA_TEST_POSTGRES` names an administrative database (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), each on a fresh database of its own, and
//! say that they skip otherwise. (The hub's whole integration suite runs on this engine with
//! the same variable.)

use std::sync::Arc;

use ::postgres::{Client, NoTls};

use super::*;
use crate::credential::ApiKey;
use crate::entropy::OsEntropy;
use crate::error::ErrorKind;
use crate::region::Region;
use crate::role::{Role, Roles};

const VARIABLE: &str = "JINKA_TEST_POSTGRES";

/// A fresh database, dropped with this.
struct Fresh {
    admin: String,
    name: String,
    url: String,
}

impl Fresh {
    /// A fresh database for `test`, or `None` (said on stderr) when the variable is unset.
    fn new(test: &str) -> Option<Fresh> {
        let Some(admin) = std::env::var(VARIABLE).ok().filter(|url| !url.is_empty()) else {
            eprintln!("{test}: skipped ({VARIABLE} is not set)");
            return None;
        };
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let name = format!("jinka_test_{}", hex::encode(random));
        Client::connect(&admin, NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Fresh { admin, name, url })
    }

    fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).unwrap()
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&self.admin, NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn participant(name: &str) -> NewParticipant {
    NewParticipant::new(name, Roles::new([Role::Acquirer]).unwrap(), Region::new(1)).unwrap()
}

#[test]
fn only_postgresql_urls_are_opened_and_their_passwords_are_never_shown() {
    for url in [
        "mysql://hub:s3cret@db/jinka",
        "hub:s3cret@db/jinka",
        "://s3cret",
    ] {
        let error = PgStore::open(url, EpochMs::new(1)).err().unwrap();
        assert!(matches!(error, HubError::Config { .. }), "{error}");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
    let error = check_url("mysql://hub:s3cret@db/jinka").unwrap_err();
    assert!(error.to_string().contains("`mysql`"), "{error}");
    assert!(check_url("postgres://hub@db/jinka").is_ok());
    assert!(check_url("postgresql://hub@db/jinka").is_ok());
}

#[test]
fn a_server_that_does_not_answer_is_unavailable() {
    // Nothing listens on port 1.
    let error = PgStore::open("postgres://hub:s3cret@127.0.0.1:1/jinka", EpochMs::new(1))
        .err()
        .unwrap();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

#[test]
fn a_database_that_does_not_exist_is_a_configuration_error() {
    let Some(fresh) = Fresh::new("a_database_that_does_not_exist_is_a_configuration_error") else {
        return;
    };
    let url = format!("{}_missing", fresh.url);
    let error = PgStore::open(&url, EpochMs::new(1)).err().unwrap();
    assert!(matches!(error, HubError::Config { .. }), "{error}");
}

#[test]
fn hubs_starting_at_once_apply_each_migration_once() {
    let Some(fresh) = Fresh::new("hubs_starting_at_once_apply_each_migration_once") else {
        return;
    };
    let opened: Vec<Result<PgStore, HubError>> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PgStore::open(&fresh.url, EpochMs::new(7))))
            .collect();
        starts
            .into_iter()
            .map(|start| start.join().unwrap())
            .collect()
    });
    for store in &opened {
        assert!(store.is_ok(), "{:?}", store.as_ref().err());
    }
    drop(opened);
    let mut client = fresh.client();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, migrations::MIGRATIONS.len() as i64);
    // A second start applies nothing and succeeds.
    PgStore::open(&fresh.url, EpochMs::new(8)).unwrap();
    let applied: Vec<i64> = client
        .query("SELECT applied_at_ms FROM schema_migrations", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(applied.iter().all(|at| *at == 7), "{applied:?}");
}

#[test]
fn a_changed_migration_or_a_newer_database_is_refused() {
    let Some(fresh) = Fresh::new("a_changed_migration_or_a_newer_database_is_refused") else {
        return;
    };
    PgStore::open(&fresh.url, EpochMs::new(1)).unwrap();
    let mut client = fresh.client();
    client
        .batch_execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
        .unwrap();
    let error = PgStore::open(&fresh.url, EpochMs::new(2)).err().unwrap();
    assert!(
        error.to_string().contains("001_registry changed"),
        "{error}"
    );
    client
        .batch_execute(
            "DELETE FROM schema_migrations WHERE version = 1;
             INSERT INTO schema_migrations VALUES (999, 'future', 'x', 1)",
        )
        .unwrap();
    let error = PgStore::open(&fresh.url, EpochMs::new(3)).err().unwrap();
    assert!(error.to_string().contains("run a newer hub"), "{error}");
}

#[test]
fn registry_rules_give_conflict_and_not_found() {
    let Some(fresh) = Fresh::new("registry_rules_give_conflict_and_not_found") else {
        return;
    };
    let now = EpochMs::new(5);
    let store = PgStore::open(&fresh.url, now).unwrap();
    let metro = store.insert_participant(participant("Metro"), now).unwrap();
    assert_eq!(metro.id.get(), 1);
    let error = store
        .insert_participant(participant("Metro"), now)
        .unwrap_err();
    assert!(matches!(error, HubError::Conflict { .. }), "{error}");
    let bus = store.insert_participant(participant("Bus"), now).unwrap();
    assert_eq!(bus.id.get(), 2, "a refused name takes no number");
    assert_eq!(store.participant(metro.id).unwrap(), Some(metro.clone()));

    let key = ApiKey::generate(&OsEntropy).unwrap();
    let new = |participant| NewCredential {
        participant,
        key_id: key.key_id(),
        key_hash: key.hash(),
        label: "test".to_owned(),
    };
    let missing = ParticipantId::new(99).unwrap();
    let error = store.insert_credential(new(missing), now).unwrap_err();
    assert!(matches!(error, HubError::NotFound { .. }), "{error}");
    store.insert_credential(new(metro.id), now).unwrap();
    let record = store.credential_record(key.key_id()).unwrap().unwrap();
    assert_eq!(record.participant, metro.id);
    assert!(!record.revoked);
}

#[test]
fn engine_errors_map_to_what_the_caller_does() {
    let Some(fresh) = Fresh::new("engine_errors_map_to_what_the_caller_does") else {
        return;
    };
    let mut client = fresh.client();
    client
        .batch_execute("CREATE TABLE t (k bigint PRIMARY KEY)")
        .unwrap();
    client.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    let taken = client.execute("INSERT INTO t VALUES (1)", &[]).unwrap_err();
    assert!(is_unique_violation(&taken));
    assert_eq!(storage_error(taken).kind(), ErrorKind::Broken);

    // A lock another session holds, past the lock timeout: try again later.
    let mut holder = fresh.client();
    let mut held = holder.transaction().unwrap();
    held.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .unwrap();
    client.batch_execute("SET lock_timeout = 10").unwrap();
    let busy = client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .unwrap_err();
    assert_eq!(storage_error(busy).kind(), ErrorKind::Unavailable);
    held.rollback().unwrap();

    // A type the engine does not expect is a bug, not a retry.
    let row = client.query_one("SELECT 'text'::text", &[]).unwrap();
    let wrong = row.try_get::<_, i64>(0).unwrap_err();
    assert_eq!(storage_error(wrong).kind(), ErrorKind::Broken);
}

#[test]
fn more_callers_than_connections_are_all_served() {
    let Some(fresh) = Fresh::new("more_callers_than_connections_are_all_served") else {
        return;
    };
    let now = EpochMs::new(1);
    let store = Arc::new(PgStore::open(&fresh.url, now).unwrap());
    let callers = 3 * POSTGRES_POOL_CONNECTIONS_MAX;
    std::thread::scope(|scope| {
        for caller in 0..callers {
            let store = Arc::clone(&store);
            scope.spawn(move || {
                store
                    .insert_participant(participant(&format!("P{caller}")), now)
                    .unwrap();
                store
                    .participants(
                        Scope::All,
                        Page {
                            after: None,
                            limit: 10,
                        },
                    )
                    .unwrap();
            });
        }
    });
    let listed = store
        .participants(
            Scope::All,
            Page {
                after: None,
                limit: 1_000,
            },
        )
        .unwrap();
    assert_eq!(listed.len(), callers);
    let mut client = fresh.client();
    let open: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'jinka-hub'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        open >= 1 && open <= POSTGRES_POOL_CONNECTIONS_MAX as i64,
        "{open} connections"
    );
}

#[test]
fn a_store_dropped_inside_an_asynchronous_task_closes_its_connections() {
    let Some(fresh) =
        Fresh::new("a_store_dropped_inside_an_asynchronous_task_closes_its_connections")
    else {
        return;
    };
    let store = PgStore::open(&fresh.url, EpochMs::new(1)).unwrap();
    assert_eq!(store.kek_check().unwrap(), None);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // The server's state is dropped in a task: the connections close on a thread of their own
    // (closing them on the task's thread would start a runtime inside a runtime).
    runtime.block_on(async move { drop(store) });
    // The server ends a closed connection's session on its own time: wait for it.
    const CHECKS_MAX: u32 = 500;
    let mut client = fresh.client();
    let mut open = i64::MAX;
    for _ in 0..CHECKS_MAX {
        open = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'jinka-hub'",
                &[],
            )
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(open, 0);
}

#[test]
fn the_risk_state_survives_restarts() {
    let Some(fresh) = Fresh::new("the_risk_state_survives_restarts") else {
        return;
    };
    let store = PgStore::open(&fresh.url, EpochMs::new(1)).unwrap();
    crate::risk::tests::state_survives_restarts(&store);
}

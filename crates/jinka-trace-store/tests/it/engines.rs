//! Runs a test against each engine.

use std::sync::atomic::{AtomicUsize, Ordering};

use jinka_trace_store::{PostgresTraceStore, SqliteTraceStore, TraceStore};

/// The environment variable with a PostgreSQL admin URL (e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_VARIABLE: &str = "JINKA_TEST_POSTGRES";

/// Runs `test` on a fresh SQLite store, then on a fresh PostgreSQL database if
/// [`POSTGRES_VARIABLE`] is set (saying it skips otherwise).
pub fn each_engine(name: &str, test: impl Fn(&dyn TraceStore)) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteTraceStore::open(&directory.path().join("trace.sqlite3")).expect("sqlite");
    test(&store);
    match postgres_admin_url() {
        Some(admin) => {
            let database = FreshDatabase::create(&admin, name);
            let store = PostgresTraceStore::open(&database.url).expect("postgres");
            test(&store);
        }
        None => eprintln!("{name}: PostgreSQL skipped ({POSTGRES_VARIABLE} is not set)"),
    }
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty())
}

/// A database created for one test and dropped after it.
pub struct FreshDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl FreshDatabase {
    pub fn create(admin: &str, test: &str) -> FreshDatabase {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "jinka_trace_{}_{}_{}",
            test.chars().take(30).collect::<String>(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(admin, postgres::NoTls).expect("admin");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("{POSTGRES_VARIABLE} must end with /DATABASE"),
        };
        FreshDatabase {
            admin: admin.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A server drops its state inside an asynchronous task: the PostgreSQL store must close its
/// connections without running a runtime inside the task's (the driver would panic).
#[test]
fn a_postgres_store_can_be_dropped_inside_an_asynchronous_task() {
    let Some(admin) = postgres_admin_url() else {
        eprintln!("dropping in async: PostgreSQL skipped ({POSTGRES_VARIABLE} is not set)");
        return;
    };
    let database = FreshDatabase::create(&admin, "drop_async");
    let store = PostgresTraceStore::open(&database.url).expect("postgres");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async move { drop(store) });
}

//! Which engine the suite runs on, and the database under a hub whichever it is.
//!
//! `JINKA_TEST_POSTGRES` set to the URL of an administrative database (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`): every [`crate::test_hub::TestHub`] gets a
//! fresh PostgreSQL database (`jinka_test_<random hex>`), dropped with it. Unset: the embedded
//! SQLite database of each hub's temporary data directory.
//!
//! The `postgres` crate drives its connections on a runtime of its own, which cannot run
//! inside the tests' asynchronous tasks: every PostgreSQL call here runs on a thread of its
//! own, and [`with_admin`] runs the admin commands on the blocking pool.

use std::path::{Path, PathBuf};

use jinka_hub::{Admin, HubConfig};

/// The variable naming the administrative database.
pub const POSTGRES_VARIABLE: &str = "JINKA_TEST_POSTGRES";

/// The administrative URL, when the suite runs on PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_VARIABLE)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The engine's name, as the suite reports it.
pub fn engine_name() -> &'static str {
    if postgres_admin_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Runs `work` on a thread of its own and waits for it (for the `postgres` crate's blocking
/// calls inside an asynchronous test).
fn on_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(work).join().expect("database thread"))
}

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|error| panic!("{POSTGRES_VARIABLE}: cannot connect: {error}"))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// A fresh PostgreSQL database, dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates `jinka_test_<random hex>` through the administrative database.
    pub fn create(admin_url: &str) -> TestDatabase {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("randomness");
        let name = format!("jinka_test_{}", hex::encode(random));
        on_thread(|| {
            connect(admin_url)
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("CREATE DATABASE");
        });
        TestDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: a failed drop leaves a database named jinka_test_... behind.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let admin_url = &self.admin_url;
        on_thread(|| {
            if let Ok(mut client) = postgres::Client::connect(admin_url, postgres::NoTls) {
                let _ = client.batch_execute(&sql);
            }
        });
    }
}

/// Runs `work` with the admin commands opened on `config` (on the blocking pool, where the
/// hub's storage calls belong).
pub async fn with_admin<T: Send + 'static>(
    config: &HubConfig,
    work: impl FnOnce(&Admin) -> T + Send + 'static,
) -> T {
    let config = config.clone();
    tokio::task::spawn_blocking(move || {
        let admin = Admin::open(&config).expect("admin");
        work(&admin)
    })
    .await
    .expect("admin task")
}

/// A column value, whichever engine read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(value) => *value,
            other => panic!("not an integer: {other:?}"),
        }
    }

    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Value::Null => None,
            other => Some(other.int()),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Value::Text(value) => value.clone(),
            other => panic!("not a text: {other:?}"),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Bytes(value) => value.clone(),
            other => panic!("not bytes: {other:?}"),
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<&[u8]> for Value {
    fn from(value: &[u8]) -> Value {
        Value::Bytes(value.to_vec())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

/// The database under a hub, opened beside it (for what the API cannot do yet, or to look
/// under it). SQL takes `$1`, `$2`, ... parameters on both engines.
pub enum Db {
    /// The connection, and the database file (whose card log each statement folds first, so
    /// that `cards`' clearing columns are the newest; see `jinka_hub::fold_card_log`).
    Sqlite(rusqlite::Connection, PathBuf),
    Postgres(String),
}

impl Db {
    /// The hub's database: its PostgreSQL URL, or the data directory's SQLite file.
    pub fn open(config: &HubConfig) -> Db {
        match &config.database_url {
            Some(url) => Db::Postgres(url.clone()),
            None => {
                let path = config.data_dir.join(jinka_hub::DATABASE_FILE_NAME);
                let connection =
                    rusqlite::Connection::open(&path).expect("the hub's SQLite database");
                Db::Sqlite(connection, path)
            }
        }
    }

    /// Every row of `sql`.
    pub fn query(&self, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
        match self {
            Db::Sqlite(connection, path) => {
                fold(path);
                let mut statement = connection.prepare(sql).expect(sql);
                let columns = statement.column_count();
                let params: Vec<rusqlite::types::Value> = params.iter().map(sqlite_param).collect();
                let rows = statement
                    .query_map(rusqlite::params_from_iter(params), |row| {
                        (0..columns)
                            .map(|index| row.get_ref(index).map(sqlite_value))
                            .collect::<rusqlite::Result<Vec<Value>>>()
                    })
                    .expect(sql);
                rows.collect::<rusqlite::Result<_>>().expect(sql)
            }
            Db::Postgres(url) => on_thread(|| {
                let params: Vec<Box<dyn postgres::types::ToSql + Sync>> =
                    params.iter().map(postgres_param).collect();
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|param| &**param).collect();
                let rows = connect(url).query(sql, &params).expect(sql);
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|index| postgres_value(row, index))
                            .collect()
                    })
                    .collect()
            }),
        }
    }

    /// The one row of `sql`.
    pub fn row(&self, sql: &str, params: &[Value]) -> Vec<Value> {
        let mut rows = self.query(sql, params);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows.remove(0)
    }

    /// The one value of `sql`.
    pub fn one(&self, sql: &str, params: &[Value]) -> Value {
        let mut row = self.row(sql, params);
        assert_eq!(row.len(), 1, "{sql}: {row:?}");
        row.remove(0)
    }

    /// Runs `sql`: the rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> u64 {
        match self {
            Db::Sqlite(connection, path) => {
                fold(path);
                let params: Vec<rusqlite::types::Value> = params.iter().map(sqlite_param).collect();
                connection
                    .execute(sql, rusqlite::params_from_iter(params))
                    .expect(sql) as u64
            }
            Db::Postgres(url) => on_thread(|| {
                let params: Vec<Box<dyn postgres::types::ToSql + Sync>> =
                    params.iter().map(postgres_param).collect();
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|param| &**param).collect();
                connect(url).execute(sql, &params).expect(sql)
            }),
        }
    }

    /// Runs statements separated by semicolons, with no parameters.
    pub fn execute_batch(&self, sql: &str) {
        match self {
            Db::Sqlite(connection, path) => {
                fold(path);
                connection.execute_batch(sql).expect(sql);
            }
            Db::Postgres(url) => on_thread(|| connect(url).batch_execute(sql).expect(sql)),
        }
    }

    /// The rows of `table`.
    pub fn count(&self, table: &str) -> i64 {
        self.one(&format!("SELECT count(*) FROM {table}"), &[])
            .int()
    }

    /// Everything the engine keeps, as bytes: the database files (SQLite), or every table's
    /// rows as text (PostgreSQL), with what each is.
    pub fn stored_bytes(&self, data_dir: &Path) -> Vec<(String, Vec<u8>)> {
        match self {
            Db::Sqlite(..) => sqlite_files(data_dir)
                .into_iter()
                .map(|path| {
                    let bytes = std::fs::read(&path).expect("a database file");
                    (path.display().to_string(), bytes)
                })
                .collect(),
            Db::Postgres(_) => {
                let tables = self.query(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = 'public' ORDER BY 1",
                    &[],
                );
                tables
                    .iter()
                    .map(|row| {
                        let table = row[0].text();
                        let text = self.one(
                            &format!(
                                "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {table} t"
                            ),
                            &[],
                        );
                        (format!("table {table}"), text.text().into_bytes())
                    })
                    .collect()
            }
        }
    }
}

/// Folds the card log of the SQLite database at `path` into `cards`.
fn fold(path: &Path) {
    jinka_hub::fold_card_log(path).expect("the card log folded");
}

/// The SQLite database's files in `data_dir`.
pub fn sqlite_files(data_dir: &Path) -> Vec<PathBuf> {
    ["hub.sqlite3", "hub.sqlite3-wal", "hub.sqlite3-shm"]
        .iter()
        .map(|name| data_dir.join(name))
        .filter(|path| path.exists())
        .collect()
}

fn sqlite_param(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(value) => rusqlite::types::Value::Integer(*value),
        Value::Text(value) => rusqlite::types::Value::Text(value.clone()),
        Value::Bytes(value) => rusqlite::types::Value::Blob(value.clone()),
    }
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    match value {
        rusqlite::types::ValueRef::Null => Value::Null,
        rusqlite::types::ValueRef::Integer(value) => Value::Int(value),
        rusqlite::types::ValueRef::Text(text) => {
            Value::Text(String::from_utf8(text.to_vec()).expect("UTF-8"))
        }
        rusqlite::types::ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
        rusqlite::types::ValueRef::Real(value) => panic!("a real column: {value}"),
    }
}

fn postgres_param(value: &Value) -> Box<dyn postgres::types::ToSql + Sync> {
    match value {
        Value::Null => Box::new(Option::<i64>::None),
        Value::Int(value) => Box::new(*value),
        Value::Text(value) => Box::new(value.clone()),
        Value::Bytes(value) => Box::new(value.clone()),
    }
}

fn postgres_value(row: &postgres::Row, index: usize) -> Value {
    use postgres::types::Type;
    let kind = row.columns()[index].type_().clone();
    let value = if kind == Type::INT8 {
        row.get::<_, Option<i64>>(index).map(Value::Int)
    } else if kind == Type::INT4 {
        row.get::<_, Option<i32>>(index)
            .map(|value| Value::Int(i64::from(value)))
    } else if kind == Type::BOOL {
        row.get::<_, Option<bool>>(index)
            .map(|value| Value::Int(i64::from(value)))
    } else if kind == Type::BYTEA {
        row.get::<_, Option<Vec<u8>>>(index).map(Value::Bytes)
    } else if kind == Type::TEXT || kind == Type::VARCHAR || kind == Type::NAME {
        row.get::<_, Option<String>>(index).map(Value::Text)
    } else {
        panic!("column {index}: a type the tests do not read: {kind}")
    };
    value.unwrap_or(Value::Null)
}

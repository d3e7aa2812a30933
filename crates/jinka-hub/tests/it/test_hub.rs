//! A hub under test: a fresh data directory (and, when the suite runs on PostgreSQL, a fresh
//! database: see [`crate::engine`]), an operator and its API key made with the admin commands
//! (as `jinka hub participant add` would), and the server on 127.0.0.1:0.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use hyper::Method;
use jinka_hub::{Clock, HubConfig, HubError, NewParticipant, Region, Role, Roles};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::{Call, Reply, send};
use crate::engine::{Db, TestDatabase, postgres_admin_url, with_admin};

pub struct TestHub {
    /// Kept so the data directory lives as long as the hub.
    _directory: Arc<TempDir>,
    /// The hub's PostgreSQL database, dropped with it (`None` on SQLite).
    database: Option<Arc<TestDatabase>>,
    pub config: HubConfig,
    pub address: SocketAddr,
    pub operator_key: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), HubError>>>,
}

/// A participant made through the API, with its key.
pub struct Member {
    pub id: u64,
    pub key: String,
}

impl TestHub {
    pub async fn start() -> TestHub {
        TestHub::start_with(|_| {}, None).await
    }

    /// A hub whose config `adjust` changes, with `clock` (the system's when `None`).
    pub async fn start_with(
        adjust: impl FnOnce(&mut HubConfig),
        clock: Option<Arc<dyn Clock>>,
    ) -> TestHub {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut config = HubConfig::new(
            directory.path().join("hub"),
            "127.0.0.1:0".parse().expect("address"),
        );
        let database = match postgres_admin_url() {
            Some(admin_url) => {
                let database =
                    tokio::task::spawn_blocking(move || TestDatabase::create(&admin_url))
                        .await
                        .expect("database task");
                config.database_url = Some(database.url.clone());
                Some(Arc::new(database))
            }
            None => None,
        };
        adjust(&mut config);
        let operator_key = with_admin(&config, |admin| {
            let operator = admin
                .add_participant(
                    NewParticipant::new(
                        "Network operator",
                        Roles::new([Role::Operator]).unwrap(),
                        Region::new(100_000),
                    )
                    .unwrap(),
                )
                .expect("operator");
            admin
                .create_credential(operator.id, "tests")
                .expect("credential")
                .api_key
                .expose()
                .to_string()
        })
        .await;
        let mut hub = TestHub {
            _directory: Arc::new(directory),
            database,
            config,
            address: "127.0.0.1:0".parse().unwrap(),
            operator_key,
            stop: None,
            task: None,
        };
        hub.serve(clock).await.expect("serve");
        hub
    }

    /// Binds and runs the server over the data directory.
    pub async fn serve(&mut self, clock: Option<Arc<dyn Clock>>) -> Result<(), HubError> {
        let bound = match clock {
            Some(clock) => jinka_hub::bind_with_clock(self.config.clone(), clock).await?,
            None => jinka_hub::bind(self.config.clone()).await?,
        };
        self.address = bound.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        self.task = Some(tokio::spawn(bound.run(async move {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
        Ok(())
    }

    /// Stops the server and waits for it.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server");
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// The hub's database, opened beside it.
    pub fn database(&self) -> Db {
        Db::open(&self.config)
    }

    /// Everything the hub's database keeps, as bytes, with what each is.
    pub fn stored_bytes(&self) -> Vec<(String, Vec<u8>)> {
        self.database().stored_bytes(self.data_dir())
    }

    /// Another hub process over the same data directory and database (its own server on
    /// another port), for tests of hubs side by side; the database lives as long as either.
    pub async fn beside(&self) -> TestHub {
        let mut hub = TestHub {
            _directory: Arc::clone(&self._directory),
            database: self.database.clone(),
            config: self.config.clone(),
            address: "127.0.0.1:0".parse().unwrap(),
            operator_key: self.operator_key.clone(),
            stop: None,
            task: None,
        };
        hub.serve(None).await.expect("serve");
        hub
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Reply {
        send(
            self.address,
            Call {
                method: Method::GET,
                path,
                key,
                content_type: None,
                body: Vec::new(),
            },
        )
        .await
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Reply {
        self.post_raw(path, key, body.to_string().into_bytes())
            .await
    }

    pub async fn post_raw(&self, path: &str, key: Option<&str>, body: Vec<u8>) -> Reply {
        self.post_typed(path, key, "application/json", body).await
    }

    pub async fn post_typed(
        &self,
        path: &str,
        key: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        send(
            self.address,
            Call {
                method: Method::POST,
                path,
                key,
                content_type: Some(content_type),
                body,
            },
        )
        .await
    }

    /// Registers a participant with `roles` and creates its key, as the operator.
    pub async fn member(&self, name: &str, roles: &[&str]) -> Member {
        self.member_with(json!({ "name": name, "roles": roles, "region": 310000 }))
            .await
    }

    /// Registers the participant `body` describes and creates its key, as the operator.
    pub async fn member_with(&self, body: Value) -> Member {
        let operator = Some(self.operator_key.as_str());
        let name = body["name"].as_str().expect("name").to_owned();
        let reply = self.post("/v1/participants", operator, &body).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let id = reply.json()["id"].as_u64().expect("id");
        let reply = self
            .post(
                &format!("/v1/participants/{id}/credentials"),
                operator,
                &json!({ "label": &name }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let key = reply.json()["api_key"].as_str().expect("key").to_owned();
        Member { id, key }
    }
}

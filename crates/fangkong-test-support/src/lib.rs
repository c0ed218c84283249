//! `TestApp`: the real application on an ephemeral port over a real, fresh database.
//!
//! SQLite in a temporary directory always; PostgreSQL as well when
//! `FANGKONG_TEST_DATABASE_URL` is set (a fresh database per app, dropped afterwards). The
//! clock is pinned. Tests talk to the server through `fangkong-client`, like a county's
//! integration would, and end with `verify()`, which fails on any broken invariant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;

use chrono::{TimeZone as _, Utc};
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::federation::Identity;
use fangkong_app::{App, FixedClock};
use fangkong_client::Client;
use fangkong_domain::JurisdictionCode;
use fangkong_server::federation::DeliveryConfig;
use fangkong_server::ServerConfig;
use fangkong_store::{BackendKind, ConnectOptions, MasterKey, Store};
use sqlx::Connection as _;

/// The environment variable naming the PostgreSQL server for the second test pass.
pub const PG_URL_VAR: &str = "FANGKONG_TEST_DATABASE_URL";

/// The moment every test starts at: 2026-11-30 10:00 China Standard Time.
pub fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()
}

/// A running application.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A client holding an admin token.
    pub client: Client,
    pub app: App,
    pub store: Store,
    pub clock: Arc<FixedClock>,
    server: tokio::task::JoinHandle<()>,
    dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
    /// What a restart needs: the database, its key, the admin token, the server config.
    options: ConnectOptions,
    key: MasterKey,
    token: String,
    config: ServerConfig,
    /// The federation identity (code, secret key) and the delivery worker, when federated.
    federation: Option<(String, [u8; 32], DeliveryConfig)>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Starts the app on SQLite.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_on(BackendKind::Sqlite).await
    }

    /// Starts the app on the given backend (PostgreSQL needs `FANGKONG_TEST_DATABASE_URL`).
    pub async fn spawn_on(backend: BackendKind) -> TestApp {
        TestApp::spawn_with(backend, ServerConfig::default()).await
    }

    /// Starts the app on the given backend with a server configuration (e.g. extra routes).
    pub async fn spawn_with(backend: BackendKind, config: ServerConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (options, pg_database) = match backend {
            BackendKind::Sqlite => (
                ConnectOptions::Sqlite {
                    path: dir.path().join("fangkong.db"),
                },
                None,
            ),
            BackendKind::Postgres => {
                let base = std::env::var(PG_URL_VAR).expect("FANGKONG_TEST_DATABASE_URL is set");
                let (url, name) = create_pg_database("fk_test").await;
                (
                    ConnectOptions::Postgres {
                        url,
                        max_connections: 8,
                    },
                    Some((base, name)),
                )
            }
        };
        let key = MasterKey::generate();
        let store = Store::open(&options, &key).await.unwrap();
        let clock = Arc::new(FixedClock::new(test_start()));
        let app = App::new(store.clone(), clock.clone());
        app.create_user("admin", "admin-password", "admin", None)
            .await
            .unwrap();
        let token = app.create_api_token("admin", "tests", None).await.unwrap();
        let (base_url, server) = start_server(app.clone(), &config).await;
        TestApp {
            client: Client::new(&base_url, Some(&token)),
            base_url,
            app,
            store,
            clock,
            server,
            dir,
            pg_database,
            options,
            key,
            token,
            config,
            federation: None,
            worker: None,
        }
    }

    /// The app's temporary directory (the SQLite data directory).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Starts the app federated as the instance of jurisdiction `code`, with a fresh key pair
    /// and the outbox delivery worker running (`delivery` paces it).
    pub async fn spawn_federated(
        backend: BackendKind,
        code: &str,
        delivery: DeliveryConfig,
    ) -> TestApp {
        let mut t = TestApp::spawn_on(backend).await;
        let identity = Identity::generate(JurisdictionCode::parse(code).unwrap());
        t.federation = Some((code.to_string(), identity.secret(), delivery));
        t.restart_in_place().await;
        t
    }

    /// The public key of a federated app, base64, as its peers configure it.
    pub fn public_key(&self) -> String {
        let (code, secret, _) = self.federation.as_ref().expect("the app is federated");
        Identity::from_secret(JurisdictionCode::parse(code).unwrap(), *secret).public_key()
    }

    /// Stops the server (and the delivery worker), closes the store and starts again over the
    /// same database, key and clock on a new port, as a restarted process would.
    pub async fn restart(mut self) -> TestApp {
        self.restart_in_place().await;
        self
    }

    async fn restart_in_place(&mut self) {
        self.server.abort();
        if let Some(w) = self.worker.take() {
            w.abort();
            let _ = w.await;
        }
        let _ = (&mut self.server).await;
        self.store.close().await;
        let store = Store::open(&self.options, &self.key).await.unwrap();
        let mut app = App::new(store.clone(), self.clock.clone());
        if let Some((code, secret, delivery)) = &self.federation {
            app = app.with_identity(Identity::from_secret(
                JurisdictionCode::parse(code).unwrap(),
                *secret,
            ));
            self.worker = Some(fangkong_server::federation::spawn_delivery(
                app.clone(),
                delivery.clone(),
            ));
        }
        let (base_url, server) = start_server(app.clone(), &self.config).await;
        self.client = Client::new(&base_url, Some(&self.token));
        self.base_url = base_url;
        self.app = app;
        self.store = store;
        self.server = server;
    }

    /// A client for a new user with `role`, limited to `jurisdiction` when given.
    pub async fn client_for(
        &self,
        username: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Client {
        self.app
            .create_user(username, "password", role, jurisdiction)
            .await
            .unwrap();
        let token = self
            .app
            .create_api_token(username, "tests", None)
            .await
            .unwrap();
        self.client.with_token(Some(&token))
    }

    /// Loads a small deterministic Zhumadian (every real county and township, synthetic
    /// communities, `population` residents).
    pub async fn load_city(&self, population: u64) {
        let config = DemoConfig {
            city_code: "4117".to_string(),
            population,
            seed: 7,
        };
        self.app.load_demo_city(&config, &NoProgress).await.unwrap();
    }

    /// Runs raw SQL on the database behind the app, going around the store, as someone with
    /// database access would (tamper tests).
    ///
    /// # Errors
    /// The database's refusal, as text.
    pub async fn execute_sql(&self, sql: &str) -> Result<(), String> {
        let result = match &self.pg_database {
            Some((base, name)) => {
                let (prefix, _) = base.rsplit_once('/').unwrap();
                let mut conn = sqlx::PgConnection::connect(&format!("{prefix}/{name}"))
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
            None => {
                let url = format!("sqlite://{}", self.dir.path().join("fangkong.db").display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
        };
        result.map_err(|e| e.to_string())
    }

    /// Fails the test on any broken invariant, then stops the server and drops a
    /// PostgreSQL test database.
    pub async fn verify(mut self) {
        let findings = self.store.verify().await.unwrap();
        assert!(findings.is_empty(), "invariants broken: {findings:#?}");
        let chain = self.store.audit().verify().await.unwrap();
        assert_eq!(chain.first_broken, None, "audit chain broken");
        self.server.abort();
        if let Some(w) = self.worker.take() {
            w.abort();
        }
        self.store.close().await;
        if let Some((_, name)) = &self.pg_database {
            drop_pg_database(name).await;
        }
    }
}

/// Creates an empty database named `PREFIX_<random>` on the PostgreSQL server of
/// `FANGKONG_TEST_DATABASE_URL`; returns its URL and name.
pub async fn create_pg_database(prefix: &str) -> (String, String) {
    let base = std::env::var(PG_URL_VAR).expect("FANGKONG_TEST_DATABASE_URL is set");
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    (format!("{server}/{name}"), name)
}

/// Drops a database made by [`create_pg_database`], whoever is still connected.
pub async fn drop_pg_database(name: &str) {
    let base = std::env::var(PG_URL_VAR).expect("FANGKONG_TEST_DATABASE_URL is set");
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn start_server(app: App, config: &ServerConfig) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let router = fangkong_server::router(app, config);
    let config = config.clone();
    let server = tokio::spawn(async move {
        fangkong_server::serve_with(listener, router, &config, std::future::pending())
            .await
            .unwrap();
    });
    (base_url, server)
}

/// The backends tests run on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<BackendKind> {
    let mut out = vec![BackendKind::Sqlite];
    if std::env::var_os(PG_URL_VAR).is_some() {
        out.push(BackendKind::Postgres);
    }
    out
}

/// Runs `test` against a fresh app on every backend, then verifies the invariants.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = TestApp>,
{
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let app = test(app).await;
        app.verify().await;
    }
}

//! Shared test harness: start the real app on a random port with a fresh database, talk HTTP to it.
//!
//! Every test runs on SQLite. When `TEST_DATABASE_URL` names a PostgreSQL server, the same tests
//! run there instead, each in a fresh database of its own.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod geojson_check;
pub mod mail;
pub mod oracle;
pub mod other_town;
pub mod process;
pub mod sdl;
pub mod simulate;
pub mod smtp;
pub mod stats;
pub mod tickets;
pub mod town;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use gridloop::Application;
use gridloop::clock::ManualClock;
use gridloop::config::Settings;
use gridloop::domain::role::Role;
use gridloop::service::Actor;
use gridloop::service::users::{self, NewUser};
use gridloop::state::AppState;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};

pub struct TestApp {
    pub state: AppState,
    pub address: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub db: DatabaseConnection,
    pub database_url: String,
    admin_cache: tokio::sync::Mutex<Option<String>>,
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

/// Monday 2026-11-30 09:00 in Shanghai: inside working hours.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        let settings = gridloop::config::LogSettings {
            format: gridloop::config::LogFormat::Text,
            filter: "info".into(),
        };
        gridloop::telemetry::init(&settings, std::io::stdout);
    }
}

/// A URL for a brand-new, empty database on the configured backend.
pub async fn fresh_database_url() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let server = server_part(&base);
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .expect("connect to PostgreSQL admin database");
            let name = format!("gridloop_test_{id}");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            format!("{server}/{name}")
        }
        _ => {
            let path = std::env::temp_dir().join(format!("gridloop-test-{id}.db"));
            format!("sqlite://{}?mode=rwc", path.display())
        }
    }
}

/// `postgres://user@host:port` without a database path or query.
fn server_part(url: &str) -> String {
    let without_query = url.split('?').next().unwrap_or(url);
    let scheme_end = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    match without_query[scheme_end..].find('/') {
        Some(slash) => without_query[..scheme_end + slash].to_string(),
        None => without_query.to_string(),
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().expect("bind address"),
        ..Settings::default()
    };
    settings.database.url = SecretString::from(database_url.to_string());
    settings.database.max_connections = 5;
    settings.auth.argon2_memory_kib = 64;
    settings.auth.argon2_iterations = 1;
    settings.evidence.dir = std::env::temp_dir().join(format!(
        "gridloop-test-evidence-{}",
        uuid::Uuid::new_v4().simple()
    ));
    settings.notify.mail_dir = std::env::temp_dir().join(format!(
        "gridloop-test-mail-{}",
        uuid::Uuid::new_v4().simple()
    ));
    // The digest would go out at once (tests start at 09:00); its own tests turn it on.
    settings.notify.digest_enabled = false;
    // The manual clock stands still, so rate-limit budgets never refill during a test and a
    // table-driven suite would run out. The limiter stays on (every request passes through it)
    // with budgets no test reaches; tests of the limits set their own (tests/security.rs).
    settings.rate_limit.per_ip_per_minute = 1_000_000;
    settings.rate_limit.per_user_per_minute = 1_000_000;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database_url = fresh_database_url().await;
    spawn_app_on(&database_url, ManualClock::new(default_start()), adjust).await
}

/// Starts (another) app on an existing database with a given clock: restarts and second instances.
pub async fn spawn_app_on(
    database_url: &str,
    clock: ManualClock,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    init_logs();
    let database_url = database_url.to_string();
    let mut settings = test_settings(&database_url);
    adjust(&mut settings);
    let app = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("build application");
    let address = format!("http://{}", app.address());
    let state = app.state().clone();
    let db = state.db.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        state,
        address,
        client: reqwest::Client::new(),
        clock,
        db,
        database_url,
        admin_cache: tokio::sync::Mutex::new(None),
        stop: std::sync::Mutex::new(Some(stop)),
    }
}

impl TestApp {
    /// Shuts the server and its workers down (graceful), as a restart would.
    pub async fn stop(&self) {
        let sender = self.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.db.clone().close().await.ok();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// POSTs a GraphQL operation (optionally as a user) and returns the whole JSON response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(None, query, variables).await
    }

    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("send GraphQL request");
        assert!(
            resp.status().is_success(),
            "GraphQL HTTP status {}",
            resp.status()
        );
        resp.json().await.expect("GraphQL response is JSON")
    }
}

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Creates a user directly through the service layer (as the system).
    pub async fn create_user(&self, email: &str, roles: &[Role], scope: &[&str]) -> i64 {
        users::create_user(
            &self.state,
            Actor::System,
            NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap_or(email).into(),
                roles: roles.to_vec(),
                scope_codes: scope.iter().map(|s| s.to_string()).collect(),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .expect("create user")
        .id
    }

    /// Logs in over HTTP and returns the bearer token.
    pub async fn login(&self, email: &str) -> String {
        let body = self
            .graphql(
                "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        body["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {body}"))
            .to_string()
    }

    /// Creates a user with one role and scope, logs in, returns the token.
    pub async fn login_as(&self, role: Role, scope: &[&str]) -> String {
        let email = format!(
            "{}-{}@test.gridloop",
            role.as_str().to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        self.create_user(&email, &[role], scope).await;
        self.login(&email).await
    }

    pub async fn admin(&self) -> String {
        self.login_as(Role::Admin, &[]).await
    }

    /// A token for one shared admin, created on first use.
    pub async fn admin_token(&self) -> String {
        let mut cached = self.admin_cache.lock().await;
        if let Some(token) = cached.as_ref() {
            return token.clone();
        }
        let token = self.admin().await;
        *cached = Some(token.clone());
        token
    }

    /// Creates the test town's people (no roles beyond what the import grants) and imports it.
    pub async fn import_town(&self) {
        for email in town::people() {
            let role = match email {
                town::MANAGER => Role::Manager,
                town::LANE1 | town::LANE2 => Role::LaneChief,
                town::WORKER1 => Role::GridWorker,
                _ => Role::StreetChief,
            };
            let scope: &[&str] = &[];
            self.create_user(email, &[role], scope).await;
        }
        gridloop::service::places::import_jurisdictions(
            &self.state,
            Actor::System,
            &town::geojson().to_string(),
        )
        .await
        .expect("import test town");
        let manager = gridloop::service::users::get_by_email(&self.state, town::MANAGER)
            .await
            .expect("manager exists");
        users::update_user(
            &self.state,
            Actor::System,
            manager.id,
            users::UserUpdate {
                scope_codes: Some(vec![town::TOWN.into()]),
                ..Default::default()
            },
        )
        .await
        .expect("scope manager");
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<String> {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_string)
}

/// Seed of the property tests unless `PROPTEST_RNG_SEED` asks for another: every run tries the
/// same cases, so a failure on CI reproduces anywhere.
pub const PROPTEST_SEED: u64 = 0x6772_6964_6c6f_6f70;

/// A proptest configuration with `cases` cases, a fixed seed (see [`PROPTEST_SEED`]) and failing
/// cases saved beside the test file (`tests/<name>.proptest-regressions`) and retried first.
pub fn proptest_config(cases: u32, source_file: &'static str) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
    let mut config = Config {
        cases,
        max_shrink_iters: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(source_file),
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(PROPTEST_SEED);
    }
    config
}

//! The real `gridloop` binary as a child process: seeded, served on a fixed loopback port,
//! killed with SIGKILL and started again, with the load generator driving it. For the long
//! crash and multi-instance tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement};

/// A config file for served instances: fast workers, mail to `smtp_url`, files under `dir`.
pub fn write_config(dir: &Path, smtp_url: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("work dir");
    let path = dir.join("gridloop.toml");
    let text = format!(
        "evidence_dir = \"{}\"\nmail_dir = \"{}\"\nsmtp_url = \"{smtp_url}\"\nlog_filter = \"warn\"\n\
         sla_sweep_interval_ms = 200\nmail_poll_interval_ms = 100\nmail_backoff_base_secs = 1\n\
         mail_backoff_max_secs = 2\nmail_lease_secs = 5\ndigest_enabled = false\n\
         argon2_memory_kib = 64\nargon2_iterations = 1\n",
        dir.join("evidence").display(),
        dir.join("mail").display(),
    );
    std::fs::write(&path, text).expect("config file");
    path
}

/// Runs a one-shot command to completion.
pub fn run(config: &Path, db: &str, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("GRIDLOOP_DATABASE_URL", db)
        .stdin(Stdio::null())
        .output()
        .expect("run gridloop");
    assert!(
        out.status.success(),
        "gridloop {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One `gridloop serve` process.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    config: PathBuf,
    db: String,
}

impl Server {
    /// Starts `gridloop serve` on `port` and waits until it answers /healthz.
    pub async fn start(config: &Path, db: &str, port: u16) -> Server {
        let mut server = Server {
            child: None,
            port,
            config: config.to_path_buf(),
            db: db.to_string(),
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process again (after `kill`).
    pub async fn restart(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_gridloop"))
            .arg("--config")
            .arg(&self.config)
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .env("GRIDLOOP_DATABASE_URL", &self.db)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gridloop serve");
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let health = client.get(format!("{}/healthz", self.url())).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gridloop serve did not come up on port {}", self.port);
    }

    /// SIGKILL: no shutdown hooks, no flushing, as a power cut or an OOM kill.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `gridloop loadgen` against `url` for `secs` seconds, writing acknowledged reports to `journal`.
pub fn start_loadgen(url: &str, concurrency: usize, secs: u64, journal: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .args([
            "loadgen",
            "--url",
            url,
            "--concurrency",
            &concurrency.to_string(),
            "--duration",
            &secs.to_string(),
            "--mix",
            "report=70,accept=10,resolve=10,query=10",
            "--max-grids",
            "50",
            "--journal",
        ])
        .arg(journal)
        .env("GRIDLOOP_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gridloop loadgen")
}

/// Waits for a load generator and returns its printed summary.
pub fn finish_loadgen(child: Child) -> String {
    let out = child.wait_with_output().expect("loadgen finishes");
    assert!(
        out.status.success(),
        "loadgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (clientRequestId, number) pairs of a loadgen journal.
pub fn read_journal(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .expect("journal")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .collect()
}

/// Rows of a raw query.
pub async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql.to_string()))
        .await
        .expect("query")
}

/// The value of a one-number query.
pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_string()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

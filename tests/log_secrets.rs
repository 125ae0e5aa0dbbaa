//! Secrets never reach the logs: the real binary runs at trace level with JSON logs, an SMTP
//! password, a password in the SMTP URL (and in the database URL on PostgreSQL), while users
//! log in, fail to log in, get created with passwords and send bearer tokens. Then every line
//! it wrote, on stdout and stderr, is searched for each secret.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "admin-pw-7Qx2hLw9";
const WRONG_PASSWORD: &str = "wrong-pw-3Vb8nKd4";
const NEW_USER_PASSWORD: &str = "new-user-pw-5Rt1mZc6";
const SMTP_PASSWORD: &str = "smtp-pw-9Gk4sPq2";
const SMTP_URL_PASSWORD: &str = "smtp-url-pw-2Hn7wXe5";
const DATABASE_PASSWORD: &str = "db-pw-6Jm3tYa8";

/// The binary with a log setup that shows everything and the secrets in its environment.
fn gridloop(dir: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gridloop"));
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env("GRIDLOOP_LOG", "trace")
        .env("GRIDLOOP_LOG_FORMAT", "json")
        .env("GRIDLOOP_DATABASE_URL", database_url)
        .env("GRIDLOOP_SMTP_PASSWORD", SMTP_PASSWORD)
        .env(
            "GRIDLOOP_SMTP_URL",
            format!("smtp://mailer:{SMTP_URL_PASSWORD}@127.0.0.1:1"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// On PostgreSQL, the same URL with a password (the test server trusts local connections, so
/// it is accepted and ignored). SQLite URLs carry no password; the whole URL is checked then.
fn with_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("postgres") => match rest.split_once('@') {
            Some((user, host)) if !user.contains(':') => {
                format!("{scheme}://{user}:{DATABASE_PASSWORD}@{host}")
            }
            _ => url.to_string(),
        },
        _ => url.to_string(),
    }
}

/// Collects a pipe line by line on a thread; the first line matching `watch` is also sent.
fn drain(
    pipe: impl Read + Send + 'static,
    watch: Option<mpsc::Sender<String>>,
) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(tx) = &watch
                && line.contains("gridloop listening")
            {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    })
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..300 {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut req = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }";

#[tokio::test]
async fn no_password_token_or_connection_secret_ever_reaches_the_logs() {
    let dir = std::env::temp_dir().join(format!("gridloop-logs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = with_password(&helpers::fresh_database_url().await);

    let mut create = gridloop(&dir, &database_url)
        .args([
            "user",
            "create",
            "--email",
            "admin@logs.test",
            "--name",
            "Admin",
        ])
        .args(["--role", "ADMIN", "--password-stdin"])
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "{ADMIN_PASSWORD}").unwrap();
    let created = create.wait_with_output().unwrap();
    assert!(created.status.success(), "{created:?}");

    let mut serve = gridloop(&dir, &database_url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let out = drain(serve.stdout.take().unwrap(), Some(tx));
    let err = drain(serve.stderr.take().unwrap(), None);
    let listening: Value = serde_json::from_str(
        &rx.recv_timeout(Duration::from_secs(120))
            .expect("the server starts"),
    )
    .unwrap();
    let base = format!("http://{}", listening["address"].as_str().unwrap());
    let client = reqwest::Client::new();

    let admin = graphql(
        &client,
        &base,
        None,
        LOGIN,
        json!({ "e": "admin@logs.test", "p": ADMIN_PASSWORD }),
    )
    .await;
    let admin_token = admin["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = graphql(
        &client,
        &base,
        None,
        LOGIN,
        json!({ "e": "admin@logs.test", "p": WRONG_PASSWORD }),
    )
    .await;
    assert_eq!(
        helpers::error_code(&refused).as_deref(),
        Some("UNAUTHENTICATED")
    );
    let made = graphql(
        &client,
        &base,
        Some(&admin_token),
        "mutation($p: String!) { createUser(input: {email: \"new@logs.test\", name: \"New\", roles: [DISPATCHER], password: $p}) { user { id } } }",
        json!({ "p": NEW_USER_PASSWORD }),
    )
    .await;
    assert!(made["errors"].is_null(), "{made}");
    let user = graphql(
        &client,
        &base,
        None,
        LOGIN,
        json!({ "e": "new@logs.test", "p": NEW_USER_PASSWORD }),
    )
    .await;
    let user_token = user["data"]["login"]["token"].as_str().unwrap().to_string();
    let me = graphql(
        &client,
        &base,
        Some(&user_token),
        "{ me { email } }",
        json!({}),
    )
    .await;
    assert_eq!(me["data"]["me"]["email"], "new@logs.test");
    for path in ["/export/tickets.csv", "/evidence/0000"] {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(&user_token)
            .send()
            .await
            .unwrap();
    }
    stop(&mut serve);
    let logs = format!(
        "{}{}{}{}",
        String::from_utf8_lossy(&created.stdout),
        String::from_utf8_lossy(&created.stderr),
        out.join().unwrap(),
        err.join().unwrap()
    );

    assert!(logs.contains("\"level\":\"TRACE\""), "trace logging was on");
    assert!(logs.contains("/graphql"), "requests were logged");
    let secrets = [
        ("admin password", ADMIN_PASSWORD),
        ("wrong password", WRONG_PASSWORD),
        ("new user's password", NEW_USER_PASSWORD),
        ("admin token", admin_token.as_str()),
        ("user token", user_token.as_str()),
        ("SMTP password", SMTP_PASSWORD),
        ("SMTP URL password", SMTP_URL_PASSWORD),
        ("database password", DATABASE_PASSWORD),
        ("database URL", database_url.as_str()),
    ];
    for (what, secret) in secrets {
        let leaks: Vec<String> = logs
            .lines()
            .filter(|l| l.contains(secret))
            .map(|l| l.replace(secret, "***"))
            .take(3)
            .collect();
        assert!(
            leaks.is_empty(),
            "the {what} appears in the logs:\n{}",
            leaks.join("\n")
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! The command line: one-shot commands against a real database file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::io::Write;
use std::process::{Command, Stdio};

fn gridloop(db: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .args(args)
        .env("GRIDLOOP_DATABASE_URL", db)
        .env("GRIDLOOP_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gridloop");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("gridloop finishes")
}

#[tokio::test]
async fn export_schema_prints_the_sdl() {
    let out = gridloop("sqlite::memory:", &["export-schema"], None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("type QueryRoot"));
}

#[tokio::test]
async fn user_create_then_imports_build_a_town() {
    let db = helpers::fresh_database_url().await;
    let out = gridloop(&db, &["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gridloop(
        &db,
        &[
            "user",
            "create",
            "--email",
            "Admin@Town.test",
            "--name",
            "管理员",
            "--role",
            "ADMIN",
            "--password-stdin",
        ],
        Some("a long password\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = std::env::temp_dir().join(format!("gridloop-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("users.csv");
    let people: String = helpers::town::people()
        .iter()
        .map(|e| format!("{e},\"Person, {e}\",13800000000,GRID_WORKER,\n"))
        .collect();
    std::fs::write(&csv, format!("email,name,phone,role,scope\n{people}")).unwrap();
    let out = gridloop(&db, &["import-users", csv.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 created"));
    let geo = dir.join("town.geojson");
    std::fs::write(&geo, helpers::town::geojson().to_string()).unwrap();
    let out = gridloop(&db, &["import-jurisdictions", geo.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12 created"));
}

#[tokio::test]
async fn a_bad_csv_lists_every_bad_line_and_fails() {
    let db = helpers::fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("gridloop-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("users.csv");
    std::fs::write(&csv, "email,name,phone,role,scope\nok@x.test,OK,,ADMIN,\nnot-an-email,A,,ADMIN,\nb@x.test,B,,MAYOR,\n").unwrap();
    let out = gridloop(&db, &["import-users", csv.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("#3") && err.contains("#4"), "{err}");
}

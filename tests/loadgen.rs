//! `gridloop loadgen`: a short, bounded run against a spawned, seeded app; the summary parses back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::time::{Duration, Instant};

use gridloop::loadgen::stats::Summary;
use gridloop::loadgen::{LoadConfig, check_loopback, parse_mix, run};
use gridloop::seed::{self, SEED_PASSWORD, SeedParams};
use helpers::spawn_app;

#[tokio::test]
async fn a_two_second_run_reports_every_operation() {
    let app = spawn_app().await;
    let params = SeedParams {
        tickets: 400,
        days: 2,
        grids: 100,
        lanes: 40,
        ..SeedParams::default()
    };
    seed::run(&app.state, params).await.expect("seed");
    let cfg = LoadConfig {
        url: app.address.clone(),
        concurrency: 4,
        duration: Duration::from_secs(2),
        max_requests: 20_000,
        mix: parse_mix("report=40,accept=20,resolve=20,query=20").unwrap(),
        admin_email: "admin@seed.gridloop".into(),
        password: SEED_PASSWORD.into(),
        max_grids: 50,
    };
    let started = Instant::now();
    let summary = run(&cfg).await.expect("loadgen");
    println!("{summary}");
    assert!(summary.seconds >= 1.9, "ran for its duration");
    assert!(started.elapsed() < Duration::from_secs(30), "bounded");
    let json = serde_json::to_string(&summary).unwrap();
    let back: Summary = serde_json::from_str(&json).unwrap();
    assert_eq!(back.ops.len(), summary.ops.len());
    for (a, b) in back.ops.iter().zip(&summary.ops) {
        assert_eq!(
            (&a.op, a.ok, a.errors, a.skipped),
            (&b.op, b.ok, b.errors, b.skipped)
        );
        assert!((a.p99_ms - b.p99_ms).abs() < 1e-9);
    }
    let table = summary.to_string();
    assert!(table.contains("p99 ms"), "{table}");
    assert!(table.contains("errors by code"), "{table}");
    for op in ["report", "query", "accept"] {
        let o = summary
            .op(op)
            .unwrap_or_else(|| panic!("no {op} in {table}"));
        assert!(o.ok > 0, "{op}: {table}");
        assert!(
            o.p50_ms > 0.0 && o.p50_ms <= o.p99_ms && o.p99_ms <= o.max_ms,
            "{table}"
        );
    }
    let unexpected: Vec<_> = summary
        .errors
        .keys()
        .filter(|c| c.as_str() != "CONFLICT")
        .collect();
    assert!(unexpected.is_empty(), "{table}");

    let few = LoadConfig {
        max_requests: 30,
        mix: parse_mix("query=1").unwrap(),
        ..cfg
    };
    let summary = run(&few).await.expect("loadgen");
    let sent: u64 = summary
        .ops
        .iter()
        .map(|o| o.ok + o.errors + o.skipped)
        .sum();
    assert_eq!(sent, 30, "stops at the request budget: {summary}");
}

#[test]
fn only_loopback_urls_are_driven() {
    assert!(check_loopback("http://127.0.0.1:8080").is_ok());
    assert!(check_loopback("http://localhost:1/").is_ok());
    assert!(check_loopback("http://[::1]:8080").is_ok());
    for url in [
        "http://10.0.0.1:8080",
        "https://example.org",
        "ftp://127.0.0.1",
        "nonsense",
    ] {
        assert!(check_loopback(url).is_err(), "{url}");
    }
}

#[test]
fn the_mix_names_known_operations() {
    assert_eq!(parse_mix("report=70,query=30").unwrap().len(), 2);
    assert!(parse_mix("report=1,delete=1").is_err());
    assert!(parse_mix("report=x").is_err());
    assert!(parse_mix("report=0").is_err());
}

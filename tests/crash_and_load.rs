//! Long tests against real `gridloop serve` processes driven by `gridloop loadgen`: a SIGKILL in
//! the middle of a run, and two instances sharing one database. Each takes a real minute and a
//! half (every category gets a one-minute natural-time handle limit, so escalations fire), so
//! they are ignored by default; `.ci/run` runs them on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gridloop::domain::lifecycle::Status;
use helpers::process::{
    Server, count, finish_loadgen, free_port, read_journal, rows, run, start_loadgen, write_config,
};
use helpers::smtp::SmtpServer;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A seeded city whose categories all have a one-minute natural-time handle limit.
async fn seeded(smtp: &SmtpServer) -> (PathBuf, PathBuf, String, DatabaseConnection) {
    let dir = std::env::temp_dir().join(format!(
        "gridloop-test-crash-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let config = write_config(&dir, &smtp.url());
    let db_url = helpers::fresh_database_url().await;
    run(
        &config,
        &db_url,
        &[
            "seed",
            "--tickets",
            "0",
            "--days",
            "1",
            "--grids",
            "50",
            "--lanes",
            "20",
        ],
    );
    let db = Database::connect(&db_url).await.expect("connect");
    db.execute_unprepared(
        "UPDATE category SET handle_limit_minutes = 1, calendar_kind = 'NATURAL'",
    )
    .await
    .expect("one-minute limits");
    (dir, config, db_url, db)
}

/// Blocks (off the runtime) until a load generator exits.
async fn finish(load: std::process::Child) -> String {
    tokio::task::spawn_blocking(move || finish_loadgen(load))
        .await
        .expect("loadgen thread")
}

/// Every ticket whose one-minute handle clock is still running and ran out.
async fn overdue_tickets(db: &DatabaseConnection, now: DateTime<Utc>) -> Vec<i64> {
    rows(db, "SELECT id, status, dispatched_at FROM ticket")
        .await
        .iter()
        .filter(|r| {
            let status = r.try_get::<String>("", "status").unwrap();
            let dispatched: Option<DateTime<Utc>> = r.try_get("", "dispatched_at").unwrap();
            Status::parse(&status).is_some_and(|s| s.handle_clock_runs())
                && dispatched.is_some_and(|d| d + chrono::Duration::seconds(61) <= now)
        })
        .map(|r| r.try_get::<i64>("", "id").unwrap())
        .collect()
}

/// Polls (at most five minutes: a debug build on a busy machine sends a few mails a second) until every overdue ticket has its SLA_OVERDUE event and every
/// queued mail was sent.
async fn wait_until_settled(db: &DatabaseConnection, cutoff: i64) {
    let started = Instant::now();
    loop {
        let due = overdue_tickets(db, Utc::now()).await;
        let fired: HashSet<i64> = rows(
            db,
            "SELECT DISTINCT ticket_id FROM ticket_event WHERE kind = 'SLA_OVERDUE'",
        )
        .await
        .iter()
        .map(|r| r.try_get::<i64>("", "ticket_id").unwrap())
        .collect();
        let unsent = count(
            db,
            &format!("SELECT COUNT(*) FROM notification WHERE status <> 'SENT' AND id <= {cutoff}"),
        )
        .await;
        if unsent == 0 && due.iter().all(|t| fired.contains(t)) {
            return;
        }
        let failed = count(
            db,
            "SELECT COUNT(*) FROM notification WHERE status = 'FAILED'",
        )
        .await;
        assert_eq!(failed, 0, "mail given up on");
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not settled: {unsent} mails unsent, {} overdue tickets without SLA_OVERDUE",
            due.iter().filter(|t| !fired.contains(t)).count()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every acknowledged report exists exactly once, under the number the client was given.
async fn assert_acknowledged_reports_exist_once(
    db: &DatabaseConnection,
    acks: &[(String, String)],
) {
    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows(
        db,
        "SELECT client_request_id, number FROM ticket WHERE client_request_id IS NOT NULL",
    )
    .await
    {
        stored
            .entry(r.try_get("", "client_request_id").unwrap())
            .or_default()
            .push(r.try_get("", "number").unwrap());
    }
    assert!(!acks.is_empty(), "the load generator got no report through");
    for (request, number) in acks {
        assert_eq!(
            stored.get(request),
            Some(&vec![number.clone()]),
            "acknowledged report {request} ({number})"
        );
    }
}

/// Each ticket's events are numbered 1..=version without gaps, its last status is the ticket's,
/// and no SLA stage fired twice.
async fn assert_state_matches_events(db: &DatabaseConnection) {
    let mut events: HashMap<i64, Vec<(i32, String, Option<String>)>> = HashMap::new();
    for r in rows(
        db,
        "SELECT ticket_id, seq, kind, to_status FROM ticket_event ORDER BY ticket_id, seq",
    )
    .await
    {
        events
            .entry(r.try_get("", "ticket_id").unwrap())
            .or_default()
            .push((
                r.try_get("", "seq").unwrap(),
                r.try_get("", "kind").unwrap(),
                r.try_get("", "to_status").unwrap(),
            ));
    }
    let tickets = rows(db, "SELECT id, number, status, version FROM ticket").await;
    assert!(!tickets.is_empty());
    for t in tickets {
        let id: i64 = t.try_get("", "id").unwrap();
        let number: String = t.try_get("", "number").unwrap();
        let status: String = t.try_get("", "status").unwrap();
        let version: i32 = t.try_get("", "version").unwrap();
        let log = events.remove(&id).unwrap_or_default();
        let seqs: Vec<i32> = log.iter().map(|e| e.0).collect();
        assert_eq!(
            seqs,
            (1..=version).collect::<Vec<_>>(),
            "{number}: event numbers"
        );
        let last = log.iter().rev().find_map(|e| e.2.clone());
        assert_eq!(last.as_deref(), Some(status.as_str()), "{number}: status");
        for kind in ["SLA_WARNING", "SLA_OVERDUE"] {
            let fired = log.iter().filter(|e| e.1 == kind).count();
            assert!(fired <= 1, "{number}: {kind} fired {fired} times");
        }
    }
}

/// Every queued mail was sent and reached the SMTP server (a mail cut off by the kill may
/// arrive twice, with the same Message-ID); each overdue ticket's notice is among them, once.
async fn assert_mail_went_out(
    db: &DatabaseConnection,
    smtp: &SmtpServer,
    exactly_once: bool,
    cutoff: i64,
) {
    let queued: Vec<i64> = rows(
        db,
        &format!("SELECT id FROM notification WHERE id <= {cutoff}"),
    )
    .await
    .iter()
    .map(|r| r.try_get::<i64>("", "id").unwrap())
    .collect();
    let mut received: HashMap<i64, usize> = HashMap::new();
    for m in smtp.received() {
        let id = m
            .message_id()
            .trim_start_matches("notification-")
            .split('@')
            .next()
            .and_then(|n| n.parse::<i64>().ok())
            .expect("a gridloop Message-ID");
        *received.entry(id).or_default() += 1;
    }
    let queued_set: HashSet<i64> = queued.iter().copied().collect();
    let received_set: HashSet<i64> = received.keys().copied().collect();
    let missing: Vec<_> = queued_set.difference(&received_set).collect();
    assert!(
        missing.is_empty(),
        "queued mail never received: {missing:?}"
    );
    if exactly_once {
        let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "mail sent more than once: {twice:?}");
    }
    let notices = count(
        db,
        "SELECT COUNT(*) FROM (SELECT ticket_id, recipient_id FROM notification \
         WHERE kind = 'SLA_OVERDUE' GROUP BY ticket_id, recipient_id HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(notices, 0, "an overdue notice queued twice for one person");
    let unnoticed = count(
        db,
        "SELECT COUNT(*) FROM ticket_event e WHERE e.kind = 'SLA_OVERDUE' AND NOT EXISTS \
         (SELECT 1 FROM notification n WHERE n.ticket_id = e.ticket_id AND n.kind = 'SLA_OVERDUE')",
    )
    .await;
    assert_eq!(
        unnoticed, 0,
        "overdue tickets whose notice was never queued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: real processes, SIGKILL and a real minute of SLA time; .ci/run runs it"]
async fn a_server_killed_mid_load_loses_no_acknowledged_report_and_still_sends_mail_and_escalations()
 {
    // Arrange
    let smtp = SmtpServer::start().await;
    let (dir, config, db_url, db) = seeded(&smtp).await;
    let mut server = Server::start(&config, &db_url, free_port()).await;
    let journal = dir.join("journal.txt");

    // Act: load, SIGKILL mid-run, restart under the same load; then kill again with deadlines
    // and mail pending and stay down until the deadlines have passed.
    let load = start_loadgen(&server.url(), 6, 10, &journal);
    tokio::time::sleep(Duration::from_secs(4)).await;
    server.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.restart().await;
    let summary = finish(load).await;
    server.kill();
    let pending = count(
        &db,
        "SELECT COUNT(*) FROM notification WHERE status <> 'SENT'",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(65)).await;
    let cutoff = count(&db, "SELECT COALESCE(MAX(id), 0) FROM notification").await;
    server.restart().await;
    // Mail pending at the kill must go out; escalations after the restart keep adding more.
    wait_until_settled(&db, cutoff).await;

    // Assert
    println!("{summary}\nmail pending at the second kill: {pending}");
    assert_acknowledged_reports_exist_once(&db, &read_journal(&journal)).await;
    assert_state_matches_events(&db).await;
    assert!(
        !overdue_tickets(&db, Utc::now()).await.is_empty(),
        "some tickets went overdue while the server was down"
    );
    assert_mail_went_out(&db, &smtp, false, cutoff).await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: two real processes under load and a real minute of SLA time; .ci/run runs it"]
async fn two_instances_on_one_database_under_load_duplicate_no_ticket_escalation_or_mail() {
    // Arrange
    let smtp = SmtpServer::start().await;
    let (dir, config, db_url, db) = seeded(&smtp).await;
    let first = Server::start(&config, &db_url, free_port()).await;
    let second = Server::start(&config, &db_url, free_port()).await;
    let (journal_a, journal_b) = (dir.join("a.txt"), dir.join("b.txt"));

    // Act
    let load_a = start_loadgen(&first.url(), 6, 10, &journal_a);
    let load_b = start_loadgen(&second.url(), 6, 10, &journal_b);
    let (summary_a, summary_b) = (finish(load_a).await, finish(load_b).await);
    tokio::time::sleep(Duration::from_secs(62)).await;
    wait_until_settled(&db, i64::MAX).await;

    // Assert
    println!("{summary_a}\n{summary_b}");
    let mut acks = read_journal(&journal_a);
    acks.extend(read_journal(&journal_b));
    assert_acknowledged_reports_exist_once(&db, &acks).await;
    assert_state_matches_events(&db).await;
    assert!(!overdue_tickets(&db, Utc::now()).await.is_empty());
    assert_mail_went_out(&db, &smtp, true, i64::MAX).await;
    drop((first, second));
    std::fs::remove_dir_all(dir).ok();
}

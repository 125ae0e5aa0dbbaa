//! Mail is never lost: the SMTP server going away, a crash between sending and marking, retries
//! with backoff up to FAILED (and an admin's retry), several workers, the daily digest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::HashSet;

use chrono::{Duration, TimeZone, Utc};
use gridloop::service::mailer::{self, Mailer};
use gridloop::service::notify::digest;
use helpers::mail::{DOMAIN, mail_app};
use helpers::smtp::{Mode, SmtpServer};
use helpers::tickets::photo;
use helpers::{error_code, town};
use serde_json::json;

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_back() {
    let mut server = SmtpServer::start().await;
    let app = mail_app(&server, |_| {}).await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let first = app.report_number(&worker, "0501", 52.0, 150.0).await;
    server.wait_for(1).await;
    app.deliver_all().await;

    server.stop().await;
    app.resolve(&lane1, &first, photo(), None).await;
    for y in [140.0, 160.0, 170.0] {
        app.report_number(&worker, "0501", 52.0, y).await;
    }
    app.wait_outbox(
        "every new row tried once while the server is down",
        |rows| {
            rows.len() == 5
                && rows[1..]
                    .iter()
                    .all(|r| r.attempts >= 1 && r.status == "PENDING")
        },
    )
    .await;
    assert_eq!(server.received().len(), 1);

    server.restart().await;
    let rows = app.deliver_all().await;
    let received = server.wait_for(5).await;
    assert_eq!(received.len(), 5, "each message exactly once");
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    let expected: HashSet<String> = rows
        .iter()
        .map(|r| format!("notification-{}@{DOMAIN}", r.id))
        .collect();
    assert_eq!(ids, expected);
    assert!(rows.iter().all(|r| r.status == "SENT"));
}

#[tokio::test]
async fn a_crash_between_sending_and_marking_resends_with_the_same_message_id() {
    let server = SmtpServer::start().await;
    server.set_mode(Mode::DropAfterData);
    let app = mail_app(&server, |_| {}).await;
    let worker = app.login(town::WORKER1).await;
    app.report_number(&worker, "0501", 52.0, 150.0).await;
    server.wait_for(1).await;
    app.wait_outbox("the lost reply is recorded as a failed attempt", |rows| {
        rows.len() == 1 && rows[0].attempts == 1 && rows[0].status == "PENDING"
    })
    .await;

    server.set_mode(Mode::Accept);
    let rows = app.deliver_all().await;
    let received = server.wait_for(2).await;
    assert_eq!(
        received.len(),
        2,
        "delivered twice: once unacknowledged, once for real"
    );
    assert_eq!(received[0].message_id(), received[1].message_id());
    assert_eq!(
        received[0].message_id(),
        format!("notification-{}@{DOMAIN}", rows[0].id)
    );
    assert_eq!(rows[0].status, "SENT");
    assert_eq!(rows[0].attempts, 2);
}

#[tokio::test]
async fn a_lease_left_by_a_dead_worker_runs_out_and_the_resend_keeps_the_message_id() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |s| s.notify.worker = false).await;
    let worker = app.login(town::WORKER1).await;
    app.report_number(&worker, "0501", 52.0, 150.0).await;
    let settings = &app.state.settings;
    let mailer = Mailer::from_settings(&settings.smtp, &settings.notify).unwrap();

    // A worker claims and sends, then dies before marking.
    let claimed = mailer::claim_due(&app.state, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    mailer.send(&claimed[0]).await.unwrap();
    assert!(
        mailer::claim_due(&app.state, 10).await.unwrap().is_empty(),
        "the lease keeps other workers off"
    );

    // Another worker picks it up once the lease has run out.
    app.clock
        .advance(Duration::seconds(settings.notify.lease_secs + 1));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let _worker = mailer::spawn(app.state.clone(), mailer, stopped);
    let rows = app.deliver_all().await;
    let received = server.wait_for(2).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].message_id(), received[1].message_id());
    assert_eq!(rows[0].status, "SENT");
}

#[tokio::test]
async fn after_max_attempts_a_row_is_failed_visible_to_admin_and_can_be_retried() {
    let server = SmtpServer::start().await;
    server.set_mode(Mode::TempFail);
    let app = mail_app(&server, |s| s.notify.max_attempts = 3).await;
    let worker = app.login(town::WORKER1).await;
    let admin = app.admin().await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let rows = app.deliver_all().await;
    assert_eq!(rows[0].status, "FAILED");
    assert_eq!(rows[0].attempts, 3);
    assert!(rows[0].last_error.as_deref().unwrap_or("").contains("451"));

    let list = "query($s: NotificationStatus) { outbox(status: $s, first: 10) { edges { node { id kind status email attempts lastError messageId ticketNumber subject recipient { email } } } } }";
    let body = app
        .graphql_as(Some(&admin), list, json!({"s": "FAILED"}))
        .await;
    let edges = body["data"]["outbox"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 1, "{body}");
    let node = &edges[0]["node"];
    assert_eq!(node["kind"], "DISPATCHED");
    assert_eq!(node["email"], town::LANE1);
    assert_eq!(node["recipient"]["email"], town::LANE1);
    assert_eq!(node["ticketNumber"], n.as_str());
    assert_eq!(node["attempts"], 3);
    let body = app
        .graphql_as(Some(&worker), list, json!({"s": "FAILED"}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));

    server.set_mode(Mode::Accept);
    let retry = "mutation($id: ID!) { retryNotification(input: {id: $id}) { notification { status attempts } } }";
    let body = app
        .graphql_as(Some(&admin), retry, json!({"id": node["id"]}))
        .await;
    assert_eq!(
        body["data"]["retryNotification"]["notification"]["status"], "PENDING",
        "{body}"
    );
    assert_eq!(
        body["data"]["retryNotification"]["notification"]["attempts"],
        0
    );
    let rows = app.deliver_all().await;
    assert_eq!(rows[0].status, "SENT");
    let received = server.wait_for(1).await;
    assert_eq!(received[0].rcpt_to, [town::LANE1]);
    assert_eq!(
        received[0].message_id(),
        format!("notification-{}@{DOMAIN}", rows[0].id)
    );
    let body = app
        .graphql_as(Some(&admin), retry, json!({"id": node["id"]}))
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("BAD_USER_INPUT"),
        "only FAILED rows"
    );
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once() {
    let server = SmtpServer::start().await;
    server.set_mode(Mode::Reject);
    let app = mail_app(&server, |_| {}).await;
    let worker = app.login(town::WORKER1).await;
    app.report_number(&worker, "0501", 52.0, 150.0).await;
    let rows = app.deliver_all().await;
    assert_eq!(rows[0].status, "FAILED");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.as_deref().unwrap_or("").contains("550"));
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |s| s.notify.batch_size = 2).await;
    // A second "process": its own connection pool on the same database, its own worker.
    let settings = (*app.state.settings).clone();
    let other = gridloop::startup::prepare(settings, std::sync::Arc::new(app.clock.clone()))
        .await
        .unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let second = Mailer::from_settings(&other.settings.smtp, &other.settings.notify).unwrap();
    let _second = mailer::spawn(other, second, stopped);
    let worker = app.login(town::WORKER1).await;
    for i in 0..8 {
        app.report_number(&worker, "0501", 52.0, 120.0 + 5.0 * f64::from(i))
            .await;
    }
    let rows = app.deliver_all().await;
    assert_eq!(rows.len(), 8);
    let received = server.wait_for(8).await;
    assert_eq!(received.len(), 8, "no message twice");
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 8);
}

#[tokio::test]
async fn the_daily_digest_goes_to_each_manager_once_with_yesterdays_counts() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |s| {
        s.notify.digest_enabled = true;
        s.notify.digest_time = chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    })
    .await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let done = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let open = app.report_number(&worker, "0501", 52.0, 160.0).await;
    app.resolve(&lane1, &done, photo(), None).await;
    app.act(
        &worker,
        "verifyTicket",
        json!({"number": done, "passed": true}),
    )
    .await;
    app.deliver_all().await;
    assert!(server.to(town::MANAGER).is_empty(), "not before 10:00");

    // Tuesday 10:05 in Shanghai: Monday's digest is due; the open ticket is overdue.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 1, 2, 5, 0).unwrap());
    app.wait_outbox("the digest is queued", |rows| {
        rows.iter().any(|r| r.kind == "DAILY_DIGEST")
    })
    .await;
    app.deliver_all().await;
    let digests = server.to(town::MANAGER);
    assert_eq!(digests.len(), 1);
    let d = &digests[0];
    assert!(
        d.subject().contains("每日简报 2026-11-30"),
        "{}",
        d.subject()
    );
    let text = d.text();
    assert!(text.contains("昨日上报：2"), "{text}");
    assert!(text.contains("昨日结案：1"), "{text}");
    assert!(text.contains("当前超期未结：1"), "{text}");
    assert!(text.contains(&open) && !text.contains(&done), "{text}");
    assert!(text.contains("0501 无照经营游商"), "{text}");

    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    assert_eq!(
        digest::enqueue_daily(&app.state, today).await.unwrap(),
        0,
        "once per day"
    );
    app.clock.advance(Duration::minutes(5));
    app.deliver_all().await;
    assert_eq!(server.to(town::MANAGER).len(), 1);
}

#[tokio::test]
async fn the_worker_stops_with_the_server() {
    let url = helpers::fresh_database_url().await;
    let mut settings = helpers::test_settings(&url);
    helpers::mail::quick(&mut settings);
    let clock = gridloop::clock::ManualClock::new(helpers::default_start());
    let app = gridloop::Application::build_with_clock(settings, std::sync::Arc::new(clock))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(std::time::Duration::from_secs(10), running).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))), "{finished:?}");
}

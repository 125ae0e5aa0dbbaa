//! Notifications: who is told about what, what the mail says, and that the outbox is
//! transactional. Mail goes through a real SMTP server on loopback (tests/helpers/smtp.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::domain::lifecycle::{Action, Status};
use gridloop::domain::role::Role;
use gridloop::service::ServiceError;
use gridloop::service::notify;
use gridloop::service::tickets::engine::{self, EventRecord};
use gridloop::service::tx;
use gridloop::service::{Actor, users};
use helpers::mail::{BASE_URL, DOMAIN, mail_app, quick};
use helpers::smtp::SmtpServer;
use helpers::tickets::photo;
use helpers::{error_code, spawn_app_with, town};
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use serde_json::json;

#[tokio::test]
async fn a_dispatch_mails_the_assignee_with_number_category_place_deadline_and_link() {
    let server = SmtpServer::start().await;
    let url = server.url().replace("smtp://", "smtp://gridloop@");
    let app = mail_app(&server, |s| {
        s.smtp.url = Some(SecretString::from(url));
        s.smtp.password = Some(SecretString::from("s3cret"));
    })
    .await;
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;

    let got = server.wait_for(1).await;
    let mail = &got[0];
    assert_eq!(mail.rcpt_to, [town::LANE1]);
    assert_eq!(mail.mail_from, "noreply@gridloop.local");
    assert_eq!(
        mail.auth,
        Some(("gridloop".to_string(), "s3cret".to_string())),
        "credentials from the config"
    );
    assert_eq!(
        mail.subject(),
        format!("[gridloop] 新派遣：{n} 0501 无照经营游商")
    );
    let text = mail.text();
    for needle in [
        n.as_str(),
        "0501 无照经营游商",
        "网格一 / 人民路 / 人民路1弄",
        "2026-11-30 11:00 (Asia/Shanghai)",
        &format!("{BASE_URL}/tickets/{n}"),
    ] {
        assert!(text.contains(needle), "text lacks {needle}: {text}");
    }
    let html = mail.html();
    assert!(html.contains(&n) && html.contains(&format!("href=\"{BASE_URL}/tickets/{n}\"")));

    let rows = app.deliver_all().await;
    assert_eq!(
        rows.len(),
        1,
        "the reporter is not told about their own report"
    );
    assert_eq!(rows[0].status, "SENT");
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(
        mail.message_id(),
        format!("notification-{}@{DOMAIN}", rows[0].id)
    );
}

#[tokio::test]
async fn each_event_reaches_the_people_the_issue_names() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |_| {}).await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let manager = app.login(town::MANAGER).await;
    app.create_user("disp@town.test", &[Role::Dispatcher], &[town::TOWN])
        .await;
    app.create_user("disp-c2@town.test", &[Role::Dispatcher], &[town::C2])
        .await;
    let dispatcher = app.login("disp@town.test").await;

    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    app.act(
        &lane1,
        "requestExtension",
        json!({"number": n, "minutes": 60, "reason": "需要拖车"}),
    )
    .await;
    app.act(
        &manager,
        "superviseTicket",
        json!({"number": n, "note": "尽快"}),
    )
    .await;
    app.resolve(&lane1, &n, photo(), None).await;
    app.act(
        &dispatcher,
        "verifyTicket",
        json!({"number": n, "passed": true}),
    )
    .await;
    let m = app.report_number(&worker, "0501", 52.0, 160.0).await;
    app.act(
        &lane1,
        "returnTicket",
        json!({"number": m, "reason": "不是我的"}),
    )
    .await;

    let sent =
        |v: Vec<(String, String)>| -> Vec<String> { v.into_iter().map(|(e, _)| e).collect() };
    assert_eq!(
        sent(app.outbox_of("DISPATCHED").await),
        [town::LANE1, town::LANE1]
    );
    let mut ext = sent(app.outbox_of("EXTENSION_REQUESTED").await);
    ext.sort();
    assert_eq!(
        ext,
        ["disp@town.test", town::MANAGER],
        "dispatchers and managers covering the ticket"
    );
    assert_eq!(
        sent(app.outbox_of("SUPERVISED").await),
        [town::LANE1, town::STREET1],
        "the assignee and their supervisor (the manager acted)"
    );
    assert_eq!(sent(app.outbox_of("RESOLVED").await), [town::WORKER1]);
    assert_eq!(sent(app.outbox_of("CLOSED").await), [town::WORKER1]);
    assert_eq!(
        sent(app.outbox_of("RETURNED").await),
        ["disp@town.test"],
        "only the dispatcher whose scope covers the ticket"
    );

    let rows = app.deliver_all().await;
    let received = server.wait_for(rows.len()).await;
    assert_eq!(received.len(), rows.len());
    for row in &rows {
        assert_eq!(row.status, "SENT");
        let copies: Vec<_> = received
            .iter()
            .filter(|r| r.message_id() == format!("notification-{}@{DOMAIN}", row.id))
            .collect();
        assert_eq!(copies.len(), 1, "{row:?}");
        assert_eq!(copies[0].rcpt_to, std::slice::from_ref(&row.email));
        assert_eq!(copies[0].subject(), row.subject);
    }
}

#[tokio::test]
async fn sla_kinds_reach_the_assignee_and_the_supervisor_chain() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |s| s.notify.worker = false).await;
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let mut t = gridloop::service::tickets::engine::load(&app.db, &n)
        .await
        .unwrap();
    let txn = tx::begin_write(&app.db).await.unwrap();
    notify::enqueue_for_events(&app.state, &txn, None, &t, &["SLA_WARNING", "SLA_OVERDUE"])
        .await
        .unwrap();
    t.escalation_level = 2;
    notify::enqueue_for_events(&app.state, &txn, None, &t, &["ESCALATED"])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let sent =
        |v: Vec<(String, String)>| -> Vec<String> { v.into_iter().map(|(e, _)| e).collect() };
    assert_eq!(sent(app.outbox_of("SLA_WARNING").await), [town::LANE1]);
    assert_eq!(
        sent(app.outbox_of("SLA_OVERDUE").await),
        [town::LANE1, town::STREET1]
    );
    assert_eq!(
        sent(app.outbox_of("ESCALATED").await),
        [town::LANE1, town::STREET1, town::MANAGER],
        "level 2 reaches two links up: street chief, then the town manager"
    );
}

#[tokio::test]
async fn a_rolled_back_change_queues_nothing() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |s| s.notify.worker = false).await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let dispatcher = app.login_as(Role::Dispatcher, &[town::TOWN]).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let before = app.outbox_rows().await.len();
    assert_eq!(before, 1);

    // A rejected action writes nothing.
    let body = app
        .act(&dispatcher, "dispatchTicket", json!({"number": n}))
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("BAD_USER_INPUT"),
        "{body}"
    );
    assert_eq!(app.outbox_rows().await.len(), before);

    // Two returns race: one wins; the other gets CONFLICT, or (when it loads the ticket after the
    // winner committed) finds it is no longer theirs. Either way: one mail.
    let (a, b) = tokio::join!(
        app.act(
            &lane1,
            "returnTicket",
            json!({"number": n, "reason": "不是我的"})
        ),
        app.act(
            &lane1,
            "returnTicket",
            json!({"number": n, "reason": "不是我的"})
        ),
    );
    let errors: Vec<String> = [&a, &b].into_iter().filter_map(error_code).collect();
    assert_eq!(errors.len(), 1, "{a} {b}");
    assert!(
        ["CONFLICT", "FORBIDDEN", "BAD_USER_INPUT"].contains(&errors[0].as_str()),
        "{errors:?}"
    );
    assert_eq!(app.outbox_of("RETURNED").await.len(), 1);

    // A change that loses the version check (CONFLICT) queues nothing.
    let m = app.report_number(&worker, "0501", 52.0, 160.0).await;
    let stale = engine::load(&app.db, &m).await.unwrap();
    app.act(&lane1, "acceptTicket", json!({"number": m})).await;
    let change = engine::change(&stale, Status::Returned, app.state.clock.now());
    let event = EventRecord::new(
        Action::Return,
        Some(Status::Dispatched),
        Some(Status::Returned),
    );
    let err = engine::commit(&app.state, &Actor::System, &stale, change, vec![event])
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err}");
    assert_eq!(app.outbox_of("RETURNED").await.len(), 1);

    // Rows written in a transaction that rolls back are gone with it.
    let t = gridloop::service::tickets::engine::load(&app.db, &n)
        .await
        .unwrap();
    let count = app.outbox_rows().await.len();
    let txn = app.db.begin().await.unwrap();
    notify::enqueue_for_events(&app.state, &txn, None, &t, &["RETURNED"])
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(app.outbox_rows().await.len(), count);
}

#[tokio::test]
async fn english_users_get_the_english_template() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |_| {}).await;
    let lane1 = users::get_by_email(&app.state, town::LANE1).await.unwrap();
    users::update_user(
        &app.state,
        Actor::System,
        lane1.id,
        users::UserUpdate {
            locale: Some("en".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let mail = &server.wait_for(1).await[0];
    assert_eq!(
        mail.subject(),
        format!("[gridloop] Dispatched to you: {n} 0501 Unlicensed street vending")
    );
    let text = mail.text();
    assert!(
        text.contains("Deadline: 2026-11-30 11:00 (Asia/Shanghai)"),
        "{text}"
    );
    assert!(
        text.contains("Place: 网格一 / 人民路 / 人民路1弄"),
        "{text}"
    );
    assert!(!text.contains("处置时限"));
}

#[tokio::test]
async fn opt_outs_are_respected_except_for_dispatch_and_overdue() {
    let server = SmtpServer::start().await;
    let app = mail_app(&server, |_| {}).await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let set = |kind: &str, enabled: bool| json!({"input": {"kind": kind, "enabled": enabled}});
    let mutation = "mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { preferences { kind enabled mandatory } } }";
    let body = app
        .graphql_as(Some(&worker), mutation, set("RESOLVED", false))
        .await;
    let prefs = body["data"]["setNotificationPreference"]["preferences"].clone();
    let resolved = prefs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "RESOLVED")
        .unwrap();
    assert_eq!(resolved["enabled"], false, "{body}");
    for kind in ["DISPATCHED", "SLA_OVERDUE"] {
        let body = app
            .graphql_as(Some(&lane1), mutation, set(kind, false))
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("BAD_USER_INPUT"),
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "kind");
    }

    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    app.resolve(&lane1, &n, photo(), None).await;
    assert_eq!(app.outbox_of("DISPATCHED").await.len(), 1);
    assert!(
        app.outbox_of("RESOLVED").await.is_empty(),
        "the worker opted out"
    );

    let body = app
        .graphql_as(Some(&worker), mutation, set("RESOLVED", true))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = app
        .graphql_as(
            Some(&worker),
            "{ notificationPreferences { kind enabled mandatory } }",
            json!({}),
        )
        .await;
    let prefs = body["data"]["notificationPreferences"]
        .as_array()
        .unwrap()
        .clone();
    assert!(prefs.iter().all(|p| p["enabled"] == true), "{body}");
    assert!(
        prefs
            .iter()
            .any(|p| p["kind"] == "DISPATCHED" && p["mandatory"] == true)
    );
}

#[tokio::test]
async fn without_smtp_the_mail_is_written_as_eml_files() {
    let app = spawn_app_with(quick).await;
    app.import_town().await;
    let dir = app.state.settings.notify.mail_dir.clone();
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let rows = app.deliver_all().await;
    assert_eq!(rows.len(), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert!(parsed.subject().unwrap().contains(&n));
    assert_eq!(
        parsed.message_id(),
        Some(format!("notification-{}@{DOMAIN}", rows[0].id).as_str())
    );
    assert!(parsed.body_text(0).unwrap().contains(&n));
}

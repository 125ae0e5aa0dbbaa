//! The SLA clock with a controlled clock: checkpoints fire exactly once, survive restarts,
//! and two instances on one database never double them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use chrono::{Duration, TimeZone, Utc};
use gridloop::clock::ManualClock;
use gridloop::entity::ticket_event;
use gridloop::service::sla::sweep_once;
use helpers::town;
use helpers::{TestApp, spawn_app_on, spawn_app_with};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

/// Shanghai local time on Monday 2026-11-30.
fn local(h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap() - Duration::hours(8)
}

async fn quiet_app() -> TestApp {
    spawn_app_with(|s| s.workers.sla_sweep_interval_ms = 0).await
}

async fn sla_kinds(app: &TestApp, number: &str) -> Vec<String> {
    let t = gridloop::entity::ticket::Entity::find()
        .filter(gridloop::entity::ticket::Column::Number.eq(number))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    ticket_event::Entity::find()
        .filter(ticket_event::Column::TicketId.eq(t.id))
        .order_by_asc(ticket_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("SLA") || k == "ESCALATED")
        .collect()
}

async fn sla_of(app: &TestApp, token: &str, number: &str) -> serde_json::Value {
    let body = app.graphql_as(Some(token), "query($n: String!) { ticket(number: $n) { escalationLevel sla { state clock elapsedRatio remainingMinutes dueAt } } }", json!({"n": number})).await;
    body["data"]["ticket"].clone()
}

#[tokio::test]
async fn warning_overdue_and_escalation_fire_exactly_once_each() {
    let app = quiet_app().await;
    app.import_town().await;
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await; // 09:00, due 11:00
    assert_eq!(sla_of(&app, &worker, &n).await["sla"]["state"], "ON_TRACK");

    app.clock.set(local(10, 37));
    sweep_once(&app.state).await.unwrap();
    sweep_once(&app.state).await.unwrap();
    assert_eq!(sla_kinds(&app, &n).await, ["SLA_WARNING"]);
    assert_eq!(sla_of(&app, &worker, &n).await["sla"]["state"], "AT_RISK");

    app.clock.set(local(11, 1));
    sweep_once(&app.state).await.unwrap();
    sweep_once(&app.state).await.unwrap();
    assert_eq!(sla_kinds(&app, &n).await, ["SLA_WARNING", "SLA_OVERDUE"]);
    let t = sla_of(&app, &worker, &n).await;
    assert_eq!(t["sla"]["state"], "OVERDUE");
    assert_eq!(t["escalationLevel"], 1);

    // One full limit (2 working hours) past 11:00, across lunch: 14:30.
    app.clock.set(local(14, 29));
    sweep_once(&app.state).await.unwrap();
    assert_eq!(sla_kinds(&app, &n).await.len(), 2);
    app.clock.set(local(14, 31));
    sweep_once(&app.state).await.unwrap();
    sweep_once(&app.state).await.unwrap();
    assert_eq!(
        sla_kinds(&app, &n).await,
        ["SLA_WARNING", "SLA_OVERDUE", "ESCALATED"]
    );
    assert_eq!(sla_of(&app, &worker, &n).await["escalationLevel"], 2);
}

#[tokio::test]
async fn checkpoints_missed_during_a_restart_fire_once_when_the_service_is_back() {
    let first = quiet_app().await;
    first.import_town().await;
    let worker = first.login(town::WORKER1).await;
    let n = first.report_number(&worker, "0501", 52.0, 150.0).await;
    first.clock.set(local(10, 40));
    sweep_once(&first.state).await.unwrap();
    assert_eq!(sla_kinds(&first, &n).await, ["SLA_WARNING"]);
    first.stop().await;

    let clock = ManualClock::new(local(16, 40));
    let second = spawn_app_on(&first.database_url, clock, |s| {
        s.workers.sla_sweep_interval_ms = 20
    })
    .await;
    let mut kinds = Vec::new();
    for _ in 0..200 {
        kinds = sla_kinds(&second, &n).await;
        if kinds.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        kinds,
        ["SLA_WARNING", "SLA_OVERDUE", "ESCALATED", "ESCALATED"],
        "the worker caught up on start"
    );
    sweep_once(&second.state).await.unwrap();
    assert_eq!(sla_kinds(&second, &n).await.len(), 4, "nothing fires twice");
}

#[tokio::test]
async fn two_instances_on_one_database_fire_each_checkpoint_once() {
    let a = quiet_app().await;
    a.import_town().await;
    let worker = a.login(town::WORKER1).await;
    let mut numbers = Vec::new();
    for i in 0..20 {
        numbers.push(
            a.report_number(&worker, "0501", 52.0, 110.0 + i as f64 * 3.0)
                .await,
        );
    }
    let b = spawn_app_on(&a.database_url, a.clock.clone(), |s| {
        s.workers.sla_sweep_interval_ms = 0
    })
    .await;
    for at in [local(10, 40), local(11, 5), local(14, 35), local(16, 35)] {
        a.clock.set(at);
        let (x, y) = tokio::join!(sweep_once(&a.state), sweep_once(&b.state));
        x.unwrap();
        y.unwrap();
    }
    for n in &numbers {
        assert_eq!(
            sla_kinds(&a, n).await,
            ["SLA_WARNING", "SLA_OVERDUE", "ESCALATED", "ESCALATED"],
            "ticket {n}"
        );
    }
}

#[tokio::test]
async fn a_suspended_ticket_does_not_escalate_and_an_extension_moves_the_checkpoints() {
    let app = quiet_app().await;
    app.import_town().await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let manager = app.login(town::MANAGER).await;
    let paused = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let extended = app.report_number(&worker, "0501", 52.0, 160.0).await;
    app.act(
        &manager,
        "suspendTicket",
        json!({"number": paused, "reason": "等待"}),
    )
    .await;
    app.act(
        &lane1,
        "requestExtension",
        json!({"number": extended, "minutes": 240, "reason": "拖车"}),
    )
    .await;
    app.act(
        &manager,
        "decideExtension",
        json!({"number": extended, "approved": true}),
    )
    .await;
    app.clock.set(local(11, 30));
    sweep_once(&app.state).await.unwrap();
    assert!(sla_kinds(&app, &paused).await.is_empty());
    assert_eq!(
        sla_of(&app, &manager, &paused).await["sla"]["state"],
        "PAUSED"
    );
    // due moved from 11:00 by 4 working hours to 16:30; 80 % of 09:00→16:30 (6 working
    // hours) is 4 h 48 min of work: 15:18.
    assert!(sla_kinds(&app, &extended).await.is_empty());
    app.clock.set(local(15, 17));
    sweep_once(&app.state).await.unwrap();
    assert!(sla_kinds(&app, &extended).await.is_empty());
    app.clock.set(local(15, 19));
    sweep_once(&app.state).await.unwrap();
    assert_eq!(sla_kinds(&app, &extended).await, ["SLA_WARNING"]);
}

#[tokio::test]
async fn a_holiday_in_the_calendar_pushes_the_deadline_past_it() {
    let app = quiet_app().await;
    app.import_town().await;
    let admin = app.admin_token().await;
    let day = json!([{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]);
    let body = app
        .graphql_as(
            Some(&admin),
            "mutation($i: UpsertCalendarInput!) { upsertCalendar(input: $i) { calendar { code holidays workdays } } }",
            json!({"i": {"code": "TEST", "name": "测试", "weeklyWindows": [day, day, day, day, day, [], []], "workdayWindows": day,
                "holidays": ["2026-11-30"], "workdays": ["2026-12-05"]}}),
        )
        .await;
    assert_eq!(
        body["data"]["upsertCalendar"]["calendar"]["holidays"],
        json!(["2026-11-30"]),
        "{body}"
    );
    let q = "mutation($i: UpsertCategoryInput!) { upsertCategory(input: $i) { category { calendarCode } } }";
    let cat = json!({"code": "0511", "name": "测试", "nameEn": "Test", "handlerLevel": "LANE", "priority": "NORMAL",
        "dispatchLimitMinutes": 30, "handleLimitMinutes": 60, "verifyLimitMinutes": 60, "calendarKind": "WORKING", "calendarCode": "TEST"});
    assert_eq!(
        app.graphql_as(Some(&admin), q, json!({"i": cat})).await["data"]["upsertCategory"]["category"]
            ["calendarCode"],
        "TEST"
    );
    let worker = app.login(town::WORKER1).await;
    let n = app.report_number(&worker, "0511", 52.0, 150.0).await;
    let t = sla_of(&app, &worker, &n).await;
    // Monday is a holiday: the hour is worked Tuesday 08:30–09:30 Shanghai.
    let due: chrono::DateTime<Utc> = t["sla"]["dueAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap());
}

#[tokio::test]
async fn a_category_with_an_unknown_calendar_is_refused() {
    let app = quiet_app().await;
    let admin = app.admin_token().await;
    let q =
        "mutation($i: UpsertCategoryInput!) { upsertCategory(input: $i) { category { code } } }";
    let cat = json!({"code": "0512", "name": "测试", "nameEn": "Test", "handlerLevel": "LANE", "priority": "NORMAL",
        "dispatchLimitMinutes": 30, "handleLimitMinutes": 60, "verifyLimitMinutes": 60, "calendarKind": "WORKING", "calendarCode": "NOPE"});
    let body = app.graphql_as(Some(&admin), q, json!({"i": cat})).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "calendarCode");
}

#[tokio::test]
async fn the_shipped_calendar_knows_the_2026_holidays_and_make_up_days() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let body = app
        .graphql_as(
            Some(&token),
            "{ calendars { code timezone holidays workdays } }",
            json!({}),
        )
        .await;
    let cn = body["data"]["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "CN")
        .unwrap()
        .clone();
    assert_eq!(cn["timezone"], "Asia/Shanghai");
    assert!(
        cn["holidays"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-10-01"))
    );
    assert!(
        cn["workdays"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-02-14"))
    );
}

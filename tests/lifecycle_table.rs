//! Every (status, action, role) combination against the lifecycle table of domain.md,
//! transcribed here independently of the code that enforces it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use futures::StreamExt;
use gridloop::clock::Clock;
use gridloop::domain::role::Role;
use gridloop::entity::{extension_request, ticket};
use gridloop::service::evidence::NewPhoto;
use gridloop::service::{auth, tickets, users};
use helpers::tickets::photo;
use helpers::town::{self, at};
use helpers::{TestApp, error_code, spawn_app};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

const STATUSES: [&str; 9] = [
    "REPORTED",
    "DISPATCHED",
    "IN_PROGRESS",
    "RETURNED",
    "RESOLVED",
    "CLOSED",
    "REJECTED",
    "DUPLICATE",
    "SUSPENDED",
];
const OPEN: &[&str] = &[
    "REPORTED",
    "DISPATCHED",
    "IN_PROGRESS",
    "RETURNED",
    "RESOLVED",
    "SUSPENDED",
];

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Dispatcher,
    Assignee,
    Manager,
    DispatcherOrManager,
    GridWorkerOrDispatcher,
    ReporterOrDispatcher,
}

/// (mutation, statuses it may start from, who may perform it) — domain.md "The loop".
fn table() -> Vec<(&'static str, &'static [&'static str], Who)> {
    vec![
        ("dispatchTicket", &["REPORTED", "RETURNED"], Who::Dispatcher),
        ("rejectTicket", &["REPORTED", "RETURNED"], Who::Dispatcher),
        (
            "markDuplicate",
            &["REPORTED", "RETURNED", "DISPATCHED"],
            Who::Dispatcher,
        ),
        ("acceptTicket", &["DISPATCHED"], Who::Assignee),
        (
            "returnTicket",
            &["DISPATCHED", "IN_PROGRESS"],
            Who::Assignee,
        ),
        (
            "requestExtension",
            &["DISPATCHED", "IN_PROGRESS"],
            Who::Assignee,
        ),
        (
            "decideExtension",
            &["DISPATCHED", "IN_PROGRESS", "SUSPENDED"],
            Who::DispatcherOrManager,
        ),
        (
            "resolveTicket",
            &["DISPATCHED", "IN_PROGRESS"],
            Who::Assignee,
        ),
        ("verifyTicket", &["RESOLVED"], Who::GridWorkerOrDispatcher),
        (
            "suspendTicket",
            &["DISPATCHED", "IN_PROGRESS"],
            Who::Manager,
        ),
        ("resumeTicket", &["SUSPENDED"], Who::Manager),
        ("reopenTicket", &["CLOSED"], Who::DispatcherOrManager),
        ("submitFeedback", &["CLOSED"], Who::ReporterOrDispatcher),
        ("superviseTicket", OPEN, Who::Manager),
    ]
}

/// The people: the grid worker reported the ticket and works its grid; lane1 is its assignee.
fn may(who: Who, role: Role) -> bool {
    match who {
        Who::Dispatcher => role == Role::Dispatcher,
        Who::Assignee => role == Role::LaneChief,
        Who::Manager => role == Role::Manager,
        Who::DispatcherOrManager => matches!(role, Role::Dispatcher | Role::Manager),
        Who::GridWorkerOrDispatcher | Who::ReporterOrDispatcher => {
            matches!(role, Role::GridWorker | Role::Dispatcher)
        }
    }
}

fn input(mutation: &str, number: &str, original: &str) -> Value {
    match mutation {
        "returnTicket" | "rejectTicket" | "suspendTicket" | "reopenTicket" => {
            json!({"number": number, "reason": "原因"})
        }
        "requestExtension" => json!({"number": number, "minutes": 60, "reason": "原因"}),
        "decideExtension" => json!({"number": number, "approved": true}),
        "verifyTicket" => json!({"number": number, "passed": true}),
        "markDuplicate" => json!({"number": number, "originalNumber": original}),
        "superviseTicket" => json!({"number": number, "note": "督办"}),
        "submitFeedback" => json!({"number": number, "score": 4}),
        _ => json!({"number": number}),
    }
}

/// A fresh ticket forced into `status`, assigned to lane1 (with a pending extension request
/// when the extension is to be decided).
async fn ticket_in(app: &TestApp, status: &str, lane1: i64, pending_extension: bool) -> String {
    let worker = users::get_by_email(&app.state, town::WORKER1)
        .await
        .unwrap();
    let viewer = auth::load_viewer(&app.db, worker).await.unwrap();
    let (lat, lon) = at(52.0, 150.0);
    let out = tickets::report(
        &app.state,
        &viewer,
        tickets::ReportInput {
            category_code: "0507".into(),
            description: "乱堆物".into(),
            lat,
            lon,
            photos: vec![NewPhoto {
                bytes: photo(),
                taken_at: None,
                lat: None,
                lon: None,
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = out.ticket;
    let now = app.clock.now();
    let mut a: ticket::ActiveModel = t.clone().into();
    a.status = Set(status.to_string());
    a.assignee_id = Set(Some(lane1));
    a.due_at = Set(Some(now + chrono::Duration::hours(4)));
    a.dispatched_at = Set(Some(now));
    if status == "SUSPENDED" {
        a.suspended_at = Set(Some(now));
    }
    a.update(&app.db).await.unwrap();
    if !pending_extension {
        return t.number;
    }
    extension_request::ActiveModel {
        ticket_id: Set(t.id),
        requested_by: Set(lane1),
        minutes: Set(30),
        reason: Set("seed".into()),
        status: Set("PENDING".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    t.number
}

#[tokio::test]
async fn every_status_action_and_role_combination_follows_the_table() {
    let app = spawn_app().await;
    app.import_town().await;
    let lane1 = users::get_by_email(&app.state, town::LANE1)
        .await
        .unwrap()
        .id;
    let people = vec![
        (Role::GridWorker, app.login(town::WORKER1).await),
        (Role::LaneChief, app.login(town::LANE1).await),
        (Role::StreetChief, app.login(town::STREET1).await),
        (
            Role::Dispatcher,
            app.login_as(Role::Dispatcher, &[town::TOWN]).await,
        ),
        (Role::Manager, app.login(town::MANAGER).await),
        (Role::Admin, app.admin().await),
    ];
    let original = ticket_in(&app, "REPORTED", lane1, false).await;
    let mut cases = Vec::new();
    for status in STATUSES {
        for (mutation, from, who) in table() {
            for (role, token) in &people {
                let expected = if !may(who, *role) {
                    "FORBIDDEN"
                } else if from.contains(&status) {
                    "OK"
                } else {
                    "BAD_USER_INPUT"
                };
                cases.push((status, mutation, *role, token.clone(), expected));
            }
        }
    }
    let total = cases.len();
    let app = &app;
    let original = &original;
    let mismatches: Vec<String> = futures::stream::iter(cases)
        .map(|(status, mutation, role, token, expected)| async move {
            let number = ticket_in(app, status, lane1, mutation == "decideExtension").await;
            let before = app.ticket(&token, &number).await;
            let body = if mutation == "resolveTicket" {
                app.resolve(&token, &number, photo(), None).await
            } else {
                app.act(&token, mutation, input(mutation, &number, original))
                    .await
            };
            let got = match error_code(&body) {
                None if body["data"][mutation]["ticket"].is_object() => "OK".to_string(),
                None => format!("no data: {body}"),
                Some(code) => code,
            };
            if got != "OK" {
                let after = app
                    .graphql_as(
                        Some(&app.admin_token().await),
                        "query($n: String!) { ticket(number: $n) { version status } }",
                        json!({"n": number}),
                    )
                    .await;
                if !before.is_null() && after["data"]["ticket"]["version"] != before["version"] {
                    return Some(format!(
                        "{status} {mutation} {role}: refused but the ticket changed"
                    ));
                }
            }
            (got != expected)
                .then(|| format!("{status} {mutation} {role}: expected {expected}, got {got}"))
        })
        .buffer_unordered(8)
        .filter_map(|m| async move { m })
        .collect()
        .await;
    assert!(
        mismatches.is_empty(),
        "{} of {total} combinations differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

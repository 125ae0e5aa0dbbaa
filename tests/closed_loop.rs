//! The whole loop over HTTP as the real roles would walk it, and its variants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use chrono::DateTime;
use gridloop::domain::role::Role;
use helpers::tickets::{event_kinds, photo};
use helpers::town::{self, at};
use helpers::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};

struct Cast {
    worker: String,
    lane1: String,
    lane2: String,
    dispatcher: String,
    manager: String,
}

async fn town_with_cast() -> (TestApp, Cast) {
    let app = spawn_app().await;
    app.import_town().await;
    let cast = Cast {
        worker: app.login(town::WORKER1).await,
        lane1: app.login(town::LANE1).await,
        lane2: app.login(town::LANE2).await,
        dispatcher: app.login_as(Role::Dispatcher, &[town::TOWN]).await,
        manager: app.login(town::MANAGER).await,
    };
    (app, cast)
}

fn ticket_of(body: &Value, mutation: &str) -> Value {
    let t = body["data"][mutation]["ticket"].clone();
    assert!(t.is_object(), "{mutation} failed: {body}");
    t
}

fn due(t: &Value) -> DateTime<chrono::Utc> {
    t["dueAt"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_whole_loop_from_report_to_feedback() {
    let (app, c) = town_with_cast().await;

    let reported = app
        .report_at(&c.worker, "0501", 52.0, 150.0, json!({}))
        .await;
    let t = reported["data"]["reportIssue"]["ticket"].clone();
    let n = t["number"].as_str().unwrap().to_string();
    assert!(n.starts_with("GL-20261130-"), "{n}");
    assert_eq!(t["status"], "DISPATCHED");
    assert_eq!(t["assignee"]["email"], town::LANE1);
    assert_eq!(event_kinds(&t), ["REPORTED", "AUTO_DISPATCHED"]);
    let first_due = due(&t);

    let t = ticket_of(
        &app.act(&c.lane1, "acceptTicket", json!({"number": n}))
            .await,
        "acceptTicket",
    );
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(event_kinds(&t).last().unwrap(), "ACCEPTED");

    let t = ticket_of(
        &app.resolve(&c.lane1, &n, photo(), None).await,
        "resolveTicket",
    );
    assert_eq!(t["status"], "RESOLVED");
    assert_eq!(t["fakeFixSuspected"], false);

    let t = ticket_of(
        &app.act(
            &c.worker,
            "verifyTicket",
            json!({"number": n, "passed": false, "note": "还有一辆车"}),
        )
        .await,
        "verifyTicket",
    );
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(t["reworkCount"], 1);
    assert_eq!(due(&t), first_due, "rework does not move dueAt");

    let t = ticket_of(
        &app.resolve(&c.lane1, &n, photo(), None).await,
        "resolveTicket",
    );
    assert_eq!(t["status"], "RESOLVED");

    let t = ticket_of(
        &app.act(
            &c.worker,
            "verifyTicket",
            json!({"number": n, "passed": true}),
        )
        .await,
        "verifyTicket",
    );
    assert_eq!(t["status"], "CLOSED");

    let t = ticket_of(
        &app.act(
            &c.worker,
            "submitFeedback",
            json!({"number": n, "score": 5, "comment": "很快"}),
        )
        .await,
        "submitFeedback",
    );
    assert_eq!(t["feedbackScore"], 5);
    assert_eq!(
        event_kinds(&t),
        [
            "REPORTED",
            "AUTO_DISPATCHED",
            "ACCEPTED",
            "RESOLVED",
            "VERIFY_FAILED",
            "RESOLVED",
            "VERIFIED",
            "FEEDBACK"
        ]
    );
    let seqs: Vec<i64> = t["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    assert_eq!(t["version"], 8);
}

#[tokio::test]
async fn a_returned_ticket_is_redispatched_to_another_chief_with_a_full_limit() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    app.clock.advance(chrono::Duration::minutes(30));
    let t = ticket_of(
        &app.act(
            &c.lane1,
            "returnTicket",
            json!({"number": n, "reason": "不是我的巷"}),
        )
        .await,
        "returnTicket",
    );
    assert_eq!(t["status"], "RETURNED");
    assert!(t["assignee"].is_null());
    assert!(t["dueAt"].is_null(), "the clock stops");
    assert_eq!(t["returnCount"], 1);

    let lane2_id = app
        .graphql_as(Some(&c.lane2), "{ me { id } }", json!({}))
        .await["data"]["me"]["id"]
        .clone();
    let t = ticket_of(
        &app.act(
            &c.dispatcher,
            "dispatchTicket",
            json!({"number": n, "assigneeId": lane2_id}),
        )
        .await,
        "dispatchTicket",
    );
    assert_eq!(t["status"], "DISPATCHED");
    assert_eq!(t["assignee"]["email"], town::LANE2);
    // Monday 09:30 Shanghai + 2 working hours = 11:30 (03:30 UTC).
    assert_eq!(
        due(&t),
        "2026-11-30T03:30:00Z"
            .parse::<DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(
        event_kinds(&t),
        ["REPORTED", "AUTO_DISPATCHED", "RETURNED", "DISPATCHED"]
    );
}

#[tokio::test]
async fn an_approved_extension_moves_the_deadline_in_working_time() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let t = ticket_of(
        &app.act(
            &c.lane1,
            "requestExtension",
            json!({"number": n, "minutes": 120, "reason": "需要拖车"}),
        )
        .await,
        "requestExtension",
    );
    assert_eq!(
        due(&t),
        "2026-11-30T03:00:00Z"
            .parse::<DateTime<chrono::Utc>>()
            .unwrap(),
        "unchanged until decided"
    );
    let again = app
        .act(
            &c.lane1,
            "requestExtension",
            json!({"number": n, "minutes": 60, "reason": "再要一点"}),
        )
        .await;
    assert_eq!(
        error_code(&again).as_deref(),
        Some("BAD_USER_INPUT"),
        "one pending request at a time"
    );
    let t = ticket_of(
        &app.act(
            &c.manager,
            "decideExtension",
            json!({"number": n, "approved": true}),
        )
        .await,
        "decideExtension",
    );
    // 11:00 + 2 working hours = 11:00–12:00 then 13:30–14:30 Shanghai.
    assert_eq!(
        due(&t),
        "2026-11-30T06:30:00Z"
            .parse::<DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(t["extensionCount"], 1);
    assert_eq!(
        event_kinds(&t)[2..],
        ["EXTENSION_REQUESTED", "EXTENSION_DECIDED"]
    );
}

#[tokio::test]
async fn suspension_pauses_the_clock_and_resume_moves_the_deadline() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let t = ticket_of(
        &app.act(
            &c.manager,
            "suspendTicket",
            json!({"number": n, "reason": "等待执法部门"}),
        )
        .await,
        "suspendTicket",
    );
    assert_eq!(t["status"], "SUSPENDED");
    app.clock.advance(chrono::Duration::minutes(45));
    let t = ticket_of(
        &app.act(&c.manager, "resumeTicket", json!({"number": n}))
            .await,
        "resumeTicket",
    );
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(
        due(&t),
        "2026-11-30T03:45:00Z"
            .parse::<DateTime<chrono::Utc>>()
            .unwrap()
    );
}

#[tokio::test]
async fn a_dispatcher_rejects_an_invalid_report_for_good() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 900.0, 900.0).await;
    let t = app.ticket(&c.dispatcher, &n).await;
    assert_eq!(t["status"], "REPORTED");
    assert_eq!(t["routed"], false);
    let t = ticket_of(
        &app.act(
            &c.dispatcher,
            "rejectTicket",
            json!({"number": n, "reason": "不属于城管事件"}),
        )
        .await,
        "rejectTicket",
    );
    assert_eq!(t["status"], "REJECTED");
    let again = app
        .act(&c.dispatcher, "dispatchTicket", json!({"number": n}))
        .await;
    assert_eq!(error_code(&again).as_deref(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn a_nearby_repeat_is_offered_as_a_duplicate_and_marked_so() {
    let (app, c) = town_with_cast().await;
    let first = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let second = app
        .report_at(&c.worker, "0501", 60.0, 150.0, json!({}))
        .await;
    let candidates = second["data"]["reportIssue"]["duplicateCandidates"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(candidates[0]["ticket"]["number"], first.as_str());
    assert!(candidates[0]["distanceMeters"].as_f64().unwrap() < 10.0);
    let n2 = second["data"]["reportIssue"]["ticket"]["number"]
        .as_str()
        .unwrap();
    let t = ticket_of(
        &app.act(
            &c.dispatcher,
            "markDuplicate",
            json!({"number": n2, "originalNumber": first}),
        )
        .await,
        "markDuplicate",
    );
    assert_eq!(t["status"], "DUPLICATE");
    let original = app
        .graphql_as(
            Some(&c.dispatcher),
            "query($n: String!) { ticket(number: $n) { duplicates { number } } }",
            json!({"n": first}),
        )
        .await;
    assert_eq!(original["data"]["ticket"]["duplicates"][0]["number"], n2);
}

#[tokio::test]
async fn a_problem_fixed_on_site_is_closed_at_once_and_never_dispatched() {
    let (app, c) = town_with_cast().await;
    let body = app
        .report_at(
            &c.worker,
            "0506",
            52.0,
            150.0,
            json!({"handledOnSite": true, "afterPhotos": []}),
        )
        .await;
    let t = body["data"]["reportIssue"]["ticket"].clone();
    assert_eq!(t["status"], "CLOSED", "{body}");
    assert_eq!(t["handledOnSite"], true);
    assert!(t["assignee"].is_null());
    assert_eq!(event_kinds(&t), ["HANDLED_ON_SITE"]);
}

#[tokio::test]
async fn on_site_handling_without_an_after_photo_is_refused() {
    let (app, c) = town_with_cast().await;
    let (lat, lon) = at(52.0, 150.0);
    let body = app
        .graphql_multipart(
            &c.worker,
            "mutation($input: ReportIssueInput!) { reportIssue(input: $input) { ticket { number } } }",
            json!({"input": {"categoryCode": "0506", "description": "x", "lat": lat, "lon": lon, "handledOnSite": true, "photos": [{"file": null}]}}),
            vec![("variables.input.photos.0.file".into(), photo())],
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "afterPhotos");
}

#[tokio::test]
async fn a_closed_ticket_is_reopened_when_the_citizen_is_not_satisfied() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    app.resolve(&c.lane1, &n, photo(), None).await;
    app.act(
        &c.worker,
        "verifyTicket",
        json!({"number": n, "passed": true}),
    )
    .await;
    let t = ticket_of(
        &app.act(
            &c.manager,
            "reopenTicket",
            json!({"number": n, "reason": "市民不满意"}),
        )
        .await,
        "reopenTicket",
    );
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(event_kinds(&t).last().unwrap(), "REOPENED");
}

#[tokio::test]
async fn supervision_raises_the_escalation_level() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let t = ticket_of(
        &app.act(
            &c.manager,
            "superviseTicket",
            json!({"number": n, "note": "请尽快处理"}),
        )
        .await,
        "superviseTicket",
    );
    assert_eq!(t["escalationLevel"], 1);
    assert_eq!(t["status"], "DISPATCHED");
}

#[tokio::test]
async fn a_retried_report_with_the_same_client_request_id_creates_nothing_new() {
    let (app, c) = town_with_cast().await;
    let a = app
        .report_at(
            &c.worker,
            "0501",
            52.0,
            150.0,
            json!({"clientRequestId": "phone-1-0001"}),
        )
        .await;
    let b = app
        .report_at(
            &c.worker,
            "0501",
            52.0,
            150.0,
            json!({"clientRequestId": "phone-1-0001"}),
        )
        .await;
    assert_eq!(
        a["data"]["reportIssue"]["ticket"]["number"],
        b["data"]["reportIssue"]["ticket"]["number"]
    );
    assert_eq!(b["data"]["reportIssue"]["replayed"], true);
    let list = app
        .graphql_as(Some(&c.dispatcher), "{ tickets { totalCount } }", json!({}))
        .await;
    assert_eq!(list["data"]["tickets"]["totalCount"], 1);
}

#[tokio::test]
async fn an_after_photo_reused_from_another_ticket_flags_a_faked_fix() {
    let (app, c) = town_with_cast().await;
    let a = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let b = app.report_number(&c.worker, "0501", 52.0, 160.0).await;
    let shot = photo();
    let t = ticket_of(
        &app.resolve(&c.lane1, &a, shot.clone(), None).await,
        "resolveTicket",
    );
    assert_eq!(t["fakeFixSuspected"], false);
    let t = ticket_of(
        &app.resolve(&c.lane1, &b, shot, None).await,
        "resolveTicket",
    );
    assert_eq!(t["fakeFixSuspected"], true);
    assert!(t["fakeFixReasons"][0].as_str().unwrap().contains(&a));
}

#[tokio::test]
async fn an_after_photo_taken_far_away_flags_a_faked_fix() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let t = ticket_of(
        &app.resolve(&c.lane1, &n, photo(), Some(at(52.0, 450.0)))
            .await,
        "resolveTicket",
    );
    assert_eq!(t["fakeFixSuspected"], true);
}

#[tokio::test]
async fn resolving_without_a_photo_is_refused_and_changes_nothing() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let body = app
        .act(
            &c.lane1,
            "resolveTicket",
            json!({"number": n, "note": "done", "photos": []}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "photos");
    assert_eq!(app.ticket(&c.lane1, &n).await["version"], 2);
}

#[tokio::test]
async fn evidence_is_served_to_those_who_may_see_the_ticket_only() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let ev = app
        .graphql_as(
            Some(&c.lane1),
            "query($n: String!) { ticket(number: $n) { evidence { url kind } } }",
            json!({"n": n}),
        )
        .await;
    let url = ev["data"]["ticket"]["evidence"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ev["data"]["ticket"]["evidence"][0]["kind"], "BEFORE");
    let ok = app
        .client
        .get(app.url(&url))
        .bearer_auth(&c.lane1)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let stranger = app.login_as(Role::Manager, &[town::C2]).await;
    let denied = app
        .client
        .get(app.url(&url))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    let anonymous = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn queues_show_each_role_what_waits_on_them() {
    let (app, c) = town_with_cast().await;
    let dispatched = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let unrouted = app.report_number(&c.worker, "0501", 900.0, 900.0).await;
    let resolved = app.report_number(&c.worker, "0501", 52.0, 160.0).await;
    app.resolve(&c.lane1, &resolved, photo(), None).await;
    let q = "{ myQueue { totalCount edges { node { number } } } }";
    let numbers = |body: Value| -> Vec<String> {
        body["data"]["myQueue"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["number"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        numbers(app.graphql_as(Some(&c.lane1), q, json!({})).await),
        vec![dispatched.clone()]
    );
    assert_eq!(
        numbers(app.graphql_as(Some(&c.worker), q, json!({})).await),
        vec![resolved]
    );
    assert_eq!(
        numbers(app.graphql_as(Some(&c.dispatcher), q, json!({})).await),
        vec![unrouted]
    );
}

#[tokio::test]
async fn tickets_can_be_filtered_by_status_place_and_distance() {
    let (app, c) = town_with_cast().await;
    let near = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    app.report_number(&c.worker, "0505", 200.0, 305.0).await;
    let by_status = app
        .graphql_as(
            Some(&c.manager),
            "{ tickets(filter: {status: [DISPATCHED], categoryCode: \"0501\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(by_status["data"]["tickets"]["totalCount"], 1);
    let by_place = app
        .graphql_as(
            Some(&c.manager),
            &format!(
                "{{ tickets(filter: {{jurisdictionCode: \"{}\"}}) {{ totalCount }} }}",
                town::C2
            ),
            json!({}),
        )
        .await;
    assert_eq!(by_place["data"]["tickets"]["totalCount"], 1);
    let (lat, lon) = at(50.0, 150.0);
    let by_distance = app
        .graphql_as(Some(&c.manager), "query($lat: Float!, $lon: Float!) { tickets(filter: {near: {lat: $lat, lon: $lon, radiusMeters: 20}}) { totalCount edges { node { number } } } }", json!({"lat": lat, "lon": lon}))
        .await;
    assert_eq!(by_distance["data"]["tickets"]["totalCount"], 1);
    assert_eq!(
        by_distance["data"]["tickets"]["edges"][0]["node"]["number"],
        near.as_str()
    );
}

#[tokio::test]
async fn a_manager_outside_the_scope_cannot_see_the_ticket() {
    let (app, c) = town_with_cast().await;
    let n = app.report_number(&c.worker, "0501", 52.0, 150.0).await;
    let stranger = app.login_as(Role::Manager, &[town::C2]).await;
    let body = app
        .graphql_as(
            Some(&stranger),
            "query($n: String!) { ticket(number: $n) { number } }",
            json!({"n": n}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));
    let list = app
        .graphql_as(Some(&stranger), "{ tickets { totalCount } }", json!({}))
        .await;
    assert_eq!(list["data"]["tickets"]["totalCount"], 0);
}

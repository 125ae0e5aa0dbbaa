//! Statistics with known answers: the published example (立案 996, 应结案 972, 结案 911, 按期结案
//! 737 → 93.72 % / 75.82 %) with every indicator of every breakdown; asOf, exact mode and ragged
//! periods; scope rules; rankings with a minimum sample; hotspots and repeats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridloop::domain::role::Role;
use gridloop::service::statistics::rebuild;
use helpers::stats::{
    Place, Spec, TZ, assert_groups, assert_indicators, expected, insert, statistics_query,
};
use helpers::{TestApp, error_code, spawn_app_with, town};
use serde_json::{Value, json};

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    local(2026, 12, 15, 9, 0)
}

const FROM: &str = "2026-10-01T00:00:00+08:00";
const TO: &str = "2026-12-01T00:00:00+08:00";

const PLACES: [Place; 4] = [
    Place {
        town: Some(town::TOWN),
        community: Some(town::C1),
        grid: Some(town::G1),
        street: Some("ST-RENMIN"),
        lane: Some("LN-1"),
        chief: Some(town::LANE1),
    },
    Place {
        town: Some(town::TOWN),
        community: Some(town::C1),
        grid: Some(town::G1),
        street: Some("ST-RENMIN"),
        lane: Some("LN-2"),
        chief: Some(town::LANE2),
    },
    Place {
        town: Some(town::TOWN),
        community: Some(town::C1),
        grid: Some(town::G2),
        street: Some("ST-RENMIN"),
        lane: Some("LN-3"),
        chief: Some(town::STREET1),
    },
    Place {
        town: Some(town::TOWN),
        community: Some(town::C2),
        grid: Some(town::G3),
        street: Some("ST-NOCHIEF"),
        lane: None,
        chief: Some(town::COMMUNITY2),
    },
];

const OUTSIDE: Place = Place {
    town: None,
    community: None,
    grid: None,
    street: None,
    lane: None,
    chief: Some(town::STREET1),
};

/// 1,013 tickets: 737 closed on time, 174 closed late, 61 open past their deadline (立案 996 −
/// 24 not yet due = 应结案 972), 10 due after asOf, 6 suspended, 8 never dispatched or returned,
/// 9 rejected, 5 duplicates, and 3 outside every grid (closed, counted only for everything).
/// Durations are whole minutes falling alone in their histogram bins, so every median is exact.
fn published_example() -> Vec<Spec> {
    let categories = ["0501", "0505", "0101"];
    (0..1013usize)
        .map(|i| {
            let m = |minutes: i64| Duration::minutes(minutes);
            let reported = local(2026, 10, 1, 9, 0)
                + Duration::days(((i * 7) % 61) as i64)
                + m((i % 50) as i64);
            let hotline = i % 5 == 0;
            let dispatched = reported + m(if hotline { 5 } else { 0 });
            let due = dispatched + m(120);
            let mut s = Spec {
                place: if i >= 1010 { OUTSIDE } else { PLACES[i % 4] },
                category: categories[i % 3],
                source: if hotline { "HOTLINE" } else { "PATROL" },
                assigned: true,
                status: "CLOSED",
                reported_at: reported,
                first_dispatched_at: Some(dispatched),
                dispatched_at: Some(dispatched),
                first_resolved_at: None,
                resolved_at: None,
                closed_at: None,
                due_at: Some(due),
                rework_count: 0,
                return_count: 0,
                feedback_score: None,
                resolve_working_minutes: None,
                at: (100.0, 100.0),
            };
            let resolve = |s: &mut Spec, minutes: i64, close_after: Option<i64>| {
                let at = dispatched + m(minutes);
                s.first_resolved_at = Some(at);
                s.resolved_at = Some(at);
                s.resolve_working_minutes = Some(minutes);
                s.closed_at = close_after.map(|c| at + m(c));
            };
            match i {
                0..737 | 1010.. => {
                    resolve(&mut s, if i % 2 == 0 { 30 } else { 45 }, Some(20));
                    s.rework_count = i32::from(i % 10 == 0);
                    s.return_count = i32::from(i % 11 == 0);
                    s.feedback_score = (i % 4 == 0).then_some(5).or((i % 9 == 0).then_some(2));
                }
                737..911 => {
                    resolve(&mut s, 150, Some(40));
                    s.rework_count = i32::from(i % 7 == 0);
                    s.feedback_score = (i % 6 == 0).then_some(3);
                }
                911..972 => match i % 3 {
                    0 => {
                        resolve(&mut s, 130, None);
                        s.status = "RESOLVED";
                    }
                    1 => s.status = "IN_PROGRESS",
                    _ => s.status = "DISPATCHED",
                },
                972..982 => {
                    s.status = "DISPATCHED";
                    s.due_at = Some(now() + Duration::days(2));
                }
                982..988 => s.status = "SUSPENDED",
                988..996 if i % 2 == 0 => {
                    s.status = "REPORTED";
                    (s.first_dispatched_at, s.dispatched_at, s.due_at, s.assigned) =
                        (None, None, None, false);
                }
                988..996 => {
                    s.status = "RETURNED";
                    (s.due_at, s.assigned, s.return_count) = (None, false, 1);
                }
                996..1005 => {
                    s.status = "REJECTED";
                    (s.first_dispatched_at, s.dispatched_at, s.due_at, s.assigned) =
                        (None, None, None, false);
                }
                _ => {
                    s.status = "DUPLICATE";
                    (s.due_at, s.assigned) = (None, false);
                }
            }
            s
        })
        .collect()
}

async fn app_with_example() -> (TestApp, Vec<Spec>) {
    let app = spawn_app_with(|s| s.workers.sla_sweep_interval_ms = 0).await;
    app.import_town().await;
    app.clock.set(now());
    let specs = published_example();
    insert(&app, &specs).await;
    let summary = rebuild::rebuild(&app.state).await.unwrap();
    assert_eq!(summary.tickets, 1013);
    (app, specs)
}

async fn statistics(app: &TestApp, token: &str, input: Value) -> Value {
    let body = app
        .graphql_as(Some(token), &statistics_query(), json!({ "input": input }))
        .await;
    assert!(body["errors"].is_null(), "statistics failed: {body}");
    body["data"]["statistics"].clone()
}

fn in_town(specs: &[Spec]) -> Vec<&Spec> {
    specs.iter().filter(|s| s.place.town.is_some()).collect()
}

const GROUPINGS: [&str; 10] = [
    "CATEGORY",
    "STREET",
    "LANE",
    "GRID",
    "COMMUNITY",
    "ASSIGNEE",
    "SOURCE",
    "DAY",
    "WEEK",
    "MONTH",
];

#[tokio::test]
async fn the_published_example_and_every_breakdown_are_exact() {
    let (app, specs) = app_with_example().await;
    let manager = app.login(town::MANAGER).await;
    let town_specs = in_town(&specs);

    let s = statistics(
        &app,
        &manager,
        json!({"scope": town::TOWN, "from": FROM, "to": TO}),
    )
    .await;
    assert_eq!(s["basis"], "ROLLUPS");
    let t = &s["totals"];
    assert_eq!(
        (t["reported"].as_u64(), t["registered"].as_u64()),
        (Some(1010), Some(996))
    );
    assert_eq!(
        (t["dueCount"].as_u64(), t["closed"].as_u64()),
        (Some(972), Some(911))
    );
    assert_eq!(
        (t["closedOnTime"].as_u64(), t["overdueOpen"].as_u64()),
        (Some(737), Some(61))
    );
    let percent = |v: &Value| (v.as_f64().unwrap() * 10_000.0).round() / 100.0;
    assert_eq!(percent(&t["closureRate"]), 93.72);
    assert_eq!(percent(&t["onTimeClosureRate"]), 75.82);
    let all = expected(&town_specs, None, now());
    assert_indicators(t, &all[""], true, "totals");
    // 369 × 30 min, 368 × 45, 20 × 130 and 174 × 150: the 466th of 931 is 45.
    assert_eq!(t["toResolve"]["median"], 45.0);
    assert_eq!(t["toResolve"]["count"], 931);

    for group_by in GROUPINGS {
        let s = statistics(
            &app,
            &manager,
            json!({"scope": town::TOWN, "from": FROM, "to": TO, "groupBy": group_by}),
        )
        .await;
        let want = expected(&town_specs, Some(group_by), now());
        assert_groups(&s["groups"], &want, true, group_by);
        assert_indicators(&s["totals"], &all[""], true, &format!("{group_by} totals"));
    }
    let days = statistics(
        &app,
        &manager,
        json!({"scope": town::TOWN, "from": FROM, "to": TO, "groupBy": "DAY"}),
    )
    .await;
    assert_eq!(
        days["groups"].as_array().unwrap().len(),
        61,
        "every day listed, in order"
    );
    assert_eq!(days["groups"][0]["key"], "2026-10-01");
}

#[tokio::test]
async fn as_of_filters_and_ragged_periods_agree_with_the_reference() {
    let (app, specs) = app_with_example().await;
    let admin = app.admin_token().await;
    let town_specs = in_town(&specs);

    // At the ten pending deadlines they are due but not yet overdue; a moment later, overdue.
    let deadline = now() + Duration::days(2);
    let s = statistics(
        &app,
        &admin,
        json!({"scope": town::TOWN, "from": FROM, "to": TO, "asOf": deadline}),
    )
    .await;
    assert_eq!(
        (
            s["totals"]["dueCount"].as_u64(),
            s["totals"]["overdueOpen"].as_u64()
        ),
        (Some(982), Some(61))
    );
    assert_indicators(
        &s["totals"],
        &expected(&town_specs, None, deadline)[""],
        true,
        "at the deadline",
    );

    // Three days later the ten pending deadlines have passed.
    let later = now() + Duration::days(3);
    let s = statistics(
        &app,
        &admin,
        json!({"scope": town::TOWN, "from": FROM, "to": TO, "asOf": later}),
    )
    .await;
    assert_eq!(
        (
            s["totals"]["dueCount"].as_u64(),
            s["totals"]["overdueOpen"].as_u64()
        ),
        (Some(982), Some(71))
    );
    assert_indicators(
        &s["totals"],
        &expected(&town_specs, None, later)[""],
        true,
        "later",
    );

    // Everything (ADMIN, no scope) includes the tickets outside every grid.
    let s = statistics(&app, &admin, json!({"from": FROM, "to": TO})).await;
    let everything: Vec<&Spec> = specs.iter().collect();
    assert_indicators(
        &s["totals"],
        &expected(&everything, None, now())[""],
        true,
        "everything",
    );

    // Filters, a scope below the town, and edges that are not whole days or months.
    let ragged_from = local(2026, 10, 5, 13, 17);
    let ragged_to = local(2026, 11, 20, 9, 30);
    let inside = |s: &&Spec| s.reported_at >= ragged_from && s.reported_at < ragged_to;
    let cases = [
        (
            json!({"scope": town::TOWN, "categories": ["0505"], "groupBy": "STREET"}),
            Some("STREET"),
            town::TOWN,
            Some("0505"),
            None,
        ),
        (
            json!({"scope": town::TOWN, "sources": ["HOTLINE"], "groupBy": "ASSIGNEE"}),
            Some("ASSIGNEE"),
            town::TOWN,
            None,
            Some("HOTLINE"),
        ),
        (
            json!({"scope": town::C1, "groupBy": "CATEGORY"}),
            Some("CATEGORY"),
            town::C1,
            None,
            None,
        ),
        (
            json!({"scope": "ST-RENMIN", "groupBy": "LANE"}),
            Some("LANE"),
            "ST-RENMIN",
            None,
            None,
        ),
        (
            json!({"scope": town::C1, "groupBy": "STREET"}),
            Some("STREET"),
            town::C1,
            None,
            None,
        ),
        (
            json!({"scope": town::G3, "groupBy": "WEEK", "sources": ["PATROL"]}),
            Some("WEEK"),
            town::G3,
            None,
            Some("PATROL"),
        ),
    ];
    for (mut input, group_by, scope, category, source) in cases {
        input["from"] = json!(ragged_from);
        input["to"] = json!(ragged_to);
        let s = statistics(&app, &admin, input.clone()).await;
        let selected: Vec<&Spec> = town_specs
            .iter()
            .copied()
            .filter(inside)
            .filter(|s| {
                let p = s.place;
                [p.town, p.community, p.grid, p.street, p.lane].contains(&Some(scope))
            })
            .filter(|s| category.is_none_or(|c| s.category == c))
            .filter(|s| source.is_none_or(|c| s.source == c))
            .collect();
        let what = input.to_string();
        assert_indicators(
            &s["totals"],
            &expected(&selected, None, now())[""],
            true,
            &what,
        );
        assert_groups(
            &s["groups"],
            &expected(&selected, group_by, now()),
            true,
            &what,
        );
        input["exact"] = json!(true);
        let exact = statistics(&app, &admin, input).await;
        assert_eq!(exact["basis"], "TICKETS");
        assert_groups(
            &exact["groups"],
            &expected(&selected, group_by, now()),
            true,
            &what,
        );
    }
}

#[tokio::test]
async fn a_manager_sees_only_their_subtree() {
    let (app, _) = app_with_example().await;
    let c2_manager = app.login_as(Role::Manager, &[town::C2]).await;
    let ok = statistics(&app, &c2_manager, json!({"from": FROM, "to": TO})).await;
    assert_eq!(
        ok["scopeCode"],
        town::C2,
        "the one jurisdiction is the default scope"
    );
    assert_eq!(ok["totals"]["registered"], 249);
    for scope in [town::TOWN, town::C1, town::G1, "ST-RENMIN", town::DISTRICT] {
        let body = app
            .graphql_as(
                Some(&c2_manager),
                &statistics_query(),
                json!({"input": {"scope": scope}}),
            )
            .await;
        assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"), "{scope}");
    }
    let body = app
        .graphql_as(
            Some(&c2_manager),
            "query { ranking(input: {scope: \"310104001\", level: STREET}) { minSample } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));
    let body = app
        .graphql_as(
            Some(&c2_manager),
            &statistics_query(),
            json!({"input": {"scope": "NO-SUCH"}}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("NOT_FOUND"));
    let worker = app.login(town::WORKER1).await;
    let body = app
        .graphql_as(
            Some(&worker),
            &statistics_query(),
            json!({"input": {"scope": town::G1}}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));
    let body = app.graphql(&statistics_query(), json!({"input": {}})).await;
    assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
    let body = app
        .graphql_as(
            Some(&c2_manager),
            &statistics_query(),
            json!({"input": {"from": TO, "to": FROM}}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "to");
}

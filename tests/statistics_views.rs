//! Rankings with a minimum sample, hotspots with repeats, and the overdue list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridloop::service::statistics::rebuild;
use helpers::stats::{Place, Spec, TZ, insert};
use helpers::{TestApp, error_code, spawn_app_with, town};
use serde_json::{Value, json};

fn day(n: i64) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 9, 1, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
        + Duration::days(n)
}

fn lane(code: &'static str, chief: &'static str, grid: &'static str) -> Place {
    Place {
        town: Some(town::TOWN),
        community: Some(if grid == town::G3 { town::C2 } else { town::C1 }),
        grid: Some(grid),
        street: Some(if grid == town::G3 {
            "ST-NOCHIEF"
        } else {
            "ST-RENMIN"
        }),
        lane: (!code.is_empty()).then_some(code),
        chief: Some(chief),
    }
}

async fn app_with(specs: &[Spec]) -> TestApp {
    let app = spawn_app_with(|s| s.workers.sla_sweep_interval_ms = 0).await;
    app.import_town().await;
    app.clock.set(day(200));
    insert(&app, specs).await;
    rebuild::rebuild(&app.state).await.unwrap();
    app
}

async fn query(app: &TestApp, token: &str, q: &str, vars: Value) -> Value {
    let body = app.graphql_as(Some(token), q, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

const RANKING: &str = "query($input: RankingInput!) { ranking(input: $input) { level minSample basis ranked { rank group { key label score dueCount belowMinSample } } unranked { key label dueCount score belowMinSample } } }";

#[tokio::test]
async fn rankings_order_by_score_and_list_small_samples_apart() {
    let ln1 = lane("LN-1", town::LANE1, town::G1);
    let ln2 = lane("LN-2", town::LANE2, town::G1);
    let ln3 = lane("LN-3", town::STREET1, town::G2);
    let g3 = lane("", town::COMMUNITY2, town::G3);
    let mut specs = Vec::new();
    for i in 0..12 {
        let on_time = Spec::dispatched(ln1, "0501", day(i)).closed_after(30);
        specs.push(if i < 10 {
            on_time
        } else {
            Spec::dispatched(ln1, "0501", day(i))
        });
        specs.push(Spec::dispatched(ln2, "0501", day(i)).closed_after(300));
    }
    for i in 0..3 {
        specs.push(Spec::dispatched(ln3, "0505", day(i)).closed_after(30));
        specs.push(Spec::dispatched(g3, "0505", day(i)).closed_after(30));
    }
    let app = app_with(&specs).await;
    let manager = app.login(town::MANAGER).await;
    let period = json!({"scope": town::TOWN, "from": day(-1), "to": day(100)});

    let mut input = period.clone();
    input["level"] = json!("LANE");
    let r = query(&app, &manager, RANKING, json!({"input": input})).await["ranking"].clone();
    assert_eq!(r["minSample"], 10);
    let ranked: Vec<(&str, i64)> = r["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["key"].as_str().unwrap(),
                g["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranked, [("LN-1", 1), ("LN-2", 2)]);
    let score = |v: &Value| (v.as_f64().unwrap() * 100.0).round() / 100.0;
    // LN-1: 10 of 12 closed, all on time: 30·10/12 + 40·10/12 + 20 + 10.
    assert_eq!(score(&r["ranked"][0]["group"]["score"]), 88.33);
    // LN-2: all closed, none on time: 30 + 0 + 20 + 10.
    assert_eq!(score(&r["ranked"][1]["group"]["score"]), 60.0);
    let unranked: Vec<&str> = r["unranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        unranked,
        ["LN-3"],
        "three cases are too few; tickets without a lane are nobody's"
    );
    assert_eq!(r["unranked"][0]["belowMinSample"], true);

    input["minSample"] = json!(1);
    let r = query(&app, &manager, RANKING, json!({"input": input})).await["ranking"].clone();
    let keys: Vec<&str> = r["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["LN-3", "LN-1", "LN-2"],
        "a perfect small lane ranks first once allowed"
    );

    let mut input = period.clone();
    input["level"] = json!("STREET");
    let r = query(&app, &manager, RANKING, json!({"input": input})).await["ranking"].clone();
    assert_eq!(r["ranked"][0]["group"]["key"], "ST-RENMIN");
    assert_eq!(r["ranked"][0]["group"]["dueCount"], 27);
    assert_eq!(r["unranked"][0]["key"], "ST-NOCHIEF");

    // A period with no tickets on one street still lists it, unranked, with no score.
    let mut input = json!({"scope": town::TOWN, "from": day(5), "to": day(100), "level": "STREET"});
    input["minSample"] = json!(1);
    let r = query(&app, &manager, RANKING, json!({"input": input})).await["ranking"].clone();
    assert_eq!(r["unranked"][0]["key"], "ST-NOCHIEF");
    assert!(r["unranked"][0]["score"].is_null());

    let mut input = period.clone();
    input["level"] = json!("ASSIGNEE");
    let r = query(&app, &manager, RANKING, json!({"input": input})).await["ranking"].clone();
    assert_eq!(r["ranked"][0]["group"]["key"], town::LANE1);
    assert_eq!(r["ranked"][0]["group"]["label"], "lane1");
}

const HOTSPOTS: &str = "query($input: HotspotsInput!) { hotspots(input: $input) { cellMeters cells { cell count repeatCount topCategoryCode topCategoryName topCategoryCount centerLat centerLon } } }";

#[tokio::test]
async fn hotspots_count_tickets_per_cell_and_repeats_within_thirty_days() {
    let ln1 = lane("LN-1", town::LANE1, town::G1);
    let ln3 = lane("LN-3", town::STREET1, town::G2);
    let g3 = lane("", town::COMMUNITY2, town::G3);
    let start = 30;
    let specs = vec![
        // Cell A: one before the period, then +15 d (repeat), +30 d (repeat), +65 d (not).
        Spec::dispatched(ln1, "0501", day(start - 10)).at(50.0, 150.0),
        Spec::dispatched(ln1, "0501", day(start + 5)).at(50.0, 150.0),
        Spec::dispatched(ln1, "0505", day(start + 20)).at(50.0, 150.0),
        Spec::dispatched(ln1, "0501", day(start + 55)).at(50.0, 150.0),
        // Cell B: four days in a row, same category.
        Spec::dispatched(ln3, "0101", day(start + 1)).at(300.0, 150.0),
        Spec::dispatched(ln3, "0101", day(start + 2)).at(300.0, 150.0),
        Spec::dispatched(ln3, "0101", day(start + 3)).at(300.0, 150.0),
        Spec::dispatched(ln3, "0101", day(start + 4)).at(300.0, 150.0),
        // Cell C: one ticket, and a rejected report that does not count.
        Spec::dispatched(g3, "0505", day(start + 6)).at(200.0, 350.0),
        Spec::dispatched(g3, "0505", day(start + 7))
            .at(200.0, 350.0)
            .status("REJECTED"),
    ];
    let app = app_with(&specs).await;
    let manager = app.login(town::MANAGER).await;
    let input = json!({"scope": town::TOWN, "from": day(start), "to": day(start + 60), "cellMeters": 100.0});
    let h = query(&app, &manager, HOTSPOTS, json!({"input": input})).await["hotspots"].clone();
    let cells = h["cells"].as_array().unwrap();
    let summary: Vec<(i64, i64, &str, i64)> = cells
        .iter()
        .map(|c| {
            (
                c["count"].as_i64().unwrap(),
                c["repeatCount"].as_i64().unwrap(),
                c["topCategoryCode"].as_str().unwrap(),
                c["topCategoryCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(4, 3, "0101", 4), (3, 2, "0501", 2), (1, 0, "0505", 1)]
    );
    assert_eq!(cells[1]["topCategoryName"], "无照经营游商");
    let (lat, lon) = town::at(50.0, 150.0);
    assert!((cells[1]["centerLat"].as_f64().unwrap() - lat).abs() < 0.001);
    assert!((cells[1]["centerLon"].as_f64().unwrap() - lon).abs() < 0.001);

    let mut top = input.clone();
    top["top"] = json!(1);
    let h = query(&app, &manager, HOTSPOTS, json!({"input": top})).await["hotspots"].clone();
    assert_eq!(h["cells"].as_array().unwrap().len(), 1);
    let mut bad = input;
    bad["cellMeters"] = json!(1.0);
    let body = app
        .graphql_as(Some(&manager), HOTSPOTS, json!({"input": bad}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn the_overdue_list_puts_the_most_overdue_first() {
    let ln1 = lane("LN-1", town::LANE1, town::G1);
    let g3 = lane("", town::COMMUNITY2, town::G3);
    let specs = vec![
        Spec::dispatched(ln1, "0501", day(3)),
        Spec::dispatched(ln1, "0501", day(1)),
        Spec::dispatched(g3, "0501", day(2)).status("RESOLVED"),
        Spec::dispatched(ln1, "0501", day(0)).status("SUSPENDED"),
        Spec::dispatched(ln1, "0501", day(0)).closed_after(500),
        Spec::dispatched(ln1, "0501", day(200) - Duration::minutes(30)),
    ];
    let app = app_with(&specs).await;
    let manager = app.login(town::MANAGER).await;
    let q = "query($after: String) { overdue(scope: \"310104001\", first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number dueAt status } } } }";
    let page = query(&app, &manager, q, json!({})).await["overdue"].clone();
    assert_eq!(
        page["totalCount"], 3,
        "suspended, closed and not-yet-due tickets are not overdue"
    );
    let numbers = |p: &Value| -> Vec<String> {
        p["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["number"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(numbers(&page), ["GL-TEST-000001", "GL-TEST-000002"]);
    let after = page["pageInfo"]["endCursor"].clone();
    let next = query(&app, &manager, q, json!({"after": after})).await["overdue"].clone();
    assert_eq!(numbers(&next), ["GL-TEST-000000"]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    let c2 = app
        .login_as(gridloop::domain::role::Role::Manager, &[town::C2])
        .await;
    let mine = query(
        &app,
        &c2,
        "{ overdue { totalCount edges { node { status } } } }",
        json!({}),
    )
    .await;
    assert_eq!(mine["overdue"]["totalCount"], 1);
    assert_eq!(mine["overdue"]["edges"][0]["node"]["status"], "RESOLVED");
}

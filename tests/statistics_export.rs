//! CSV exports: UTF-8 with BOM, header, one row per ticket or group, quoting, streaming in
//! chunks, and the same scope rules as the API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::StreamExt;
use gridloop::domain::role::Role;
use gridloop::service::csv;
use gridloop::service::statistics::{export, rebuild, scope};
use gridloop::service::{auth, users};
use helpers::stats::{Place, Spec, TZ, insert};
use helpers::{TestApp, spawn_app_with, town};
use sea_orm::ConnectionTrait;

fn day(n: i64) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 9, 1, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
        + Duration::days(n)
}

const LN1: Place = Place {
    town: Some(town::TOWN),
    community: Some(town::C1),
    grid: Some(town::G1),
    street: Some("ST-RENMIN"),
    lane: Some("LN-1"),
    chief: Some(town::LANE1),
};

const G3: Place = Place {
    town: Some(town::TOWN),
    community: Some(town::C2),
    grid: Some(town::G3),
    street: Some("ST-NOCHIEF"),
    lane: None,
    chief: Some(town::COMMUNITY2),
};

/// 25 tickets on lane 1, 5 in grid 3, 2 after the period; the first one's description needs quoting.
async fn app() -> TestApp {
    let app = spawn_app_with(|s| s.workers.sla_sweep_interval_ms = 0).await;
    app.import_town().await;
    app.clock.set(day(60));
    let mut specs: Vec<Spec> = (0..25)
        .map(|i| Spec::dispatched(LN1, "0501", day(i)).closed_after(30))
        .collect();
    specs.extend((0..5).map(|i| Spec::dispatched(G3, "0505", day(i))));
    specs.extend((0..2).map(|i| Spec::dispatched(LN1, "0501", day(40 + i))));
    insert(&app, &specs).await;
    app.db
        .execute_unprepared("UPDATE ticket SET description = '人民路, 门口 \"占道\" 经营' WHERE number = 'GL-TEST-000000'")
        .await
        .unwrap();
    rebuild::rebuild(&app.state).await.unwrap();
    app
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn period() -> String {
    let enc = |t: DateTime<Utc>| t.to_rfc3339().replace('+', "%2B");
    format!("from={}&to={}", enc(day(-1)), enc(day(30)))
}

#[tokio::test]
async fn the_ticket_export_streams_every_ticket_of_the_scope_with_a_bom() {
    let app = app().await;
    let manager = app.login(town::MANAGER).await;
    let resp = get(
        &app,
        Some(&manager),
        &format!("/export/tickets.csv?scope={}&{}", town::TOWN, period()),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("tickets.csv")
    );
    assert!(
        resp.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 byte order mark for Excel"
    );
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let rows = csv::parse(&text);
    assert_eq!(
        rows[0].1[..6],
        ["编号", "状态", "类别代码", "类别", "来源", "上报时间"]
    );
    assert_eq!(rows.len(), 1 + 30);
    let first = &rows[1].1;
    assert_eq!(first[0], "GL-TEST-000000");
    assert_eq!(first[3], "无照经营游商");
    assert_eq!(first[5], "2026-09-01 10:00:00", "local time");
    assert_eq!(first[10], "是");
    assert_eq!(first[17], "人民路1弄");
    assert_eq!(first[18], "lane1");
    assert_eq!(first[20], "人民路, 门口 \"占道\" 经营");
    assert!(text.contains("\"人民路, 门口 \"\"占道\"\" 经营\""));

    // A community manager gets their community only; the town is refused.
    let c2 = app.login_as(Role::Manager, &[town::C2]).await;
    let text = get(
        &app,
        Some(&c2),
        &format!("/export/tickets.csv?{}", period()),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(csv::parse(&text).len(), 1 + 5);
    let refused = get(
        &app,
        Some(&c2),
        &format!("/export/tickets.csv?scope={}", town::TOWN),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let dispatcher = app.login_as(Role::Dispatcher, &[town::TOWN]).await;
    assert_eq!(
        get(&app, Some(&dispatcher), "/export/tickets.csv")
            .await
            .status(),
        403
    );
    assert_eq!(get(&app, None, "/export/tickets.csv").await.status(), 401);
    let bad = get(&app, Some(&manager), "/export/tickets.csv?from=yesterday").await;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_export_is_produced_chunk_by_chunk() {
    let app = app().await;
    let manager = users::get_by_email(&app.state, town::MANAGER)
        .await
        .unwrap();
    let viewer = auth::load_viewer(&app.db, manager).await.unwrap();
    let scope = scope::resolve(&app.state, &viewer, Some(town::TOWN))
        .await
        .unwrap();
    let pieces: Vec<String> = export::tickets(app.state.clone(), scope, day(-1), day(30), 7)
        .map(|p| p.unwrap())
        .collect()
        .await;
    assert_eq!(
        pieces.len(),
        1 + 30_usize.div_ceil(7),
        "header, then one piece per 7 tickets"
    );
    assert!(pieces[0].starts_with(export::BOM));
    assert_eq!(pieces[1].matches("\r\n").count(), 7);
    let rows = csv::parse(&pieces.concat());
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r.1[0].as_str()).collect();
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, numbers, "every ticket once, in id order");
}

#[tokio::test]
async fn the_statistics_export_has_the_totals_and_one_row_per_group() {
    let app = app().await;
    let manager = app.login(town::MANAGER).await;
    let resp = get(
        &app,
        Some(&manager),
        &format!(
            "/export/statistics.csv?scope={}&{}&groupBy=STREET&minSample=10",
            town::TOWN,
            period()
        ),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let rows = csv::parse(std::str::from_utf8(&bytes).unwrap());
    let header = &rows[0].1;
    assert_eq!(header[..4], ["分组", "名称", "上报数", "立案数"]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1 + 1 + 2);
    let totals = &rows[1].1;
    assert_eq!(
        (totals[0].as_str(), totals[col("立案数")].as_str()),
        ("合计", "30")
    );
    assert_eq!(totals[col("结案数")], "25");
    assert_eq!(totals[col("结案率(%)")], "83.33");
    let renmin = rows.iter().find(|r| r.1[0] == "ST-RENMIN").unwrap();
    assert_eq!(
        (renmin.1[1].as_str(), renmin.1[col("结案率(%)")].as_str()),
        ("人民路", "100.00")
    );
    let nochief = rows.iter().find(|r| r.1[0] == "ST-NOCHIEF").unwrap();
    assert_eq!(nochief.1[col("样本不足")], "是");
    let bad = get(&app, Some(&manager), "/export/statistics.csv?groupBy=YEAR").await;
    assert_eq!(bad.status(), 400);
}

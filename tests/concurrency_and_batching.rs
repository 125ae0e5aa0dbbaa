//! Two people acting at once: exactly one wins. A page of tickets costs a fixed number of queries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::service::evidence::NewPhoto;
use gridloop::service::{auth, tickets, users};
use helpers::tickets::photo;
use helpers::town::{self, at};
use helpers::{TestApp, error_code, spawn_app};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

async fn report_directly(app: &TestApp, n: usize) {
    let worker = users::get_by_email(&app.state, town::WORKER1)
        .await
        .unwrap();
    let viewer = auth::load_viewer(&app.db, worker).await.unwrap();
    for i in 0..n {
        let (lat, lon) = at(52.0, 110.0 + (i % 60) as f64);
        tickets::report(
            &app.state,
            &viewer,
            tickets::ReportInput {
                category_code: "0501".into(),
                description: format!("第{i}号"),
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
    }
}

#[tokio::test]
async fn fifty_concurrent_accepts_and_returns_have_exactly_one_winner() {
    let app = spawn_app().await;
    app.import_town().await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let calls = (0..50).map(|i| {
        let (app, lane1, n) = (&app, &lane1, &n);
        async move {
            if i % 2 == 0 {
                app.act(
                    lane1,
                    "acceptTicket",
                    json!({"number": n, "expectedVersion": 2}),
                )
                .await
            } else {
                app.act(
                    lane1,
                    "returnTicket",
                    json!({"number": n, "reason": "并发", "expectedVersion": 2}),
                )
                .await
            }
        }
    });
    let results = futures::future::join_all(calls).await;
    let winners = results.iter().filter(|r| error_code(r).is_none()).count();
    assert_eq!(winners, 1, "exactly one change wins");
    for r in &results {
        if let Some(code) = error_code(r) {
            assert_eq!(code, "CONFLICT", "every loser gets CONFLICT: {r}");
        }
    }
    let t = gridloop::entity::ticket::Entity::find()
        .filter(gridloop::entity::ticket::Column::Number.eq(n.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let events = gridloop::entity::ticket_event::Entity::find()
        .filter(gridloop::entity::ticket_event::Column::TicketId.eq(t.id))
        .order_by_asc(gridloop::entity::ticket_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    let seqs: Vec<i32> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        vec![1, 2, 3],
        "gap-free: report, auto-dispatch, the one winner"
    );
    assert_eq!(t.version, 3);
    assert_eq!(
        events[2].to_status.as_deref(),
        Some(t.status.as_str()),
        "state matches the last event"
    );
}

#[tokio::test]
async fn a_page_of_tickets_with_related_objects_costs_a_fixed_number_of_queries() {
    let app = spawn_app().await;
    app.import_town().await;
    report_directly(&app, 100).await;
    let token = app.admin_token().await;
    let query = "query($n: Int!) { tickets(first: $n) { totalCount edges { node { number reporter { email } assignee { email } category { name } grid { code } lane { code } } } } }";
    let count = async |first: i64| {
        let before = app.state.queries.get();
        let body = app
            .graphql_as(Some(&token), query, json!({"n": first}))
            .await;
        assert_eq!(
            body["data"]["tickets"]["edges"].as_array().unwrap().len() as i64,
            first,
            "{body}"
        );
        app.state.queries.get() - before
    };
    let ten = count(10).await;
    let hundred = count(100).await;
    // Without batching a page of 100 would cost over 400 queries. DataLoader batches by a short
    // time window, so on a loaded machine one kind's keys may be split over a few windows; the
    // cost must still stay small and not grow with the page.
    assert!(
        hundred <= ten * 2,
        "a page of 100 cost {hundred} queries, a page of 10 cost {ten}"
    );
    assert!(hundred <= 30, "{hundred} queries for a page of 100");
}

#[tokio::test]
async fn acting_on_a_version_you_did_not_see_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    app.import_town().await;
    let worker = app.login(town::WORKER1).await;
    let lane1 = app.login(town::LANE1).await;
    let n = app.report_number(&worker, "0501", 52.0, 150.0).await;
    let stale = app
        .act(
            &lane1,
            "acceptTicket",
            json!({"number": n, "expectedVersion": 1}),
        )
        .await;
    assert_eq!(error_code(&stale).as_deref(), Some("CONFLICT"));
    assert_eq!(app.ticket(&lane1, &n).await["status"], "DISPATCHED");
}

//! `serve --demo` seeds a working demo town.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use serde_json::json;

#[tokio::test]
async fn the_demo_town_is_seeded_and_its_logins_work() {
    let app = helpers::spawn_app_with(|s| s.demo = true).await;
    let login = app
        .graphql(
            "mutation { login(input: {email: \"manager@demo.gridloop\", password: \"gridloop-demo\"}) { token } }",
            json!({}),
        )
        .await;
    let token = login["data"]["login"]["token"]
        .as_str()
        .expect("demo manager logs in");
    let grids = app
        .graphql_as(
            Some(token),
            "{ jurisdictions(kind: GRID, first: 100) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        grids["data"]["jurisdictions"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let lanes = app
        .graphql_as(
            Some(token),
            "{ jurisdictions(kind: LANE, first: 100) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lanes["data"]["jurisdictions"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

#[tokio::test]
async fn the_demo_has_about_two_hundred_tickets_in_many_statuses_and_every_category() {
    let app = helpers::spawn_app_with(|s| s.demo = true).await;
    let token = app.admin_token().await;
    let total = app
        .graphql_as(Some(&token), "{ tickets { totalCount } }", json!({}))
        .await;
    assert_eq!(total["data"]["tickets"]["totalCount"], 200);
    for status in [
        "REPORTED",
        "DISPATCHED",
        "IN_PROGRESS",
        "RETURNED",
        "RESOLVED",
        "CLOSED",
        "REJECTED",
        "DUPLICATE",
        "SUSPENDED",
    ] {
        let body = app
            .graphql_as(
                Some(&token),
                &format!("{{ tickets(filter: {{status: [{status}]}}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert!(
            body["data"]["tickets"]["totalCount"].as_u64().unwrap() > 0,
            "no demo ticket is {status}"
        );
    }
    for code in [
        "0501", "0504", "0505", "0506", "0507", "0510", "0101", "0102", "0103",
    ] {
        let body = app
            .graphql_as(
                Some(&token),
                &format!("{{ tickets(filter: {{categoryCode: \"{code}\"}}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert!(
            body["data"]["tickets"]["totalCount"].as_u64().unwrap() > 0,
            "no demo ticket in {code}"
        );
    }
}

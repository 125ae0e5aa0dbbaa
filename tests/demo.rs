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

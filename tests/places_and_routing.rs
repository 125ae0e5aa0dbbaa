//! Jurisdiction import, scope, and the routing engine over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::domain::role::Role;
use helpers::town::{self, at};
use helpers::{error_code, spawn_app};
use serde_json::{Value, json};

const IMPORT: &str =
    "mutation($g: String!) { importJurisdictions(input: {geojson: $g}) { created updated } }";
const PREVIEW: &str = "query($lat: Float!, $lon: Float!, $c: String!) { routePreview(lat: $lat, lon: $lon, categoryCode: $c) { routed handler { email } handlerSource level grid { code } street { code } lane { code } explanation distanceMeters } }";

async fn preview(app: &helpers::TestApp, token: &str, x: f64, y: f64, category: &str) -> Value {
    let (lat, lon) = at(x, y);
    let body = app
        .graphql_as(
            Some(token),
            PREVIEW,
            json!({"lat": lat, "lon": lon, "c": category}),
        )
        .await;
    body["data"]["routePreview"].clone()
}

async fn count_places(app: &helpers::TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    gridloop::entity::jurisdiction::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_imports_a_multi_level_town() {
    let app = spawn_app().await;
    for email in town::people() {
        app.create_user(email, &[Role::GridWorker], &[]).await;
    }
    let admin = app.admin().await;
    let body = app
        .graphql_as(
            Some(&admin),
            IMPORT,
            json!({"g": town::geojson().to_string()}),
        )
        .await;
    assert_eq!(
        body["data"]["importJurisdictions"],
        json!({"created": 12, "updated": 0}),
        "{body}"
    );
    let lane = app
        .graphql_as(
            Some(&admin),
            "{ jurisdiction(code: \"LN-1\") { kind name parent { code } chief { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(lane["data"]["jurisdiction"]["kind"], "LANE");
    assert_eq!(lane["data"]["jurisdiction"]["parent"]["code"], "ST-RENMIN");
    assert_eq!(lane["data"]["jurisdiction"]["chief"]["email"], town::LANE1);
}

#[tokio::test]
async fn reimporting_the_same_codes_updates_them_in_place() {
    let app = spawn_app().await;
    app.import_town().await;
    let admin = app.admin().await;
    let mut file = town::geojson();
    file["features"][9]["properties"]["name"] = json!("改名弄");
    let body = app
        .graphql_as(Some(&admin), IMPORT, json!({"g": file.to_string()}))
        .await;
    assert_eq!(
        body["data"]["importJurisdictions"],
        json!({"created": 0, "updated": 12}),
        "{body}"
    );
    let lane = app
        .graphql_as(
            Some(&admin),
            "{ jurisdiction(code: \"LN-1\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(lane["data"]["jurisdiction"]["name"], "改名弄");
    assert_eq!(count_places(&app).await, 12);
}

#[tokio::test]
async fn a_bad_file_is_rejected_whole_with_every_problem_and_changes_nothing() {
    let app = spawn_app().await;
    for email in town::people() {
        app.create_user(email, &[Role::GridWorker], &[]).await;
    }
    let admin = app.admin().await;
    let mut file = town::geojson();
    file["features"][5]["properties"]["parent"] = json!("999999999999");
    file["features"][6]["properties"]["code"] = json!(town::G1);
    file["features"][9]["properties"]["chief"] = json!("ghost@nowhere.test");
    file["features"][10]["geometry"]["coordinates"][0][0] = json!(500.0);
    let body = app
        .graphql_as(Some(&admin), IMPORT, json!({"g": file.to_string()}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "geojson");
    let problems = body["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap();
    let indexes: Vec<u64> = problems
        .iter()
        .filter_map(|p| p["index"].as_u64())
        .collect();
    for i in [5, 6, 9, 10] {
        assert!(
            indexes.contains(&i),
            "feature {i} not reported: {problems:?}"
        );
    }
    assert_eq!(count_places(&app).await, 0);
}

#[tokio::test]
async fn malformed_geojson_is_bad_user_input() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = app
        .graphql_as(Some(&admin), IMPORT, json!({"g": "{ not geojson"}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "geojson");
}

#[tokio::test]
async fn a_point_inside_a_lane_buffer_goes_to_the_lane_chief() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 52.0, 150.0, "0501").await;
    assert_eq!(d["routed"], true);
    assert_eq!(d["handler"]["email"], town::LANE1);
    assert_eq!(d["handlerSource"], "LANE_CHIEF");
    assert_eq!(d["lane"]["code"], "LN-1");
    assert_eq!(d["grid"]["code"], town::G1);
    assert!(d["explanation"].as_str().unwrap().contains("人民路1弄"));
}

#[tokio::test]
async fn between_two_lanes_the_nearest_wins() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 59.0, 150.0, "0501").await;
    assert_eq!(d["lane"]["code"], "LN-2");
    assert_eq!(d["handler"]["email"], town::LANE2);
}

#[tokio::test]
async fn a_lane_without_a_chief_falls_to_its_street_chief() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 302.0, 150.0, "0501").await;
    assert_eq!(d["lane"]["code"], "LN-3");
    assert_eq!(d["handler"]["email"], town::STREET1);
    assert_eq!(d["handlerSource"], "STREET_CHIEF");
}

#[tokio::test]
async fn a_street_level_category_skips_lanes() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 52.0, 105.0, "0505").await;
    assert_eq!(d["level"], "STREET");
    assert_eq!(d["handler"]["email"], town::STREET1);
    assert!(d["lane"].is_null());
}

#[tokio::test]
async fn a_street_without_a_chief_falls_to_the_community_chief() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 200.0, 305.0, "0505").await;
    assert_eq!(d["handler"]["email"], town::COMMUNITY2);
    assert_eq!(d["handlerSource"], "COMMUNITY_CHIEF");
}

#[tokio::test]
async fn with_no_community_chief_the_town_chief_takes_it() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 150.0, 20.0, "0501").await;
    assert_eq!(d["handler"]["email"], town::MANAGER);
    assert_eq!(d["handlerSource"], "TOWN_CHIEF");
}

#[tokio::test]
async fn a_point_outside_every_grid_is_unrouted_with_an_explanation() {
    let app = spawn_app().await;
    app.import_town().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 900.0, 900.0, "0501").await;
    assert_eq!(d["routed"], false);
    assert!(d["handler"].is_null());
    assert!(d["explanation"].as_str().unwrap().contains("UNROUTED"));
}

#[tokio::test]
async fn route_preview_rejects_bad_coordinates_and_unknown_categories() {
    let app = spawn_app().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    for (vars, field) in [
        (json!({"lat": 91.0, "lon": 121.0, "c": "0501"}), "lat"),
        (json!({"lat": 31.0, "lon": -181.0, "c": "0501"}), "lon"),
        (
            json!({"lat": 31.0, "lon": 121.0, "c": "9999"}),
            "categoryCode",
        ),
    ] {
        let body = app.graphql_as(Some(&token), PREVIEW, vars).await;
        assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
}

#[tokio::test]
async fn a_manager_sees_only_their_subtree() {
    let app = spawn_app().await;
    app.import_town().await;
    let manager = app.login_as(Role::Manager, &[town::C1]).await;
    let inside = app
        .graphql_as(
            Some(&manager),
            &format!("{{ jurisdiction(code: \"{}\") {{ code }} }}", town::G1),
            json!({}),
        )
        .await;
    assert_eq!(inside["data"]["jurisdiction"]["code"], town::G1);
    let outside = app
        .graphql_as(
            Some(&manager),
            &format!("{{ jurisdiction(code: \"{}\") {{ code }} }}", town::G3),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&outside).as_deref(), Some("FORBIDDEN"));
    let grids = app
        .graphql_as(
            Some(&manager),
            "{ jurisdictions(kind: GRID) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    let codes: Vec<&str> = grids["data"]["jurisdictions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec![town::G1, town::G2]);
}

#[tokio::test]
async fn a_grid_worker_sees_only_their_grids() {
    let app = spawn_app().await;
    app.import_town().await;
    let worker = app.login(town::WORKER1).await;
    let grids = app
        .graphql_as(
            Some(&worker),
            "{ jurisdictions { edges { node { code } } } }",
            json!({}),
        )
        .await;
    let codes: Vec<&str> = grids["data"]["jurisdictions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec![town::G1]);
}

#[tokio::test]
async fn a_manager_lists_only_users_inside_their_scope() {
    let app = spawn_app().await;
    app.import_town().await;
    let manager = app.login_as(Role::Manager, &[town::C2]).await;
    let body = app
        .graphql_as(
            Some(&manager),
            "{ users(first: 100) { edges { node { email } } } }",
            json!({}),
        )
        .await;
    let emails: Vec<&str> = body["data"]["users"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap())
        .collect();
    assert!(!emails.contains(&town::WORKER1), "{emails:?}");
    assert!(!emails.contains(&town::LANE1), "{emails:?}");
    let chief = app.login_as(Role::LaneChief, &[]).await;
    let denied = app
        .graphql_as(
            Some(&chief),
            "{ users { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&denied).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn assign_chief_makes_the_user_chief_and_reroutes() {
    let app = spawn_app().await;
    app.import_town().await;
    app.create_user("newchief@town.test", &[Role::GridWorker], &[])
        .await;
    let admin = app.admin().await;
    let body = app
        .graphql_as(Some(&admin), "mutation { assignChief(input: {jurisdictionCode: \"LN-3\", email: \"newchief@town.test\"}) { jurisdiction { chief { email roles } } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["assignChief"]["jurisdiction"]["chief"]["email"],
        "newchief@town.test"
    );
    assert!(
        body["data"]["assignChief"]["jurisdiction"]["chief"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("LANE_CHIEF"))
    );
    let token = app.login_as(Role::GridWorker, &[]).await;
    let d = preview(&app, &token, 302.0, 150.0, "0501").await;
    assert_eq!(d["handler"]["email"], "newchief@town.test");
}

#[tokio::test]
async fn node_refetches_a_jurisdiction_by_global_id() {
    let app = spawn_app().await;
    app.import_town().await;
    let admin = app.admin().await;
    let j = app
        .graphql_as(
            Some(&admin),
            "{ jurisdiction(code: \"LN-1\") { id } }",
            json!({}),
        )
        .await;
    let id = j["data"]["jurisdiction"]["id"].clone();
    let n = app
        .graphql_as(
            Some(&admin),
            "query($id: ID!) { node(id: $id) { id ... on Jurisdiction { code } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(n["data"]["node"]["code"], "LN-1");
}

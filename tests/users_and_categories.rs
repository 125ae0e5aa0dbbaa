//! Users (create, update, list within scope) and the category catalogue.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::domain::role::Role;
use helpers::{error_code, spawn_app};
use serde_json::json;

const CREATE: &str =
    "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id email roles } } }";

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = app
        .graphql_as(
            Some(&admin),
            CREATE,
            json!({"i": {"email": "Zhang.San@Example.cn", "name": "张三", "roles": ["STREET_CHIEF"], "password": helpers::PASSWORD}}),
        )
        .await;
    assert_eq!(
        body["data"]["createUser"]["user"]["email"],
        "zhang.san@example.cn"
    );
    assert!(!app.login("zhang.san@example.cn").await.is_empty());
}

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let input = json!({"i": {"email": "dup@example.cn", "name": "A", "roles": ["GRID_WORKER"]}});
    app.graphql_as(Some(&admin), CREATE, input).await;
    let again = app
        .graphql_as(
            Some(&admin),
            CREATE,
            json!({"i": {"email": "DUP@example.cn", "name": "B", "roles": ["GRID_WORKER"]}}),
        )
        .await;
    assert_eq!(error_code(&again).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(again["errors"][0]["extensions"]["field"], "email");
}

#[tokio::test]
async fn a_non_admin_cannot_create_users() {
    let app = spawn_app().await;
    let dispatcher = app.login_as(Role::Dispatcher, &[]).await;
    let body = app
        .graphql_as(
            Some(&dispatcher),
            CREATE,
            json!({"i": {"email": "x@example.cn", "name": "X", "roles": ["ADMIN"]}}),
        )
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_ten_megabyte_name_is_bad_user_input_not_a_crash() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = app
        .graphql_as(Some(&admin), CREATE, json!({"i": {"email": "big@example.cn", "name": "名".repeat(3_000_000), "roles": ["ADMIN"]}}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");
}

#[tokio::test]
async fn update_user_changes_roles_and_can_disable() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = app
        .graphql_as(Some(&admin), CREATE, json!({"i": {"email": "u@example.cn", "name": "U", "roles": ["GRID_WORKER"], "password": helpers::PASSWORD}}))
        .await;
    let id = created["data"]["createUser"]["user"]["id"].clone();
    let body = app
        .graphql_as(
            Some(&admin),
            "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { roles disabled } } }",
            json!({"i": {"id": id, "roles": ["LANE_CHIEF", "GRID_WORKER"], "disabled": true}}),
        )
        .await;
    assert_eq!(
        body["data"]["updateUser"]["user"]["roles"],
        json!(["GRID_WORKER", "LANE_CHIEF"])
    );
    assert_eq!(body["data"]["updateUser"]["user"]["disabled"], true);
}

#[tokio::test]
async fn the_default_category_catalogue_is_seeded() {
    let app = spawn_app().await;
    let token = app.login_as(Role::GridWorker, &[]).await;
    let body = app
        .graphql_as(
            Some(&token),
            "{ categories { code name handlerLevel handleLimitMinutes calendarKind } }",
            json!({}),
        )
        .await;
    let cats = body["data"]["categories"].as_array().unwrap();
    let codes: Vec<&str> = cats.iter().map(|c| c["code"].as_str().unwrap()).collect();
    for code in [
        "0501", "0504", "0505", "0506", "0507", "0510", "0101", "0102", "0103",
    ] {
        assert!(codes.contains(&code), "missing {code}");
    }
    let parking = cats.iter().find(|c| c["code"] == "0505").unwrap();
    assert_eq!(parking["handlerLevel"], "STREET");
    assert_eq!(parking["handleLimitMinutes"], 60);
}

#[tokio::test]
async fn an_admin_upserts_a_category_and_bad_codes_are_rejected() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let q = "mutation($i: UpsertCategoryInput!) { upsertCategory(input: $i) { category { code name handleLimitMinutes } } }";
    let base = json!({"code": "0599", "name": "其他", "nameEn": "Other", "handlerLevel": "LANE", "priority": "NORMAL",
        "dispatchLimitMinutes": 30, "handleLimitMinutes": 90, "verifyLimitMinutes": 240, "calendarKind": "WORKING"});
    let ok = app.graphql_as(Some(&admin), q, json!({"i": base})).await;
    assert_eq!(
        ok["data"]["upsertCategory"]["category"]["handleLimitMinutes"],
        90
    );
    let mut changed = base.clone();
    changed["handleLimitMinutes"] = json!(120);
    let updated = app.graphql_as(Some(&admin), q, json!({"i": changed})).await;
    assert_eq!(
        updated["data"]["upsertCategory"]["category"]["handleLimitMinutes"],
        120
    );
    let mut bad = base.clone();
    bad["code"] = json!("5");
    let rejected = app.graphql_as(Some(&admin), q, json!({"i": bad})).await;
    assert_eq!(rejected["errors"][0]["extensions"]["field"], "code");
}

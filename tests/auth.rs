//! Login, logout, token expiry, throttling, `me`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::domain::role::Role;
use helpers::{PASSWORD, error_code, spawn_app};
use serde_json::json;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token user { email roles } } }";
const ME: &str = "{ me { email name roles } }";

#[tokio::test]
async fn login_returns_a_token_that_acts_as_the_user() {
    let app = spawn_app().await;
    app.create_user("li.wei@example.cn", &[Role::LaneChief], &[])
        .await;
    let token = app.login("LI.WEI@example.cn").await;
    let me = app.graphql_as(Some(&token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "li.wei@example.cn");
    assert_eq!(me["data"]["me"]["roles"], json!(["LANE_CHIEF"]));
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_user_fail_alike() {
    let app = spawn_app().await;
    app.create_user("a@example.cn", &[Role::GridWorker], &[])
        .await;
    let off = app
        .create_user("off@example.cn", &[Role::GridWorker], &[])
        .await;
    gridloop::service::users::update_user(
        &app.state,
        gridloop::service::Actor::System,
        off,
        gridloop::service::users::UserUpdate {
            disabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let wrong = app
        .graphql(LOGIN, json!({"e": "a@example.cn", "p": "not the password"}))
        .await;
    let unknown = app
        .graphql(LOGIN, json!({"e": "nobody@example.cn", "p": PASSWORD}))
        .await;
    let disabled = app
        .graphql(LOGIN, json!({"e": "off@example.cn", "p": PASSWORD}))
        .await;
    for body in [&wrong, &unknown, &disabled] {
        assert_eq!(error_code(body).as_deref(), Some("UNAUTHENTICATED"));
        assert_eq!(body["errors"][0]["message"], wrong["errors"][0]["message"]);
    }
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let body = app.graphql(ME, json!({})).await;
    assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let app = spawn_app().await;
    let token = app.login_as(Role::Dispatcher, &[]).await;
    let out = app
        .graphql_as(Some(&token), "mutation { logout { ok } }", json!({}))
        .await;
    assert_eq!(out["data"]["logout"]["ok"], true);
    let me = app.graphql_as(Some(&token), ME, json!({})).await;
    assert_eq!(error_code(&me).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = spawn_app().await;
    let token = app.login_as(Role::Manager, &[]).await;
    app.clock.advance(chrono::Duration::hours(
        app.state.settings.auth.token_ttl_hours + 1,
    ));
    let me = app.graphql_as(Some(&token), ME, json!({})).await;
    assert_eq!(error_code(&me).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn repeated_failures_slow_down_further_attempts_until_the_lock_passes() {
    let app = spawn_app().await;
    app.create_user("target@example.cn", &[Role::GridWorker], &[])
        .await;
    for _ in 0..5 {
        let body = app
            .graphql(LOGIN, json!({"e": "target@example.cn", "p": "guess guess"}))
            .await;
        assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
    }
    let locked = app
        .graphql(LOGIN, json!({"e": "target@example.cn", "p": PASSWORD}))
        .await;
    assert_eq!(error_code(&locked).as_deref(), Some("RATE_LIMITED"));
    assert!(
        locked["errors"][0]["extensions"]["retryAfter"]
            .as_i64()
            .unwrap()
            > 0
    );
    app.clock.advance(chrono::Duration::seconds(31));
    let ok = app
        .graphql(LOGIN, json!({"e": "target@example.cn", "p": PASSWORD}))
        .await;
    assert!(ok["data"]["login"]["token"].is_string(), "{ok}");
}

#[tokio::test]
async fn a_garbage_bearer_token_is_unauthenticated() {
    let app = spawn_app().await;
    let me = app
        .graphql_as(Some("glt_not-a-real-token"), ME, json!({}))
        .await;
    assert_eq!(error_code(&me).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    let token = app.login_as(Role::Admin, &[]).await;
    let rows = gridloop::entity::auth_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.token_hash != token && r.token_hash.len() == 64)
    );
}

//! The HTTP surface: probes, GraphQL over POST and GET, malformed requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SCHEMA_QUERY: &str = "{ __schema { queryType { name } } }";

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_works_over_post() {
    let app = spawn_app().await;
    let body = app.graphql(SCHEMA_QUERY, json!({})).await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}

#[tokio::test]
async fn introspection_works_over_get() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", SCHEMA_QUERY)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_with_405() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { noop }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_malformed_body_gets_400_with_a_graphql_shaped_error() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{ this is not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert!(body["errors"][0]["message"].as_str().is_some());
}

#[tokio::test]
async fn an_unsupported_content_type_gets_415() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(SCHEMA_QUERY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_syntax_error_is_400_with_graphql_response_json() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ apiVersion" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
}

#[tokio::test]
async fn a_syntax_error_is_200_with_legacy_application_json() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(&json!({ "query": "{ apiVersion" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_field_is_a_validation_error_with_a_code() {
    let app = spawn_app().await;
    let body = app.graphql("{ noSuchField }", json!({})).await;
    assert_eq!(
        helpers::error_code(&body).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
}

#[tokio::test]
async fn a_too_deep_query_is_rejected_before_execution() {
    let app = spawn_app().await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} }} }} }} }}",
        "{ ofType ".repeat(12) + "{ name }" + &" }".repeat(12)
    );
    let body = app.graphql(&deep, json!({})).await;
    assert_eq!(
        helpers::error_code(&body).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(13 * 1024 * 1024);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ apiVersion }", "variables": { "x": huge } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_api_reports_its_database_backend() {
    let app = spawn_app().await;
    let body = app.graphql("{ databaseBackend }", json!({})).await;
    let expected = if app.database_url.starts_with("postgres") {
        "POSTGRES"
    } else {
        "SQLITE"
    };
    assert_eq!(body["data"]["databaseBackend"], expected);
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused() {
    let app = spawn_app().await;
    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ apiVersion }" }))
        .collect();
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

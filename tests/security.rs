//! Protections of the HTTP surface: rate limits per address and per token, CORS closed by
//! default, security headers, and bounded aliases. Limits are set low per test; the app's
//! clock is a manual one, so budgets only refill when a test moves it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use gridloop::config::{RateLimitSettings, Settings};
use helpers::{TestApp, spawn_app, spawn_app_with};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const PING: &str = "{ apiVersion }";

/// An app whose per-address budget is `per_ip` a minute (no per-token limit).
async fn app_with_ip_budget(per_ip: u32) -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.per_ip_per_minute = per_ip;
        s.rate_limit.per_user_per_minute = 0;
    })
    .await
}

async fn ping(app: &TestApp) -> Response {
    ping_with(app, |r| r).await
}

async fn ping_with(
    app: &TestApp,
    adjust: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Response {
    let req = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": PING }));
    adjust(req).send().await.unwrap()
}

async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).map(|v| v.to_str().unwrap())
}

// ---------------------------------------------------------------- rate limits

#[tokio::test]
async fn a_client_over_its_address_budget_gets_429_with_retry_after_in_seconds() {
    let app = app_with_ip_budget(3).await;
    for _ in 0..3 {
        assert_eq!(ping(&app).await.status(), StatusCode::OK);
    }

    let refused = ping(&app).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "retry-after"),
        Some("20"),
        "3 a minute: one per 20 s"
    );
}

#[tokio::test]
async fn a_refused_graphql_request_gets_a_rate_limited_error_with_retry_after() {
    let app = app_with_ip_budget(1).await;
    ping(&app).await;

    let refused = ping(&app).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], 60);
    assert!(body["errors"][0]["message"].as_str().is_some());
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn the_budget_refills_as_the_clock_moves() {
    let app = app_with_ip_budget(1).await;
    ping(&app).await;
    assert_eq!(ping(&app).await.status(), StatusCode::TOO_MANY_REQUESTS);

    app.clock.advance(chrono::Duration::seconds(60));

    assert_eq!(ping(&app).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_bearer_token_has_a_budget_of_its_own() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_ip_per_minute = 0;
        s.rate_limit.per_user_per_minute = 2;
    })
    .await;
    let (alice, bob) = ("token-of-alice", "token-of-bob");
    for _ in 0..2 {
        assert_eq!(
            ping_with(&app, |r| r.bearer_auth(alice)).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        ping_with(&app, |r| r.bearer_auth(alice)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let other = ping_with(&app, |r| r.bearer_auth(bob)).await;

    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_logged_in_user_over_their_budget_is_refused() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_ip_per_minute = 0;
        s.rate_limit.per_user_per_minute = 3;
    })
    .await;
    let token = app.admin_token().await;
    for _ in 0..3 {
        let ok = ping_with(&app, |r| r.bearer_auth(&token)).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }

    let refused = ping_with(&app, |r| r.bearer_auth(&token)).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_burst_setting_caps_back_to_back_requests() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_ip_per_minute = 600;
        s.rate_limit.burst = Some(2);
    })
    .await;
    ping(&app).await;
    ping(&app).await;

    let refused = ping(&app).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "retry-after"),
        Some("1"),
        "600 a minute: 10 a second"
    );
}

#[tokio::test]
async fn export_and_evidence_routes_are_rate_limited_too() {
    let app = app_with_ip_budget(1).await;
    let paths = [
        "/export/tickets.csv",
        "/export/statistics.csv",
        "/evidence/abc",
    ];
    app.client.get(app.url(paths[0])).send().await.unwrap();

    for path in paths {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(header(&resp, "retry-after").is_some(), "{path}");
    }
}

#[tokio::test]
async fn health_probes_and_graphiql_are_never_rate_limited() {
    let app = app_with_ip_budget(1).await;
    ping(&app).await;

    for path in ["/healthz", "/readyz", "/", "/healthz"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn rate_limits_can_be_turned_off() {
    let app = spawn_app_with(|s| {
        s.rate_limit.enabled = false;
        s.rate_limit.per_ip_per_minute = 1;
    })
    .await;

    for _ in 0..3 {
        assert_eq!(ping(&app).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn the_default_limits_let_a_busy_dispatcher_page_through() {
    let app = spawn_app_with(|s| s.rate_limit = RateLimitSettings::default()).await;
    let token = app.admin_token().await;

    for _ in 0..300 {
        let resp = ping_with(&app, |r| r.bearer_auth(&token)).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = app_with_ip_budget(1).await;
    ping_with(&app, |r| r.header("x-forwarded-for", "198.51.100.1")).await;

    let spoofed = ping_with(&app, |r| r.header("x-forwarded-for", "198.51.100.2")).await;

    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_ip_per_minute = 1;
        s.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
    })
    .await;
    let from = |ip: &'static str| move |r: reqwest::RequestBuilder| r.header("x-forwarded-for", ip);
    assert_eq!(
        ping_with(&app, from("198.51.100.1")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ping_with(&app, from("198.51.100.2")).await.status(),
        StatusCode::OK
    );

    let again = ping_with(&app, from("198.51.100.1")).await;

    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
}

// ---------------------------------------------------------------- CORS

#[tokio::test]
async fn without_configured_origins_no_cors_headers_are_sent() {
    let app = spawn_app().await;

    let pre = preflight(&app, "https://ui.example.org").await;
    let post = ping_with(&app, |r| r.header("origin", "https://ui.example.org")).await;

    assert!(header(&pre, "access-control-allow-origin").is_none());
    assert!(header(&post, "access-control-allow-origin").is_none());
    assert_eq!(post.status(), StatusCode::OK);
}

fn with_ui_origin(s: &mut Settings) {
    s.http.cors_allowed_origins = vec!["https://ui.example.org".into()];
}

#[tokio::test]
async fn a_preflight_from_an_unlisted_origin_gets_no_allow_origin() {
    let app = spawn_app_with(with_ui_origin).await;

    let resp = preflight(&app, "https://evil.example.org").await;

    assert!(header(&resp, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_is_allowed_for_the_api_methods_and_headers() {
    let app = spawn_app_with(with_ui_origin).await;

    let resp = preflight(&app, "https://ui.example.org").await;

    assert!(resp.status().is_success());
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        Some("https://ui.example.org")
    );
    let methods = header(&resp, "access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = header(&resp, "access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(headers.contains("content-type"), "{headers}");
}

#[tokio::test]
async fn a_request_from_a_listed_origin_carries_its_allow_origin() {
    let app = spawn_app_with(with_ui_origin).await;

    let resp = ping_with(&app, |r| r.header("origin", "https://ui.example.org")).await;

    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        Some("https://ui.example.org")
    );
}

#[tokio::test]
async fn a_rate_limited_answer_still_carries_cors_headers_so_the_ui_can_read_it() {
    let app = spawn_app_with(|s| {
        with_ui_origin(s);
        s.rate_limit.per_ip_per_minute = 1;
    })
    .await;
    ping(&app).await;

    let resp = ping_with(&app, |r| r.header("origin", "https://ui.example.org")).await;

    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        Some("https://ui.example.org")
    );
}

// ---------------------------------------------------------------- security headers

#[tokio::test]
async fn every_response_forbids_sniffing_framing_and_referrers() {
    let app = spawn_app().await;
    let responses = [
        ping(&app).await,
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client
            .get(app.url("/export/tickets.csv"))
            .send()
            .await
            .unwrap(),
        app.client
            .get(app.url("/no/such/route"))
            .send()
            .await
            .unwrap(),
    ];

    for resp in &responses {
        let url = resp.url().path();
        assert_eq!(
            header(resp, "x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        assert_eq!(header(resp, "x-frame-options"), Some("DENY"), "{url}");
        assert_eq!(
            header(resp, "referrer-policy"),
            Some("no-referrer"),
            "{url}"
        );
        assert_eq!(
            header(resp, "content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{url}"
        );
    }
}

#[tokio::test]
async fn graphiql_gets_a_csp_for_its_own_scripts_that_forbids_framing() {
    let app = spawn_app().await;

    let resp = app.client.get(app.url("/")).send().await.unwrap();

    assert_eq!(resp.status(), StatusCode::OK);
    let csp = header(&resp, "content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("https://unpkg.com"), "{csp}");
    assert_eq!(header(&resp, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&resp, "referrer-policy"), Some("no-referrer"));
    assert_eq!(header(&resp, "x-content-type-options"), Some("nosniff"));
}

// ---------------------------------------------------------------- aliases

#[tokio::test]
async fn a_query_with_a_thousand_aliases_is_refused_before_any_database_work() {
    let app = spawn_app_with(|s| {
        s.workers.sla_sweep_interval_ms = 0;
        s.notify.worker = false;
    })
    .await;
    let token = app.admin_token().await;
    let before = app.state.queries.get();
    app.graphql_as(Some(&token), PING, json!({})).await;
    let authentication = app.state.queries.get() - before;
    let fields: String = (0..1000).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let before = app.state.queries.get();

    let body = app
        .graphql_as(Some(&token), &format!("{{ {fields} }}"), json!({}))
        .await;

    assert_eq!(
        helpers::error_code(&body).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
    assert!(body["data"].is_null());
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("aliases"), "{message}");
    let spent = app.state.queries.get() - before;
    assert_eq!(spent, authentication, "nothing ran beyond the token check");
}

#[tokio::test]
async fn a_query_with_a_few_aliases_still_runs() {
    let app = spawn_app().await;

    let body = app
        .graphql("{ a: apiVersion b: apiVersion c: apiVersion }", json!({}))
        .await;

    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["a"], body["data"]["c"]);
}

#[tokio::test]
async fn an_over_aliased_query_is_a_400_request_error_with_graphql_response_json() {
    let app = spawn_app().await;
    let fields: String = (0..101).map(|i| format!("a{i}: apiVersion ")).collect();

    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": format!("{{ {fields} }}") }))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

//! HTTP routes and middleware around the GraphQL endpoint.

pub mod client_ip;
mod cors;
mod evidence;
mod export;
mod graphql;
mod health;
pub mod limiter;
mod security_headers;
pub mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::GridloopSchema;
use crate::state::AppState;

/// Shared by every handler.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: GridloopSchema,
}

/// All routes with their middleware. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so per-address limits see the peer.
pub fn router(state: HttpState) -> Router {
    let settings = state.app.settings.clone();
    let body_limit = settings.http.body_limit_bytes;
    let timeout = Duration::from_secs(settings.http.request_timeout_secs.max(1));
    let mut api = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/evidence/{sha256}", get(evidence::get_evidence))
        .route("/export/tickets.csv", get(export::tickets_csv))
        .route("/export/statistics.csv", get(export::statistics_csv));
    if settings.rate_limit.enabled {
        let throttle = throttle::Throttle::new(
            &settings.rate_limit,
            &settings.http.trusted_proxies,
            state.app.clock.clone(),
        );
        api = api.route_layer(middleware::from_fn_with_state(
            Arc::new(throttle),
            throttle::limit,
        ));
    }
    let router = Router::new()
        .route("/", get(graphql::graphiql))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api)
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    let router = security_headers::apply(router);
    // Outside the rest, so preflights are answered here and refusals still carry CORS headers.
    let router = match cors::layer(&settings.http.cors_allowed_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
}

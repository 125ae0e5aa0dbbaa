//! HTTP routes and middleware around the GraphQL endpoint.

mod evidence;
mod export;
mod graphql;
mod health;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
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

/// All routes with their middleware.
pub fn router(state: HttpState) -> Router {
    let body_limit = state.app.settings.http.body_limit_bytes;
    let timeout = Duration::from_secs(state.app.settings.http.request_timeout_secs.max(1));
    Router::new()
        .route("/", get(graphql::graphiql))
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/evidence/{sha256}", get(evidence::get_evidence))
        .route("/export/tickets.csv", get(export::tickets_csv))
        .route("/export/statistics.csv", get(export::statistics_csv))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
}

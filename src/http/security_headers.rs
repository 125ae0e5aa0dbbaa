//! Headers every response carries unless a route set its own (GraphiQL sets a looser CSP to
//! load its scripts): no MIME sniffing, no framing, no referrer, and a CSP that lets an API
//! response run nothing if a browser ever renders one.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// For JSON, CSV and images: nothing may load or run, nobody may frame it.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the headers to every route of `router`.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let headers: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, API_CSP),
    ];
    headers.into_iter().fold(router, |r, (name, value)| {
        r.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

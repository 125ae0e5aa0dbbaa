//! GraphQL over HTTP (the GraphQL-over-HTTP spec): POST with JSON or multipart (uploads),
//! GET for queries only, `application/graphql-response+json` with proper status codes when asked for.

use async_graphql::http::{GraphiQLSource, MultipartOptions};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::HttpState;
use crate::error::ErrorCode;
use crate::graphql::codes;
use crate::graphql::context::{Auth, BearerToken};
use crate::graphql::loaders::Loaders;
use crate::service::ServiceError;

/// Most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;
/// Most files one multipart request may carry.
const MAX_FILES: usize = 10;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// Which media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let accept = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
            None => return Some(MediaType::Json),
            Some(a) if a.trim().is_empty() => return Some(MediaType::Json),
            Some(a) => a.to_ascii_lowercase(),
        };
        let wanted: Vec<&str> = accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .collect();
        if wanted.contains(&GRAPHQL_RESPONSE_JSON) {
            Some(MediaType::GraphqlResponseJson)
        } else if wanted
            .iter()
            .any(|m| *m == APPLICATION_JSON || *m == "*/*" || *m == "application/*")
        {
            Some(MediaType::Json)
        } else {
            None
        }
    }

    fn header(self) -> HeaderValue {
        match self {
            MediaType::GraphqlResponseJson => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            MediaType::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// A response that is an error before any GraphQL executed, still GraphQL-shaped.
pub fn request_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn not_acceptable() -> Response {
    request_error(
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadRequest,
        "Accept must allow application/graphql-response+json or application/json",
    )
}

pub async fn graphiql() -> impl IntoResponse {
    let html = GraphiQLSource::build().endpoint("/graphql").finish();
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
}

pub async fn graphql_post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return not_acceptable();
    };
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            return request_error(
                rejection.status(),
                ErrorCode::BadRequest,
                &rejection.body_text(),
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(APPLICATION_JSON)
        .to_ascii_lowercase();
    let is_json = content_type.starts_with(APPLICATION_JSON)
        || content_type.starts_with(GRAPHQL_RESPONSE_JSON);
    if !is_json && !content_type.starts_with("multipart/form-data") {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "Content-Type must be application/json or multipart/form-data",
        );
    }
    let options = MultipartOptions::default()
        .max_file_size(state.app.settings.http.body_limit_bytes)
        .max_num_files(MAX_FILES);
    let batch = match async_graphql::http::receive_batch_body(
        Some(content_type.as_str()),
        futures::io::Cursor::new(body),
        options,
    )
    .await
    {
        Ok(batch) => batch,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("malformed GraphQL request: {err}"),
            );
        }
    };
    execute(&state, &headers, media, batch).await
}

pub async fn graphql_get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("malformed GraphQL request: {err}"),
            );
        }
    };
    if is_mutation(&request) {
        let mut resp = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadRequest,
            "mutations are only accepted over POST",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    execute(&state, &headers, media, BatchRequest::Single(request)).await
}

/// True when the operation the request selects is a mutation (GET may not run those).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op.node.ty == OperationType::Mutation,
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .get(name)
            .is_some_and(|op| op.node.ty == OperationType::Mutation),
        (DocumentOperations::Multiple(_), None) => false,
    }
}

/// Resolves the `Authorization: Bearer` header into the caller.
async fn authenticate(state: &HttpState, headers: &HeaderMap) -> (Auth, Option<BearerToken>) {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return (Auth::Anonymous, None);
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
    else {
        return (Auth::Invalid, None);
    };
    match crate::service::auth::authenticate(&state.app, token).await {
        Ok(viewer) => (
            Auth::User(Box::new(viewer)),
            Some(BearerToken(token.to_string())),
        ),
        Err(ServiceError::Unauthenticated) => (Auth::Invalid, None),
        Err(err) => {
            tracing::error!(error = %err, "authentication failed");
            (Auth::Invalid, None)
        }
    }
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    media: MediaType,
    batch: BatchRequest,
) -> Response {
    if let BatchRequest::Batch(items) = &batch
        && (items.len() > MAX_BATCH || items.is_empty())
    {
        return request_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &format!("a batch must hold between 1 and {MAX_BATCH} operations"),
        );
    }
    let (auth, token) = authenticate(state, headers).await;
    let mut batch = batch
        .data(state.app.clone())
        .data(auth)
        .data(Loaders::new(&state.app.db));
    if let Some(token) = token {
        batch = batch.data(token);
    }
    let mut response = state.schema.execute_batch(batch).await;
    let mut request_errors_only = true;
    let mut each = |r: &mut async_graphql::Response| {
        r.errors.iter_mut().for_each(codes::ensure_code);
        let request_error =
            r.data == async_graphql::Value::Null && r.errors.iter().any(codes::is_request_error);
        request_errors_only &= request_error;
    };
    match &mut response {
        BatchResponse::Single(r) => each(r),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(each),
    }
    let status = if media == MediaType::GraphqlResponseJson && request_errors_only {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(err) => {
            tracing::error!(error = %err, "cannot serialise GraphQL response");
            return request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            );
        }
    };
    (status, [(header::CONTENT_TYPE, media.header())], body).into_response()
}

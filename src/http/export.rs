//! `GET /export/tickets.csv` and `GET /export/statistics.csv` for MANAGERs and ADMINs: the
//! query parameters of the `statistics` query (`scope`, `from`, `to` as RFC 3339; for statistics
//! also `asOf`, `groupBy`, `categories` and `sources` comma-separated, `minSample`, `exact`).
//! The ticket list streams chunk by chunk, so memory does not grow with the period.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::HttpState;
use super::graphql::request_error;
use crate::domain::lifecycle::Source;
use crate::error::ErrorCode;
use crate::service::statistics::{self, GroupBy, StatisticsRequest, export, scope};
use crate::service::{ServiceError, Viewer, auth};

type Params = HashMap<String, String>;

pub async fn tickets_csv(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let viewer = match exporter(&state, &headers).await {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let prepared = async {
        let scope =
            scope::resolve(&state.app, &viewer, params.get("scope").map(String::as_str)).await?;
        let (from, to, _) = statistics::period(
            state.app.clock.now(),
            instant(&params, "from")?,
            instant(&params, "to")?,
            None,
        )?;
        Ok::<_, ServiceError>((scope, from, to))
    };
    let (scope, from, to) = match prepared.await {
        Ok(p) => p,
        Err(e) => return service_error(e),
    };
    let body = export::tickets(state.app.clone(), scope, from, to, export::CHUNK).map(|piece| {
        piece.inspect_err(|e| tracing::error!(error = %e, "ticket export failed midway"))
    });
    csv_response("tickets.csv", Body::from_stream(body))
}

pub async fn statistics_csv(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let viewer = match exporter(&state, &headers).await {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let answer = async {
        let req = statistics_request(&params)?;
        statistics::statistics(&state.app, &viewer, &req).await
    };
    match answer.await {
        Ok(report) => csv_response("statistics.csv", Body::from(export::statistics(&report))),
        Err(e) => service_error(e),
    }
}

fn statistics_request(p: &Params) -> Result<StatisticsRequest, ServiceError> {
    let list = |name: &str| -> Vec<String> {
        p.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let sources = list("sources")
        .iter()
        .map(|s| {
            Source::parse(s)
                .ok_or_else(|| ServiceError::invalid("sources", format!("unknown source {s}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let group_by = p
        .get("groupBy")
        .map(|g| {
            group_by(g)
                .ok_or_else(|| ServiceError::invalid("groupBy", format!("unknown grouping {g}")))
        })
        .transpose()?;
    let min_sample = p
        .get("minSample")
        .map(|m| {
            m.parse()
                .map_err(|_| ServiceError::invalid("minSample", "not a whole number"))
        })
        .transpose()?;
    Ok(StatisticsRequest {
        scope: p.get("scope").cloned(),
        from: instant(p, "from")?,
        to: instant(p, "to")?,
        as_of: instant(p, "asOf")?,
        categories: list("categories"),
        sources,
        group_by,
        min_sample,
        exact: p.get("exact").is_some_and(|v| v == "true"),
    })
}

fn group_by(name: &str) -> Option<GroupBy> {
    Some(match name {
        "CATEGORY" => GroupBy::Category,
        "STREET" => GroupBy::Street,
        "LANE" => GroupBy::Lane,
        "GRID" => GroupBy::Grid,
        "COMMUNITY" => GroupBy::Community,
        "ASSIGNEE" => GroupBy::Assignee,
        "SOURCE" => GroupBy::Source,
        "DAY" => GroupBy::Day,
        "WEEK" => GroupBy::Week,
        "MONTH" => GroupBy::Month,
        _ => return None,
    })
}

fn instant(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ServiceError> {
    p.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ServiceError::invalid(name, "not an RFC 3339 date-time"))
        })
        .transpose()
}

/// The caller, who must be a MANAGER or ADMIN; otherwise the error response.
async fn exporter(state: &HttpState, headers: &HeaderMap) -> Result<Viewer, Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthenticated = || {
        Box::new(request_error(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "a valid bearer token is required",
        ))
    };
    let token = token.ok_or_else(unauthenticated)?;
    let viewer = auth::authenticate(&state.app, token)
        .await
        .map_err(|_| unauthenticated())?;
    viewer
        .require_any(&scope::EXPORTERS)
        .map_err(|e| Box::new(service_error(e)))?;
    Ok(viewer)
}

fn service_error(e: ServiceError) -> Response {
    let (status, code) = match &e {
        ServiceError::Invalid { .. } | ServiceError::Rejected { .. } => {
            (StatusCode::BAD_REQUEST, ErrorCode::BadUserInput)
        }
        ServiceError::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
        ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
        ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
        ServiceError::Database(_) | ServiceError::Internal(_) => {
            tracing::error!(error = %e, "export failed");
            return request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            );
        }
    };
    request_error(status, code, &e.to_string())
}

fn csv_response(filename: &str, body: Body) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

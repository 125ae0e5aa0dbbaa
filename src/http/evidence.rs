//! `GET /evidence/{sha256}`: serves a photo to users who may see one of the tickets it belongs to.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::HttpState;
use super::graphql::request_error;
use crate::entity::{evidence, ticket};
use crate::error::ErrorCode;
use crate::service::tickets::engine::visible;
use crate::service::{Actor, auth};

pub async fn get_evidence(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return request_error(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "a bearer token is required",
        );
    };
    let Ok(viewer) = auth::authenticate(&state.app, token).await else {
        return request_error(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "not authenticated",
        );
    };
    let not_found = || {
        request_error(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such evidence",
        )
    };
    let rows = match evidence::Entity::find()
        .filter(evidence::Column::Sha256.eq(sha256.as_str()))
        .all(&state.app.db)
        .await
    {
        Ok(rows) if !rows.is_empty() => rows,
        Ok(_) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "evidence lookup failed");
            return request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            );
        }
    };
    let ticket_ids: Vec<i64> = rows.iter().map(|r| r.ticket_id).collect();
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::Id.is_in(ticket_ids))
        .all(&state.app.db)
        .await
        .unwrap_or_default();
    let actor = Actor::User(&viewer);
    if !tickets.iter().any(|t| visible(&actor, t)) {
        return request_error(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "that evidence belongs to tickets outside your scope",
        );
    }
    let Ok(bytes) = crate::service::evidence::read(&state.app.settings.evidence, &sha256).await
    else {
        return not_found();
    };
    let content_type = HeaderValue::from_str(&rows[0].content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            ),
        ],
        bytes,
    )
        .into_response()
}

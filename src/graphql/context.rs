//! Reaching the app state and the caller from a resolver; mapping service errors.

use async_graphql::Context;

use crate::error::ErrorCode;
use crate::service::{Actor, ServiceError, Viewer};
use crate::state::AppState;

use super::error::{ApiError, ApiResult};

/// What the `Authorization` header said.
#[derive(Debug, Clone)]
pub enum Auth {
    Anonymous,
    User(Box<Viewer>),
    /// A token was sent but is unknown, expired or revoked.
    Invalid,
}

/// The raw bearer token of this request, kept for `logout`.
#[derive(Debug, Clone)]
pub struct BearerToken(pub String);

pub fn app_state<'a>(ctx: &Context<'a>) -> ApiResult<&'a AppState> {
    ctx.data::<AppState>()
        .map_err(|_| ApiError::internal_msg("application state missing"))
}

/// The logged-in caller, or UNAUTHENTICATED.
pub fn viewer<'a>(ctx: &Context<'a>) -> ApiResult<&'a Viewer> {
    match ctx.data_opt::<Auth>() {
        Some(Auth::User(v)) => Ok(v),
        _ => Err(ApiError::unauthenticated()),
    }
}

pub fn actor<'a>(ctx: &Context<'a>) -> ApiResult<Actor<'a>> {
    viewer(ctx).map(Actor::User)
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid { field, message } => ApiError::bad_input(field, message),
            ServiceError::Rejected { field, problems } => {
                let count = problems.len();
                ApiError::bad_input(
                    field,
                    format!("rejected: {count} problem(s); nothing was changed"),
                )
                .with_problems(problems)
            }
            ServiceError::Unauthenticated => ApiError::unauthenticated(),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::NotFound(m) => ApiError::not_found(m),
            ServiceError::Conflict(m) => ApiError::conflict(m),
            ServiceError::RateLimited { retry_after_secs } => ApiError::new(
                ErrorCode::RateLimited,
                format!("too many attempts; retry in {retry_after_secs} s"),
            )
            .with_retry_after(retry_after_secs),
            ServiceError::Database(e) => ApiError::internal(e),
            ServiceError::Internal(m) => ApiError::internal_msg(m),
        }
    }
}

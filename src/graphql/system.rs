//! Facts about the running service itself.

use async_graphql::{Context, Object};

use crate::state::AppState;

use super::{ApiError, ApiResult};

#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// The gridloop version serving this request.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The database engine behind this instance: SQLITE or POSTGRES.
    async fn database_backend(&self, ctx: &Context<'_>) -> ApiResult<&'static str> {
        let state = ctx
            .data::<AppState>()
            .map_err(|_| ApiError::internal_msg("application state missing"))?;
        Ok(match state.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "POSTGRES",
            _ => "SQLITE",
        })
    }
}

#[derive(Default)]
pub struct SystemMutation;

#[Object]
impl SystemMutation {
    /// Does nothing; lets clients check that mutations reach the server.
    async fn noop(&self) -> bool {
        true
    }
}

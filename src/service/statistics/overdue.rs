//! 超期未结: the open tickets past their handle deadline, most overdue first.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::lifecycle::Status;
use crate::entity::ticket;
use crate::service::error::ServiceResult;
use crate::service::viewer::Viewer;
use crate::state::AppState;

use super::scope;

/// Registered, neither CLOSED nor SUSPENDED, `due_at` before now (the overdueOpen indicator),
/// ordered by deadline; a page and the total.
pub async fn overdue(
    state: &AppState,
    viewer: &Viewer,
    scope_code: Option<&str>,
    offset: u64,
    limit: u64,
) -> ServiceResult<(Vec<ticket::Model>, u64)> {
    viewer.require_any(&scope::READERS)?;
    let scope = scope::resolve(state, viewer, scope_code).await?;
    let open = [
        Status::Reported,
        Status::Dispatched,
        Status::InProgress,
        Status::Returned,
        Status::Resolved,
    ];
    let q = ticket::Entity::find()
        .filter(scope.ticket_condition())
        .filter(ticket::Column::Status.is_in(open.map(Status::as_str)))
        .filter(ticket::Column::DueAt.lt(state.clock.now()));
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_asc(ticket::Column::DueAt)
        .order_by_asc(ticket::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(&state.db)
        .await?;
    Ok((rows, total))
}

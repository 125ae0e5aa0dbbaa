//! Looking into the outbox and retrying (ADMIN); each user's notification opt-outs.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::notification::{Kind, Status};
use crate::domain::role::Role;
use crate::entity::{notification, notification_preference, ticket};
use crate::service::actor::Actor;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::viewer::Viewer;
use crate::state::AppState;

/// An outbox row with the number of the ticket it is about.
pub type OutboxEntry = (notification::Model, Option<String>);

/// Outbox rows, newest first, optionally of one status; `before_id` pages backwards (ADMIN).
pub async fn outbox(
    state: &AppState,
    actor: Actor<'_>,
    status: Option<Status>,
    before_id: Option<i64>,
    limit: u64,
) -> ServiceResult<Vec<OutboxEntry>> {
    actor.require_any(&[Role::Admin])?;
    let mut q = notification::Entity::find().order_by_desc(notification::Column::Id);
    if let Some(s) = status {
        q = q.filter(notification::Column::Status.eq(s.as_str()));
    }
    if let Some(id) = before_id {
        q = q.filter(notification::Column::Id.lt(id));
    }
    let rows = q.limit(limit).all(&state.db).await?;
    with_numbers(state, rows).await
}

/// Adds ticket numbers with one query for the whole page.
async fn with_numbers(
    state: &AppState,
    rows: Vec<notification::Model>,
) -> ServiceResult<Vec<OutboxEntry>> {
    let numbers: HashMap<i64, String> = ticket::Entity::find()
        .filter(ticket::Column::Id.is_in(rows.iter().filter_map(|r| r.ticket_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let number = r.ticket_id.and_then(|id| numbers.get(&id).cloned());
            (r, number)
        })
        .collect())
}

/// Puts a FAILED row back in the queue with its attempts reset, due now (ADMIN).
/// It keeps its id, so the resend carries the same Message-ID.
pub async fn retry(state: &AppState, actor: Actor<'_>, id: i64) -> ServiceResult<OutboxEntry> {
    actor.require_any(&[Role::Admin])?;
    let row = notification::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such notification"))?;
    if row.status != Status::Failed.as_str() {
        return Err(ServiceError::invalid(
            "id",
            format!(
                "only FAILED notifications can be retried; this one is {}",
                row.status
            ),
        ));
    }
    let updated = notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(Status::Pending.as_str()),
        )
        .col_expr(notification::Column::Attempts, Expr::value(0))
        .col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(state.clock.now()),
        )
        .col_expr(
            notification::Column::ClaimedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(Status::Failed.as_str()))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::Conflict(
            "the notification was changed meanwhile; reload and retry".into(),
        ));
    }
    let row = notification::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such notification"))?;
    with_numbers(state, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ServiceError::not_found("no such notification"))
}

/// Every kind with whether the user receives it.
pub async fn preferences(state: &AppState, user_id: i64) -> ServiceResult<Vec<(Kind, bool)>> {
    let off: Vec<String> = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.eq(user_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| p.kind)
        .collect();
    Ok(Kind::ALL
        .into_iter()
        .map(|k| (k, k.is_mandatory() || !off.iter().any(|o| o == k.as_str())))
        .collect())
}

/// Turns one kind on or off for the caller. Dispatch and overdue mail cannot be turned off.
pub async fn set_preference(
    state: &AppState,
    viewer: &Viewer,
    kind: Kind,
    enabled: bool,
) -> ServiceResult<Vec<(Kind, bool)>> {
    if !enabled && kind.is_mandatory() {
        return Err(ServiceError::invalid(
            "kind",
            format!("{} notifications cannot be turned off", kind.as_str()),
        ));
    }
    let key = (viewer.user_id, kind.as_str().to_string());
    let existing = notification_preference::Entity::find_by_id(key.clone())
        .one(&state.db)
        .await?;
    match (enabled, existing) {
        (true, Some(row)) => {
            notification_preference::Entity::delete_by_id((row.user_id, row.kind))
                .exec(&state.db)
                .await?;
        }
        (false, None) => {
            let inserted = notification_preference::ActiveModel {
                user_id: Set(key.0),
                kind: Set(key.1),
            }
            .insert(&state.db)
            .await;
            if let Err(e) = inserted {
                let text = e.to_string().to_lowercase();
                if !(text.contains("unique") || text.contains("duplicate key")) {
                    return Err(e.into());
                }
            }
        }
        _ => {}
    }
    preferences(state, viewer.user_id).await
}

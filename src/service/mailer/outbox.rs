//! Claiming due outbox rows and recording the outcome. Safe with several processes on one
//! database: a row is claimed by a conditional update that sets a lease (`claimed_until`), on
//! PostgreSQL after `SELECT … FOR UPDATE SKIP LOCKED` so claimers pass each other by; on SQLite
//! write transactions are serialised anyway. A lease that runs out (the process died between
//! sending and marking) makes the row due again; the resend carries the same Message-ID.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::domain::notification::{Status, backoff, message_id};
use crate::entity::notification;
use crate::service::error::ServiceResult;
use crate::service::tx;
use crate::state::AppState;

use super::transport::SendFailure;

/// Longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 1000;

fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(notification::Column::Status.eq(Status::Pending.as_str()))
        .add(notification::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(notification::Column::ClaimedUntil.is_null())
                .add(notification::Column::ClaimedUntil.lt(now)),
        )
}

/// Due rows, oldest first; on PostgreSQL locked for this transaction, skipping rows another
/// claimer holds.
fn candidates(now: DateTime<Utc>, limit: u64, backend: DbBackend) -> Select<notification::Entity> {
    let q = notification::Entity::find()
        .filter(due(now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .order_by_asc(notification::Column::Id)
        .limit(limit);
    if backend == DbBackend::Postgres {
        q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
    } else {
        q
    }
}

fn no_time() -> Option<DateTime<Utc>> {
    None
}

/// Claims up to `limit` due rows for this process and returns them with their lease and
/// Message-ID set. The Message-ID is fixed at the first claim and never changes.
pub async fn claim_due(state: &AppState, limit: u64) -> ServiceResult<Vec<notification::Model>> {
    let now = state.clock.now();
    let any_due = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(due(now))
        .limit(1)
        .into_tuple::<i64>()
        .one(&state.db)
        .await?;
    if any_due.is_none() {
        return Ok(Vec::new());
    }
    let settings = &state.settings.notify;
    let until = now + Duration::seconds(settings.lease_secs);
    let txn = tx::begin_write(&state.db).await?;
    let candidates = candidates(now, limit, state.db.get_database_backend())
        .all(&txn)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for row in candidates {
        let id = row
            .message_id
            .clone()
            .unwrap_or_else(|| message_id(row.id, &settings.message_id_domain));
        let won = notification::Entity::update_many()
            .col_expr(notification::Column::ClaimedUntil, Expr::value(Some(until)))
            .col_expr(
                notification::Column::MessageId,
                Expr::value(Some(id.clone())),
            )
            .filter(notification::Column::Id.eq(row.id))
            .filter(due(now))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won {
            claimed.push(notification::Model {
                claimed_until: Some(until),
                message_id: Some(id),
                ..row
            });
        }
    }
    txn.commit().await?;
    Ok(claimed)
}

/// Records a successful send.
pub async fn mark_sent(state: &AppState, row: &notification::Model) -> ServiceResult<()> {
    let now = state.clock.now();
    notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(Status::Sent.as_str()),
        )
        .col_expr(
            notification::Column::Attempts,
            Expr::value(row.attempts + 1),
        )
        .col_expr(notification::Column::SentAt, Expr::value(Some(now)))
        .col_expr(notification::Column::ClaimedUntil, Expr::value(no_time()))
        .filter(notification::Column::Id.eq(row.id))
        .filter(notification::Column::Status.eq(Status::Pending.as_str()))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried later with exponential backoff and jitter, or FAILED once
/// the attempts are used up or the server refused for good. Returns the new status.
pub async fn mark_failed(
    state: &AppState,
    row: &notification::Model,
    failure: &SendFailure,
) -> ServiceResult<Status> {
    let settings = &state.settings.notify;
    let now = state.clock.now();
    let attempts = row.attempts + 1;
    let status = if failure.permanent || attempts >= settings.max_attempts {
        Status::Failed
    } else {
        Status::Pending
    };
    let jitter: f64 = rand::thread_rng().r#gen();
    let delay = backoff(
        attempts,
        Duration::seconds(settings.backoff_base_secs),
        Duration::seconds(settings.backoff_max_secs),
        jitter,
    );
    let reason: String = failure.reason.chars().take(MAX_ERROR_CHARS).collect();
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(status.as_str()))
        .col_expr(notification::Column::Attempts, Expr::value(attempts))
        .col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(now + delay),
        )
        .col_expr(notification::Column::ClaimedUntil, Expr::value(no_time()))
        .col_expr(notification::Column::LastError, Expr::value(Some(reason)))
        .filter(notification::Column::Id.eq(row.id))
        .filter(notification::Column::Status.eq(Status::Pending.as_str()))
        .exec(&state.db)
        .await?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::QueryTrait;

    #[test]
    fn postgres_claims_skip_rows_another_process_holds() {
        let sql = candidates(Utc::now(), 5, DbBackend::Postgres)
            .build(DbBackend::Postgres)
            .to_string();
        assert!(sql.ends_with("FOR UPDATE SKIP LOCKED"), "{sql}");
        assert!(sql.contains("\"claimed_until\" IS NULL"), "{sql}");
    }

    #[test]
    fn sqlite_claims_rely_on_the_conditional_update() {
        let sql = candidates(Utc::now(), 5, DbBackend::Sqlite)
            .build(DbBackend::Sqlite)
            .to_string();
        assert!(!sql.contains("FOR UPDATE"), "{sql}");
    }
}

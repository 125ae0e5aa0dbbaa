//! The transition runner every ticket action goes through: load, authorise against the lifecycle
//! table, apply with an optimistic version check, append the events, all in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
};
use serde_json::Value;

use crate::domain::lifecycle::{self, Action, Relation, Status, TransitionError};
use crate::domain::role::Role;
use crate::entity::{grid_worker, ticket, ticket_event};
use crate::service::actor::Actor;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::{notify, statistics, tx};
use crate::state::AppState;

/// One event to append.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub kind: &'static str,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub note: Option<String>,
    pub data: Value,
}

impl EventRecord {
    pub fn new(action: Action, from: Option<Status>, to: Option<Status>) -> Self {
        Self {
            kind: action.event_kind(),
            from,
            to,
            note: None,
            data: Value::Null,
        }
    }

    pub fn note(mut self, note: Option<String>) -> Self {
        self.note = note.filter(|n| !n.is_empty());
        self
    }

    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

pub fn status_of(t: &ticket::Model) -> ServiceResult<Status> {
    Status::parse(&t.status).ok_or_else(|| {
        ServiceError::Internal(format!(
            "ticket {} has unknown status {}",
            t.number, t.status
        ))
    })
}

/// Which ticket an action is for, and optionally the version the caller last saw: when given
/// and the ticket has moved on since, the action fails with CONFLICT instead of applying to a
/// state the caller never saw.
#[derive(Debug, Clone)]
pub struct Target {
    pub number: String,
    pub expected_version: Option<i32>,
}

impl Target {
    pub fn new(number: impl Into<String>) -> Self {
        Self {
            number: number.into(),
            expected_version: None,
        }
    }

    pub fn at_version(number: impl Into<String>, version: Option<i32>) -> Self {
        Self {
            number: number.into(),
            expected_version: version,
        }
    }

    /// Loads the ticket, checking the expected version.
    pub async fn load(&self, db: &impl ConnectionTrait) -> ServiceResult<ticket::Model> {
        let t = load(db, &self.number).await?;
        match self.expected_version {
            Some(v) if v != t.version => Err(conflict(&t.number)),
            _ => Ok(t),
        }
    }
}

/// The ticket with this number, or NOT_FOUND.
pub async fn load(db: &impl ConnectionTrait, number: &str) -> ServiceResult<ticket::Model> {
    ticket::Entity::find()
        .filter(ticket::Column::Number.eq(number.trim()))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("no ticket {}", number.trim())))
}

/// Whether the actor may see the ticket at all: admins, the ticket's scope, its reporter and assignee.
pub fn visible(actor: &Actor<'_>, t: &ticket::Model) -> bool {
    match actor {
        Actor::System => true,
        Actor::User(v) => {
            v.is_admin()
                || t.reporter_id == v.user_id
                || t.assignee_id == Some(v.user_id)
                || t.grid_path.as_deref().is_some_and(|p| v.covers_path(p))
                || t.place_path.as_deref().is_some_and(|p| v.covers_path(p))
                || (unplaced(t) && (v.has_role(Role::Dispatcher) || v.has_role(Role::Manager)))
        }
    }
}

/// A ticket outside every grid and street: it belongs to whichever dispatcher picks it up.
pub fn unplaced(t: &ticket::Model) -> bool {
    t.grid_path.is_none() && t.place_path.is_none()
}

/// How the actor relates to the ticket, for the lifecycle table's "who" column.
pub async fn relation(
    state: &AppState,
    actor: &Actor<'_>,
    t: &ticket::Model,
) -> ServiceResult<Relation> {
    let Actor::User(v) = actor else {
        return Ok(Relation {
            is_assignee: false,
            works_the_grid: false,
            is_reporter: false,
            in_scope: true,
        });
    };
    let works_the_grid = match t.grid_id {
        Some(grid) if v.has_role(Role::GridWorker) => {
            grid_worker::Entity::find_by_id((grid, v.user_id))
                .one(&state.db)
                .await?
                .is_some()
        }
        _ => false,
    };
    let in_scope = v.is_admin()
        || t.grid_path.as_deref().is_some_and(|p| v.covers_path(p))
        || t.place_path.as_deref().is_some_and(|p| v.covers_path(p))
        || unplaced(t);
    Ok(Relation {
        is_assignee: t.assignee_id == Some(v.user_id),
        works_the_grid,
        is_reporter: t.reporter_id == v.user_id,
        in_scope,
    })
}

/// Checks the lifecycle table for this actor; returns the status the ticket moves to.
pub async fn authorize(
    state: &AppState,
    actor: &Actor<'_>,
    t: &ticket::Model,
    action: Action,
) -> ServiceResult<Status> {
    let from = status_of(t)?;
    let result = match actor {
        Actor::System => lifecycle::check_status(action, from),
        Actor::User(v) => {
            let rel = relation(state, actor, t).await?;
            lifecycle::check(action, from, &v.roles, rel)
        }
    };
    result.map_err(|e| match e {
        TransitionError::NotPermitted { .. } => ServiceError::forbidden(format!(
            "you may not {} ticket {}",
            action_name(action),
            t.number
        )),
        TransitionError::WrongStatus { from, .. } => ServiceError::invalid(
            "number",
            format!(
                "cannot {} ticket {}: it is {}",
                action_name(action),
                t.number,
                from
            ),
        ),
    })
}

fn action_name(action: Action) -> String {
    format!("{action:?}").to_lowercase()
}

/// An ActiveModel that moves `t` to `to` and bumps its version; callers set the rest.
pub fn change(t: &ticket::Model, to: Status, now: DateTime<Utc>) -> ticket::ActiveModel {
    ticket::ActiveModel {
        id: Set(t.id),
        status: Set(to.as_str().to_string()),
        version: Set(t.version + 1),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Applies `active` only if nobody changed the ticket since `before` was read (else CONFLICT),
/// then appends `events` with gap-free sequence numbers. Runs inside `txn`.
pub async fn apply_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    before: &ticket::Model,
    mut active: ticket::ActiveModel,
    events: &[EventRecord],
    actor_id: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<ticket::Model> {
    let new_version = before.version + events.len() as i32;
    active.version = Set(new_version);
    let updated = ticket::Entity::update(active)
        .validate()?
        .filter(ticket::Column::Version.eq(before.version))
        .exec(txn)
        .await
        .map_err(|e| match e {
            DbErr::RecordNotUpdated => conflict(&before.number),
            other => ServiceError::Database(other),
        })?;
    append_events(txn, before.id, before.version, events, actor_id, now).await?;
    crate::service::sla::refresh_checkpoint(state, txn, updated).await
}

pub fn conflict(number: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "ticket {number} was changed by someone else; reload and retry"
    ))
}

/// Appends events after `last_seq`; the unique (ticket, seq) index turns a race into CONFLICT.
pub async fn append_events(
    db: &impl ConnectionTrait,
    ticket_id: i64,
    last_seq: i32,
    events: &[EventRecord],
    actor_id: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<ticket_event::Model>> {
    let rows = event_rows(ticket_id, last_seq, events, actor_id, now);
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // One statement for all of an action's events; RETURNING gives back their ids.
    Ok(ticket_event::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?)
}

/// The event rows that follow sequence number `last_seq`, for callers that insert many
/// tickets' events in one statement.
pub fn event_rows(
    ticket_id: i64,
    last_seq: i32,
    events: &[EventRecord],
    actor_id: Option<i64>,
    now: DateTime<Utc>,
) -> Vec<ticket_event::ActiveModel> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| ticket_event::ActiveModel {
            ticket_id: Set(ticket_id),
            seq: Set(last_seq + 1 + i as i32),
            kind: Set(e.kind.to_string()),
            from_status: Set(e.from.map(|s| s.as_str().to_string())),
            to_status: Set(e.to.map(|s| s.as_str().to_string())),
            actor_id: Set(actor_id),
            at: Set(now),
            note: Set(e.note.clone()),
            data: Set((!e.data.is_null()).then(|| e.data.to_string())),
            ..Default::default()
        })
        .collect()
}

/// Runs one action in its own write transaction: the change and its events commit together.
pub async fn commit(
    state: &AppState,
    actor: &Actor<'_>,
    before: &ticket::Model,
    active: ticket::ActiveModel,
    events: Vec<EventRecord>,
) -> ServiceResult<ticket::Model> {
    let now = state.clock.now();
    let txn = tx::begin_write(&state.db).await?;
    let after = apply_in(state, &txn, before, active, &events, actor.user_id(), now).await?;
    finish(state, txn, before, after, &events, actor.user_id()).await
}

/// Queues the notifications the events cause and brings the statistics rollups in step (both in
/// the same transaction, so a rolled-back change leaves no trace) and commits the change with
/// any side rows written by the caller.
pub async fn finish(
    state: &AppState,
    txn: DatabaseTransaction,
    before: &ticket::Model,
    after: ticket::Model,
    events: &[EventRecord],
    actor_id: Option<i64>,
) -> ServiceResult<ticket::Model> {
    let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
    notify::enqueue_for_events_by(state, &txn, Some(before), &after, &kinds, actor_id).await?;
    statistics::rollup::record_change(state, &txn, Some(before), &after).await?;
    txn.commit().await?;
    Ok(after)
}

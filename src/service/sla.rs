//! The SLA clock at work: each ticket's next checkpoint, its traffic light, and the sweeper pass
//! that fires warnings, overdue notices and escalations exactly once per ticket and level.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
};
use serde_json::json;

use crate::domain::lifecycle::Status;
use crate::domain::sla::{self, SlaFacts, SlaView};
use crate::entity::{category, ticket, ticket_event};
use crate::state::AppState;

use super::error::{ServiceError, ServiceResult};
use super::notify::{self, News};
use super::tickets::deadline::CategoryTime;
use super::tickets::engine::{EventRecord, event_rows};
use super::tx;

/// How many due tickets one transaction of a sweeper pass takes on.
pub const SWEEP_BATCH: u64 = 250;

/// When the sweeper must next look at this ticket: the next stage of its handle clock.
pub fn next_checkpoint(
    state: &AppState,
    category: &category::Model,
    t: &ticket::Model,
) -> Option<DateTime<Utc>> {
    let status = Status::parse(&t.status)?;
    if !status.handle_clock_runs() {
        return None;
    }
    let (start, due) = (t.dispatched_at?, t.due_at?);
    let time = CategoryTime::of(state, category);
    Some(sla::checkpoint(
        t.sla_stage,
        time.basis(),
        start,
        due,
        i64::from(category.handle_limit_minutes),
    ))
}

/// Keeps `sla_next_at` in step with the ticket after any change (same transaction).
pub async fn refresh_checkpoint(
    state: &AppState,
    db: &impl ConnectionTrait,
    t: ticket::Model,
) -> ServiceResult<ticket::Model> {
    let category = category_of(db, &t).await?;
    let next = next_checkpoint(state, &category, &t);
    if next == t.sla_next_at {
        return Ok(t);
    }
    ticket::Entity::update_many()
        .col_expr(ticket::Column::SlaNextAt, Expr::value(next))
        .filter(ticket::Column::Id.eq(t.id))
        .exec(db)
        .await?;
    Ok(ticket::Model {
        sla_next_at: next,
        ..t
    })
}

async fn category_of(
    db: &impl ConnectionTrait,
    t: &ticket::Model,
) -> ServiceResult<category::Model> {
    category::Entity::find_by_id(t.category_code.clone())
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("ticket {} has no category", t.number)))
}

/// The traffic light shown as `Ticket.sla`.
pub fn view(
    state: &AppState,
    category: &category::Model,
    t: &ticket::Model,
    now: DateTime<Utc>,
) -> SlaView {
    let status = Status::parse(&t.status).unwrap_or(Status::Reported);
    let started = match status {
        Status::Reported | Status::Returned => t.awaiting_dispatch_since.or(Some(t.reported_at)),
        _ => t.dispatched_at,
    };
    let facts = SlaFacts {
        status,
        clock_started_at: started,
        dispatch_due_at: t.dispatch_due_at,
        due_at: t.due_at,
        verify_due_at: t.verify_due_at,
        resolved_at: t.resolved_at,
        suspended_at: t.suspended_at,
    };
    sla::evaluate(facts, CategoryTime::of(state, category).basis(), now)
}

/// One sweeper pass: fires every checkpoint that is due at the state's clock, including ones
/// missed while no gridloop was running. Returns how many events were appended.
pub async fn sweep_once(state: &AppState) -> ServiceResult<usize> {
    // PostgreSQL hands disjoint batches to concurrent claimers (SKIP LOCKED), so a large backlog
    // is worked by several connections at once; SQLite serialises writers, so one is enough.
    let lanes = if state.db.get_database_backend() == DbBackend::Postgres {
        SWEEP_LANES
    } else {
        1
    };
    let results = futures::future::join_all((0..lanes).map(|_| sweep_lane(state))).await;
    results.into_iter().sum()
}

/// Concurrent claimers per pass on PostgreSQL.
const SWEEP_LANES: usize = 8;

async fn sweep_lane(state: &AppState) -> ServiceResult<usize> {
    let mut fired = 0;
    loop {
        let (count, batch) = sweep_batch(state).await?;
        fired += count;
        if batch < SWEEP_BATCH as usize {
            return Ok(fired);
        }
    }
}

/// Claims up to one batch of due tickets (SKIP LOCKED on PostgreSQL, so several instances share
/// the work) and fires their checkpoints in one transaction: a guarded update per ticket, then one
/// insert for all the batch's events and one fan-out for all its mail. Returns (events fired,
/// tickets seen).
async fn sweep_batch(state: &AppState) -> ServiceResult<(usize, usize)> {
    let now = state.clock.now();
    let txn = tx::begin_write(&state.db).await?;
    let mut q = ticket::Entity::find()
        .filter(ticket::Column::SlaNextAt.lte(now))
        .order_by_asc(ticket::Column::SlaNextAt)
        .limit(SWEEP_BATCH);
    if state.db.get_database_backend() == DbBackend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = q.all(&txn).await?;
    let seen = due.len();
    let mut categories: HashMap<String, category::Model> = HashMap::new();
    let mut planned: Vec<Fired> = Vec::new();
    for t in due {
        if !categories.contains_key(&t.category_code) {
            let c = category_of(&txn, &t).await?;
            categories.insert(c.code.clone(), c);
        }
        let Some(category) = categories.get(&t.category_code) else {
            continue;
        };
        match plan(state, category, t, now) {
            Plan::Fire(f) => planned.push(*f),
            Plan::Reschedule { id, next } => {
                ticket::Entity::update_many()
                    .col_expr(ticket::Column::SlaNextAt, Expr::value(next))
                    .filter(ticket::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let applied = apply(&txn, &planned, now).await?;
    let fired: Vec<Fired> = planned
        .into_iter()
        .filter(|f| applied.contains(&f.after.id))
        .collect();
    let rows: Vec<_> = fired
        .iter()
        .flat_map(|f| event_rows(f.after.id, f.before.version, &f.events, None, now))
        .collect();
    for chunk in rows.chunks(EVENT_INSERT_CHUNK) {
        ticket_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    // When several checkpoints were passed at once (e.g. after downtime), people are told the
    // latest news only: an overdue notice supersedes the warning before it.
    let latest: Vec<[&str; 1]> = fired
        .iter()
        .map(|f| [f.events.last().map_or("", |e| e.kind)])
        .collect();
    let news: Vec<News> = fired
        .iter()
        .zip(&latest)
        .map(|(f, kinds)| News {
            before: Some(&f.before),
            after: &f.after,
            event_kinds: kinds,
            actor_id: None,
        })
        .collect();
    notify::enqueue_batch(state, &txn, &news).await?;
    txn.commit().await?;
    Ok((fired.iter().map(|f| f.events.len()).sum(), seen))
}

/// Event rows per INSERT: nine columns each stays well under PostgreSQL's 65,535 parameters.
const EVENT_INSERT_CHUNK: usize = 2000;

/// One ticket's fired checkpoints, whose events and mail the batch writes together.
struct Fired {
    before: ticket::Model,
    after: ticket::Model,
    events: Vec<EventRecord>,
}

/// What a due ticket needs: its passed stages fired, or only its checkpoint moved.
enum Plan {
    Fire(Box<Fired>),
    Reschedule {
        id: i64,
        next: Option<DateTime<Utc>>,
    },
}

/// Works out every stage of one ticket whose checkpoint has passed (no I/O).
fn plan(
    state: &AppState,
    category: &category::Model,
    mut t: ticket::Model,
    now: DateTime<Utc>,
) -> Plan {
    let before = t.clone();
    let mut events = Vec::new();
    let (mut stage, mut level) = (t.sla_stage, t.escalation_level);
    let status = Status::parse(&t.status);
    let mut next = next_checkpoint(state, category, &t);
    while let Some(at) = next.filter(|at| *at <= now) {
        stage += 1;
        if stage >= 2 {
            level += 1;
        }
        events.push(
            EventRecord {
                kind: sla::stage_event(stage),
                from: status,
                to: status,
                note: None,
                data: json!({"stage": stage, "escalationLevel": level, "checkpoint": at, "dueAt": t.due_at}),
            },
        );
        t.sla_stage = stage;
        next = next_checkpoint(state, category, &t);
    }
    if events.is_empty() {
        return Plan::Reschedule { id: t.id, next };
    }
    let after = ticket::Model {
        sla_stage: stage,
        escalation_level: level,
        sla_next_at: next,
        version: t.version + events.len() as i32,
        updated_at: now,
        ..t
    };
    Plan::Fire(Box::new(Fired {
        before,
        after,
        events,
    }))
}

/// Writes a batch's fired stages in one UPDATE … FROM (VALUES …), each row guarded by the
/// version that was read, so a stage fires exactly once even if a ticket moved meanwhile.
/// Returns the ids of the tickets that were updated.
async fn apply(
    txn: &impl ConnectionTrait,
    fired: &[Fired],
    now: DateTime<Utc>,
) -> ServiceResult<HashSet<i64>> {
    if fired.is_empty() {
        return Ok(HashSet::new());
    }
    let backend = txn.get_database_backend();
    let mut values: Vec<Value> = vec![now.into()];
    let mut tuples = Vec::with_capacity(fired.len());
    for f in fired {
        let first = values.len() + 1;
        let p = |i: usize| placeholder(backend, first + i);
        tuples.push(match backend {
            DbBackend::Postgres => format!(
                "({}::bigint, {}::integer, {}::integer, {}::integer, {}::timestamptz, {}::integer)",
                p(0),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            _ => format!(
                "({}, {}, {}, {}, {}, {})",
                p(0),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
        });
        values.extend([
            f.after.id.into(),
            f.before.version.into(),
            f.after.sla_stage.into(),
            f.after.escalation_level.into(),
            f.after.sla_next_at.into(),
            f.after.version.into(),
        ]);
    }
    let sql = format!(
        "UPDATE ticket SET sla_stage = v.stage, escalation_level = v.level, \
         sla_next_at = v.next_at, version = v.version, updated_at = {now} \
         FROM (SELECT {columns} FROM (VALUES {tuples}) AS x) AS v \
         WHERE ticket.id = v.id AND ticket.version = v.read_version RETURNING ticket.id",
        now = placeholder(backend, 1),
        columns = VALUES_COLUMNS,
        tuples = tuples.join(", "),
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<i64>(0).map_err(ServiceError::Database))
        .collect()
}

/// The n-th (1-based) bind parameter in the backend's syntax.
fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    }
}

/// Names for the VALUES list's columns (both PostgreSQL and SQLite call them column1…).
const VALUES_COLUMNS: &str = "x.column1 AS id, x.column2 AS read_version, x.column3 AS stage, \
     x.column4 AS level, x.column5 AS next_at, x.column6 AS version";

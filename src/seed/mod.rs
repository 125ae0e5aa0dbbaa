//! `gridloop seed`: a synthetic city and a large ticket history, written at bulk speed.
//!
//! Generation is pure ([`city`], [`tickets`], [`story`], [`walk`]); [`write`] streams the rows
//! into one transaction while the next chunk is being generated on another thread.

pub mod city;
pub mod rows;
pub mod story;
pub mod tickets;
pub mod walk;
pub mod write;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};

use crate::domain::routing::RoutingIndex;
use crate::entity::{app_user, category, grid_worker, jurisdiction, ticket, user_role, user_scope};
use crate::service::{ServiceError, password};
use crate::state::AppState;

use city::{CityParams, CityPlan, plan_city};
use rows::{Encoded, Rows, encode};
use story::SeedCategory;
use tickets::{Generator, TicketPlan};
use write::Sink;

/// The password of every seeded login.
pub const SEED_PASSWORD: &str = "gridloop-seed";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("database: {0}")]
    Sqlx(#[from] sea_orm::sqlx::Error),
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Input(String),
}

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedParams {
    pub tickets: usize,
    pub days: u32,
    pub grids: usize,
    pub lanes: usize,
    pub seed: u64,
    /// Tickets per generated chunk (one `COPY` or a few `INSERT`s per table).
    pub chunk: usize,
}

impl Default for SeedParams {
    fn default() -> Self {
        SeedParams {
            tickets: 10_000,
            days: 30,
            grids: 10_000,
            lanes: 5_000,
            seed: 20_261_129,
            chunk: 5_000,
        }
    }
}

/// What was written, and how long it took.
#[derive(Debug, Clone, Default)]
pub struct SeedSummary {
    pub users: usize,
    pub places: usize,
    pub tickets: u64,
    pub events: u64,
    pub feedback: u64,
    /// Tickets per final status.
    pub statuses: BTreeMap<String, usize>,
    pub elapsed: Duration,
}

/// Seeds a database that has no places and no tickets yet.
pub async fn run(state: &AppState, p: SeedParams) -> Result<SeedSummary, SeedError> {
    let started = Instant::now();
    let db = &state.db;
    if jurisdiction::Entity::find().count(db).await? > 0
        || ticket::Entity::find().count(db).await? > 0
    {
        return Err(SeedError::Input(
            "the database already has places or tickets; seed an empty one".into(),
        ));
    }
    if p.grids == 0 {
        return Err(SeedError::Input("--grids must be at least 1".into()));
    }
    let now = state.clock.now();
    let params = CityParams {
        grids: p.grids,
        lanes: p.lanes,
        seed: p.seed,
        user_base: max_id(db, "app_user").await?,
        place_base: max_id(db, "jurisdiction").await?,
        password_hash: password::hash(&state.settings.auth, SEED_PASSWORD).await?,
        now,
    };
    let city = blocking(move || plan_city(&params)).await?;
    let places = city.routing_places.clone();
    let index = Arc::new(blocking(move || RoutingIndex::build(places)).await?);
    let categories: Vec<SeedCategory> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|model| SeedCategory {
            calendar: state.calendars.get(&model.calendar_code),
            model,
        })
        .collect();
    let plan = TicketPlan {
        tickets: p.tickets,
        days: p.days,
        end: now,
        seed: p.seed,
        ticket_base: max_id(db, "ticket").await?,
        event_base: max_id(db, "ticket_event").await?,
        feedback_base: max_id(db, "feedback").await?,
    };
    let mut sink = Sink::begin(db).await?;
    let mut summary = SeedSummary {
        users: city.users.len(),
        places: city.places.len(),
        ..Default::default()
    };
    write_city(&mut sink, &city).await?;
    let city = Arc::new(city);
    let generator = Generator::new(city, index, categories, plan);
    let numbers = write_tickets(&mut sink, generator, p.chunk.max(1), &mut summary).await?;
    write_numbers(&mut sink, &numbers).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        for table in [
            "app_user",
            "jurisdiction",
            "ticket",
            "ticket_event",
            "feedback",
        ] {
            sink.execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .await?;
        }
    }
    sink.commit().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    state.routing.rebuild(db).await?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SeedError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SeedError::Input(format!("generator thread: {e}")))
}

async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, SeedError> {
    let backend = db.get_database_backend();
    let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}");
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "m")?,
        None => 0,
    })
}

async fn write_city(sink: &mut Sink, city: &CityPlan) -> Result<(), SeedError> {
    let copy = sink.copies();
    for rows in [
        Rows::of::<app_user::Entity>(&city.users),
        Rows::of::<user_role::Entity>(&city.roles),
        Rows::of::<jurisdiction::Entity>(&city.places),
        Rows::of::<user_scope::Entity>(&city.scopes),
        Rows::of::<grid_worker::Entity>(&city.workers),
    ] {
        if !rows.is_empty() {
            sink.write(encode(&rows, copy)?).await?;
        }
    }
    Ok(())
}

/// Generated and encoded tickets of one chunk, with their counts.
struct Batch {
    units: Vec<Encoded>,
    tickets: u64,
    events: u64,
    feedback: u64,
    statuses: BTreeMap<String, usize>,
}

/// Streams the generator's chunks into the sink; returns the day counters for ticket numbers.
async fn write_tickets(
    sink: &mut Sink,
    mut generator: Generator,
    chunk: usize,
    summary: &mut SeedSummary,
) -> Result<BTreeMap<String, i64>, SeedError> {
    let copy = sink.copies();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, SeedError>>(2);
    let producer = tokio::task::spawn_blocking(move || {
        while generator.remaining() > 0 {
            let batch = batch(generator.next_chunk(chunk), copy);
            if tx.blocking_send(batch).is_err() {
                break;
            }
        }
        generator.numbers().clone()
    });
    let mut reported = 0;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        for unit in batch.units {
            sink.write(unit).await?;
        }
        summary.tickets += batch.tickets;
        summary.events += batch.events;
        summary.feedback += batch.feedback;
        for (status, n) in batch.statuses {
            *summary.statuses.entry(status).or_default() += n;
        }
        if summary.tickets >= reported + 100_000 {
            reported = summary.tickets;
            tracing::info!(
                tickets = summary.tickets,
                events = summary.events,
                "seeding"
            );
        }
    }
    producer
        .await
        .map_err(|e| SeedError::Input(format!("generator thread: {e}")))
}

fn batch(chunk: tickets::Chunk, copy: bool) -> Result<Batch, SeedError> {
    let mut statuses = BTreeMap::new();
    for t in &chunk.tickets {
        *statuses.entry(t.status.clone()).or_default() += 1;
    }
    let mut units = vec![
        encode(&Rows::of::<ticket::Entity>(&chunk.tickets), copy)?,
        encode(
            &Rows::of::<crate::entity::ticket_event::Entity>(&chunk.events),
            copy,
        )?,
    ];
    if !chunk.feedback.is_empty() {
        units.push(encode(
            &Rows::of::<crate::entity::feedback::Entity>(&chunk.feedback),
            copy,
        )?);
    }
    Ok(Batch {
        units,
        tickets: chunk.tickets.len() as u64,
        events: chunk.events.len() as u64,
        feedback: chunk.feedback.len() as u64,
        statuses,
    })
}

/// Sets each day's ticket-number counter to the last number seeded, so new reports follow on.
async fn write_numbers(sink: &mut Sink, numbers: &BTreeMap<String, i64>) -> Result<(), SeedError> {
    let pairs: Vec<(&String, &i64)> = numbers.iter().collect();
    for part in pairs.chunks(500) {
        let values: Vec<String> = part
            .iter()
            .filter(|(day, _)| day.chars().all(|c| c.is_ascii_digit()))
            .map(|(day, last)| format!("('{day}', {last})"))
            .collect();
        if values.is_empty() {
            continue;
        }
        sink.execute(&format!(
            "INSERT INTO ticket_number_seq (day, last) VALUES {} ON CONFLICT (day) DO UPDATE SET last = excluded.last",
            values.join(", ")
        ))
        .await?;
    }
    Ok(())
}

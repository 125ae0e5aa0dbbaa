//! SLA sweeper pass cost on PostgreSQL with 1,000,000 open tickets: a pass with nothing due, and a
//! pass with 10,000 due. Run: `cargo bench --bench sweeper` (PostgreSQL at 127.0.0.1:5432, or
//! GRIDLOOP_BENCH_PG=postgres://user@host:port). Creates and reuses database `gridloop_bench_sla`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use gridloop::clock::ManualClock;
use gridloop::config::Settings;
use gridloop::domain::role::Role;
use gridloop::service::Actor;
use gridloop::service::sla::sweep_once;
use gridloop::service::users::{self, NewUser};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;

const OPEN: i64 = 1_000_000;
const DUE: i64 = 10_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = std::env::var("GRIDLOOP_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS gridloop_bench_sla")
        .await?;
    admin
        .execute_unprepared("CREATE DATABASE gridloop_bench_sla")
        .await?;
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(format!("{server}/gridloop_bench_sla"));
    settings.auth.argon2_memory_kib = 64;
    settings.workers.sla_sweep_interval_ms = 0;
    let now = Utc
        .with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
        .single()
        .ok_or("time")?;
    let clock = ManualClock::new(now);
    let state = gridloop::startup::prepare(settings, Arc::new(clock.clone())).await?;
    let user = users::create_user(
        &state,
        Actor::System,
        NewUser {
            email: "bench@x.test".into(),
            name: "bench".into(),
            roles: vec![Role::GridWorker],
            ..Default::default()
        },
    )
    .await?;
    let chief = users::create_user(
        &state,
        Actor::System,
        NewUser {
            email: "chief@x.test".into(),
            name: "巷长".into(),
            roles: vec![Role::LaneChief],
            ..Default::default()
        },
    )
    .await?;
    let t0 = Instant::now();
    let far = (now + Duration::days(3650)).to_rfc3339();
    let warn_at = (now - Duration::minutes(4)).to_rfc3339();
    let due = (now + Duration::minutes(20)).to_rfc3339();
    let start = (now - Duration::minutes(100)).to_rfc3339();
    state
        .db
        .execute_unprepared(&format!(
            "INSERT INTO ticket (number, status, category_code, priority, description, lat, lon, source, reporter_id, assignee_id, routed, routing_level, routing_explanation, reported_at, dispatched_at, due_at, sla_next_at, sla_stage, version, updated_at)
             SELECT 'B-' || g, 'DISPATCHED', '0501', 'NORMAL', 'bench', 31.2, 121.4, 'PATROL', {uid}, {cid}, true, 'LANE', 'bench', '{start}', '{start}',
                    CASE WHEN g <= {DUE} THEN '{due}'::timestamptz ELSE '{far}'::timestamptz END,
                    CASE WHEN g <= {DUE} THEN '{warn_at}'::timestamptz ELSE '{far}'::timestamptz END, 0, 0, '{start}'
             FROM generate_series(1, {OPEN}) g",
            uid = user.id,
            cid = chief.id
        ))
        .await?;
    state.db.execute_unprepared("ANALYZE ticket").await?;
    println!(
        "seeded {OPEN} open tickets in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // Nothing due: the clock stands just before the earliest checkpoint.
    clock.set(now - Duration::minutes(5));
    let mut idle = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let fired = sweep_once(&state).await?;
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(fired, 0);
    }
    idle.sort_by(f64::total_cmp);
    println!(
        "pass with nothing due: median {:.2} ms, max {:.2} ms (20 passes)",
        idle[idle.len() / 2],
        idle[idle.len() - 1]
    );

    clock.set(now);
    let t = Instant::now();
    let fired = sweep_once(&state).await?;
    let busy = t.elapsed().as_secs_f64();
    let mails = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        gridloop::entity::notification::Entity::find()
            .count(&state.db)
            .await?
    };
    println!(
        "pass with {DUE} due: {fired} events and {mails} notifications in {busy:.2} s ({:.0} tickets/s)",
        DUE as f64 / busy
    );
    Ok(())
}

//! Statistics on PostgreSQL with 1,000,000 tickets over one year in one town (100 grids in 10
//! communities, 30 streets, 100 lanes, 130 chiefs): the `statistics` use case for the whole town
//! grouped by STREET (rollups) against the straightforward GROUP BY over the raw tickets with the
//! same indicators. Run: `cargo bench --bench statistics` (PostgreSQL at 127.0.0.1:5432, or
//! GRIDLOOP_BENCH_PG=postgres://user@host:port). Recreates database `gridloop_bench_stats`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use gridloop::clock::ManualClock;
use gridloop::config::Settings;
use gridloop::domain::role::Role;
use gridloop::entity::{jurisdiction, ticket};
use gridloop::service::statistics::{
    self, GroupBy, StatisticsReport, StatisticsRequest, rebuild, rollup,
};
use gridloop::service::users::{self, NewUser};
use gridloop::service::{Actor, auth};
use gridloop::state::AppState;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DbBackend, EntityTrait, QueryResult, Set,
    Statement, TransactionTrait,
};
use secrecy::SecretString;

type Error = Box<dyn std::error::Error>;

const TICKETS: i64 = 1_000_000;
const RUNS: usize = 30;
const NAIVE_RUNS: usize = 7;
const TZ: Tz = Tz::Asia__Shanghai;

fn local(y: i32, m: u32, d: u32) -> Result<DateTime<Utc>, Error> {
    Ok(TZ
        .with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .ok_or("time")?
        .with_timezone(&Utc))
}

struct Places {
    town: i64,
    town_code: String,
    communities: Vec<i64>,
    grids: Vec<i64>,
    streets: Vec<i64>,
    lanes: Vec<i64>,
    paths: Vec<String>,
}

async fn place(
    state: &AppState,
    kind: &str,
    code: String,
    parent: Option<(i64, &str)>,
) -> Result<(i64, String), Error> {
    let now = Utc::now();
    let row = jurisdiction::ActiveModel {
        code: Set(code.clone()),
        kind: Set(kind.into()),
        name: Set(format!("{kind} {code}")),
        parent_id: Set(parent.map(|p| p.0)),
        path: Set(String::new()),
        depth: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let path = format!("{}{}/", parent.map_or("/", |p| p.1), row.id);
    let mut active: jurisdiction::ActiveModel = row.clone().into();
    active.path = Set(path.clone());
    active.update(&state.db).await?;
    Ok((row.id, path))
}

async fn seed_places(state: &AppState) -> Result<Places, Error> {
    let (district, dpath) = place(state, "DISTRICT", "310199".into(), None).await?;
    let (town, tpath) = place(state, "TOWN", "310199001".into(), Some((district, &dpath))).await?;
    let mut p = Places {
        town,
        town_code: "310199001".into(),
        communities: Vec::new(),
        grids: Vec::new(),
        streets: Vec::new(),
        lanes: Vec::new(),
        paths: Vec::new(),
    };
    for c in 0..10 {
        let code = format!("310199001{:03}", c + 1);
        let (cid, cpath) = place(state, "COMMUNITY", code.clone(), Some((town, &tpath))).await?;
        p.communities.push(cid);
        for g in 0..10 {
            let (gid, gpath) = place(
                state,
                "GRID",
                format!("{code}{:03}", g + 1),
                Some((cid, &cpath)),
            )
            .await?;
            p.grids.push(gid);
            p.paths.push(gpath);
        }
    }
    let mut street_paths = Vec::new();
    for s in 0..30 {
        let (sid, spath) =
            place(state, "STREET", format!("ST{s:02}"), Some((town, &tpath))).await?;
        p.streets.push(sid);
        street_paths.push(spath);
    }
    for l in 0..100 {
        let (lid, _) = place(
            state,
            "LANE",
            format!("LN{l:03}"),
            Some((p.streets[l % 25], &street_paths[l % 25])),
        )
        .await?;
        p.lanes.push(lid);
    }
    Ok(p)
}

fn array(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("ARRAY[{}]::bigint[]", list.join(","))
}

/// One INSERT … SELECT over generate_series: a year of tickets with skewed categories and
/// sources, 80 % of them on a lane, most closed, some late, reworked, returned, rated, and the
/// last ten days still in progress.
async fn seed_tickets(
    state: &AppState,
    p: &Places,
    chiefs: &[i64],
    reporter: i64,
    year: DateTime<Utc>,
    recent: DateTime<Utc>,
) -> Result<(), Error> {
    let step = 365.0 * 86_400.0 / TICKETS as f64;
    let grid_paths: Vec<String> = p.paths.iter().map(|s| format!("'{s}'")).collect();
    let sql = format!(
        "INSERT INTO ticket (number, status, category_code, priority, description, lat, lon, source, reporter_id,
            grid_id, community_id, town_id, street_id, lane_id, grid_path, routed, routing_level, routing_explanation,
            assignee_id, reported_at, first_dispatched_at, dispatched_at, first_resolved_at, resolved_at, closed_at,
            due_at, rework_count, return_count, extension_count, escalation_level, handled_on_site,
            fake_fix_suspected, feedback_score, resolve_working_minutes, sla_stage, version, updated_at)
        WITH s AS (
            SELECT g, '{year}'::timestamptz + (g - 1) * interval '1 second' * {step} AS rep,
                (g * 7919) % 100 AS gi, (g * 104729) % 100 AS rc, (g * 1299709) % 100 AS rs,
                (g * 15485863) % 1000 AS rst, 10 + (g * 32452843) % 290 AS res, (g * 49979687) % 100 AS rd,
                (g * 67867967) % 100 AS rf
            FROM generate_series(1::bigint, {TICKETS}::bigint) g
        ), t AS (
            SELECT s.*,
                CASE WHEN rd < 80 THEN (gi + rd % 3) % 100 END AS li,
                CASE WHEN rep >= '{recent}'::timestamptz THEN
                    CASE WHEN rst < 20 THEN 'REJECTED' WHEN rst < 40 THEN 'DUPLICATE' WHEN rst < 100 THEN 'REPORTED'
                         WHEN rst < 500 THEN 'DISPATCHED' WHEN rst < 700 THEN 'IN_PROGRESS' WHEN rst < 800 THEN 'RESOLVED'
                         ELSE 'CLOSED' END
                ELSE
                    CASE WHEN rst < 20 THEN 'REJECTED' WHEN rst < 40 THEN 'DUPLICATE' WHEN rst < 50 THEN 'SUSPENDED'
                         WHEN rst < 70 THEN 'IN_PROGRESS' WHEN rst < 80 THEN 'RESOLVED' ELSE 'CLOSED' END
                END AS st,
                rep + interval '1 minute' * (CASE WHEN rd < 80 THEN 0 ELSE rd * 3 END) AS disp
            FROM s
        ), u AS (
            SELECT t.*,
                CASE WHEN li IS NULL THEN 25 + g % 5 ELSE li % 25 END AS si,
                st NOT IN ('REPORTED', 'REJECTED') AS dispatched,
                st IN ('RESOLVED', 'CLOSED') AS resolved
            FROM t
        )
        SELECT 'B-' || g, st,
            CASE WHEN rc < 35 THEN '0505' WHEN rc < 55 THEN '0501' WHEN rc < 65 THEN '0504' WHEN rc < 75 THEN '0506'
                 WHEN rc < 80 THEN '0507' WHEN rc < 85 THEN '0510' WHEN rc < 93 THEN '0101' WHEN rc < 97 THEN '0102'
                 ELSE '0103' END,
            'NORMAL', 'bench', 31.2 + gi * 0.001 + rd * 0.00001, 121.4 + (gi % 10) * 0.001 + rf * 0.00001,
            CASE WHEN rs < 70 THEN 'PATROL' WHEN rs < 90 THEN 'HOTLINE' WHEN rs < 95 THEN 'CAMERA'
                 WHEN rs < 99 THEN 'PUBLIC' ELSE 'SUPERIOR' END,
            {reporter},
            ({grids})[gi + 1], ({communities})[gi / 10 + 1], {town}, ({streets})[si + 1],
            CASE WHEN li IS NULL THEN NULL ELSE ({lanes})[li + 1] END,
            (ARRAY[{grid_paths}])[gi + 1], true, 'LANE', 'bench',
            CASE WHEN st IN ('REPORTED', 'REJECTED', 'DUPLICATE') THEN NULL
                 WHEN li IS NULL THEN ({chiefs})[100 + si + 1] ELSE ({chiefs})[li + 1] END,
            rep,
            CASE WHEN dispatched THEN disp END, CASE WHEN dispatched THEN disp END,
            CASE WHEN resolved THEN disp + interval '1 minute' * res END,
            CASE WHEN resolved THEN disp + interval '1 minute' * res END,
            CASE WHEN st = 'CLOSED' THEN disp + interval '1 minute' * (res + 5 + rf * 2) END,
            CASE WHEN dispatched AND st <> 'DUPLICATE' THEN disp + interval '120 minutes' END,
            CASE WHEN resolved AND rf < 5 THEN 1 ELSE 0 END,
            CASE WHEN dispatched AND rf >= 95 AND rf < 98 THEN 1 ELSE 0 END,
            0, 0, false, false,
            CASE WHEN st = 'CLOSED' AND rf < 30 THEN 1 + (rf * 7) % 5 END,
            CASE WHEN resolved THEN res END,
            0, 1, rep
        FROM u",
        grids = array(&p.grids),
        communities = array(&p.communities),
        streets = array(&p.streets),
        lanes = array(&p.lanes),
        chiefs = array(chiefs),
        grid_paths = grid_paths.join(","),
        town = p.town,
    );
    state.db.execute_unprepared(&sql).await?;
    state.db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// The straightforward way: one GROUP BY over the raw tickets of the period computing the same
/// indicators (counts, means and exact percentiles with percentile_cont).
fn naive_sql(town: i64, from: DateTime<Utc>, to: DateTime<Utc>, as_of: DateTime<Utc>) -> String {
    let reg = "status NOT IN ('REJECTED', 'DUPLICATE')";
    let open = "status NOT IN ('REJECTED', 'DUPLICATE', 'SUSPENDED', 'CLOSED')";
    let minutes = |a: &str, b: &str| format!("extract(epoch FROM {b} - {a}) / 60");
    let duration = |name: &str, a: &str, b: &str, v: &str| {
        let cond = format!("{reg} AND {b} >= {a}");
        format!(
            "(avg({v}) FILTER (WHERE {cond}))::float8 AS {name}_mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY {v}) FILTER (WHERE {cond}) AS {name}_median, percentile_cont(0.9) WITHIN GROUP (ORDER BY {v}) FILTER (WHERE {cond}) AS {name}_p90"
        )
    };
    format!(
        "SELECT street_id, count(*) AS reported, count(*) FILTER (WHERE {reg}) AS registered,
            count(*) FILTER (WHERE {reg} AND first_dispatched_at IS NOT NULL) AS dispatched,
            count(*) FILTER (WHERE status = 'CLOSED' OR ({open} AND due_at <= '{as_of}')) AS due_count,
            count(*) FILTER (WHERE status = 'CLOSED') AS closed,
            count(*) FILTER (WHERE status = 'CLOSED' AND (due_at IS NULL OR resolved_at <= due_at)) AS closed_on_time,
            count(*) FILTER (WHERE {open} AND due_at < '{as_of}') AS overdue_open,
            count(*) FILTER (WHERE {reg} AND first_resolved_at IS NOT NULL) AS resolved_ever,
            count(*) FILTER (WHERE {reg} AND first_resolved_at IS NOT NULL AND rework_count > 0) AS reworked,
            count(*) FILTER (WHERE {reg} AND first_dispatched_at IS NOT NULL AND return_count > 0) AS returned,
            count(*) FILTER (WHERE {reg} AND feedback_score BETWEEN 1 AND 5) AS feedback,
            count(*) FILTER (WHERE {reg} AND feedback_score BETWEEN 4 AND 5) AS satisfied,
            {d1}, {d2}, {d3}, {d4}
        FROM ticket WHERE town_id = {town} AND reported_at >= '{from}' AND reported_at < '{to}'
        GROUP BY street_id",
        d1 = duration("dispatch", "reported_at", "first_dispatched_at", &minutes("reported_at", "first_dispatched_at")),
        d2 = duration("resolve", "dispatched_at", "resolved_at", &minutes("dispatched_at", "resolved_at")),
        d3 = duration("working", "dispatched_at", "resolved_at", "resolve_working_minutes::float8"),
        d4 = duration("close", "reported_at", "closed_at", &minutes("reported_at", "closed_at")),
        from = from.to_rfc3339(),
        to = to.to_rfc3339(),
        as_of = as_of.to_rfc3339(),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn time_fast(
    state: &AppState,
    viewer: &gridloop::service::Viewer,
    req: &StatisticsRequest,
    runs: usize,
) -> Result<(f64, StatisticsReport), Error> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let report = statistics::statistics(state, viewer, req).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(report);
    }
    Ok((median(times), last.ok_or("no run")?))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = std::env::var("GRIDLOOP_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS gridloop_bench_stats")
        .await?;
    admin
        .execute_unprepared("CREATE DATABASE gridloop_bench_stats")
        .await?;
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(format!("{server}/gridloop_bench_stats"));
    settings.auth.argon2_memory_kib = 64;
    settings.workers.sla_sweep_interval_ms = 0;
    let year = local(2026, 1, 1)?;
    let next_year = local(2027, 1, 1)?;
    let now = local(2027, 1, 5)? + Duration::hours(9);
    let state = gridloop::startup::prepare(settings, Arc::new(ManualClock::new(now))).await?;

    let t0 = Instant::now();
    let places = seed_places(&state).await?;
    let chiefs: Vec<i64> = state
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "INSERT INTO app_user (email, name, password_hash, disabled, locale, created_at, updated_at)
             SELECT 'chief' || g || '@bench.test', '街巷长' || g, 'x', false, 'zh', now(), now()
             FROM generate_series(1, 130) g RETURNING id",
        ))
        .await?
        .iter()
        .map(|r: &QueryResult| r.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    let manager = users::create_user(
        &state,
        Actor::System,
        NewUser {
            email: "manager@bench.test".into(),
            name: "manager".into(),
            roles: vec![Role::Manager],
            scope_codes: vec![places.town_code.clone()],
            ..Default::default()
        },
    )
    .await?;
    seed_tickets(
        &state,
        &places,
        &chiefs,
        manager.id,
        year,
        now - Duration::days(10),
    )
    .await?;
    println!(
        "seeded {TICKETS} tickets over 2026 in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let built = rebuild::rebuild(&state).await?;
    println!(
        "rebuild-statistics: {} tickets -> {} rollup rows in {:.1} s",
        built.tickets,
        built.rows,
        t.elapsed().as_secs_f64()
    );
    state
        .db
        .execute_unprepared("ANALYZE statistics_rollup")
        .await?;

    let viewer = auth::load_viewer(&state.db, manager).await?;
    let by_street = StatisticsRequest {
        scope: Some(places.town_code.clone()),
        from: Some(year),
        to: Some(next_year),
        group_by: Some(GroupBy::Street),
        ..Default::default()
    };
    let (fast_ms, fast) = time_fast(&state, &viewer, &by_street, RUNS).await?;
    println!(
        "statistics, town by STREET, calendar year 2026 (rollups): median {fast_ms:.2} ms over {RUNS} runs"
    );

    let ragged = StatisticsRequest {
        from: Some(now - Duration::days(365)),
        to: Some(now),
        ..by_street.clone()
    };
    let (ragged_ms, _) = time_fast(&state, &viewer, &ragged, RUNS).await?;
    println!(
        "statistics, town by STREET, the 365 days before now (ragged edges): median {ragged_ms:.2} ms"
    );
    for (label, group_by) in [
        ("DAY", GroupBy::Day),
        ("ASSIGNEE", GroupBy::Assignee),
        ("CATEGORY", GroupBy::Category),
    ] {
        let req = StatisticsRequest {
            group_by: Some(group_by),
            ..by_street.clone()
        };
        let (ms, _) = time_fast(&state, &viewer, &req, 10).await?;
        println!("statistics, town by {label}, 2026: median {ms:.2} ms");
    }
    let filtered = StatisticsRequest {
        categories: vec!["0505".into()],
        ..by_street.clone()
    };
    let (ms, _) = time_fast(&state, &viewer, &filtered, 10).await?;
    println!("statistics, town by STREET, category 0505 only, 2026: median {ms:.2} ms");

    let sql = naive_sql(places.town, year, next_year, now);
    let mut naive_times = Vec::new();
    let mut naive_rows = Vec::new();
    for _ in 0..NAIVE_RUNS {
        let t = Instant::now();
        naive_rows = state
            .db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
            .await?;
        naive_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let naive_ms = median(naive_times);
    println!(
        "naive GROUP BY over raw tickets, same indicators: median {naive_ms:.1} ms over {NAIVE_RUNS} runs"
    );
    println!("speed-up: {:.0}x", naive_ms / fast_ms);

    let (exact_ms, _) = time_fast(
        &state,
        &viewer,
        &StatisticsRequest {
            exact: true,
            ..by_street.clone()
        },
        3,
    )
    .await?;
    println!(
        "statistics with exact: true (every ticket through the reference code): median {exact_ms:.0} ms"
    );

    // The rollups and the naive query agree on every count; percentiles within the bins.
    let street_codes: std::collections::HashMap<i64, String> = jurisdiction::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|j| (j.id, j.code))
        .collect();
    let (mut worst, mut worst_mean) = (0.0f64, 0.0f64);
    for row in &naive_rows {
        let street: i64 = row.try_get("", "street_id")?;
        let code = &street_codes[&street];
        let group = fast
            .groups
            .iter()
            .find(|g| &g.key == code)
            .ok_or("street missing")?;
        let i = &group.indicators;
        for (name, mine) in [
            ("registered", i.registered),
            ("due_count", i.due_count),
            ("closed", i.closed),
            ("closed_on_time", i.closed_on_time),
            ("overdue_open", i.overdue_open),
            ("reworked", i.reworked),
            ("returned", i.returned),
            ("satisfied", i.satisfied_count),
        ] {
            let theirs: i64 = row.try_get("", name)?;
            if theirs as u64 != mine {
                return Err(format!("{code} {name}: rollups {mine}, naive {theirs}").into());
            }
        }
        let pairs = [
            ("dispatch", &i.to_dispatch),
            ("resolve", &i.to_resolve_wall),
            ("working", &i.to_resolve_working),
            ("close", &i.to_close),
        ];
        for (name, mine) in pairs {
            for (suffix, value) in [("median", mine.median), ("p90", mine.p90)] {
                let exact: Option<f64> = row.try_get("", &format!("{name}_{suffix}"))?;
                if let (Some(a), Some(b)) = (value, exact) {
                    worst = worst.max((a - b).abs() / b.max(1.0));
                }
            }
            let mean: Option<f64> = row.try_get("", &format!("{name}_mean"))?;
            if let (Some(a), Some(b)) = (mine.mean, mean) {
                worst_mean = worst_mean.max((a - b).abs() / b.max(1.0));
            }
        }
    }
    println!(
        "every count of every street agrees with the naive query; means within {:.1e}, medians and p90 within {:.2} %",
        worst_mean,
        worst * 100.0
    );

    // What keeping the rollups costs a ticket change at this size (rolled back).
    let mut costs = Vec::new();
    for id in (1..=200).map(|k| k * 4_999) {
        let Some(before) = ticket::Entity::find_by_id(id).one(&state.db).await? else {
            continue;
        };
        let after = ticket::Model {
            status: "CLOSED".into(),
            closed_at: Some(now),
            resolved_at: Some(now),
            first_resolved_at: Some(now),
            ..before.clone()
        };
        let txn = state.db.begin().await?;
        let t = Instant::now();
        rollup::record_change(&state, &txn, Some(&before), &after).await?;
        costs.push(t.elapsed().as_secs_f64() * 1000.0);
        txn.rollback().await?;
    }
    println!(
        "rollup upkeep per ticket change: median {:.2} ms ({} changes)",
        median(costs.clone()),
        costs.len()
    );
    Ok(())
}

//! `gridloop loadgen`: drives a running gridloop over its real GraphQL API with many logged-in
//! users (as seeded by `gridloop seed`) and reports throughput and latency percentiles per
//! operation. Loopback only; bounded in time and in requests.

pub mod client;
pub mod ops;
pub mod stats;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use client::{Gql, login};
use ops::{Area, Op, User, World};
use stats::{Stats, Summary};

/// Upper bounds that keep a run from turning into a flood.
pub const MAX_CONCURRENCY: usize = 1_024;
pub const MAX_DURATION: Duration = Duration::from_secs(3_600);

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Base URL of the service, e.g. `http://127.0.0.1:8080` (loopback only).
    pub url: String,
    pub concurrency: usize,
    pub duration: Duration,
    /// Stop after this many requests in all, even before `duration`.
    pub max_requests: u64,
    /// Weights of report, accept, resolve and query.
    pub mix: Vec<(Op, u32)>,
    /// A login that sees every ticket and grid (the seeded admin).
    pub admin_email: String,
    pub password: String,
    /// Grids fetched to report in.
    pub max_grids: usize,
    /// Where to write the acknowledged reports (`clientRequestId number` per line).
    pub journal: Option<std::path::PathBuf>,
}

/// Parses `report=70,accept=10,resolve=10,query=10`.
pub fn parse_mix(text: &str) -> Result<Vec<(Op, u32)>, String> {
    let mut mix = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| format!("mix entry {part:?}: expected op=weight"))?;
        let op = Op::ALL
            .into_iter()
            .find(|op| op.name() == name.trim())
            .ok_or_else(|| format!("unknown op {name:?} (report, accept, resolve, query)"))?;
        let weight: u32 = weight
            .trim()
            .parse()
            .map_err(|_| format!("mix entry {part:?}: weight must be a whole number"))?;
        mix.push((op, weight));
    }
    if mix.iter().map(|(_, w)| *w).sum::<u32>() == 0 {
        return Err("the mix has no weight".into());
    }
    Ok(mix)
}

/// Refuses any URL whose host is not a loopback address.
pub fn check_loopback(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL {url}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url}: only http(s) URLs"));
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "{url}: loadgen only drives a service on loopback (127.0.0.1, ::1, localhost)"
        ))
    }
}

/// Logs everyone in, runs the mix, and returns the summary.
pub async fn run(cfg: &LoadConfig) -> Result<Summary, String> {
    check_loopback(&cfg.url)?;
    if cfg.concurrency == 0 || cfg.concurrency > MAX_CONCURRENCY {
        return Err(format!("concurrency must be 1..={MAX_CONCURRENCY}"));
    }
    if cfg.duration.is_zero() || cfg.duration > MAX_DURATION {
        return Err(format!("duration must be 1..={} s", MAX_DURATION.as_secs()));
    }
    let gql = Gql::new(&cfg.url, cfg.concurrency)?;
    let admin = login(&gql, &cfg.admin_email, &cfg.password).await?;
    let world = Arc::new(discover(&gql, &admin, cfg).await?);
    let users = log_in_users(&gql, &admin, cfg, &world).await?;
    let budget = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + cfg.duration;
    let total: u32 = cfg.mix.iter().map(|(_, w)| *w).sum();
    let tasks: Vec<_> = users
        .into_iter()
        .map(|mut user| {
            let budget = Arc::clone(&budget);
            let (mix, max) = (cfg.mix.clone(), cfg.max_requests);
            tokio::spawn(async move {
                let mut stats = Stats::default();
                while Instant::now() < deadline && budget.fetch_add(1, Ordering::Relaxed) < max {
                    let mut pick = user.rng().below(u64::from(total)) as u32;
                    let op = mix
                        .iter()
                        .find(|(_, w)| {
                            let hit = pick < *w;
                            pick = pick.saturating_sub(*w);
                            hit
                        })
                        .map_or(Op::Query, |(op, _)| *op);
                    user.run(op, &mut stats).await;
                }
                stats
            })
        })
        .collect();
    let mut all = Stats::default();
    for task in tasks {
        all.merge(task.await.map_err(|e| format!("virtual user: {e}"))?);
    }
    let summary = all.summary(started.elapsed(), cfg.concurrency);
    if let Some(path) = &cfg.journal {
        let lines: String = all
            .acknowledged()
            .iter()
            .map(|(request, number)| format!("{request} {number}\n"))
            .collect();
        std::fs::write(path, lines)
            .map_err(|e| format!("writing the journal {}: {e}", path.display()))?;
    }
    Ok(summary)
}

/// Grids to report in, categories, and some ticket numbers to read.
async fn discover(gql: &Gql, admin: &str, cfg: &LoadConfig) -> Result<World, String> {
    let mut areas = Vec::new();
    let mut after: Option<String> = None;
    while areas.len() < cfg.max_grids {
        let data = gql
            .post(
                Some(admin),
                "query($after: String) { jurisdictions(kind: GRID, first: 100, after: $after) { edges { cursor node { geometry } } pageInfo { hasNextPage } } }",
                json!({"after": after}),
            )
            .await
            .map_err(|code| format!("listing grids: {code}"))?;
        let page = &data["jurisdictions"];
        let edges = page["edges"].as_array().cloned().unwrap_or_default();
        areas.extend(
            edges
                .iter()
                .filter_map(|e| area(e["node"]["geometry"].as_str()?)),
        );
        after = edges
            .last()
            .and_then(|e| e["cursor"].as_str())
            .map(str::to_string);
        if page["pageInfo"]["hasNextPage"] != Value::Bool(true) || after.is_none() {
            break;
        }
    }
    if areas.is_empty() {
        return Err("no grids to report in: seed the database first (gridloop seed)".into());
    }
    let data = gql
        .post(
            Some(admin),
            "{ categories { code } tickets(first: 100) { edges { node { number } } } }",
            Value::Null,
        )
        .await
        .map_err(|code| format!("listing categories: {code}"))?;
    let strings = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.pointer(key)?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(World {
        gql: gql.clone(),
        areas,
        categories: strings(&data["categories"], "/code"),
        reader: admin.to_string(),
        numbers: strings(&data["tickets"]["edges"], "/node/number"),
    })
}

/// The bounding box of a GeoJSON geometry's coordinates.
fn area(geojson: &str) -> Option<Area> {
    let v: Value = serde_json::from_str(geojson).ok()?;
    let mut points = Vec::new();
    collect(&v["coordinates"], &mut points);
    let first = *points.first()?;
    Some(points.iter().fold(
        Area {
            min: first,
            max: first,
        },
        |a, &(x, y)| Area {
            min: (a.min.0.min(x), a.min.1.min(y)),
            max: (a.max.0.max(x), a.max.1.max(y)),
        },
    ))
}

fn collect(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v.as_array() {
        Some(a) if a.len() >= 2 && a[0].is_number() => {
            if let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64()) {
                out.push((x, y));
            }
        }
        Some(a) => a.iter().for_each(|x| collect(x, out)),
        None => {}
    }
}

/// One grid worker and one chief per virtual user, taken in turn from the seeded people.
async fn log_in_users(
    gql: &Gql,
    admin: &str,
    cfg: &LoadConfig,
    world: &Arc<World>,
) -> Result<Vec<User>, String> {
    let workers = emails(gql, admin, "GRID_WORKER", cfg.concurrency).await?;
    let mut chiefs = emails(gql, admin, "LANE_CHIEF", cfg.concurrency).await?;
    chiefs.extend(emails(gql, admin, "STREET_CHIEF", cfg.concurrency).await?);
    if workers.is_empty() || chiefs.is_empty() {
        return Err(
            "no seeded grid workers or chiefs: seed the database first (gridloop seed)".into(),
        );
    }
    let mut users = Vec::with_capacity(cfg.concurrency);
    let ids: Vec<usize> = (0..cfg.concurrency).collect();
    let (workers, chiefs) = (&workers, &chiefs);
    for part in ids.chunks(8) {
        let logins = part.iter().map(|&id| async move {
            let worker = login(gql, &workers[id % workers.len()], &cfg.password).await?;
            let chief = login(gql, &chiefs[(id * 7) % chiefs.len()], &cfg.password).await?;
            Ok::<_, String>(User::new(id, worker, chief, Arc::clone(world)))
        });
        for user in futures::future::join_all(logins).await {
            users.push(user?);
        }
    }
    Ok(users)
}

async fn emails(gql: &Gql, admin: &str, role: &str, max: usize) -> Result<Vec<String>, String> {
    let data = gql
        .post(
            Some(admin),
            "query($r: Role, $n: Int) { users(role: $r, first: $n) { edges { node { email } } } }",
            json!({"r": role, "n": max.min(100)}),
        )
        .await
        .map_err(|code| format!("listing users: {code}"))?;
    Ok(data["users"]["edges"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["node"]["email"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

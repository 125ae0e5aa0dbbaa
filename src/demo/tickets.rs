//! About 200 demo tickets over the last 30 days, walked through the real use cases by the
//! real people, so every status, category and SLA outcome shows up.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::clock::ManualClock;
use crate::entity::{grid_worker, ticket};
use crate::service::evidence::NewPhoto;
use crate::service::tickets::engine::Target;
use crate::service::tickets::{self, handling, oversight};
use crate::service::{Actor, ServiceResult, Viewer, auth, users};
use crate::state::AppState;

use super::town::demo_points;

const CATEGORIES: [&str; 9] = [
    "0501", "0504", "0505", "0506", "0507", "0510", "0101", "0102", "0103",
];

/// A 1×1 PNG; the index is appended so every demo photo has its own hash.
const PIXEL: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

fn photo(tag: u64) -> Vec<NewPhoto> {
    let mut bytes = PIXEL.to_vec();
    bytes.extend_from_slice(&tag.to_le_bytes());
    vec![NewPhoto {
        bytes,
        taken_at: None,
        lat: None,
        lon: None,
    }]
}

/// A tiny deterministic generator (the demo must look the same on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Cast {
    viewers: HashMap<i64, Viewer>,
    dispatcher: Viewer,
    manager: Viewer,
}

impl Cast {
    async fn load(state: &AppState) -> ServiceResult<Self> {
        let by_email = async |email: &str| -> ServiceResult<Viewer> {
            let user = users::get_by_email(state, email).await?;
            auth::load_viewer(&state.db, user).await
        };
        Ok(Self {
            viewers: HashMap::new(),
            dispatcher: by_email("dispatcher1@demo.gridloop").await?,
            manager: by_email("manager@demo.gridloop").await?,
        })
    }

    async fn user(&mut self, state: &AppState, id: i64) -> ServiceResult<Viewer> {
        if let Some(v) = self.viewers.get(&id) {
            return Ok(v.clone());
        }
        let v = auth::load_viewer(&state.db, users::get(state, id).await?).await?;
        self.viewers.insert(id, v.clone());
        Ok(v)
    }

    /// A grid worker of the ticket's grid (they report and verify there).
    async fn worker_for(
        &mut self,
        state: &AppState,
        grid: Option<i64>,
    ) -> ServiceResult<Option<Viewer>> {
        let Some(grid) = grid else { return Ok(None) };
        let row = grid_worker::Entity::find()
            .filter(grid_worker::Column::GridId.eq(grid))
            .one(&state.db)
            .await?;
        match row {
            Some(r) => Ok(Some(self.user(state, r.user_id).await?)),
            None => Ok(None),
        }
    }
}

/// Seeds `count` tickets reported over the 30 days before the state's clock.
pub async fn seed(state: &AppState, count: usize) -> ServiceResult<()> {
    let end = state.clock.now();
    let clock = ManualClock::new(end - Duration::days(30));
    let at = AppState {
        clock: Arc::new(clock.clone()),
        ..state.clone()
    };
    let mut cast = Cast::load(&at).await?;
    let mut rng = Rng(20261129);
    let any_worker = users::get_by_email(&at, "worker1@demo.gridloop").await?;
    let fallback_reporter = auth::load_viewer(&at.db, any_worker).await?;
    for (i, (lat, lon)) in demo_points(count, 7).into_iter().enumerate() {
        let reported_at = end - Duration::minutes(30 * 24 * 60 * (count - i) as i64 / count as i64)
            + Duration::minutes(rng.below(120) as i64);
        clock.set(reported_at.min(end));
        let grid_worker = probe_grid(&at, lat, lon, &mut cast).await?;
        let reporter = grid_worker.unwrap_or_else(|| fallback_reporter.clone());
        let category = CATEGORIES[i % CATEGORIES.len()];
        let on_site = rng.below(100) < 4;
        let input = tickets::ReportInput {
            category_code: category.into(),
            description: format!("演示事件 #{i}"),
            lat,
            lon,
            photos: photo(i as u64 * 10),
            handled_on_site: on_site,
            after_photos: if on_site {
                photo(i as u64 * 10 + 1)
            } else {
                Vec::new()
            },
            ..Default::default()
        };
        let t = tickets::report(&at, &reporter, input).await?.ticket;
        if !on_site {
            walk(&at, &clock, &mut cast, &mut rng, t, end, i as u64).await?;
        }
    }
    Ok(())
}

/// A grid worker for the point, found by routing it first.
async fn probe_grid(
    state: &AppState,
    lat: f64,
    lon: f64,
    cast: &mut Cast,
) -> ServiceResult<Option<Viewer>> {
    let d = state
        .routing
        .route(lat, lon, crate::domain::routing::HandlerLevel::Lane, "");
    cast.worker_for(state, d.grid.map(|g| g.id)).await
}

/// Moves a fresh ticket some way along the loop, never past `end`.
async fn walk(
    state: &AppState,
    clock: &ManualClock,
    cast: &mut Cast,
    rng: &mut Rng,
    t: ticket::Model,
    end: DateTime<Utc>,
    tag: u64,
) -> ServiceResult<()> {
    let step = |clock: &ManualClock, minutes: u64| {
        clock.advance(Duration::minutes(minutes as i64));
        clock_now(clock) < end
    };
    let target = Target::new(t.number.clone());
    let dispatcher = cast.dispatcher.clone();
    let manager = cast.manager.clone();
    let roll = rng.below(100);
    if t.assignee_id.is_none() {
        if roll < 30 && step(clock, 20) {
            handling::reject(state, Actor::User(&dispatcher), &target, "不属于城管事件").await?;
        }
        return Ok(());
    }
    let Some(assignee_id) = t.assignee_id else {
        return Ok(());
    };
    let assignee = cast.user(state, assignee_id).await?;
    if roll < 5 {
        if step(clock, 15) {
            handling::return_ticket(state, Actor::User(&assignee), &target, "不属于本巷").await?;
        }
        return Ok(());
    }
    if roll < 9 {
        if let Some(original) = previous_number(state, &t).await?
            && step(clock, 30)
        {
            handling::mark_duplicate(state, Actor::User(&dispatcher), &target, &original, None)
                .await?;
        }
        return Ok(());
    }
    if roll < 15 || !step(clock, 5 + rng.below(40)) {
        return Ok(());
    }
    handling::accept(state, Actor::User(&assignee), &target).await?;
    if roll < 20 {
        if step(clock, 60) {
            oversight::suspend(state, Actor::User(&manager), &target, "等待相关部门配合").await?;
        }
        return Ok(());
    }
    if roll < 28 && step(clock, 30) {
        oversight::supervise(state, Actor::User(&manager), &target, "请加快处置").await?;
    }
    if roll < 35 || !step(clock, 20 + rng.below(400)) {
        return Ok(());
    }
    handling::resolve(
        state,
        Actor::User(&assignee),
        &target,
        "已处置完毕",
        photo(tag * 10 + 2),
    )
    .await?;
    let Some(worker) = cast.worker_for(state, t.grid_id).await? else {
        return Ok(());
    };
    if roll < 42 || !step(clock, 30 + rng.below(180)) {
        return Ok(());
    }
    if roll.is_multiple_of(9) {
        handling::verify(
            state,
            Actor::User(&worker),
            &target,
            false,
            Some("仍有残留"),
            Vec::new(),
        )
        .await?;
        if !step(clock, 60) {
            return Ok(());
        }
        handling::resolve(
            state,
            Actor::User(&assignee),
            &target,
            "再次处置",
            photo(tag * 10 + 3),
        )
        .await?;
        if !step(clock, 60) {
            return Ok(());
        }
    }
    handling::verify(state, Actor::User(&worker), &target, true, None, Vec::new()).await?;
    if roll.is_multiple_of(3) && step(clock, 24 * 60) {
        let score = 2 + (rng.below(4) as i32);
        oversight::feedback(
            state,
            Actor::User(&dispatcher),
            &target,
            score,
            Some("回访"),
        )
        .await?;
    }
    Ok(())
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use crate::clock::Clock;
    clock.now()
}

/// The ticket reported just before this one (what a repeat report duplicates).
async fn previous_number(state: &AppState, t: &ticket::Model) -> ServiceResult<Option<String>> {
    let prev = ticket::Entity::find()
        .filter(ticket::Column::Id.lt(t.id))
        .filter(ticket::Column::Status.is_not_in(["DUPLICATE", "REJECTED"]))
        .order_by_desc(ticket::Column::Id)
        .one(&state.db)
        .await?;
    Ok(prev.map(|p| p.number))
}

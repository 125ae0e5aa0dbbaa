//! Random ticket histories driven through the real use cases (service layer), for tests that
//! compare the statistics with a slow path.
#![allow(dead_code)]

use chrono::Duration;
use gridloop::domain::lifecycle::Source;
use gridloop::domain::role::Role;
use gridloop::entity::ticket;
use gridloop::service::evidence::NewPhoto;
use gridloop::service::tickets::engine::Target;
use gridloop::service::tickets::{self, ReportInput, handling, oversight};
use gridloop::service::{Actor, Viewer, auth, users};
use sea_orm::EntityTrait;

use super::{TestApp, town};

/// A small deterministic generator (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

fn photo(rng: &mut Rng) -> Vec<NewPhoto> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&rng.next().to_le_bytes());
    bytes.extend_from_slice(&rng.next().to_le_bytes());
    vec![NewPhoto {
        bytes,
        taken_at: None,
        lat: None,
        lon: None,
    }]
}

pub struct Cast {
    pub worker: Viewer,
    pub dispatcher: Viewer,
    pub manager: Viewer,
    pub admin: Viewer,
    pub chiefs: Vec<Viewer>,
}

async fn viewer(app: &TestApp, email: &str) -> Viewer {
    let user = users::get_by_email(&app.state, email).await.unwrap();
    auth::load_viewer(&app.db, user).await.unwrap()
}

pub async fn cast(app: &TestApp) -> Cast {
    app.create_user("dispatcher@r.test", &[Role::Dispatcher], &[town::TOWN])
        .await;
    app.create_user("admin@r.test", &[Role::Admin], &[]).await;
    let mut chiefs = Vec::new();
    for email in [town::LANE1, town::LANE2, town::STREET1, town::COMMUNITY2] {
        chiefs.push(viewer(app, email).await);
    }
    Cast {
        worker: viewer(app, town::WORKER1).await,
        dispatcher: viewer(app, "dispatcher@r.test").await,
        manager: viewer(app, town::MANAGER).await,
        admin: viewer(app, "admin@r.test").await,
        chiefs,
    }
}

/// Local meters of the test town: two lanes with chiefs, one without, a street, the chiefless
/// street in community 2, and a point outside every grid.
const SPOTS: [(f64, f64); 6] = [
    (50.0, 150.0),
    (70.0, 150.0),
    (300.0, 150.0),
    (150.0, 100.0),
    (200.0, 310.0),
    (1000.0, 1000.0),
];
const CATEGORIES: [&str; 4] = ["0501", "0505", "0101", "0102"];

async fn report(app: &TestApp, c: &Cast, rng: &mut Rng) {
    let (x, y) = rng.pick(&SPOTS);
    let (lat, lon) = town::at(x, y);
    let by_worker = rng.below(3) > 0 && x < 1000.0;
    let on_site = by_worker && rng.below(8) == 0;
    let input = ReportInput {
        category_code: rng.pick(&CATEGORIES).into(),
        description: "随机".into(),
        lat,
        lon,
        source: Some(if by_worker {
            Source::Patrol
        } else {
            rng.pick(&[
                Source::Hotline,
                Source::Camera,
                Source::Public,
                Source::Superior,
            ])
        }),
        photos: photo(rng),
        handled_on_site: on_site,
        after_photos: if on_site { photo(rng) } else { Vec::new() },
        ..Default::default()
    };
    let who = if by_worker { &c.worker } else { &c.dispatcher };
    tickets::report(&app.state, who, input).await.unwrap();
}

/// One random action on one random ticket, by someone allowed to take it; refusals are fine.
async fn act(app: &TestApp, c: &Cast, rng: &mut Rng, all: &[ticket::Model]) {
    let open: Vec<&ticket::Model> = all
        .iter()
        .filter(|t| !["CLOSED", "REJECTED", "DUPLICATE"].contains(&t.status.as_str()))
        .collect();
    let t = if open.is_empty() || rng.below(5) == 0 {
        &all[rng.below(all.len() as u64) as usize]
    } else {
        open[rng.below(open.len() as u64) as usize]
    };
    let target = Target::new(t.number.clone());
    let holder = c.chiefs.iter().find(|v| Some(v.user_id) == t.assignee_id);
    let chief = |rng: &mut Rng| c.chiefs[rng.below(c.chiefs.len() as u64) as usize].user_id;
    let st = &app.state;
    let (d, m) = (Actor::User(&c.dispatcher), Actor::User(&c.manager));
    let roll = rng.below(10);
    let result = match (t.status.as_str(), holder) {
        ("REPORTED" | "RETURNED", _) if roll < 7 => {
            let to = if rng.below(2) == 0 {
                None
            } else {
                Some(chief(rng))
            };
            handling::dispatch(
                st,
                d,
                &target,
                to.or(Some(chief(rng)).filter(|_| t.routed_handler_id.is_none())),
                None,
            )
            .await
        }
        ("REPORTED" | "RETURNED", _) if roll < 9 => {
            handling::reject(st, d, &target, "不予立案").await
        }
        ("REPORTED" | "RETURNED" | "DISPATCHED", _) if roll == 9 => {
            let other = &all[rng.below(all.len() as u64) as usize];
            handling::mark_duplicate(st, d, &target, &other.number, None).await
        }
        ("DISPATCHED" | "IN_PROGRESS", Some(h)) => {
            let a = Actor::User(h);
            match roll {
                0..2 if t.status == "DISPATCHED" => handling::accept(st, a, &target).await,
                0..5 => handling::resolve(st, a, &target, "已处置", photo(rng)).await,
                5 => handling::return_ticket(st, a, &target, "不归我管").await,
                6 => oversight::suspend(st, m, &target, "挂账").await,
                7 => oversight::request_extension(st, a, &target, 60, "需要时间").await,
                8 => oversight::decide_extension(st, d, &target, rng.below(2) == 0, None).await,
                _ => handling::accept(st, a, &target).await,
            }
        }
        ("RESOLVED", _) => {
            let verifier = if t.grid_id.is_some() && rng.below(2) == 0 {
                &c.worker
            } else {
                &c.dispatcher
            };
            handling::verify(
                st,
                Actor::User(verifier),
                &target,
                roll < 7,
                Some("核查"),
                Vec::new(),
            )
            .await
        }
        ("SUSPENDED", _) if roll < 7 => oversight::resume(st, m, &target, None).await,
        ("SUSPENDED", _) => oversight::decide_extension(st, d, &target, true, None).await,
        ("CLOSED", _) if roll < 6 => {
            let score = 1 + rng.below(5) as i32;
            oversight::feedback(st, d, &target, score, None).await
        }
        ("CLOSED", _) if roll < 8 => oversight::reopen(st, m, &target, "群众不满意").await,
        _ => return,
    };
    let _refusals_are_part_of_the_game = result.is_err();
}

/// One step: a new report (one in five) or an action, then the clock moves on (mostly minutes,
/// sometimes hours, now and then days).
pub async fn step(app: &TestApp, c: &Cast, rng: &mut Rng) {
    let all = ticket::Entity::find().all(&app.db).await.unwrap();
    if all.is_empty() || rng.below(10) < 2 {
        report(app, c, rng).await;
    } else {
        act(app, c, rng, &all).await;
    }
    let minutes = match rng.below(40) {
        0 => 24 * 60 + rng.below(48 * 60),
        1..6 => 120 + rng.below(480),
        _ => 1 + rng.below(40),
    };
    app.clock.advance(Duration::minutes(minutes as i64));
}

//! Synthetic tickets over a period, chunk by chunk: reported at points of the city, routed by the
//! same index the service uses, and walked through the loop (see [`super::walk`]). Pure.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use geo::Rect;
use serde_json::json;

use crate::domain::lifecycle::{Action, Source, Status};
use crate::domain::numbering::{day_key, ticket_number};
use crate::domain::routing::{HandlerLevel, RouteDecision, RoutingIndex};
use crate::entity::{feedback, ticket, ticket_event};

use super::city::CityPlan;
use super::story::{SeedCategory, Story};
use super::walk::{Cast, band, walk};

/// What to generate.
#[derive(Debug, Clone)]
pub struct TicketPlan {
    pub tickets: usize,
    pub days: u32,
    /// The end of the period (now): nothing happens after it.
    pub end: DateTime<Utc>,
    pub seed: u64,
    /// Ids are handed out above these.
    pub ticket_base: i64,
    pub event_base: i64,
    pub feedback_base: i64,
}

/// One batch of rows.
#[derive(Debug, Default)]
pub struct Chunk {
    pub tickets: Vec<ticket::Model>,
    pub events: Vec<ticket_event::Model>,
    pub feedback: Vec<feedback::Model>,
}

/// splitmix64: small, fast and deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The most recent ticket of a category that a later report may duplicate.
struct Original {
    id: i64,
    number: String,
    lat: f64,
    lon: f64,
}

/// Generates the tickets of a [`TicketPlan`] in order of reporting.
pub struct Generator {
    city: Arc<CityPlan>,
    index: Arc<RoutingIndex>,
    categories: Vec<SeedCategory>,
    plan: TicketPlan,
    bounds: Option<Rect<f64>>,
    rng: Rng,
    made: usize,
    next_event: i64,
    next_feedback: i64,
    numbers: BTreeMap<String, i64>,
    originals: HashMap<String, Original>,
}

impl Generator {
    pub fn new(
        city: Arc<CityPlan>,
        index: Arc<RoutingIndex>,
        categories: Vec<SeedCategory>,
        plan: TicketPlan,
    ) -> Self {
        Generator {
            bounds: index.bounds(),
            rng: Rng::new(plan.seed ^ 0x5EED),
            made: 0,
            next_event: plan.event_base,
            next_feedback: plan.feedback_base,
            numbers: BTreeMap::new(),
            originals: HashMap::new(),
            city,
            index,
            categories,
            plan,
        }
    }

    /// Tickets still to generate.
    pub fn remaining(&self) -> usize {
        self.plan.tickets.saturating_sub(self.made)
    }

    /// The last ticket number handed out on each local day (`YYYYMMDD` → sequence).
    pub fn numbers(&self) -> &BTreeMap<String, i64> {
        &self.numbers
    }

    /// The next (up to) `max` tickets with their events and feedback.
    pub fn next_chunk(&mut self, max: usize) -> Chunk {
        let n = max.min(self.remaining());
        let mut chunk = Chunk {
            tickets: Vec::with_capacity(n),
            events: Vec::with_capacity(n * 6),
            feedback: Vec::new(),
        };
        for _ in 0..n {
            self.one(&mut chunk);
        }
        chunk
    }

    fn one(&mut self, chunk: &mut Chunk) {
        let Generator {
            city,
            index,
            categories,
            plan,
            bounds,
            rng,
            made,
            next_event,
            next_feedback,
            numbers,
            originals,
        } = self;
        let i = *made;
        *made += 1;
        if categories.is_empty() {
            return;
        }
        let span = Duration::days(i64::from(plan.days.max(1))).num_seconds() as f64;
        let offset = span * (i as f64 + rng.unit()) / plan.tickets.max(1) as f64;
        let reported_at = plan.end - Duration::seconds((span - offset).max(1.0) as i64);
        let category = &categories[rng.below(categories.len() as u64) as usize];
        let roll = rng.below(1000);
        let original = originals
            .get(&category.model.code)
            .filter(|_| roll < band::DUPLICATE);
        let (lat, lon) = match original {
            Some(o) => (
                o.lat + (rng.unit() - 0.5) * 2e-4,
                o.lon + (rng.unit() - 0.5) * 2e-4,
            ),
            None => point(*bounds, rng),
        };
        let original = original.map(|o| (o.id, o.number.clone()));
        let level =
            HandlerLevel::parse(&category.model.handler_level).unwrap_or(HandlerLevel::Lane);
        let label = format!("{} {}", category.model.code, category.model.name);
        let d = index.route(lat, lon, level, &label);
        let worker = d
            .grid
            .as_ref()
            .and_then(|g| city.worker_of_grid.get(&g.id).copied());
        let dispatcher = d
            .town
            .as_ref()
            .and_then(|t| city.dispatcher_of_town.get(&t.id).copied())
            .unwrap_or(city.head_dispatcher);
        let (source, reporter) = match worker {
            Some(w) if rng.below(100) < 85 => (Source::Patrol, w),
            _ => (Source::Hotline, dispatcher),
        };
        let day = day_key(reported_at, category.calendar.timezone);
        let seq = numbers.entry(day.clone()).or_insert(0);
        *seq += 1;
        let id = plan.ticket_base + i as i64 + 1;
        let at = Report {
            id,
            number: ticket_number(&day, *seq),
            source,
            reporter,
            lat,
            lon,
            at: reported_at,
        };
        let mut s = Story::new(row(city, category, at, &d), plan.end, category);
        let on_site = source == Source::Patrol
            && (band::DUPLICATE..band::ON_SITE).contains(&roll)
            && original.is_none();
        let feedback = if on_site {
            s.act(
                Action::ReportHandledOnSite,
                Some(reporter),
                None,
                json!({"source": source.as_str()}),
            );
            s.t.handled_on_site = true;
            (s.t.first_resolved_at, s.t.resolved_at, s.t.closed_at) =
                (Some(reported_at), Some(reported_at), Some(reported_at));
            None
        } else {
            report(&mut s, reporter, source, &d);
            let cast = Cast {
                dispatcher,
                manager: city.manager,
                verifier: worker.unwrap_or(dispatcher),
                other_handler: other_handler(city, rng, &d, s.t.routed_handler_id),
            };
            let original = original.as_ref().map(|(id, n)| (*id, n.as_str()));
            walk(&mut s, roll, original, &cast, rng).feedback
        };
        let (t, events) = s.finish();
        if !matches!(
            Status::parse(&t.status),
            Some(Status::Duplicate | Status::Rejected)
        ) {
            let o = Original {
                id: t.id,
                number: t.number.clone(),
                lat: t.lat,
                lon: t.lon,
            };
            originals.insert(t.category_code.clone(), o);
        }
        for mut e in events {
            *next_event += 1;
            e.id = *next_event;
            chunk.events.push(e);
        }
        if let Some(mut f) = feedback {
            *next_feedback += 1;
            f.id = *next_feedback;
            chunk.feedback.push(f);
        }
        chunk.tickets.push(t);
    }
}

/// The report event, then auto-dispatch when the category allows it and routing found someone.
fn report(s: &mut Story<'_>, reporter: i64, source: Source, d: &RouteDecision) {
    let handler = s.t.routed_handler_id;
    let reported_at = s.t.reported_at;
    s.act(
        Action::Report,
        Some(reporter),
        None,
        json!({"routed": d.is_routed(), "handler": handler, "explanation": d.explanation, "source": source.as_str()}),
    );
    let limit = s.category.model.dispatch_limit_minutes;
    s.t.dispatch_due_at = Some(s.category.after(reported_at, limit));
    match handler.filter(|_| s.category.model.auto_dispatch) {
        Some(h) => {
            s.act(
                Action::AutoDispatch,
                Some(reporter),
                None,
                json!({"assignee": h}),
            );
            s.start_handling(h);
        }
        None => s.t.awaiting_dispatch_since = Some(reported_at),
    }
}

/// A point inside the city's grids, or (2 %) just outside them.
fn point(bounds: Option<Rect<f64>>, rng: &mut Rng) -> (f64, f64) {
    let Some(b) = bounds else {
        return (31.2, 121.4);
    };
    let (x, y) = (rng.unit(), rng.unit());
    if rng.below(50) == 0 {
        return (b.min().y - 0.001 - y * 0.002, b.min().x + x * b.width());
    }
    (b.min().y + y * b.height(), b.min().x + x * b.width())
}

/// Whom a dispatcher hands the ticket to when the routed handler is not the one: the chief of
/// its street, else any street chief.
fn other_handler(
    city: &CityPlan,
    rng: &mut Rng,
    d: &RouteDecision,
    handler: Option<i64>,
) -> Option<i64> {
    let street = d
        .street
        .as_ref()
        .and_then(|s| city.chief_of.get(&s.id).copied());
    let chiefs = &city.street_chiefs;
    let any = chiefs.get(rng.below(chiefs.len() as u64) as usize).copied();
    street.filter(|s| Some(*s) != handler).or(any)
}

/// Who reported what, where and when.
struct Report {
    id: i64,
    number: String,
    source: Source,
    reporter: i64,
    lat: f64,
    lon: f64,
    at: DateTime<Utc>,
}

/// The ticket row as reported, before any action.
fn row(city: &CityPlan, category: &SeedCategory, r: Report, d: &RouteDecision) -> ticket::Model {
    let path = |p: Option<i64>| p.and_then(|id| city.paths.get(&id).cloned());
    let handler = d
        .handler
        .as_ref()
        .filter(|_| d.is_routed())
        .map(|h| h.user_id);
    let place = d.lane.as_ref().or(d.street.as_ref());
    let address = d
        .street
        .as_ref()
        .map(|s| format!("{}{}号", s.name, 1 + (r.id % 300)));
    ticket::Model {
        id: r.id,
        number: r.number,
        status: Status::Reported.as_str().into(),
        category_code: category.model.code.clone(),
        priority: category.model.priority.clone(),
        description: format!("{}（巡查发现）", category.model.name),
        lat: r.lat,
        lon: r.lon,
        address,
        source: r.source.as_str().into(),
        reporter_id: r.reporter,
        client_request_id: None,
        grid_id: d.grid.as_ref().map(|p| p.id),
        community_id: d.community.as_ref().map(|p| p.id),
        town_id: d.town.as_ref().map(|p| p.id),
        street_id: d.street.as_ref().map(|p| p.id),
        lane_id: d.lane.as_ref().map(|p| p.id),
        grid_path: path(d.grid.as_ref().map(|g| g.id)),
        place_path: path(place.map(|p| p.id)),
        routed: d.is_routed(),
        routed_handler_id: handler,
        routing_level: d.level.as_str().into(),
        routing_explanation: d.explanation.clone(),
        assignee_id: None,
        reported_at: r.at,
        first_dispatched_at: None,
        dispatched_at: None,
        accepted_at: None,
        first_resolved_at: None,
        resolved_at: None,
        closed_at: None,
        suspended_at: None,
        dispatch_due_at: None,
        due_at: None,
        verify_due_at: None,
        rework_count: 0,
        return_count: 0,
        extension_count: 0,
        escalation_level: 0,
        duplicate_of_id: None,
        handled_on_site: false,
        fake_fix_suspected: false,
        fake_fix_reasons: None,
        feedback_score: None,
        resolve_working_minutes: None,
        sla_next_at: None,
        sla_stage: 0,
        version: 0,
        updated_at: r.at,
        awaiting_dispatch_since: None,
    }
}

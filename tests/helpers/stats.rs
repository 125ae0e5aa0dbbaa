//! Statistics test support: tickets inserted row by row with known facts, the GraphQL selection
//! of a full indicator set, and comparisons with the reference indicators.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use gridloop::domain::indicators::{DurationSummary, Indicators, TicketFacts, compute};
use gridloop::entity::{jurisdiction, ticket};
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::Value;

use super::TestApp;

pub const TZ: Tz = Tz::Asia__Shanghai;

pub const INDICATOR_FIELDS: &str = "key label belowMinSample reported registered dispatched dueCount closed closedOnTime closureRate onTimeClosureRate overdueOpen resolvedEver reworked reworkRate returned returnRate accurateDispatchRate feedbackCount satisfiedCount satisfactionRate score toDispatch { count mean median p90 } toResolve { count mean median p90 } toResolveWorking { count mean median p90 } toClose { count mean median p90 }";

pub fn statistics_query() -> String {
    format!(
        "query($input: StatisticsInput!) {{ statistics(input: $input) {{ scopeCode scopeName basis asOf from to totals {{ {INDICATOR_FIELDS} }} groups {{ {INDICATOR_FIELDS} }} }} }}"
    )
}

/// Where a ticket lies, by codes, and who holds it (email).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub town: Option<&'static str>,
    pub community: Option<&'static str>,
    pub grid: Option<&'static str>,
    pub street: Option<&'static str>,
    pub lane: Option<&'static str>,
    pub chief: Option<&'static str>,
}

/// One ticket to insert as it stands, with its facts.
#[derive(Debug, Clone)]
pub struct Spec {
    pub place: Place,
    pub category: &'static str,
    pub source: &'static str,
    /// Whether `place.chief` holds it.
    pub assigned: bool,
    pub status: &'static str,
    pub reported_at: DateTime<Utc>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub first_resolved_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub rework_count: i32,
    pub return_count: i32,
    pub feedback_score: Option<i32>,
    pub resolve_working_minutes: Option<i64>,
    /// Local meters in the test town (see `town::at`).
    pub at: (f64, f64),
}

impl Spec {
    pub fn facts(&self) -> TicketFacts {
        TicketFacts {
            reported_at: self.reported_at,
            status: gridloop::service::statistics::facts::fact_status(self.status),
            first_dispatched_at: self.first_dispatched_at,
            last_dispatched_at: self.dispatched_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            due_at: self.due_at,
            ever_dispatched: self.first_dispatched_at.is_some(),
            ever_resolved: self.first_resolved_at.is_some(),
            ever_verify_failed: self.rework_count > 0,
            ever_returned: self.return_count > 0,
            feedback_score: self.feedback_score.map(|s| s as u8),
            resolve_working_minutes: self.resolve_working_minutes,
        }
    }

    /// The group key the API should use for this ticket under `group_by`.
    pub fn key(&self, group_by: &str) -> String {
        let none = |v: Option<&str>| v.unwrap_or("NONE").to_string();
        let local = self.reported_at.with_timezone(&TZ).date_naive();
        match group_by {
            "CATEGORY" => self.category.into(),
            "SOURCE" => self.source.into(),
            "STREET" => none(self.place.street),
            "LANE" => none(self.place.lane),
            "GRID" => none(self.place.grid),
            "COMMUNITY" => none(self.place.community),
            "ASSIGNEE" => none(self.place.chief.filter(|_| self.assigned)),
            "DAY" => local.format("%Y-%m-%d").to_string(),
            "WEEK" => local.format("%G-W%V").to_string(),
            "MONTH" => local.format("%Y-%m").to_string(),
            other => panic!("unknown grouping {other}"),
        }
    }
}

/// Inserts the tickets in one transaction (no events: the rollups are then rebuilt).
pub async fn insert(app: &TestApp, specs: &[Spec]) {
    let places: BTreeMap<String, (i64, String)> = jurisdiction::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.code, (j.id, j.path)))
        .collect();
    let id = |code: Option<&str>| code.map(|c| places[c].0);
    let path = |code: Option<&str>| code.map(|c| places[c].1.clone());
    let reporter = gridloop::service::users::get_by_email(&app.state, super::town::WORKER1)
        .await
        .unwrap()
        .id;
    let mut chiefs = BTreeMap::new();
    for s in specs {
        if let Some(email) = s.place.chief
            && !chiefs.contains_key(email)
        {
            let user = gridloop::service::users::get_by_email(&app.state, email)
                .await
                .unwrap();
            chiefs.insert(email, user.id);
        }
    }
    let txn = app.db.begin().await.unwrap();
    for (i, s) in specs.iter().enumerate() {
        let p = s.place;
        ticket::ActiveModel {
            number: Set(format!("GL-TEST-{i:06}")),
            status: Set(s.status.into()),
            category_code: Set(s.category.into()),
            priority: Set("NORMAL".into()),
            description: Set("测试".into()),
            lat: Set(super::town::at(s.at.0, s.at.1).0),
            lon: Set(super::town::at(s.at.0, s.at.1).1),
            source: Set(s.source.into()),
            reporter_id: Set(reporter),
            grid_id: Set(id(p.grid)),
            community_id: Set(id(p.community)),
            town_id: Set(id(p.town)),
            street_id: Set(id(p.street)),
            lane_id: Set(id(p.lane)),
            grid_path: Set(path(p.grid)),
            place_path: Set(path(p.lane.or(p.street))),
            routed: Set(true),
            routing_level: Set("LANE".into()),
            routing_explanation: Set("test".into()),
            assignee_id: Set(p.chief.filter(|_| s.assigned).map(|e| chiefs[e])),
            reported_at: Set(s.reported_at),
            first_dispatched_at: Set(s.first_dispatched_at),
            dispatched_at: Set(s.dispatched_at),
            first_resolved_at: Set(s.first_resolved_at),
            resolved_at: Set(s.resolved_at),
            closed_at: Set(s.closed_at),
            due_at: Set(s.due_at),
            rework_count: Set(s.rework_count),
            return_count: Set(s.return_count),
            extension_count: Set(0),
            escalation_level: Set(0),
            handled_on_site: Set(false),
            fake_fix_suspected: Set(false),
            feedback_score: Set(s.feedback_score),
            resolve_working_minutes: Set(s.resolve_working_minutes),
            sla_stage: Set(0),
            version: Set(1),
            updated_at: Set(s.reported_at),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// The reference indicators of the specs, per group key (all specs under `""`).
pub fn expected(
    specs: &[&Spec],
    group_by: Option<&str>,
    as_of: DateTime<Utc>,
) -> BTreeMap<String, Indicators> {
    let mut groups: BTreeMap<String, Vec<TicketFacts>> = BTreeMap::new();
    for s in specs {
        let key = group_by.map_or(String::new(), |g| s.key(g));
        groups.entry(key).or_default().push(s.facts());
    }
    groups
        .into_iter()
        .map(|(k, facts)| (k, compute(&facts, as_of)))
        .collect()
}

fn close(got: &Value, want: Option<f64>, tolerance: f64, what: &str) {
    match want {
        None => assert!(got.is_null(), "{what}: got {got}, want null"),
        Some(w) => {
            let g = got
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: got {got}, want {w}"));
            assert!((g - w).abs() <= tolerance, "{what}: got {g}, want {w}");
        }
    }
}

fn durations(got: &Value, want: &DurationSummary, exact: bool, what: &str) {
    assert_eq!(got["count"], want.count, "{what}.count");
    let mean_tol = 1e-9 * want.mean.unwrap_or(0.0).abs().max(1.0);
    close(&got["mean"], want.mean, mean_tol, &format!("{what}.mean"));
    for (field, w) in [("median", want.median), ("p90", want.p90)] {
        let tol = match (exact, w) {
            (true, _) => mean_tol,
            (false, Some(w)) => w / 16.0 + 1.0,
            (false, None) => 0.0,
        };
        close(&got[field], w, tol, &format!("{what}.{field}"));
    }
}

/// Checks every field of an IndicatorSet JSON against the reference. With `exact`, medians and
/// p90 must match to float precision; otherwise within the histogram's documented bound.
pub fn assert_indicators(got: &Value, want: &Indicators, exact: bool, what: &str) {
    let counts = [
        ("reported", want.reported),
        ("registered", want.registered),
        ("dispatched", want.dispatched),
        ("dueCount", want.due_count),
        ("closed", want.closed),
        ("closedOnTime", want.closed_on_time),
        ("overdueOpen", want.overdue_open),
        ("resolvedEver", want.resolved_ever),
        ("reworked", want.reworked),
        ("returned", want.returned),
        ("feedbackCount", want.feedback_count),
        ("satisfiedCount", want.satisfied_count),
    ];
    for (field, w) in counts {
        assert_eq!(got[field], w, "{what}.{field}");
    }
    let rates = [
        ("closureRate", want.closure_rate),
        ("onTimeClosureRate", want.on_time_closure_rate),
        ("reworkRate", want.rework_rate),
        ("returnRate", want.return_rate),
        ("accurateDispatchRate", want.accurate_dispatch_rate),
        ("satisfactionRate", want.satisfaction_rate),
        ("score", want.score),
    ];
    for (field, w) in rates {
        close(&got[field], w, 1e-12, &format!("{what}.{field}"));
    }
    durations(
        &got["toDispatch"],
        &want.to_dispatch,
        exact,
        &format!("{what}.toDispatch"),
    );
    durations(
        &got["toResolve"],
        &want.to_resolve_wall,
        exact,
        &format!("{what}.toResolve"),
    );
    durations(
        &got["toResolveWorking"],
        &want.to_resolve_working,
        exact,
        &format!("{what}.toResolveWorking"),
    );
    durations(
        &got["toClose"],
        &want.to_close,
        exact,
        &format!("{what}.toClose"),
    );
}

/// Checks a `groups` list: every expected key present and equal; any other group empty.
pub fn assert_groups(got: &Value, want: &BTreeMap<String, Indicators>, exact: bool, what: &str) {
    let list = got
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no groups in {got}"));
    let empty = Indicators::default();
    for g in list {
        let key = g["key"].as_str().unwrap();
        let w = want.get(key).unwrap_or(&empty);
        assert_indicators(g, w, exact, &format!("{what}[{key}]"));
    }
    for key in want.keys() {
        assert!(
            list.iter().any(|g| g["key"] == key.as_str()),
            "{what}: group {key} missing"
        );
    }
}

impl Spec {
    /// A ticket reported at `reported_at` at `place`, dispatched at once to its chief with a
    /// 120-minute limit.
    pub fn dispatched(place: Place, category: &'static str, reported_at: DateTime<Utc>) -> Spec {
        Spec {
            place,
            category,
            source: "PATROL",
            assigned: true,
            status: "DISPATCHED",
            reported_at,
            first_dispatched_at: Some(reported_at),
            dispatched_at: Some(reported_at),
            first_resolved_at: None,
            resolved_at: None,
            closed_at: None,
            due_at: Some(reported_at + chrono::Duration::minutes(120)),
            rework_count: 0,
            return_count: 0,
            feedback_score: None,
            resolve_working_minutes: None,
            at: (100.0, 100.0),
        }
    }

    /// Resolved `minutes` after dispatch and closed ten minutes later.
    pub fn closed_after(mut self, minutes: i64) -> Spec {
        let resolved = self.reported_at + chrono::Duration::minutes(minutes);
        self.status = "CLOSED";
        self.first_resolved_at = Some(resolved);
        self.resolved_at = Some(resolved);
        self.resolve_working_minutes = Some(minutes);
        self.closed_at = Some(resolved + chrono::Duration::minutes(10));
        self
    }

    pub fn status(mut self, status: &'static str) -> Spec {
        self.status = status;
        self
    }

    pub fn at(mut self, x: f64, y: f64) -> Spec {
        self.at = (x, y);
        self
    }
}

//! The slow path the statistics are checked against, written independently of the service:
//! every ticket and its events read raw, facts derived from the event history, grouped and
//! computed with the reference `indicators::compute`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use gridloop::domain::indicators::{DurationSummary, FactStatus, Indicators, TicketFacts, compute};
use gridloop::entity::{app_user, jurisdiction, ticket, ticket_event};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::Value;

use super::stats::TZ;

pub struct Raw {
    pub tickets: Vec<(ticket::Model, TicketFacts)>,
    places: HashMap<i64, String>,
    users: HashMap<i64, String>,
}

fn status(s: &str) -> FactStatus {
    match s {
        "DISPATCHED" => FactStatus::Dispatched,
        "IN_PROGRESS" => FactStatus::InProgress,
        "RETURNED" => FactStatus::Returned,
        "RESOLVED" => FactStatus::Resolved,
        "CLOSED" => FactStatus::Closed,
        "REJECTED" => FactStatus::Rejected,
        "DUPLICATE" => FactStatus::Duplicate,
        "SUSPENDED" => FactStatus::Suspended,
        _ => FactStatus::Reported,
    }
}

/// Facts from the ticket's events; the deadline and working minutes from its row.
fn facts(t: &ticket::Model, events: &[ticket_event::Model]) -> TicketFacts {
    let is = |e: &&ticket_event::Model, kinds: &[&str]| kinds.contains(&e.kind.as_str());
    let dispatch = ["DISPATCHED", "AUTO_DISPATCHED"];
    let resolution = ["RESOLVED", "HANDLED_ON_SITE"];
    let st = status(&t.status);
    TicketFacts {
        reported_at: t.reported_at,
        status: st,
        first_dispatched_at: events.iter().find(|e| is(e, &dispatch)).map(|e| e.at),
        last_dispatched_at: events.iter().rev().find(|e| is(e, &dispatch)).map(|e| e.at),
        resolved_at: events
            .iter()
            .rev()
            .find(|e| is(e, &resolution))
            .map(|e| e.at),
        closed_at: events
            .iter()
            .rev()
            .find(|e| is(e, &["VERIFIED", "HANDLED_ON_SITE"]))
            .map(|e| e.at)
            .filter(|_| st == FactStatus::Closed),
        due_at: t.due_at,
        ever_dispatched: events.iter().any(|e| is(&e, &dispatch)),
        ever_resolved: events.iter().any(|e| is(&e, &resolution)),
        ever_verify_failed: events.iter().any(|e| e.kind == "VERIFY_FAILED"),
        ever_returned: events.iter().any(|e| e.kind == "RETURNED"),
        feedback_score: events
            .iter()
            .rev()
            .find(|e| e.kind == "FEEDBACK")
            .and_then(|e| e.data.as_deref())
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .and_then(|v| v["score"].as_u64())
            .map(|s| s as u8),
        resolve_working_minutes: t.resolve_working_minutes,
    }
}

pub async fn load(db: &DatabaseConnection) -> Raw {
    let mut events: HashMap<i64, Vec<ticket_event::Model>> = HashMap::new();
    for e in ticket_event::Entity::find()
        .order_by_asc(ticket_event::Column::Seq)
        .all(db)
        .await
        .unwrap()
    {
        events.entry(e.ticket_id).or_default().push(e);
    }
    let tickets = ticket::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            let f = facts(&t, events.get(&t.id).map_or(&[][..], Vec::as_slice));
            (t, f)
        })
        .collect();
    let places = jurisdiction::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.id, j.code))
        .collect();
    let users = app_user::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Raw {
        tickets,
        places,
        users,
    }
}

/// How a question selects tickets.
#[derive(Debug, Clone)]
pub struct Question {
    /// `(column, id)`: "town", "community", "grid", "street" or "lane"; `None` = everything.
    pub scope: Option<(&'static str, i64)>,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: Option<&'static str>,
}

impl Raw {
    fn key(&self, t: &ticket::Model, group_by: &str) -> String {
        let place = |id: Option<i64>| id.map_or("NONE".into(), |i| self.places[&i].clone());
        let local = t.reported_at.with_timezone(&TZ).date_naive();
        match group_by {
            "CATEGORY" => t.category_code.clone(),
            "SOURCE" => t.source.clone(),
            "STREET" => place(t.street_id),
            "LANE" => place(t.lane_id),
            "GRID" => place(t.grid_id),
            "COMMUNITY" => place(t.community_id),
            "ASSIGNEE" => t
                .assignee_id
                .map_or("NONE".into(), |i| self.users[&i].clone()),
            "DAY" => local.format("%Y-%m-%d").to_string(),
            "WEEK" => local.format("%G-W%V").to_string(),
            "MONTH" => local.format("%Y-%m").to_string(),
            other => panic!("unknown grouping {other}"),
        }
    }

    fn selected(&self, q: &Question, t: &ticket::Model) -> bool {
        let in_scope = match q.scope {
            None => true,
            Some((column, id)) => {
                let v = match column {
                    "town" => t.town_id,
                    "community" => t.community_id,
                    "grid" => t.grid_id,
                    "street" => t.street_id,
                    _ => t.lane_id,
                };
                v == Some(id)
            }
        };
        in_scope
            && (q.categories.is_empty() || q.categories.contains(&t.category_code))
            && (q.sources.is_empty() || q.sources.contains(&t.source))
            && t.reported_at >= q.from
            && t.reported_at < q.to
    }

    /// The reference indicators of the whole selection.
    pub fn total(&self, q: &Question, as_of: DateTime<Utc>) -> Indicators {
        let whole = Question {
            group_by: None,
            ..q.clone()
        };
        self.answer(&whole, as_of).remove("").unwrap_or_default()
    }

    /// The reference indicators per group key (`""` for the whole selection).
    pub fn answer(&self, q: &Question, as_of: DateTime<Utc>) -> BTreeMap<String, Indicators> {
        let mut groups: BTreeMap<String, Vec<TicketFacts>> = BTreeMap::new();
        for (t, f) in &self.tickets {
            if self.selected(q, t) {
                let key = q.group_by.map_or(String::new(), |g| self.key(t, g));
                groups.entry(key).or_default().push(f.clone());
            }
        }
        groups
            .into_iter()
            .map(|(k, f)| (k, compute(&f, as_of)))
            .collect()
    }
}

fn near(got: Option<f64>, want: Option<f64>, tolerance: f64, what: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tolerance, "{what}: got {g}, want {w}"),
        _ => assert_eq!(got, want, "{what}"),
    }
}

fn same_durations(got: &DurationSummary, want: &DurationSummary, exact: bool, what: &str) {
    assert_eq!(got.count, want.count, "{what}.count");
    let tol = 1e-9 * want.mean.unwrap_or(0.0).abs().max(1.0);
    near(got.mean, want.mean, tol, &format!("{what}.mean"));
    for (name, g, w) in [
        ("median", got.median, want.median),
        ("p90", got.p90, want.p90),
    ] {
        let bound = if exact {
            tol
        } else {
            w.unwrap_or(0.0) / 16.0 + 1.0
        };
        near(g, w, bound, &format!("{what}.{name}"));
    }
}

/// Every indicator equal; medians and p90 within the histogram bound unless `exact`.
pub fn assert_same(got: &Indicators, want: &Indicators, exact: bool, what: &str) {
    let counts = |i: &Indicators| {
        [
            i.reported,
            i.registered,
            i.dispatched,
            i.due_count,
            i.closed,
            i.closed_on_time,
            i.overdue_open,
            i.resolved_ever,
            i.reworked,
            i.returned,
            i.feedback_count,
            i.satisfied_count,
        ]
    };
    assert_eq!(counts(got), counts(want), "{what}: counts");
    let rates = |i: &Indicators| {
        [
            i.closure_rate,
            i.on_time_closure_rate,
            i.rework_rate,
            i.return_rate,
            i.accurate_dispatch_rate,
            i.satisfaction_rate,
            i.score,
        ]
    };
    assert_eq!(rates(got), rates(want), "{what}: rates");
    same_durations(
        &got.to_dispatch,
        &want.to_dispatch,
        exact,
        &format!("{what}.toDispatch"),
    );
    same_durations(
        &got.to_resolve_wall,
        &want.to_resolve_wall,
        exact,
        &format!("{what}.toResolve"),
    );
    same_durations(
        &got.to_resolve_working,
        &want.to_resolve_working,
        exact,
        &format!("{what}.toResolveWorking"),
    );
    same_durations(
        &got.to_close,
        &want.to_close,
        exact,
        &format!("{what}.toClose"),
    );
}

//! The slow path for a past `as_of`: each ticket's facts rebuilt from its events up to `as_of`,
//! then the reference accumulator. Deadlines and working minutes are read from the events'
//! data (`dueAt`, `workingMinutes`); events written before those were recorded fall back to
//! recomputing them with the category's current limits and calendar.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::domain::indicators::{FactStatus, TicketFacts};
use crate::entity::{category, ticket, ticket_event};
use crate::service::error::ServiceResult;
use crate::service::tickets::deadline;
use crate::state::AppState;

use super::facts::{FactRow, fact_status};
use super::model::{GroupBy, group_of_ticket};
use super::plan::Span;
use super::raw::{self, ExactGroups, spans_condition};

/// Replays every ticket of the spans reported by `as_of`, grouped.
pub async fn collect(
    state: &AppState,
    db: &impl ConnectionTrait,
    base: Condition,
    spans: &[Span],
    by: Option<GroupBy>,
    tz: Tz,
    as_of: DateTime<Utc>,
) -> ServiceResult<ExactGroups> {
    let categories: HashMap<String, category::Model> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let cond = base
        .add(spans_condition(spans))
        .add(ticket::Column::ReportedAt.lte(as_of));
    let mut groups = ExactGroups::new();
    let mut after = 0;
    loop {
        let rows = raw::chunk(db, cond.clone(), after).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok(groups);
        };
        let events = ticket_event::Entity::find()
            .filter(ticket_event::Column::TicketId.is_in(rows.iter().map(|r| r.id)))
            .filter(ticket_event::Column::At.lte(as_of))
            .order_by_asc(ticket_event::Column::TicketId)
            .order_by_asc(ticket_event::Column::Seq)
            .all(db)
            .await?;
        let mut by_ticket: HashMap<i64, Vec<ticket_event::Model>> = HashMap::new();
        for e in events {
            by_ticket.entry(e.ticket_id).or_default().push(e);
        }
        for row in &rows {
            let history = by_ticket.get(&row.id).map_or(&[][..], Vec::as_slice);
            let (at_as_of, facts) = replay(state, row, categories.get(&row.category_code), history);
            groups
                .entry(group_of_ticket(by, &at_as_of, tz))
                .or_default()
                .add(&facts, as_of);
        }
        after = last;
    }
}

/// The ticket as its events up to `as_of` leave it: facts, and the row with that assignee.
pub fn replay(
    state: &AppState,
    row: &FactRow,
    category: Option<&category::Model>,
    events: &[ticket_event::Model],
) -> (FactRow, TicketFacts) {
    let mut f = TicketFacts {
        reported_at: row.reported_at,
        status: FactStatus::Reported,
        first_dispatched_at: None,
        last_dispatched_at: None,
        resolved_at: None,
        closed_at: None,
        due_at: None,
        ever_dispatched: false,
        ever_resolved: false,
        ever_verify_failed: false,
        ever_returned: false,
        feedback_score: None,
        resolve_working_minutes: None,
    };
    let mut assignee = None;
    let after = |from: DateTime<Utc>, minutes: i64| {
        category.map(|c| deadline::after(state, c, from, minutes))
    };
    for e in events {
        if let Some(to) = &e.to_status {
            f.status = fact_status(to);
        }
        let data: Value = e
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let recorded_due = || -> Option<Option<DateTime<Utc>>> {
            let v = data.get("dueAt")?;
            Some(serde_json::from_value(v.clone()).ok())
        };
        let number = |key: &str| data.get(key).and_then(Value::as_i64);
        match e.kind.as_str() {
            "HANDLED_ON_SITE" => {
                f.ever_resolved = true;
                f.resolved_at = Some(e.at);
                f.closed_at = Some(e.at);
            }
            "AUTO_DISPATCHED" | "DISPATCHED" => {
                f.ever_dispatched = true;
                f.first_dispatched_at.get_or_insert(e.at);
                f.last_dispatched_at = Some(e.at);
                let limit = category.map_or(0, |c| i64::from(c.handle_limit_minutes));
                f.due_at = recorded_due().unwrap_or_else(|| after(e.at, limit));
                assignee = number("assignee");
            }
            "RETURNED" => {
                f.ever_returned = true;
                f.due_at = None;
                assignee = None;
            }
            "REJECTED" | "MARKED_DUPLICATE" => {
                f.due_at = None;
                assignee = None;
            }
            "EXTENSION_DECIDED" if data.get("approved") == Some(&Value::Bool(true)) => {
                let minutes = number("minutes").unwrap_or(0);
                f.due_at =
                    recorded_due().unwrap_or_else(|| f.due_at.and_then(|d| after(d, minutes)));
            }
            "RESUMED" => {
                let paused = number("pausedMinutes").unwrap_or(0);
                f.due_at =
                    recorded_due().unwrap_or_else(|| f.due_at.and_then(|d| after(d, paused)));
            }
            "RESOLVED" => {
                f.ever_resolved = true;
                f.resolved_at = Some(e.at);
                f.resolve_working_minutes = match data.get("workingMinutes") {
                    Some(v) => v.as_i64(),
                    None => f
                        .last_dispatched_at
                        .zip(category)
                        .map(|(d, c)| deadline::minutes_between(state, c, d, e.at)),
                };
            }
            "VERIFIED" => f.closed_at = Some(e.at),
            "VERIFY_FAILED" => f.ever_verify_failed = true,
            "REOPENED" => f.closed_at = None,
            "FEEDBACK" => {
                f.feedback_score = number("score").and_then(|s| u8::try_from(s).ok());
            }
            _ => {}
        }
    }
    let at_as_of = FactRow {
        assignee_id: assignee,
        ..row.clone()
    };
    (at_as_of, f)
}

//! One ticket's history as it is being written: each action appends an event and changes the row
//! exactly as the service would, and the SLA sweeper's checkpoints fire in between, on time.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::domain::lifecycle::{Action, Status};
use crate::domain::sla;
use crate::domain::working_time::{CalendarKind, TimeBasis, WorkingCalendar};
use crate::entity::{category, ticket, ticket_event};

/// The most sweeper stages one stretch of a ticket's handle clock fires (a safety bound).
const MAX_STAGES: i32 = 10_000;

/// A category with the calendar its limits count in.
#[derive(Debug, Clone)]
pub struct SeedCategory {
    pub model: category::Model,
    pub calendar: Arc<WorkingCalendar>,
}

impl SeedCategory {
    pub fn basis(&self) -> TimeBasis<'_> {
        let kind = if self.model.calendar_kind == "NATURAL" {
            CalendarKind::Natural
        } else {
            CalendarKind::Working
        };
        TimeBasis::new(kind, &self.calendar)
    }

    /// `from` plus `minutes` of the category's time.
    pub fn after(&self, from: DateTime<Utc>, minutes: i32) -> DateTime<Utc> {
        self.basis()
            .add(from, Duration::minutes(i64::from(minutes)))
    }
}

/// A ticket and its events, built action by action up to `end`.
pub struct Story<'a> {
    pub t: ticket::Model,
    pub events: Vec<ticket_event::Model>,
    pub now: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub category: &'a SeedCategory,
}

impl<'a> Story<'a> {
    pub fn new(t: ticket::Model, end: DateTime<Utc>, category: &'a SeedCategory) -> Self {
        Story {
            now: t.reported_at,
            t,
            events: Vec::with_capacity(8),
            end,
            category,
        }
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.t.status).unwrap_or(Status::Reported)
    }

    /// Moves the clock on; false when that would pass `end` (the story stops there).
    pub fn step(&mut self, minutes: i64) -> bool {
        self.step_to(self.now + Duration::minutes(minutes.max(1)))
    }

    /// Moves the clock to `at` (never backwards); false when that would pass `end`.
    pub fn step_to(&mut self, at: DateTime<Utc>) -> bool {
        let at = at.max(self.now);
        if at >= self.end {
            return false;
        }
        self.now = at;
        true
    }

    /// Appends the event of `action` at the current time, after any SLA checkpoint that fell due
    /// before it; the status moves to the action's target.
    pub fn act(&mut self, action: Action, actor: Option<i64>, note: Option<&str>, data: Value) {
        self.fire_sla(self.now);
        let from = (!self.events.is_empty()).then(|| self.status());
        let to = action.target().or(from);
        self.push(action.event_kind(), from, to, actor, self.now, note, data);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &str,
        from: Option<Status>,
        to: Option<Status>,
        actor: Option<i64>,
        at: DateTime<Utc>,
        note: Option<&str>,
        data: Value,
    ) {
        let seq = self.events.len() as i32 + 1;
        self.events.push(ticket_event::Model {
            id: 0,
            ticket_id: self.t.id,
            seq,
            kind: kind.to_string(),
            from_status: from.map(|s| s.as_str().to_string()),
            to_status: to.map(|s| s.as_str().to_string()),
            actor_id: actor,
            at,
            note: note.map(str::to_string),
            data: (!data.is_null()).then(|| data.to_string()),
        });
        if let Some(to) = to {
            self.t.status = to.as_str().to_string();
        }
        self.t.version = seq;
        self.t.updated_at = at;
    }

    /// The sweeper's work up to `until`: every handle-clock checkpoint that has passed fires once,
    /// at its own time (or when the clock runs again), raising the stage (and, from the overdue notice on, the escalation level).
    pub fn fire_sla(&mut self, until: DateTime<Utc>) {
        let limit = i64::from(self.category.model.handle_limit_minutes);
        for _ in 0..MAX_STAGES {
            let Some(at) = self.checkpoint(limit).filter(|at| *at <= until) else {
                return;
            };
            let stage = self.t.sla_stage + 1;
            let level = self.t.escalation_level + i32::from(stage >= 2);
            let status = Some(self.status());
            let data = json!({"stage": stage, "escalationLevel": level, "checkpoint": at, "dueAt": self.t.due_at});
            // A checkpoint that passed while the clock stood (e.g. resolved, then sent back to
            // work) fires at the sweeper's first pass after it runs again.
            let fired = self.events.last().map_or(at, |e| e.at.max(at));
            self.push(
                sla::stage_event(stage),
                status,
                status,
                None,
                fired,
                None,
                data,
            );
            self.t.sla_stage = stage;
            self.t.escalation_level = level;
        }
    }

    fn checkpoint(&self, limit: i64) -> Option<DateTime<Utc>> {
        if !self.status().handle_clock_runs() {
            return None;
        }
        let (start, due) = (self.t.dispatched_at?, self.t.due_at?);
        Some(sla::checkpoint(
            self.t.sla_stage,
            self.category.basis(),
            start,
            due,
            limit,
        ))
    }

    /// Fires what the sweeper would have fired by `end` and sets the next checkpoint.
    pub fn finish(mut self) -> (ticket::Model, Vec<ticket_event::Model>) {
        self.fire_sla(self.end);
        let limit = i64::from(self.category.model.handle_limit_minutes);
        self.t.sla_next_at = self.checkpoint(limit);
        (self.t, self.events)
    }

    /// The handler takes over with a full limit (auto-dispatch or a dispatcher's dispatch).
    pub fn start_handling(&mut self, assignee: i64) {
        let now = self.now;
        self.t.assignee_id = Some(assignee);
        self.t.dispatched_at = Some(now);
        self.t.first_dispatched_at = Some(self.t.first_dispatched_at.unwrap_or(now));
        self.t.accepted_at = None;
        self.t.due_at = Some(
            self.category
                .after(now, self.category.model.handle_limit_minutes),
        );
        self.t.sla_stage = 0;
    }
}

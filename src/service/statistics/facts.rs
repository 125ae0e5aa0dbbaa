//! What the statistics read of a ticket: its places, category, source and the facts the
//! indicators need, taken from the ticket's own columns (the current state).

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, FromQueryResult, QuerySelect, Select};

use crate::domain::indicators::{FactStatus, TicketFacts};
use crate::domain::lifecycle::Status;
use crate::entity::ticket;

/// The ticket columns statistics need; a narrow select instead of whole tickets.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct FactRow {
    pub id: i64,
    pub status: String,
    pub category_code: String,
    pub source: String,
    pub lat: f64,
    pub lon: f64,
    pub town_id: Option<i64>,
    pub community_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub street_id: Option<i64>,
    pub lane_id: Option<i64>,
    pub assignee_id: Option<i64>,
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
}

/// The columns of [`FactRow`], for `select_only`.
pub const FACT_COLUMNS: [ticket::Column; 23] = [
    ticket::Column::Id,
    ticket::Column::Status,
    ticket::Column::CategoryCode,
    ticket::Column::Source,
    ticket::Column::Lat,
    ticket::Column::Lon,
    ticket::Column::TownId,
    ticket::Column::CommunityId,
    ticket::Column::GridId,
    ticket::Column::StreetId,
    ticket::Column::LaneId,
    ticket::Column::AssigneeId,
    ticket::Column::ReportedAt,
    ticket::Column::FirstDispatchedAt,
    ticket::Column::DispatchedAt,
    ticket::Column::FirstResolvedAt,
    ticket::Column::ResolvedAt,
    ticket::Column::ClosedAt,
    ticket::Column::DueAt,
    ticket::Column::ReworkCount,
    ticket::Column::ReturnCount,
    ticket::Column::FeedbackScore,
    ticket::Column::ResolveWorkingMinutes,
];

/// A ticket query narrowed to the fact columns.
pub fn fact_select() -> Select<ticket::Entity> {
    ticket::Entity::find().select_only().columns(FACT_COLUMNS)
}

impl From<&ticket::Model> for FactRow {
    fn from(t: &ticket::Model) -> Self {
        Self {
            id: t.id,
            status: t.status.clone(),
            category_code: t.category_code.clone(),
            source: t.source.clone(),
            lat: t.lat,
            lon: t.lon,
            town_id: t.town_id,
            community_id: t.community_id,
            grid_id: t.grid_id,
            street_id: t.street_id,
            lane_id: t.lane_id,
            assignee_id: t.assignee_id,
            reported_at: t.reported_at,
            first_dispatched_at: t.first_dispatched_at,
            dispatched_at: t.dispatched_at,
            first_resolved_at: t.first_resolved_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            due_at: t.due_at,
            rework_count: t.rework_count,
            return_count: t.return_count,
            feedback_score: t.feedback_score,
            resolve_working_minutes: t.resolve_working_minutes,
        }
    }
}

/// The indicator status of a stored status; an unknown one counts as just reported.
pub fn fact_status(status: &str) -> FactStatus {
    match Status::parse(status) {
        Some(Status::Dispatched) => FactStatus::Dispatched,
        Some(Status::InProgress) => FactStatus::InProgress,
        Some(Status::Returned) => FactStatus::Returned,
        Some(Status::Resolved) => FactStatus::Resolved,
        Some(Status::Closed) => FactStatus::Closed,
        Some(Status::Rejected) => FactStatus::Rejected,
        Some(Status::Duplicate) => FactStatus::Duplicate,
        Some(Status::Suspended) => FactStatus::Suspended,
        Some(Status::Reported) | None => FactStatus::Reported,
    }
}

impl FactRow {
    /// The facts as the ticket stands now. `dispatched_at` is the last dispatch and
    /// `resolved_at` the final resolution: each action overwrites them.
    pub fn facts(&self) -> TicketFacts {
        TicketFacts {
            reported_at: self.reported_at,
            status: fact_status(&self.status),
            first_dispatched_at: self.first_dispatched_at,
            last_dispatched_at: self.dispatched_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            due_at: self.due_at,
            ever_dispatched: self.first_dispatched_at.is_some(),
            ever_resolved: self.first_resolved_at.is_some(),
            ever_verify_failed: self.rework_count > 0,
            ever_returned: self.return_count > 0,
            feedback_score: self.feedback_score.and_then(|s| u8::try_from(s).ok()),
            resolve_working_minutes: self.resolve_working_minutes,
        }
    }

    /// Whether the ticket counts as open with a deadline (see `Counts::open_due`).
    pub fn open_due(&self) -> bool {
        !matches!(
            fact_status(&self.status),
            FactStatus::Closed
                | FactStatus::Suspended
                | FactStatus::Rejected
                | FactStatus::Duplicate
        ) && self.due_at.is_some()
    }
}

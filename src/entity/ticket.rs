//! A reported problem and where it is in the loop.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Human number, e.g. `GL-20261129-000123`.
    #[sea_orm(unique)]
    pub number: String,
    pub status: String,
    pub category_code: String,
    pub priority: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    /// PATROL, HOTLINE, CAMERA, PUBLIC or SUPERIOR.
    pub source: String,
    pub reporter_id: i64,
    pub client_request_id: Option<String>,
    pub grid_id: Option<i64>,
    pub community_id: Option<i64>,
    pub town_id: Option<i64>,
    pub street_id: Option<i64>,
    pub lane_id: Option<i64>,
    /// Materialised path of the grid, for scope filtering.
    pub grid_path: Option<String>,
    /// Materialised path of the lane or street, for scope filtering in the street tree.
    pub place_path: Option<String>,
    pub routed: bool,
    pub routed_handler_id: Option<i64>,
    pub routing_level: String,
    #[sea_orm(column_type = "Text")]
    pub routing_explanation: String,
    pub assignee_id: Option<i64>,
    pub reported_at: DateTimeUtc,
    pub first_dispatched_at: Option<DateTimeUtc>,
    pub dispatched_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub first_resolved_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub suspended_at: Option<DateTimeUtc>,
    pub dispatch_due_at: Option<DateTimeUtc>,
    /// The handle deadline: the one that decides 按期.
    pub due_at: Option<DateTimeUtc>,
    pub verify_due_at: Option<DateTimeUtc>,
    pub rework_count: i32,
    pub return_count: i32,
    pub extension_count: i32,
    pub escalation_level: i32,
    pub duplicate_of_id: Option<i64>,
    pub handled_on_site: bool,
    pub fake_fix_suspected: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub fake_fix_reasons: Option<String>,
    pub feedback_score: Option<i32>,
    pub resolve_working_minutes: Option<i64>,
    /// When the SLA sweeper must next look at this ticket.
    pub sla_next_at: Option<DateTimeUtc>,
    /// SLA stages already fired for the current clock (0 none, 1 warned, 2 overdue, 3+ escalations).
    pub sla_stage: i32,
    /// Optimistic lock; equals the number of events.
    pub version: i32,
    pub updated_at: DateTimeUtc,
    /// Start of the current dispatch clock (report, or the last return).
    pub awaiting_dispatch_since: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

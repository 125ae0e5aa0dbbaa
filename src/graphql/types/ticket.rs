//! `Ticket`, its events and evidence, with related objects batch-loaded.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ComplexObject, Context, Enum, ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::lifecycle::{Source, Status};
use crate::domain::sla::{SlaClock, SlaState};
use crate::entity::{evidence, feedback, ticket, ticket_event};
use crate::graphql::context::app_state;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids;
use crate::graphql::loaders::{load_failed, loaders};
use crate::service::sla;
use crate::service::tickets::{oversight, queries};

use super::jurisdiction::Jurisdiction;
use super::{Category, User};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::lifecycle::Status")]
pub enum TicketStatus {
    Reported,
    Dispatched,
    InProgress,
    Returned,
    Resolved,
    Closed,
    Rejected,
    Duplicate,
    Suspended,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::lifecycle::Source")]
pub enum TicketSource {
    Patrol,
    Hotline,
    Camera,
    Public,
    Superior,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Ticket {
    pub id: ID,
    /// Human number, e.g. GL-20261129-000123.
    pub number: String,
    pub status: TicketStatus,
    pub priority: String,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub source: TicketSource,
    /// False when routing found no grid or no handler: a dispatcher decides (UNROUTED).
    pub routed: bool,
    /// LANE or STREET: the level routing looked for.
    pub routing_level: String,
    /// Why this handler: "point is 7 m from lane …".
    pub routing_explanation: String,
    pub reported_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    /// The handle deadline: decides whether the ticket is closed on time (按期).
    pub due_at: Option<DateTime<Utc>>,
    pub dispatch_due_at: Option<DateTime<Utc>>,
    pub verify_due_at: Option<DateTime<Utc>>,
    pub rework_count: i32,
    pub return_count: i32,
    pub extension_count: i32,
    pub escalation_level: i32,
    pub handled_on_site: bool,
    /// An AFTER photo was reused from another ticket or taken far away.
    pub fake_fix_suspected: bool,
    pub fake_fix_reasons: Vec<String>,
    /// The latest satisfaction score (1–5).
    pub feedback_score: Option<i32>,
    /// Bumped by every change; equals the number of events.
    pub version: i32,
    #[graphql(skip)]
    pub row: ticket::Model,
}

impl From<ticket::Model> for Ticket {
    fn from(m: ticket::Model) -> Self {
        Self {
            id: ids::encode("Ticket", m.id),
            number: m.number.clone(),
            status: Status::parse(&m.status).unwrap_or(Status::Reported).into(),
            priority: m.priority.clone(),
            description: m.description.clone(),
            lat: m.lat,
            lon: m.lon,
            address: m.address.clone(),
            source: Source::parse(&m.source).unwrap_or(Source::Patrol).into(),
            routed: m.routed,
            routing_level: m.routing_level.clone(),
            routing_explanation: m.routing_explanation.clone(),
            reported_at: m.reported_at,
            dispatched_at: m.dispatched_at,
            first_dispatched_at: m.first_dispatched_at,
            accepted_at: m.accepted_at,
            resolved_at: m.resolved_at,
            closed_at: m.closed_at,
            suspended_at: m.suspended_at,
            due_at: m.due_at,
            dispatch_due_at: m.dispatch_due_at,
            verify_due_at: m.verify_due_at,
            rework_count: m.rework_count,
            return_count: m.return_count,
            extension_count: m.extension_count,
            escalation_level: m.escalation_level,
            handled_on_site: m.handled_on_site,
            fake_fix_suspected: m.fake_fix_suspected,
            fake_fix_reasons: m
                .fake_fix_reasons
                .as_deref()
                .map(|r| r.lines().map(str::to_string).collect())
                .unwrap_or_default(),
            feedback_score: m.feedback_score,
            version: m.version,
            row: m,
        }
    }
}

async fn user(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders(ctx)?
        .users
        .load_one(id)
        .await
        .map_err(load_failed)?
        .map(User::from))
}

async fn place(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<Jurisdiction>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders(ctx)?
        .places
        .load_one(id)
        .await
        .map_err(load_failed)?
        .map(Jurisdiction::from))
}

#[ComplexObject]
impl Ticket {
    async fn category(&self, ctx: &Context<'_>) -> ApiResult<Category> {
        loaders(ctx)?
            .categories
            .load_one(self.row.category_code.clone())
            .await
            .map_err(load_failed)?
            .map(Category::from)
            .ok_or_else(|| ApiError::internal_msg("ticket category missing"))
    }

    async fn reporter(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, Some(self.row.reporter_id)).await
    }

    /// Who holds the ticket now.
    async fn assignee(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, self.row.assignee_id).await
    }

    /// Who routing chose (a dispatch without an assignee goes to them).
    async fn routed_handler(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, self.row.routed_handler_id).await
    }

    async fn grid(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        place(ctx, self.row.grid_id).await
    }

    async fn community(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        place(ctx, self.row.community_id).await
    }

    async fn town(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        place(ctx, self.row.town_id).await
    }

    async fn street(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        place(ctx, self.row.street_id).await
    }

    async fn lane(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        place(ctx, self.row.lane_id).await
    }

    /// The ticket this one duplicates.
    async fn duplicate_of(&self, ctx: &Context<'_>) -> ApiResult<Option<Ticket>> {
        let Some(id) = self.row.duplicate_of_id else {
            return Ok(None);
        };
        let state = app_state(ctx)?;
        let row = ticket::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .map_err(ApiError::internal)?;
        Ok(row.map(Ticket::from))
    }

    /// Later reports marked as duplicates of this one.
    async fn duplicates(&self, ctx: &Context<'_>) -> ApiResult<Vec<Ticket>> {
        let state = app_state(ctx)?;
        Ok(queries::duplicates_of(state, self.row.id)
            .await?
            .into_iter()
            .map(Ticket::from)
            .collect())
    }

    /// The immutable history, in order.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, TicketEvent>> {
        let state = app_state(ctx)?;
        let (limit, after_seq) = ids::page(first, after.as_deref())?;
        let rows = queries::events(state, self.row.id, after_seq.unwrap_or(0), limit + 1).await?;
        let mut conn = Connection::new(after_seq.is_some(), rows.len() as u64 > limit);
        conn.edges.extend(
            rows.into_iter()
                .take(limit as usize)
                .map(|e| Edge::new(ids::cursor(i64::from(e.seq)), TicketEvent::from(e))),
        );
        Ok(conn)
    }

    /// Photos: BEFORE (report), AFTER (fix), VERIFY (on-site check).
    async fn evidence(&self, ctx: &Context<'_>) -> ApiResult<Vec<Evidence>> {
        let state = app_state(ctx)?;
        let rows = evidence::Entity::find()
            .filter(evidence::Column::TicketId.eq(self.row.id))
            .order_by_asc(evidence::Column::Id)
            .all(&state.db)
            .await
            .map_err(ApiError::internal)?;
        Ok(rows.into_iter().map(Evidence::from).collect())
    }

    async fn feedback(&self, ctx: &Context<'_>) -> ApiResult<Vec<Feedback>> {
        let state = app_state(ctx)?;
        let rows = feedback::Entity::find()
            .filter(feedback::Column::TicketId.eq(self.row.id))
            .order_by_asc(feedback::Column::Id)
            .all(&state.db)
            .await
            .map_err(ApiError::internal)?;
        Ok(rows
            .into_iter()
            .map(|f| Feedback {
                score: f.score,
                comment: f.comment,
                at: f.at,
            })
            .collect())
    }

    /// The SLA traffic light at this moment.
    async fn sla(&self, ctx: &Context<'_>) -> ApiResult<Sla> {
        let state = app_state(ctx)?;
        let category = loaders(ctx)?
            .categories
            .load_one(self.row.category_code.clone())
            .await
            .map_err(load_failed)?
            .ok_or_else(|| ApiError::internal_msg("ticket category missing"))?;
        let v = sla::view(state, &category, &self.row, state.clock.now());
        Ok(Sla {
            state: match v.state {
                SlaState::OnTrack => SlaLight::OnTrack,
                SlaState::AtRisk => SlaLight::AtRisk,
                SlaState::Overdue => SlaLight::Overdue,
                SlaState::Met => SlaLight::Met,
                SlaState::Breached => SlaLight::Breached,
                SlaState::Paused => SlaLight::Paused,
            },
            clock: match v.clock {
                SlaClock::Dispatch => SlaClockKind::Dispatch,
                SlaClock::Handle => SlaClockKind::Handle,
                SlaClock::Verify => SlaClockKind::Verify,
            },
            elapsed_ratio: v.elapsed_ratio.filter(|r| r.is_finite()),
            remaining_minutes: v.remaining_minutes,
            due_at: v.due_at,
        })
    }

    /// The extension request awaiting a decision, if any.
    async fn pending_extension(&self, ctx: &Context<'_>) -> ApiResult<Option<ExtensionRequest>> {
        let state = app_state(ctx)?;
        Ok(oversight::pending_extension(state, self.row.id)
            .await?
            .map(|r| ExtensionRequest {
                minutes: r.minutes,
                reason: r.reason,
                requested_at: r.created_at,
            }))
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TicketEvent {
    /// 1, 2, 3… without gaps.
    pub seq: i32,
    pub kind: String,
    pub from_status: Option<TicketStatus>,
    pub to_status: Option<TicketStatus>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub data: Option<Json<serde_json::Value>>,
    #[graphql(skip)]
    pub actor_id: Option<i64>,
}

impl From<ticket_event::Model> for TicketEvent {
    fn from(e: ticket_event::Model) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind,
            from_status: e
                .from_status
                .as_deref()
                .and_then(Status::parse)
                .map(Into::into),
            to_status: e
                .to_status
                .as_deref()
                .and_then(Status::parse)
                .map(Into::into),
            at: e.at,
            note: e.note,
            data: e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .map(Json),
            actor_id: e.actor_id,
        }
    }
}

#[ComplexObject]
impl TicketEvent {
    /// Who acted; null when the system did (auto-dispatch, SLA sweeper).
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, self.actor_id).await
    }
}

#[derive(SimpleObject, Clone)]
pub struct Evidence {
    /// Where authorised users fetch the photo: /evidence/{sha256}.
    pub url: String,
    pub sha256: String,
    /// BEFORE, AFTER or VERIFY.
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub taken_at: Option<DateTime<Utc>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub uploaded_at: DateTime<Utc>,
    pub uploader_id: ID,
}

impl From<evidence::Model> for Evidence {
    fn from(e: evidence::Model) -> Self {
        Self {
            url: format!("/evidence/{}", e.sha256),
            sha256: e.sha256,
            kind: e.kind,
            content_type: e.content_type,
            size_bytes: e.size_bytes,
            taken_at: e.taken_at,
            lat: e.lat,
            lon: e.lon,
            uploaded_at: e.created_at,
            uploader_id: ids::encode("User", e.uploader_id),
        }
    }
}

/// Where a ticket stands against its deadline.
#[derive(SimpleObject, Clone)]
pub struct Sla {
    pub state: SlaLight,
    /// Which clock is running: DISPATCH (waiting for dispatch), HANDLE (decides 按期) or VERIFY.
    pub clock: SlaClockKind,
    /// Share of the limit used; 1.0 = due now, above 1 = overdue.
    pub elapsed_ratio: Option<f64>,
    /// Time left in the category's calendar; negative when overdue.
    pub remaining_minutes: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "SlaState")]
pub enum SlaLight {
    OnTrack,
    AtRisk,
    Overdue,
    Met,
    Breached,
    Paused,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "SlaClock")]
pub enum SlaClockKind {
    Dispatch,
    Handle,
    Verify,
}

#[derive(SimpleObject, Clone)]
pub struct Feedback {
    pub score: i32,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(SimpleObject, Clone)]
pub struct ExtensionRequest {
    pub minutes: i32,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

//! Ticket queries: `ticket`, `tickets`, `myQueue`.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::lifecycle::{Source, Status};
use crate::service::tickets::queries::{self, SlaFilter, TicketFilter, TicketOrder};

use super::context::{actor, app_state, viewer};
use super::error::ApiResult;
use super::ids;
use super::types::ticket::{SlaLight, Ticket, TicketSource, TicketStatus};

#[derive(InputObject)]
pub struct NearInput {
    pub lat: f64,
    pub lon: f64,
    pub radius_meters: f64,
}

#[derive(InputObject, Default)]
pub struct TicketFilterInput {
    pub status: Option<Vec<TicketStatus>>,
    pub category_code: Option<String>,
    /// Tickets in this jurisdiction's subtree (grid tree or street tree).
    pub jurisdiction_code: Option<String>,
    pub assignee_id: Option<async_graphql::ID>,
    pub reporter_id: Option<async_graphql::ID>,
    pub source: Option<Vec<TicketSource>>,
    pub sla_state: Option<SlaLight>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
    pub near: Option<NearInput>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TicketOrderBy {
    #[default]
    ReportedAtDesc,
    ReportedAtAsc,
    DueAtAsc,
    NumberAsc,
}

#[derive(SimpleObject)]
pub struct TicketConnectionExtra {
    /// How many tickets match, across all pages.
    pub total_count: u64,
}

pub type TicketConnection = Connection<String, Ticket, TicketConnectionExtra, EmptyFields>;

fn to_filter(f: TicketFilterInput) -> ApiResult<TicketFilter> {
    Ok(TicketFilter {
        statuses: f
            .status
            .unwrap_or_default()
            .into_iter()
            .map(Status::from)
            .collect(),
        category_code: f.category_code,
        jurisdiction_code: f.jurisdiction_code,
        assignee_id: f
            .assignee_id
            .as_ref()
            .map(|id| ids::decode_numeric(id, "User", "filter.assigneeId"))
            .transpose()?,
        reporter_id: f
            .reporter_id
            .as_ref()
            .map(|id| ids::decode_numeric(id, "User", "filter.reporterId"))
            .transpose()?,
        sources: f
            .source
            .unwrap_or_default()
            .into_iter()
            .map(Source::from)
            .collect(),
        sla: f.sla_state.map(|s| match s {
            SlaLight::OnTrack => SlaFilter::OnTrack,
            SlaLight::AtRisk => SlaFilter::AtRisk,
            SlaLight::Overdue => SlaFilter::Overdue,
            SlaLight::Paused => SlaFilter::Paused,
            SlaLight::Met => SlaFilter::Met,
            SlaLight::Breached => SlaFilter::Breached,
        }),
        reported_from: f.reported_from,
        reported_to: f.reported_to,
        near: f.near.map(|n| (n.lat, n.lon, n.radius_meters)),
    })
}

/// Builds an offset-paged connection with `totalCount`.
pub fn connection(
    rows: Vec<crate::entity::ticket::Model>,
    total: u64,
    offset: u64,
) -> TicketConnection {
    let has_next = offset + (rows.len() as u64) < total;
    let mut conn = Connection::with_additional_fields(
        offset > 0,
        has_next,
        TicketConnectionExtra { total_count: total },
    );
    conn.edges.extend(
        rows.into_iter()
            .enumerate()
            .map(|(i, t)| Edge::new(ids::cursor((offset + i as u64 + 1) as i64), Ticket::from(t))),
    );
    conn
}

#[derive(Default)]
pub struct TicketsQuery;

#[Object]
impl TicketsQuery {
    /// One ticket by its number (inside the caller's scope, or reported by / assigned to them).
    async fn ticket(&self, ctx: &Context<'_>, number: String) -> ApiResult<Ticket> {
        let state = app_state(ctx)?;
        Ok(queries::get(state, actor(ctx)?, &number).await?.into())
    }

    /// Tickets inside the caller's scope, filtered and ordered.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketFilterInput>,
        order_by: Option<TicketOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<TicketConnection> {
        let state = app_state(ctx)?;
        let (limit, offset) = ids::page(first, after.as_deref())?;
        let offset = offset.unwrap_or(0).max(0) as u64;
        let order = match order_by.unwrap_or_default() {
            TicketOrderBy::ReportedAtDesc => TicketOrder::ReportedAtDesc,
            TicketOrderBy::ReportedAtAsc => TicketOrder::ReportedAtAsc,
            TicketOrderBy::DueAtAsc => TicketOrder::DueAtAsc,
            TicketOrderBy::NumberAsc => TicketOrder::NumberAsc,
        };
        let f = to_filter(filter.unwrap_or_default())?;
        let (rows, total) = queries::list(state, actor(ctx)?, &f, order, offset, limit).await?;
        Ok(connection(rows, total, offset))
    }

    /// What waits on me: a chief's open tickets, a grid worker's tickets to verify, a
    /// dispatcher's tickets to dispatch (REPORTED, RETURNED, unrouted). Most urgent first.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity")]
    async fn my_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<TicketConnection> {
        let state = app_state(ctx)?;
        let (limit, offset) = ids::page(first, after.as_deref())?;
        let offset = offset.unwrap_or(0).max(0) as u64;
        let (rows, total) = queries::my_queue(state, viewer(ctx)?, offset, limit).await?;
        Ok(connection(rows, total, offset))
    }
}

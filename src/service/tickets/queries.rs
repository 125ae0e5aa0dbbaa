//! Reading tickets: by number, filtered lists within scope, each role's work queue.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};

use crate::domain::distance::{bounding_degrees, meters_between};
use crate::domain::lifecycle::{Source, Status};
use crate::domain::role::Role;
use crate::entity::{grid_worker, ticket, ticket_event};
use crate::service::actor::Actor;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::places;
use crate::service::viewer::Viewer;
use crate::state::AppState;

use super::engine::{load, visible};

/// Largest radius a `near` filter may ask for.
pub const MAX_NEAR_METERS: f64 = 5_000.0;
/// Most rows a `near` query examines before ordering and paging.
const NEAR_CAP: u64 = 10_000;

/// SLA states a list can be filtered by (the SLA clock issue defines them fully).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    OnTrack,
    AtRisk,
    Overdue,
    Paused,
    Met,
    Breached,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub category_code: Option<String>,
    /// A jurisdiction whose subtree (grid tree or street tree) the ticket lies in.
    pub jurisdiction_code: Option<String>,
    pub assignee_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub sources: Vec<Source>,
    pub sla: Option<SlaFilter>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
    /// (lat, lon, radius in meters)
    pub near: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketOrder {
    #[default]
    ReportedAtDesc,
    ReportedAtAsc,
    DueAtAsc,
    NumberAsc,
}

/// One ticket the actor may see; NOT_FOUND when it does not exist, FORBIDDEN when out of scope.
pub async fn get(state: &AppState, actor: Actor<'_>, number: &str) -> ServiceResult<ticket::Model> {
    let t = load(&state.db, number).await?;
    if !visible(&actor, &t) {
        return Err(ServiceError::forbidden("that ticket is outside your scope"));
    }
    Ok(t)
}

/// The scope condition: admins see all; others their scope, what they reported, what they hold.
fn scope_condition(actor: &Actor<'_>) -> Option<Condition> {
    let Actor::User(v) = actor else { return None };
    let prefixes = v.scope_prefixes()?;
    let mut any = Condition::any()
        .add(ticket::Column::ReporterId.eq(v.user_id))
        .add(ticket::Column::AssigneeId.eq(v.user_id));
    if v.has_role(Role::Dispatcher) || v.has_role(Role::Manager) {
        any = any.add(
            Condition::all()
                .add(ticket::Column::GridPath.is_null())
                .add(ticket::Column::PlacePath.is_null()),
        );
    }
    for p in prefixes {
        any = any
            .add(Expr::col(ticket::Column::GridPath).like(format!("{p}%")))
            .add(Expr::col(ticket::Column::PlacePath).like(format!("{p}%")));
    }
    Some(any)
}

fn handling() -> [&'static str; 2] {
    [Status::Dispatched.as_str(), Status::InProgress.as_str()]
}

fn sla_condition(sla: SlaFilter, now: DateTime<Utc>) -> Condition {
    let due = || Expr::col(ticket::Column::DueAt);
    let resolved = || Expr::col(ticket::Column::ResolvedAt);
    let finished = [Status::Resolved.as_str(), Status::Closed.as_str()];
    match sla {
        SlaFilter::Overdue => Condition::all()
            .add(ticket::Column::Status.is_in(handling()))
            .add(ticket::Column::DueAt.lt(now)),
        SlaFilter::AtRisk => Condition::all()
            .add(ticket::Column::Status.is_in(handling()))
            .add(ticket::Column::DueAt.gte(now))
            .add(ticket::Column::SlaStage.gte(1)),
        SlaFilter::OnTrack => Condition::all()
            .add(ticket::Column::Status.is_in(handling()))
            .add(ticket::Column::DueAt.gte(now))
            .add(ticket::Column::SlaStage.eq(0)),
        SlaFilter::Paused => {
            Condition::all().add(ticket::Column::Status.eq(Status::Suspended.as_str()))
        }
        SlaFilter::Met => Condition::all()
            .add(ticket::Column::Status.is_in(finished))
            .add(
                Condition::any()
                    .add(ticket::Column::DueAt.is_null())
                    .add(resolved().lte(due())),
            ),
        SlaFilter::Breached => Condition::all()
            .add(ticket::Column::Status.is_in(finished))
            .add(resolved().gt(due())),
    }
}

async fn filtered(
    state: &AppState,
    actor: &Actor<'_>,
    f: &TicketFilter,
) -> ServiceResult<Select<ticket::Entity>> {
    let mut q = ticket::Entity::find();
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    if !f.statuses.is_empty() {
        q = q.filter(ticket::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(code) = &f.category_code {
        q = q.filter(ticket::Column::CategoryCode.eq(code.trim()));
    }
    if let Some(code) = &f.jurisdiction_code {
        let place = places::find_by_code(state, code.trim())
            .await?
            .ok_or_else(|| {
                ServiceError::invalid("jurisdictionCode", "unknown jurisdiction code")
            })?;
        let prefix = format!("{}%", place.path);
        q = q.filter(
            Condition::any()
                .add(Expr::col(ticket::Column::GridPath).like(prefix.clone()))
                .add(Expr::col(ticket::Column::PlacePath).like(prefix)),
        );
    }
    if let Some(id) = f.assignee_id {
        q = q.filter(ticket::Column::AssigneeId.eq(id));
    }
    if let Some(id) = f.reporter_id {
        q = q.filter(ticket::Column::ReporterId.eq(id));
    }
    if !f.sources.is_empty() {
        q = q.filter(ticket::Column::Source.is_in(f.sources.iter().map(|s| s.as_str())));
    }
    if let Some(sla) = f.sla {
        q = q.filter(sla_condition(sla, state.clock.now()));
    }
    if let Some(from) = f.reported_from {
        q = q.filter(ticket::Column::ReportedAt.gte(from));
    }
    if let Some(to) = f.reported_to {
        q = q.filter(ticket::Column::ReportedAt.lt(to));
    }
    if let Some((lat, lon, radius)) = f.near {
        crate::service::validate::coordinates(lat, lon)?;
        if !radius.is_finite() || radius <= 0.0 || radius > MAX_NEAR_METERS {
            return Err(ServiceError::invalid(
                "near.radiusMeters",
                format!("must be in (0, {MAX_NEAR_METERS}]"),
            ));
        }
        let (dlat, dlon) = bounding_degrees(lat, radius);
        q = q
            .filter(ticket::Column::Lat.between(lat - dlat, lat + dlat))
            .filter(ticket::Column::Lon.between(lon - dlon, lon + dlon));
    }
    Ok(q)
}

fn ordered(q: Select<ticket::Entity>, order: TicketOrder) -> Select<ticket::Entity> {
    match order {
        TicketOrder::ReportedAtDesc => q
            .order_by_desc(ticket::Column::ReportedAt)
            .order_by_desc(ticket::Column::Id),
        TicketOrder::ReportedAtAsc => q
            .order_by_asc(ticket::Column::ReportedAt)
            .order_by_asc(ticket::Column::Id),
        TicketOrder::DueAtAsc => q
            .order_by(
                Expr::col(ticket::Column::DueAt).is_null(),
                sea_orm::Order::Asc,
            )
            .order_by_asc(ticket::Column::DueAt)
            .order_by_asc(ticket::Column::Id),
        TicketOrder::NumberAsc => q.order_by_asc(ticket::Column::Number),
    }
}

/// A page (offset, limit) of tickets matching `f` inside the actor's scope, and the total count.
pub async fn list(
    state: &AppState,
    actor: Actor<'_>,
    f: &TicketFilter,
    order: TicketOrder,
    offset: u64,
    limit: u64,
) -> ServiceResult<(Vec<ticket::Model>, u64)> {
    let q = ordered(filtered(state, &actor, f).await?, order);
    if let Some((lat, lon, radius)) = f.near {
        let rows = q.limit(NEAR_CAP).all(&state.db).await?;
        let near: Vec<ticket::Model> = rows
            .into_iter()
            .filter(|t| meters_between(lat, lon, t.lat, t.lon) <= radius)
            .collect();
        let total = near.len() as u64;
        let page = near
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        return Ok((page, total));
    }
    let total = q.clone().count(&state.db).await?;
    let page = q.offset(offset).limit(limit).all(&state.db).await?;
    Ok((page, total))
}

/// What is waiting on this person: a chief's unfinished tickets, a grid worker's tickets to
/// verify, a dispatcher's tickets to dispatch (including unrouted ones). Most urgent first.
pub async fn my_queue(
    state: &AppState,
    viewer: &Viewer,
    offset: u64,
    limit: u64,
) -> ServiceResult<(Vec<ticket::Model>, u64)> {
    let mut any = Condition::any();
    if viewer.has_role(Role::LaneChief)
        || viewer.has_role(Role::StreetChief)
        || viewer.has_role(Role::Manager)
    {
        any = any.add(
            Condition::all()
                .add(ticket::Column::AssigneeId.eq(viewer.user_id))
                .add(ticket::Column::Status.is_in([
                    Status::Dispatched.as_str(),
                    Status::InProgress.as_str(),
                    Status::Suspended.as_str(),
                ])),
        );
    }
    if viewer.has_role(Role::GridWorker) {
        let grids = grid_worker::Entity::find()
            .select_only()
            .column(grid_worker::Column::GridId)
            .filter(grid_worker::Column::UserId.eq(viewer.user_id))
            .into_query();
        any = any.add(
            Condition::all()
                .add(ticket::Column::Status.eq(Status::Resolved.as_str()))
                .add(ticket::Column::GridId.in_subquery(grids)),
        );
    }
    if viewer.has_role(Role::Dispatcher) {
        let mut scoped = Condition::any().add(
            Condition::all()
                .add(ticket::Column::GridPath.is_null())
                .add(ticket::Column::PlacePath.is_null()),
        );
        for p in viewer.scope_prefixes().unwrap_or_else(|| vec!["/".into()]) {
            scoped = scoped
                .add(Expr::col(ticket::Column::GridPath).like(format!("{p}%")))
                .add(Expr::col(ticket::Column::PlacePath).like(format!("{p}%")));
        }
        any = any.add(
            Condition::all()
                .add(
                    ticket::Column::Status
                        .is_in([Status::Reported.as_str(), Status::Returned.as_str()]),
                )
                .add(scoped),
        );
    }
    if any.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let q = ordered(ticket::Entity::find().filter(any), TicketOrder::DueAtAsc);
    let total = q.clone().count(&state.db).await?;
    let page = q.offset(offset).limit(limit).all(&state.db).await?;
    Ok((page, total))
}

/// A page of a ticket's events in sequence order, after sequence number `after_seq`.
pub async fn events(
    state: &AppState,
    ticket_id: i64,
    after_seq: i64,
    limit: u64,
) -> ServiceResult<Vec<ticket_event::Model>> {
    Ok(ticket_event::Entity::find()
        .filter(ticket_event::Column::TicketId.eq(ticket_id))
        .filter(ticket_event::Column::Seq.gt(after_seq))
        .order_by_asc(ticket_event::Column::Seq)
        .limit(limit)
        .all(&state.db)
        .await?)
}

/// Tickets marked as duplicates of this one, oldest first.
pub async fn duplicates_of(state: &AppState, ticket_id: i64) -> ServiceResult<Vec<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::DuplicateOfId.eq(ticket_id))
        .order_by_asc(ticket::Column::Id)
        .all(&state.db)
        .await?)
}

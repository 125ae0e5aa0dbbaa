//! `reportIssue`: validate, route, number, create (and auto-dispatch or close on site), all at once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::domain::distance::{bounding_degrees, meters_between};
use crate::domain::lifecycle::{Action, Source, Status};
use crate::domain::numbering::{day_key, ticket_number};
use crate::domain::role::Role;
use crate::domain::routing::{HandlerLevel, RouteDecision};
use crate::entity::{category, jurisdiction, ticket};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::evidence::{self, NewPhoto, StoredPhoto};
use crate::service::viewer::Viewer;
use crate::service::{categories, notify, statistics, tx, validate};
use crate::state::AppState;

use super::deadline;
use super::engine::{EventRecord, append_events};

/// What a reporter sends.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub category_code: String,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub source: Option<Source>,
    /// A retry with the same id from the same user returns the first ticket.
    pub client_request_id: Option<String>,
    pub photos: Vec<NewPhoto>,
    /// 自处理: fixed on the spot; needs BEFORE and AFTER photos; closed at once.
    pub handled_on_site: bool,
    pub after_photos: Vec<NewPhoto>,
}

/// The created (or replayed) ticket and open look-alikes nearby.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    pub ticket: ticket::Model,
    /// Open tickets of the same category within the duplicate radius and window, nearest first.
    pub duplicate_candidates: Vec<(ticket::Model, f64)>,
    /// True when this was a retry of an earlier request.
    pub replayed: bool,
}

pub async fn report(
    state: &AppState,
    viewer: &Viewer,
    input: ReportInput,
) -> ServiceResult<ReportOutcome> {
    viewer.require_any(&[Role::GridWorker, Role::Dispatcher])?;
    let category = categories::get(state, &input.category_code, "categoryCode").await?;
    if !category.active {
        return Err(ServiceError::invalid(
            "categoryCode",
            "this category is no longer in use",
        ));
    }
    validate::coordinates(input.lat, input.lon)?;
    let description = validate::required_text("description", &input.description, 2000)?;
    let address = validate::optional_text("address", input.address.as_deref().unwrap_or(""), 300)?;
    let request_id = match input.client_request_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => Some(validate::required_text("clientRequestId", id, 100)?),
        _ => None,
    };
    let source = input
        .source
        .unwrap_or(if viewer.has_role(Role::GridWorker) {
            Source::Patrol
        } else {
            Source::Hotline
        });
    if !source.allowed_for(&viewer.roles) {
        return Err(ServiceError::forbidden(format!(
            "you may not enter {} reports",
            source.as_str()
        )));
    }
    if input.handled_on_site && (input.photos.is_empty() || input.after_photos.is_empty()) {
        return Err(ServiceError::invalid(
            "afterPhotos",
            "handling on site needs BEFORE and AFTER photos",
        ));
    }
    if source == Source::Patrol && input.photos.is_empty() {
        return Err(ServiceError::invalid(
            "photos",
            "a patrol report needs at least one photo",
        ));
    }
    if let Some(id) = &request_id
        && let Some(existing) = find_replay(state, viewer.user_id, id).await?
    {
        return outcome(state, &category, existing, true).await;
    }
    let level = HandlerLevel::parse(&category.handler_level).unwrap_or(HandlerLevel::Lane);
    let decision = state.routing.route(
        input.lat,
        input.lon,
        level,
        &format!("{} {}", category.code, category.name),
    );
    let (grid_path, place_path) = paths(state, &decision).await?;
    if !viewer.has_role(Role::GridWorker)
        && !in_dispatcher_scope(viewer, grid_path.as_deref(), place_path.as_deref())
    {
        return Err(ServiceError::forbidden(
            "that location is outside your scope",
        ));
    }
    let before = evidence::store(&state.settings.evidence, "photos", input.photos).await?;
    let after =
        evidence::store(&state.settings.evidence, "afterPhotos", input.after_photos).await?;
    let new = NewTicket {
        category: &category,
        description,
        address: (!address.is_empty()).then_some(address),
        source,
        lat: input.lat,
        lon: input.lon,
        request_id,
        decision,
        grid_path,
        place_path,
        handled_on_site: input.handled_on_site,
    };
    let created = match create(state, viewer, new, &before, &after).await {
        Err(ServiceError::Database(e)) if is_unique_violation(&e) => {
            // A concurrent retry with the same client request id won the race.
            let id = input.client_request_id.unwrap_or_default();
            let existing = find_replay(state, viewer.user_id, id.trim())
                .await?
                .ok_or(ServiceError::Database(e))?;
            return outcome(state, &category, existing, true).await;
        }
        other => other?,
    };
    outcome(state, &category, created, false).await
}

fn in_dispatcher_scope(viewer: &Viewer, grid_path: Option<&str>, place_path: Option<&str>) -> bool {
    match (grid_path, place_path) {
        (None, None) => true,
        _ => [grid_path, place_path]
            .into_iter()
            .flatten()
            .any(|p| viewer.covers_path(p)),
    }
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let text = e.to_string().to_lowercase();
    text.contains("unique") || text.contains("duplicate key")
}

async fn find_replay(
    state: &AppState,
    reporter: i64,
    request_id: &str,
) -> ServiceResult<Option<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::ReporterId.eq(reporter))
        .filter(ticket::Column::ClientRequestId.eq(request_id))
        .one(&state.db)
        .await?)
}

async fn outcome(
    state: &AppState,
    category: &category::Model,
    t: ticket::Model,
    replayed: bool,
) -> ServiceResult<ReportOutcome> {
    let duplicate_candidates = duplicate_candidates(state, category, &t).await?;
    Ok(ReportOutcome {
        ticket: t,
        duplicate_candidates,
        replayed,
    })
}

/// Materialised paths of the grid and of the lane (or street), for scope filtering.
async fn paths(
    state: &AppState,
    d: &RouteDecision,
) -> ServiceResult<(Option<String>, Option<String>)> {
    let path_of = async |id: Option<i64>| -> ServiceResult<Option<String>> {
        match id {
            Some(id) => Ok(jurisdiction::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .map(|j| j.path)),
            None => Ok(None),
        }
    };
    let grid = path_of(d.grid.as_ref().map(|g| g.id)).await?;
    let place = path_of(d.lane.as_ref().or(d.street.as_ref()).map(|p| p.id)).await?;
    Ok((grid, place))
}

struct NewTicket<'a> {
    category: &'a category::Model,
    description: String,
    address: Option<String>,
    source: Source,
    lat: f64,
    lon: f64,
    request_id: Option<String>,
    decision: RouteDecision,
    grid_path: Option<String>,
    place_path: Option<String>,
    handled_on_site: bool,
}

async fn create(
    state: &AppState,
    viewer: &Viewer,
    new: NewTicket<'_>,
    before: &[StoredPhoto],
    after: &[StoredPhoto],
) -> ServiceResult<ticket::Model> {
    let now = state.clock.now();
    let category = new.category;
    let d = &new.decision;
    let handler = d
        .handler
        .as_ref()
        .filter(|_| d.is_routed())
        .map(|h| h.user_id);
    let auto_dispatch = !new.handled_on_site && category.auto_dispatch && handler.is_some();
    let now_due = auto_dispatch.then(|| {
        deadline::after(
            state,
            category,
            now,
            i64::from(category.handle_limit_minutes),
        )
    });
    let mut events = vec![
        EventRecord::new(Action::Report, None, Some(Status::Reported)).data(json!({
            "routed": d.is_routed(),
            "handler": handler,
            "explanation": d.explanation,
            "source": new.source.as_str(),
        })),
    ];
    let status = if new.handled_on_site {
        events = vec![
            EventRecord::new(Action::ReportHandledOnSite, None, Some(Status::Closed))
                .data(json!({"source": new.source.as_str()})),
        ];
        Status::Closed
    } else if auto_dispatch {
        events.push(
            EventRecord::new(
                Action::AutoDispatch,
                Some(Status::Reported),
                Some(Status::Dispatched),
            )
            .data(json!({"assignee": handler, "dueAt": now_due})),
        );
        Status::Dispatched
    } else {
        Status::Reported
    };
    let txn = tx::begin_write(&state.db).await?;
    let number = next_number(
        &txn,
        &day_key(now, state.calendars.get(&category.calendar_code).timezone),
    )
    .await?;
    let dispatched = auto_dispatch.then_some(now);
    let done = new.handled_on_site.then_some(now);
    let row = ticket::ActiveModel {
        number: Set(number),
        status: Set(status.as_str().to_string()),
        category_code: Set(category.code.clone()),
        priority: Set(category.priority.clone()),
        description: Set(new.description),
        lat: Set(new.lat),
        lon: Set(new.lon),
        address: Set(new.address),
        source: Set(new.source.as_str().to_string()),
        reporter_id: Set(viewer.user_id),
        client_request_id: Set(new.request_id),
        grid_id: Set(d.grid.as_ref().map(|p| p.id)),
        community_id: Set(d.community.as_ref().map(|p| p.id)),
        town_id: Set(d.town.as_ref().map(|p| p.id)),
        street_id: Set(d.street.as_ref().map(|p| p.id)),
        lane_id: Set(d.lane.as_ref().map(|p| p.id)),
        grid_path: Set(new.grid_path),
        place_path: Set(new.place_path),
        routed: Set(d.is_routed()),
        routed_handler_id: Set(handler),
        routing_level: Set(d.level.as_str().to_string()),
        routing_explanation: Set(d.explanation.clone()),
        assignee_id: Set(if auto_dispatch { handler } else { None }),
        reported_at: Set(now),
        first_dispatched_at: Set(dispatched),
        dispatched_at: Set(dispatched),
        first_resolved_at: Set(done),
        resolved_at: Set(done),
        closed_at: Set(done),
        dispatch_due_at: Set((!new.handled_on_site).then(|| {
            deadline::after(
                state,
                category,
                now,
                i64::from(category.dispatch_limit_minutes),
            )
        })),
        due_at: Set(now_due),
        handled_on_site: Set(new.handled_on_site),
        awaiting_dispatch_since: Set((!new.handled_on_site && !auto_dispatch).then_some(now)),
        version: Set(events.len() as i32),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let recorded = append_events(&txn, row.id, 0, &events, Some(viewer.user_id), now).await?;
    let row = crate::service::sla::refresh_checkpoint(state, &txn, row).await?;
    let first_event = recorded.iter().min_by_key(|e| e.seq).map(|e| e.id);
    evidence::attach(
        &txn,
        row.id,
        first_event,
        "BEFORE",
        viewer.user_id,
        before,
        now,
    )
    .await?;
    evidence::attach(
        &txn,
        row.id,
        first_event,
        "AFTER",
        viewer.user_id,
        after,
        now,
    )
    .await?;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
    notify::enqueue_for_events_by(state, &txn, None, &row, &kinds, Some(viewer.user_id)).await?;
    statistics::rollup::record_change(state, &txn, None, &row).await?;
    txn.commit().await?;
    Ok(row)
}

/// The next number of the local day, from a per-day counter (atomic upsert on both backends).
async fn next_number(db: &impl ConnectionTrait, day: &str) -> ServiceResult<String> {
    let mut stmt = Query::insert();
    stmt.into_table("ticket_number_seq")
        .columns(["day", "last"]);
    stmt.values([day.into(), 1i64.into()])
        .map_err(|e| ServiceError::Internal(format!("ticket number: {e}")))?;
    let stmt = stmt
        .on_conflict(
            OnConflict::column("day")
                .value("last", Expr::col(("ticket_number_seq", "last")).add(1))
                .to_owned(),
        )
        .returning_col("last")
        .to_owned();
    let row = db
        .query_one(&stmt)
        .await?
        .ok_or_else(|| ServiceError::Internal("ticket number counter returned nothing".into()))?;
    let seq: i64 = row.try_get("", "last")?;
    Ok(ticket_number(day, seq))
}

/// Open tickets of the same category within the category's radius and window, nearest first.
pub async fn duplicate_candidates(
    state: &AppState,
    category: &category::Model,
    t: &ticket::Model,
) -> ServiceResult<Vec<(ticket::Model, f64)>> {
    let radius = category.duplicate_radius_meters;
    let since: DateTime<Utc> =
        t.reported_at - Duration::minutes(i64::from(category.duplicate_window_minutes));
    let (dlat, dlon) = bounding_degrees(t.lat, radius);
    let open = [
        Status::Reported,
        Status::Dispatched,
        Status::InProgress,
        Status::Returned,
        Status::Resolved,
        Status::Suspended,
    ];
    let rows = ticket::Entity::find()
        .filter(ticket::Column::CategoryCode.eq(category.code.as_str()))
        .filter(ticket::Column::Id.ne(t.id))
        .filter(ticket::Column::Status.is_in(open.map(|s| s.as_str())))
        .filter(ticket::Column::ReportedAt.gte(since))
        .filter(ticket::Column::Lat.between(t.lat - dlat, t.lat + dlat))
        .filter(ticket::Column::Lon.between(t.lon - dlon, t.lon + dlon))
        .all(&state.db)
        .await?;
    let mut near: Vec<(ticket::Model, f64)> = rows
        .into_iter()
        .map(|o| {
            let d = meters_between(t.lat, t.lon, o.lat, o.lon);
            (o, d)
        })
        .filter(|(_, d)| *d <= radius)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
    Ok(near)
}

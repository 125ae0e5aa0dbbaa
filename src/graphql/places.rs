//! Jurisdictions, their import, chief assignment and `routePreview`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use sea_orm::EntityTrait;

use crate::domain::places::PlaceKind;
use crate::domain::routing::{HandlerLevel as DomainLevel, PlaceRef};
use crate::entity::{app_user, jurisdiction};
use crate::service::{categories, places, validate};

use super::context::{actor, app_state, viewer};
use super::error::{ApiError, ApiResult};
use super::ids;
use super::types::User;
use super::types::category::HandlerLevel;
use super::types::jurisdiction::{Jurisdiction, JurisdictionKind};

#[derive(InputObject)]
pub struct ImportJurisdictionsInput {
    /// A GeoJSON FeatureCollection as text (see the README for the feature properties).
    pub geojson: String,
}

#[derive(SimpleObject)]
pub struct ImportJurisdictionsPayload {
    pub created: i32,
    pub updated: i32,
}

#[derive(InputObject)]
pub struct AssignChiefInput {
    pub jurisdiction_code: String,
    pub email: String,
}

#[derive(SimpleObject)]
pub struct AssignChiefPayload {
    pub jurisdiction: Jurisdiction,
}

/// Why the handler was chosen.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::routing::HandlerSource")]
#[allow(clippy::enum_variant_names)]
pub enum HandlerSourceKind {
    LaneChief,
    StreetChief,
    CommunityChief,
    TownChief,
}

/// A routing decision: who would handle a report at this point.
#[derive(SimpleObject)]
pub struct RouteDecision {
    /// False when no grid or no handler was found: the ticket would wait for a dispatcher (UNROUTED).
    pub routed: bool,
    pub grid: Option<Jurisdiction>,
    pub community: Option<Jurisdiction>,
    pub town: Option<Jurisdiction>,
    pub street: Option<Jurisdiction>,
    pub lane: Option<Jurisdiction>,
    pub handler: Option<User>,
    pub handler_source: Option<HandlerSourceKind>,
    pub level: HandlerLevel,
    pub distance_meters: Option<f64>,
    pub explanation: String,
}

#[derive(Default)]
pub struct PlacesQuery;

async fn load_place(
    state: &crate::state::AppState,
    r: Option<&PlaceRef>,
) -> ApiResult<Option<Jurisdiction>> {
    let Some(r) = r else { return Ok(None) };
    let row = jurisdiction::Entity::find_by_id(r.id)
        .one(&state.db)
        .await
        .map_err(ApiError::internal)?;
    Ok(row.map(Jurisdiction::from))
}

#[Object]
impl PlacesQuery {
    /// One jurisdiction by code, inside the caller's scope.
    async fn jurisdiction(&self, ctx: &Context<'_>, code: String) -> ApiResult<Jurisdiction> {
        let state = app_state(ctx)?;
        let row = places::get_scoped(state, actor(ctx)?, &code).await?;
        Ok(row.into())
    }

    /// Jurisdictions inside the caller's scope, optionally of one kind or under one parent.
    async fn jurisdictions(
        &self,
        ctx: &Context<'_>,
        kind: Option<JurisdictionKind>,
        parent_code: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Jurisdiction>> {
        let state = app_state(ctx)?;
        let (limit, after_id) = ids::page(first, after.as_deref())?;
        let rows = places::list_scoped(
            state,
            actor(ctx)?,
            kind.map(PlaceKind::from),
            parent_code.as_deref(),
            after_id,
            limit + 1,
        )
        .await?;
        let mut conn = Connection::new(after_id.is_some(), rows.len() as u64 > limit);
        conn.edges.extend(
            rows.into_iter()
                .take(limit as usize)
                .map(|j| Edge::new(ids::cursor(j.id), Jurisdiction::from(j))),
        );
        Ok(conn)
    }

    /// Runs the routing engine for a point and category without creating anything.
    async fn route_preview(
        &self,
        ctx: &Context<'_>,
        lat: f64,
        lon: f64,
        category_code: String,
    ) -> ApiResult<RouteDecision> {
        let state = app_state(ctx)?;
        viewer(ctx)?;
        validate::coordinates(lat, lon)?;
        let category = categories::get(state, &category_code, "categoryCode").await?;
        let level = DomainLevel::parse(&category.handler_level).unwrap_or(DomainLevel::Lane);
        let label = format!("{} {}", category.code, category.name);
        let d = state.routing.route(lat, lon, level, &label);
        let handler = match &d.handler {
            Some(h) => app_user::Entity::find_by_id(h.user_id)
                .one(&state.db)
                .await
                .map_err(ApiError::internal)?
                .map(User::from),
            None => None,
        };
        Ok(RouteDecision {
            routed: d.is_routed(),
            grid: load_place(state, d.grid.as_ref()).await?,
            community: load_place(state, d.community.as_ref()).await?,
            town: load_place(state, d.town.as_ref()).await?,
            street: load_place(state, d.street.as_ref()).await?,
            lane: load_place(state, d.lane.as_ref()).await?,
            handler,
            handler_source: d
                .handler
                .as_ref()
                .map(|h| HandlerSourceKind::from(h.source)),
            level: if d.level == DomainLevel::Street {
                HandlerLevel::Street
            } else {
                HandlerLevel::Lane
            },
            distance_meters: d.distance_meters,
            explanation: d.explanation,
        })
    }
}

#[derive(Default)]
pub struct PlacesMutation;

#[Object]
impl PlacesMutation {
    /// Imports a GeoJSON FeatureCollection of jurisdictions (ADMIN). All-or-nothing: a file with
    /// any bad feature changes nothing, and the error's `extensions.problems` lists each one.
    async fn import_jurisdictions(
        &self,
        ctx: &Context<'_>,
        input: ImportJurisdictionsInput,
    ) -> ApiResult<ImportJurisdictionsPayload> {
        let state = app_state(ctx)?;
        let summary = places::import_jurisdictions(state, actor(ctx)?, &input.geojson).await?;
        Ok(ImportJurisdictionsPayload {
            created: summary.created as i32,
            updated: summary.updated as i32,
        })
    }

    /// Makes a user the chief of a street, lane, community or town (ADMIN); grants the matching role and scope.
    async fn assign_chief(
        &self,
        ctx: &Context<'_>,
        input: AssignChiefInput,
    ) -> ApiResult<AssignChiefPayload> {
        let state = app_state(ctx)?;
        let row = places::assign_chief(state, actor(ctx)?, &input.jurisdiction_code, &input.email)
            .await?;
        Ok(AssignChiefPayload {
            jurisdiction: row.into(),
        })
    }
}

//! `Jurisdiction`: a node of the grid tree or the street-chief tree.

use async_graphql::{ComplexObject, Context, Enum, ID, SimpleObject};
use sea_orm::EntityTrait;

use crate::domain::places::PlaceKind;
use crate::entity::{app_user, jurisdiction};
use crate::graphql::context::app_state;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids;
use crate::service::places;

use super::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "JurisdictionKind", remote = "crate::domain::places::PlaceKind")]
pub enum JurisdictionKind {
    District,
    Town,
    Community,
    Grid,
    Street,
    Lane,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Jurisdiction {
    pub id: ID,
    pub code: String,
    pub kind: JurisdictionKind,
    pub name: String,
    /// Streets and lanes: how far from their line, on each side, they reach (meters).
    pub buffer_meters: Option<f64>,
    /// GeoJSON geometry (WGS84 lon/lat), as text.
    pub geometry: Option<String>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub parent_id: Option<i64>,
    #[graphql(skip)]
    pub chief_id: Option<i64>,
}

impl From<jurisdiction::Model> for Jurisdiction {
    fn from(m: jurisdiction::Model) -> Self {
        Self {
            id: ids::encode("Jurisdiction", m.id),
            kind: PlaceKind::parse(&m.kind).unwrap_or(PlaceKind::Grid).into(),
            code: m.code,
            name: m.name,
            buffer_meters: m.buffer_meters,
            geometry: m.geometry,
            row_id: m.id,
            parent_id: m.parent_id,
            chief_id: m.chief_id,
        }
    }
}

#[ComplexObject]
impl Jurisdiction {
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<Jurisdiction>> {
        let Some(id) = self.parent_id else {
            return Ok(None);
        };
        let state = app_state(ctx)?;
        let row = jurisdiction::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .map_err(ApiError::internal)?;
        Ok(row.map(Jurisdiction::from))
    }

    /// The street or lane chief; on a community or town, who takes what nobody else owns (属地兜底).
    async fn chief(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.chief_id else {
            return Ok(None);
        };
        let state = app_state(ctx)?;
        let row = app_user::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .map_err(ApiError::internal)?;
        Ok(row.map(User::from))
    }

    /// Grid workers patrolling this grid (grids only).
    async fn workers(&self, ctx: &Context<'_>) -> ApiResult<Vec<User>> {
        if self.kind != JurisdictionKind::Grid {
            return Ok(Vec::new());
        }
        let state = app_state(ctx)?;
        let rows = places::grid_workers(state, self.row_id).await?;
        Ok(rows.into_iter().map(User::from).collect())
    }
}

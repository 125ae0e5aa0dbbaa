//! A node of either jurisdiction tree: district/town/community/grid or town/street/lane.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jurisdiction")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    /// DISTRICT, TOWN, COMMUNITY, GRID, STREET or LANE.
    pub kind: String,
    pub name: String,
    pub parent_id: Option<i64>,
    /// Materialised path of ids, `/1/4/17/`: a subtree is a prefix match.
    pub path: String,
    pub depth: i32,
    /// The street or lane chief; on a community or town, who takes what nobody else owns.
    pub chief_id: Option<i64>,
    pub buffer_meters: Option<f64>,
    /// GeoJSON geometry (WGS84 lon/lat).
    #[sea_orm(column_type = "Text", nullable)]
    pub geometry: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

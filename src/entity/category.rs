//! A kind of problem (管理事件分类) with its handler level and limits.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// LANE or STREET.
    pub handler_level: String,
    /// URGENT or NORMAL.
    pub priority: String,
    pub dispatch_limit_minutes: i32,
    pub handle_limit_minutes: i32,
    pub verify_limit_minutes: i32,
    /// WORKING or NATURAL.
    pub calendar_kind: String,
    pub duplicate_radius_meters: f64,
    pub duplicate_window_minutes: i32,
    pub auto_dispatch: bool,
    pub active: bool,
    /// The working-time calendar WORKING limits count in.
    pub calendar_code: String,
}

impl ActiveModelBehavior for ActiveModel {}

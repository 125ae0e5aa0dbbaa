//! A working-time calendar: timezone and weekly working windows.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    /// IANA timezone, e.g. Asia/Shanghai.
    pub timezone: String,
    /// JSON: seven lists (Monday first) of `["HH:MM", "HH:MM"]` windows.
    #[sea_orm(column_type = "Text")]
    pub weekly_windows: String,
    /// JSON: the windows of a make-up working day (调休).
    #[sea_orm(column_type = "Text")]
    pub workday_windows: String,
    pub updated_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

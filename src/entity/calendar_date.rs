//! A public holiday or make-up working day of a calendar.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_date")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub calendar_code: String,
    /// YYYY-MM-DD in the calendar's timezone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: String,
    /// HOLIDAY or WORKDAY.
    pub kind: String,
}

impl ActiveModelBehavior for ActiveModel {}

//! A satisfaction score (回访) on a closed ticket.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    /// 1–5; 4 and above counts as satisfied.
    pub score: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub given_by: i64,
    pub at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

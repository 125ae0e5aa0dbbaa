//! One immutable entry of a ticket's history.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    /// 1, 2, 3… without gaps per ticket.
    pub seq: i32,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// None when the system acted (auto-dispatch, SLA sweeper).
    pub actor_id: Option<i64>,
    pub at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// JSON with the action's details.
    #[sea_orm(column_type = "Text", nullable)]
    pub data: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

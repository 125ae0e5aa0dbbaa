//! A photo attached to a ticket, stored content-addressed by its SHA-256.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub event_id: Option<i64>,
    /// BEFORE, AFTER or VERIFY.
    pub kind: String,
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploader_id: i64,
    pub taken_at: Option<DateTimeUtc>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

//! One email in the outbox: written with the change that causes it, sent by the mailer.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// DISPATCHED, RETURNED, …, DAILY_DIGEST (see `domain::notification::Kind`).
    pub kind: String,
    pub recipient_id: i64,
    /// The address at the time of writing: a later change of address does not redirect old mail.
    pub email: String,
    pub locale: String,
    pub ticket_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    /// PENDING, SENT or FAILED.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Lease: while in the future, one mailer owns the row.
    pub claimed_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Fixed at the first claim, so every resend carries the same Message-ID.
    pub message_id: Option<String>,
    /// Makes one-per-period mail (the daily digest) idempotent across processes.
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

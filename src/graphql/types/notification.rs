//! `Notification`: one email in the outbox, as an admin sees it.

use async_graphql::{ComplexObject, Context, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::notification::{Kind, Status};
use crate::entity::notification;
use crate::graphql::error::ApiResult;
use crate::graphql::ids;
use crate::graphql::loaders::{load_failed, loaders};

use super::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum NotificationStatus {
    /// Waiting to be sent (or to be retried).
    Pending,
    Sent,
    /// Given up; `retryNotification` puts it back in the queue.
    Failed,
}

impl From<NotificationStatus> for Status {
    fn from(s: NotificationStatus) -> Self {
        match s {
            NotificationStatus::Pending => Status::Pending,
            NotificationStatus::Sent => Status::Sent,
            NotificationStatus::Failed => Status::Failed,
        }
    }
}

impl From<Status> for NotificationStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => NotificationStatus::Pending,
            Status::Sent => NotificationStatus::Sent,
            Status::Failed => NotificationStatus::Failed,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::notification::Kind")]
pub enum NotificationKind {
    /// To the assignee; cannot be turned off.
    Dispatched,
    /// To the dispatchers whose scope covers the ticket.
    Returned,
    /// To the grid's workers, to verify.
    Resolved,
    /// To the reporter.
    Closed,
    /// To the dispatchers and managers covering the ticket.
    ExtensionRequested,
    /// To the assignee and their supervisor.
    Supervised,
    /// To the assignee.
    SlaWarning,
    /// To the assignee and their supervisor; cannot be turned off.
    SlaOverdue,
    /// To the assignee and the supervisor chain, one level further per escalation.
    Escalated,
    /// To each manager, once a day.
    DailyDigest,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Notification {
    pub id: ID,
    pub kind: Option<NotificationKind>,
    pub status: NotificationStatus,
    /// The address it was written to.
    pub email: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The Message-ID header every (re)send carries; set at the first attempt.
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The number of the ticket it is about (none for a digest).
    pub ticket_number: Option<String>,
    #[graphql(skip)]
    pub recipient_id: i64,
}

impl From<(notification::Model, Option<String>)> for Notification {
    fn from((m, ticket_number): (notification::Model, Option<String>)) -> Self {
        Self {
            id: ids::encode("Notification", m.id),
            kind: Kind::parse(&m.kind).map(NotificationKind::from),
            status: Status::parse(&m.status).unwrap_or(Status::Pending).into(),
            email: m.email,
            locale: m.locale,
            subject: m.subject,
            body_text: m.body_text,
            body_html: m.body_html,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            message_id: m.message_id,
            created_at: m.created_at,
            sent_at: m.sent_at,
            ticket_number,
            recipient_id: m.recipient_id,
        }
    }
}

#[ComplexObject]
impl Notification {
    /// Who it is for.
    async fn recipient(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        Ok(loaders(ctx)?
            .users
            .load_one(self.recipient_id)
            .await
            .map_err(load_failed)?
            .map(User::from))
    }
}

/// Whether the caller receives one kind of notification.
#[derive(SimpleObject, Clone)]
pub struct NotificationPreference {
    pub kind: NotificationKind,
    pub enabled: bool,
    /// Dispatch and overdue mail cannot be turned off.
    pub mandatory: bool,
}

impl From<(Kind, bool)> for NotificationPreference {
    fn from((kind, enabled): (Kind, bool)) -> Self {
        Self {
            kind: kind.into(),
            enabled,
            mandatory: kind.is_mandatory(),
        }
    }
}

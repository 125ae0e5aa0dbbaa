//! `outbox`, `retryNotification` (ADMIN); `notificationPreferences`, `setNotificationPreference`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::service::notify::admin;

use super::context::{actor, app_state, viewer};
use super::error::ApiResult;
use super::ids;
use super::types::notification::{
    Notification, NotificationKind, NotificationPreference, NotificationStatus,
};

#[derive(InputObject)]
pub struct RetryNotificationInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct RetryNotificationPayload {
    pub notification: Notification,
}

#[derive(InputObject)]
pub struct SetNotificationPreferenceInput {
    pub kind: NotificationKind,
    pub enabled: bool,
}

#[derive(SimpleObject)]
pub struct SetNotificationPreferencePayload {
    /// Every kind, after the change.
    pub preferences: Vec<NotificationPreference>,
}

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The mail outbox, newest first (ADMIN). FAILED rows can be put back with `retryNotification`.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity")]
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        status: Option<NotificationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Notification>> {
        let state = app_state(ctx)?;
        let (limit, after_id) = ids::page(first, after.as_deref())?;
        let rows = admin::outbox(
            state,
            actor(ctx)?,
            status.map(Into::into),
            after_id,
            limit + 1,
        )
        .await?;
        let has_next = rows.len() as u64 > limit;
        let mut conn = Connection::new(after_id.is_some(), has_next);
        conn.edges.extend(
            rows.into_iter()
                .take(limit as usize)
                .map(|n| Edge::new(ids::cursor(n.0.id), Notification::from(n))),
        );
        Ok(conn)
    }

    /// Which notifications the caller receives.
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<NotificationPreference>> {
        let state = app_state(ctx)?;
        let v = viewer(ctx)?;
        Ok(admin::preferences(state, v.user_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Puts a FAILED notification back in the queue with its attempts reset (ADMIN).
    async fn retry_notification(
        &self,
        ctx: &Context<'_>,
        input: RetryNotificationInput,
    ) -> ApiResult<RetryNotificationPayload> {
        let state = app_state(ctx)?;
        let id = ids::decode_numeric(&input.id, "Notification", "id")?;
        let row = admin::retry(state, actor(ctx)?, id).await?;
        Ok(RetryNotificationPayload {
            notification: row.into(),
        })
    }

    /// Turns one kind of notification on or off for the caller; DISPATCHED and SLA_OVERDUE
    /// cannot be turned off (BAD_USER_INPUT).
    async fn set_notification_preference(
        &self,
        ctx: &Context<'_>,
        input: SetNotificationPreferenceInput,
    ) -> ApiResult<SetNotificationPreferencePayload> {
        let state = app_state(ctx)?;
        let prefs =
            admin::set_preference(state, viewer(ctx)?, input.kind.into(), input.enabled).await?;
        Ok(SetNotificationPreferencePayload {
            preferences: prefs.into_iter().map(Into::into).collect(),
        })
    }
}

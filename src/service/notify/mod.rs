//! The transactional outbox: every notification is a row written in the same transaction as the
//! ticket change that causes it, so a rolled-back change sends nothing and a committed one is
//! never forgotten. The mailer (`service::mailer`) sends the rows later.

pub mod admin;
pub mod digest;
pub mod recipients;
pub mod templates;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::domain::notification::{Kind, Status};
use crate::entity::{
    app_user, category, jurisdiction, notification, notification_preference, ticket,
};
use crate::service::error::ServiceResult;
use crate::state::AppState;

use templates::{Lang, Rendered, TicketFacts};

/// Queues the mail that `event_kinds` (ticket event kinds, plus the SLA sweeper's `SLA_WARNING`,
/// `SLA_OVERDUE` and `ESCALATED`) cause on ticket `after`, inside the caller's open transaction
/// `db`. Nobody is excluded as the actor; use `enqueue_for_events_by` for a person's action.
pub async fn enqueue_for_events(
    state: &AppState,
    db: &impl ConnectionTrait,
    before: Option<&ticket::Model>,
    after: &ticket::Model,
    event_kinds: &[&str],
) -> ServiceResult<()> {
    enqueue_for_events_by(state, db, before, after, event_kinds, None).await
}

/// Like `enqueue_for_events`; the person who acted (`actor_id`) is not told about their own action.
pub async fn enqueue_for_events_by(
    state: &AppState,
    db: &impl ConnectionTrait,
    before: Option<&ticket::Model>,
    after: &ticket::Model,
    event_kinds: &[&str],
    actor_id: Option<i64>,
) -> ServiceResult<()> {
    let mut kinds: Vec<Kind> = Vec::new();
    for kind in event_kinds.iter().filter_map(|e| Kind::for_event(e)) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Ok(());
    }
    let facts = ticket_facts(state, db, before, after).await?;
    let now = state.clock.now();
    for kind in kinds {
        let ids = recipients::for_kind(db, kind, after).await?;
        for user in deliverable(db, kind, &ids, actor_id).await? {
            let lang = Lang::of(&user.locale);
            let mail = templates::ticket_mail(kind, lang, &facts);
            insert(db, kind, &user, lang, Some(after.id), mail, None, now).await?;
        }
    }
    Ok(())
}

/// The recipients worth writing to, in order: enabled, not the actor, not opted out of `kind`
/// (unless it is mandatory), each once.
pub async fn deliverable(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i64],
    actor_id: Option<i64>,
) -> ServiceResult<Vec<app_user::Model>> {
    let mut seen = HashSet::new();
    let wanted: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| Some(*id) != actor_id && seen.insert(*id))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let off: HashSet<i64> = if kind.is_mandatory() {
        HashSet::new()
    } else {
        notification_preference::Entity::find()
            .filter(notification_preference::Column::Kind.eq(kind.as_str()))
            .filter(notification_preference::Column::UserId.is_in(wanted.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.user_id)
            .collect()
    };
    let users = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(wanted.iter().copied()))
        .filter(app_user::Column::Disabled.eq(false))
        .all(db)
        .await?;
    Ok(wanted
        .iter()
        .filter(|id| !off.contains(id))
        .filter_map(|id| users.iter().find(|u| u.id == *id).cloned())
        .collect())
}

/// Writes one PENDING row, due now.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: &impl ConnectionTrait,
    kind: Kind,
    user: &app_user::Model,
    lang: Lang,
    ticket_id: Option<i64>,
    mail: Rendered,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<notification::Model> {
    Ok(row(kind, user, lang, ticket_id, mail, dedupe_key, now)
        .insert(db)
        .await?)
}

/// The ActiveModel of a new PENDING row.
pub fn row(
    kind: Kind,
    user: &app_user::Model,
    lang: Lang,
    ticket_id: Option<i64>,
    mail: Rendered,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> notification::ActiveModel {
    notification::ActiveModel {
        kind: Set(kind.as_str().to_string()),
        recipient_id: Set(user.id),
        email: Set(user.email.clone()),
        locale: Set(lang.as_str().to_string()),
        ticket_id: Set(ticket_id),
        subject: Set(mail.subject),
        body_text: Set(mail.text),
        body_html: Set(mail.html),
        status: Set(Status::Pending.as_str().to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        message_id: Set(None),
        dedupe_key: Set(dedupe_key),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
}

/// A deadline in the calendar's local time, with the zone named.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name()
    )
}

/// The link to a ticket in the web app.
pub fn ticket_link(state: &AppState, number: &str) -> String {
    format!(
        "{}/tickets/{number}",
        state.settings.notify.base_url.trim_end_matches('/')
    )
}

async fn ticket_facts(
    state: &AppState,
    db: &impl ConnectionTrait,
    before: Option<&ticket::Model>,
    t: &ticket::Model,
) -> ServiceResult<TicketFacts> {
    let category = category::Entity::find_by_id(t.category_code.clone())
        .one(db)
        .await?;
    let place_ids: Vec<i64> = [t.grid_id, t.street_id, t.lane_id]
        .into_iter()
        .flatten()
        .collect();
    let nodes = jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Id.is_in(place_ids.iter().copied()))
        .all(db)
        .await?;
    let places = place_ids
        .iter()
        .filter_map(|id| nodes.iter().find(|n| n.id == *id).map(|n| n.name.clone()))
        .collect();
    let returned_by = match before.and_then(|b| b.assignee_id) {
        Some(id) if t.assignee_id.is_none() => app_user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|u| u.name),
        _ => None,
    };
    Ok(TicketFacts {
        number: t.number.clone(),
        category_zh: category.as_ref().map_or_else(
            || t.category_code.clone(),
            |c| format!("{} {}", c.code, c.name),
        ),
        category_en: category
            .as_ref()
            .map(|c| format!("{} {}", c.code, c.name_en))
            .unwrap_or_default(),
        places,
        address: t.address.clone(),
        description: t.description.clone(),
        deadline: t.due_at.map(|d| {
            local_time(
                d,
                state
                    .calendars
                    .get(crate::service::calendars::DEFAULT_CALENDAR)
                    .timezone,
            )
        }),
        escalation_level: t.escalation_level,
        returned_by,
        link: ticket_link(state, &t.number),
    })
}

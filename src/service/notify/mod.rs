//! The transactional outbox: every notification is a row written in the same transaction as the
//! ticket change that causes it, so a rolled-back change sends nothing and a committed one is
//! never forgotten. The mailer (`service::mailer`) sends the rows later.

pub mod admin;
pub mod digest;
pub mod recipients;
pub mod templates;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::domain::notification::{Kind, Status};
use crate::entity::{app_user, category, notification, notification_preference, ticket};
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
    let news = News {
        before,
        after,
        event_kinds,
        actor_id,
    };
    enqueue_batch(state, db, &[news]).await
}

/// What happened to one ticket, for `enqueue_batch`.
pub struct News<'a> {
    pub before: Option<&'a ticket::Model>,
    pub after: &'a ticket::Model,
    pub event_kinds: &'a [&'a str],
    /// Who acted; they are not told about their own action.
    pub actor_id: Option<i64>,
}

/// Queues the mail for many tickets' news at once, in the caller's transaction, with a fixed
/// number of statements whatever the batch size: the sweeper fans out thousands of warnings per
/// pass this way.
pub async fn enqueue_batch(
    state: &AppState,
    db: &impl ConnectionTrait,
    news: &[News<'_>],
) -> ServiceResult<()> {
    let work: Vec<(&News, Kind)> = news
        .iter()
        .flat_map(|n| {
            let mut kinds: Vec<Kind> = Vec::new();
            for kind in n.event_kinds.iter().filter_map(|e| Kind::for_event(e)) {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            kinds.into_iter().map(move |k| (n, k))
        })
        .collect();
    if work.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(&ticket::Model, Kind)> = work.iter().map(|(n, k)| (n.after, *k)).collect();
    let directory = recipients::Directory::load(db, &pairs).await?;
    let wanted: Vec<(&News, Kind, Vec<i64>)> = work
        .into_iter()
        .map(|(n, k)| (n, k, directory.for_kind(k, n.after)))
        .collect();
    let returned_by: Vec<i64> = news.iter().filter_map(returned_by_id).collect();
    let people = People::load(
        db,
        wanted.iter().flat_map(|(_, _, ids)| ids.iter().copied()),
        &returned_by,
    )
    .await?;
    let categories = categories_of(db, news.iter().map(|n| n.after)).await?;
    let now = state.clock.now();
    let mut rows = Vec::new();
    for (n, kind, ids) in &wanted {
        let facts = ticket_facts(state, &directory, &categories, &people, n);
        for user in people.deliverable(*kind, ids, n.actor_id) {
            let lang = Lang::of(&user.locale);
            let mail = templates::ticket_mail(*kind, lang, &facts);
            rows.push(row(*kind, user, lang, Some(n.after.id), mail, None, now));
        }
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        notification::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Outbox rows per INSERT: 17 columns each stays well under PostgreSQL's 65,535 parameters.
const INSERT_CHUNK: usize = 1000;

/// The recipients worth writing to, in order: enabled, not the actor, not opted out of `kind`
/// (unless it is mandatory), each once.
pub async fn deliverable(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i64],
    actor_id: Option<i64>,
) -> ServiceResult<Vec<app_user::Model>> {
    let people = People::load(db, ids.iter().copied(), &[]).await?;
    Ok(people
        .deliverable(kind, ids, actor_id)
        .into_iter()
        .cloned()
        .collect())
}

/// The users a batch may write to, with their opt-outs.
struct People {
    users: HashMap<i64, app_user::Model>,
    opted_out: HashSet<(i64, String)>,
}

impl People {
    async fn load(
        db: &impl ConnectionTrait,
        recipients: impl Iterator<Item = i64>,
        also: &[i64],
    ) -> ServiceResult<Self> {
        let ids: HashSet<i64> = recipients.chain(also.iter().copied()).collect();
        if ids.is_empty() {
            return Ok(People {
                users: HashMap::new(),
                opted_out: HashSet::new(),
            });
        }
        let users = app_user::Entity::find()
            .filter(app_user::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let opted_out = notification_preference::Entity::find()
            .filter(notification_preference::Column::UserId.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.user_id, p.kind))
            .collect();
        Ok(People { users, opted_out })
    }

    fn deliverable(&self, kind: Kind, ids: &[i64], actor_id: Option<i64>) -> Vec<&app_user::Model> {
        let mut seen = HashSet::new();
        ids.iter()
            .copied()
            .filter(|id| Some(*id) != actor_id && seen.insert(*id))
            .filter(|id| {
                kind.is_mandatory() || !self.opted_out.contains(&(*id, kind.as_str().to_string()))
            })
            .filter_map(|id| self.users.get(&id))
            .filter(|u| !u.disabled)
            .collect()
    }
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

/// Whose name a RETURNED mail gives: the assignee the ticket had before.
fn returned_by_id(n: &News) -> Option<i64> {
    match n.before.and_then(|b| b.assignee_id) {
        Some(id) if n.after.assignee_id.is_none() => Some(id),
        _ => None,
    }
}

async fn categories_of<'a>(
    db: &impl ConnectionTrait,
    tickets: impl Iterator<Item = &'a ticket::Model>,
) -> ServiceResult<HashMap<String, category::Model>> {
    let codes: HashSet<String> = tickets.map(|t| t.category_code.clone()).collect();
    Ok(category::Entity::find()
        .filter(category::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect())
}

fn ticket_facts(
    state: &AppState,
    directory: &recipients::Directory,
    categories: &HashMap<String, category::Model>,
    people: &People,
    n: &News,
) -> TicketFacts {
    let t = n.after;
    let category = categories.get(&t.category_code);
    let places = [t.grid_id, t.street_id, t.lane_id]
        .into_iter()
        .flatten()
        .filter_map(|id| directory.places.get(&id).map(|p| p.name.clone()))
        .collect();
    let returned_by = returned_by_id(n)
        .and_then(|id| people.users.get(&id))
        .map(|u| u.name.clone());
    TicketFacts {
        number: t.number.clone(),
        category_zh: category.map_or_else(
            || t.category_code.clone(),
            |c| format!("{} {}", c.code, c.name),
        ),
        category_en: category
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
    }
}

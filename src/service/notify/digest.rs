//! The managers' daily digest: at a configured local time, one mail per manager with yesterday's
//! counts and today's overdue tickets in their scope. Once per manager per day, however many
//! processes run: the row's dedupe key `DAILY_DIGEST:{user}:{day}` is unique.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};

use crate::domain::lifecycle::Status as TicketStatus;
use crate::domain::notification::Kind;
use crate::domain::role::Role;
use crate::entity::{category, jurisdiction, notification, ticket, user_role, user_scope};
use crate::service::error::ServiceResult;
use crate::state::AppState;

use super::templates::{self, DigestFacts, Lang, OverdueLine};
use super::{deliverable, local_time, row, ticket_link};

/// Overdue tickets listed in one digest; the count covers the rest.
const MAX_LISTED: u64 = 30;

/// The local day whose digest is due at `now`, if the configured time has passed.
pub fn due_day(now: DateTime<Utc>, tz: Tz, at: chrono::NaiveTime) -> Option<NaiveDate> {
    let local = now.with_timezone(&tz);
    (local.time() >= at).then(|| local.date_naive())
}

/// Queues today's digest for every manager who has none yet; returns how many were queued.
pub async fn enqueue_daily(state: &AppState, today: NaiveDate) -> ServiceResult<usize> {
    let tz = state
        .calendars
        .get(crate::service::calendars::DEFAULT_CALENDAR)
        .timezone;
    let now = state.clock.now();
    let Some(yesterday) = today.checked_sub_days(Days::new(1)) else {
        return Ok(0);
    };
    let (from, to) = (start_of(yesterday, tz), start_of(today, tz));
    let managers: Vec<i64> = user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Manager.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let categories: HashMap<String, category::Model> = category::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let mut queued = 0;
    for user in deliverable(&state.db, Kind::DailyDigest, &managers, None).await? {
        let scope = scope_of(state, user.id).await?;
        if scope.is_empty() {
            continue;
        }
        let in_scope = scope_condition(&scope);
        let count = |c: Condition| {
            ticket::Entity::find()
                .filter(in_scope.clone())
                .filter(c)
                .count(&state.db)
        };
        let reported = count(
            Condition::all()
                .add(ticket::Column::ReportedAt.gte(from))
                .add(ticket::Column::ReportedAt.lt(to)),
        )
        .await?;
        let closed = count(
            Condition::all()
                .add(ticket::Column::ClosedAt.gte(from))
                .add(ticket::Column::ClosedAt.lt(to)),
        )
        .await?;
        let overdue_q = ticket::Entity::find()
            .filter(in_scope.clone())
            .filter(overdue_open(now));
        let overdue_open = overdue_q.clone().count(&state.db).await?;
        let lang = Lang::of(&user.locale);
        let overdue = overdue_q
            .order_by_asc(ticket::Column::DueAt)
            .order_by_asc(ticket::Column::Id)
            .limit(MAX_LISTED)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| OverdueLine {
                link: ticket_link(state, &t.number),
                deadline: t.due_at.map(|d| local_time(d, tz)).unwrap_or_default(),
                category: category_name(&categories, &t.category_code, lang),
                number: t.number,
            })
            .collect();
        let facts = DigestFacts {
            day: yesterday.format("%Y-%m-%d").to_string(),
            scope: scope
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            reported,
            closed,
            overdue_open,
            overdue,
        };
        let mail = templates::digest_mail(lang, &facts);
        let key = format!("{}:{}:{}", Kind::DailyDigest.as_str(), user.id, today);
        let inserted = notification::Entity::insert(row(
            Kind::DailyDigest,
            &user,
            lang,
            None,
            mail,
            Some(key),
            now,
        ))
        .on_conflict_do_nothing_on([notification::Column::DedupeKey])
        .exec_without_returning(&state.db)
        .await?;
        if let TryInsertResult::Inserted(n) = inserted {
            queued += n as usize;
        }
    }
    Ok(queued)
}

fn category_name(all: &HashMap<String, category::Model>, code: &str, lang: Lang) -> String {
    match (all.get(code), lang) {
        (Some(c), Lang::En) if !c.name_en.is_empty() => format!("{code} {}", c.name_en),
        (Some(c), _) => format!("{code} {}", c.name),
        (None, _) => code.to_string(),
    }
}

fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    midnight
        .and_local_timezone(tz)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |d| d.with_timezone(&Utc))
}

/// The manager's scope nodes as (path, name).
async fn scope_of(state: &AppState, user_id: i64) -> ServiceResult<Vec<(String, String)>> {
    let ids: Vec<i64> = user_scope::Entity::find()
        .filter(user_scope::Column::UserId.eq(user_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| s.jurisdiction_id)
        .collect();
    Ok(jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Id.is_in(ids))
        .order_by_asc(jurisdiction::Column::Path)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|j| (j.path, j.name))
        .collect())
}

fn scope_condition(scope: &[(String, String)]) -> Condition {
    scope.iter().fold(Condition::any(), |any, (path, _)| {
        any.add(Expr::col(ticket::Column::GridPath).like(format!("{path}%")))
            .add(Expr::col(ticket::Column::PlacePath).like(format!("{path}%")))
    })
}

/// 超期未结 as domain.md defines it: registered, not closed, not suspended, past its deadline.
fn overdue_open(now: DateTime<Utc>) -> Condition {
    let not_counted = [
        TicketStatus::Closed,
        TicketStatus::Rejected,
        TicketStatus::Duplicate,
        TicketStatus::Suspended,
    ];
    Condition::all()
        .add(ticket::Column::Status.is_not_in(not_counted.map(|s| s.as_str())))
        .add(ticket::Column::DueAt.lt(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    #[test]
    fn the_digest_is_due_from_the_configured_local_time_on() {
        let tz = Tz::Asia__Shanghai;
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let before = Utc.with_ymd_and_hms(2026, 11, 29, 23, 59, 0).unwrap();
        assert_eq!(due_day(before, tz, eight), None, "07:59 local");
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        assert_eq!(
            due_day(after, tz, eight),
            NaiveDate::from_ymd_opt(2026, 11, 30)
        );
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            start_of(day, Tz::Asia__Shanghai),
            Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap()
        );
    }
}

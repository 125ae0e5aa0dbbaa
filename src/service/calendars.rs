//! Calendars: stored in the database, cached in memory for the deadline arithmetic, edited by ADMINs.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, NaiveTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::domain::role::Role;
use crate::domain::working_time::{WorkingCalendar, WorkingWindow};
use crate::entity::{calendar, calendar_date};
use crate::state::AppState;

use super::actor::Actor;
use super::error::{ServiceError, ServiceResult};
use super::{tx, validate};

/// The calendar categories use unless told otherwise.
pub const DEFAULT_CALENDAR: &str = "CN";

/// Every calendar, parsed, keyed by code; readers never wait for a reload.
#[derive(Clone, Default)]
pub struct CalendarStore {
    inner: Arc<RwLock<HashMap<String, Arc<WorkingCalendar>>>>,
}

impl CalendarStore {
    /// The calendar with this code; an unknown code falls back to the default China calendar.
    pub fn get(&self, code: &str) -> Arc<WorkingCalendar> {
        let map = match self.inner.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        map.get(code)
            .or_else(|| map.get(DEFAULT_CALENDAR))
            .cloned()
            .unwrap_or_else(|| Arc::new(WorkingCalendar::default_china()))
    }

    /// Reloads every calendar from the database.
    pub async fn reload(&self, db: &impl ConnectionTrait) -> ServiceResult<()> {
        let rows = calendar::Entity::find().all(db).await?;
        let dates = calendar_date::Entity::find().all(db).await?;
        let mut map = HashMap::new();
        for row in rows {
            let mine: Vec<&calendar_date::Model> = dates
                .iter()
                .filter(|d| d.calendar_code == row.code)
                .collect();
            match build(&row, &mine) {
                Ok(cal) => {
                    map.insert(row.code.clone(), Arc::new(cal));
                }
                Err(e) => {
                    tracing::error!(calendar = %row.code, error = %e, "skipping an invalid calendar")
                }
            }
        }
        match self.inner.write() {
            Ok(mut g) => *g = map,
            Err(p) => *p.into_inner() = map,
        }
        Ok(())
    }
}

fn parse_windows(field: &str, json: &str) -> ServiceResult<Vec<WorkingWindow>> {
    let pairs: Vec<(String, String)> = serde_json::from_str(json).map_err(|e| {
        ServiceError::invalid(field, format!("not a list of [start, end] pairs: {e}"))
    })?;
    pairs.iter().map(|(a, b)| window(field, a, b)).collect()
}

/// A window from "HH:MM" texts.
pub fn window(field: &str, start: &str, end: &str) -> ServiceResult<WorkingWindow> {
    let t = |s: &str| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| ServiceError::invalid(field, format!("{s} is not a HH:MM time")))
    };
    WorkingWindow::new(t(start)?, t(end)?).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

fn build(row: &calendar::Model, dates: &[&calendar_date::Model]) -> ServiceResult<WorkingCalendar> {
    let timezone: chrono_tz::Tz = row
        .timezone
        .parse()
        .map_err(|_| ServiceError::invalid("timezone", "unknown timezone"))?;
    let days: Vec<Vec<(String, String)>> = serde_json::from_str(&row.weekly_windows)
        .map_err(|e| ServiceError::invalid("weeklyWindows", e.to_string()))?;
    let mut weekly: [Vec<WorkingWindow>; 7] = Default::default();
    for (i, day) in days.iter().enumerate().take(7) {
        weekly[i] = day
            .iter()
            .map(|(a, b)| window("weeklyWindows", a, b))
            .collect::<ServiceResult<_>>()?;
    }
    let workday = parse_windows("workdayWindows", &row.workday_windows)?;
    let mut holidays = BTreeSet::new();
    let mut workdays = BTreeSet::new();
    for d in dates {
        let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
            .map_err(|_| ServiceError::invalid("dates", format!("bad date {}", d.date)))?;
        if d.kind == "WORKDAY" {
            workdays.insert(date);
        } else {
            holidays.insert(date);
        }
    }
    WorkingCalendar::new(timezone, weekly, workday, holidays, workdays)
        .map_err(|e| ServiceError::invalid("calendar", e.to_string()))
}

/// One day's windows as the API sends them.
#[derive(Debug, Clone)]
pub struct WindowInput {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub code: String,
    pub name: String,
    pub timezone: String,
    /// Seven lists, Monday first.
    pub weekly: Vec<Vec<WindowInput>>,
    pub workday: Vec<WindowInput>,
    pub holidays: Vec<NaiveDate>,
    pub workdays: Vec<NaiveDate>,
}

fn to_json(windows: &[WindowInput]) -> String {
    serde_json::to_string(
        &windows
            .iter()
            .map(|w| (w.start.trim(), w.end.trim()))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
}

/// Creates or replaces a calendar, its holidays and make-up days (ADMIN).
pub async fn upsert(
    state: &AppState,
    actor: Actor<'_>,
    input: CalendarInput,
) -> ServiceResult<calendar::Model> {
    actor.require_any(&[Role::Admin])?;
    let code = validate::required_text("code", &input.code, 16)?;
    if input.weekly.len() != 7 {
        return Err(ServiceError::invalid(
            "weeklyWindows",
            "must list seven days, Monday first",
        ));
    }
    let weekly_json = format!(
        "[{}]",
        input
            .weekly
            .iter()
            .map(|d| to_json(d))
            .collect::<Vec<_>>()
            .join(",")
    );
    let row = calendar::Model {
        code: code.clone(),
        name: validate::required_text("name", &input.name, 100)?,
        timezone: input.timezone.trim().to_string(),
        weekly_windows: weekly_json,
        workday_windows: to_json(&input.workday),
        updated_at: Some(state.clock.now()),
    };
    let dates: Vec<calendar_date::Model> = input
        .holidays
        .iter()
        .map(|d| (d, "HOLIDAY"))
        .chain(input.workdays.iter().map(|d| (d, "WORKDAY")))
        .map(|(d, kind)| calendar_date::Model {
            calendar_code: code.clone(),
            date: d.format("%Y-%m-%d").to_string(),
            kind: kind.into(),
        })
        .collect();
    build(&row, &dates.iter().collect::<Vec<_>>())?;
    let txn = tx::begin_write(&state.db).await?;
    let exists = calendar::Entity::find_by_id(code.clone())
        .one(&txn)
        .await?
        .is_some();
    let saved = if exists {
        row.into_active_model().reset_all().update(&txn).await?
    } else {
        row.into_active_model().insert(&txn).await?
    };
    calendar_date::Entity::delete_many()
        .filter(calendar_date::Column::CalendarCode.eq(code.as_str()))
        .exec(&txn)
        .await?;
    if !dates.is_empty() {
        calendar_date::Entity::insert_many(
            dates.into_iter().map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    state.calendars.reload(&state.db).await?;
    Ok(saved)
}

/// Adds `YYYY-MM-DD HOLIDAY|WORKDAY` lines to a calendar (a date listed again takes the new kind).
/// Returns how many dates were added or changed.
pub async fn import_dates(
    state: &AppState,
    actor: Actor<'_>,
    code: &str,
    text: &str,
) -> ServiceResult<usize> {
    actor.require_any(&[Role::Admin])?;
    let row = calendar::Entity::find_by_id(code.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::invalid("calendar", format!("unknown calendar {code}")))?;
    let mut probe = WorkingCalendar::default_china();
    probe
        .apply_date_list(text)
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
    let txn = tx::begin_write(&state.db).await?;
    let mut count = 0;
    for (dates, kind) in [(&probe.holidays, "HOLIDAY"), (&probe.workdays, "WORKDAY")] {
        for d in dates {
            let date = d.format("%Y-%m-%d").to_string();
            calendar_date::Entity::delete_by_id((row.code.clone(), date.clone()))
                .exec(&txn)
                .await?;
            calendar_date::ActiveModel {
                calendar_code: Set(row.code.clone()),
                date: Set(date),
                kind: Set(kind.into()),
            }
            .insert(&txn)
            .await?;
            count += 1;
        }
    }
    txn.commit().await?;
    state.calendars.reload(&state.db).await?;
    Ok(count)
}

pub async fn list(
    state: &AppState,
) -> ServiceResult<Vec<(calendar::Model, Vec<calendar_date::Model>)>> {
    let rows = calendar::Entity::find()
        .order_by_asc(calendar::Column::Code)
        .all(&state.db)
        .await?;
    let dates = calendar_date::Entity::find()
        .order_by_asc(calendar_date::Column::Date)
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let mine = dates
                .iter()
                .filter(|d| d.calendar_code == c.code)
                .cloned()
                .collect();
            (c, mine)
        })
        .collect())
}

/// Whether a calendar with this code exists.
pub async fn exists(db: &impl ConnectionTrait, code: &str) -> ServiceResult<bool> {
    Ok(calendar::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .is_some())
}

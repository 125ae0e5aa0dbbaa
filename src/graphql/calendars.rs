//! `calendars`, `upsertCalendar`: the working-time calendars limits are counted in.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::NaiveDate;

use crate::entity::{calendar, calendar_date};
use crate::service::calendars::{self, CalendarInput, WindowInput};

use super::context::{actor, app_state, viewer};
use super::error::ApiResult;

/// A daily working window in the calendar's local time.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "WorkingWindowInput")]
pub struct WorkingWindow {
    /// HH:MM
    pub start: String,
    /// HH:MM
    pub end: String,
}

#[derive(SimpleObject)]
pub struct Calendar {
    pub code: String,
    pub name: String,
    pub timezone: String,
    /// Seven lists of windows, Monday first; an empty list is a day off.
    pub weekly_windows: Vec<Vec<WorkingWindow>>,
    /// The windows of a make-up working day (调休).
    pub workday_windows: Vec<WorkingWindow>,
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (调休), usually a Saturday or Sunday.
    pub workdays: Vec<NaiveDate>,
}

fn windows(json: &str) -> Vec<WorkingWindow> {
    serde_json::from_str::<Vec<(String, String)>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|(start, end)| WorkingWindow { start, end })
        .collect()
}

fn to_api(c: calendar::Model, dates: Vec<calendar_date::Model>) -> Calendar {
    let weekly: Vec<Vec<(String, String)>> =
        serde_json::from_str(&c.weekly_windows).unwrap_or_default();
    let parse = |kind: &str| {
        dates
            .iter()
            .filter(|d| d.kind == kind)
            .filter_map(|d| NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok())
            .collect()
    };
    Calendar {
        weekly_windows: weekly
            .into_iter()
            .map(|d| {
                d.into_iter()
                    .map(|(start, end)| WorkingWindow { start, end })
                    .collect()
            })
            .collect(),
        workday_windows: windows(&c.workday_windows),
        holidays: parse("HOLIDAY"),
        workdays: parse("WORKDAY"),
        code: c.code,
        name: c.name,
        timezone: c.timezone,
    }
}

#[derive(InputObject)]
pub struct UpsertCalendarInput {
    pub code: String,
    pub name: String,
    /// IANA name, e.g. Asia/Shanghai.
    #[graphql(default_with = "\"Asia/Shanghai\".to_string()")]
    pub timezone: String,
    /// Seven lists of windows, Monday first.
    pub weekly_windows: Vec<Vec<WorkingWindow>>,
    pub workday_windows: Vec<WorkingWindow>,
    #[graphql(default)]
    pub holidays: Vec<NaiveDate>,
    #[graphql(default)]
    pub workdays: Vec<NaiveDate>,
}

#[derive(SimpleObject)]
pub struct UpsertCalendarPayload {
    pub calendar: Calendar,
}

#[derive(Default)]
pub struct CalendarsQuery;

#[Object]
impl CalendarsQuery {
    /// Every working-time calendar (any logged-in user).
    async fn calendars(&self, ctx: &Context<'_>) -> ApiResult<Vec<Calendar>> {
        viewer(ctx)?;
        let rows = calendars::list(app_state(ctx)?).await?;
        Ok(rows.into_iter().map(|(c, d)| to_api(c, d)).collect())
    }
}

#[derive(Default)]
pub struct CalendarsMutation;

fn window_inputs(w: Vec<WorkingWindow>) -> Vec<WindowInput> {
    w.into_iter()
        .map(|w| WindowInput {
            start: w.start,
            end: w.end,
        })
        .collect()
}

#[Object]
impl CalendarsMutation {
    /// Creates or replaces a calendar with its holidays and make-up days (ADMIN).
    async fn upsert_calendar(
        &self,
        ctx: &Context<'_>,
        input: UpsertCalendarInput,
    ) -> ApiResult<UpsertCalendarPayload> {
        let state = app_state(ctx)?;
        let saved = calendars::upsert(
            state,
            actor(ctx)?,
            CalendarInput {
                code: input.code,
                name: input.name,
                timezone: input.timezone,
                weekly: input
                    .weekly_windows
                    .into_iter()
                    .map(window_inputs)
                    .collect(),
                workday: window_inputs(input.workday_windows),
                holidays: input.holidays,
                workdays: input.workdays,
            },
        )
        .await?;
        let all = calendars::list(state).await?;
        let dates = all
            .into_iter()
            .find(|(c, _)| c.code == saved.code)
            .map(|(_, d)| d)
            .unwrap_or_default();
        Ok(UpsertCalendarPayload {
            calendar: to_api(saved, dates),
        })
    }
}

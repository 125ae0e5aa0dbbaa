//! The questions and answers of the statistics use cases, and how tickets and rollup rows are
//! sorted into groups.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition};

use crate::domain::indicators::Indicators;
use crate::domain::lifecycle::Source;
use crate::entity::ticket;

use super::facts::FactRow;
use super::rollup::{RollupKey, RowDim, local_day, month_of};

/// What the indicators are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Category,
    Street,
    Lane,
    Grid,
    Community,
    Assignee,
    Source,
    Day,
    Week,
    Month,
}

impl GroupBy {
    /// The rollup breakdown keyed like this grouping, for places and assignees.
    pub fn row_dim(self) -> Option<RowDim> {
        match self {
            GroupBy::Street => Some(RowDim::Street),
            GroupBy::Lane => Some(RowDim::Lane),
            GroupBy::Grid => Some(RowDim::Grid),
            GroupBy::Community => Some(RowDim::Community),
            GroupBy::Assignee => Some(RowDim::Assignee),
            _ => None,
        }
    }

    pub fn is_time(self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Week | GroupBy::Month)
    }

    /// The first day of the time bucket holding `day` (weeks start on Monday).
    pub fn bucket_start(self, day: NaiveDate) -> NaiveDate {
        match self {
            GroupBy::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            GroupBy::Month => month_of(day),
            _ => day,
        }
    }
}

/// A group's identity: everything for totals, a place or user id (0 = none), a category or
/// source code, or the first day of a time bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    Total,
    Id(i64),
    Text(String),
    Date(NaiveDate),
}

/// The group a ticket falls in.
pub fn group_of_ticket(by: Option<GroupBy>, row: &FactRow, tz: Tz) -> GroupKey {
    match by {
        None => GroupKey::Total,
        Some(GroupBy::Category) => GroupKey::Text(row.category_code.clone()),
        Some(GroupBy::Source) => GroupKey::Text(row.source.clone()),
        Some(b) if b.is_time() => GroupKey::Date(b.bucket_start(local_day(row.reported_at, tz))),
        Some(b) => GroupKey::Id(b.row_dim().map_or(0, |d| d.key_of(row))),
    }
}

/// The group a rollup row falls in (the row must be keyed finely enough, see the planner).
pub fn group_of_row(by: Option<GroupBy>, key: &RollupKey) -> GroupKey {
    match by {
        None => GroupKey::Total,
        Some(GroupBy::Category) => GroupKey::Text(key.category.clone()),
        Some(GroupBy::Source) => GroupKey::Text(key.source.clone()),
        Some(b) if b.is_time() => GroupKey::Date(b.bucket_start(key.bucket)),
        Some(_) => GroupKey::Id(key.key),
    }
}

/// Category and source filters; empty lists filter nothing.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub categories: Vec<String>,
    pub sources: Vec<String>,
}

impl Filters {
    pub fn new(categories: &[String], sources: &[Source]) -> Self {
        let mut categories: Vec<String> = categories.iter().map(|c| c.trim().to_string()).collect();
        categories.sort();
        categories.dedup();
        let mut sources: Vec<String> = sources.iter().map(|s| s.as_str().to_string()).collect();
        sources.sort();
        sources.dedup();
        Self {
            categories,
            sources,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.sources.is_empty()
    }

    pub fn ticket_condition(&self) -> Condition {
        let mut c = Condition::all();
        if !self.categories.is_empty() {
            c = c.add(ticket::Column::CategoryCode.is_in(self.categories.clone()));
        }
        if !self.sources.is_empty() {
            c = c.add(ticket::Column::Source.is_in(self.sources.clone()));
        }
        c
    }
}

/// A statistics question.
#[derive(Debug, Clone, Default)]
pub struct StatisticsRequest {
    /// A jurisdiction code; see `scope::resolve` for the default.
    pub scope: Option<String>,
    /// Start of the period of `reported_at` (inclusive); default 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the period (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// The evaluation time; default now.
    pub as_of: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub sources: Vec<Source>,
    pub group_by: Option<GroupBy>,
    /// Groups with a smaller dueCount are flagged (default 10).
    pub min_sample: Option<u64>,
    /// Read every ticket of the period for exact percentiles instead of the rollups.
    pub exact: bool,
}

/// Where the numbers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Rollups, with raw tickets only for partial days (and a few filtered combinations).
    Rollups,
    /// Every ticket of the period, as it stands now: exact percentiles.
    Tickets,
    /// Every ticket of the period replayed from its events up to `as_of` (a past instant).
    EventReplay,
}

/// One row of the answer.
#[derive(Debug, Clone)]
pub struct Group {
    /// A category or jurisdiction code, a source, a user's email, a date (`2026-11-30`),
    /// a week (`2026-W49`) or a month (`2026-11`); `NONE` for tickets without one.
    pub key: String,
    pub label: String,
    pub indicators: Indicators,
    /// dueCount below the minimum sample: too few cases to compare fairly.
    pub below_min_sample: bool,
}

#[derive(Debug, Clone)]
pub struct StatisticsReport {
    pub scope_code: String,
    pub scope_name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub group_by: Option<GroupBy>,
    pub basis: Basis,
    pub min_sample: u64,
    pub totals: Group,
    pub groups: Vec<Group>,
}

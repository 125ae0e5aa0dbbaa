//! The statistics answers as GraphQL objects. Rates are fractions in [0, 1] (0.9372 = 93.72 %),
//! null when their denominator is 0; durations are minutes.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::indicators::{self, Indicators};
use crate::service::statistics::Group;
use crate::service::statistics::hotspots::Hotspot as HotspotModel;

/// What the indicators are broken down by; DAY, WEEK (from Monday) and MONTH are local time.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::statistics::GroupBy")]
pub enum StatisticsGroupBy {
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

/// Where the numbers came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::statistics::Basis")]
pub enum StatisticsBasis {
    /// Maintained rollups (asOf now or later); medians and p90 from histograms.
    Rollups,
    /// Every ticket of the period (`exact: true`); percentiles exact.
    Tickets,
    /// Every ticket replayed from its events (asOf in the past).
    EventReplay,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::statistics::ranking::RankLevel")]
pub enum RankingLevel {
    Street,
    Lane,
    Grid,
    Assignee,
}

/// Mean, median and 90th percentile of one duration, in minutes.
#[derive(SimpleObject, Clone, Copy)]
pub struct DurationSummary {
    /// How many tickets have this duration.
    pub count: u64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl From<indicators::DurationSummary> for DurationSummary {
    fn from(d: indicators::DurationSummary) -> Self {
        Self {
            count: d.count,
            mean: d.mean,
            median: d.median,
            p90: d.p90,
        }
    }
}

/// The full indicator set of one group (or of the totals), as domain.md defines it.
#[derive(SimpleObject, Clone)]
pub struct IndicatorSet {
    /// Category or jurisdiction code, source, assignee email, `2026-11-30`, `2026-W49`,
    /// `2026-11`; `NONE` for tickets without one; the scope's code for the totals.
    pub key: String,
    pub label: String,
    /// dueCount below minSample: too few cases to compare fairly.
    pub below_min_sample: bool,
    pub reported: u64,
    /// 立案数: reported minus rejected and duplicates.
    pub registered: u64,
    pub dispatched: u64,
    /// 应结案数.
    pub due_count: u64,
    /// 结案数.
    pub closed: u64,
    /// 按期结案数.
    pub closed_on_time: u64,
    pub closure_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    /// 超期未结.
    pub overdue_open: u64,
    pub resolved_ever: u64,
    pub reworked: u64,
    pub rework_rate: Option<f64>,
    pub returned: u64,
    pub return_rate: Option<f64>,
    pub accurate_dispatch_rate: Option<f64>,
    pub feedback_count: u64,
    pub satisfied_count: u64,
    pub satisfaction_rate: Option<f64>,
    /// 0–100; null when nothing is due.
    pub score: Option<f64>,
    /// Report to first dispatch.
    pub to_dispatch: DurationSummary,
    /// Last dispatch to final resolution, wall clock.
    pub to_resolve: DurationSummary,
    /// Last dispatch to final resolution, working minutes of the category's calendar.
    pub to_resolve_working: DurationSummary,
    /// Report to close.
    pub to_close: DurationSummary,
}

impl From<Group> for IndicatorSet {
    fn from(g: Group) -> Self {
        let i: Indicators = g.indicators;
        Self {
            key: g.key,
            label: g.label,
            below_min_sample: g.below_min_sample,
            reported: i.reported,
            registered: i.registered,
            dispatched: i.dispatched,
            due_count: i.due_count,
            closed: i.closed,
            closed_on_time: i.closed_on_time,
            closure_rate: i.closure_rate,
            on_time_closure_rate: i.on_time_closure_rate,
            overdue_open: i.overdue_open,
            resolved_ever: i.resolved_ever,
            reworked: i.reworked,
            rework_rate: i.rework_rate,
            returned: i.returned,
            return_rate: i.return_rate,
            accurate_dispatch_rate: i.accurate_dispatch_rate,
            feedback_count: i.feedback_count,
            satisfied_count: i.satisfied_count,
            satisfaction_rate: i.satisfaction_rate,
            score: i.score,
            to_dispatch: i.to_dispatch.into(),
            to_resolve: i.to_resolve_wall.into(),
            to_resolve_working: i.to_resolve_working.into(),
            to_close: i.to_close.into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct Statistics {
    /// The jurisdiction code (empty for everything) and name.
    pub scope_code: String,
    pub scope_name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub group_by: Option<StatisticsGroupBy>,
    pub basis: StatisticsBasis,
    pub min_sample: u64,
    pub totals: IndicatorSet,
    /// Empty without groupBy; time buckets are all listed, in order, even empty ones.
    pub groups: Vec<IndicatorSet>,
}

#[derive(SimpleObject)]
pub struct RankedGroup {
    /// 1 = best.
    pub rank: u32,
    pub group: IndicatorSet,
}

#[derive(SimpleObject)]
pub struct Ranking {
    pub scope_code: String,
    pub level: RankingLevel,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub min_sample: u64,
    pub basis: StatisticsBasis,
    /// By score, then on-time closure rate, then key.
    pub ranked: Vec<RankedGroup>,
    /// dueCount below minSample: listed apart, not ranked.
    pub unranked: Vec<IndicatorSet>,
}

#[derive(SimpleObject)]
pub struct Hotspot {
    /// Stable id of the cell for this cell size.
    pub cell: String,
    pub center_lat: f64,
    pub center_lon: f64,
    /// Registered tickets reported in the cell in the period.
    pub count: u64,
    pub top_category_code: String,
    pub top_category_name: String,
    pub top_category_count: u64,
    /// Of `count`, tickets reported within 30 days after an earlier one in the same cell.
    pub repeat_count: u64,
}

impl From<HotspotModel> for Hotspot {
    fn from(h: HotspotModel) -> Self {
        Self {
            cell: h.cell,
            center_lat: h.center_lat,
            center_lon: h.center_lon,
            count: h.count,
            top_category_code: h.top_category_code,
            top_category_name: h.top_category_name,
            top_category_count: h.top_category_count,
            repeat_count: h.repeat_count,
        }
    }
}

#[derive(SimpleObject)]
pub struct Hotspots {
    pub scope_code: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cell_meters: f64,
    /// Most tickets first.
    pub cells: Vec<Hotspot>,
}

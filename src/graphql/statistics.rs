//! `statistics`, `ranking`, `hotspots` and `overdue`: MANAGER, ADMIN and DISPATCHER, within their
//! scope. A scope outside the caller's is FORBIDDEN.

use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::domain::lifecycle::Source;
use crate::service::statistics::hotspots::{self, HotspotRequest};
use crate::service::statistics::ranking::{self, RankingRequest};
use crate::service::statistics::{self, StatisticsRequest, overdue};

use super::context::{app_state, viewer};
use super::error::{ApiError, ApiResult};
use super::ids;
use super::tickets::{TicketConnection, connection};
use super::types::statistics::{
    Hotspots, IndicatorSet, RankedGroup, Ranking, RankingLevel, Statistics, StatisticsGroupBy,
};
use super::types::ticket::TicketSource;

#[derive(InputObject, Default)]
pub struct StatisticsInput {
    /// A jurisdiction code; default: everything for an ADMIN, else the caller's one jurisdiction.
    pub scope: Option<String>,
    /// Start of the period of reportedAt (inclusive); default 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the period (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// Evaluation time; default now. A past instant replays the events (slower).
    pub as_of: Option<DateTime<Utc>>,
    /// Only these category codes.
    pub categories: Option<Vec<String>>,
    /// Only these sources.
    pub sources: Option<Vec<TicketSource>>,
    pub group_by: Option<StatisticsGroupBy>,
    /// Groups with a smaller dueCount are flagged belowMinSample (default 10).
    pub min_sample: Option<i32>,
    /// Read every ticket of the period for exact medians and p90 (slower).
    pub exact: Option<bool>,
}

#[derive(InputObject)]
pub struct RankingInput {
    pub scope: Option<String>,
    pub level: RankingLevel,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub as_of: Option<DateTime<Utc>>,
    /// Units with a smaller dueCount are listed apart, unranked (default 10).
    pub min_sample: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct HotspotsInput {
    pub scope: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Cell size, 10–5000 m (default 100).
    pub cell_meters: Option<f64>,
    /// How many cells, 1–100 (default 10).
    pub top: Option<i32>,
}

fn min_sample(value: Option<i32>) -> ApiResult<Option<u64>> {
    value
        .map(|v| {
            u64::try_from(v).map_err(|_| ApiError::bad_input("minSample", "must not be negative"))
        })
        .transpose()
}

impl StatisticsInput {
    pub fn into_request(self) -> ApiResult<StatisticsRequest> {
        Ok(StatisticsRequest {
            scope: self.scope,
            from: self.from,
            to: self.to,
            as_of: self.as_of,
            categories: self.categories.unwrap_or_default(),
            sources: self
                .sources
                .unwrap_or_default()
                .into_iter()
                .map(Source::from)
                .collect(),
            group_by: self.group_by.map(Into::into),
            min_sample: min_sample(self.min_sample)?,
            exact: self.exact.unwrap_or(false),
        })
    }
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// The 绩效评价 indicators of a scope and period, optionally broken down.
    async fn statistics(&self, ctx: &Context<'_>, input: StatisticsInput) -> ApiResult<Statistics> {
        let state = app_state(ctx)?;
        let report = statistics::statistics(state, viewer(ctx)?, &input.into_request()?).await?;
        Ok(Statistics {
            scope_code: report.scope_code,
            scope_name: report.scope_name,
            from: report.from,
            to: report.to,
            as_of: report.as_of,
            group_by: report.group_by.map(Into::into),
            basis: report.basis.into(),
            min_sample: report.min_sample,
            totals: report.totals.into(),
            groups: report.groups.into_iter().map(IndicatorSet::from).collect(),
        })
    }

    /// Streets, lanes, grids or assignees ordered by score.
    async fn ranking(&self, ctx: &Context<'_>, input: RankingInput) -> ApiResult<Ranking> {
        let state = app_state(ctx)?;
        let req = RankingRequest {
            scope: input.scope,
            level: input.level.into(),
            from: input.from,
            to: input.to,
            as_of: input.as_of,
            min_sample: min_sample(input.min_sample)?,
        };
        let r = ranking::ranking(state, viewer(ctx)?, &req).await?;
        Ok(Ranking {
            scope_code: r.scope_code,
            level: r.level.into(),
            from: r.from,
            to: r.to,
            as_of: r.as_of,
            min_sample: r.min_sample,
            basis: r.basis.into(),
            ranked: r
                .ranked
                .into_iter()
                .map(|(rank, g)| RankedGroup {
                    rank,
                    group: g.into(),
                })
                .collect(),
            unranked: r.unranked.into_iter().map(IndicatorSet::from).collect(),
        })
    }

    /// 高发点位: the cells with the most tickets in the period.
    async fn hotspots(&self, ctx: &Context<'_>, input: HotspotsInput) -> ApiResult<Hotspots> {
        let state = app_state(ctx)?;
        let top = input
            .top
            .map(|t| u32::try_from(t).map_err(|_| ApiError::bad_input("top", "must be positive")))
            .transpose()?;
        let req = HotspotRequest {
            scope: input.scope,
            from: input.from,
            to: input.to,
            cell_meters: input.cell_meters,
            top,
        };
        let r = hotspots::hotspots(state, viewer(ctx)?, &req).await?;
        Ok(Hotspots {
            scope_code: r.scope_code,
            from: r.from,
            to: r.to,
            cell_meters: r.cell_meters,
            cells: r.cells.into_iter().map(Into::into).collect(),
        })
    }

    /// 超期未结: open tickets past their deadline, most overdue first.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity")]
    async fn overdue(
        &self,
        ctx: &Context<'_>,
        scope: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<TicketConnection> {
        let state = app_state(ctx)?;
        let (limit, offset) = ids::page(first, after.as_deref())?;
        let offset = offset.unwrap_or(0).max(0) as u64;
        let (rows, total) =
            overdue::overdue(state, viewer(ctx)?, scope.as_deref(), offset, limit).await?;
        Ok(connection(rows, total, offset))
    }
}

//! Rankings (排名): streets, lanes, grids or assignees ordered by score; units with fewer due
//! cases than the minimum sample are listed apart, unranked. Tickets without such a unit are
//! nobody's to rank and are left out; streets, lanes and grids inside the scope without any
//! ticket are listed, unranked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::indicators::{Indicators, rank};
use crate::entity::jurisdiction;
use crate::service::error::ServiceResult;
use crate::service::viewer::Viewer;
use crate::state::AppState;

use super::labels::NONE_KEY;
use super::model::{Basis, Group, GroupBy, StatisticsRequest};
use super::{DEFAULT_MIN_SAMPLE, answer, scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankLevel {
    Street,
    Lane,
    Grid,
    Assignee,
}

impl RankLevel {
    fn group_by(self) -> GroupBy {
        match self {
            RankLevel::Street => GroupBy::Street,
            RankLevel::Lane => GroupBy::Lane,
            RankLevel::Grid => GroupBy::Grid,
            RankLevel::Assignee => GroupBy::Assignee,
        }
    }

    fn jurisdiction_kind(self) -> Option<&'static str> {
        match self {
            RankLevel::Street => Some("STREET"),
            RankLevel::Lane => Some("LANE"),
            RankLevel::Grid => Some("GRID"),
            RankLevel::Assignee => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RankingRequest {
    pub scope: Option<String>,
    pub level: RankLevel,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub as_of: Option<DateTime<Utc>>,
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct RankingReport {
    pub scope_code: String,
    pub scope_name: String,
    pub level: RankLevel,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub min_sample: u64,
    pub basis: Basis,
    /// 1-based position and the group, best first.
    pub ranked: Vec<(u32, Group)>,
    /// Below the minimum sample, in the same order.
    pub unranked: Vec<Group>,
}

pub async fn ranking(
    state: &AppState,
    viewer: &Viewer,
    req: &RankingRequest,
) -> ServiceResult<RankingReport> {
    viewer.require_any(&scope::READERS)?;
    let scope = scope::resolve(state, viewer, req.scope.as_deref()).await?;
    let min_sample = req.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE);
    let report = answer(
        state,
        &scope,
        &StatisticsRequest {
            scope: req.scope.clone(),
            from: req.from,
            to: req.to,
            as_of: req.as_of,
            group_by: Some(req.level.group_by()),
            min_sample: Some(min_sample),
            ..StatisticsRequest::default()
        },
    )
    .await?;
    let mut groups: HashMap<String, Group> = report
        .groups
        .into_iter()
        .filter(|g| g.key != NONE_KEY)
        .map(|g| (g.key.clone(), g))
        .collect();
    if let Some(kind) = req.level.jurisdiction_kind() {
        let mut units = jurisdiction::Entity::find().filter(jurisdiction::Column::Kind.eq(kind));
        if let Some(node) = &scope.node {
            units =
                units.filter(Expr::col(jurisdiction::Column::Path).like(format!("{}%", node.path)));
        }
        for unit in units.all(&state.db).await? {
            groups.entry(unit.code.clone()).or_insert(Group {
                key: unit.code,
                label: unit.name,
                indicators: Indicators::default(),
                below_min_sample: true,
            });
        }
    }
    let list = groups
        .iter()
        .map(|(k, g)| (k.clone(), g.indicators.clone()))
        .collect();
    let (ranked, rest) = rank(list, min_sample);
    let mut take = |key: &String| groups.remove(key);
    let ranked = ranked
        .iter()
        .filter_map(|(k, _)| take(k))
        .enumerate()
        .map(|(i, g)| (i as u32 + 1, g))
        .collect();
    let unranked = rest.iter().filter_map(|(k, _)| take(k)).collect();
    Ok(RankingReport {
        scope_code: report.scope_code,
        scope_name: report.scope_name,
        level: req.level,
        from: report.from,
        to: report.to,
        as_of: report.as_of,
        min_sample,
        basis: report.basis,
        ranked,
        unranked,
    })
}

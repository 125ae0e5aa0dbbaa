//! The fast path: rollup rows for whole months and days, tickets for the rest, and the few open
//! tickets whose deadline has not passed yet to place `as_of`. Exact for `as_of >= now` except
//! medians and p90, which come from histograms (see `domain::histogram`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::service::error::ServiceResult;

use super::model::{Filters, GroupBy, group_of_row};
use super::plan::{self, Span};
use super::raw::{self, TallyGroups};
use super::rollup::{self, ANY, Grain, RowDim};
use super::scope::StatScope;

/// Which rollup rows answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub dim: RowDim,
    /// Rows per category and source (needed by filters and by those groupings).
    pub fine: bool,
    /// A scope below the town reads only its own key.
    pub key: Option<i64>,
}

/// The rows for this scope, filters and grouping; `None` when no rows keep that combination
/// (a breakdown of a scope below the town by another place or by assignee).
pub fn shape(scope: &StatScope, filters: &Filters, by: Option<GroupBy>) -> Option<Shape> {
    let fine = !filters.is_empty() || matches!(by, Some(GroupBy::Category | GroupBy::Source));
    let wanted = by.and_then(GroupBy::row_dim);
    match scope.row_restriction() {
        Some((dim, key)) if wanted.is_none_or(|w| w == dim) => Some(Shape {
            dim,
            fine,
            key: Some(key),
        }),
        Some(_) => None,
        None => Some(Shape {
            dim: wanted.unwrap_or(RowDim::All),
            fine,
            key: None,
        }),
    }
}

/// The groups' tallies for `[from, to)` at `as_of` (which must not be before now).
#[allow(clippy::too_many_arguments)]
pub async fn collect(
    db: &impl ConnectionTrait,
    tz: Tz,
    scope: &StatScope,
    filters: &Filters,
    by: Option<GroupBy>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> ServiceResult<TallyGroups> {
    let base = scope.ticket_condition().add(filters.ticket_condition());
    let mut groups = TallyGroups::new();
    let Some(shape) = shape(scope, filters, by) else {
        let whole: [Span; 1] = [(from, to)];
        raw::add_tickets(db, base, &whole, by, tz, as_of, &mut groups).await?;
        return Ok(groups);
    };
    let months = !matches!(by, Some(GroupBy::Day | GroupBy::Week));
    let day_rows = !shape.fine || shape.dim == RowDim::All;
    let plan = plan::plan(from, to, tz, months, day_rows);
    let mut ranges = Vec::new();
    if let Some(months) = plan.months {
        ranges.push((Grain::Month, vec![months]));
    }
    if !plan.days.is_empty() {
        ranges.push((Grain::Day, plan.days.clone()));
    }
    for (grain, buckets) in ranges {
        let cond = row_condition(grain, &shape, scope, filters, &buckets);
        for (key, tally) in rollup::read(db, cond, false).await? {
            groups
                .entry(group_of_row(by, &key))
                .or_default()
                .0
                .merge(&tally, 1);
        }
    }
    raw::correct_for_as_of(db, base.clone(), &plan.covered, by, tz, as_of, &mut groups).await?;
    raw::add_tickets(db, base, &plan.raw, by, tz, as_of, &mut groups).await?;
    Ok(groups)
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn row_condition(
    grain: Grain,
    shape: &Shape,
    scope: &StatScope,
    filters: &Filters,
    buckets: &[(NaiveDate, NaiveDate)],
) -> Condition {
    let mut c = Condition::all()
        .add(col("grain").eq(grain.code()))
        .add(col("dim").eq(shape.dim.code()));
    if shape.fine {
        c = c
            .add(col("category_code").ne(ANY))
            .add(col("source").ne(ANY));
        if !filters.categories.is_empty() {
            c = c.add(col("category_code").is_in(filters.categories.clone()));
        }
        if !filters.sources.is_empty() {
            c = c.add(col("source").is_in(filters.sources.clone()));
        }
    } else {
        c = c
            .add(col("category_code").eq(ANY))
            .add(col("source").eq(ANY));
    }
    if let Some(towns) = scope.row_towns() {
        c = c.add(col("town_id").is_in(towns.to_vec()));
    }
    if let Some(key) = shape.key {
        c = c.add(col("dim_key").eq(key));
    }
    let day = |d: &NaiveDate| d.format("%Y-%m-%d").to_string();
    let any = buckets.iter().fold(Condition::any(), |any, (a, b)| {
        any.add(
            Condition::all()
                .add(col("bucket").gte(day(a)))
                .add(col("bucket").lt(day(b))),
        )
    });
    c.add(any)
}

//! Reading tickets directly: the partial days at the ends of a period, the breakdowns the
//! rollups do not keep, the exact mode, and the `as_of` correction of the fast path.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::indicators::Accumulator;
use crate::domain::lifecycle::Status;
use crate::domain::tally::{AsOfAdjustment, Tally};
use crate::entity::ticket;
use crate::service::error::ServiceResult;

use super::facts::{FactRow, fact_select};
use super::model::{GroupBy, GroupKey, group_of_ticket};
use super::plan::Span;

/// Tickets read per query when the whole period comes from tickets.
pub const CHUNK: u64 = 5_000;

/// Tallies of the fast path, with the `as_of` correction of each group.
pub type TallyGroups = BTreeMap<GroupKey, (Tally, AsOfAdjustment)>;
/// Exact accumulators of the slow paths.
pub type ExactGroups = BTreeMap<GroupKey, Accumulator>;

/// `reported_at` inside any of the spans.
pub fn spans_condition(spans: &[Span]) -> Condition {
    spans.iter().fold(Condition::any(), |any, (from, to)| {
        any.add(
            Condition::all()
                .add(ticket::Column::ReportedAt.gte(*from))
                .add(ticket::Column::ReportedAt.lt(*to)),
        )
    })
}

/// Every matching ticket at once; for bounded sets (partial days, open tickets).
pub async fn all(db: &impl ConnectionTrait, cond: Condition) -> ServiceResult<Vec<FactRow>> {
    Ok(fact_select()
        .filter(cond)
        .into_model::<FactRow>()
        .all(db)
        .await?)
}

/// The next chunk of matching tickets after id `after`, by id.
pub async fn chunk(
    db: &impl ConnectionTrait,
    cond: Condition,
    after: i64,
) -> ServiceResult<Vec<FactRow>> {
    Ok(fact_select()
        .filter(cond)
        .filter(ticket::Column::Id.gt(after))
        .order_by_asc(ticket::Column::Id)
        .limit(CHUNK)
        .into_model::<FactRow>()
        .all(db)
        .await?)
}

/// Adds the tickets reported in `spans` to the fast path's groups.
pub async fn add_tickets(
    db: &impl ConnectionTrait,
    base: Condition,
    spans: &[Span],
    by: Option<GroupBy>,
    tz: Tz,
    as_of: DateTime<Utc>,
    groups: &mut TallyGroups,
) -> ServiceResult<()> {
    if spans.is_empty() {
        return Ok(());
    }
    for row in all(db, base.add(spans_condition(spans))).await? {
        let entry = groups.entry(group_of_ticket(by, &row, tz)).or_default();
        entry.0.merge(&Tally::of(&row.facts()), 1);
        if let (true, Some(due)) = (row.open_due(), row.due_at) {
            entry.1.add(AsOfAdjustment::of(due, as_of));
        }
    }
    Ok(())
}

/// The statuses a ticket counted as `open_due` may have.
fn open_statuses() -> [&'static str; 5] {
    [
        Status::Reported.as_str(),
        Status::Dispatched.as_str(),
        Status::InProgress.as_str(),
        Status::Returned.as_str(),
        Status::Resolved.as_str(),
    ]
}

/// Subtracts, for the spans the rollups covered, the open tickets whose deadline is not yet
/// behind `as_of`. Few tickets qualify: only those now in someone's hands.
pub async fn correct_for_as_of(
    db: &impl ConnectionTrait,
    base: Condition,
    covered: &[Span],
    by: Option<GroupBy>,
    tz: Tz,
    as_of: DateTime<Utc>,
    groups: &mut TallyGroups,
) -> ServiceResult<()> {
    if covered.is_empty() {
        return Ok(());
    }
    let cond = base
        .add(spans_condition(covered))
        .add(ticket::Column::Status.is_in(open_statuses()))
        .add(ticket::Column::DueAt.gte(as_of));
    for row in all(db, cond).await? {
        if let (true, Some(due)) = (row.open_due(), row.due_at) {
            let entry = groups.entry(group_of_ticket(by, &row, tz)).or_default();
            entry.1.add(AsOfAdjustment::of(due, as_of));
        }
    }
    Ok(())
}

/// Every ticket of the spans through the reference accumulator, facts as they stand now.
pub async fn exact(
    db: &impl ConnectionTrait,
    base: Condition,
    spans: &[Span],
    by: Option<GroupBy>,
    tz: Tz,
    as_of: DateTime<Utc>,
) -> ServiceResult<ExactGroups> {
    let mut groups = ExactGroups::new();
    let cond = base.add(spans_condition(spans));
    let mut after = 0;
    loop {
        let rows = chunk(db, cond.clone(), after).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok(groups);
        };
        for row in &rows {
            groups
                .entry(group_of_ticket(by, row, tz))
                .or_default()
                .add(&row.facts(), as_of);
        }
        after = last;
    }
}

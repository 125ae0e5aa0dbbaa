//! Management statistics (绩效评价): the domain.md indicators for a scope and period, broken down
//! by category, place, assignee, source or time; rankings, hotspots, the overdue list and exports.
//!
//! Three ways to an answer, all giving the reference numbers of `domain::indicators`:
//! - `as_of >= now` (the default): the rollups (`rollup`, `fast`), milliseconds at any history
//!   size; medians and p90 from histograms;
//! - `exact`: every ticket of the period from the ticket table, percentiles exact;
//! - `as_of < now`: every ticket of the period replayed from its events up to `as_of` (`replay`).

pub mod export;
pub mod facts;
pub mod fast;
pub mod hotspots;
pub mod labels;
pub mod model;
pub mod overdue;
pub mod plan;
pub mod ranking;
pub mod raw;
pub mod rebuild;
pub mod replay;
pub mod rollup;
pub mod scope;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{AccessMode, DatabaseTransaction, DbBackend, IsolationLevel, TransactionTrait};

use crate::domain::indicators::{Accumulator, Indicators};
use crate::domain::tally::{AsOfAdjustment, Tally};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::viewer::Viewer;
use crate::state::AppState;

pub use model::{Basis, Filters, Group, GroupBy, GroupKey, StatisticsReport, StatisticsRequest};
pub use scope::StatScope;

/// domain.md: rankings list groups with dueCount at least this.
pub const DEFAULT_MIN_SAMPLE: u64 = 10;
/// The period when none is given: the 30 days before `to`.
const DEFAULT_DAYS: i64 = 30;
/// Most time buckets one answer may list (ten years of days).
const MAX_BUCKETS: usize = 3_700;

/// The indicators for the caller's question; MANAGER, ADMIN and DISPATCHER within their scope.
pub async fn statistics(
    state: &AppState,
    viewer: &Viewer,
    req: &StatisticsRequest,
) -> ServiceResult<StatisticsReport> {
    viewer.require_any(&scope::READERS)?;
    let scope = scope::resolve(state, viewer, req.scope.as_deref()).await?;
    answer(state, &scope, req).await
}

/// The period asked for, with its defaults: `(from, to, as_of)`.
pub fn period(
    now: DateTime<Utc>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    as_of: Option<DateTime<Utc>>,
) -> ServiceResult<(DateTime<Utc>, DateTime<Utc>, DateTime<Utc>)> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to {
        return Err(ServiceError::invalid("to", "must be after from"));
    }
    Ok((from, to, as_of.unwrap_or(now)))
}

/// Answers for an already authorised scope.
pub async fn answer(
    state: &AppState,
    scope: &StatScope,
    req: &StatisticsRequest,
) -> ServiceResult<StatisticsReport> {
    let now = state.clock.now();
    let (from, to, as_of) = period(now, req.from, req.to, req.as_of)?;
    let tz = rollup::zone(state);
    let by = req.group_by;
    let buckets = match by.filter(|b| b.is_time()) {
        Some(b) => {
            let last = (to - Duration::nanoseconds(1))
                .with_timezone(&tz)
                .date_naive();
            let list = labels::time_buckets(b, rollup::local_day(from, tz), last);
            if list.len() > MAX_BUCKETS {
                return Err(ServiceError::invalid(
                    "groupBy",
                    format!("more than {MAX_BUCKETS} time buckets; choose a longer bucket"),
                ));
            }
            list
        }
        None => Vec::new(),
    };
    let filters = Filters::new(&req.categories, &req.sources);
    let base = scope.ticket_condition().add(filters.ticket_condition());
    let txn = read_transaction(state).await?;
    let whole = [(from, to)];
    let (basis, (mut groups, totals)) = if as_of < now {
        let g = replay::collect(state, &txn, base, &whole, by, tz, as_of).await?;
        (Basis::EventReplay, finish_exact(g))
    } else if req.exact {
        let g = raw::exact(&txn, base, &whole, by, tz, as_of).await?;
        (Basis::Tickets, finish_exact(g))
    } else {
        let g = fast::collect(&txn, tz, scope, &filters, by, from, to, as_of).await?;
        (Basis::Rollups, finish_tallies(g))
    };
    txn.commit().await?;
    for day in buckets {
        let key = GroupKey::Date(day);
        if !groups.iter().any(|(k, _)| *k == key) {
            groups.push((key, Indicators::default()));
        }
    }
    let keys: Vec<GroupKey> = groups.iter().map(|(k, _)| k.clone()).collect();
    let names = labels::resolve(&state.db, by, &keys).await?;
    let min_sample = req.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE);
    let group = |key: String, label: String, indicators: Indicators| Group {
        below_min_sample: indicators.due_count < min_sample,
        key,
        label,
        indicators,
    };
    let mut out: Vec<(GroupKey, Group)> = groups
        .into_iter()
        .map(|(k, ind)| {
            let (key, label) = names.get(&k).cloned().unwrap_or_default();
            (k, group(key, label, ind))
        })
        .collect();
    out.sort_by(|(ka, a), (kb, b)| match (ka, kb) {
        (GroupKey::Date(x), GroupKey::Date(y)) => x.cmp(y),
        _ => (a.key == labels::NONE_KEY, &a.key).cmp(&(b.key == labels::NONE_KEY, &b.key)),
    });
    Ok(StatisticsReport {
        scope_code: scope.code().to_string(),
        scope_name: scope.name().to_string(),
        from,
        to,
        as_of,
        group_by: by,
        basis,
        min_sample,
        totals: group(scope.code().to_string(), scope.name().to_string(), totals),
        groups: if by.is_some() {
            out.into_iter().map(|(_, g)| g).collect()
        } else {
            Vec::new()
        },
    })
}

/// A consistent snapshot for the several reads of one answer.
async fn read_transaction(state: &AppState) -> ServiceResult<DatabaseTransaction> {
    Ok(if state.db.get_database_backend() == DbBackend::Postgres {
        state
            .db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
    } else {
        state.db.begin().await?
    })
}

type Finished = (Vec<(GroupKey, Indicators)>, Indicators);

fn finish_exact(groups: raw::ExactGroups) -> Finished {
    let mut total = Accumulator::default();
    for acc in groups.values() {
        total.merge(acc);
    }
    let list = groups.into_iter().map(|(k, a)| (k, a.finish())).collect();
    (list, total.finish())
}

fn finish_tallies(groups: raw::TallyGroups) -> Finished {
    let (mut total, mut adjust) = (Tally::default(), AsOfAdjustment::default());
    for (t, a) in groups.values() {
        total.merge(t, 1);
        adjust.add(*a);
    }
    let list = groups
        .into_iter()
        .map(|(k, (t, a))| (k, t.finish(a)))
        .collect();
    (list, total.finish(adjust))
}

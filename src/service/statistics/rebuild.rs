//! Rebuilding the rollups from the tickets: at the first start after the migration (or after the
//! layout or the timezone changed) and on `gridloop rebuild-statistics`.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::tally::{COUNT_NAMES, Tally};
use crate::entity::ticket;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::tx;
use crate::state::AppState;

use super::facts::{FactRow, fact_select};
use super::rollup::{self, KEY_COLUMNS, RollupKey, TABLE};

/// Changes whenever the rows' keys or contents change meaning; a mismatch rebuilds at start.
pub const LAYOUT: &str = "1";
const META_TABLE: &str = "statistics_meta";
const META_NAME: &str = "rollup_layout";
/// Tickets read per query while rebuilding.
const READ_CHUNK: u64 = 5_000;
/// Rows per INSERT (19 values each, well under both backends' parameter limits).
const WRITE_CHUNK: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildSummary {
    pub tickets: u64,
    pub rows: u64,
}

/// What the marker says when the rollups match this build.
fn expected_marker(state: &AppState) -> String {
    format!("layout={LAYOUT};timezone={}", rollup::zone(state))
}

/// Rebuilds unless the rollups were built with this layout and timezone.
pub async fn ensure_built(state: &AppState) -> ServiceResult<Option<RebuildSummary>> {
    let mut select = Query::select();
    select
        .from(Alias::new(META_TABLE))
        .column(Alias::new("value"))
        .and_where(Expr::col(Alias::new("name")).eq(META_NAME));
    let marker: Option<String> = match state.db.query_one(&select).await? {
        Some(row) => Some(row.try_get("", "value")?),
        None => None,
    };
    if marker.as_deref() == Some(expected_marker(state).as_str()) {
        return Ok(None);
    }
    let summary = rebuild(state).await?;
    tracing::info!(
        tickets = summary.tickets,
        rows = summary.rows,
        "statistics rollups rebuilt"
    );
    Ok(Some(summary))
}

/// Recomputes every rollup row from the tickets in one transaction. On PostgreSQL the table is
/// locked first, so ticket changes wait (their rollup update needs the table) and none is lost.
pub async fn rebuild(state: &AppState) -> ServiceResult<RebuildSummary> {
    let tz = rollup::zone(state);
    let txn = tx::begin_write(&state.db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE statistics_rollup IN SHARE ROW EXCLUSIVE MODE")
            .await?;
    }
    txn.execute(Query::delete().from_table(Alias::new(TABLE)))
        .await?;
    let mut rows: BTreeMap<RollupKey, Tally> = BTreeMap::new();
    let (mut last, mut tickets) = (0i64, 0u64);
    loop {
        let chunk = fact_select()
            .filter(ticket::Column::Id.gt(last))
            .order_by_asc(ticket::Column::Id)
            .limit(READ_CHUNK)
            .into_model::<FactRow>()
            .all(&txn)
            .await?;
        let Some(end) = chunk.last().map(|r| r.id) else {
            break;
        };
        for row in &chunk {
            rollup::add_ticket(&mut rows, row, tz, 1);
        }
        tickets += chunk.len() as u64;
        last = end;
    }
    let written = rows.len() as u64;
    let entries: Vec<(RollupKey, Tally)> = rows.into_iter().collect();
    for chunk in entries.chunks(WRITE_CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(TABLE)).columns(
            KEY_COLUMNS
                .iter()
                .chain(&COUNT_NAMES)
                .chain(&["durations"])
                .map(|c| Alias::new(*c)),
        );
        for (k, t) in chunk {
            let mut values = rollup::key_values(k);
            values.extend(t.counts.as_array().map(Expr::val));
            values.push(Expr::val(t.encode_durations()));
            insert.values(values).map_err(internal)?;
        }
        txn.execute(&insert).await?;
    }
    let mut marker = Query::insert();
    marker
        .into_table(Alias::new(META_TABLE))
        .columns(["name", "value", "updated_at"].map(Alias::new))
        .values([
            Expr::val(META_NAME),
            Expr::val(expected_marker(state)),
            Expr::val(Utc::now()),
        ])
        .map_err(internal)?
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .update_columns(["value", "updated_at"].map(Alias::new))
                .to_owned(),
        );
    txn.execute(&marker).await?;
    txn.commit().await?;
    Ok(RebuildSummary {
        tickets,
        rows: written,
    })
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("statistics rebuild: {e}"))
}

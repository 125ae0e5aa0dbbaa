//! The rollup table: one row per (grain, breakdown, town, category, source, bucket, key) holding
//! the [`Tally`] of the tickets reported in that bucket, kept exact by every ticket transaction.
//!
//! A ticket lands in these rows (19 of them):
//! - *coarse* rows (any category, any source: `''`) per local day and per local month, for the
//!   whole town (`ALL`) and for its street, lane, grid, community and assignee (`0` = none);
//! - *fine* rows per category and source: per day for the whole town, per month for each
//!   breakdown. Fine day rows per street, lane… would be nearly one row per ticket and are left
//!   out; a filtered breakdown reads raw tickets for the days outside whole months instead.
//!
//! A change subtracts the ticket's old tally from the rows of its old keys and adds the new one
//! to the rows of its new keys, inside the transaction of the change. Rows are locked in key
//! order (PostgreSQL), so concurrent changes queue instead of deadlocking or losing an update.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, LockType, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};

use crate::domain::tally::{COUNT_NAMES, Counts, Tally};
use crate::entity::ticket;
use crate::service::calendars::DEFAULT_CALENDAR;
use crate::service::error::{ServiceError, ServiceResult};
use crate::state::AppState;

use super::facts::FactRow;

pub const TABLE: &str = "statistics_rollup";
pub const KEY_COLUMNS: [&str; 7] = [
    "grain",
    "dim",
    "town_id",
    "category_code",
    "source",
    "bucket",
    "dim_key",
];
/// `category_code` and `source` of the coarse rows.
pub const ANY: &str = "";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Day,
    Month,
}

impl Grain {
    pub fn code(self) -> &'static str {
        match self {
            Grain::Day => "D",
            Grain::Month => "M",
        }
    }

    fn parse(s: &str) -> Option<Grain> {
        [Grain::Day, Grain::Month]
            .into_iter()
            .find(|g| g.code() == s)
    }
}

/// The breakdown a row is keyed by; `All` is the whole town.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowDim {
    All,
    Street,
    Lane,
    Grid,
    Community,
    Assignee,
}

impl RowDim {
    pub const EVERY: [RowDim; 6] = [
        RowDim::All,
        RowDim::Street,
        RowDim::Lane,
        RowDim::Grid,
        RowDim::Community,
        RowDim::Assignee,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RowDim::All => "ALL",
            RowDim::Street => "STREET",
            RowDim::Lane => "LANE",
            RowDim::Grid => "GRID",
            RowDim::Community => "COMMUNITY",
            RowDim::Assignee => "ASSIGNEE",
        }
    }

    fn parse(s: &str) -> Option<RowDim> {
        RowDim::EVERY.into_iter().find(|d| d.code() == s)
    }

    /// The ticket's key under this breakdown; 0 when it has none.
    pub fn key_of(self, row: &FactRow) -> i64 {
        let id = match self {
            RowDim::All => None,
            RowDim::Street => row.street_id,
            RowDim::Lane => row.lane_id,
            RowDim::Grid => row.grid_id,
            RowDim::Community => row.community_id,
            RowDim::Assignee => row.assignee_id,
        };
        id.unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub grain: Grain,
    pub dim: RowDim,
    /// The town of the ticket's grid; 0 for tickets outside every grid.
    pub town: i64,
    pub category: String,
    pub source: String,
    /// The local day, or the first day of the local month.
    pub bucket: NaiveDate,
    pub key: i64,
}

/// The timezone days and months are cut in: the default calendar's.
pub fn zone(state: &AppState) -> Tz {
    state.calendars.get(DEFAULT_CALENDAR).timezone
}

pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Every row a ticket counts in.
pub fn keys_of(row: &FactRow, tz: Tz) -> Vec<RollupKey> {
    let day = local_day(row.reported_at, tz);
    let town = row.town_id.unwrap_or(0);
    let key = |grain, dim: RowDim, category: &str, source: &str| RollupKey {
        grain,
        dim,
        town,
        category: category.to_string(),
        source: source.to_string(),
        bucket: match grain {
            Grain::Day => day,
            Grain::Month => month_of(day),
        },
        key: dim.key_of(row),
    };
    let (category, source) = (row.category_code.as_str(), row.source.as_str());
    let mut keys = Vec::with_capacity(19);
    for dim in RowDim::EVERY {
        keys.push(key(Grain::Day, dim, ANY, ANY));
        keys.push(key(Grain::Month, dim, ANY, ANY));
        keys.push(key(Grain::Month, dim, category, source));
    }
    keys.push(key(Grain::Day, RowDim::All, category, source));
    keys
}

/// Adds `sign` times the ticket's tally to every row it counts in.
pub fn add_ticket(deltas: &mut BTreeMap<RollupKey, Tally>, row: &FactRow, tz: Tz, sign: i64) {
    let tally = Tally::of(&row.facts());
    for k in keys_of(row, tz) {
        deltas.entry(k).or_default().merge(&tally, sign);
    }
}

/// Keeps the rollups in step with one ticket change; call it inside the change's transaction.
/// `before` is `None` for a new ticket.
pub async fn record_change(
    state: &AppState,
    db: &impl ConnectionTrait,
    before: Option<&ticket::Model>,
    after: &ticket::Model,
) -> ServiceResult<()> {
    let tz = zone(state);
    let mut deltas = BTreeMap::new();
    if let Some(before) = before {
        add_ticket(&mut deltas, &FactRow::from(before), tz, -1);
    }
    add_ticket(&mut deltas, &FactRow::from(after), tz, 1);
    deltas.retain(|_, t| !t.is_zero());
    apply(db, deltas).await
}

/// Adds each delta to its row: creates missing rows, locks them in key order, writes the sums
/// back and deletes rows that became empty.
pub async fn apply(
    db: &impl ConnectionTrait,
    deltas: BTreeMap<RollupKey, Tally>,
) -> ServiceResult<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let mut create = Query::insert();
    create
        .into_table(Alias::new(TABLE))
        .columns(KEY_COLUMNS.map(Alias::new));
    for k in deltas.keys() {
        create.values(key_values(k)).map_err(internal)?;
    }
    create.on_conflict(
        OnConflict::columns(KEY_COLUMNS.map(Alias::new))
            .do_nothing()
            .to_owned(),
    );
    db.execute(&create).await?;
    let mut any = Condition::any();
    for k in deltas.keys() {
        any = any.add(key_condition(k));
    }
    let current: BTreeMap<RollupKey, Tally> = read(db, any, true).await?.into_iter().collect();
    let mut write = Query::insert();
    write.into_table(Alias::new(TABLE)).columns(
        KEY_COLUMNS
            .iter()
            .chain(&COUNT_NAMES)
            .chain(&["durations"])
            .map(|c| Alias::new(*c)),
    );
    let (mut writes, mut emptied) = (0, Condition::any());
    for (k, delta) in deltas {
        let mut tally = current.get(&k).cloned().unwrap_or_default();
        tally.merge(&delta, 1);
        if tally.has_negative() {
            tracing::error!(key = ?k, "statistics rollup out of step with the tickets; run `gridloop rebuild-statistics`");
        }
        if tally.is_zero() {
            emptied = emptied.add(key_condition(&k));
            continue;
        }
        let mut values = key_values(&k);
        values.extend(tally.counts.as_array().map(Expr::val));
        values.push(Expr::val(tally.encode_durations()));
        write.values(values).map_err(internal)?;
        writes += 1;
    }
    if writes > 0 {
        write.on_conflict(
            OnConflict::columns(KEY_COLUMNS.map(Alias::new))
                .update_columns(
                    COUNT_NAMES
                        .iter()
                        .chain(&["durations"])
                        .map(|c| Alias::new(*c)),
                )
                .to_owned(),
        );
        db.execute(&write).await?;
    }
    if !emptied.is_empty() {
        let mut delete = Query::delete();
        delete.from_table(Alias::new(TABLE)).cond_where(emptied);
        db.execute(&delete).await?;
    }
    Ok(())
}

/// Rows matching `cond`, locked for update on PostgreSQL when `lock` is set.
pub async fn read(
    db: &impl ConnectionTrait,
    cond: Condition,
    lock: bool,
) -> ServiceResult<Vec<(RollupKey, Tally)>> {
    let mut select = Query::select();
    select
        .from(Alias::new(TABLE))
        .columns(
            KEY_COLUMNS
                .iter()
                .chain(&COUNT_NAMES)
                .chain(&["durations"])
                .map(|c| Alias::new(*c)),
        )
        .cond_where(cond);
    if lock {
        for c in KEY_COLUMNS {
            select.order_by(Alias::new(c), Order::Asc);
        }
        if db.get_database_backend() == DbBackend::Postgres {
            select.lock(LockType::Update);
        }
    }
    db.query_all(&select)
        .await?
        .iter()
        .map(decode_row)
        .collect()
}

pub fn key_values(k: &RollupKey) -> Vec<Expr> {
    vec![
        Expr::val(k.grain.code()),
        Expr::val(k.dim.code()),
        Expr::val(k.town),
        Expr::val(k.category.as_str()),
        Expr::val(k.source.as_str()),
        Expr::val(k.bucket.format("%Y-%m-%d").to_string()),
        Expr::val(k.key),
    ]
}

fn key_condition(k: &RollupKey) -> Condition {
    let mut all = Condition::all();
    for (column, value) in KEY_COLUMNS.iter().zip(key_values(k)) {
        all = all.add(Expr::col(Alias::new(*column)).eq(value));
    }
    all
}

fn decode_row(r: &QueryResult) -> ServiceResult<(RollupKey, Tally)> {
    let text = |c: &str| r.try_get::<String>("", c);
    let bad =
        |what: &str| ServiceError::Internal(format!("statistics rollup row with a bad {what}"));
    let key = RollupKey {
        grain: Grain::parse(&text("grain")?).ok_or_else(|| bad("grain"))?,
        dim: RowDim::parse(&text("dim")?).ok_or_else(|| bad("dim"))?,
        town: r.try_get("", "town_id")?,
        category: text("category_code")?,
        source: text("source")?,
        bucket: NaiveDate::parse_from_str(&text("bucket")?, "%Y-%m-%d")
            .map_err(|_| bad("bucket"))?,
        key: r.try_get("", "dim_key")?,
    };
    let mut counts = [0i64; 11];
    for (slot, name) in counts.iter_mut().zip(COUNT_NAMES) {
        *slot = r.try_get("", name)?;
    }
    let bytes: Option<Vec<u8>> = r.try_get("", "durations")?;
    let durations = Tally::decode_durations(bytes.as_deref().unwrap_or_default())
        .ok_or_else(|| bad("durations"))?;
    Ok((
        key,
        Tally {
            counts: Counts::from_array(counts),
            durations,
        },
    ))
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("statistics rollup: {e}"))
}

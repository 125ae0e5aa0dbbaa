//! 高发点位: square cells of about `cell_meters` with the most tickets in the period, their top
//! category and how often problems came back there.
//!
//! The cell size is the caller's, so cells are not rolled up: this reads the registered tickets
//! of the period (rejected reports and duplicates are not problems of their own), plus the 30
//! days before it to recognise repeats. A repeat is a ticket reported in a cell within 30 days
//! after an earlier ticket in the same cell, whatever the category.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};

use crate::domain::lifecycle::Status;
use crate::entity::{category, ticket};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::viewer::Viewer;
use crate::state::AppState;

use super::{period, scope};

pub const DEFAULT_CELL_METERS: f64 = 100.0;
pub const DEFAULT_TOP: u32 = 10;
const MAX_TOP: u32 = 100;
/// How close in time two tickets in one cell must be for the later one to be a repeat.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
const METERS_PER_DEGREE_LAT: f64 = 110_574.0;
const METERS_PER_DEGREE_LON_AT_EQUATOR: f64 = 111_320.0;

#[derive(Debug, Clone, Default)]
pub struct HotspotRequest {
    pub scope: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub cell_meters: Option<f64>,
    pub top: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot {
    /// `{meters}m:{row}:{column}`: stable for a cell size.
    pub cell: String,
    pub center_lat: f64,
    pub center_lon: f64,
    /// Tickets reported in the cell in the period.
    pub count: u64,
    pub top_category_code: String,
    pub top_category_name: String,
    pub top_category_count: u64,
    /// Of `count`, those reported within 30 days after an earlier ticket in the cell.
    pub repeat_count: u64,
}

#[derive(Debug, Clone)]
pub struct HotspotReport {
    pub scope_code: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cell_meters: f64,
    pub cells: Vec<Hotspot>,
}

#[derive(Debug, FromQueryResult)]
struct Point {
    lat: f64,
    lon: f64,
    category_code: String,
    reported_at: DateTime<Utc>,
}

/// The cell (row, column) of a point and the cell's centre: rows are bands of latitude, each
/// cut into columns as wide, in meters, as the band is tall.
pub fn cell_of(lat: f64, lon: f64, meters: f64) -> ((i64, i64), (f64, f64)) {
    let row = (lat * METERS_PER_DEGREE_LAT / meters).floor();
    let center_lat = (row + 0.5) * meters / METERS_PER_DEGREE_LAT;
    let lon_meters = METERS_PER_DEGREE_LON_AT_EQUATOR * center_lat.to_radians().cos().max(1e-6);
    let column = (lon * lon_meters / meters).floor();
    let center_lon = (column + 0.5) * meters / lon_meters;
    ((row as i64, column as i64), (center_lat, center_lon))
}

pub async fn hotspots(
    state: &AppState,
    viewer: &Viewer,
    req: &HotspotRequest,
) -> ServiceResult<HotspotReport> {
    viewer.require_any(&scope::READERS)?;
    let scope = scope::resolve(state, viewer, req.scope.as_deref()).await?;
    let (from, to, _) = period(state.clock.now(), req.from, req.to, None)?;
    let meters = req.cell_meters.unwrap_or(DEFAULT_CELL_METERS);
    if !(10.0..=5_000.0).contains(&meters) {
        return Err(ServiceError::invalid(
            "cellMeters",
            "must be between 10 and 5000",
        ));
    }
    let top = req.top.unwrap_or(DEFAULT_TOP);
    if !(1..=MAX_TOP).contains(&top) {
        return Err(ServiceError::invalid(
            "top",
            format!("must be between 1 and {MAX_TOP}"),
        ));
    }
    let window = Duration::days(REPEAT_WINDOW_DAYS);
    let points = ticket::Entity::find()
        .select_only()
        .columns([
            ticket::Column::Lat,
            ticket::Column::Lon,
            ticket::Column::CategoryCode,
            ticket::Column::ReportedAt,
        ])
        .filter(scope.ticket_condition())
        .filter(ticket::Column::ReportedAt.gte(from - window))
        .filter(ticket::Column::ReportedAt.lt(to))
        .filter(
            ticket::Column::Status
                .is_not_in([Status::Rejected.as_str(), Status::Duplicate.as_str()]),
        )
        .into_model::<Point>()
        .all(&state.db)
        .await?;
    let mut cells: BTreeMap<(i64, i64), Vec<Point>> = BTreeMap::new();
    for p in points {
        cells
            .entry(cell_of(p.lat, p.lon, meters).0)
            .or_default()
            .push(p);
    }
    let mut found: Vec<Hotspot> = cells
        .into_iter()
        .filter_map(|(cell, points)| summarize(cell, points, meters, from, window))
        .collect();
    found.sort_by(|a, b| {
        (b.count, b.repeat_count)
            .cmp(&(a.count, a.repeat_count))
            .then_with(|| a.cell.cmp(&b.cell))
    });
    found.truncate(top as usize);
    let names: HashMap<String, String> = category::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    for h in &mut found {
        h.top_category_name = names.get(&h.top_category_code).cloned().unwrap_or_default();
    }
    Ok(HotspotReport {
        scope_code: scope.code().to_string(),
        from,
        to,
        cell_meters: meters,
        cells: found,
    })
}

/// One cell's numbers; `None` when none of its tickets is inside the period.
fn summarize(
    cell: (i64, i64),
    mut points: Vec<Point>,
    meters: f64,
    from: DateTime<Utc>,
    window: Duration,
) -> Option<Hotspot> {
    points.sort_by_key(|p| p.reported_at);
    let mut categories: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut count, mut repeats) = (0, 0);
    let mut previous: Option<DateTime<Utc>> = None;
    for p in &points {
        if p.reported_at >= from {
            count += 1;
            *categories.entry(p.category_code.as_str()).or_default() += 1;
            repeats += u64::from(previous.is_some_and(|at| p.reported_at - at <= window));
        }
        previous = Some(p.reported_at);
    }
    let (code, top) = categories
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))?;
    let first = points.first()?;
    let (_, (center_lat, center_lon)) = cell_of(first.lat, first.lon, meters);
    Some(Hotspot {
        cell: format!("{meters}m:{}:{}", cell.0, cell.1),
        center_lat,
        center_lon,
        count,
        top_category_code: (*code).to_string(),
        top_category_name: String::new(),
        top_category_count: *top,
        repeat_count: repeats,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn points_a_few_meters_apart_share_a_cell_and_its_centre_is_inside_it() {
        let (a, centre) = cell_of(31.2001, 121.4001, 100.0);
        let (b, _) = cell_of(31.2001 + 10.0 / METERS_PER_DEGREE_LAT, 121.4001, 100.0);
        assert_eq!(a, b);
        assert_eq!(cell_of(centre.0, centre.1, 100.0).0, a);
        let (far, _) = cell_of(31.2001 + 150.0 / METERS_PER_DEGREE_LAT, 121.4001, 100.0);
        assert_ne!(a, far);
    }
}

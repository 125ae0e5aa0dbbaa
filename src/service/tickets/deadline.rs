//! Deadlines in the category's calendar (working or natural time).

use chrono::{DateTime, Duration, Utc};

use crate::domain::working_time::{CalendarKind, TimeBasis};
use crate::entity::category;
use crate::state::AppState;

/// The clock a category's limits are counted in.
pub fn basis<'a>(state: &'a AppState, category: &category::Model) -> TimeBasis<'a> {
    let kind = if category.calendar_kind == "NATURAL" {
        CalendarKind::Natural
    } else {
        CalendarKind::Working
    };
    TimeBasis::new(kind, &state.calendar)
}

/// `from` plus `minutes` of the category's time.
pub fn after(
    state: &AppState,
    category: &category::Model,
    from: DateTime<Utc>,
    minutes: i64,
) -> DateTime<Utc> {
    basis(state, category).add(from, Duration::minutes(minutes))
}

/// The category's time between two instants, in whole minutes.
pub fn minutes_between(
    state: &AppState,
    category: &category::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    basis(state, category).elapsed(from, to).num_minutes()
}

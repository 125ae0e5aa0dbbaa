//! Deadlines in the category's calendar (working or natural time).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::domain::working_time::{CalendarKind, TimeBasis, WorkingCalendar};
use crate::entity::category;
use crate::state::AppState;

/// The clock a category's limits are counted in.
pub struct CategoryTime {
    kind: CalendarKind,
    calendar: Arc<WorkingCalendar>,
}

impl CategoryTime {
    pub fn of(state: &AppState, category: &category::Model) -> Self {
        let kind = if category.calendar_kind == "NATURAL" {
            CalendarKind::Natural
        } else {
            CalendarKind::Working
        };
        Self {
            kind,
            calendar: state.calendars.get(&category.calendar_code),
        }
    }

    pub fn basis(&self) -> TimeBasis<'_> {
        TimeBasis::new(self.kind, &self.calendar)
    }
}

/// `from` plus `minutes` of the category's time.
pub fn after(
    state: &AppState,
    category: &category::Model,
    from: DateTime<Utc>,
    minutes: i64,
) -> DateTime<Utc> {
    CategoryTime::of(state, category)
        .basis()
        .add(from, Duration::minutes(minutes))
}

/// The category's time between two instants, in whole minutes.
pub fn minutes_between(
    state: &AppState,
    category: &category::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    CategoryTime::of(state, category)
        .basis()
        .elapsed(from, to)
        .num_minutes()
}

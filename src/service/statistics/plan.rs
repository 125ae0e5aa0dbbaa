//! Cutting a period into what the rollups can answer and what must be read from tickets.
//!
//! `[from, to)` becomes: whole local months (month rows), whole local days outside them (day
//! rows), and the partial first and last day (tickets). A breakdown the day rows do not keep
//! reads its days from tickets too; DAY and WEEK groupings use day rows only.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::rollup::month_of;

/// Half-open instants.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Month rows with `from <= bucket < to` (first days of months).
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// Day rows with `from <= bucket < to`.
    pub days: Vec<(NaiveDate, NaiveDate)>,
    /// Read from tickets.
    pub raw: Vec<Span>,
    /// The instants the month and day rows cover (for the `as_of` correction).
    pub covered: Vec<Span>,
}

/// Local midnight starting `day`, in UTC.
pub fn midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month_of(month + Days::new(32))
}

/// Plans `[from, to)`; `months` allows month rows, `day_rows` says whether day rows exist for
/// the breakdown asked.
pub fn plan(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz, months: bool, day_rows: bool) -> Plan {
    let mut plan = Plan::default();
    if from >= to {
        return plan;
    }
    let first_local = from.with_timezone(&tz).date_naive();
    let first_day = if midnight(first_local, tz) >= from {
        first_local
    } else {
        first_local + Days::new(1)
    };
    let end_day = to.with_timezone(&tz).date_naive();
    if first_day >= end_day {
        plan.raw.push((from, to));
        return plan;
    }
    let (day_start, day_end) = (midnight(first_day, tz), midnight(end_day, tz));
    if from < day_start {
        plan.raw.push((from, day_start));
    }
    if day_end < to {
        plan.raw.push((day_end, to));
    }
    let mut day_ranges = vec![(first_day, end_day)];
    if months {
        let first_month = if month_of(first_day) == first_day {
            first_day
        } else {
            next_month(first_day)
        };
        let end_month = month_of(end_day);
        if first_month < end_month {
            plan.months = Some((first_month, end_month));
            plan.covered
                .push((midnight(first_month, tz), midnight(end_month, tz)));
            day_ranges = vec![(first_day, first_month), (end_month, end_day)];
        }
    }
    for (a, b) in day_ranges.into_iter().filter(|(a, b)| a < b) {
        let span = (midnight(a, tz), midnight(b, tz));
        if day_rows {
            plan.days.push((a, b));
            plan.covered.push(span);
        } else {
            plan.raw.push(span);
        }
    }
    plan
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const TZ: Tz = Tz::Asia__Shanghai;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn local(y: i32, m: u32, day: u32, h: u32) -> DateTime<Utc> {
        midnight(d(y, m, day), TZ) + chrono::Duration::hours(i64::from(h))
    }

    #[test]
    fn a_whole_year_reads_twelve_month_rows() {
        let p = plan(local(2026, 1, 1, 0), local(2027, 1, 1, 0), TZ, true, true);
        assert_eq!(p.months, Some((d(2026, 1, 1), d(2027, 1, 1))));
        assert!(p.days.is_empty() && p.raw.is_empty());
        assert_eq!(
            p.covered,
            vec![(local(2026, 1, 1, 0), local(2027, 1, 1, 0))]
        );
    }

    #[test]
    fn ragged_ends_use_day_rows_and_tickets() {
        let p = plan(local(2026, 1, 15, 9), local(2026, 4, 3, 10), TZ, true, true);
        assert_eq!(p.months, Some((d(2026, 2, 1), d(2026, 4, 1))));
        assert_eq!(
            p.days,
            vec![
                (d(2026, 1, 16), d(2026, 2, 1)),
                (d(2026, 4, 1), d(2026, 4, 3))
            ]
        );
        assert_eq!(
            p.raw,
            vec![
                (local(2026, 1, 15, 9), local(2026, 1, 16, 0)),
                (local(2026, 4, 3, 0), local(2026, 4, 3, 10))
            ]
        );
        assert_eq!(p.covered.len(), 3);
    }

    #[test]
    fn without_day_rows_the_days_come_from_tickets() {
        let p = plan(local(2026, 1, 15, 0), local(2026, 3, 1, 0), TZ, true, false);
        assert_eq!(p.months, Some((d(2026, 2, 1), d(2026, 3, 1))));
        assert!(p.days.is_empty());
        assert_eq!(p.raw, vec![(local(2026, 1, 15, 0), local(2026, 2, 1, 0))]);
    }

    #[test]
    fn daily_groupings_never_use_month_rows() {
        let p = plan(local(2026, 1, 1, 0), local(2026, 3, 1, 0), TZ, false, true);
        assert_eq!(p.months, None);
        assert_eq!(p.days, vec![(d(2026, 1, 1), d(2026, 3, 1))]);
    }

    #[test]
    fn a_period_inside_one_day_is_read_from_tickets() {
        let p = plan(local(2026, 1, 1, 8), local(2026, 1, 1, 20), TZ, true, true);
        assert_eq!(p.raw, vec![(local(2026, 1, 1, 8), local(2026, 1, 1, 20))]);
        assert!(p.days.is_empty() && p.months.is_none() && p.covered.is_empty());
        assert_eq!(
            plan(local(2026, 1, 2, 0), local(2026, 1, 1, 0), TZ, true, true),
            Plan::default()
        );
    }
}

//! Working-time arithmetic for the SLA clock.
//!
//! A [`WorkingCalendar`] says when work happens in local time: daily windows per weekday, public
//! holidays, and make-up working days (调休). [`WorkingCalendar::add`] and
//! [`WorkingCalendar::elapsed`] turn each date's windows into UTC intervals, so DST changes are
//! honoured, and walk window by window instead of minute by minute.
//!
//! The rules the SLA engine relies on:
//! - Precision is exact to the nanosecond; nothing is rounded.
//! - `add(t, d)` with `d <= 0` returns `t` unchanged, even when `t` lies in a gap: no work is
//!   needed, so nothing moves.
//! - With `d > 0`, `add` returns the earliest instant by which `d` of working time has passed, so
//!   the result lies strictly inside a window or exactly at a window's end. Counting from a gap
//!   starts at the next window's start.
//! - `elapsed(t, add(t, d)) == d`; `add` is monotonic in both arguments; `elapsed` is additive.
//! - A local time that occurs twice (DST fall-back) means its earliest instant; a local time that
//!   never occurs (spring-forward) means the instant the clocks jump. A window thus lengthens or
//!   shortens on those dates, and a window lying wholly inside the jump vanishes.
//! - Walks stop [`HORIZON_DAYS`] after their start: `add` then returns [`FOREVER`] and `elapsed`
//!   counts nothing beyond it. A calendar that can never have working time again (no weekly
//!   windows and no make-up day ahead) gives `FOREVER` at once instead of searching.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, Days, Duration, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime,
    Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The shipped 2026 Chinese holidays and make-up working days, in the date-list format.
pub const CN_2026: &str = include_str!("../../data/calendars/cn-2026.txt");

/// What [`WorkingCalendar::add`] returns when the working time can never be accumulated.
pub const FOREVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// How many calendar days (about a century) a walk may cover, so that absurd durations or
/// ranges cost bounded time instead of hanging a request.
pub const HORIZON_DAYS: u64 = 36_525;

const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MAKE_UP_DAYS: &str = "make-up working days";

/// A time of day for the built-in calendars; only ever called with valid literals.
const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => NaiveTime::MIN,
    }
}

const CHINA_OFFICE_HOURS: [WorkingWindow; 2] = [
    WorkingWindow {
        start: hm(8, 30),
        end: hm(12, 0),
    },
    WorkingWindow {
        start: hm(13, 30),
        end: hm(17, 30),
    },
];

/// Whether a limit counts every minute or only working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CalendarKind {
    Natural,
    Working,
}

/// A daily working window in local time, `start < end`, e.g. 08:30–12:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkingWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl WorkingWindow {
    /// A window, rejected unless it starts before it ends.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, CalendarError> {
        let window = Self { start, end };
        check_windows("working window", &[window])?;
        Ok(window)
    }
}

impl fmt::Display for WorkingWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start, self.end)
    }
}

/// Why a calendar or a date list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{schedule}: working window {window} does not start before it ends")]
    EmptyWindow {
        schedule: &'static str,
        window: WorkingWindow,
    },
    #[error("{schedule}: working windows {earlier} and {later} overlap or are out of order")]
    UnorderedWindows {
        schedule: &'static str,
        earlier: WorkingWindow,
        later: WorkingWindow,
    },
    #[error("{date} is both a holiday and a make-up working day")]
    HolidayAndWorkday { date: NaiveDate },
    #[error("date list line {line}: {problem}")]
    DateList { line: usize, problem: String },
}

/// A working-time calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// The zone in which windows and dates are read.
    pub timezone: Tz,
    /// Windows per weekday, index 0 = Monday … 6 = Sunday; empty = not a working day.
    pub weekly: [Vec<WorkingWindow>; 7],
    /// Windows used on a make-up working day (调休) that falls on a weekend.
    pub workday_windows: Vec<WorkingWindow>,
    /// No work on these dates, whatever the weekday.
    pub holidays: BTreeSet<NaiveDate>,
    /// Make-up working days, worked with `workday_windows`.
    pub workdays: BTreeSet<NaiveDate>,
}

/// A working window as a half-open UTC interval `[open, close)`.
type Span = (DateTime<Utc>, DateTime<Utc>);

impl WorkingCalendar {
    /// A validated calendar; see [`WorkingCalendar::validate`].
    pub fn new(
        timezone: Tz,
        weekly: [Vec<WorkingWindow>; 7],
        workday_windows: Vec<WorkingWindow>,
        holidays: BTreeSet<NaiveDate>,
        workdays: BTreeSet<NaiveDate>,
    ) -> Result<Self, CalendarError> {
        let calendar = Self {
            timezone,
            weekly,
            workday_windows,
            holidays,
            workdays,
        };
        calendar.validate()?;
        Ok(calendar)
    }

    /// Checks what the arithmetic relies on: every window list sorted, non-overlapping (touching
    /// is fine) and made of windows with `start < end`; no date both a holiday and a workday.
    /// Call it after editing the public fields directly.
    pub fn validate(&self) -> Result<(), CalendarError> {
        for (schedule, windows) in WEEKDAY_NAMES.iter().zip(&self.weekly) {
            check_windows(schedule, windows)?;
        }
        check_windows(MAKE_UP_DAYS, &self.workday_windows)?;
        match self.holidays.intersection(&self.workdays).next() {
            Some(&date) => Err(CalendarError::HolidayAndWorkday { date }),
            None => Ok(()),
        }
    }

    /// Asia/Shanghai, Mon–Fri 08:30–12:00 and 13:30–17:30, no holidays.
    #[must_use]
    pub fn default_china() -> Self {
        let office = CHINA_OFFICE_HOURS.to_vec();
        Self {
            timezone: Tz::Asia__Shanghai,
            weekly: [
                office.clone(),
                office.clone(),
                office.clone(),
                office.clone(),
                office.clone(),
                Vec::new(),
                Vec::new(),
            ],
            workday_windows: office,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
        }
    }

    /// [`default_china`](Self::default_china) with the shipped [`CN_2026`] dates applied. Fails
    /// only if the shipped file were malformed, which the tests rule out.
    pub fn china_2026() -> Result<Self, CalendarError> {
        let mut calendar = Self::default_china();
        calendar.apply_date_list(CN_2026)?;
        Ok(calendar)
    }

    /// The working windows of one local date: none on a holiday, `workday_windows` on a make-up
    /// day, otherwise the weekday's.
    #[must_use]
    pub fn windows_on(&self, date: NaiveDate) -> &[WorkingWindow] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.workdays.contains(&date) {
            &self.workday_windows
        } else {
            let weekday = date.weekday().num_days_from_monday() as usize;
            self.weekly.get(weekday).map_or(&[], Vec::as_slice)
        }
    }

    /// The earliest instant by which `duration` of working time has passed since `start`.
    /// A non-positive `duration` returns `start` itself; see the module docs for the limits.
    #[must_use]
    pub fn add(&self, start: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        if duration <= Duration::zero() {
            return start;
        }
        let mut remaining = duration;
        for (open, close) in self.utc_windows(start) {
            if close <= start {
                continue;
            }
            let from = open.max(start);
            let available = close - from;
            if remaining <= available {
                return from.checked_add_signed(remaining).unwrap_or(close);
            }
            remaining -= available;
        }
        FOREVER
    }

    /// Working time between two instants; zero if `to <= from`.
    #[must_use]
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        self.utc_windows(from)
            .take_while(|&(open, _)| open < to)
            .map(|(open, close)| close.min(to) - open.max(from))
            .filter(|overlap| *overlap > Duration::zero())
            .sum()
    }

    /// Adds the dates of a list in the `YYYY-MM-DD HOLIDAY|WORKDAY` format (one per line, `#`
    /// starts a comment, blank lines are ignored, the kind is case-insensitive and repeats are
    /// harmless) to this calendar. All or nothing: on error the
    /// calendar is unchanged and the error names the 1-based line.
    pub fn apply_date_list(&mut self, text: &str) -> Result<(), CalendarError> {
        let mut holidays = self.holidays.clone();
        let mut workdays = self.workdays.clone();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |problem: String| CalendarError::DateList { line, problem };
            let content = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
            if content.is_empty() {
                continue;
            }
            let mut fields = content.split_whitespace();
            let (Some(date), Some(kind), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(fail(format!(
                    "expected `YYYY-MM-DD HOLIDAY|WORKDAY`, found `{content}`"
                )));
            };
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|error| fail(format!("invalid date `{date}`: {error}")))?;
            let (target, other, other_name) = if kind.eq_ignore_ascii_case("HOLIDAY") {
                (&mut holidays, &workdays, "a make-up working day")
            } else if kind.eq_ignore_ascii_case("WORKDAY") {
                (&mut workdays, &holidays, "a holiday")
            } else {
                return Err(fail(format!(
                    "unknown day kind `{kind}`, expected HOLIDAY or WORKDAY"
                )));
            };
            if other.contains(&date) {
                return Err(fail(format!("{date} is already {other_name}")));
            }
            target.insert(date);
        }
        self.holidays = holidays;
        self.workdays = workdays;
        Ok(())
    }

    /// Every working window from the local day before `from` on, as UTC intervals in ascending
    /// order, for [`HORIZON_DAYS`]. Starting a day early costs little and covers any window that
    /// a DST fall-back could stretch over `from`.
    fn utc_windows(&self, from: DateTime<Utc>) -> impl Iterator<Item = Span> + '_ {
        let local = self
            .local_reading(from)
            .map_or(from.date_naive(), |at| at.date());
        let first = local.pred_opt().unwrap_or(local);
        let last = first
            .checked_add_days(Days::new(HORIZON_DAYS))
            .unwrap_or(NaiveDate::MAX);
        std::iter::successors(self.next_candidate(first), move |date| {
            date.succ_opt().and_then(|next| self.next_candidate(next))
        })
        .take_while(move |date| *date <= last)
        .flat_map(move |date| {
            self.windows_on(date)
                .iter()
                .filter_map(move |window| self.utc_span(date, window))
        })
    }

    /// The first date on or after `date` that may have working windows, or `None` if none ever
    /// will. Only a calendar without weekly windows can skip ahead, to its next make-up day.
    fn next_candidate(&self, date: NaiveDate) -> Option<NaiveDate> {
        if self.weekly.iter().any(|windows| !windows.is_empty()) {
            Some(date)
        } else if self.workday_windows.is_empty() {
            None
        } else {
            self.workdays.range(date..).next().copied()
        }
    }

    /// One window of `date` in UTC, or `None` if a DST jump swallows it.
    fn utc_span(&self, date: NaiveDate, window: &WorkingWindow) -> Option<Span> {
        let open = self.to_utc(date.and_time(window.start))?;
        let close = self.to_utc(date.and_time(window.end))?;
        (open < close).then_some((open, close))
    }

    /// The earliest instant whose local reading is at or after `local`. This mapping never
    /// decreases, which keeps the UTC windows sorted and disjoint across DST changes.
    fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.timezone.from_local_datetime(&local) {
            MappedLocalTime::Single(at) => Some(at.to_utc()),
            MappedLocalTime::Ambiguous(first, second) => Some(first.to_utc().min(second.to_utc())),
            MappedLocalTime::None => self.clocks_jump_past(local),
        }
    }

    /// For a local time skipped by a forward jump, the instant of the jump: bisects, to the
    /// second, between `local` read with the offsets in force a day before and a day after.
    fn clocks_jump_past(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let as_utc = local.and_utc();
        let offset_at = |at: DateTime<Utc>| {
            i64::from(
                self.timezone
                    .offset_from_utc_datetime(&at.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        };
        let before = offset_at(as_utc.checked_sub_days(Days::new(1))?);
        let after = offset_at(as_utc.checked_add_days(Days::new(1))?);
        let seconds = as_utc.timestamp();
        let mut too_early = seconds - before.max(after) - 1;
        let mut late_enough = seconds - before.min(after) + 1;
        let reaches = |timestamp: i64| {
            DateTime::from_timestamp(timestamp, 0)
                .and_then(|at| self.local_reading(at))
                .is_some_and(|reading| reading >= local)
        };
        while late_enough - too_early > 1 {
            let middle = too_early + (late_enough - too_early) / 2;
            if reaches(middle) {
                late_enough = middle;
            } else {
                too_early = middle;
            }
        }
        DateTime::from_timestamp(late_enough, 0)
    }

    /// The local wall-clock reading at `at`, or `None` beyond chrono's representable range.
    fn local_reading(&self, at: DateTime<Utc>) -> Option<NaiveDateTime> {
        let utc = at.naive_utc();
        utc.checked_add_offset(self.timezone.offset_from_utc_datetime(&utc).fix())
    }
}

/// Rejects a window list that is unsorted, overlapping, or holds a window with `start >= end`.
fn check_windows(schedule: &'static str, windows: &[WorkingWindow]) -> Result<(), CalendarError> {
    if let Some(&window) = windows.iter().find(|window| window.start >= window.end) {
        return Err(CalendarError::EmptyWindow { schedule, window });
    }
    match windows.windows(2).find(|pair| pair[0].end > pair[1].start) {
        Some(pair) => Err(CalendarError::UnorderedWindows {
            schedule,
            earlier: pair[0],
            later: pair[1],
        }),
        None => Ok(()),
    }
}

/// Either clock: `Natural` counts every second; `Working` uses a calendar.
#[derive(Debug, Clone, Copy)]
pub enum TimeBasis<'a> {
    Natural,
    Working(&'a WorkingCalendar),
}

impl<'a> TimeBasis<'a> {
    /// The clock a limit of `kind` runs on.
    #[must_use]
    pub fn new(kind: CalendarKind, calendar: &'a WorkingCalendar) -> Self {
        match kind {
            CalendarKind::Natural => Self::Natural,
            CalendarKind::Working => Self::Working(calendar),
        }
    }

    /// `start` plus `duration` on this clock; a non-positive `duration` returns `start`, and a
    /// result past chrono's range saturates at [`FOREVER`].
    #[must_use]
    pub fn add(&self, start: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        match self {
            Self::Natural if duration <= Duration::zero() => start,
            Self::Natural => start.checked_add_signed(duration).unwrap_or(FOREVER),
            Self::Working(calendar) => calendar.add(start, duration),
        }
    }

    /// Time on this clock between two instants; zero if `to <= from`.
    #[must_use]
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match self {
            Self::Natural => (to - from).max(Duration::zero()),
            Self::Working(calendar) => calendar.elapsed(from, to),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    fn china() -> WorkingCalendar {
        WorkingCalendar::china_2026().unwrap()
    }

    fn at(tz: Tz, (y, mo, d): (i32, u32, u32), (h, mi): (u32, u32)) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .to_utc()
    }

    fn shanghai(date: (i32, u32, u32), time: (u32, u32)) -> DateTime<Utc> {
        at(Tz::Asia__Shanghai, date, time)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn window(start: (u32, u32), end: (u32, u32)) -> WorkingWindow {
        WorkingWindow::new(hm(start.0, start.1), hm(end.0, end.1)).unwrap()
    }

    fn every_day(timezone: Tz, windows: &[WorkingWindow]) -> WorkingCalendar {
        let windows = windows.to_vec();
        let weekly = std::array::from_fn(|_| windows.clone());
        WorkingCalendar::new(timezone, weekly, windows, BTreeSet::new(), BTreeSet::new()).unwrap()
    }

    /// Berlin, every day 01:00–04:00 (across both DST jumps) and 09:00–17:00.
    fn berlin_round_the_clock() -> WorkingCalendar {
        every_day(
            Tz::Europe__Berlin,
            &[window((1, 0), (4, 0)), window((9, 0), (17, 0))],
        )
    }

    #[test]
    fn the_shipped_2026_list_has_every_holiday_and_make_up_day() {
        let calendar = china();
        assert_eq!(calendar.holidays.len(), 33);
        let workdays = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];
        let expected: BTreeSet<_> = workdays.iter().map(|&(m, d)| date(2026, m, d)).collect();
        assert_eq!(calendar.workdays, expected);
        for day in &calendar.workdays {
            assert!(
                day.weekday().num_days_from_monday() >= 5,
                "{day} is a weekday"
            );
        }
        for day in [
            (1, 1),
            (2, 15),
            (2, 23),
            (4, 6),
            (5, 5),
            (6, 19),
            (9, 27),
            (10, 7),
        ] {
            assert!(calendar.holidays.contains(&date(2026, day.0, day.1)));
        }
    }

    #[test]
    fn the_default_china_calendar_works_weekday_office_hours() {
        let calendar = WorkingCalendar::default_china();
        calendar.validate().unwrap();
        assert_eq!(calendar.windows_on(date(2026, 3, 10)), &CHINA_OFFICE_HOURS);
        assert!(calendar.windows_on(date(2026, 3, 14)).is_empty());
        let monday = shanghai((2026, 3, 9), (0, 0));
        let next_monday = shanghai((2026, 3, 16), (0, 0));
        assert_eq!(
            calendar.elapsed(monday, next_monday),
            Duration::minutes(5 * 450)
        );
    }

    #[test]
    fn a_make_up_saturday_counts_as_working_time() {
        let calendar = china();
        let saturday = date(2026, 2, 14);
        assert_eq!(calendar.windows_on(saturday), &CHINA_OFFICE_HOURS);
        let start = shanghai((2026, 2, 14), (8, 30));
        assert_eq!(
            calendar.add(start, Duration::hours(1)),
            shanghai((2026, 2, 14), (9, 30))
        );
        let whole_day = calendar.elapsed(
            shanghai((2026, 2, 14), (0, 0)),
            shanghai((2026, 2, 15), (0, 0)),
        );
        assert_eq!(whole_day, Duration::minutes(450));
    }

    #[test]
    fn the_national_day_week_is_skipped_and_the_make_up_saturday_is_worked() {
        let calendar = china();
        let start = shanghai((2026, 9, 30), (16, 30));
        assert_eq!(
            calendar.add(start, Duration::hours(4)),
            shanghai((2026, 10, 8), (11, 30))
        );
        // 1 h on Sep 30, 7.5 h each on Oct 8 and 9, then Saturday Oct 10 is a make-up day.
        assert_eq!(
            calendar.add(start, Duration::minutes(16 * 60 + 30)),
            shanghai((2026, 10, 10), (9, 0))
        );
        let week = calendar.elapsed(
            shanghai((2026, 10, 1), (0, 0)),
            shanghai((2026, 10, 8), (0, 0)),
        );
        assert_eq!(week, Duration::zero());
    }

    #[test]
    fn a_limit_spanning_a_holiday_resumes_after_it() {
        let calendar = china();
        let friday = shanghai((2026, 4, 3), (17, 0));
        assert_eq!(
            calendar.add(friday, Duration::hours(1)),
            shanghai((2026, 4, 7), (9, 0))
        );
        let before_labour_day = shanghai((2026, 4, 30), (16, 0));
        assert_eq!(
            calendar.add(before_labour_day, Duration::hours(2)),
            shanghai((2026, 5, 6), (9, 0))
        );
    }

    #[test]
    fn a_limit_crossing_the_lunch_break_skips_it() {
        let calendar = china();
        let start = shanghai((2026, 3, 10), (11, 30));
        let due = shanghai((2026, 3, 10), (14, 0));
        assert_eq!(calendar.add(start, Duration::hours(1)), due);
        assert_eq!(calendar.elapsed(start, due), Duration::hours(1));
        let at_lunch = shanghai((2026, 3, 10), (12, 15));
        assert_eq!(
            calendar.add(at_lunch, Duration::minutes(30)),
            shanghai((2026, 3, 10), (14, 0))
        );
    }

    #[test]
    fn a_limit_that_uses_up_a_window_ends_at_the_window_end() {
        let calendar = china();
        let start = shanghai((2026, 3, 10), (11, 0));
        assert_eq!(
            calendar.add(start, Duration::hours(1)),
            shanghai((2026, 3, 10), (12, 0))
        );
    }

    #[test]
    fn adding_nothing_leaves_the_start_alone_even_in_a_gap() {
        let calendar = china();
        let lunch = shanghai((2026, 3, 10), (12, 15));
        assert_eq!(calendar.add(lunch, Duration::zero()), lunch);
        assert_eq!(calendar.add(lunch, Duration::minutes(-5)), lunch);
    }

    #[test]
    fn a_friday_evening_start_counts_from_monday_morning() {
        let calendar = china();
        let friday_evening = shanghai((2026, 3, 13), (19, 0));
        assert_eq!(
            calendar.add(friday_evening, Duration::hours(2)),
            shanghai((2026, 3, 16), (10, 30))
        );
    }

    #[test]
    fn forty_working_hours_roll_over_the_weekend() {
        let calendar = china();
        let monday = shanghai((2026, 3, 9), (8, 30));
        assert_eq!(
            calendar.add(monday, Duration::hours(40)),
            shanghai((2026, 3, 16), (11, 0))
        );
    }

    #[test]
    fn elapsed_across_a_weekend_counts_only_working_days() {
        let calendar = china();
        let friday = shanghai((2026, 3, 13), (16, 0));
        let monday = shanghai((2026, 3, 16), (10, 0));
        assert_eq!(calendar.elapsed(friday, monday), Duration::hours(3));
        assert_eq!(calendar.elapsed(monday, friday), Duration::zero());
    }

    #[test]
    fn the_natural_basis_counts_every_minute() {
        let calendar = china();
        let natural = TimeBasis::new(CalendarKind::Natural, &calendar);
        let friday = shanghai((2026, 3, 13), (19, 0));
        let monday = shanghai((2026, 3, 16), (9, 0));
        assert_eq!(natural.elapsed(friday, monday), Duration::hours(62));
        assert_eq!(natural.elapsed(monday, friday), Duration::zero());
        assert_eq!(natural.add(friday, Duration::hours(62)), monday);
        assert_eq!(natural.add(friday, Duration::hours(-1)), friday);
        let working = TimeBasis::new(CalendarKind::Working, &calendar);
        assert_eq!(working.elapsed(friday, monday), Duration::minutes(30));
        assert_eq!(
            working.add(friday, Duration::hours(1)),
            shanghai((2026, 3, 16), (9, 30))
        );
    }

    #[test]
    fn date_list_errors_name_the_line() {
        let cases = [
            (
                "2026-01-01 HOLIDAY\n\n# note\n2026-13-01 HOLIDAY",
                4,
                "invalid date",
            ),
            ("2026-01-01 FEAST", 1, "unknown day kind `FEAST`"),
            ("# header\n2026-01-01", 2, "expected `YYYY-MM-DD"),
            (
                "2026-01-01 HOLIDAY extra",
                1,
                "found `2026-01-01 HOLIDAY extra`",
            ),
            (
                "2026-01-04 WORKDAY\n2026-01-04 HOLIDAY",
                2,
                "already a make-up",
            ),
        ];
        for (text, line, problem) in cases {
            let mut calendar = WorkingCalendar::default_china();
            let error = calendar.apply_date_list(text).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(&format!("line {line}:")), "{message}");
            assert!(message.contains(problem), "{message}");
            assert_eq!(
                calendar,
                WorkingCalendar::default_china(),
                "not all or nothing"
            );
        }
    }

    #[test]
    fn date_lists_allow_comments_blank_lines_and_repeats() {
        let mut calendar = WorkingCalendar::default_china();
        let text = "  # header\n\n2026-01-01 HOLIDAY # New Year\n2026-01-01 holiday\n";
        calendar.apply_date_list(text).unwrap();
        assert_eq!(calendar.holidays, BTreeSet::from([date(2026, 1, 1)]));
        let conflicting = "2026-01-01 WORKDAY";
        let error = calendar.apply_date_list(conflicting).unwrap_err();
        assert!(error.to_string().contains("already a holiday"), "{error}");
    }

    #[test]
    fn invalid_calendars_are_rejected_with_a_reason() {
        let morning = window((8, 30), (12, 0));
        let overlapping = window((11, 0), (13, 0));
        let mut weekly: [Vec<WorkingWindow>; 7] = Default::default();
        weekly[2] = vec![morning, overlapping];
        let error = WorkingCalendar::new(
            Tz::UTC,
            weekly,
            Vec::new(),
            BTreeSet::new(),
            BTreeSet::new(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Wednesday: working windows 08:30:00–12:00:00 and 11:00:00–13:00:00 overlap or are out of order"
        );
        let backwards = WorkingWindow::new(hm(12, 0), hm(8, 0)).unwrap_err();
        assert!(
            backwards
                .to_string()
                .contains("does not start before it ends")
        );
        let mut both = WorkingCalendar::default_china();
        both.holidays.insert(date(2026, 1, 4));
        both.workdays.insert(date(2026, 1, 4));
        assert_eq!(
            both.validate(),
            Err(CalendarError::HolidayAndWorkday {
                date: date(2026, 1, 4)
            })
        );
    }

    #[test]
    fn office_hours_follow_berlin_summer_time() {
        let office = [window((9, 0), (17, 0))];
        let mut weekly: [Vec<WorkingWindow>; 7] = Default::default();
        weekly[..5].fill(office.to_vec());
        let calendar = WorkingCalendar::new(
            Tz::Europe__Berlin,
            weekly,
            office.to_vec(),
            BTreeSet::new(),
            BTreeSet::new(),
        )
        .unwrap();
        let friday = at(Tz::Europe__Berlin, (2026, 3, 27), (16, 0));
        let monday = at(Tz::Europe__Berlin, (2026, 3, 30), (10, 0));
        assert_eq!(friday.to_rfc3339(), "2026-03-27T15:00:00+00:00");
        assert_eq!(monday.to_rfc3339(), "2026-03-30T08:00:00+00:00");
        assert_eq!(calendar.add(friday, Duration::hours(2)), monday);
        assert_eq!(calendar.elapsed(friday, monday), Duration::hours(2));
    }

    #[test]
    fn windows_across_dst_jumps_use_the_earliest_valid_instant() {
        let calendar = berlin_round_the_clock();
        let night = |d: (i32, u32, u32)| {
            let from = at(Tz::Europe__Berlin, d, (0, 0));
            calendar.elapsed(from, at(Tz::Europe__Berlin, d, (8, 0)))
        };
        assert_eq!(night((2026, 3, 29)), Duration::hours(2));
        assert_eq!(night((2026, 10, 25)), Duration::hours(4));
        assert_eq!(night((2026, 6, 1)), Duration::hours(3));

        let in_the_gap = every_day(Tz::Europe__Berlin, &[window((2, 30), (4, 0))]);
        let jump = "2026-03-29T01:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let night_start = at(Tz::Europe__Berlin, (2026, 3, 29), (0, 0));
        assert_eq!(
            in_the_gap.add(night_start, Duration::minutes(30)),
            jump + Duration::minutes(30)
        );

        let swallowed = every_day(Tz::Europe__Berlin, &[window((2, 15), (2, 45))]);
        let day_before = at(Tz::Europe__Berlin, (2026, 3, 28), (12, 0));
        let day_after = at(Tz::Europe__Berlin, (2026, 3, 30), (12, 0));
        assert_eq!(
            swallowed.elapsed(day_before, day_after),
            Duration::minutes(30)
        );

        let repeated = every_day(Tz::Europe__Berlin, &[window((2, 30), (3, 30))]);
        let first_half_past_two = "2026-10-25T00:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            repeated.add(first_half_past_two, Duration::hours(2)),
            "2026-10-25T02:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_calendar_without_working_time_saturates_instead_of_looping() {
        let idle = WorkingCalendar::new(
            Tz::Asia__Shanghai,
            Default::default(),
            CHINA_OFFICE_HOURS.to_vec(),
            BTreeSet::new(),
            BTreeSet::new(),
        )
        .unwrap();
        let start = shanghai((2026, 3, 10), (9, 0));
        assert_eq!(idle.add(start, Duration::hours(1)), FOREVER);
        assert_eq!(idle.elapsed(start, FOREVER), Duration::zero());

        let mut one_day = idle.clone();
        one_day.workdays.insert(date(2030, 6, 1));
        assert_eq!(
            one_day.add(start, Duration::hours(1)),
            shanghai((2030, 6, 1), (9, 30))
        );
    }

    #[test]
    fn extreme_instants_and_durations_do_not_panic() {
        let calendar = china();
        let start = shanghai((2026, 3, 10), (9, 0));
        assert_eq!(calendar.add(start, Duration::MAX), FOREVER);
        assert!(calendar.elapsed(start, FOREVER) > Duration::hours(100_000));
        assert_eq!(calendar.add(FOREVER, Duration::hours(1)), FOREVER);
        let ancient = DateTime::<Utc>::MIN_UTC;
        assert!(calendar.add(ancient, Duration::hours(1)) > ancient);
        assert_eq!(TimeBasis::Natural.add(start, Duration::MAX), FOREVER);
        let west = every_day(Tz::America__Los_Angeles, &CHINA_OFFICE_HOURS);
        assert_eq!(west.add(FOREVER, Duration::hours(1)), FOREVER);
    }

    static CALENDARS: LazyLock<[WorkingCalendar; 3]> = LazyLock::new(|| {
        [
            china(),
            WorkingCalendar::default_china(),
            berlin_round_the_clock(),
        ]
    });

    const FROM_2025: i64 = 1_735_689_600;
    const UNTIL_2028: i64 = 1_830_297_600;

    /// Instants in 2025–2027: arbitrary to the nanosecond, or on a half-hour, where windows
    /// open and close.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            (FROM_2025..UNTIL_2028, 0..1_000_000_000u32),
            (FROM_2025 / 1800..UNTIL_2028 / 1800).prop_map(|slot| (slot * 1800, 0)),
        ]
        .prop_map(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos).unwrap())
    }

    /// Durations up to 200 working hours, arbitrary or in whole half-hours.
    fn work() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0..720_000i64, 0..1_000_000_000i64)
                .prop_map(|(s, n)| Duration::seconds(s) + Duration::nanoseconds(n)),
            (0..400i64).prop_map(|slots| Duration::minutes(30 * slots)),
            Just(Duration::zero()),
        ]
    }

    fn calendar() -> impl Strategy<Value = &'static WorkingCalendar> {
        (0..CALENDARS.len()).prop_map(|index| &CALENDARS[index])
    }

    /// Whether `at` lies inside a working window (its start excluded) or exactly at its end.
    fn inside_or_at_window_end(calendar: &WorkingCalendar, at: DateTime<Utc>) -> bool {
        calendar
            .utc_windows(at)
            .take_while(|&(open, _)| open < at)
            .any(|(_, close)| at <= close)
    }

    proptest! {
        #[test]
        fn working_time_added_is_the_working_time_elapsed(
            calendar in calendar(), start in instant(), duration in work()
        ) {
            let due = calendar.add(start, duration);
            prop_assert_eq!(calendar.elapsed(start, due), duration);
        }

        #[test]
        fn adding_is_monotonic_in_the_start(
            calendar in calendar(), a in instant(), b in instant(), duration in work()
        ) {
            let (early, late) = (a.min(b), a.max(b));
            prop_assert!(calendar.add(early, duration) <= calendar.add(late, duration));
        }

        #[test]
        fn adding_is_monotonic_in_the_duration(
            calendar in calendar(), start in instant(), a in work(), b in work()
        ) {
            let (short, long) = (a.min(b), a.max(b));
            prop_assert!(calendar.add(start, short) <= calendar.add(start, long));
        }

        #[test]
        fn a_due_time_never_lies_in_a_gap(
            calendar in calendar(), start in instant(), duration in work()
        ) {
            let due = calendar.add(start, duration);
            if duration == Duration::zero() {
                prop_assert_eq!(due, start);
            } else {
                prop_assert!(due > start);
                prop_assert!(inside_or_at_window_end(calendar, due), "{} lands in a gap", due);
            }
        }

        #[test]
        fn elapsed_time_is_additive(
            calendar in calendar(), a in instant(), b in instant(), c in instant()
        ) {
            let mut points = [a, b, c];
            points.sort();
            let [a, b, c] = points;
            prop_assert_eq!(
                calendar.elapsed(a, b) + calendar.elapsed(b, c),
                calendar.elapsed(a, c)
            );
        }

        #[test]
        fn elapsed_time_matches_a_minute_by_minute_count(
            calendar in calendar(), start in instant(), minutes in 0..4_000i64
        ) {
            let start = DateTime::from_timestamp(start.timestamp() / 60 * 60, 0).unwrap();
            let working = (0..minutes)
                .map(|minute| start + Duration::minutes(minute))
                .filter(|&instant| {
                    let local = instant.with_timezone(&calendar.timezone).naive_local();
                    calendar
                        .windows_on(local.date())
                        .iter()
                        .any(|w| w.start <= local.time() && local.time() < w.end)
                })
                .count();
            let end = start + Duration::minutes(minutes);
            prop_assert_eq!(
                calendar.elapsed(start, end),
                Duration::minutes(i64::try_from(working).unwrap())
            );
        }
    }
}

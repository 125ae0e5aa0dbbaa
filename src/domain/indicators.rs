//! Performance indicators (绩效评价, domain.md "Indicators") computed from per-ticket facts.
//!
//! This is the reference definition: the rollup-based fast path is tested against it, and small
//! groups use it directly. Callers pass the tickets of one group, already filtered to the scope and
//! to the period `[from, to)` of `reported_at`, with every fact taken as of the evaluation time
//! `as_of`.
//!
//! Where domain.md leaves room, these are the rules:
//! - A ticket is *closed* at `as_of` when its status is CLOSED and its `closed_at`, if known, is
//!   not after `as_of`; inconsistent facts from the future are not trusted.
//! - dueCount keeps a ticket that is not closed only when its `due_at` is known and not after
//!   `as_of`. A registered ticket with no `due_at` was never dispatched, so no deadline has passed:
//!   it is *not yet due* and left out. A SUSPENDED ticket is always left out.
//! - A ticket closed without a `due_at` (自处理, handled on site) counts as closed on time; one with
//!   a `due_at` but no `resolved_at` counts late, as nothing shows it met the deadline.
//! - overdueOpen needs `due_at < as_of` strictly, while dueCount includes `due_at == as_of`.
//! - Every count except `reported`, and every duration, covers registered tickets only: rejected
//!   reports and duplicates are not cases (the original of a duplicate carries it). Each numerator
//!   is a subset of its denominator (reworked ⊆ resolved, returned ⊆ dispatched), so rates stay in
//!   `[0, 1]` even for inconsistent facts.
//! - A feedback score outside `1..=5` is ignored, not counted as given.
//! - A duration sample counts when both instants are known and `start <= end <= as_of`; wall
//!   minutes are exact seconds / 60. Working minutes are taken from the same tickets as the wall
//!   resolve sample, when given and not negative.
//! - A rate is `None` when its denominator is 0; the score is `None` when dueCount is 0.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

/// Everything the indicators need to know about one ticket, as of the evaluation time.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub reported_at: DateTime<Utc>,
    /// The status at `as_of`.
    pub status: FactStatus,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    pub last_dispatched_at: Option<DateTime<Utc>>,
    /// The final resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The handle deadline; `None` when never dispatched.
    pub due_at: Option<DateTime<Utc>>,
    pub ever_dispatched: bool,
    pub ever_resolved: bool,
    pub ever_verify_failed: bool,
    pub ever_returned: bool,
    /// The latest feedback score, 1..=5.
    pub feedback_score: Option<u8>,
    /// Working minutes from the last dispatch to the final resolution, computed by the caller with
    /// the category's calendar (this module knows no calendars).
    pub resolve_working_minutes: Option<i64>,
}

/// A ticket's status, as far as the indicators care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactStatus {
    Reported,
    Dispatched,
    InProgress,
    Returned,
    Resolved,
    Closed,
    Rejected,
    Duplicate,
    Suspended,
}

/// Mean, median and 90th percentile of one duration, in minutes; `None` without samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DurationSummary {
    pub count: u64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// The indicators of one group of tickets; rates are fractions in `[0, 1]`, the score is 0–100.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Indicators {
    pub reported: u64,
    /// 立案数.
    pub registered: u64,
    pub dispatched: u64,
    /// 应结案数.
    pub due_count: u64,
    /// 结案数.
    pub closed: u64,
    /// 按期结案数.
    pub closed_on_time: u64,
    pub closure_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    /// 超期未结.
    pub overdue_open: u64,
    pub resolved_ever: u64,
    pub reworked: u64,
    /// 返工率.
    pub rework_rate: Option<f64>,
    pub returned: u64,
    pub return_rate: Option<f64>,
    pub accurate_dispatch_rate: Option<f64>,
    pub feedback_count: u64,
    pub satisfied_count: u64,
    pub satisfaction_rate: Option<f64>,
    pub score: Option<f64>,
    pub to_dispatch: DurationSummary,
    pub to_resolve_wall: DurationSummary,
    pub to_resolve_working: DurationSummary,
    pub to_close: DurationSummary,
}

/// Counts and duration samples that merge by addition (the sum of the parts is the whole), so
/// groups computed apart can be combined before the rates are taken.
///
/// Fields are public so that a rollup can fill the counts; every part must use the same `as_of`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accumulator {
    pub reported: u64,
    pub registered: u64,
    pub dispatched: u64,
    pub due_count: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub overdue_open: u64,
    pub resolved_ever: u64,
    pub reworked: u64,
    pub returned: u64,
    pub feedback_count: u64,
    pub satisfied_count: u64,
    /// Minutes from report to first dispatch.
    pub to_dispatch: Vec<f64>,
    /// Wall-clock minutes from last dispatch to final resolution.
    pub to_resolve_wall: Vec<f64>,
    /// Working minutes from last dispatch to final resolution.
    pub to_resolve_working: Vec<f64>,
    /// Minutes from report to close.
    pub to_close: Vec<f64>,
}

impl Accumulator {
    /// Counts one ticket as seen at `as_of`.
    pub fn add(&mut self, t: &TicketFacts, as_of: DateTime<Utc>) {
        self.reported += 1;
        if matches!(t.status, FactStatus::Rejected | FactStatus::Duplicate) {
            return;
        }
        self.registered += 1;

        let closed = t.status == FactStatus::Closed && t.closed_at.is_none_or(|at| at <= as_of);
        if closed {
            self.due_count += 1;
            self.closed += 1;
            let on_time = match (t.due_at, t.resolved_at) {
                (None, _) => true,
                (Some(due), Some(resolved)) => resolved <= due,
                (Some(_), None) => false,
            };
            self.closed_on_time += u64::from(on_time);
        } else if t.status != FactStatus::Suspended
            && let Some(due) = t.due_at.filter(|due| *due <= as_of)
        {
            self.due_count += 1;
            self.overdue_open += u64::from(due < as_of);
        }

        if t.ever_dispatched {
            self.dispatched += 1;
            self.returned += u64::from(t.ever_returned);
        }
        if t.ever_resolved {
            self.resolved_ever += 1;
            self.reworked += u64::from(t.ever_verify_failed);
        }
        if let Some(given) = t.feedback_score.filter(|s| (1..=5).contains(s)) {
            self.feedback_count += 1;
            self.satisfied_count += u64::from(given >= 4);
        }

        let reported_at = Some(t.reported_at);
        if let Some(m) = minutes_between(reported_at, t.first_dispatched_at, as_of) {
            self.to_dispatch.push(m);
        }
        if let Some(m) = minutes_between(t.last_dispatched_at, t.resolved_at, as_of) {
            self.to_resolve_wall.push(m);
            if let Some(working) = t.resolve_working_minutes.filter(|w| *w >= 0) {
                self.to_resolve_working.push(working as f64);
            }
        }
        if let Some(m) = minutes_between(reported_at, t.closed_at, as_of) {
            self.to_close.push(m);
        }
    }

    /// Adds another group's counts and samples to this one.
    pub fn merge(&mut self, other: &Accumulator) {
        self.reported += other.reported;
        self.registered += other.registered;
        self.dispatched += other.dispatched;
        self.due_count += other.due_count;
        self.closed += other.closed;
        self.closed_on_time += other.closed_on_time;
        self.overdue_open += other.overdue_open;
        self.resolved_ever += other.resolved_ever;
        self.reworked += other.reworked;
        self.returned += other.returned;
        self.feedback_count += other.feedback_count;
        self.satisfied_count += other.satisfied_count;
        self.to_dispatch.extend_from_slice(&other.to_dispatch);
        self.to_resolve_wall
            .extend_from_slice(&other.to_resolve_wall);
        self.to_resolve_working
            .extend_from_slice(&other.to_resolve_working);
        self.to_close.extend_from_slice(&other.to_close);
    }

    /// Takes the rates, score and duration summaries. The result does not depend on the order in
    /// which tickets were added or groups merged: samples are sorted before they are summed.
    pub fn finish(&self) -> Indicators {
        let closure_rate = ratio(self.closed, self.due_count);
        let on_time_closure_rate = ratio(self.closed_on_time, self.due_count);
        let rework_rate = ratio(self.reworked, self.resolved_ever);
        let return_rate = ratio(self.returned, self.dispatched);
        let satisfaction_rate = ratio(self.satisfied_count, self.feedback_count);
        let score = closure_rate
            .zip(on_time_closure_rate)
            .map(|(closure, on_time)| score(closure, on_time, rework_rate, satisfaction_rate));
        Indicators {
            reported: self.reported,
            registered: self.registered,
            dispatched: self.dispatched,
            due_count: self.due_count,
            closed: self.closed,
            closed_on_time: self.closed_on_time,
            closure_rate,
            on_time_closure_rate,
            overdue_open: self.overdue_open,
            resolved_ever: self.resolved_ever,
            reworked: self.reworked,
            rework_rate,
            returned: self.returned,
            return_rate,
            accurate_dispatch_rate: return_rate.map(|rate| 1.0 - rate),
            feedback_count: self.feedback_count,
            satisfied_count: self.satisfied_count,
            satisfaction_rate,
            score,
            to_dispatch: summarize(&self.to_dispatch),
            to_resolve_wall: summarize(&self.to_resolve_wall),
            to_resolve_working: summarize(&self.to_resolve_working),
            to_close: summarize(&self.to_close),
        }
    }
}

/// The indicators of one group of tickets at `as_of`.
pub fn compute(tickets: &[TicketFacts], as_of: DateTime<Utc>) -> Indicators {
    let mut acc = Accumulator::default();
    for t in tickets {
        acc.add(t, as_of);
    }
    acc.finish()
}

/// The domain.md score on 0–100:
/// `30·closure + 40·onTime + 20·(1 − rework) + 10·satisfaction`, rates given as fractions.
/// Without resolutions (`rework_rate == None`) rework counts as 0, and without feedback
/// satisfaction counts as 1, so a group is not punished for what it had no chance to do.
/// [`Accumulator::finish`] gives no score when dueCount is 0: there is no closure rate to score.
pub fn score(
    closure_rate: f64,
    on_time_rate: f64,
    rework_rate: Option<f64>,
    satisfaction_rate: Option<f64>,
) -> f64 {
    30.0 * closure_rate
        + 40.0 * on_time_rate
        + 20.0 * (1.0 - rework_rate.unwrap_or(0.0))
        + 10.0 * satisfaction_rate.unwrap_or(1.0)
}

/// The `p`-quantile (`p` in `[0, 1]`) of ascending `sorted` samples, by linear interpolation
/// between closest ranks: with `h = p·(n − 1)`, the value is
/// `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋])`. This is PostgreSQL's `percentile_cont` and NumPy's
/// default, so an SQL fast path can reproduce it; the median is `p = 0.5`.
/// `None` for no samples or a `p` outside `[0, 1]`.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let lower = rank.floor();
    let fraction = rank - lower;
    let low = *sorted.get(lower as usize)?;
    match sorted.get(lower as usize + 1) {
        Some(&high) if fraction > 0.0 => Some(low + fraction * (high - low)),
        _ => Some(low),
    }
}

/// Keyed indicators, one entry per group (category, street, assignee, …).
pub type Groups<K> = Vec<(K, Indicators)>;

/// Splits groups into the ranking (dueCount ≥ `min_sample`, domain.md's default is 10) and the
/// rest, whose rates rest on too few tickets to compare fairly. Both lists are ordered by score
/// descending, then onTimeClosureRate descending, then key ascending, with a missing value last.
/// Scores are compared after rounding to 1e-9 points, so float noise between equal fractions
/// reached by different sums does not override the tie-break.
pub fn rank<K: Ord + Clone>(groups: Groups<K>, min_sample: u64) -> (Groups<K>, Groups<K>) {
    let (mut ranked, mut rest): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|(_, indicators)| indicators.due_count >= min_sample);
    ranked.sort_by(ranking_order);
    rest.sort_by(ranking_order);
    (ranked, rest)
}

fn ranking_order<K: Ord>((key_a, a): &(K, Indicators), (key_b, b): &(K, Indicators)) -> Ordering {
    let score_points = |score: Option<f64>| score.map(|s| (s * 1e9).round());
    descending(score_points(a.score), score_points(b.score))
        .then_with(|| descending(a.on_time_closure_rate, b.on_time_closure_rate))
        .then_with(|| key_a.cmp(key_b))
}

/// Orders larger values first and missing values last.
fn descending(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        _ => b.is_some().cmp(&a.is_some()),
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Wall-clock minutes from `start` to `end`, when both are known, in order, and not after `as_of`.
fn minutes_between(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
) -> Option<f64> {
    let (start, end) = (start?, end?);
    (start <= end && end <= as_of).then(|| (end - start).as_seconds_f64() / 60.0)
}

fn summarize(samples: &[f64]) -> DurationSummary {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let count = sorted.len();
    DurationSummary {
        count: count as u64,
        mean: (count > 0).then(|| sorted.iter().sum::<f64>() / count as f64),
        median: percentile(&sorted, 0.5),
        p90: percentile(&sorted, 0.9),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    /// The evaluation time used throughout, in minutes after [`at`]'s origin.
    const AS_OF: i64 = 10_000;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn as_of() -> DateTime<Utc> {
        at(AS_OF)
    }

    fn reported() -> TicketFacts {
        TicketFacts {
            reported_at: at(0),
            status: FactStatus::Reported,
            first_dispatched_at: None,
            last_dispatched_at: None,
            resolved_at: None,
            closed_at: None,
            due_at: None,
            ever_dispatched: false,
            ever_resolved: false,
            ever_verify_failed: false,
            ever_returned: false,
            feedback_score: None,
            resolve_working_minutes: None,
        }
    }

    /// Dispatched at minute 10 with the given deadline, still being handled.
    fn open(due: i64) -> TicketFacts {
        TicketFacts {
            status: FactStatus::InProgress,
            first_dispatched_at: Some(at(10)),
            last_dispatched_at: Some(at(10)),
            due_at: Some(at(due)),
            ever_dispatched: true,
            ..reported()
        }
    }

    /// Dispatched at minute 10, resolved at `resolved`, verified and closed 30 minutes later.
    fn closed(resolved: i64, due: i64) -> TicketFacts {
        TicketFacts {
            status: FactStatus::Closed,
            resolved_at: Some(at(resolved)),
            closed_at: Some(at(resolved + 30)),
            ever_resolved: true,
            ..open(due)
        }
    }

    fn with_status(status: FactStatus, t: TicketFacts) -> TicketFacts {
        TicketFacts { status, ..t }
    }

    fn repeat(n: usize, t: TicketFacts) -> impl Iterator<Item = TicketFacts> {
        std::iter::repeat_n(t, n)
    }

    fn round2(fraction: f64) -> f64 {
        (fraction * 10_000.0).round() / 100.0
    }

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn the_published_example_gives_93_72_and_75_82_percent() {
        let tickets: Vec<_> = repeat(737, closed(100, 200))
            .chain(repeat(174, closed(300, 200)))
            .chain(repeat(61, open(5_000)))
            .chain(repeat(24, open(AS_OF + 60)))
            .chain(repeat(10, with_status(FactStatus::Rejected, reported())))
            .chain(repeat(4, with_status(FactStatus::Duplicate, reported())))
            .collect();
        let ind = compute(&tickets, as_of());
        assert_eq!(ind.reported, 1_010);
        assert_eq!(ind.registered, 996);
        assert_eq!(ind.due_count, 972);
        assert_eq!(ind.closed, 911);
        assert_eq!(ind.closed_on_time, 737);
        assert_eq!(ind.closure_rate.map(round2), Some(93.72));
        assert_eq!(ind.on_time_closure_rate.map(round2), Some(75.82));
        assert_eq!(ind.overdue_open, 61);
    }

    #[test]
    fn rejected_and_duplicate_reports_are_not_registered() {
        let tickets = [
            reported(),
            with_status(FactStatus::Rejected, reported()),
            with_status(FactStatus::Duplicate, open(5)),
        ];
        let ind = compute(&tickets, as_of());
        assert_eq!((ind.reported, ind.registered), (3, 1));
        assert_eq!((ind.dispatched, ind.due_count, ind.overdue_open), (0, 0, 0));
        assert_eq!(ind.to_dispatch.count, 0);
    }

    #[test]
    fn tickets_not_yet_due_are_left_out_of_the_due_count() {
        let undispatched = reported();
        let due_later = open(AS_OF + 1);
        let due_now = open(AS_OF);
        let ind = compute(&[undispatched, due_later, due_now], as_of());
        assert_eq!(ind.registered, 3);
        assert_eq!(ind.dispatched, 2);
        assert_eq!(ind.due_count, 1, "only the deadline at as_of has come");
        assert_eq!(
            ind.overdue_open, 0,
            "a deadline exactly at as_of is not yet overdue"
        );
        assert_eq!(ind.closure_rate, Some(0.0));
    }

    #[test]
    fn a_suspended_ticket_is_neither_due_nor_overdue() {
        let suspended = with_status(FactStatus::Suspended, open(100));
        let ind = compute(&[suspended], as_of());
        assert_eq!((ind.registered, ind.due_count, ind.overdue_open), (1, 0, 0));
        assert_eq!(ind.score, None);
    }

    #[test]
    fn overdue_open_counts_unclosed_tickets_past_their_deadline() {
        let tickets = [
            open(100),
            with_status(FactStatus::Returned, open(100)),
            with_status(FactStatus::Resolved, open(100)),
            closed(500, 100),
            open(AS_OF + 1),
            with_status(FactStatus::Rejected, open(100)),
        ];
        let ind = compute(&tickets, as_of());
        assert_eq!(ind.overdue_open, 3);
        assert_eq!(ind.due_count, 4);
        assert_eq!((ind.closed, ind.closed_on_time), (1, 0));
    }

    #[test]
    fn a_ticket_resolved_exactly_at_its_deadline_is_closed_on_time() {
        let ind = compute(&[closed(200, 200), closed(201, 200)], as_of());
        assert_eq!((ind.closed, ind.closed_on_time), (2, 1));
        assert_eq!(ind.on_time_closure_rate, Some(0.5));
    }

    #[test]
    fn a_ticket_handled_on_site_counts_as_closed_on_time() {
        let on_site = TicketFacts {
            status: FactStatus::Closed,
            closed_at: Some(at(0)),
            ..reported()
        };
        let ind = compute(&[on_site], as_of());
        assert_eq!((ind.due_count, ind.closed, ind.closed_on_time), (1, 1, 1));
        assert_eq!(ind.dispatched, 0);
        assert_eq!(ind.return_rate, None);
        assert_eq!(ind.to_close.mean, Some(0.0));
    }

    #[test]
    fn a_closure_after_as_of_does_not_count_yet() {
        let closes_later = closed(AS_OF, AS_OF + 100);
        let ind = compute(&[closes_later], as_of());
        assert_eq!((ind.due_count, ind.closed), (0, 0));
        assert_eq!(ind.to_resolve_wall.count, 1);
        assert_eq!(ind.to_close.count, 0);
    }

    #[test]
    fn rework_rate_is_verify_failures_over_tickets_ever_resolved() {
        let reworked = TicketFacts {
            ever_verify_failed: true,
            ..closed(100, 200)
        };
        let tickets = [
            reworked,
            closed(100, 200),
            closed(100, 200),
            open(200),
            open(200),
        ];
        let ind = compute(&tickets, as_of());
        assert_eq!((ind.reworked, ind.resolved_ever), (1, 3));
        assert_close(ind.rework_rate, 1.0 / 3.0);
    }

    #[test]
    fn return_rate_is_returns_over_dispatches_and_accuracy_its_complement() {
        let returned = TicketFacts {
            ever_returned: true,
            ..open(200)
        };
        let tickets = [returned.clone(), returned, open(200), open(200), reported()];
        let ind = compute(&tickets, as_of());
        assert_eq!((ind.returned, ind.dispatched), (2, 4));
        assert_eq!(ind.return_rate, Some(0.5));
        assert_eq!(ind.accurate_dispatch_rate, Some(0.5));
    }

    #[test]
    fn a_feedback_score_of_four_is_satisfied_and_three_is_not() {
        let rated = |score| TicketFacts {
            feedback_score: Some(score),
            ..closed(100, 200)
        };
        let tickets = [
            rated(5),
            rated(4),
            rated(3),
            rated(1),
            rated(0),
            rated(6),
            closed(100, 200),
        ];
        let ind = compute(&tickets, as_of());
        assert_eq!((ind.satisfied_count, ind.feedback_count), (2, 4));
        assert_eq!(ind.satisfaction_rate, Some(0.5));
    }

    #[test]
    fn the_score_weighs_closure_on_time_rework_and_satisfaction() {
        assert_close(
            Some(score(0.5, 0.25, Some(0.5), Some(0.5))),
            15.0 + 10.0 + 10.0 + 5.0,
        );
        assert_close(Some(score(1.0, 1.0, Some(0.0), Some(1.0))), 100.0);
        assert_close(Some(score(0.0, 0.0, Some(1.0), Some(0.0))), 0.0);

        let reworked_unhappy = TicketFacts {
            ever_verify_failed: true,
            feedback_score: Some(2),
            ..closed(100, 200)
        };
        let tickets = [reworked_unhappy, closed(300, 200), open(200), open(200)];
        let ind = compute(&tickets, as_of());
        assert_close(ind.score, 30.0 * 0.5 + 40.0 * 0.25 + 20.0 * 0.5);
    }

    #[test]
    fn without_feedback_or_resolutions_the_score_gives_full_marks_for_them() {
        assert_close(Some(score(0.5, 0.5, None, None)), 15.0 + 20.0 + 20.0 + 10.0);
        let ind = compute(&[closed(100, 200), open(200)], as_of());
        assert_eq!(ind.satisfaction_rate, None);
        assert_close(ind.score, 15.0 + 20.0 + 20.0 + 10.0);
        let ind = compute(&[open(200)], as_of());
        assert_eq!(ind.rework_rate, None);
        assert_close(ind.score, 20.0 + 10.0);
    }

    #[test]
    fn nothing_due_means_no_rates_and_no_score() {
        let ind = compute(&[reported(), open(AS_OF + 10)], as_of());
        assert_eq!(ind.due_count, 0);
        assert_eq!(
            (ind.closure_rate, ind.on_time_closure_rate, ind.score),
            (None, None, None)
        );
        assert_eq!(compute(&[], as_of()), Indicators::default());
    }

    #[test]
    fn durations_summarise_mean_median_and_p90_of_a_known_sample() {
        let tickets: Vec<_> = (1..=10)
            .map(|i| TicketFacts {
                first_dispatched_at: Some(at(10 * i)),
                last_dispatched_at: Some(at(100)),
                resolve_working_minutes: Some(i),
                ..closed(100 + i * i, 10_000)
            })
            .collect();
        let ind = compute(&tickets, as_of());
        let dispatch = ind.to_dispatch;
        assert_eq!(dispatch.count, 10);
        assert_close(dispatch.mean, 55.0);
        assert_close(dispatch.median, 55.0);
        assert_close(dispatch.p90, 91.0);
        let wall = ind.to_resolve_wall;
        assert_close(wall.mean, 38.5);
        assert_close(wall.median, 30.5);
        assert_close(wall.p90, 81.0 + 0.1 * 19.0);
        assert_close(ind.to_resolve_working.median, 5.5);
        assert_close(ind.to_close.mean, 100.0 + 38.5 + 30.0);
    }

    #[test]
    fn durations_keep_seconds_and_need_both_instants_in_order_before_as_of() {
        let ninety_seconds = TicketFacts {
            first_dispatched_at: Some(at(0) + Duration::seconds(90)),
            ..reported()
        };
        let backwards = TicketFacts {
            resolved_at: Some(at(5)),
            resolve_working_minutes: Some(3),
            ..open(200)
        };
        let after_as_of = TicketFacts {
            first_dispatched_at: Some(at(AS_OF + 1)),
            ..reported()
        };
        let negative_working = TicketFacts {
            resolved_at: Some(at(20)),
            resolve_working_minutes: Some(-1),
            ..open(200)
        };
        let tickets = [ninety_seconds, backwards, after_as_of, negative_working];
        let ind = compute(&tickets, as_of());
        assert_eq!(ind.to_dispatch.count, 3);
        assert_eq!(ind.to_dispatch.mean, Some((1.5 + 10.0 + 10.0) / 3.0));
        assert_eq!(
            (ind.to_resolve_wall.count, ind.to_resolve_working.count),
            (1, 0)
        );
        assert_eq!(ind.to_resolve_working, DurationSummary::default());
    }

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        let sample = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(percentile(&sample, 0.0), Some(1.0));
        assert_eq!(percentile(&sample, 0.5), Some(3.0));
        assert_close(percentile(&sample, 0.9), 4.0 + 0.7 * 4.0);
        assert_eq!(percentile(&sample, 1.0), Some(8.0));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&sample, 1.5), None);
        assert_eq!(percentile(&sample, f64::NAN), None);
    }

    fn group(closed_on_time: usize, closed_late: usize, open_overdue: usize) -> Indicators {
        let tickets: Vec<_> = repeat(closed_on_time, closed(100, 200))
            .chain(repeat(closed_late, closed(300, 200)))
            .chain(repeat(open_overdue, open(200)))
            .collect();
        compute(&tickets, as_of())
    }

    #[test]
    fn rank_lists_groups_below_the_minimum_sample_apart() {
        let groups = vec![
            ("small-perfect", group(3, 0, 0)),
            ("big", group(8, 0, 2)),
            ("bigger", group(10, 2, 0)),
            ("empty", Indicators::default()),
        ];
        let (ranked, rest) = rank(groups, 10);
        let keys =
            |list: &[(&'static str, Indicators)]| list.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(keys(&ranked), ["bigger", "big"]);
        assert_eq!(keys(&rest), ["small-perfect", "empty"]);
    }

    #[test]
    fn rank_breaks_score_ties_by_on_time_rate_then_key() {
        // 30·1 + 40·(1/2) = 30·(5/7) + 40·(5/7): equal scores, different on-time rates.
        let late_but_closed = group(4, 4, 0);
        let on_time_but_open = group(5, 0, 2);
        assert_close(
            late_but_closed.score,
            on_time_but_open.score.unwrap_or(f64::NAN),
        );
        let groups = vec![
            ("b", late_but_closed.clone()),
            ("c", on_time_but_open.clone()),
            ("a", late_but_closed),
            ("d", on_time_but_open),
        ];
        let (ranked, rest) = rank(groups, 1);
        let keys: Vec<_> = ranked.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["c", "d", "a", "b"]);
        assert!(rest.is_empty());
    }

    #[test]
    fn float_noise_in_scores_does_not_override_the_tie_break() {
        let noisy = |score: f64, on_time: f64| Indicators {
            due_count: 10,
            score: Some(score),
            on_time_closure_rate: Some(on_time),
            ..Indicators::default()
        };
        let groups = vec![("a", noisy(80.0 + 1e-12, 0.5)), ("b", noisy(80.0, 0.6))];
        let (ranked, _) = rank(groups, 10);
        let keys: Vec<_> = ranked.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["b", "a"]);
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..(AS_OF + 2_000) * 60).prop_map(|s| at(0) + Duration::seconds(s))
    }

    fn status() -> impl Strategy<Value = FactStatus> {
        use FactStatus::*;
        prop::sample::select(vec![
            Reported, Dispatched, InProgress, Returned, Resolved, Closed, Rejected, Duplicate,
            Suspended,
        ])
    }

    fn facts() -> impl Strategy<Value = TicketFacts> {
        let instants = (
            instant(),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
        );
        let rest = (
            status(),
            any::<[bool; 4]>(),
            proptest::option::of(0u8..=6),
            proptest::option::of(-10i64..5_000),
        );
        (instants, rest).prop_map(
            |(
                (reported_at, first, last, resolved, closed, due),
                (status, flags, feedback, work),
            )| {
                TicketFacts {
                    reported_at,
                    status,
                    first_dispatched_at: first,
                    last_dispatched_at: last,
                    resolved_at: resolved,
                    closed_at: closed,
                    due_at: due,
                    ever_dispatched: flags[0],
                    ever_resolved: flags[1],
                    ever_verify_failed: flags[2],
                    ever_returned: flags[3],
                    feedback_score: feedback,
                    resolve_working_minutes: work,
                }
            },
        )
    }

    proptest! {
        #[test]
        fn merging_the_parts_of_any_split_equals_computing_the_whole(
            tickets in proptest::collection::vec((facts(), 0usize..4), 0..80),
        ) {
            let mut parts = vec![Accumulator::default(); 4];
            for (t, part) in &tickets {
                parts[*part].add(t, as_of());
            }
            let mut merged = Accumulator::default();
            for part in parts.iter().rev() {
                merged.merge(part);
            }
            let whole: Vec<_> = tickets.into_iter().map(|(t, _)| t).collect();
            prop_assert_eq!(merged.finish(), compute(&whole, as_of()));
        }

        #[test]
        fn counts_nest_and_rates_and_scores_stay_in_range(
            tickets in proptest::collection::vec(facts(), 0..80),
        ) {
            let ind = compute(&tickets, as_of());
            prop_assert!(ind.closed_on_time <= ind.closed);
            prop_assert!(ind.closed + ind.overdue_open <= ind.due_count);
            prop_assert!(ind.due_count <= ind.registered);
            prop_assert!(ind.registered <= ind.reported);
            prop_assert!(ind.dispatched <= ind.registered);
            prop_assert!(ind.returned <= ind.dispatched);
            prop_assert!(ind.reworked <= ind.resolved_ever);
            prop_assert!(ind.satisfied_count <= ind.feedback_count);
            let rates = [
                ind.closure_rate, ind.on_time_closure_rate, ind.rework_rate, ind.return_rate,
                ind.accurate_dispatch_rate, ind.satisfaction_rate,
            ];
            for rate in rates.into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&rate), "rate {}", rate);
            }
            prop_assert_eq!(ind.score.is_some(), ind.due_count > 0);
            if let Some(score) = ind.score {
                prop_assert!((-1e-9..=100.0 + 1e-9).contains(&score), "score {}", score);
            }
            for d in [ind.to_dispatch, ind.to_resolve_wall, ind.to_resolve_working, ind.to_close] {
                if let (Some(median), Some(p90)) = (d.median, d.p90) {
                    prop_assert!(0.0 <= median && median <= p90);
                }
                prop_assert_eq!(d.mean.is_some(), d.count > 0);
            }
        }
    }
}

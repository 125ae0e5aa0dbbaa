//! A ticket's contribution to the indicators in a form that can be stored, added and subtracted:
//! the unit of the statistics rollups.
//!
//! [`Accumulator`](super::indicators::Accumulator) needs the evaluation time `as_of` for every
//! ticket. Almost nothing about a ticket depends on it once the facts are recorded: a CLOSED
//! ticket's closure and its punctuality are settled, and so is every duration. The one part that
//! moves with `as_of` is whether an open, dispatched, not suspended ticket is already due
//! (`due_at <= as_of`) or overdue (`due_at < as_of`). A tally therefore counts such tickets as
//! `open_due` and the reader subtracts, at query time, the ones whose deadline has not come yet
//! ([`AsOfAdjustment`]), which are few: only tickets currently in someone's hands.
//!
//! A tally equals the accumulator for any `as_of` not earlier than every instant in the facts,
//! which holds for `as_of >= now`. Durations are kept as [`Histogram`]s.

use chrono::{DateTime, Utc};

use super::histogram::Histogram;
use super::indicators::{Accumulator, FactStatus, Indicators, TicketFacts};

/// The counts a tally keeps, in the order of [`Counts::as_array`].
pub const COUNT_NAMES: [&str; 11] = [
    "reported",
    "registered",
    "dispatched",
    "closed",
    "closed_on_time",
    "open_due",
    "resolved_ever",
    "reworked",
    "returned",
    "feedback_count",
    "satisfied_count",
];

/// Signed so that a change can be stored as "minus the old, plus the new".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub reported: i64,
    pub registered: i64,
    pub dispatched: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    /// Registered, neither CLOSED nor SUSPENDED, with a deadline: due once `as_of` reaches it.
    pub open_due: i64,
    pub resolved_ever: i64,
    pub reworked: i64,
    pub returned: i64,
    pub feedback_count: i64,
    pub satisfied_count: i64,
}

impl Counts {
    pub fn as_array(&self) -> [i64; 11] {
        [
            self.reported,
            self.registered,
            self.dispatched,
            self.closed,
            self.closed_on_time,
            self.open_due,
            self.resolved_ever,
            self.reworked,
            self.returned,
            self.feedback_count,
            self.satisfied_count,
        ]
    }

    pub fn from_array(v: [i64; 11]) -> Self {
        Self {
            reported: v[0],
            registered: v[1],
            dispatched: v[2],
            closed: v[3],
            closed_on_time: v[4],
            open_due: v[5],
            resolved_ever: v[6],
            reworked: v[7],
            returned: v[8],
            feedback_count: v[9],
            satisfied_count: v[10],
        }
    }
}

/// Which duration a histogram holds, in the order of [`Tally::durations`].
pub const DURATION_NAMES: [&str; 4] = [
    "to_dispatch",
    "to_resolve",
    "to_resolve_working",
    "to_close",
];

/// Counts plus the four duration histograms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub counts: Counts,
    /// To dispatch, to resolve (wall), to resolve (working), to close.
    pub durations: [Histogram; 4],
}

/// Open tickets whose deadline is still ahead of `as_of`, counted apart at query time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsOfAdjustment {
    /// `due_at > as_of`: not due yet.
    pub not_due: i64,
    /// `due_at >= as_of`: not overdue yet.
    pub not_overdue: i64,
}

impl AsOfAdjustment {
    /// The adjustment one open ticket with this deadline needs.
    pub fn of(due_at: DateTime<Utc>, as_of: DateTime<Utc>) -> Self {
        Self {
            not_due: i64::from(due_at > as_of),
            not_overdue: i64::from(due_at >= as_of),
        }
    }

    pub fn add(&mut self, other: AsOfAdjustment) {
        self.not_due += other.not_due;
        self.not_overdue += other.not_overdue;
    }
}

impl Tally {
    /// One ticket's contribution, with the same rules as `Accumulator::add` (see its module).
    pub fn of(t: &TicketFacts) -> Self {
        let mut tally = Tally::default();
        let c = &mut tally.counts;
        c.reported = 1;
        if matches!(t.status, FactStatus::Rejected | FactStatus::Duplicate) {
            return tally;
        }
        c.registered = 1;
        if t.status == FactStatus::Closed {
            c.closed = 1;
            let on_time = match (t.due_at, t.resolved_at) {
                (None, _) => true,
                (Some(due), Some(resolved)) => resolved <= due,
                (Some(_), None) => false,
            };
            c.closed_on_time = i64::from(on_time);
        } else if t.status != FactStatus::Suspended && t.due_at.is_some() {
            c.open_due = 1;
        }
        if t.ever_dispatched {
            c.dispatched = 1;
            c.returned = i64::from(t.ever_returned);
        }
        if t.ever_resolved {
            c.resolved_ever = 1;
            c.reworked = i64::from(t.ever_verify_failed);
        }
        if let Some(given) = t.feedback_score.filter(|s| (1..=5).contains(s)) {
            c.feedback_count = 1;
            c.satisfied_count = i64::from(given >= 4);
        }
        let [dispatch, resolve, working, close] = &mut tally.durations;
        if let Some(n) = nanos_between(Some(t.reported_at), t.first_dispatched_at) {
            dispatch.record(n);
        }
        if let Some(n) = nanos_between(t.last_dispatched_at, t.resolved_at) {
            resolve.record(n);
            if let Some(w) = t.resolve_working_minutes.filter(|w| *w >= 0) {
                working.record(w.saturating_mul(60_000_000_000));
            }
        }
        if let Some(n) = nanos_between(Some(t.reported_at), t.closed_at) {
            close.record(n);
        }
        tally
    }

    /// Adds (`sign = 1`) or subtracts (`sign = -1`) another tally.
    pub fn merge(&mut self, other: &Tally, sign: i64) {
        let mine = self.counts.as_array();
        let theirs = other.counts.as_array();
        self.counts = Counts::from_array(std::array::from_fn(|i| mine[i] + sign * theirs[i]));
        for (h, o) in self.durations.iter_mut().zip(&other.durations) {
            h.merge(o, sign);
        }
    }

    pub fn is_zero(&self) -> bool {
        self.counts == Counts::default() && self.durations.iter().all(Histogram::is_empty)
    }

    /// True when a count or bin went below zero: something was subtracted that was never added.
    pub fn has_negative(&self) -> bool {
        self.counts.as_array().iter().any(|c| *c < 0)
            || self.durations.iter().any(Histogram::has_negative)
    }

    /// The indicators at the `as_of` the adjustment was computed for.
    pub fn finish(&self, adjust: AsOfAdjustment) -> Indicators {
        let c = &self.counts;
        let n = |v: i64| v.max(0) as u64;
        let acc = Accumulator {
            reported: n(c.reported),
            registered: n(c.registered),
            dispatched: n(c.dispatched),
            due_count: n(c.closed + c.open_due - adjust.not_due),
            closed: n(c.closed),
            closed_on_time: n(c.closed_on_time),
            overdue_open: n(c.open_due - adjust.not_overdue),
            resolved_ever: n(c.resolved_ever),
            reworked: n(c.reworked),
            returned: n(c.returned),
            feedback_count: n(c.feedback_count),
            satisfied_count: n(c.satisfied_count),
            ..Accumulator::default()
        };
        let [dispatch, resolve, working, close] = &self.durations;
        Indicators {
            to_dispatch: dispatch.summary(),
            to_resolve_wall: resolve.summary(),
            to_resolve_working: working.summary(),
            to_close: close.summary(),
            ..acc.finish()
        }
    }

    /// Stores the four histograms one after the other.
    pub fn encode_durations(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for h in &self.durations {
            h.encode(&mut out);
        }
        out
    }

    /// Reads what [`encode_durations`](Self::encode_durations) wrote; empty input is no samples.
    pub fn decode_durations(bytes: &[u8]) -> Option<[Histogram; 4]> {
        if bytes.is_empty() {
            return Some(Default::default());
        }
        let mut input = bytes;
        let mut out: [Histogram; 4] = Default::default();
        for h in &mut out {
            *h = Histogram::decode(&mut input)?;
        }
        input.is_empty().then_some(out)
    }
}

/// Nanoseconds from `start` to `end` when both are known and in order.
fn nanos_between(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Option<i64> {
    let (start, end) = (start?, end?);
    if start > end {
        return None;
    }
    (end - start).num_nanoseconds()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::indicators::compute;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    const AS_OF: i64 = 10_000;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn status() -> impl Strategy<Value = FactStatus> {
        use FactStatus::*;
        prop::sample::select(vec![
            Reported, Dispatched, InProgress, Returned, Resolved, Closed, Rejected, Duplicate,
            Suspended,
        ])
    }

    /// Facts whose instants are whole minutes not after `as_of`, except deadlines, which may lie
    /// ahead (that is what the adjustment is for).
    fn facts() -> impl Strategy<Value = TicketFacts> {
        let past = || proptest::option::of((0i64..=AS_OF).prop_map(at));
        let instants = (
            (0i64..=AS_OF).prop_map(at),
            past(),
            past(),
            past(),
            past(),
            proptest::option::of((0i64..AS_OF * 2).prop_map(at)),
        );
        let rest = (
            status(),
            any::<[bool; 4]>(),
            proptest::option::of(0u8..=6),
            proptest::option::of(-10i64..5_000),
        );
        (instants, rest).prop_map(
            |((reported_at, first, last, resolved, closed, due), (status, f, feedback, work))| {
                TicketFacts {
                    reported_at,
                    status,
                    first_dispatched_at: first,
                    last_dispatched_at: last,
                    resolved_at: resolved,
                    closed_at: closed,
                    due_at: due,
                    ever_dispatched: f[0],
                    ever_resolved: f[1],
                    ever_verify_failed: f[2],
                    ever_returned: f[3],
                    feedback_score: feedback,
                    resolve_working_minutes: work,
                }
            },
        )
    }

    fn adjustment(tickets: &[TicketFacts], as_of: DateTime<Utc>) -> AsOfAdjustment {
        let mut adjust = AsOfAdjustment::default();
        for t in tickets {
            if Tally::of(t).counts.open_due == 1
                && let Some(due) = t.due_at
            {
                adjust.add(AsOfAdjustment::of(due, as_of));
            }
        }
        adjust
    }

    proptest! {
        #[test]
        fn a_tally_gives_the_reference_indicators(tickets in proptest::collection::vec(facts(), 0..60)) {
            let mut total = Tally::default();
            for t in &tickets {
                total.merge(&Tally::of(t), 1);
            }
            let got = total.finish(adjustment(&tickets, at(AS_OF)));
            let want = compute(&tickets, at(AS_OF));
            let counts = |i: &Indicators| (i.reported, i.registered, i.dispatched, i.due_count, i.closed,
                i.closed_on_time, i.overdue_open, i.resolved_ever, i.reworked, i.returned,
                i.feedback_count, i.satisfied_count);
            prop_assert_eq!(counts(&got), counts(&want));
            prop_assert_eq!((got.closure_rate, got.on_time_closure_rate, got.rework_rate),
                (want.closure_rate, want.on_time_closure_rate, want.rework_rate));
            prop_assert_eq!((got.return_rate, got.satisfaction_rate, got.score),
                (want.return_rate, want.satisfaction_rate, want.score));
            let pairs = [(got.to_dispatch, want.to_dispatch), (got.to_resolve_wall, want.to_resolve_wall),
                (got.to_resolve_working, want.to_resolve_working), (got.to_close, want.to_close)];
            for (g, w) in pairs {
                prop_assert_eq!(g.count, w.count);
                if let (Some(gm), Some(wm)) = (g.mean, w.mean) {
                    prop_assert!((gm - wm).abs() <= 1e-9 * wm.abs().max(1.0));
                }
                for (gp, wp) in [(g.median, w.median), (g.p90, w.p90)] {
                    if let (Some(gp), Some(wp)) = (gp, wp) {
                        prop_assert!((gp - wp).abs() <= wp / 16.0 + 1.0, "{} vs {}", gp, wp);
                    }
                }
            }
        }

        #[test]
        fn subtracting_a_ticket_undoes_adding_it(a in facts(), b in facts()) {
            let mut t = Tally::of(&a);
            t.merge(&Tally::of(&b), 1);
            t.merge(&Tally::of(&b), -1);
            prop_assert_eq!(&t, &Tally::of(&a));
            t.merge(&Tally::of(&a), -1);
            prop_assert!(t.is_zero());
            let encoded = Tally::of(&b).encode_durations();
            prop_assert_eq!(Tally::decode_durations(&encoded), Some(Tally::of(&b).durations));
        }
    }

    #[test]
    fn a_deadline_exactly_at_as_of_is_due_but_not_overdue() {
        let adjust = AsOfAdjustment::of(at(5), at(5));
        assert_eq!((adjust.not_due, adjust.not_overdue), (0, 1));
    }
}

//! The SLA clock of domain.md ("Time"): which clock runs, the traffic light, and the checkpoints
//! at which the sweeper warns, declares overdue and escalates. Pure; time arithmetic comes from
//! a `TimeBasis` (working or natural time).

use chrono::{DateTime, Duration, Utc};

use super::lifecycle::Status;
use super::working_time::TimeBasis;

/// Share of the limit after which a ticket is AT_RISK and its assignee is warned.
pub const WARN_RATIO: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaClock {
    /// Reported (or returned) → dispatched.
    Dispatch,
    /// Dispatched → resolved: the one that decides 按期.
    Handle,
    /// Resolved → verified.
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    OnTrack,
    AtRisk,
    Overdue,
    Met,
    Breached,
    Paused,
}

/// What the API shows as `Ticket.sla`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaView {
    pub state: SlaState,
    pub clock: SlaClock,
    /// Used share of the current clock's limit (1.0 = due now); None when there is no deadline.
    pub elapsed_ratio: Option<f64>,
    /// Time left in the clock's calendar (negative when overdue).
    pub remaining_minutes: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
}

/// The facts of a ticket the SLA depends on.
#[derive(Debug, Clone, Copy)]
pub struct SlaFacts {
    pub status: Status,
    /// When the current clock started (report/return, dispatch, resolve).
    pub clock_started_at: Option<DateTime<Utc>>,
    pub dispatch_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub verify_due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
}

/// Elapsed share of the window [start, due] at `at`, in the basis' time.
fn ratio(basis: TimeBasis<'_>, start: DateTime<Utc>, due: DateTime<Utc>, at: DateTime<Utc>) -> f64 {
    let total = basis.elapsed(start, due).num_seconds();
    if total <= 0 {
        return if at >= due { f64::INFINITY } else { 0.0 };
    }
    let used = if at <= due {
        basis.elapsed(start, at).num_seconds()
    } else {
        total + basis.elapsed(due, at).num_seconds()
    };
    used as f64 / total as f64
}

fn remaining_minutes(basis: TimeBasis<'_>, at: DateTime<Utc>, due: DateTime<Utc>) -> i64 {
    if at <= due {
        basis.elapsed(at, due).num_minutes()
    } else {
        -basis.elapsed(due, at).num_minutes()
    }
}

fn light(r: f64) -> SlaState {
    if r > 1.0 {
        SlaState::Overdue
    } else if r >= WARN_RATIO {
        SlaState::AtRisk
    } else {
        SlaState::OnTrack
    }
}

/// The traffic light of a ticket at `now`.
pub fn evaluate(f: SlaFacts, basis: TimeBasis<'_>, now: DateTime<Utc>) -> SlaView {
    let running = |clock: SlaClock, due: Option<DateTime<Utc>>| match (f.clock_started_at, due) {
        (Some(start), Some(due)) => {
            let r = ratio(basis, start, due, now);
            SlaView {
                state: light(r),
                clock,
                elapsed_ratio: Some(r),
                remaining_minutes: Some(remaining_minutes(basis, now, due)),
                due_at: Some(due),
            }
        }
        _ => SlaView {
            state: SlaState::OnTrack,
            clock,
            elapsed_ratio: None,
            remaining_minutes: None,
            due_at: due,
        },
    };
    match f.status {
        Status::Reported | Status::Returned => running(SlaClock::Dispatch, f.dispatch_due_at),
        Status::Dispatched | Status::InProgress => running(SlaClock::Handle, f.due_at),
        Status::Suspended => {
            let at = f.suspended_at.unwrap_or(now);
            let r = match (f.clock_started_at, f.due_at) {
                (Some(start), Some(due)) => Some(ratio(basis, start, due, at)),
                _ => None,
            };
            SlaView {
                state: SlaState::Paused,
                clock: SlaClock::Handle,
                elapsed_ratio: r,
                remaining_minutes: f.due_at.map(|d| remaining_minutes(basis, at, d)),
                due_at: f.due_at,
            }
        }
        Status::Resolved | Status::Closed | Status::Rejected | Status::Duplicate => {
            let met = match (f.resolved_at, f.due_at) {
                (Some(resolved), Some(due)) => resolved <= due,
                _ => true,
            };
            SlaView {
                state: if met {
                    SlaState::Met
                } else {
                    SlaState::Breached
                },
                clock: SlaClock::Handle,
                elapsed_ratio: None,
                remaining_minutes: None,
                due_at: f.due_at,
            }
        }
    }
}

/// Stages the sweeper fires on the handle clock, in order: 1 = warned (80 %), 2 = overdue
/// (100 %), 3 = one full limit overdue (first escalation), 4 = two limits, and so on.
pub fn checkpoint(
    stage: i32,
    basis: TimeBasis<'_>,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    limit_minutes: i64,
) -> DateTime<Utc> {
    match stage {
        i32::MIN..=0 => {
            let total = basis.elapsed(start, due).num_seconds().max(0);
            basis.add(
                start,
                Duration::seconds((total as f64 * WARN_RATIO).ceil() as i64),
            )
        }
        1 => due,
        k => basis.add(
            due,
            Duration::minutes(limit_minutes.max(1) * i64::from(k - 1)),
        ),
    }
}

/// The event a stage fires.
pub fn stage_event(stage: i32) -> &'static str {
    match stage {
        1 => "SLA_WARNING",
        2 => "SLA_OVERDUE",
        _ => "ESCALATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::working_time::WorkingCalendar;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        // 2026-11-30 is a Monday; Shanghai = UTC+8.
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap() - Duration::hours(8)
    }

    fn facts(status: Status, start: DateTime<Utc>, due: DateTime<Utc>) -> SlaFacts {
        SlaFacts {
            status,
            clock_started_at: Some(start),
            dispatch_due_at: Some(due),
            due_at: Some(due),
            verify_due_at: None,
            resolved_at: None,
            suspended_at: None,
        }
    }

    #[test]
    fn a_fresh_ticket_is_on_track() {
        let cal = WorkingCalendar::default_china();
        let v = evaluate(
            facts(Status::Dispatched, t(9, 0), t(11, 0)),
            TimeBasis::Working(&cal),
            t(9, 30),
        );
        assert_eq!(v.state, SlaState::OnTrack);
        assert_eq!(v.remaining_minutes, Some(90));
        assert_eq!(v.clock, SlaClock::Handle);
    }

    #[test]
    fn eighty_percent_used_is_at_risk_and_past_due_is_overdue() {
        let cal = WorkingCalendar::default_china();
        let b = TimeBasis::Working(&cal);
        let f = facts(Status::InProgress, t(9, 0), t(11, 0));
        assert_eq!(evaluate(f, b, t(10, 36)).state, SlaState::AtRisk);
        assert_eq!(evaluate(f, b, t(11, 1)).state, SlaState::Overdue);
        assert_eq!(evaluate(f, b, t(11, 1)).remaining_minutes, Some(-1));
    }

    #[test]
    fn lunch_break_does_not_count_toward_the_ratio() {
        let cal = WorkingCalendar::default_china();
        let f = facts(Status::InProgress, t(11, 0), t(14, 30));
        let v = evaluate(f, TimeBasis::Working(&cal), t(13, 30));
        assert_eq!(v.elapsed_ratio, Some(0.5));
    }

    #[test]
    fn a_suspended_ticket_is_paused_and_a_finished_one_met_or_breached() {
        let cal = WorkingCalendar::default_china();
        let b = TimeBasis::Working(&cal);
        let mut f = facts(Status::Suspended, t(9, 0), t(11, 0));
        f.suspended_at = Some(t(10, 0));
        assert_eq!(evaluate(f, b, t(16, 0)).state, SlaState::Paused);
        let mut done = facts(Status::Closed, t(9, 0), t(11, 0));
        done.resolved_at = Some(t(11, 0));
        assert_eq!(evaluate(done, b, t(16, 0)).state, SlaState::Met);
        done.resolved_at = Some(t(11, 1));
        assert_eq!(evaluate(done, b, t(16, 0)).state, SlaState::Breached);
    }

    #[test]
    fn a_reported_ticket_runs_the_dispatch_clock() {
        let cal = WorkingCalendar::default_china();
        let v = evaluate(
            facts(Status::Reported, t(9, 0), t(9, 30)),
            TimeBasis::Working(&cal),
            t(9, 40),
        );
        assert_eq!((v.clock, v.state), (SlaClock::Dispatch, SlaState::Overdue));
    }

    #[test]
    fn checkpoints_are_warning_due_and_each_further_limit() {
        let cal = WorkingCalendar::default_china();
        let b = TimeBasis::Working(&cal);
        let (start, due) = (t(9, 0), t(11, 0));
        assert_eq!(checkpoint(0, b, start, due, 120), t(10, 36));
        assert_eq!(checkpoint(1, b, start, due, 120), due);
        // one full limit (2 working hours) after 11:00 crosses lunch: 11–12, 13:30–14:30
        assert_eq!(checkpoint(2, b, start, due, 120), t(14, 30));
        assert_eq!(checkpoint(3, b, start, due, 120), t(16, 30));
    }

    #[test]
    fn stage_events_are_named_as_the_issue_says() {
        assert_eq!(stage_event(1), "SLA_WARNING");
        assert_eq!(stage_event(2), "SLA_OVERDUE");
        assert_eq!(stage_event(5), "ESCALATED");
    }
}

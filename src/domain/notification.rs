//! What people are emailed about, which of it they may turn off, and how retries are spaced.

use chrono::Duration;

/// The kinds of notification. The string form is stored in the outbox and in opt-outs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A ticket was dispatched (by hand or automatically) to its handler.
    Dispatched,
    /// A handler gave a ticket back: the dispatchers of its scope must re-dispatch it.
    Returned,
    /// A fix was reported: the grid's workers go and verify it.
    Resolved,
    /// Verified and closed: the reporter learns the outcome.
    Closed,
    /// A handler asked for more time: dispatchers and managers decide.
    ExtensionRequested,
    /// 督办: the handler and their supervisor are told.
    Supervised,
    /// The handle clock passed 80 %.
    SlaWarning,
    /// The deadline passed.
    SlaOverdue,
    /// A further full limit overdue.
    Escalated,
    /// The managers' morning summary.
    DailyDigest,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Dispatched,
        Kind::Returned,
        Kind::Resolved,
        Kind::Closed,
        Kind::ExtensionRequested,
        Kind::Supervised,
        Kind::SlaWarning,
        Kind::SlaOverdue,
        Kind::Escalated,
        Kind::DailyDigest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dispatched => "DISPATCHED",
            Kind::Returned => "RETURNED",
            Kind::Resolved => "RESOLVED",
            Kind::Closed => "CLOSED",
            Kind::ExtensionRequested => "EXTENSION_REQUESTED",
            Kind::Supervised => "SUPERVISED",
            Kind::SlaWarning => "SLA_WARNING",
            Kind::SlaOverdue => "SLA_OVERDUE",
            Kind::Escalated => "ESCALATED",
            Kind::DailyDigest => "DAILY_DIGEST",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The notification a ticket event causes, if any. Event kinds are those of
    /// `lifecycle::Action::event_kind`, plus the SLA sweeper's `SLA_WARNING`, `SLA_OVERDUE`
    /// and `ESCALATED`. A ticket handled on site is closed by its own reporter: nobody to tell.
    pub fn for_event(event_kind: &str) -> Option<Kind> {
        match event_kind {
            "AUTO_DISPATCHED" | "DISPATCHED" => Some(Kind::Dispatched),
            "RETURNED" => Some(Kind::Returned),
            "RESOLVED" => Some(Kind::Resolved),
            "VERIFIED" => Some(Kind::Closed),
            "EXTENSION_REQUESTED" => Some(Kind::ExtensionRequested),
            "SUPERVISED" => Some(Kind::Supervised),
            "SLA_WARNING" => Some(Kind::SlaWarning),
            "SLA_OVERDUE" => Some(Kind::SlaOverdue),
            "ESCALATED" => Some(Kind::Escalated),
            _ => None,
        }
    }

    /// A chief who is not told about a dispatch or an overdue ticket does not handle it:
    /// these two cannot be turned off.
    pub fn is_mandatory(self) -> bool {
        matches!(self, Kind::Dispatched | Kind::SlaOverdue)
    }
}

/// Outbox row states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sent,
    /// Gave up after the configured number of attempts (or a permanent refusal); an admin may retry.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Sent => "SENT",
            Status::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Pending, Status::Sent, Status::Failed]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// The stable Message-ID of outbox row `id`: a resend after a crash is recognisable as the same mail.
pub fn message_id(id: i64, domain: &str) -> String {
    format!("<notification-{id}@{domain}>")
}

/// Delay before attempt `attempts + 1`, after `attempts` failures: exponential from `base`,
/// capped at `max`, with "equal jitter" (between half and all of it, `jitter` in [0, 1]) so
/// that many rows failing together do not retry in lockstep.
pub fn backoff(attempts: i32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let base_ms = base.num_milliseconds().max(1);
    let max_ms = max.num_milliseconds().max(base_ms);
    let full = base_ms.saturating_mul(1_i64 << exponent).min(max_ms);
    let half = full / 2;
    let extra = ((full - half) as f64 * jitter.clamp(0.0, 1.0)) as i64;
    Duration::milliseconds((half + extra).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("NOPE"), None);
    }

    #[test]
    fn events_map_to_the_kinds_the_issue_names() {
        assert_eq!(Kind::for_event("AUTO_DISPATCHED"), Some(Kind::Dispatched));
        assert_eq!(Kind::for_event("VERIFIED"), Some(Kind::Closed));
        assert_eq!(Kind::for_event("ESCALATED"), Some(Kind::Escalated));
        assert_eq!(Kind::for_event("ACCEPTED"), None);
        assert_eq!(Kind::for_event("HANDLED_ON_SITE"), None);
    }

    #[test]
    fn only_dispatch_and_overdue_are_mandatory() {
        let mandatory: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.is_mandatory()).collect();
        assert_eq!(mandatory, [Kind::Dispatched, Kind::SlaOverdue]);
    }

    #[test]
    fn the_message_id_depends_only_on_the_row() {
        assert_eq!(message_id(42, "mail.test"), "<notification-42@mail.test>");
        assert_eq!(message_id(42, "mail.test"), message_id(42, "mail.test"));
    }

    #[test]
    fn backoff_doubles_until_the_cap() {
        let base = Duration::seconds(30);
        let max = Duration::hours(1);
        let full = |n| backoff(n, base, max, 1.0);
        assert_eq!(full(1), Duration::seconds(30));
        assert_eq!(full(2), Duration::seconds(60));
        assert_eq!(full(3), Duration::seconds(120));
        assert_eq!(full(20), Duration::hours(1));
        assert_eq!(full(i32::MAX), Duration::hours(1));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay() {
        let base = Duration::seconds(30);
        let max = Duration::hours(1);
        assert_eq!(backoff(3, base, max, 0.0), Duration::seconds(60));
        assert_eq!(backoff(3, base, max, 0.5), Duration::seconds(90));
        for j in [0.0, 0.1, 0.7, 1.0, 2.0, -1.0] {
            let d = backoff(4, base, max, j);
            assert!(
                d >= Duration::seconds(120) && d <= Duration::seconds(240),
                "{d}"
            );
        }
    }

    #[test]
    fn backoff_is_never_zero() {
        assert!(backoff(0, Duration::zero(), Duration::zero(), 0.0) > Duration::zero());
    }
}

//! The ticket lifecycle table of domain.md ("The loop"): which action may move a ticket from
//! which status to which, and who may perform it. Pure; the service layer enforces it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
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

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Reported,
        Status::Dispatched,
        Status::InProgress,
        Status::Returned,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
        Status::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "REPORTED",
            Status::Dispatched => "DISPATCHED",
            Status::InProgress => "IN_PROGRESS",
            Status::Returned => "RETURNED",
            Status::Resolved => "RESOLVED",
            Status::Closed => "CLOSED",
            Status::Rejected => "REJECTED",
            Status::Duplicate => "DUPLICATE",
            Status::Suspended => "SUSPENDED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Rejected and duplicate tickets never come back; closed ones only by reopening.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Rejected | Status::Duplicate)
    }

    /// Open = not closed, rejected or duplicate.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Rejected | Status::Duplicate)
    }

    /// The handle clock runs only while a handler holds the ticket.
    pub fn handle_clock_runs(self) -> bool {
        matches!(self, Status::Dispatched | Status::InProgress)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    /// A grid worker on patrol.
    Patrol,
    /// The 12345 citizen hotline, entered by a dispatcher.
    Hotline,
    Camera,
    /// A citizen report from another channel.
    Public,
    /// Handed down by a superior authority.
    Superior,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Patrol,
        Source::Hotline,
        Source::Camera,
        Source::Public,
        Source::Superior,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Patrol => "PATROL",
            Source::Hotline => "HOTLINE",
            Source::Camera => "CAMERA",
            Source::Public => "PUBLIC",
            Source::Superior => "SUPERIOR",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Grid workers report what they find on patrol; dispatchers enter every other channel.
    pub fn allowed_for(self, roles: &[Role]) -> bool {
        match self {
            Source::Patrol => {
                roles.contains(&Role::GridWorker) || roles.contains(&Role::Dispatcher)
            }
            _ => roles.contains(&Role::Dispatcher),
        }
    }
}

/// Everything that can happen to a ticket; each appends one event of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Report,
    ReportHandledOnSite,
    AutoDispatch,
    Dispatch,
    Reject,
    MarkDuplicate,
    Accept,
    Return,
    RequestExtension,
    DecideExtension,
    Resolve,
    VerifyPassed,
    VerifyFailed,
    Suspend,
    Resume,
    Reopen,
    Feedback,
    Supervise,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Report,
        Action::ReportHandledOnSite,
        Action::AutoDispatch,
        Action::Dispatch,
        Action::Reject,
        Action::MarkDuplicate,
        Action::Accept,
        Action::Return,
        Action::RequestExtension,
        Action::DecideExtension,
        Action::Resolve,
        Action::VerifyPassed,
        Action::VerifyFailed,
        Action::Suspend,
        Action::Resume,
        Action::Reopen,
        Action::Feedback,
        Action::Supervise,
    ];

    /// The event kind recorded for this action.
    pub fn event_kind(self) -> &'static str {
        match self {
            Action::Report => "REPORTED",
            Action::ReportHandledOnSite => "HANDLED_ON_SITE",
            Action::AutoDispatch => "AUTO_DISPATCHED",
            Action::Dispatch => "DISPATCHED",
            Action::Reject => "REJECTED",
            Action::MarkDuplicate => "MARKED_DUPLICATE",
            Action::Accept => "ACCEPTED",
            Action::Return => "RETURNED",
            Action::RequestExtension => "EXTENSION_REQUESTED",
            Action::DecideExtension => "EXTENSION_DECIDED",
            Action::Resolve => "RESOLVED",
            Action::VerifyPassed => "VERIFIED",
            Action::VerifyFailed => "VERIFY_FAILED",
            Action::Suspend => "SUSPENDED",
            Action::Resume => "RESUMED",
            Action::Reopen => "REOPENED",
            Action::Feedback => "FEEDBACK",
            Action::Supervise => "SUPERVISED",
        }
    }

    /// The statuses the action may start from; empty for creation actions.
    pub fn allowed_from(self) -> &'static [Status] {
        use Status::*;
        const OPEN: &[Status] = &[
            Reported, Dispatched, InProgress, Returned, Resolved, Suspended,
        ];
        match self {
            Action::Report | Action::ReportHandledOnSite => &[],
            Action::AutoDispatch => &[Reported],
            Action::Dispatch | Action::Reject => &[Reported, Returned],
            Action::MarkDuplicate => &[Reported, Returned, Dispatched],
            Action::Accept => &[Dispatched],
            Action::Return | Action::RequestExtension | Action::Resolve | Action::Suspend => {
                &[Dispatched, InProgress]
            }
            Action::DecideExtension => &[Dispatched, InProgress, Suspended],
            Action::VerifyPassed | Action::VerifyFailed => &[Resolved],
            Action::Resume => &[Suspended],
            Action::Reopen | Action::Feedback => &[Closed],
            Action::Supervise => OPEN,
        }
    }

    /// Where the action leads; `None` = the status is unchanged.
    pub fn target(self) -> Option<Status> {
        match self {
            Action::Report => Some(Status::Reported),
            Action::ReportHandledOnSite => Some(Status::Closed),
            Action::AutoDispatch | Action::Dispatch => Some(Status::Dispatched),
            Action::Reject => Some(Status::Rejected),
            Action::MarkDuplicate => Some(Status::Duplicate),
            Action::Accept => Some(Status::InProgress),
            Action::Return => Some(Status::Returned),
            Action::Resolve => Some(Status::Resolved),
            Action::VerifyPassed => Some(Status::Closed),
            Action::VerifyFailed | Action::Resume | Action::Reopen => Some(Status::InProgress),
            Action::Suspend => Some(Status::Suspended),
            Action::RequestExtension
            | Action::DecideExtension
            | Action::Feedback
            | Action::Supervise => None,
        }
    }
}

/// How the acting person relates to the ticket; the table's "who" column depends on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Relation {
    /// The ticket's current assignee.
    pub is_assignee: bool,
    /// A grid worker of the ticket's grid.
    pub works_the_grid: bool,
    /// Who reported the ticket.
    pub is_reporter: bool,
    /// The ticket lies inside the person's scope.
    pub in_scope: bool,
}

/// Whether someone holding `roles`, related to the ticket as `rel`, may perform `action`.
/// The system itself (auto-dispatch, sweeper) is not a person and is checked elsewhere.
pub fn permitted(action: Action, roles: &[Role], rel: Relation) -> bool {
    let has = |r: Role| roles.contains(&r);
    let scoped = |r: Role| has(r) && rel.in_scope;
    match action {
        Action::Report => has(Role::GridWorker) || scoped(Role::Dispatcher),
        Action::ReportHandledOnSite => has(Role::GridWorker),
        Action::AutoDispatch => false,
        Action::Dispatch | Action::Reject | Action::MarkDuplicate => scoped(Role::Dispatcher),
        Action::Accept | Action::Return | Action::RequestExtension | Action::Resolve => {
            rel.is_assignee
        }
        Action::DecideExtension | Action::Reopen => {
            scoped(Role::Dispatcher) || scoped(Role::Manager)
        }
        Action::VerifyPassed | Action::VerifyFailed => {
            (has(Role::GridWorker) && rel.works_the_grid) || scoped(Role::Dispatcher)
        }
        Action::Suspend | Action::Resume | Action::Supervise => scoped(Role::Manager),
        Action::Feedback => rel.is_reporter || scoped(Role::Dispatcher),
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{action:?} is not allowed for this person on this ticket")]
    NotPermitted { action: Action },
    #[error("cannot {action:?} a ticket that is {from}")]
    WrongStatus { action: Action, from: Status },
}

/// Checks permission first (FORBIDDEN), then status (BAD_USER_INPUT); returns the new status.
pub fn check(
    action: Action,
    from: Status,
    roles: &[Role],
    rel: Relation,
) -> Result<Status, TransitionError> {
    if !permitted(action, roles, rel) {
        return Err(TransitionError::NotPermitted { action });
    }
    check_status(action, from)
}

/// The status half of `check`, for actions the system performs.
pub fn check_status(action: Action, from: Status) -> Result<Status, TransitionError> {
    if !action.allowed_from().contains(&from) {
        return Err(TransitionError::WrongStatus { action, from });
    }
    Ok(action.target().unwrap_or(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn everyone() -> Relation {
        Relation {
            is_assignee: true,
            works_the_grid: true,
            is_reporter: true,
            in_scope: true,
        }
    }

    #[test]
    fn every_status_parses_back_from_its_name() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_dispatcher_dispatches_a_reported_ticket() {
        let to = check(
            Action::Dispatch,
            Status::Reported,
            &[Role::Dispatcher],
            everyone(),
        );
        assert_eq!(to, Ok(Status::Dispatched));
    }

    #[test]
    fn a_dispatcher_outside_scope_may_not_dispatch() {
        let rel = Relation {
            in_scope: false,
            ..everyone()
        };
        let err = check(Action::Dispatch, Status::Reported, &[Role::Dispatcher], rel);
        assert!(matches!(err, Err(TransitionError::NotPermitted { .. })));
    }

    #[test]
    fn only_the_assignee_accepts() {
        let not_assignee = Relation {
            is_assignee: false,
            ..everyone()
        };
        assert!(!permitted(Action::Accept, &[Role::LaneChief], not_assignee));
        assert!(permitted(Action::Accept, &[Role::LaneChief], everyone()));
    }

    #[test]
    fn a_closed_ticket_cannot_be_resolved() {
        let err = check(
            Action::Resolve,
            Status::Closed,
            &[Role::LaneChief],
            everyone(),
        );
        assert_eq!(
            err,
            Err(TransitionError::WrongStatus {
                action: Action::Resolve,
                from: Status::Closed
            })
        );
    }

    #[test]
    fn failed_verification_sends_the_ticket_back_to_work() {
        assert_eq!(
            check_status(Action::VerifyFailed, Status::Resolved),
            Ok(Status::InProgress)
        );
    }

    #[test]
    fn extension_and_supervision_leave_the_status_unchanged() {
        assert_eq!(
            check_status(Action::RequestExtension, Status::InProgress),
            Ok(Status::InProgress)
        );
        assert_eq!(
            check_status(Action::Supervise, Status::Suspended),
            Ok(Status::Suspended)
        );
    }

    #[test]
    fn terminal_statuses_allow_no_action() {
        for action in Action::ALL {
            for from in [Status::Rejected, Status::Duplicate] {
                assert!(
                    check_status(action, from).is_err(),
                    "{action:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn a_grid_worker_verifies_only_in_their_own_grid() {
        let elsewhere = Relation {
            works_the_grid: false,
            ..everyone()
        };
        assert!(!permitted(
            Action::VerifyPassed,
            &[Role::GridWorker],
            elsewhere
        ));
        assert!(permitted(
            Action::VerifyPassed,
            &[Role::GridWorker],
            everyone()
        ));
    }

    #[test]
    fn nobody_may_auto_dispatch_by_hand() {
        for role in Role::ALL {
            assert!(!permitted(Action::AutoDispatch, &[role], everyone()));
        }
    }
}

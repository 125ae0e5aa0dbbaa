//! The paths a seeded ticket takes through the loop after it is reported, chosen by a roll and cut
//! off at the end of the seeded period (so recent tickets are still open and old ones mostly closed).

use chrono::Duration;
use serde_json::json;

use crate::domain::lifecycle::{Action, Status};
use crate::entity::feedback;

use super::story::Story;
use super::tickets::Rng;

/// Per-mille bands of the roll that decide a ticket's path.
pub mod band {
    pub const DUPLICATE: u64 = 40;
    pub const ON_SITE: u64 = 70;
    pub const RETURN: u64 = 110;
    pub const SUSPEND: u64 = 140;
    pub const SUPERVISE: u64 = 200;
    pub const STUCK: u64 = 205;
    pub const REWORK: u64 = 285;
}

/// Who acts on the ticket besides its handler.
pub struct Cast {
    pub dispatcher: i64,
    pub manager: i64,
    /// The grid worker who verifies (the dispatcher when the grid has none).
    pub verifier: i64,
    /// Someone else to hand the ticket to when its handler returns it or it was never routed.
    pub other_handler: Option<i64>,
}

/// What came out of a walk besides the story itself.
#[derive(Default)]
pub struct Extras {
    pub feedback: Option<feedback::Model>,
}

/// Walks a freshly reported ticket (REPORTED or auto-DISPATCHED) as far as `roll` and time allow.
pub fn walk(
    s: &mut Story<'_>,
    roll: u64,
    original: Option<(i64, &str)>,
    cast: &Cast,
    rng: &mut Rng,
) -> Extras {
    if roll < band::DUPLICATE
        && let Some((id, number)) = original
    {
        if s.step(10 + rng.below(50) as i64) {
            s.act(
                Action::MarkDuplicate,
                Some(cast.dispatcher),
                None,
                json!({"original": number}),
            );
            s.t.duplicate_of_id = Some(id);
            s.t.due_at = None;
            s.t.assignee_id = None;
        }
        return Extras::default();
    }
    if s.status() == Status::Reported && !dispatch_by_hand(s, cast, rng) {
        return Extras::default();
    }
    if (band::ON_SITE..band::RETURN).contains(&roll) {
        if !s.step(10 + rng.below(50) as i64) {
            return Extras::default();
        }
        let by = s.t.assignee_id;
        s.act(
            Action::Return,
            by,
            Some("不属于本巷"),
            json!({"returnedBy": by}),
        );
        s.t.assignee_id = None;
        s.t.due_at = None;
        s.t.accepted_at = None;
        s.t.return_count += 1;
        s.t.sla_stage = 0;
        s.t.awaiting_dispatch_since = Some(s.now);
        s.t.dispatch_due_at = Some(
            s.category
                .after(s.now, s.category.model.dispatch_limit_minutes),
        );
        if !dispatch_by_hand(s, cast, rng) {
            return Extras::default();
        }
    }
    handle(s, roll, cast, rng)
}

/// A dispatcher deals with a ticket waiting for dispatch: mostly to someone, sometimes rejected,
/// sometimes left waiting. True when it ends up dispatched.
fn dispatch_by_hand(s: &mut Story<'_>, cast: &Cast, rng: &mut Rng) -> bool {
    let choice = rng.below(10);
    if choice == 9 || !s.step(20 + rng.below(100) as i64) {
        return false;
    }
    let routed = s.t.routed_handler_id.filter(|_| s.t.return_count == 0);
    match routed.or(cast.other_handler) {
        Some(assignee) if choice < 7 => {
            s.act(
                Action::Dispatch,
                Some(cast.dispatcher),
                None,
                json!({"assignee": assignee, "routed": routed.is_some()}),
            );
            s.start_handling(assignee);
            true
        }
        _ => {
            s.act(
                Action::Reject,
                Some(cast.dispatcher),
                Some("不属于城管事件"),
                serde_json::Value::Null,
            );
            s.t.due_at = None;
            s.t.assignee_id = None;
            false
        }
    }
}

/// The handler's part and what follows: accept, perhaps suspension or supervision, resolve,
/// verify (failing once for some), feedback.
fn handle(s: &mut Story<'_>, roll: u64, cast: &Cast, rng: &mut Rng) -> Extras {
    let Some(assignee) = s.t.assignee_id else {
        return Extras::default();
    };
    if !s.step(5 + rng.below(55) as i64) {
        return Extras::default();
    }
    s.act(
        Action::Accept,
        Some(assignee),
        None,
        serde_json::Value::Null,
    );
    s.t.accepted_at = Some(s.now);
    if (band::RETURN..band::SUSPEND).contains(&roll) {
        if s.step(30 + rng.below(210) as i64) {
            s.act(
                Action::Suspend,
                Some(cast.manager),
                Some("等待相关部门配合"),
                serde_json::Value::Null,
            );
            s.t.suspended_at = Some(s.now);
        }
        return Extras::default();
    }
    if (band::SUSPEND..band::SUPERVISE).contains(&roll) {
        if !s.step(30 + rng.below(90) as i64) {
            return Extras::default();
        }
        let level = s.t.escalation_level + 1;
        s.act(
            Action::Supervise,
            Some(cast.manager),
            Some("请加快处置"),
            json!({"escalationLevel": level}),
        );
        s.t.escalation_level = level;
    }
    if (band::SUPERVISE..band::STUCK).contains(&roll) {
        return Extras::default();
    }
    if !resolve(s, assignee, "已处置完毕", rng) || !s.step(30 + rng.below(210) as i64) {
        return Extras::default();
    }
    if (band::STUCK..band::REWORK).contains(&roll) {
        s.act(
            Action::VerifyFailed,
            Some(cast.verifier),
            Some("仍有残留"),
            serde_json::Value::Null,
        );
        s.t.rework_count += 1;
        if !s.step(60 + rng.below(180) as i64)
            || !resolve(s, assignee, "再次处置", rng)
            || !s.step(30 + rng.below(150) as i64)
        {
            return Extras::default();
        }
    }
    s.act(
        Action::VerifyPassed,
        Some(cast.verifier),
        None,
        serde_json::Value::Null,
    );
    s.t.closed_at = Some(s.now);
    if rng.below(10) >= 3 || !s.step(24 * 60 + rng.below(600) as i64) {
        return Extras::default();
    }
    let score = match rng.below(100) {
        0..40 => 5,
        40..75 => 4,
        75..90 => 3,
        90..97 => 2,
        _ => 1,
    };
    s.act(
        Action::Feedback,
        Some(cast.dispatcher),
        Some("回访"),
        json!({"score": score}),
    );
    s.t.feedback_score = Some(score);
    Extras {
        feedback: Some(feedback::Model {
            id: 0,
            ticket_id: s.t.id,
            score,
            comment: Some("回访".into()),
            given_by: cast.dispatcher,
            at: s.now,
        }),
    }
}

/// The fix, some share of the handle limit after dispatch (a few take longer than the limit).
fn resolve(s: &mut Story<'_>, assignee: i64, note: &str, rng: &mut Rng) -> bool {
    let (Some(dispatched), Some(due)) = (s.t.dispatched_at, s.t.due_at) else {
        return false;
    };
    let span = (due - dispatched).num_minutes().max(10);
    let share = 10 + rng.below(130) as i64;
    let at = (dispatched + Duration::minutes(span * share / 100)).max(s.now + Duration::minutes(5));
    if !s.step_to(at) {
        return false;
    }
    s.act(
        Action::Resolve,
        Some(assignee),
        Some(note),
        json!({"photos": [], "fakeFixReasons": []}),
    );
    s.t.resolved_at = Some(s.now);
    s.t.first_resolved_at = Some(s.t.first_resolved_at.unwrap_or(s.now));
    s.t.verify_due_at = Some(
        s.category
            .after(s.now, s.category.model.verify_limit_minutes),
    );
    s.t.resolve_working_minutes = Some(s.category.basis().elapsed(dispatched, s.now).num_minutes());
    true
}

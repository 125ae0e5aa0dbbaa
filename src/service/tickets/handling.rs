//! Dispatching, handling and verifying: the main path of the loop.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::domain::lifecycle::{Action, Status};
use crate::domain::role::Role;
use crate::entity::{app_user, category, ticket, user_role};
use crate::service::actor::Actor;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::evidence::{self, NewPhoto};
use crate::service::{tx, validate};
use crate::state::AppState;

use super::deadline;
use super::engine::{
    self, EventRecord, Target, apply_in, authorize, change, commit, load, status_of,
};

async fn category_of(state: &AppState, t: &ticket::Model) -> ServiceResult<category::Model> {
    category::Entity::find_by_id(t.category_code.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("ticket {} has no category", t.number)))
}

fn note(field: &str, text: Option<&str>, required: bool) -> ServiceResult<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(validate::required_text(field, t, 2000)?)),
        None if required => Err(ServiceError::invalid(field, "must not be empty")),
        None => Ok(None),
    }
}

/// The user a ticket may be dispatched to: an enabled lane or street chief.
async fn assignable(state: &AppState, user_id: i64) -> ServiceResult<app_user::Model> {
    let user = app_user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| ServiceError::invalid("assignee", "no such enabled user"))?;
    let chief = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(
            user_role::Column::Role.is_in([Role::LaneChief.as_str(), Role::StreetChief.as_str()]),
        )
        .one(&state.db)
        .await?;
    if chief.is_none() {
        return Err(ServiceError::invalid(
            "assignee",
            "must be a lane or street chief",
        ));
    }
    Ok(user)
}

/// Dispatches to the chosen handler, or to the routed one; starts the handle clock with a full limit.
pub async fn dispatch(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    assignee: Option<i64>,
    text: Option<&str>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Dispatch).await?;
    let note = note("note", text, false)?;
    let target = assignee.or(t.routed_handler_id).ok_or_else(|| {
        ServiceError::invalid(
            "assignee",
            "the ticket has no routed handler; choose an assignee",
        )
    })?;
    let user = assignable(state, target).await?;
    let category = category_of(state, &t).await?;
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    a.assignee_id = Set(Some(user.id));
    a.dispatched_at = Set(Some(now));
    a.first_dispatched_at = Set(Some(t.first_dispatched_at.unwrap_or(now)));
    a.accepted_at = Set(None);
    let due = deadline::after(
        state,
        &category,
        now,
        i64::from(category.handle_limit_minutes),
    );
    a.due_at = Set(Some(due));
    a.sla_stage = Set(0);
    let event = EventRecord::new(Action::Dispatch, Some(status_of(&t)?), Some(to))
        .note(note)
        .data(json!({"assignee": user.id, "routed": assignee.is_none(), "dueAt": due}));
    commit(state, &actor, &t, a, vec![event]).await
}

/// The assignee takes the ticket on.
pub async fn accept(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Accept).await?;
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    a.accepted_at = Set(Some(now));
    commit(
        state,
        &actor,
        &t,
        a,
        vec![EventRecord::new(
            Action::Accept,
            Some(status_of(&t)?),
            Some(to),
        )],
    )
    .await
}

/// 退回 "not mine": the clock stops; a later dispatch starts a full limit for the next handler.
pub async fn return_ticket(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    reason: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Return).await?;
    let reason = note("reason", Some(reason), true)?;
    let mut a = change(&t, to, state.clock.now());
    let category = category_of(state, &t).await?;
    let now = state.clock.now();
    a.assignee_id = Set(None);
    a.due_at = Set(None);
    a.accepted_at = Set(None);
    a.return_count = Set(t.return_count + 1);
    a.sla_stage = Set(0);
    a.awaiting_dispatch_since = Set(Some(now));
    a.dispatch_due_at = Set(Some(deadline::after(
        state,
        &category,
        now,
        i64::from(category.dispatch_limit_minutes),
    )));
    let event = EventRecord::new(Action::Return, Some(status_of(&t)?), Some(to))
        .note(reason)
        .data(json!({"returnedBy": t.assignee_id}));
    commit(state, &actor, &t, a, vec![event]).await
}

/// 处置反馈: the fix with at least one AFTER photo; suspicious photos flag the ticket.
pub async fn resolve(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    text: &str,
    photos: Vec<NewPhoto>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Resolve).await?;
    let note = note("note", Some(text), true)?;
    if photos.is_empty() {
        return Err(ServiceError::invalid(
            "photos",
            "resolving needs at least one AFTER photo",
        ));
    }
    let stored = evidence::store(&state.settings.evidence, "photos", photos).await?;
    let category = category_of(state, &t).await?;
    let now = state.clock.now();
    let reasons = evidence::fake_fix_reasons(&state.db, &t, &stored).await?;
    let mut a = change(&t, to, now);
    a.resolved_at = Set(Some(now));
    a.first_resolved_at = Set(Some(t.first_resolved_at.unwrap_or(now)));
    a.verify_due_at = Set(Some(deadline::after(
        state,
        &category,
        now,
        i64::from(category.verify_limit_minutes),
    )));
    let working = t
        .dispatched_at
        .map(|d| deadline::minutes_between(state, &category, d, now));
    a.resolve_working_minutes = Set(working);
    if !reasons.is_empty() {
        a.fake_fix_suspected = Set(true);
        let mut all: Vec<String> = t.fake_fix_reasons.iter().cloned().collect();
        all.extend(reasons.iter().cloned());
        a.fake_fix_reasons = Set(Some(all.join("\n")));
    }
    let event = EventRecord::new(Action::Resolve, Some(status_of(&t)?), Some(to))
        .note(note)
        .data(json!({"photos": stored.iter().map(|p| p.sha256.clone()).collect::<Vec<_>>(), "fakeFixReasons": reasons, "workingMinutes": working}));
    let actor_id = actor.user_id().unwrap_or(t.reporter_id);
    let txn = tx::begin_write(&state.db).await?;
    let after = apply_in(
        state,
        &txn,
        &t,
        a,
        std::slice::from_ref(&event),
        actor.user_id(),
        now,
    )
    .await?;
    let event_id = last_event_id(&txn, &after).await?;
    evidence::attach(&txn, t.id, event_id, "AFTER", actor_id, &stored, now).await?;
    engine::finish(state, txn, &t, after, &[event], actor.user_id()).await
}

async fn last_event_id(
    db: &impl sea_orm::ConnectionTrait,
    t: &ticket::Model,
) -> ServiceResult<Option<i64>> {
    use crate::entity::ticket_event;
    Ok(ticket_event::Entity::find()
        .filter(ticket_event::Column::TicketId.eq(t.id))
        .filter(ticket_event::Column::Seq.eq(t.version))
        .one(db)
        .await?
        .map(|e| e.id))
}

/// 核查: passed closes the ticket; failed sends it back to work (返工) without moving dueAt.
pub async fn verify(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    passed: bool,
    text: Option<&str>,
    photos: Vec<NewPhoto>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let action = if passed {
        Action::VerifyPassed
    } else {
        Action::VerifyFailed
    };
    let to = authorize(state, &actor, &t, action).await?;
    let note = note("note", text, !passed)?;
    let stored = evidence::store(&state.settings.evidence, "photos", photos).await?;
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    if passed {
        a.closed_at = Set(Some(now));
    } else {
        a.rework_count = Set(t.rework_count + 1);
    }
    let event = EventRecord::new(action, Some(status_of(&t)?), Some(to)).note(note);
    let txn = tx::begin_write(&state.db).await?;
    let after = apply_in(
        state,
        &txn,
        &t,
        a,
        std::slice::from_ref(&event),
        actor.user_id(),
        now,
    )
    .await?;
    let event_id = last_event_id(&txn, &after).await?;
    evidence::attach(
        &txn,
        t.id,
        event_id,
        "VERIFY",
        actor.user_id().unwrap_or(t.reporter_id),
        &stored,
        now,
    )
    .await?;
    engine::finish(state, txn, &t, after, &[event], actor.user_id()).await
}

/// 不予立案: terminal.
pub async fn reject(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    reason: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Reject).await?;
    let reason = note("reason", Some(reason), true)?;
    let mut a = change(&t, to, state.clock.now());
    a.due_at = Set(None);
    a.assignee_id = Set(None);
    commit(
        state,
        &actor,
        &t,
        a,
        vec![EventRecord::new(Action::Reject, Some(status_of(&t)?), Some(to)).note(reason)],
    )
    .await
}

/// Marks a ticket as a duplicate of an earlier one (the first report counts); terminal.
pub async fn mark_duplicate(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    original_number: &str,
    text: Option<&str>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::MarkDuplicate).await?;
    let original = load(&state.db, original_number)
        .await
        .map_err(|_| ServiceError::invalid("originalNumber", "no such ticket"))?;
    if !engine::visible(&actor, &original) {
        return Err(ServiceError::forbidden(
            "the original ticket is outside your scope",
        ));
    }
    if original.id == t.id {
        return Err(ServiceError::invalid(
            "originalNumber",
            "a ticket cannot duplicate itself",
        ));
    }
    let original_status = status_of(&original)?;
    if matches!(original_status, Status::Duplicate | Status::Rejected) {
        return Err(ServiceError::invalid(
            "originalNumber",
            format!("the original is {original_status}; point at the ticket it duplicates"),
        ));
    }
    let note = note("note", text, false)?;
    let mut a = change(&t, to, state.clock.now());
    a.duplicate_of_id = Set(Some(original.id));
    a.due_at = Set(None);
    a.assignee_id = Set(None);
    let event = EventRecord::new(Action::MarkDuplicate, Some(status_of(&t)?), Some(to))
        .note(note)
        .data(json!({"original": original.number}));
    commit(state, &actor, &t, a, vec![event]).await
}

//! Extensions, suspension, reopening, supervision and feedback.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::domain::lifecycle::Action;
use crate::entity::{category, extension_request, feedback, ticket};
use crate::service::actor::Actor;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::{tx, validate};
use crate::state::AppState;

use super::deadline;
use super::engine::{self, EventRecord, Target, apply_in, authorize, change, commit, status_of};

/// Longest extension one request may ask for.
pub const MAX_EXTENSION_MINUTES: i32 = 30 * 24 * 60;

fn required(field: &str, text: &str) -> ServiceResult<String> {
    validate::required_text(field, text, 2000)
}

async fn category_of(state: &AppState, t: &ticket::Model) -> ServiceResult<category::Model> {
    category::Entity::find_by_id(t.category_code.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("ticket {} has no category", t.number)))
}

pub async fn pending_extension(
    state: &AppState,
    ticket_id: i64,
) -> ServiceResult<Option<extension_request::Model>> {
    Ok(extension_request::Entity::find()
        .filter(extension_request::Column::TicketId.eq(ticket_id))
        .filter(extension_request::Column::Status.eq("PENDING"))
        .order_by_desc(extension_request::Column::Id)
        .one(&state.db)
        .await?)
}

/// The assignee asks for more time; one pending request at a time.
pub async fn request_extension(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    minutes: i32,
    reason: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::RequestExtension).await?;
    if !(1..=MAX_EXTENSION_MINUTES).contains(&minutes) {
        return Err(ServiceError::invalid(
            "minutes",
            format!("must be between 1 and {MAX_EXTENSION_MINUTES}"),
        ));
    }
    let reason = required("reason", reason)?;
    if pending_extension(state, t.id).await?.is_some() {
        return Err(ServiceError::invalid(
            "number",
            "an extension request is already pending",
        ));
    }
    let now = state.clock.now();
    let event = EventRecord::new(Action::RequestExtension, Some(status_of(&t)?), Some(to))
        .note(Some(reason.clone()))
        .data(json!({"minutes": minutes}));
    let txn = tx::begin_write(&state.db).await?;
    let after = apply_in(
        state,
        &txn,
        &t,
        change(&t, to, now),
        std::slice::from_ref(&event),
        actor.user_id(),
        now,
    )
    .await?;
    extension_request::ActiveModel {
        ticket_id: Set(t.id),
        requested_by: Set(actor.user_id().unwrap_or(t.reporter_id)),
        minutes: Set(minutes),
        reason: Set(reason),
        status: Set("PENDING".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    engine::finish(state, txn, &t, after, &[event], actor.user_id()).await
}

/// A dispatcher or manager approves (dueAt moves later in the category's calendar) or rejects.
pub async fn decide_extension(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    approved: bool,
    text: Option<&str>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::DecideExtension).await?;
    let request = pending_extension(state, t.id)
        .await?
        .ok_or_else(|| ServiceError::invalid("number", "no extension request is pending"))?;
    let note = text
        .map(|n| validate::optional_text("note", n, 2000))
        .transpose()?;
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    let mut due = t.due_at;
    if approved {
        let category = category_of(state, &t).await?;
        due = t
            .due_at
            .map(|d| deadline::after(state, &category, d, i64::from(request.minutes)));
        a.due_at = Set(due);
        a.extension_count = Set(t.extension_count + 1);
    }
    let event = EventRecord::new(Action::DecideExtension, Some(status_of(&t)?), Some(to))
        .note(note.clone())
        .data(json!({"approved": approved, "minutes": request.minutes, "dueAt": due}));
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
    let mut decided: extension_request::ActiveModel = request.into();
    decided.status = Set(if approved { "APPROVED" } else { "REJECTED" }.into());
    decided.decided_by = Set(actor.user_id());
    decided.decided_at = Set(Some(now));
    decided.decision_note = Set(note.filter(|n| !n.is_empty()));
    decided.update(&txn).await?;
    engine::finish(state, txn, &t, after, &[event], actor.user_id()).await
}

/// 挂账: the clock pauses.
pub async fn suspend(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    reason: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Suspend).await?;
    let reason = required("reason", reason)?;
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    a.suspended_at = Set(Some(now));
    commit(
        state,
        &actor,
        &t,
        a,
        vec![EventRecord::new(Action::Suspend, Some(status_of(&t)?), Some(to)).note(Some(reason))],
    )
    .await
}

/// Back to work; dueAt moves later by the time suspended (counted in the category's calendar).
pub async fn resume(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    text: Option<&str>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Resume).await?;
    let note = text
        .map(|n| validate::optional_text("note", n, 2000))
        .transpose()?;
    let category = category_of(state, &t).await?;
    let now = state.clock.now();
    let paused = t
        .suspended_at
        .map_or(0, |s| deadline::minutes_between(state, &category, s, now));
    let mut a = change(&t, to, now);
    a.suspended_at = Set(None);
    let due = t
        .due_at
        .map(|d| deadline::after(state, &category, d, paused));
    a.due_at = Set(due);
    let event = EventRecord::new(Action::Resume, Some(status_of(&t)?), Some(to))
        .note(note)
        .data(json!({"pausedMinutes": paused, "dueAt": due}));
    commit(state, &actor, &t, a, vec![event]).await
}

/// A closed ticket goes back to work, e.g. when the citizen was not satisfied.
pub async fn reopen(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    reason: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Reopen).await?;
    let reason = required("reason", reason)?;
    let mut a = change(&t, to, state.clock.now());
    a.closed_at = Set(None);
    commit(
        state,
        &actor,
        &t,
        a,
        vec![EventRecord::new(Action::Reopen, Some(status_of(&t)?), Some(to)).note(Some(reason))],
    )
    .await
}

/// 督办: escalation level + 1.
pub async fn supervise(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    text: &str,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Supervise).await?;
    let note = required("note", text)?;
    let mut a = change(&t, to, state.clock.now());
    a.escalation_level = Set(t.escalation_level + 1);
    let event = EventRecord::new(Action::Supervise, Some(status_of(&t)?), Some(to))
        .note(Some(note))
        .data(json!({"escalationLevel": t.escalation_level + 1}));
    commit(state, &actor, &t, a, vec![event]).await
}

/// 回访: a 1–5 score on a closed ticket; ≥ 4 counts as satisfied.
pub async fn feedback(
    state: &AppState,
    actor: Actor<'_>,
    target: &Target,
    score: i32,
    comment: Option<&str>,
) -> ServiceResult<ticket::Model> {
    let t = target.load(&state.db).await?;
    let to = authorize(state, &actor, &t, Action::Feedback).await?;
    if !(1..=5).contains(&score) {
        return Err(ServiceError::invalid("score", "must be between 1 and 5"));
    }
    let comment = comment
        .map(|c| validate::optional_text("comment", c, 2000))
        .transpose()?
        .filter(|c| !c.is_empty());
    let now = state.clock.now();
    let mut a = change(&t, to, now);
    a.feedback_score = Set(Some(score));
    let event = EventRecord::new(Action::Feedback, Some(status_of(&t)?), Some(to))
        .note(comment.clone())
        .data(json!({"score": score}));
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
    feedback::ActiveModel {
        ticket_id: Set(t.id),
        score: Set(score),
        comment: Set(comment),
        given_by: Set(actor.user_id().unwrap_or(t.reporter_id)),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    engine::finish(state, txn, &t, after, &[event], actor.user_id()).await
}

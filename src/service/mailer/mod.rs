//! The outbox worker: a background task that sends due rows, retries failures and queues the
//! managers' daily digest. Several gridloop processes may run it on one database.

pub mod outbox;
pub mod transport;

use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::notification::Status;
use crate::service::error::ServiceResult;
use crate::service::notify::digest;
use crate::state::AppState;

pub use outbox::{claim_due, mark_failed, mark_sent};
pub use transport::{Mailer, SendFailure};

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Claims one batch of due rows, sends each and records the outcome.
pub async fn run_once(state: &AppState, mailer: &Mailer) -> ServiceResult<Round> {
    let batch = claim_due(state, state.settings.notify.batch_size).await?;
    let mut round = Round::default();
    for row in &batch {
        match mailer.send(row).await {
            Ok(()) => {
                mark_sent(state, row).await?;
                tracing::info!(notification = row.id, kind = %row.kind, "mail sent");
                round.sent += 1;
            }
            Err(failure) => {
                let status = mark_failed(state, row, &failure).await?;
                tracing::warn!(
                    notification = row.id,
                    kind = %row.kind,
                    attempts = row.attempts + 1,
                    permanent = failure.permanent,
                    error = %failure.reason,
                    "mail not sent"
                );
                if status == Status::Failed {
                    round.failed += 1;
                } else {
                    round.retrying += 1;
                }
            }
        }
    }
    Ok(round)
}

/// Starts the worker; it stops when `shutdown` turns true (after the mail in hand).
pub fn spawn(state: AppState, mailer: Mailer, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(state, mailer, shutdown))
}

async fn run(state: AppState, mailer: Mailer, mut shutdown: watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.settings.notify.poll_interval_ms);
    let mut digest_done: Option<NaiveDate> = None;
    tracing::info!(mailer = ?mailer, "outbox worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(err) = daily_digest(&state, &mut digest_done).await {
            tracing::warn!(error = %err, "daily digest not queued; will retry");
        }
        let busy = match run_once(&state, &mailer).await {
            Ok(round) => round.claimed() > 0,
            Err(err) => {
                tracing::warn!(error = %err, "outbox round failed; will retry");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    tracing::info!("outbox worker stopped");
}

/// Queues today's digest once the configured local time has passed (idempotent in the database;
/// `done` only saves the queries once today's is queued).
async fn daily_digest(state: &AppState, done: &mut Option<NaiveDate>) -> ServiceResult<()> {
    let settings = &state.settings.notify;
    if !settings.digest_enabled {
        return Ok(());
    }
    let Some(today) = digest::due_day(
        state.clock.now(),
        state
            .calendars
            .get(crate::service::calendars::DEFAULT_CALENDAR)
            .timezone,
        settings.digest_time,
    ) else {
        return Ok(());
    };
    if *done == Some(today) {
        return Ok(());
    }
    let queued = digest::enqueue_daily(state, today).await?;
    if queued > 0 {
        tracing::info!(day = %today, queued, "daily digest queued");
    }
    *done = Some(today);
    Ok(())
}

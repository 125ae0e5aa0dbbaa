//! Background workers (the SLA sweeper): periodic tasks that call services and stop with the server.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Runs `tick` every `interval` until `stop` turns true; errors are logged and the next tick retries.
pub fn spawn_periodic<F, Fut>(
    name: &'static str,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut tick: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<usize, String>> + Send,
{
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = timer.tick() => {
                    match tick().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(worker = name, done = n, "worker pass"),
                        Err(e) => tracing::warn!(worker = name, error = %e, "worker pass failed; retrying next tick"),
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        tracing::info!(worker = name, "stopping");
                        return;
                    }
                }
            }
        }
    })
}

/// Starts every background worker the settings enable.
pub fn start(state: &AppState, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    let every = state.settings.workers.sla_sweep_interval_ms;
    if every > 0 {
        let s = state.clone();
        handles.push(spawn_periodic(
            "sla-sweeper",
            Duration::from_millis(every),
            stop,
            move || {
                let s = s.clone();
                async move {
                    crate::service::sla::sweep_once(&s)
                        .await
                        .map_err(|e| e.to_string())
                }
            },
        ));
    }
    handles
}

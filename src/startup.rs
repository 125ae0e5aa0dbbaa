//! Building and running the service: connect, migrate, bind, serve until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::http::{self, HttpState};
use crate::service::calendars::CalendarStore;
use crate::service::mailer::{self, Mailer};
use crate::service::routing::RoutingHandle;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("demo data: {0}")]
    Demo(String),
    #[error("routing index: {0}")]
    Routing(String),
    #[error("mail: {0}")]
    Mail(String),
    #[error("statistics rollups: {0}")]
    Statistics(String),
}

/// How long shutdown waits for the outbox worker to finish the mail in hand. A row it abandons
/// keeps its lease and is sent again later with the same Message-ID.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A bound, ready-to-run service. Bind to port 0 to get a free port (tests).
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    /// The outbox sender, when this process runs the worker.
    mailer: Option<Mailer>,
}

impl Application {
    /// Connects, migrates and binds with the wall clock.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Same as `build`, with an injected clock (tests move time by hand).
    pub async fn build_with_clock(
        settings: Settings,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        let state = prepare(settings, clock).await?;
        let mailer = if state.settings.notify.worker {
            let m = Mailer::from_settings(&state.settings.smtp, &state.settings.notify)
                .map_err(|e| StartupError::Mail(e.to_string()))?;
            Some(m)
        } else {
            None
        };
        let addr = state.settings.bind;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            listener,
            address,
            state,
            mailer,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The shared state, e.g. for tests that inspect the database.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves (and runs the outbox worker) until `signal` completes.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (stop, stopped) = watch::channel(false);
        let worker = self
            .mailer
            .map(|m| mailer::spawn(self.state.clone(), m, stopped.clone()));
        let workers = crate::workers::start(&self.state, stopped);
        let schema = crate::graphql::schema_builder().finish();
        let router = http::router(HttpState {
            app: self.state,
            schema,
        });
        tracing::info!(address = %self.address, "gridloop listening");
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            let _ = stop.send(true);
        })
        .await
        .map_err(StartupError::Serve);
        for w in workers {
            let _ = w.await;
        }
        if let Some(mut worker) = worker
            && tokio::time::timeout(WORKER_GRACE, &mut worker)
                .await
                .is_err()
        {
            tracing::warn!("outbox worker did not stop in time; its claimed mail will be resent");
            worker.abort();
        }
        served
    }
}

/// Connects, migrates, loads the routing index and seeds demo data when asked: everything but HTTP.
/// The CLI's one-shot commands use this too.
pub async fn prepare(settings: Settings, clock: SharedClock) -> Result<AppState, StartupError> {
    let queries = crate::db::QueryCounter::default();
    let db = crate::db::connect_counted(&settings.database, &queries).await?;
    crate::db::migrate(&db).await?;
    let state = AppState {
        queries,
        db,
        clock,
        settings: Arc::new(settings),
        routing: RoutingHandle::default(),
        calendars: CalendarStore::default(),
    };
    state
        .calendars
        .reload(&state.db)
        .await
        .map_err(|e| StartupError::Routing(format!("calendars: {e}")))?;
    state
        .routing
        .rebuild(&state.db)
        .await
        .map_err(|e| StartupError::Routing(e.to_string()))?;
    crate::service::statistics::rebuild::ensure_built(&state)
        .await
        .map_err(|e| StartupError::Statistics(e.to_string()))?;
    if state.settings.demo {
        crate::demo::seed(&state)
            .await
            .map_err(|e| StartupError::Demo(e.to_string()))?;
    }
    Ok(state)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

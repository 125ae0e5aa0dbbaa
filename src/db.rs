//! Connecting to the database: SQLite (embedded default) or PostgreSQL, same code, same migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;

/// Counts every statement sent to the database (a cheap metric, and how tests check batching).
#[derive(Debug, Clone, Default)]
pub struct QueryCounter(Arc<AtomicU64>);

impl QueryCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a pool. SQLite gets WAL, foreign keys and a busy timeout on every connection.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    connect_counted(settings, &QueryCounter::default()).await
}

/// Like `connect`, counting statements into `counter`.
pub async fn connect_counted(
    settings: &DatabaseSettings,
    counter: &QueryCounter,
) -> Result<DatabaseConnection, DbErr> {
    let mut url = settings.url.expose_secret().to_string();
    let sqlite = url.starts_with("sqlite:");
    if sqlite && !url.contains("mode=") {
        url.push_str(if url.contains('?') {
            "&mode=rwc"
        } else {
            "?mode=rwc"
        });
    }
    let (url, password) = if sqlite {
        (url, None)
    } else {
        crate::secret_url::split_password(&url)
    };
    let mut options = ConnectOptions::new(url);
    if let Some(password) = password {
        options.map_sqlx_postgres_opts(move |o| o.password(&password));
    }
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    let mut db = Database::connect(options).await?;
    let count = Arc::clone(&counter.0);
    db.set_metric_callback(move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A cheap round trip, used by `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

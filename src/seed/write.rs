//! The bulk writer: one transaction; `COPY … FROM STDIN` on PostgreSQL, multi-row `INSERT`s with
//! bound parameters on SQLite.

use sea_orm::sqlx::{self, Postgres};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};

use super::SeedError;
use super::rows::Encoded;
use crate::service::tx;

/// An open bulk-load transaction.
pub enum Sink {
    Postgres(sqlx::Transaction<'static, Postgres>),
    Sqlite(DatabaseTransaction),
}

impl Sink {
    /// Begins the transaction on the connection's backend.
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, SeedError> {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut txn = db.get_postgres_connection_pool().begin().await?;
                sqlx::raw_sql("SET LOCAL synchronous_commit = off")
                    .execute(&mut *txn)
                    .await?;
                Ok(Sink::Postgres(txn))
            }
            DbBackend::Sqlite => Ok(Sink::Sqlite(tx::begin_write(db).await?)),
            other => Err(SeedError::Input(format!(
                "seeding is not supported on {other:?}"
            ))),
        }
    }

    /// True for PostgreSQL, which takes [`Encoded::Copy`].
    pub fn copies(&self) -> bool {
        matches!(self, Sink::Postgres(_))
    }

    /// Writes one encoded unit; returns the rows written.
    pub async fn write(&mut self, unit: Encoded) -> Result<u64, SeedError> {
        match (self, unit) {
            (Sink::Postgres(txn), Encoded::Copy { statement, data }) => {
                let mut copy = txn.copy_in_raw(&statement).await?;
                if let Err(e) = copy.send(data).await {
                    copy.abort(e.to_string()).await?;
                    return Err(e.into());
                }
                Ok(copy.finish().await?)
            }
            (Sink::Sqlite(txn), Encoded::Inserts(stmts)) => {
                let mut n = 0;
                for stmt in stmts {
                    n += txn.execute(&stmt).await?.rows_affected();
                }
                Ok(n)
            }
            _ => Err(SeedError::Input(
                "encoding does not match the backend".into(),
            )),
        }
    }

    /// Runs plain SQL (no parameters) inside the transaction.
    pub async fn execute(&mut self, sql: &str) -> Result<(), SeedError> {
        match self {
            Sink::Postgres(txn) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut **txn)
                    .await?;
            }
            Sink::Sqlite(txn) => {
                txn.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), SeedError> {
        match self {
            Sink::Postgres(txn) => txn.commit().await?,
            Sink::Sqlite(txn) => txn.commit().await?,
        }
        Ok(())
    }
}

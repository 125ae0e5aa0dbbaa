//! Write transactions. On SQLite they start with `BEGIN IMMEDIATE`, so concurrent writers queue
//! on the busy timeout instead of failing halfway with a stale snapshot.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use super::error::ServiceResult;

pub async fn begin_write(db: &DatabaseConnection) -> ServiceResult<DatabaseTransaction> {
    let txn = if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?
    } else {
        db.begin().await?
    };
    Ok(txn)
}

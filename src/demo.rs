//! `serve --demo`: a realistic demo town on an empty database.

use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// Seeds demo data once; a database that already holds data is left alone.
pub async fn seed(_state: &AppState) -> Result<(), DemoError> {
    tracing::info!("demo mode: nothing to seed yet");
    Ok(())
}

//! What every request and background worker shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::QueryCounter;
use crate::service::calendars::CalendarStore;
use crate::service::routing::RoutingHandle;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// The in-memory routing index, rebuilt after every import.
    pub routing: RoutingHandle,
    /// Working-time calendars by code, for deadline arithmetic.
    pub calendars: CalendarStore,
    /// Statements sent to the database since start.
    pub queries: QueryCounter,
}

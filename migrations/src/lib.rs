//! Forward-only schema migrations for gridloop, portable across SQLite and PostgreSQL.
//! Each migration is one change, named by date and purpose.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_people_and_places;
mod m20261129_000002_create_categories;
mod m20261129_000003_create_tickets;
mod m20261129_000004_create_outbox;
mod m20261129_000005_create_calendars;
mod m20261129_000006_create_statistics_rollups;

/// The ordered list of every migration gridloop has ever shipped.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_people_and_places::Migration),
            Box::new(m20261129_000002_create_categories::Migration),
            Box::new(m20261129_000003_create_tickets::Migration),
            Box::new(m20261129_000004_create_outbox::Migration),
            Box::new(m20261129_000005_create_calendars::Migration),
            Box::new(m20261129_000006_create_statistics_rollups::Migration),
        ]
    }
}

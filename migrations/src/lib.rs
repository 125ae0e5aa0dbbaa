//! Forward-only schema migrations for gridloop, portable across SQLite and PostgreSQL.
//! Each migration is one change, named by date and purpose.

pub use sea_orm_migration::prelude::*;

/// The ordered list of every migration gridloop has ever shipped.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}

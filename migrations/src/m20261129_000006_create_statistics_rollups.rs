//! Statistics rollups: per (day or month, town, breakdown, category, source) counts and duration
//! histograms, kept up to date in every ticket transaction; a marker saying which layout and
//! timezone the rollups were built with; and the ticket indexes the statistics queries need.
//!
//! The rows themselves are filled by the application (`gridloop rebuild-statistics`, run
//! automatically at the first start after this migration), because only it knows the rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTS: [&str; 11] = [
    "reported",
    "registered",
    "dispatched",
    "closed",
    "closed_on_time",
    "open_due",
    "resolved_ever",
    "reworked",
    "returned",
    "feedback_count",
    "satisfied_count",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut rollup = Table::create();
        rollup
            .table("statistics_rollup")
            .col(string_len("grain", 1))
            .col(string_len("dim", 10))
            .col(big_integer("town_id"))
            .col(string_len("category_code", 8))
            .col(string_len("source", 16))
            .col(string_len("bucket", 10))
            .col(big_integer("dim_key"));
        for c in COUNTS {
            rollup.col(big_integer(c).default(0));
        }
        rollup.col(binary_null("durations")).primary_key(
            Index::create()
                .col("grain")
                .col("dim")
                .col("town_id")
                .col("category_code")
                .col("source")
                .col("bucket")
                .col("dim_key"),
        );
        m.create_table(rollup.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("idx_statistics_rollup_key")
                .table("statistics_rollup")
                .col("grain")
                .col("dim")
                .col("dim_key")
                .col("bucket")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("statistics_meta")
                .col(string_len("name", 32).primary_key())
                .col(text("value"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_ticket_status_due")
                .table("ticket")
                .col("status")
                .col("due_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

//! The notification outbox (rows written in the transaction of the change that causes them, sent
//! later by the mailer) and per-user notification opt-outs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("notification")
                .col(big_pk_auto("id"))
                .col(string_len("kind", 32))
                .col(big_integer("recipient_id"))
                .col(string_len("email", 254))
                .col(string_len("locale", 8))
                .col(big_integer_null("ticket_id"))
                .col(text("subject"))
                .col(text("body_text"))
                .col(text("body_html"))
                .col(string_len("status", 16))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text_null("last_error"))
                .col(string_len_null("message_id", 255))
                .col(string_len_null("dedupe_key", 128))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("notification", "recipient_id")
                        .to("app_user", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("notification", "ticket_id")
                        .to("ticket", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_due")
                .table("notification")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_ticket")
                .table("notification")
                .col("ticket_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_notification_dedupe")
                .table("notification")
                .col("dedupe_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("notification_preference")
                .col(big_integer("user_id"))
                .col(string_len("kind", 32))
                .primary_key(Index::create().col("user_id").col("kind"))
                .foreign_key(
                    ForeignKey::create()
                        .from("notification_preference", "user_id")
                        .to("app_user", "id"),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

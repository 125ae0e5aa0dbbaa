//! Users, roles, scopes, login tokens and the jurisdiction trees.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("app_user")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("email", 254))
                .col(string_len("name", 200))
                .col(string_len_null("phone", 40))
                .col(string_len("password_hash", 200))
                .col(boolean("disabled").default(false))
                .col(string_len("locale", 8).default("zh"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("user_role")
                .col(big_integer("user_id"))
                .col(string_len("role", 32))
                .primary_key(Index::create().col("user_id").col("role"))
                .foreign_key(
                    ForeignKey::create()
                        .from("user_role", "user_id")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("jurisdiction")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("code", 64))
                .col(string_len("kind", 16))
                .col(string_len("name", 200))
                .col(big_integer_null("parent_id"))
                .col(string_len("path", 1024))
                .col(integer("depth"))
                .col(big_integer_null("chief_id"))
                .col(double_null("buffer_meters"))
                .col(text_null("geometry"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("jurisdiction", "parent_id")
                        .to("jurisdiction", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("jurisdiction", "chief_id")
                        .to("app_user", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_jurisdiction_parent")
                .table("jurisdiction")
                .col("parent_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_jurisdiction_kind_code")
                .table("jurisdiction")
                .col("kind")
                .col("code")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_jurisdiction_path")
                .table("jurisdiction")
                .col("path")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("user_scope")
                .col(big_integer("user_id"))
                .col(big_integer("jurisdiction_id"))
                .primary_key(Index::create().col("user_id").col("jurisdiction_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("user_scope", "user_id")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("user_scope", "jurisdiction_id")
                        .to("jurisdiction", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("grid_worker")
                .col(big_integer("grid_id"))
                .col(big_integer("user_id"))
                .primary_key(Index::create().col("grid_id").col("user_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("grid_worker", "grid_id")
                        .to("jurisdiction", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("grid_worker", "user_id")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_grid_worker_user")
                .table("grid_worker")
                .col("user_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("auth_token")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("auth_token", "user_id")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("login_throttle")
                .col(string_len("email", 254).primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

//! Working-time calendars (timezone, weekly windows, holidays, make-up days), the category's
//! calendar, and when a ticket started waiting for dispatch.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The 2026 Chinese public holidays and make-up working days shipped with gridloop.
const CN_2026: &str = include_str!("../../data/calendars/cn-2026.txt");

/// Mon–Fri 08:30–12:00 and 13:30–17:30, nothing at the weekend (JSON of `[[start, end], …]` per weekday).
const WEEKLY: &str = r#"[[["08:30","12:00"],["13:30","17:30"]],[["08:30","12:00"],["13:30","17:30"]],[["08:30","12:00"],["13:30","17:30"]],[["08:30","12:00"],["13:30","17:30"]],[["08:30","12:00"],["13:30","17:30"]],[],[]]"#;
const WORKDAY: &str = r#"[["08:30","12:00"],["13:30","17:30"]]"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar")
                .col(string_len("code", 16).primary_key())
                .col(string_len("name", 100))
                .col(string_len("timezone", 64))
                .col(text("weekly_windows"))
                .col(text("workday_windows"))
                .col(timestamp_with_time_zone_null("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("calendar_date")
                .col(string_len("calendar_code", 16))
                .col(string_len("date", 10))
                .col(string_len("kind", 8))
                .primary_key(Index::create().col("calendar_code").col("date"))
                .foreign_key(
                    ForeignKey::create()
                        .from("calendar_date", "calendar_code")
                        .to("calendar", "code")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        let mut cal = Query::insert();
        cal.into_table("calendar").columns([
            "code",
            "name",
            "timezone",
            "weekly_windows",
            "workday_windows",
        ]);
        cal.values([
            "CN".into(),
            "中国大陆工作日 (China working days)".into(),
            "Asia/Shanghai".into(),
            WEEKLY.into(),
            WORKDAY.into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?;
        m.exec_stmt(cal).await?;
        let mut dates = Query::insert();
        dates
            .into_table("calendar_date")
            .columns(["calendar_code", "date", "kind"]);
        let mut any = false;
        for line in CN_2026.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut parts = line.split_whitespace();
            if let (Some(date), Some(kind)) = (parts.next(), parts.next()) {
                dates
                    .values(["CN".into(), date.into(), kind.to_ascii_uppercase().into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
                any = true;
            }
        }
        if any {
            m.exec_stmt(dates).await?;
        }
        m.alter_table(
            Table::alter()
                .table("category")
                .add_column(string_len("calendar_code", 16).default("CN"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("ticket")
                .add_column(timestamp_with_time_zone_null("awaiting_dispatch_since"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

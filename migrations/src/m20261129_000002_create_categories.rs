//! The event classification (管理事件分类) with the default catalogue of domain.md.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One working day in the default calendar is 08:30–12:00 + 13:30–17:30 = 450 minutes.
const WORKING_DAY_MINUTES: i32 = 450;

/// (code, name, English name, handler level, priority, handle limit in minutes)
const DEFAULTS: &[(&str, &str, &str, &str, &str, i32)] = &[
    (
        "0501",
        "无照经营游商",
        "Unlicensed street vending",
        "LANE",
        "NORMAL",
        120,
    ),
    (
        "0504",
        "店外经营",
        "Shop business on the pavement",
        "LANE",
        "NORMAL",
        240,
    ),
    (
        "0505",
        "机动车乱停放",
        "Illegal parking (motor vehicles)",
        "STREET",
        "URGENT",
        60,
    ),
    (
        "0506",
        "非机动车乱停放",
        "Illegal parking (bicycles)",
        "LANE",
        "NORMAL",
        120,
    ),
    (
        "0507",
        "乱堆物堆料",
        "Piled materials",
        "LANE",
        "NORMAL",
        WORKING_DAY_MINUTES,
    ),
    (
        "0510",
        "露天烧烤",
        "Open-air barbecue",
        "LANE",
        "URGENT",
        120,
    ),
    ("0101", "暴露垃圾", "Exposed garbage", "LANE", "NORMAL", 240),
    (
        "0102",
        "积存垃圾渣土",
        "Accumulated waste",
        "STREET",
        "NORMAL",
        4 * WORKING_DAY_MINUTES,
    ),
    ("0103", "道路不洁", "Dirty road", "STREET", "NORMAL", 300),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("category")
                .col(string_len("code", 8).primary_key())
                .col(string_len("name", 100))
                .col(string_len("name_en", 100))
                .col(string_len("handler_level", 16))
                .col(string_len("priority", 16))
                .col(integer("dispatch_limit_minutes"))
                .col(integer("handle_limit_minutes"))
                .col(integer("verify_limit_minutes"))
                .col(string_len("calendar_kind", 16))
                .col(double("duplicate_radius_meters"))
                .col(integer("duplicate_window_minutes"))
                .col(boolean("auto_dispatch"))
                .col(boolean("active").default(true))
                .to_owned(),
        )
        .await?;
        let mut insert = Query::insert();
        insert.into_table("category").columns([
            "code",
            "name",
            "name_en",
            "handler_level",
            "priority",
            "dispatch_limit_minutes",
            "handle_limit_minutes",
            "verify_limit_minutes",
            "calendar_kind",
            "duplicate_radius_meters",
            "duplicate_window_minutes",
            "auto_dispatch",
            "active",
        ]);
        for (code, name, name_en, level, priority, handle) in DEFAULTS {
            let dispatch = if *priority == "URGENT" { 10 } else { 30 };
            insert
                .values([
                    (*code).into(),
                    (*name).into(),
                    (*name_en).into(),
                    (*level).into(),
                    (*priority).into(),
                    dispatch.into(),
                    (*handle).into(),
                    240.into(),
                    "WORKING".into(),
                    50.0f64.into(),
                    (24 * 60).into(),
                    true.into(),
                    true.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        m.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

//! Tickets, their immutable event history, evidence photos, extension requests and feedback.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(to, "id")
        .to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("ticket_number_seq")
                .col(string_len("day", 8).primary_key())
                .col(big_integer("last"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("ticket")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("number", 32))
                .col(string_len("status", 16))
                .col(string_len("category_code", 8))
                .col(string_len("priority", 16))
                .col(text("description"))
                .col(double("lat"))
                .col(double("lon"))
                .col(string_len_null("address", 300))
                .col(string_len("source", 16))
                .col(big_integer("reporter_id"))
                .col(string_len_null("client_request_id", 100))
                .col(big_integer_null("grid_id"))
                .col(big_integer_null("community_id"))
                .col(big_integer_null("town_id"))
                .col(big_integer_null("street_id"))
                .col(big_integer_null("lane_id"))
                .col(string_len_null("grid_path", 1024))
                .col(string_len_null("place_path", 1024))
                .col(boolean("routed"))
                .col(big_integer_null("routed_handler_id"))
                .col(string_len("routing_level", 16))
                .col(text("routing_explanation"))
                .col(big_integer_null("assignee_id"))
                .col(timestamp_with_time_zone("reported_at"))
                .col(timestamp_with_time_zone_null("first_dispatched_at"))
                .col(timestamp_with_time_zone_null("dispatched_at"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(timestamp_with_time_zone_null("first_resolved_at"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(timestamp_with_time_zone_null("suspended_at"))
                .col(timestamp_with_time_zone_null("dispatch_due_at"))
                .col(timestamp_with_time_zone_null("due_at"))
                .col(timestamp_with_time_zone_null("verify_due_at"))
                .col(integer("rework_count").default(0))
                .col(integer("return_count").default(0))
                .col(integer("extension_count").default(0))
                .col(integer("escalation_level").default(0))
                .col(big_integer_null("duplicate_of_id"))
                .col(boolean("handled_on_site").default(false))
                .col(boolean("fake_fix_suspected").default(false))
                .col(text_null("fake_fix_reasons"))
                .col(integer_null("feedback_score"))
                .col(big_integer_null("resolve_working_minutes"))
                .col(timestamp_with_time_zone_null("sla_next_at"))
                .col(integer("sla_stage").default(0))
                .col(integer("version").default(0))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("ticket", "category_code")
                        .to("category", "code"),
                )
                .foreign_key(&mut fk("ticket", "reporter_id", "app_user"))
                .foreign_key(&mut fk("ticket", "assignee_id", "app_user"))
                .foreign_key(&mut fk("ticket", "routed_handler_id", "app_user"))
                .foreign_key(&mut fk("ticket", "grid_id", "jurisdiction"))
                .foreign_key(&mut fk("ticket", "community_id", "jurisdiction"))
                .foreign_key(&mut fk("ticket", "town_id", "jurisdiction"))
                .foreign_key(&mut fk("ticket", "street_id", "jurisdiction"))
                .foreign_key(&mut fk("ticket", "lane_id", "jurisdiction"))
                .foreign_key(&mut fk("ticket", "duplicate_of_id", "ticket"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_ticket_client_request")
                .table("ticket")
                .col("reporter_id")
                .col("client_request_id")
                .unique()
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_ticket_status", &["status", "id"][..]),
            ("idx_ticket_assignee", &["assignee_id", "status"][..]),
            ("idx_ticket_reporter", &["reporter_id"][..]),
            ("idx_ticket_grid", &["grid_id", "status"][..]),
            ("idx_ticket_reported_at", &["reported_at"][..]),
            ("idx_ticket_category", &["category_code", "reported_at"][..]),
            ("idx_ticket_grid_path", &["grid_path"][..]),
            ("idx_ticket_place_path", &["place_path"][..]),
            ("idx_ticket_sla_next", &["sla_next_at"][..]),
            ("idx_ticket_duplicate_of", &["duplicate_of_id"][..]),
            ("idx_ticket_lat_lon", &["lat", "lon"][..]),
        ] {
            m.create_index(index(name, "ticket", cols)).await?;
        }
        m.create_table(
            Table::create()
                .table("ticket_event")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(integer("seq"))
                .col(string_len("kind", 32))
                .col(string_len_null("from_status", 16))
                .col(string_len_null("to_status", 16))
                .col(big_integer_null("actor_id"))
                .col(timestamp_with_time_zone("at"))
                .col(text_null("note"))
                .col(text_null("data"))
                .foreign_key(&mut fk("ticket_event", "ticket_id", "ticket"))
                .foreign_key(&mut fk("ticket_event", "actor_id", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_ticket_event_seq")
                .table("ticket_event")
                .col("ticket_id")
                .col("seq")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_ticket_event_kind_at",
            "ticket_event",
            &["kind", "at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("evidence")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(big_integer_null("event_id"))
                .col(string_len("kind", 8))
                .col(string_len("sha256", 64))
                .col(string_len("content_type", 32))
                .col(big_integer("size_bytes"))
                .col(big_integer("uploader_id"))
                .col(timestamp_with_time_zone_null("taken_at"))
                .col(double_null("lat"))
                .col(double_null("lon"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("evidence", "ticket_id", "ticket"))
                .foreign_key(&mut fk("evidence", "event_id", "ticket_event"))
                .foreign_key(&mut fk("evidence", "uploader_id", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx_evidence_ticket", "evidence", &["ticket_id"]))
            .await?;
        m.create_index(index("idx_evidence_sha256", "evidence", &["sha256"]))
            .await?;
        m.create_table(
            Table::create()
                .table("extension_request")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(big_integer("requested_by"))
                .col(integer("minutes"))
                .col(text("reason"))
                .col(string_len("status", 16))
                .col(big_integer_null("decided_by"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(text_null("decision_note"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("extension_request", "ticket_id", "ticket"))
                .foreign_key(&mut fk("extension_request", "requested_by", "app_user"))
                .foreign_key(&mut fk("extension_request", "decided_by", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_extension_ticket",
            "extension_request",
            &["ticket_id", "status"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("feedback")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(integer("score"))
                .col(text_null("comment"))
                .col(big_integer("given_by"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("feedback", "ticket_id", "ticket"))
                .foreign_key(&mut fk("feedback", "given_by", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx_feedback_ticket", "feedback", &["ticket_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

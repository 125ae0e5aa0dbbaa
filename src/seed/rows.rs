//! Rows of any table as plain values, and their two bulk encodings: PostgreSQL
//! `COPY … FROM STDIN (FORMAT csv)` text, and multi-row `INSERT`s with bound parameters (SQLite).

use chrono::SecondsFormat;
use sea_orm::sea_query::{Alias, InsertStatement, Query};
use sea_orm::{EntityTrait, IdenStatic, Iterable, ModelTrait, Value};

use super::SeedError;

/// SQLite binds at most 32,766 parameters per statement; stay well below.
const SQLITE_MAX_PARAMS: usize = 30_000;
/// Rows per multi-row `INSERT` on SQLite, whatever the width of the table.
const SQLITE_MAX_ROWS: usize = 1_000;

/// Rows of one table, column by column in the entity's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub table: &'static str,
    pub columns: Vec<&'static str>,
    pub values: Vec<Vec<Value>>,
}

impl Rows {
    /// Every column of every model, ids included.
    pub fn of<E: EntityTrait>(models: &[E::Model]) -> Self {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        Rows {
            table: E::default().table_name(),
            columns: columns.iter().map(|c| c.as_str()).collect(),
            values: models
                .iter()
                .map(|m| columns.iter().map(|c| m.get(*c)).collect())
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One unit of bulk work, ready for the database.
#[derive(Debug, Clone)]
pub enum Encoded {
    /// A `COPY … FROM STDIN` statement and its CSV payload (PostgreSQL).
    Copy { statement: String, data: Vec<u8> },
    /// Multi-row inserts (SQLite).
    Inserts(Vec<InsertStatement>),
}

/// Encodes for PostgreSQL (`copy = true`) or as batched inserts.
pub fn encode(rows: &Rows, copy: bool) -> Result<Encoded, SeedError> {
    if copy {
        Ok(Encoded::Copy {
            statement: format!(
                "COPY {} ({}) FROM STDIN (FORMAT csv)",
                rows.table,
                rows.columns.join(", ")
            ),
            data: csv(rows)?,
        })
    } else {
        inserts(rows).map(Encoded::Inserts)
    }
}

/// CSV in PostgreSQL's dialect: an unquoted empty field is NULL, text is always quoted.
pub fn csv(rows: &Rows) -> Result<Vec<u8>, SeedError> {
    let mut out = String::with_capacity(rows.len() * rows.columns.len() * 12);
    for row in &rows.values {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, value)?;
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

fn csv_field(out: &mut String, value: &Value) -> Result<(), SeedError> {
    use std::fmt::Write;
    let written = match value {
        Value::Bool(Some(b)) => {
            out.push(if *b { 't' } else { 'f' });
            Ok(())
        }
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::Double(Some(x)) if x.is_finite() => write!(out, "{x}"),
        Value::String(Some(s)) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
            Ok(())
        }
        Value::ChronoDateTimeUtc(Some(t)) => {
            out.push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            Ok(())
        }
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::ChronoDateTimeUtc(None) => Ok(()),
        other => {
            return Err(SeedError::Input(format!(
                "cannot bulk-write a value of this type: {other:?}"
            )));
        }
    };
    written.map_err(|e| SeedError::Input(format!("formatting a row: {e}")))
}

/// Multi-row inserts that keep under SQLite's parameter limit.
pub fn inserts(rows: &Rows) -> Result<Vec<InsertStatement>, SeedError> {
    let per = (SQLITE_MAX_PARAMS / rows.columns.len().max(1)).clamp(1, SQLITE_MAX_ROWS);
    let mut out = Vec::with_capacity(rows.len().div_ceil(per));
    for batch in rows.values.chunks(per) {
        let mut stmt = Query::insert();
        stmt.into_table(Alias::new(rows.table))
            .columns(rows.columns.iter().map(|c| Alias::new(*c)));
        for row in batch {
            stmt.values(row.iter().cloned().map(Into::into))
                .map_err(|e| SeedError::Input(format!("row of {}: {e}", rows.table)))?;
        }
        out.push(stmt);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::entity::app_user;
    use chrono::{TimeZone, Utc};

    fn user(id: i64, name: &str, phone: Option<&str>) -> app_user::Model {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 1, 2, 3).unwrap();
        app_user::Model {
            id,
            email: format!("u{id}@x.test"),
            name: name.into(),
            phone: phone.map(Into::into),
            password_hash: "h".into(),
            disabled: false,
            locale: "zh".into(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn csv_quotes_text_and_leaves_null_empty() {
        let rows = Rows::of::<app_user::Entity>(&[user(7, "say \"hi\", 你好", None)]);
        assert_eq!(rows.table, "app_user");
        assert_eq!(rows.columns[0], "id");
        let text = String::from_utf8(csv(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "7,\"u7@x.test\",\"say \"\"hi\"\", 你好\",,\"h\",f,\"zh\",2026-11-30T01:02:03Z,2026-11-30T01:02:03Z\n"
        );
    }

    #[test]
    fn inserts_split_to_stay_under_the_parameter_limit() {
        let many: Vec<_> = (0..2_500).map(|i| user(i, "n", Some("1"))).collect();
        let stmts = inserts(&Rows::of::<app_user::Entity>(&many)).unwrap();
        assert_eq!(stmts.len(), 3);
    }
}

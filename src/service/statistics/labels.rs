//! Keys and labels people read: codes and names instead of ids, dates instead of buckets.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entity::{app_user, category, jurisdiction};
use crate::service::error::ServiceResult;

use super::model::{GroupBy, GroupKey};

/// The key of tickets without a street, lane, grid, community or assignee.
pub const NONE_KEY: &str = "NONE";
const NONE_LABEL: &str = "（无）";

/// The (key, label) of every group.
pub async fn resolve(
    db: &impl ConnectionTrait,
    by: Option<GroupBy>,
    keys: &[GroupKey],
) -> ServiceResult<HashMap<GroupKey, (String, String)>> {
    let ids: Vec<i64> = keys
        .iter()
        .filter_map(|k| match k {
            GroupKey::Id(id) if *id != 0 => Some(*id),
            _ => None,
        })
        .collect();
    let mut names: HashMap<GroupKey, (String, String)> = HashMap::new();
    match by {
        Some(GroupBy::Assignee) => {
            for u in app_user::Entity::find()
                .filter(app_user::Column::Id.is_in(ids))
                .all(db)
                .await?
            {
                names.insert(GroupKey::Id(u.id), (u.email, u.name));
            }
        }
        Some(b) if b.row_dim().is_some() => {
            for j in jurisdiction::Entity::find()
                .filter(jurisdiction::Column::Id.is_in(ids))
                .all(db)
                .await?
            {
                names.insert(GroupKey::Id(j.id), (j.code, j.name));
            }
        }
        Some(GroupBy::Category) => {
            for c in category::Entity::find().all(db).await? {
                names.insert(GroupKey::Text(c.code.clone()), (c.code, c.name));
            }
        }
        _ => {}
    }
    Ok(keys
        .iter()
        .map(|k| {
            let pair = names.get(k).cloned().unwrap_or_else(|| fallback(by, k));
            (k.clone(), pair)
        })
        .collect())
}

fn fallback(by: Option<GroupBy>, key: &GroupKey) -> (String, String) {
    match (by, key) {
        (_, GroupKey::Id(0)) => (NONE_KEY.into(), NONE_LABEL.into()),
        (_, GroupKey::Id(id)) => (id.to_string(), id.to_string()),
        (Some(GroupBy::Source), GroupKey::Text(s)) => (s.clone(), source_label(s).into()),
        (_, GroupKey::Text(s)) => (s.clone(), s.clone()),
        (Some(GroupBy::Week), GroupKey::Date(d)) => (
            d.format("%G-W%V").to_string(),
            format!("{} ~ {}", d, *d + Days::new(6)),
        ),
        (Some(GroupBy::Month), GroupKey::Date(d)) => (
            d.format("%Y-%m").to_string(),
            format!("{}年{}月", d.year(), d.month()),
        ),
        (_, GroupKey::Date(d)) => (d.to_string(), d.to_string()),
        (_, GroupKey::Total) => (String::new(), String::new()),
    }
}

/// The Chinese name of a report source.
pub fn source_label(source: &str) -> &'static str {
    match source {
        "PATROL" => "巡查上报",
        "HOTLINE" => "12345热线",
        "CAMERA" => "视频监控",
        "PUBLIC" => "群众举报",
        "SUPERIOR" => "上级交办",
        _ => "其他",
    }
}

/// Every time bucket between two local days (inclusive), for charts without gaps.
pub fn time_buckets(by: GroupBy, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut at = by.bucket_start(first);
    while at <= last {
        out.push(at);
        at = match by {
            GroupBy::Week => at + Days::new(7),
            GroupBy::Month => super::rollup::month_of(at + Days::new(32)),
            _ => at + Days::new(1),
        };
    }
    out
}

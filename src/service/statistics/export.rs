//! CSV exports for spreadsheets: UTF-8 with a byte order mark (so Excel reads Chinese text),
//! RFC 4180 quoting, times in the local timezone. The ticket list is produced chunk by chunk
//! (by id), so memory stays constant however long the period.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::indicators::{DurationSummary, Indicators};
use crate::entity::{app_user, category, jurisdiction, ticket};
use crate::service::error::ServiceResult;
use crate::state::AppState;

use super::labels::source_label;
use super::model::{Group, StatisticsReport};
use super::rollup;
use super::scope::StatScope;

pub const BOM: &str = "\u{feff}";
/// Tickets per query while streaming.
pub const CHUNK: u64 = 1_000;

const TICKET_HEADER: [&str; 21] = [
    "编号",
    "状态",
    "类别代码",
    "类别",
    "来源",
    "上报时间",
    "首次派遣时间",
    "处置时限",
    "处置时间",
    "结案时间",
    "按期",
    "返工次数",
    "退回次数",
    "满意度评分",
    "社区",
    "网格",
    "街",
    "巷",
    "处置人",
    "地址",
    "描述",
];

/// One CSV field, quoted when it must be.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn line<I: IntoIterator<Item = String>>(fields: I) -> String {
    let mut out = fields
        .into_iter()
        .map(|f| field(&f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

fn local(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Names the rows refer to, loaded once per export (places and categories are few).
struct Names {
    places: HashMap<i64, String>,
    categories: HashMap<String, String>,
}

struct Cursor {
    state: AppState,
    scope: StatScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    chunk: u64,
    after: i64,
    names: Option<Names>,
    done: bool,
}

/// The ticket export of `[from, to)` in `scope`: the BOM and header first, then one piece per
/// chunk of `chunk` tickets.
pub fn tickets(
    state: AppState,
    scope: StatScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    chunk: u64,
) -> impl Stream<Item = ServiceResult<String>> + Send {
    let cursor = Cursor {
        state,
        scope,
        from,
        to,
        chunk: chunk.max(1),
        after: 0,
        names: None,
        done: false,
    };
    futures::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        match next_piece(&mut c).await {
            Ok(Some(piece)) => Some((Ok(piece), c)),
            Ok(None) => None,
            Err(e) => {
                c.done = true;
                Some((Err(e), c))
            }
        }
    })
}

async fn next_piece(c: &mut Cursor) -> ServiceResult<Option<String>> {
    let Some(names) = &c.names else {
        c.names = Some(load_names(&c.state).await?);
        let header = line(TICKET_HEADER.iter().map(|h| (*h).to_string()));
        return Ok(Some(format!("{BOM}{header}")));
    };
    let rows = ticket::Entity::find()
        .filter(c.scope.ticket_condition())
        .filter(ticket::Column::ReportedAt.gte(c.from))
        .filter(ticket::Column::ReportedAt.lt(c.to))
        .filter(ticket::Column::Id.gt(c.after))
        .order_by_asc(ticket::Column::Id)
        .limit(c.chunk)
        .all(&c.state.db)
        .await?;
    let Some(last) = rows.last().map(|t| t.id) else {
        return Ok(None);
    };
    c.after = last;
    let ids: Vec<i64> = rows.iter().filter_map(|t| t.assignee_id).collect();
    let users: HashMap<i64, String> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids))
        .all(&c.state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let tz = rollup::zone(&c.state);
    let mut out = String::new();
    for t in &rows {
        out.push_str(&ticket_line(t, names, &users, tz));
    }
    Ok(Some(out))
}

async fn load_names(state: &AppState) -> ServiceResult<Names> {
    Ok(Names {
        places: jurisdiction::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|j| (j.id, j.name))
            .collect(),
        categories: category::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect(),
    })
}

fn ticket_line(t: &ticket::Model, n: &Names, users: &HashMap<i64, String>, tz: Tz) -> String {
    let place = |id: Option<i64>| {
        id.and_then(|i| n.places.get(&i).cloned())
            .unwrap_or_default()
    };
    let on_time = match (t.status.as_str(), t.due_at, t.resolved_at) {
        ("CLOSED", None, _) => "是",
        ("CLOSED", Some(due), Some(done)) if done <= due => "是",
        ("CLOSED", _, _) => "否",
        _ => "",
    };
    let count = |v: i32| v.to_string();
    line([
        t.number.clone(),
        t.status.clone(),
        t.category_code.clone(),
        n.categories
            .get(&t.category_code)
            .cloned()
            .unwrap_or_default(),
        source_label(&t.source).to_string(),
        local(Some(t.reported_at), tz),
        local(t.first_dispatched_at, tz),
        local(t.due_at, tz),
        local(t.resolved_at, tz),
        local(t.closed_at, tz),
        on_time.to_string(),
        count(t.rework_count),
        count(t.return_count),
        t.feedback_score.map(|s| s.to_string()).unwrap_or_default(),
        place(t.community_id),
        place(t.grid_id),
        place(t.street_id),
        place(t.lane_id),
        t.assignee_id
            .and_then(|i| users.get(&i).cloned())
            .unwrap_or_default(),
        t.address.clone().unwrap_or_default(),
        t.description.clone(),
    ])
}

const STATISTICS_HEADER: [&str; 30] = [
    "分组",
    "名称",
    "上报数",
    "立案数",
    "派遣数",
    "应结案数",
    "结案数",
    "按期结案数",
    "结案率(%)",
    "按期结案率(%)",
    "超期未结",
    "返工率(%)",
    "退回率(%)",
    "派遣准确率(%)",
    "满意率(%)",
    "综合得分",
    "样本不足",
    "派遣用时均值(分)",
    "派遣用时中位数(分)",
    "派遣用时P90(分)",
    "处置用时均值(分)",
    "处置用时中位数(分)",
    "处置用时P90(分)",
    "处置工作时均值(分)",
    "处置工作时中位数(分)",
    "处置工作时P90(分)",
    "结案用时均值(分)",
    "结案用时中位数(分)",
    "结案用时P90(分)",
    "统计口径",
];

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.2}", r * 100.0))
        .unwrap_or_default()
}

fn number(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_default()
}

fn durations(d: &DurationSummary) -> [String; 3] {
    [number(d.mean), number(d.median), number(d.p90)]
}

fn statistics_line(g: &Group, basis: &str) -> String {
    let i: &Indicators = &g.indicators;
    let mut fields = vec![
        g.key.clone(),
        g.label.clone(),
        i.reported.to_string(),
        i.registered.to_string(),
        i.dispatched.to_string(),
        i.due_count.to_string(),
        i.closed.to_string(),
        i.closed_on_time.to_string(),
        percent(i.closure_rate),
        percent(i.on_time_closure_rate),
        i.overdue_open.to_string(),
        percent(i.rework_rate),
        percent(i.return_rate),
        percent(i.accurate_dispatch_rate),
        percent(i.satisfaction_rate),
        number(i.score.map(|s| (s * 10.0).round() / 10.0)),
        if g.below_min_sample { "是" } else { "" }.to_string(),
    ];
    for d in [
        &i.to_dispatch,
        &i.to_resolve_wall,
        &i.to_resolve_working,
        &i.to_close,
    ] {
        fields.extend(durations(d));
    }
    fields.push(basis.to_string());
    line(fields)
}

/// The statistics answer as CSV: the totals first (key `合计`), then each group.
pub fn statistics(report: &StatisticsReport) -> String {
    let basis = format!("{:?}", report.basis);
    let mut out = String::from(BOM);
    out.push_str(&line(STATISTICS_HEADER.iter().map(|h| (*h).to_string())));
    let totals = Group {
        key: "合计".into(),
        ..report.totals.clone()
    };
    out.push_str(&statistics_line(&totals, &basis));
    for g in &report.groups {
        out.push_str(&statistics_line(g, &basis));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_or_quotes_are_quoted() {
        assert_eq!(field("人民路"), "人民路");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(line(["a".to_string(), "b,c".to_string()]), "a,\"b,c\"\r\n");
    }
}

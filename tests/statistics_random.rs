//! Random histories driven through the real use cases, then every indicator of every breakdown
//! from the rollups compared with an independent slow path over raw tickets and events; the
//! incrementally kept rollups compared with a rebuild; a past asOf replayed from the events
//! compared with what the exact path said at that moment. Runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridloop::clock::Clock;
use gridloop::domain::indicators::Indicators;
use gridloop::domain::lifecycle::Source;
use gridloop::entity::jurisdiction;
use gridloop::service::statistics::{self, GroupBy, StatisticsRequest, rebuild, rollup};
use helpers::oracle::{Question, assert_same, load};
use helpers::simulate::{Rng, cast, step};
use helpers::stats::TZ;
use helpers::{spawn_app_with, town};
use sea_orm::{ConnectionTrait, EntityTrait, sea_query::Condition};

/// What the exact path said at one moment, per grouping.
type Snapshot = (
    DateTime<Utc>,
    Vec<(Option<GroupBy>, statistics::StatisticsReport)>,
);
/// The API's scope code and the oracle's (column, id).
type OracleScope = Option<(&'static str, i64)>;

fn report_map(groups: Vec<statistics::Group>) -> BTreeMap<String, Indicators> {
    groups.into_iter().map(|g| (g.key, g.indicators)).collect()
}

const GROUPINGS: [Option<GroupBy>; 11] = [
    None,
    Some(GroupBy::Category),
    Some(GroupBy::Street),
    Some(GroupBy::Lane),
    Some(GroupBy::Grid),
    Some(GroupBy::Community),
    Some(GroupBy::Assignee),
    Some(GroupBy::Source),
    Some(GroupBy::Day),
    Some(GroupBy::Week),
    Some(GroupBy::Month),
];

fn name(g: Option<GroupBy>) -> Option<&'static str> {
    g.map(|g| match g {
        GroupBy::Category => "CATEGORY",
        GroupBy::Street => "STREET",
        GroupBy::Lane => "LANE",
        GroupBy::Grid => "GRID",
        GroupBy::Community => "COMMUNITY",
        GroupBy::Assignee => "ASSIGNEE",
        GroupBy::Source => "SOURCE",
        GroupBy::Day => "DAY",
        GroupBy::Week => "WEEK",
        GroupBy::Month => "MONTH",
    })
}

/// Compares one question with the oracle, groups and totals; empty groups must be empty.
fn compare(
    got: &statistics::StatisticsReport,
    want: &BTreeMap<String, Indicators>,
    total: &Indicators,
    q: &Question,
    exact: bool,
    what: &str,
) {
    let empty = Indicators::default();
    assert_same(
        &got.totals.indicators,
        total,
        exact,
        &format!("{what} totals"),
    );
    if q.group_by.is_none() {
        return;
    }
    let groups = report_map(got.groups.clone());
    for (key, ind) in &groups {
        assert_same(
            ind,
            want.get(key).unwrap_or(&empty),
            exact,
            &format!("{what} [{key}]"),
        );
    }
    for key in want.keys() {
        assert!(groups.contains_key(key), "{what}: group {key} missing");
    }
}

async fn run(seed: u64, steps: usize) {
    let app = spawn_app_with(|s| s.workers.sla_sweep_interval_ms = 0).await;
    app.import_town().await;
    app.db
        .execute_unprepared("UPDATE category SET auto_dispatch = false WHERE code = '0101'")
        .await
        .unwrap();
    let c = cast(&app).await;
    let mut rng = Rng(seed);
    let whole = (
        TZ.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
        TZ.with_ymd_and_hms(2027, 2, 1, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    let mut snapshot: Option<Snapshot> = None;
    for i in 0..steps {
        step(&app, &c, &mut rng).await;
        if i == steps / 2 {
            let mut reports = Vec::new();
            for g in [
                None,
                Some(GroupBy::Assignee),
                Some(GroupBy::Street),
                Some(GroupBy::Day),
            ] {
                let req = StatisticsRequest {
                    from: Some(whole.0),
                    to: Some(whole.1),
                    group_by: g,
                    exact: true,
                    ..Default::default()
                };
                reports.push((
                    g,
                    statistics::statistics(&app.state, &c.admin, &req)
                        .await
                        .unwrap(),
                ));
            }
            snapshot = Some((app.clock.now(), reports));
            // Nothing else may happen at the snapshot's instant.
            app.clock.advance(Duration::minutes(1));
        }
    }
    let now = app.clock.now();

    // Incremental rollups equal a rebuild from scratch.
    let kept = rollup::read(&app.db, Condition::all(), false)
        .await
        .unwrap();
    rebuild::rebuild(&app.state).await.unwrap();
    let mut rebuilt = rollup::read(&app.db, Condition::all(), false)
        .await
        .unwrap();
    let mut kept = kept;
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    rebuilt.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(kept.len(), rebuilt.len(), "seed {seed}: rollup rows");
    assert!(
        kept == rebuilt,
        "seed {seed}: incremental rollups differ from a rebuild"
    );

    let raw = load(&app.db).await;
    let places: HashMap<String, i64> = jurisdiction::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.code, j.id))
        .collect();
    let scopes: [(Option<&str>, OracleScope); 5] = [
        (None, None),
        (Some(town::TOWN), Some(("town", places[town::TOWN]))),
        (Some(town::C1), Some(("community", places[town::C1]))),
        (Some("ST-RENMIN"), Some(("street", places["ST-RENMIN"]))),
        (Some(town::G3), Some(("grid", places[town::G3]))),
    ];
    let ragged = (
        TZ.with_ymd_and_hms(2026, 11, 30, 13, 7, 0)
            .unwrap()
            .with_timezone(&Utc),
        now - Duration::minutes(95),
    );
    let filters: [(Vec<String>, Vec<Source>); 3] = [
        (Vec::new(), Vec::new()),
        (vec!["0501".into(), "0102".into()], Vec::new()),
        (Vec::new(), vec![Source::Patrol]),
    ];
    let mut checked = 0;
    for (code, scope) in scopes {
        for period in [whole, ragged] {
            for (categories, sources) in &filters {
                for group_by in GROUPINGS {
                    for as_of in [now, now + Duration::days(2)] {
                        let q = Question {
                            scope,
                            categories: categories.clone(),
                            sources: sources.iter().map(|s| s.as_str().to_string()).collect(),
                            from: period.0,
                            to: period.1,
                            group_by: name(group_by),
                        };
                        let want = raw.answer(&q, as_of);
                        let total = raw.total(&q, as_of);
                        let mut req = StatisticsRequest {
                            scope: code.map(String::from),
                            from: Some(period.0),
                            to: Some(period.1),
                            as_of: Some(as_of),
                            categories: categories.clone(),
                            sources: sources.clone(),
                            group_by,
                            ..Default::default()
                        };
                        let what = format!(
                            "seed {seed} {code:?} {period:?} {categories:?} {sources:?} {group_by:?} {as_of}"
                        );
                        let fast = statistics::statistics(&app.state, &c.admin, &req)
                            .await
                            .unwrap();
                        compare(&fast, &want, &total, &q, false, &what);
                        req.exact = true;
                        let exact = statistics::statistics(&app.state, &c.admin, &req)
                            .await
                            .unwrap();
                        compare(&exact, &want, &total, &q, true, &format!("{what} exact"));
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 5 * 2 * 3 * 11 * 2);

    // A past asOf is replayed from the events and equals what the exact path said then.
    let (then, reports) = snapshot.unwrap();
    for (g, before) in reports {
        let req = StatisticsRequest {
            from: Some(whole.0),
            to: Some(whole.1),
            as_of: Some(then),
            group_by: g,
            ..Default::default()
        };
        let replayed = statistics::statistics(&app.state, &c.admin, &req)
            .await
            .unwrap();
        assert_eq!(replayed.basis, statistics::Basis::EventReplay);
        let what = format!("seed {seed} replay {g:?}");
        assert_same(
            &replayed.totals.indicators,
            &before.totals.indicators,
            true,
            &what,
        );
        let (got, want) = (report_map(replayed.groups), report_map(before.groups));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{what}"
        );
        for (k, w) in &want {
            assert_same(&got[k], w, true, &format!("{what} [{k}]"));
        }
    }
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for (t, _) in &raw.tickets {
        *statuses.entry(t.status.as_str()).or_default() += 1;
    }
    let everything = raw.total(
        &Question {
            scope: None,
            categories: Vec::new(),
            sources: Vec::new(),
            from: whole.0,
            to: whole.1,
            group_by: None,
        },
        now,
    );
    eprintln!("seed {seed}: {statuses:?} {everything:?}");
}

#[tokio::test]
async fn rollups_match_the_slow_path_on_random_histories() {
    for seed in [1, 2, 3] {
        run(seed, 300).await;
    }
}

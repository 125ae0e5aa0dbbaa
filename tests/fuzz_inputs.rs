//! Property tests that throw random and hostile values at every mutation's input, generated from
//! the input types of `schema/schema.graphql`: huge strings, control characters and NUL, emoji,
//! RTL marks, SQL and HTML injection, extreme and NaN-like coordinates, dates in year 1 and 9999,
//! extreme integers, ids of the wrong type, values of the wrong type, junk tokens; mixed with
//! realistic values (real ticket numbers, codes, emails, coordinates in the test town) so that
//! many cases get past the first check.
//!
//! For every case: the HTTP status is never 5xx; every error carries an `extensions.code` from
//! the fixed list, and never INTERNAL (a server fault; its cause is only logged); and when the
//! request is rejected the database is exactly as before (every table's row count, and the
//! content of every entity's table except `login_throttle`, which failed logins are meant to
//! write).
//!
//! One app per property; mutations are grouped by what they touch ([`GROUPS`]), and a test checks
//! that every mutation of the schema is in a group.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use gridloop::domain::role::Role;
use gridloop::entity::{
    app_user, auth_token, calendar, calendar_date, category, evidence, extension_request, feedback,
    grid_worker, jurisdiction, notification, notification_preference, ticket, ticket_event,
    user_role, user_scope,
};
use gridloop::error::ErrorCode;
use gridloop::graphql::ids;
use helpers::sdl::{Sdl, TypeKind, TypeRef};
use helpers::tickets::photo;
use helpers::{PASSWORD, TestApp, proptest_config, spawn_app_with, town};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{TestCaseError, TestRunner};
use reqwest::multipart::{Form, Part};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::{Map, Value, json};

/// Which property fuzzes which mutations.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "tickets",
        &[
            "dispatchTicket",
            "acceptTicket",
            "returnTicket",
            "requestExtension",
            "decideExtension",
            "resolveTicket",
            "verifyTicket",
            "rejectTicket",
            "markDuplicate",
            "suspendTicket",
            "resumeTicket",
            "reopenTicket",
            "superviseTicket",
            "submitFeedback",
        ],
    ),
    ("reports", &["reportIssue"]),
    (
        "people",
        &[
            "noop",
            "login",
            "logout",
            "createUser",
            "updateUser",
            "setNotificationPreference",
            "retryNotification",
        ],
    ),
    ("places", &["importJurisdictions", "assignChief"]),
    ("catalogue", &["upsertCategory", "upsertCalendar"]),
];

const CASES: u32 = 64;

#[test]
fn every_mutation_of_the_schema_is_fuzzed_by_exactly_one_property() {
    let sdl = Sdl::load();
    let mutations: BTreeSet<String> = sdl.field_names(sdl.root("mutation")).into_iter().collect();
    let mut grouped = BTreeSet::new();
    for (_, names) in GROUPS {
        for name in *names {
            assert!(grouped.insert(name.to_string()), "{name} is in two groups");
        }
    }
    let missing: Vec<&String> = mutations.difference(&grouped).collect();
    let unknown: Vec<&String> = grouped.difference(&mutations).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "mutations in no group: {missing:?}; groups naming no mutation: {unknown:?}"
    );
}

#[tokio::test]
async fn the_database_fingerprint_notices_a_new_row_and_a_changed_one() {
    let app = spawn_app_with(|_| {}).await;
    let empty = fingerprint(&app.db).await;
    assert!(empty.contains_key("ticket rows") && empty.contains_key("app_user content"));
    let id = app
        .create_user("someone@fuzz.test", &[Role::GridWorker], &[])
        .await;
    let one = fingerprint(&app.db).await;
    assert_ne!(empty["app_user rows"], one["app_user rows"]);
    gridloop::service::users::update_user(
        &app.state,
        gridloop::service::Actor::System,
        id,
        gridloop::service::users::UserUpdate {
            name: Some("renamed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let renamed = fingerprint(&app.db).await;
    assert_eq!(one["app_user rows"], renamed["app_user rows"]);
    assert_ne!(one["app_user content"], renamed["app_user content"]);
}

// ---------------------------------------------------------------- hostile values

/// 100 KB of text.
fn huge() -> String {
    "长".repeat(34_000)
}

fn nasty_strings() -> Vec<Value> {
    [
        "",
        " ",
        "'; DROP TABLE ticket; --",
        "\" OR 1=1 --",
        "1; SELECT pg_sleep(10)",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "\u{0}",
        "a\u{0}b",
        "\u{202e}\u{200f}מימין לשמאל",
        "🚧🔥👩‍👩‍👧‍👦",
        "\r\n\t",
        "\u{1b}[31mred",
        "%s%n%x",
        "../../../etc/passwd",
        "${jndi:ldap://x/a}",
        "{{7*7}}",
        "\\",
        "\u{feff}bom",
        "\u{fffd}",
        "NaN",
        "-1",
        "99999999999999999999999999",
    ]
    .into_iter()
    .map(Value::from)
    .collect()
}

fn string(hints: Vec<Value>) -> BoxedStrategy<Value> {
    let mut arms: Vec<(u32, BoxedStrategy<Value>)> = vec![
        (3, prop::sample::select(nasty_strings()).boxed()),
        (
            2,
            prop::collection::vec(any::<char>(), 0..24)
                .prop_map(|c| Value::from(c.into_iter().collect::<String>()))
                .boxed(),
        ),
        (1, Just(Value::from(huge())).boxed()),
    ];
    if !hints.is_empty() {
        arms.push((8, prop::sample::select(hints).boxed()));
    }
    Union::new_weighted(arms).boxed()
}

fn int(hints: Vec<Value>, chaos: bool) -> BoxedStrategy<Value> {
    let mut arms: Vec<(u32, BoxedStrategy<Value>)> = vec![
        (
            3,
            prop::sample::select(vec![
                json!(i32::MIN),
                json!(-1),
                json!(0),
                json!(1),
                json!(i32::MAX),
            ])
            .boxed(),
        ),
        (2, any::<i32>().prop_map(Value::from).boxed()),
    ];
    if chaos {
        let junk = vec![
            json!(i64::MAX),
            json!(-9_007_199_254_740_993_i64),
            json!(1e20),
            json!(1.5),
            json!("5"),
        ];
        arms.push((2, prop::sample::select(junk).boxed()));
    }
    if !hints.is_empty() {
        arms.push((5, prop::sample::select(hints).boxed()));
    }
    Union::new_weighted(arms).boxed()
}

fn float(hints: Vec<Value>, chaos: bool) -> BoxedStrategy<Value> {
    let mut arms: Vec<(u32, BoxedStrategy<Value>)> = vec![
        (
            3,
            prop::sample::select(vec![
                json!(0.0),
                json!(-0.0),
                json!(1e308),
                json!(-1e308),
                json!(90),
                json!(91),
                json!(-91),
                json!(180),
                json!(181),
                json!(-181),
                json!(5e-324),
            ])
            .boxed(),
        ),
        (
            1,
            any::<f64>()
                .prop_filter("JSON has no NaN", |f| f.is_finite())
                .prop_map(Value::from)
                .boxed(),
        ),
    ];
    if chaos {
        let junk = vec![json!("NaN"), json!("Infinity"), json!("1e400"), json!("-0")];
        arms.push((2, prop::sample::select(junk).boxed()));
    }
    if !hints.is_empty() {
        arms.push((8, prop::sample::select(hints).boxed()));
    }
    Union::new_weighted(arms).boxed()
}

fn date_time() -> BoxedStrategy<Value> {
    let valid = vec![
        json!("0001-01-01T00:00:00Z"),
        json!("9999-12-31T23:59:59Z"),
        json!("2026-11-30T01:00:00Z"),
        json!("1969-12-31T23:59:59.999999999-14:00"),
    ];
    let invalid = vec![
        json!("2026-02-30T00:00:00Z"),
        json!("+275760-09-13T00:00:00Z"),
        json!("not a date"),
        json!(""),
        json!(0),
    ];
    prop_oneof![3 => prop::sample::select(valid), 1 => prop::sample::select(invalid)].boxed()
}

fn date() -> BoxedStrategy<Value> {
    let valid = vec![
        json!("0001-01-01"),
        json!("9999-12-31"),
        json!("2026-10-01"),
        json!("2024-02-29"),
    ];
    let invalid = vec![
        json!("2026-02-29"),
        json!("2026-13-01"),
        json!("+275760-09-13"),
        json!(""),
    ];
    prop_oneof![3 => prop::sample::select(valid), 1 => prop::sample::select(invalid)].boxed()
}

fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// File contents for an upload: a PNG, bytes that are no image, nothing; or (chaos) no file part.
fn upload(chaos: bool) -> BoxedStrategy<Value> {
    let mut kinds = vec!["png", "png", "png", "garbage", "empty"];
    if chaos {
        kinds.push("missing");
    }
    prop::sample::select(kinds)
        .prop_map(|kind| json!({ "$upload": kind }))
        .boxed()
}

// ---------------------------------------------------------------- values from the schema

/// Generates values for the input types of the schema, mixing in realistic values by field name.
/// Well-typed values get past validation to the resolvers; with `chaos` anything may also come
/// where a value of another type belongs, and required fields may be missing.
#[derive(Clone)]
struct Inputs {
    sdl: Arc<Sdl>,
    hints: Arc<BTreeMap<&'static str, Vec<Value>>>,
    chaos: bool,
}

impl Inputs {
    /// Realistic values for `field` of the input type `owner` (`Owner.field` first, then `field`).
    fn hints(&self, owner: &str, field: &str) -> Vec<Value> {
        self.hints
            .get(format!("{owner}.{field}").as_str())
            .or_else(|| self.hints.get(field))
            .cloned()
            .unwrap_or_default()
    }

    /// A value for `ty`, for the field or argument `field` of `owner`.
    fn value(&self, ty: &TypeRef, owner: &str, field: &str, depth: u32) -> BoxedStrategy<Value> {
        let proper = match &ty.kind {
            TypeKind::List(element) => {
                let element = self.value(element, owner, field, depth + 1);
                let list = prop::collection::vec(element, 0..3)
                    .prop_map(Value::from)
                    .boxed();
                match self.hints(owner, field) {
                    hints if hints.is_empty() => list,
                    hints => prop_oneof![2 => prop::sample::select(hints), 1 => list].boxed(),
                }
            }
            TypeKind::Named(name) => self.named(name, owner, field, depth),
        };
        let mut arms: Vec<(u32, BoxedStrategy<Value>)> = vec![(24, proper)];
        if self.chaos {
            arms.push((3, any_json()));
        }
        if !ty.non_null {
            arms.push((3, Just(Value::Null).boxed()));
        }
        Union::new_weighted(arms).boxed()
    }

    fn named(&self, name: &str, owner: &str, field: &str, depth: u32) -> BoxedStrategy<Value> {
        let hints = self.hints(owner, field);
        match name {
            "String" => string(hints),
            "Int" => int(hints, self.chaos),
            "Float" => float(hints, self.chaos),
            "Boolean" if self.chaos => prop_oneof![
                3 => any::<bool>().prop_map(Value::from),
                1 => prop::sample::select(vec![json!("true"), json!(1)]),
            ]
            .boxed(),
            "Boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "ID" => string(hints),
            "DateTime" => date_time(),
            "NaiveDate" => date(),
            "JSON" => any_json(),
            "Upload" => upload(self.chaos),
            _ => {
                if let Some(values) = self.sdl.enum_values(name) {
                    let values: Vec<Value> = values.into_iter().map(Value::from).collect();
                    if !self.chaos {
                        return prop::sample::select(values).boxed();
                    }
                    return prop_oneof![
                        3 => prop::sample::select(values),
                        1 => string(Vec::new()),
                    ]
                    .boxed();
                }
                let fields = self
                    .sdl
                    .input_fields(name)
                    .unwrap_or_else(|| panic!("no generator for the type {name}"));
                assert!(depth < 6, "input types nest too deep at {name}");
                let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                    .into_iter()
                    .map(|f| {
                        let key = f.name.clone();
                        let value = self
                            .value(&f.ty, name, &f.name, depth + 1)
                            .prop_map(move |v| Some((key.clone(), v)));
                        match (f.ty.non_null && !f.has_default, self.chaos) {
                            (true, false) => value.boxed(),
                            (true, true) => prop_oneof![8 => value, 1 => Just(None)].boxed(),
                            (false, _) => prop_oneof![1 => value, 1 => Just(None)].boxed(),
                        }
                    })
                    .collect();
                let extra = if self.chaos {
                    prop::option::weighted(0.1, ("[a-z]{1,8}", any_json())).boxed()
                } else {
                    Just(None).boxed()
                };
                (parts, extra)
                    .prop_map(|(parts, extra)| {
                        let mut object: Map<String, Value> = parts.into_iter().flatten().collect();
                        if let Some((k, v)) = extra {
                            object.insert(k, v);
                        }
                        Value::Object(object)
                    })
                    .boxed()
            }
        }
    }
}

/// One request: which mutation, its variables (uploads still as markers), who sends it.
#[derive(Debug, Clone)]
struct Case {
    mutation: String,
    query: String,
    variables: Value,
    caller: Caller,
}

#[derive(Debug, Clone)]
enum Caller {
    /// One of the fixture sessions.
    Token(usize),
    Anonymous,
    /// Something that is no valid token.
    Junk(String),
}

/// Mostly fixture sessions, `favourite` (if any) most of all.
fn caller(sessions: usize, favourite: Option<usize>) -> BoxedStrategy<Caller> {
    let session = match favourite {
        Some(f) => prop_oneof![1 => Just(f), 1 => 0..sessions].boxed(),
        None => (0..sessions).boxed(),
    };
    prop_oneof![
        14 => session.prop_map(Caller::Token),
        1 => Just(Caller::Anonymous),
        1 => prop::sample::select(vec![
            "garbage".to_string(),
            format!("glt_{}", "A".repeat(43)),
            "x".repeat(8_000),
        ])
        .prop_map(Caller::Junk),
    ]
    .boxed()
}

/// Cases for the mutations of one group: mostly well-typed, one in five chaotic.
fn cases(
    sdl: &Arc<Sdl>,
    hints: &Arc<BTreeMap<&'static str, Vec<Value>>>,
    mutations: &[&str],
    callers: &BoxedStrategy<Caller>,
) -> BoxedStrategy<Case> {
    let inputs = |chaos| Inputs {
        sdl: sdl.clone(),
        hints: hints.clone(),
        chaos,
    };
    prop_oneof![
        4 => cases_of(&inputs(false), mutations, callers),
        1 => cases_of(&inputs(true), mutations, callers),
    ]
    .boxed()
}

/// Cases for the mutations of one group, built from their arguments in the schema.
fn cases_of(
    inputs: &Inputs,
    mutations: &[&str],
    callers: &BoxedStrategy<Caller>,
) -> BoxedStrategy<Case> {
    let sdl = inputs.sdl.clone();
    let fields = sdl.fields(sdl.root("mutation"));
    let arms: Vec<(u32, BoxedStrategy<Case>)> = mutations
        .iter()
        .map(|name| {
            let field = fields
                .iter()
                .find(|f| f.name == *name)
                .unwrap_or_else(|| panic!("no mutation {name}"))
                .clone();
            let definitions: Vec<String> = field
                .args
                .iter()
                .map(|a| format!("${}: {}", a.name, a.ty.sdl()))
                .collect();
            let uses: Vec<String> = field
                .args
                .iter()
                .map(|a| format!("{0}: ${0}", a.name))
                .collect();
            let selection = if sdl.is_object(field.ty.base()) {
                " { __typename }"
            } else {
                ""
            };
            let query = if field.args.is_empty() {
                format!("mutation {{ {name}{selection} }}")
            } else {
                format!(
                    "mutation({}) {{ {name}({}){selection} }}",
                    definitions.join(", "),
                    uses.join(", ")
                )
            };
            let args: Vec<BoxedStrategy<Option<(String, Value)>>> = field
                .args
                .iter()
                .map(|a| {
                    let key = a.name.clone();
                    inputs
                        .value(&a.ty, &format!("{name}()"), &a.name, 0)
                        .prop_map(move |v| Some((key.clone(), v)))
                        .boxed()
                })
                .collect();
            let mutation = name.to_string();
            let strategy = (args, callers.clone())
                .prop_map(move |(args, caller)| Case {
                    mutation: mutation.clone(),
                    query: query.clone(),
                    variables: Value::Object(args.into_iter().flatten().collect()),
                    caller,
                })
                .boxed();
            (1, strategy)
        })
        .collect();
    Union::new_weighted(arms).boxed()
}

// ---------------------------------------------------------------- the app and its database

/// Every table's row count, and a hash of the rows of every entity (except `login_throttle`).
async fn fingerprint(db: &DatabaseConnection) -> BTreeMap<String, String> {
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .unwrap();
    let mut print = BTreeMap::new();
    for row in tables {
        let table: String = row.try_get("", "name").unwrap();
        if table == "login_throttle" {
            continue;
        }
        let count = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{table}\""),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = count.try_get("", "n").unwrap();
        print.insert(format!("{table} rows"), n.to_string());
    }
    macro_rules! content {
        ($($entity:ident),* $(,)?) => {$(
            let mut rows: Vec<String> = $entity::Entity::find()
                .all(db)
                .await
                .unwrap()
                .iter()
                .map(|m| format!("{m:?}"))
                .collect();
            rows.sort();
            let mut hasher = DefaultHasher::new();
            rows.hash(&mut hasher);
            print.insert(format!("{} content", stringify!($entity)), format!("{:x}", hasher.finish()));
        )*};
    }
    content!(
        app_user,
        auth_token,
        calendar,
        calendar_date,
        category,
        evidence,
        extension_request,
        feedback,
        grid_worker,
        jurisdiction,
        notification,
        notification_preference,
        ticket,
        ticket_event,
        user_role,
        user_scope,
    );
    print
}

/// Replaces upload markers with `null`, returning the multipart files they stand for.
fn take_uploads(value: &mut Value, path: &str, files: &mut Vec<(String, Option<Vec<u8>>)>) {
    match value {
        Value::Object(object) => {
            if let Some(kind) = object.get("$upload").and_then(Value::as_str) {
                let bytes = match kind {
                    "png" => Some(photo()),
                    "garbage" => Some(b"definitely not an image".to_vec()),
                    "empty" => Some(Vec::new()),
                    _ => None,
                };
                files.push((path.to_string(), bytes));
                *value = Value::Null;
                return;
            }
            for (k, v) in object.iter_mut() {
                take_uploads(v, &format!("{path}.{k}"), files);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                take_uploads(v, &format!("{path}.{i}"), files);
            }
        }
        _ => {}
    }
}

struct Fuzzer {
    app: TestApp,
    /// (email, token) of each fixture session.
    sessions: Vec<(String, String)>,
}

impl Fuzzer {
    async fn new() -> (Fuzzer, BTreeMap<&'static str, Vec<Value>>) {
        let app = spawn_app_with(|s| {
            s.notify.worker = false;
            s.workers.sla_sweep_interval_ms = 0;
        })
        .await;
        app.import_town().await;
        app.create_user("admin@fuzz.test", &[Role::Admin], &[])
            .await;
        app.create_user("dispatcher@fuzz.test", &[Role::Dispatcher], &[town::TOWN])
            .await;
        let target = app
            .create_user("target@fuzz.test", &[Role::GridWorker], &[town::G1])
            .await;
        let mut sessions = Vec::new();
        for email in [
            "admin@fuzz.test",
            "dispatcher@fuzz.test",
            town::MANAGER,
            town::LANE1,
            town::WORKER1,
        ] {
            sessions.push((email.to_string(), app.login(email).await));
        }
        let lane1 = gridloop::service::users::get_by_email(&app.state, town::LANE1)
            .await
            .unwrap()
            .id;
        let mut numbers = vec![json!("GL-00000000-000000")];
        for (status, pending) in [
            ("REPORTED", false),
            ("RETURNED", false),
            ("DISPATCHED", false),
            ("DISPATCHED", true),
            ("IN_PROGRESS", false),
            ("RESOLVED", false),
            ("CLOSED", false),
            ("SUSPENDED", true),
        ] {
            let t = app.report_as(town::WORKER1, town::at(52.0, 150.0)).await;
            let t = app.force_status(t, status, lane1, pending).await;
            numbers.push(json!(t.number));
        }
        let failed = app.failed_notification(town::WORKER1).await;
        let (lat, lon) = town::at(52.0, 150.0);
        let codes = [
            town::TOWN,
            town::C2,
            town::G1,
            "LN-1",
            "ST-NOCHIEF",
            "ST-RENMIN",
        ];
        let new_street = |code: &str, name: &str| {
            let (a, b) = (town::at(0.0, 390.0), town::at(400.0, 390.0));
            json!({"type": "FeatureCollection", "features": [{"type": "Feature",
                "properties": {"kind": "street", "code": code, "name": name, "parent": town::TOWN},
                "geometry": {"type": "LineString", "coordinates": [[a.1, a.0], [b.1, b.0]]}}]})
            .to_string()
        };
        let mut geojson = vec![
            json!(new_street("ST-FUZZ", "模糊路")),
            json!(town::geojson().to_string()),
            json!(new_street("ST-FUZZ", "a\u{0}b")),
            json!(new_street("ST-FUZZ", "<script>alert(1)</script>")),
            json!(new_street("310104001001001", "kind change")),
        ];
        geojson.push(json!(format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            vec![r#"{"type":"Feature","properties":{},"geometry":null}"#; 2_000].join(",")
        )));
        let texts = || vec![json!("正常的说明"), json!("Plain text")];
        let day = json!([{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]);
        let overlap =
            json!([{"start": "08:30", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]);
        let hints: BTreeMap<&'static str, Vec<Value>> = [
            ("number", numbers.clone()),
            ("originalNumber", numbers),
            (
                "categoryCode",
                vec![json!("0507"), json!("0505"), json!("9999")],
            ),
            (
                "code",
                vec![json!("0507"), json!("9902"), json!("CN"), json!("FZ")],
            ),
            ("jurisdictionCode", codes.iter().map(|c| json!(c)).collect()),
            ("scope", codes.iter().map(|c| json!(c)).collect()),
            (
                "email",
                vec![
                    json!(town::WORKER1),
                    json!(town::LANE1),
                    json!("new@fuzz.test"),
                    json!("target@fuzz.test"),
                ],
            ),
            (
                "password",
                vec![json!(PASSWORD), json!("another good password")],
            ),
            ("name", texts()),
            ("nameEn", texts()),
            ("description", texts()),
            ("reason", texts()),
            ("note", texts()),
            ("comment", texts()),
            ("address", texts()),
            ("lat", vec![json!(lat)]),
            ("lon", vec![json!(lon)]),
            (
                "assigneeId",
                vec![
                    json!(ids::encode("User", lane1)),
                    json!(ids::encode("Ticket", 1)),
                ],
            ),
            (
                "UpdateUserInput.id",
                vec![
                    json!(ids::encode("User", target)),
                    json!(ids::encode("User", -1)),
                    json!(ids::encode("User", i64::MAX)),
                    json!(ids::encode("User", "1 OR 1=1")),
                    json!(ids::encode("Notification", failed)),
                ],
            ),
            (
                "RetryNotificationInput.id",
                vec![
                    json!(ids::encode("Notification", failed)),
                    json!(ids::encode("Notification", i64::MIN)),
                    json!(ids::encode("User", target)),
                ],
            ),
            (
                "weeklyWindows",
                vec![
                    json!([
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        [],
                        []
                    ]),
                    json!([[], [], [], [], [], [], []]),
                    json!([
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        day.clone(),
                        overlap
                    ]),
                ],
            ),
            ("workdayWindows", vec![day.clone()]),
            ("geojson", geojson),
            (
                "timezone",
                vec![json!("Asia/Shanghai"), json!("UTC"), json!("Mars/Olympus")],
            ),
            (
                "start",
                vec![json!("08:30"), json!("13:30"), json!("24:00"), json!("8:3")],
            ),
            (
                "end",
                vec![
                    json!("12:00"),
                    json!("17:30"),
                    json!("00:00"),
                    json!("25:61"),
                ],
            ),
            ("clientRequestId", vec![json!("req-1"), json!("req-2")]),
            ("locale", vec![json!("zh"), json!("en"), json!("fr")]),
            ("phone", vec![json!("+86 138-0000-0000"), json!("()")]),
            ("minutes", vec![json!(30), json!(43_200), json!(43_201)]),
            ("score", vec![json!(1), json!(5), json!(0), json!(6)]),
            ("expectedVersion", vec![json!(1), json!(2), json!(3)]),
            (
                "dispatchLimitMinutes",
                vec![json!(60), json!(527_040), json!(527_041)],
            ),
            ("handleLimitMinutes", vec![json!(120), json!(527_040)]),
            ("verifyLimitMinutes", vec![json!(60)]),
            ("duplicateWindowMinutes", vec![json!(1_440)]),
            (
                "duplicateRadiusMeters",
                vec![json!(50.0), json!(5_000.0), json!(5_000.1)],
            ),
            ("calendarCode", vec![json!("CN"), json!("NOPE")]),
        ]
        .into_iter()
        .collect();
        let fuzzer = Fuzzer { app, sessions };
        (fuzzer, hints)
    }

    /// Sends one case; returns the HTTP status and the JSON answer (`null` if it is not JSON).
    async fn send(&self, case: &Case) -> (reqwest::StatusCode, Value) {
        let token = match &case.caller {
            // Logging out a fixture session would end it for the cases after this one.
            Caller::Token(i) if case.mutation == "logout" => {
                Some(self.app.login(&self.sessions[*i].0).await)
            }
            Caller::Token(i) => Some(self.sessions[*i].1.clone()),
            Caller::Anonymous => None,
            Caller::Junk(junk) => Some(junk.clone()),
        };
        let mut variables = case.variables.clone();
        let mut files = Vec::new();
        take_uploads(&mut variables, "variables", &mut files);
        let operations = json!({ "query": case.query, "variables": variables });
        let mut request = self.app.client.post(self.app.url("/graphql"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = if files.is_empty() {
            request.json(&operations)
        } else {
            let map: Map<String, Value> = files
                .iter()
                .enumerate()
                .map(|(i, (path, _))| (i.to_string(), json!([path])))
                .collect();
            let mut form = Form::new()
                .text("operations", operations.to_string())
                .text("map", Value::Object(map).to_string());
            for (i, (_, bytes)) in files.into_iter().enumerate() {
                if let Some(bytes) = bytes {
                    let part = Part::bytes(bytes)
                        .file_name(format!("photo{i}.png"))
                        .mime_str("image/png")
                        .unwrap();
                    form = form.part(i.to_string(), part);
                }
            }
            request.multipart(form)
        };
        let response = request.send().await.expect("send the request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Runs one case and checks the promises of this file.
    async fn check(&self, case: &Case) -> Result<(), String> {
        let before = fingerprint(&self.app.db).await;
        let (status, body) = self.send(case).await;
        if status.is_server_error() {
            return Err(format!("HTTP {status}: {body}"));
        }
        let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        for error in &errors {
            match error["extensions"]["code"].as_str() {
                Some("INTERNAL") => return Err(format!("INTERNAL (a server fault): {error}")),
                Some(code) if known.contains(&code) => {}
                _ => return Err(format!("an error without a known code: {error}")),
            }
        }
        let accepted = status.is_success() && errors.is_empty() && !body["data"].is_null();
        if !accepted && errors.is_empty() {
            return Err(format!("HTTP {status} without errors: {body}"));
        }
        if !accepted {
            let after = fingerprint(&self.app.db).await;
            let changed: Vec<&String> = before
                .iter()
                .filter(|(k, v)| after.get(*k) != Some(v))
                .map(|(k, _)| k)
                .collect();
            if !changed.is_empty() {
                return Err(format!(
                    "rejected with {}, yet changed {changed:?}",
                    errors[0]["extensions"]["code"]
                ));
            }
        }
        Ok(())
    }
}

/// Runs `CASES` cases of one group on an app of its own.
fn fuzz_group(group: &str) {
    let mutations = GROUPS
        .iter()
        .find(|(name, _)| *name == group)
        .map(|(_, m)| *m)
        .unwrap_or_else(|| panic!("no group {group}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (fuzzer, hints) = runtime.block_on(Fuzzer::new());
    // Sessions: 0 admin, 1 dispatcher, 2 manager, 3 lane chief, 4 grid worker.
    let favourite = match group {
        "tickets" => None,
        "reports" => Some(4),
        _ => Some(0),
    };
    let callers = caller(fuzzer.sessions.len(), favourite);
    let strategy = cases(
        &Arc::new(Sdl::load()),
        &Arc::new(hints),
        mutations,
        &callers,
    );
    let mut config = proptest_config(CASES, file!());
    config.max_shrink_iters = 64;
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |case| {
        runtime
            .block_on(fuzzer.check(&case))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{group}: {e}");
    }
}

#[test]
fn ticket_actions_survive_hostile_input_without_a_server_error_or_a_half_applied_change() {
    fuzz_group("tickets");
}

#[test]
fn reports_survive_hostile_input_without_a_server_error_or_a_half_applied_change() {
    fuzz_group("reports");
}

#[test]
fn people_and_sessions_survive_hostile_input_without_a_server_error_or_a_half_applied_change() {
    fuzz_group("people");
}

#[test]
fn place_imports_survive_hostile_input_without_a_server_error_or_a_half_applied_change() {
    fuzz_group("places");
}

#[test]
fn categories_and_calendars_survive_hostile_input_without_a_server_error_or_a_half_applied_change()
{
    fuzz_group("catalogue");
}

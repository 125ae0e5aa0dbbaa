//! The authorization matrix: every query and mutation of `schema/schema.graphql`, for every role
//! and for an anonymous caller, on something inside and something outside the caller's scope,
//! checked against one table of expected outcomes ([`MATRIX`]).
//!
//! The callers are people of the test town (`helpers::town`); "outside" is a second town in
//! another district (`helpers::other_town`) that none of them belongs to.
//!
//! | caller | who | inside (their own jurisdiction) |
//! |---|---|---|
//! | GRID_WORKER | worker1, patrols grid G1 | G1 |
//! | LANE_CHIEF | lane1, chief of lane LN-1 | LN-1 |
//! | STREET_CHIEF | street1, chief of street ST-RENMIN | ST-RENMIN |
//! | DISPATCHER | a dispatcher of the town | the town |
//! | MANAGER | the town's manager | the town |
//! | ADMIN | an admin (no scope: sees everything) | the town |
//! | anonymous | no `Authorization` header | the town |
//!
//! A ticket inside lies in grid G1 on lane LN-1, was reported by worker1 and is held by the
//! acting chief (lane1 or street1), or by lane1 when the caller is not a chief. A ticket
//! outside lies in the other town, reported by its grid worker and held by its lane chief.
//! Every ticket action gets a fresh ticket in a status the action may start from, so the table
//! tests who may act, not when; `lifecycle_table.rs` covers the statuses.
//!
//! Outcomes: ALLOW = no error and data; NO = `extensions.code` FORBIDDEN; ANON = UNAUTHENTICATED;
//! HIDE = no error, and nothing of the other town in the answer (a list filtered to the caller's
//! scope). Decisions the table records:
//! - The product does not hide existence: a ticket, jurisdiction or user outside your scope is
//!   FORBIDDEN, an unknown one NOT_FOUND. So no row expects NOT_FOUND.
//! - Lists (`users`, `jurisdictions`, `tickets`, `myQueue`) never fail for scope; they leave out
//!   what lies outside it.
//! - ADMINs run places, people, categories, calendars and the outbox but take no part in the
//!   ticket loop (domain.md names who acts; an admin is none of them): FORBIDDEN there.
//! - A grid worker may report anywhere: a patrol crosses boundaries and routing decides whose the
//!   ticket is. A dispatcher may only enter reports inside their scope.
//! - `routePreview` has no scope: any logged-in user may ask about any point and sees the grid,
//!   street, lane and handler there (ALLOW outside, and the answer names the other town).
//! - An action with a second target has rows of its own (`markDuplicate:original`,
//!   `dispatchTicket:assignee`): the ticket is inside, the scope is the other target's. The
//!   original of a duplicate must be a ticket the caller may see; the chosen assignee may be
//!   any enabled chief, since routing itself picks the chief of a street of the next town.
//! - `apiVersion`, `databaseBackend`, `noop` and `login` need no login.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::BTreeSet;
use std::fmt;

use futures::StreamExt;
use gridloop::domain::role::Role;
use gridloop::entity::{app_user, ticket};
use gridloop::graphql::ids;
use gridloop::service::{places, users};
use helpers::sdl::Sdl;
use helpers::tickets::photo;
use helpers::{PASSWORD, TestApp, error_code, other_town, spawn_app, town};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// The caller's own jurisdiction, or a ticket in it.
    Inside,
    /// The other town.
    Outside,
    /// The operation is not about anything in anyone's scope.
    NoTarget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Filtered,
    Forbidden,
    NotFound,
    Unauthenticated,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Allowed => "ALLOW",
            Outcome::Filtered => "HIDE",
            Outcome::Forbidden => "FORBIDDEN",
            Outcome::NotFound => "NOT_FOUND",
            Outcome::Unauthenticated => "UNAUTHENTICATED",
        })
    }
}

use Outcome::{Allowed as ALLOW, Filtered as HIDE, Forbidden as NO, Unauthenticated as ANON};
use Scope::{Inside, NoTarget, Outside};

/// The table's columns, in order.
const CALLERS: [Option<Role>; 7] = [
    Some(Role::GridWorker),
    Some(Role::LaneChief),
    Some(Role::StreetChief),
    Some(Role::Dispatcher),
    Some(Role::Manager),
    Some(Role::Admin),
    None,
];

/// (operation, scope, expected outcome for each of [`CALLERS`]). An operation is a root field of
/// the schema, optionally with a variant after a colon (`node:Ticket`).
type Row = (&'static str, Scope, [Outcome; 7]);

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //  operation                     scope      GRID_W LANE   STREET DISP   MANAGER ADMIN  anonymous
    // ---- queries
    ("apiVersion",                    NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW]),
    ("databaseBackend",               NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW]),
    ("me",                            NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("users",                         Inside,   [NO,    NO,    NO,    NO,    ALLOW, ALLOW, ANON]),
    ("users",                         Outside,  [NO,    NO,    NO,    NO,    HIDE,  ALLOW, ANON]),
    ("categories",                    NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("jurisdiction",                  Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("jurisdiction",                  Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("jurisdictions",                 Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("jurisdictions",                 Outside,  [HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  ALLOW, ANON]),
    ("routePreview",                  Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("routePreview",                  Outside,  [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("node:Ticket",                   Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("node:Ticket",                   Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("node:Jurisdiction",             Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("node:Jurisdiction",             Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("node:User",                     Inside,   [NO,    NO,    NO,    NO,    ALLOW, ALLOW, ANON]),
    ("node:User",                     Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("node:Category",                 NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("ticket",                        Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("ticket",                        Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("tickets",                       Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("tickets",                       Outside,  [HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  ALLOW, ANON]),
    ("myQueue",                       Inside,   [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("myQueue",                       Outside,  [HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  ANON]),
    ("calendars",                     NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("outbox",                        NoTarget, [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("notificationPreferences",       NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("statistics",                    Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, ALLOW, ANON]),
    ("statistics",                    Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("ranking",                       Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, ALLOW, ANON]),
    ("ranking",                       Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("hotspots",                      Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, ALLOW, ANON]),
    ("hotspots",                      Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("overdue",                       Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, ALLOW, ANON]),
    ("overdue",                       Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    // ---- mutations: the session and the caller's own settings
    ("noop",                          NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW]),
    ("login",                         NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW]),
    ("logout",                        NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    ("setNotificationPreference",     NoTarget, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ANON]),
    // ---- mutations: administration (ADMIN only, anywhere)
    ("createUser",                    Inside,   [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("createUser",                    Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("updateUser",                    Inside,   [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("updateUser",                    Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("upsertCategory",                NoTarget, [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("importJurisdictions",           Inside,   [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("importJurisdictions",           Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("assignChief",                   Inside,   [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("assignChief",                   Outside,  [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("upsertCalendar",                NoTarget, [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    ("retryNotification",             NoTarget, [NO,    NO,    NO,    NO,    NO,    ALLOW, ANON]),
    // ---- mutations: the ticket loop (domain.md, "The loop")
    ("reportIssue",                   Inside,   [ALLOW, NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("reportIssue",                   Outside,  [ALLOW, NO,    NO,    NO,    NO,    NO,    ANON]),
    ("dispatchTicket",                Inside,   [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("dispatchTicket",                Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    // the ticket is inside; the scope is the chosen assignee's. Any enabled chief may be chosen:
    // routing itself hands tickets to the chief of a street that belongs to the next town.
    ("dispatchTicket:assignee",       Inside,   [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("dispatchTicket:assignee",       Outside,  [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("rejectTicket",                  Inside,   [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("rejectTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("markDuplicate",                 Inside,   [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("markDuplicate",                 Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    // the ticket is inside; the scope is the original's: linking to a ticket one may not see is refused
    ("markDuplicate:original",        Inside,   [NO,    NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("markDuplicate:original",        Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("acceptTicket",                  Inside,   [NO,    ALLOW, ALLOW, NO,    NO,    NO,    ANON]),
    ("acceptTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("returnTicket",                  Inside,   [NO,    ALLOW, ALLOW, NO,    NO,    NO,    ANON]),
    ("returnTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("requestExtension",              Inside,   [NO,    ALLOW, ALLOW, NO,    NO,    NO,    ANON]),
    ("requestExtension",              Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("decideExtension",               Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, NO,    ANON]),
    ("decideExtension",               Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("resolveTicket",                 Inside,   [NO,    ALLOW, ALLOW, NO,    NO,    NO,    ANON]),
    ("resolveTicket",                 Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("verifyTicket",                  Inside,   [ALLOW, NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("verifyTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("suspendTicket",                 Inside,   [NO,    NO,    NO,    NO,    ALLOW, NO,    ANON]),
    ("suspendTicket",                 Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("resumeTicket",                  Inside,   [NO,    NO,    NO,    NO,    ALLOW, NO,    ANON]),
    ("resumeTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("reopenTicket",                  Inside,   [NO,    NO,    NO,    ALLOW, ALLOW, NO,    ANON]),
    ("reopenTicket",                  Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("superviseTicket",               Inside,   [NO,    NO,    NO,    NO,    ALLOW, NO,    ANON]),
    ("superviseTicket",               Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
    ("submitFeedback",                Inside,   [ALLOW, NO,    NO,    ALLOW, NO,    NO,    ANON]),
    ("submitFeedback",                Outside,  [NO,    NO,    NO,    NO,    NO,    NO,    ANON]),
];

/// Root fields whose answer is a list (or a lookup) that must leave out what lies outside the
/// caller's scope: on an `Outside` row they are ALLOW when the answer shows the other town and
/// HIDE when it does not.
const SCOPED_LISTS: [&str; 5] = [
    "users",
    "jurisdictions",
    "tickets",
    "myQueue",
    "routePreview",
];

/// `node:Ticket` → `node`.
fn root_field(operation: &str) -> &str {
    operation.split(':').next().unwrap_or(operation)
}

/// The field names of the query and mutation root types of `schema/schema.graphql`.
fn schema_fields() -> (BTreeSet<String>, BTreeSet<String>) {
    let sdl = Sdl::load();
    let names = |operation: &str| sdl.field_names(sdl.root(operation)).into_iter().collect();
    (names("query"), names("mutation"))
}

#[test]
fn the_matrix_has_one_row_per_scope_for_every_query_and_mutation_of_the_schema() {
    let (queries, mutations) = schema_fields();
    assert!(
        queries.contains("ticket") && mutations.contains("reportIssue"),
        "the schema parser found {queries:?} and {mutations:?}"
    );
    let covered: BTreeSet<&str> = MATRIX.iter().map(|(op, _, _)| root_field(op)).collect();
    let missing: Vec<&String> = queries
        .iter()
        .chain(&mutations)
        .filter(|f| !covered.contains(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a row in MATRIX: {missing:?}"
    );
    let unknown: Vec<&&str> = covered
        .iter()
        .filter(|f| !queries.contains(**f) && !mutations.contains(**f))
        .collect();
    assert!(unknown.is_empty(), "rows for no schema field: {unknown:?}");

    let mut seen = BTreeSet::new();
    for (op, scope, _) in MATRIX {
        assert!(seen.insert((*op, *scope)), "two rows for {op} {scope:?}");
    }
    let operations: BTreeSet<&str> = MATRIX.iter().map(|(op, _, _)| *op).collect();
    for op in operations {
        let has = |s| seen.contains(&(op, s));
        assert!(
            has(NoTarget) != (has(Inside) || has(Outside)) && has(Inside) == has(Outside),
            "{op} needs either one NoTarget row or an Inside and an Outside row"
        );
    }
}

/// One column of the table: who calls, with which token, and what "inside" is for them.
struct Caller {
    role: Option<Role>,
    email: Option<&'static str>,
    token: Option<String>,
    home: &'static str,
}

impl Caller {
    fn name(&self) -> &'static str {
        self.role.map_or("anonymous", Role::as_str)
    }
}

const DISPATCHER: &str = "dispatcher@town.test";
const ADMIN: &str = "admin@town.test";
/// Users that rows look at or act on, never callers.
const TARGET_INSIDE: &str = "target@town.test";
const TARGET_OUTSIDE: &str = "target@townb.test";
const LOGIN: &str = "login@town.test";

/// The shared app and the fixtures every row may use.
struct World {
    app: TestApp,
    callers: Vec<Caller>,
    lane1: i64,
    street1: i64,
    lane_b: i64,
    /// A DISPATCHED ticket inside (held by lane1) and one outside (held by the other lane chief).
    inside: ticket::Model,
    outside: ticket::Model,
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    users::get_by_email(&app.state, email).await.unwrap().id
}

/// Where tickets inside and outside are reported: on lane LN-1 in grid G1, or on the other
/// town's lane.
fn spot(scope: Scope) -> (f64, f64) {
    match scope {
        Outside => other_town::at(52.0, 150.0),
        _ => town::at(52.0, 150.0),
    }
}

/// A fresh ticket inside or outside, forced into `status` and held by `holder` (nobody while
/// REPORTED), with a pending extension request when asked.
async fn ticket_in(
    app: &TestApp,
    scope: Scope,
    status: &str,
    holder: i64,
    pending_extension: bool,
) -> ticket::Model {
    let reporter = match scope {
        Outside => other_town::WORKER,
        _ => town::WORKER1,
    };
    let t = app.report_as(reporter, spot(scope)).await;
    app.force_status(t, status, holder, pending_extension).await
}

async fn world() -> World {
    let app = spawn_app().await;
    app.import_town().await;
    app.import_other_town().await;
    app.create_user(DISPATCHER, &[Role::Dispatcher], &[town::TOWN])
        .await;
    app.create_user(ADMIN, &[Role::Admin], &[]).await;
    app.create_user(TARGET_INSIDE, &[Role::GridWorker], &[town::G1])
        .await;
    app.create_user(TARGET_OUTSIDE, &[Role::GridWorker], &[other_town::GB1])
        .await;
    app.create_user(LOGIN, &[Role::GridWorker], &[]).await;

    let people: [(Option<&'static str>, &'static str); 7] = [
        (Some(town::WORKER1), town::G1),
        (Some(town::LANE1), "LN-1"),
        (Some(town::STREET1), "ST-RENMIN"),
        (Some(DISPATCHER), town::TOWN),
        (Some(town::MANAGER), town::TOWN),
        (Some(ADMIN), town::TOWN),
        (None, town::TOWN),
    ];
    let mut callers = Vec::new();
    for (role, (email, home)) in CALLERS.into_iter().zip(people) {
        let token = match email {
            Some(email) => Some(app.login(email).await),
            None => None,
        };
        callers.push(Caller {
            role,
            email,
            token,
            home,
        });
    }

    let lane1 = user_id(&app, town::LANE1).await;
    let street1 = user_id(&app, town::STREET1).await;
    let lane_b = user_id(&app, other_town::LANE_CHIEF).await;
    // Something for every queue and list on both sides: a ticket held by a chief (auto-dispatched),
    // one waiting for a dispatcher, one waiting for verification.
    let inside = app.report_as(town::WORKER1, spot(Inside)).await;
    let outside = app.report_as(other_town::WORKER, spot(Outside)).await;
    assert_eq!(
        (inside.assignee_id, outside.assignee_id),
        (Some(lane1), Some(lane_b)),
        "the fixtures are routed to the lane chiefs"
    );
    for scope in [Inside, Outside] {
        let holder = if scope == Inside { lane1 } else { lane_b };
        ticket_in(&app, scope, "REPORTED", holder, false).await;
        ticket_in(&app, scope, "RESOLVED", holder, false).await;
    }
    World {
        app,
        callers,
        lane1,
        street1,
        lane_b,
        inside,
        outside,
    }
}

/// What a row must not have changed when it was refused.
enum Untouched {
    Nothing,
    Ticket {
        id: i64,
        version: i32,
    },
    NoUser(String),
    UserName {
        id: i64,
        name: String,
    },
    NoPlace(String),
    /// The user did not become the place's chief.
    NotChief {
        code: &'static str,
        chief: i64,
    },
}

struct Probe {
    body: Value,
    untouched: Untouched,
}

impl Probe {
    fn new(body: Value) -> Self {
        Self {
            body,
            untouched: Untouched::Nothing,
        }
    }
}

/// The status a ticket action is tried from, and whether it needs a pending extension request.
fn ticket_action(operation: &str) -> Option<(&'static str, bool)> {
    Some(match operation {
        "dispatchTicket" | "rejectTicket" | "markDuplicate" => ("REPORTED", false),
        "acceptTicket" | "returnTicket" | "requestExtension" | "resolveTicket"
        | "suspendTicket" | "superviseTicket" => ("DISPATCHED", false),
        "decideExtension" => ("DISPATCHED", true),
        "verifyTicket" => ("RESOLVED", false),
        "resumeTicket" => ("SUSPENDED", false),
        "reopenTicket" | "submitFeedback" => ("CLOSED", false),
        _ => return None,
    })
}

const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Ticket { number grid { code } } ... on Jurisdiction { code } ... on User { email scope } ... on Category { code } } }";
const TICKET_LIST: &str = "totalCount nodes { number grid { code } lane { code } }";

impl World {
    async fn send(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        self.app
            .graphql_as(caller.token.as_deref(), query, variables)
            .await
    }

    async fn place_id(&self, code: &str) -> i64 {
        places::find_by_code(&self.app.state, code)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no place {code}"))
            .id
    }

    /// Runs one cell of the table and returns the answer.
    async fn probe(&self, operation: &str, scope: Scope, caller: &Caller) -> Probe {
        let app = &self.app;
        let code = match scope {
            Outside => other_town::TOWN,
            _ => caller.home,
        };
        let shared = if scope == Outside {
            &self.outside
        } else {
            &self.inside
        };
        let (action, second_target) = match operation.split_once(':') {
            Some((action, _)) => (action, true),
            None => (operation, false),
        };
        if let Some((status, pending)) = ticket_action(action) {
            // With a second target (`markDuplicate:original`, `dispatchTicket:assignee`) the
            // ticket itself is inside and the scope is that of the other ticket or person.
            let ticket_scope = if second_target { Inside } else { scope };
            let holder = match (ticket_scope, caller.role) {
                (Outside, _) => self.lane_b,
                (_, Some(Role::StreetChief)) => self.street1,
                _ => self.lane1,
            };
            let t = ticket_in(app, ticket_scope, status, holder, pending).await;
            let assignee = if scope == Outside {
                self.lane_b
            } else {
                self.lane1
            };
            let input = match operation {
                "dispatchTicket:assignee" => {
                    json!({"number": t.number, "assigneeId": ids::encode("User", assignee)})
                }
                "returnTicket" | "rejectTicket" | "suspendTicket" | "reopenTicket" => {
                    json!({"number": t.number, "reason": "原因"})
                }
                "requestExtension" => json!({"number": t.number, "minutes": 60, "reason": "原因"}),
                "decideExtension" => json!({"number": t.number, "approved": true}),
                "verifyTicket" => json!({"number": t.number, "passed": true}),
                "markDuplicate" | "markDuplicate:original" => {
                    json!({"number": t.number, "originalNumber": shared.number})
                }
                "superviseTicket" => json!({"number": t.number, "note": "督办"}),
                "submitFeedback" => json!({"number": t.number, "score": 5}),
                "resolveTicket" => {
                    json!({"number": t.number, "note": "已清理", "photos": [{"file": null}]})
                }
                _ => json!({"number": t.number}),
            };
            let input_type = format!("{}{}Input", action[..1].to_uppercase(), &action[1..]);
            let query = format!(
                "mutation($input: {input_type}!) {{ {action}(input: $input) {{ ticket {{ number version grid {{ code }} }} }} }}"
            );
            let variables = json!({ "input": input });
            let body = if action == "resolveTicket" {
                let file = ("variables.input.photos.0.file".to_string(), photo());
                app.graphql_multipart_as(caller.token.as_deref(), &query, variables, vec![file])
                    .await
            } else {
                self.send(caller, &query, variables).await
            };
            return Probe {
                body,
                untouched: Untouched::Ticket {
                    id: t.id,
                    version: t.version,
                },
            };
        }
        let body = match operation {
            "apiVersion" => self.send(caller, "{ apiVersion }", json!({})).await,
            "databaseBackend" => self.send(caller, "{ databaseBackend }", json!({})).await,
            "me" => self.send(caller, "{ me { email } }", json!({})).await,
            "users" => {
                let query = "{ users(first: 100) { nodes { email scope } } }";
                self.send(caller, query, json!({})).await
            }
            "categories" => {
                self.send(caller, "{ categories { code } }", json!({}))
                    .await
            }
            "jurisdiction" => {
                let query = "query($c: String!) { jurisdiction(code: $c) { code } }";
                self.send(caller, query, json!({"c": code})).await
            }
            "jurisdictions" => {
                let query = "query($p: String) { jurisdictions(parentCode: $p, first: 100) { nodes { code } } }";
                self.send(caller, query, json!({"p": code})).await
            }
            "routePreview" => {
                let (lat, lon) = spot(scope);
                let query = "query($lat: Float!, $lon: Float!) { routePreview(lat: $lat, lon: $lon, categoryCode: \"0507\") { routed grid { code } lane { code } handler { email } } }";
                self.send(caller, query, json!({"lat": lat, "lon": lon}))
                    .await
            }
            "node:Ticket" => {
                let id = ids::encode("Ticket", shared.id);
                self.send(caller, NODE, json!({ "id": id })).await
            }
            "node:Jurisdiction" => {
                let id = ids::encode("Jurisdiction", self.place_id(code).await);
                self.send(caller, NODE, json!({ "id": id })).await
            }
            "node:User" => {
                let email = if scope == Outside {
                    TARGET_OUTSIDE
                } else {
                    TARGET_INSIDE
                };
                let id = ids::encode("User", user_id(app, email).await);
                self.send(caller, NODE, json!({ "id": id })).await
            }
            "node:Category" => {
                let id = ids::encode("Category", "0507");
                self.send(caller, NODE, json!({ "id": id })).await
            }
            "ticket" => {
                let query = "query($n: String!) { ticket(number: $n) { number grid { code } } }";
                self.send(caller, query, json!({"n": shared.number})).await
            }
            "tickets" => {
                let query = format!(
                    "query($j: String) {{ tickets(filter: {{jurisdictionCode: $j}}, first: 100) {{ {TICKET_LIST} }} }}"
                );
                self.send(caller, &query, json!({"j": code})).await
            }
            "myQueue" => {
                let query = format!("{{ myQueue(first: 100) {{ {TICKET_LIST} }} }}");
                self.send(caller, &query, json!({})).await
            }
            "calendars" => self.send(caller, "{ calendars { code } }", json!({})).await,
            "outbox" => {
                let query = "{ outbox(first: 5) { nodes { id status } } }";
                self.send(caller, query, json!({})).await
            }
            "notificationPreferences" => {
                let query = "{ notificationPreferences { kind enabled } }";
                self.send(caller, query, json!({})).await
            }
            "statistics" => {
                let query = "query($s: String) { statistics(input: {scope: $s}) { scopeCode totals { reported } } }";
                self.send(caller, query, json!({"s": code})).await
            }
            "ranking" => {
                let query = "query($s: String) { ranking(input: {scope: $s, level: STREET}) { scopeCode ranked { rank } } }";
                self.send(caller, query, json!({"s": code})).await
            }
            "hotspots" => {
                let query = "query($s: String) { hotspots(input: {scope: $s}) { scopeCode cells { count } } }";
                self.send(caller, query, json!({"s": code})).await
            }
            "overdue" => {
                let query = "query($s: String) { overdue(scope: $s, first: 10) { totalCount } }";
                self.send(caller, query, json!({"s": code})).await
            }
            "noop" => self.send(caller, "mutation { noop }", json!({})).await,
            "login" => {
                let query = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }";
                self.send(caller, query, json!({"e": LOGIN, "p": PASSWORD}))
                    .await
            }
            "logout" => {
                // A session of its own: logging out must not end the caller's shared token.
                let token = match caller.email {
                    Some(email) => Some(app.login(email).await),
                    None => None,
                };
                app.graphql_as(token.as_deref(), "mutation { logout { ok } }", json!({}))
                    .await
            }
            "setNotificationPreference" => {
                let query = "mutation { setNotificationPreference(input: {kind: RESOLVED, enabled: true}) { preferences { kind enabled } } }";
                self.send(caller, query, json!({})).await
            }
            "createUser" => {
                let email = format!("new-{}@people.test", uuid::Uuid::new_v4().simple());
                let grid = if scope == Outside {
                    other_town::GB1
                } else {
                    town::G1
                };
                let query = "mutation($i: CreateUserInput!) { createUser(input: $i) { user { email scope } } }";
                let input = json!({"email": email, "name": "新人", "roles": ["GRID_WORKER"], "scope": [grid], "password": PASSWORD});
                let body = self.send(caller, query, json!({ "i": input })).await;
                return Probe {
                    body,
                    untouched: Untouched::NoUser(email),
                };
            }
            "updateUser" => {
                let email = format!("old-{}@people.test", uuid::Uuid::new_v4().simple());
                let grid = if scope == Outside {
                    other_town::GB1
                } else {
                    town::G1
                };
                let id = app.create_user(&email, &[Role::GridWorker], &[grid]).await;
                let query = "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { email scope } } }";
                let input = json!({"id": ids::encode("User", id), "name": "改名"});
                let body = self.send(caller, query, json!({ "i": input })).await;
                let name = email.split('@').next().unwrap_or_default().to_string();
                return Probe {
                    body,
                    untouched: Untouched::UserName { id, name },
                };
            }
            "upsertCategory" => {
                let query = "mutation($i: UpsertCategoryInput!) { upsertCategory(input: $i) { category { code } } }";
                let input = json!({"code": "9901", "name": "矩阵测试", "nameEn": "Matrix test", "handlerLevel": "LANE", "priority": "NORMAL", "dispatchLimitMinutes": 60, "handleLimitMinutes": 120, "verifyLimitMinutes": 60, "calendarKind": "WORKING"});
                self.send(caller, query, json!({ "i": input })).await
            }
            "importJurisdictions" => {
                let code = format!("ST-MX-{}", uuid::Uuid::new_v4().simple());
                let (parent, a, b) = if scope == Outside {
                    (
                        other_town::TOWN,
                        other_town::at(0.0, 380.0),
                        other_town::at(400.0, 380.0),
                    )
                } else {
                    (town::TOWN, town::at(0.0, 380.0), town::at(400.0, 380.0))
                };
                let file = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
                    "properties": {"kind": "street", "code": code, "name": "矩阵路", "parent": parent, "bufferMeters": 5},
                    "geometry": {"type": "LineString", "coordinates": [[a.1, a.0], [b.1, b.0]]}}]});
                let query = "mutation($g: String!) { importJurisdictions(input: {geojson: $g}) { created updated } }";
                let body = self
                    .send(caller, query, json!({"g": file.to_string()}))
                    .await;
                return Probe {
                    body,
                    untouched: Untouched::NoPlace(code),
                };
            }
            "assignChief" => {
                let code = if scope == Outside {
                    other_town::CB2
                } else {
                    town::C2
                };
                // A chief of its own, so that the admin's rows cannot be mistaken for this one's.
                let email = format!("chief-{}@people.test", uuid::Uuid::new_v4().simple());
                let chief = app.create_user(&email, &[Role::StreetChief], &[]).await;
                let query = "mutation($c: String!, $e: String!) { assignChief(input: {jurisdictionCode: $c, email: $e}) { jurisdiction { code chief { email } } } }";
                let body = self
                    .send(caller, query, json!({"c": code, "e": email}))
                    .await;
                return Probe {
                    body,
                    untouched: Untouched::NotChief { code, chief },
                };
            }
            "upsertCalendar" => {
                let day = json!([{"start": "09:00", "end": "17:00"}]);
                let input = json!({"code": "MX", "name": "矩阵", "weeklyWindows": [day, day, day, day, day, [], []], "workdayWindows": day});
                let query = "mutation($i: UpsertCalendarInput!) { upsertCalendar(input: $i) { calendar { code } } }";
                self.send(caller, query, json!({ "i": input })).await
            }
            "retryNotification" => {
                let query = "mutation($id: ID!) { retryNotification(input: {id: $id}) { notification { id status } } }";
                let id = ids::encode("Notification", app.failed_notification(town::WORKER1).await);
                self.send(caller, query, json!({ "id": id })).await
            }
            "reportIssue" => {
                let (lat, lon) = spot(scope);
                let query = "mutation($input: ReportIssueInput!) { reportIssue(input: $input) { ticket { number grid { code } } } }";
                let input = json!({"categoryCode": "0507", "description": "矩阵测试", "lat": lat, "lon": lon, "photos": [{"file": null}]});
                let file = ("variables.input.photos.0.file".to_string(), photo());
                app.graphql_multipart_as(
                    caller.token.as_deref(),
                    query,
                    json!({ "input": input }),
                    vec![file],
                )
                .await
            }
            other => panic!("no probe for {other}: add one to World::probe"),
        };
        Probe::new(body)
    }

    /// Something a refused row should not have changed, if it did.
    async fn changed(&self, untouched: &Untouched) -> Option<String> {
        let db = &self.app.db;
        match untouched {
            Untouched::Nothing => None,
            Untouched::Ticket { id, version } => {
                let now = ticket::Entity::find_by_id(*id)
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap();
                (now.version != *version).then(|| format!("the ticket moved to {}", now.status))
            }
            Untouched::NoUser(email) => users::get_by_email(&self.app.state, email)
                .await
                .is_ok()
                .then(|| format!("user {email} was created")),
            Untouched::UserName { id, name } => {
                let now = app_user::Entity::find_by_id(*id)
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap();
                (now.name != *name).then(|| format!("the user was renamed to {}", now.name))
            }
            Untouched::NoPlace(code) => places::find_by_code(&self.app.state, code)
                .await
                .unwrap()
                .map(|_| format!("place {code} was created")),
            Untouched::NotChief { code, chief } => {
                let now = places::find_by_code(&self.app.state, code)
                    .await
                    .unwrap()
                    .unwrap();
                (now.chief_id == Some(*chief)).then(|| format!("the chief of {code} changed"))
            }
        }
    }
}

/// Reads the outcome of one answer.
fn outcome(body: &Value, operation: &str, scope: Scope) -> Result<Outcome, String> {
    if let Some(code) = error_code(body) {
        return match code.as_str() {
            "FORBIDDEN" => Ok(NO),
            "UNAUTHENTICATED" => Ok(ANON),
            "NOT_FOUND" => Ok(Outcome::NotFound),
            other => Err(format!("{other} ({})", body["errors"][0]["message"])),
        };
    }
    let field = root_field(operation);
    let data = &body["data"][field];
    if data.is_null() {
        return match field {
            "node" => Ok(Outcome::NotFound),
            _ => Err(format!("no data: {body}")),
        };
    }
    if scope == Outside && SCOPED_LISTS.contains(&field) {
        let text = data.to_string();
        let shows_outside = other_town::MARKERS.iter().any(|m| text.contains(m));
        return Ok(if shows_outside { ALLOW } else { HIDE });
    }
    Ok(ALLOW)
}

#[tokio::test]
async fn every_operation_role_and_scope_gets_the_outcome_of_the_matrix() {
    let w = world().await;
    let (queries, _) = schema_fields();
    let w = &w;
    let mut mismatches = Vec::new();
    let mut total = 0;
    // Queries first, on the fixtures alone; then the mutations, each on fixtures of its own.
    for queries_phase in [true, false] {
        let cases: Vec<(&str, Scope, usize, Outcome)> = MATRIX
            .iter()
            .filter(|(op, _, _)| queries.contains(root_field(op)) == queries_phase)
            .flat_map(|(op, scope, expected)| {
                expected
                    .iter()
                    .enumerate()
                    .map(move |(column, want)| (*op, *scope, column, *want))
            })
            .collect();
        total += cases.len();
        let found: Vec<String> = futures::stream::iter(cases)
            .map(|(op, scope, column, expected)| async move {
                let caller = &w.callers[column];
                let probe = w.probe(op, scope, caller).await;
                let who = caller.name();
                let got = outcome(&probe.body, op, scope);
                let mut problems = Vec::new();
                match &got {
                    Ok(got) if *got == expected => {}
                    Ok(got) => problems.push(format!(
                        "{op} {scope:?} as {who}: expected {expected}, got {got}"
                    )),
                    Err(e) => problems.push(format!(
                        "{op} {scope:?} as {who}: expected {expected}, got {e}"
                    )),
                }
                if got.as_ref().ok() != Some(&ALLOW)
                    && let Some(change) = w.changed(&probe.untouched).await
                {
                    problems.push(format!("{op} {scope:?} as {who}: refused, but {change}"));
                }
                problems
            })
            .buffer_unordered(6)
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        mismatches.extend(found);
    }
    mismatches.sort();
    assert!(
        mismatches.is_empty(),
        "{} of {total} cells differ from the matrix:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

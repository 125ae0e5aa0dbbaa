//! `gridloop seed`: a small synthetic city and ticket history, checked for consistency (counts,
//! every status, event replay, SLA checkpoints, routing) and for use through the real API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::collections::{BTreeSet, HashMap};

use gridloop::clock::Clock;
use gridloop::domain::lifecycle::{Action, Status, check_status};
use gridloop::domain::routing::HandlerLevel;
use gridloop::entity::{app_user, category, ticket, ticket_event};
use gridloop::seed::{self, SEED_PASSWORD, SeedParams};
use gridloop::service::sla::{next_checkpoint, sweep_once};
use helpers::spawn_app;
use helpers::tickets::photo;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::json;

fn small() -> SeedParams {
    SeedParams {
        tickets: 2_000,
        days: 3,
        grids: 400,
        lanes: 150,
        chunk: 700,
        ..SeedParams::default()
    }
}

#[tokio::test]
async fn a_small_seed_is_consistent_and_usable_through_the_api() {
    let app = spawn_app().await;
    let summary = seed::run(&app.state, small()).await.expect("seed");
    assert_eq!(summary.tickets, 2_000);
    assert_eq!(ticket::Entity::find().count(&app.db).await.unwrap(), 2_000);
    assert_eq!(
        ticket_event::Entity::find().count(&app.db).await.unwrap(),
        summary.events
    );
    let tickets = ticket::Entity::find()
        .order_by_asc(ticket::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let statuses: BTreeSet<&str> = tickets.iter().map(|t| t.status.as_str()).collect();
    for s in Status::ALL {
        assert!(statuses.contains(s.as_str()), "no {s} ticket: {statuses:?}");
    }

    let events = ticket_event::Entity::find()
        .order_by_asc(ticket_event::Column::TicketId)
        .order_by_asc(ticket_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    let mut by_ticket: HashMap<i64, Vec<&ticket_event::Model>> = HashMap::new();
    for e in &events {
        by_ticket.entry(e.ticket_id).or_default().push(e);
    }
    let categories: HashMap<String, category::Model> = category::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let end = app.clock.now();
    for t in &tickets {
        let history = &by_ticket[&t.id];
        replay(t, history);
        assert!(
            history.iter().all(|e| e.at <= end),
            "{}: event after now",
            t.number
        );
        let category = &categories[&t.category_code];
        assert_eq!(
            t.sla_next_at,
            next_checkpoint(&app.state, category, t),
            "{}: sla_next_at",
            t.number
        );
        assert!(
            t.sla_next_at.is_none_or(|at| at > end),
            "{}: checkpoint already due",
            t.number
        );
        let level = HandlerLevel::parse(&category.handler_level).unwrap();
        let label = format!("{} {}", category.code, category.name);
        let d = app.state.routing.route(t.lat, t.lon, level, &label);
        assert_eq!(d.grid.map(|g| g.id), t.grid_id, "{}: grid", t.number);
        assert_eq!(d.lane.map(|g| g.id), t.lane_id, "{}: lane", t.number);
        assert_eq!(d.explanation, t.routing_explanation, "{}", t.number);
    }
    assert_eq!(
        sweep_once(&app.state).await.unwrap(),
        0,
        "nothing is due at the end of the seed"
    );

    // Seeded people log in with the documented password and work on seeded tickets.
    let worker = login(&app, "worker1@seed.gridloop").await;
    let b = app.state.routing.current().bounds().unwrap();
    let (lat, lon) = (b.center().y, b.center().x);
    let input = json!({"categoryCode": "0505", "description": "压测", "lat": lat, "lon": lon, "photos": [{"file": null}]});
    let body = app
        .graphql_multipart(
            &worker,
            "mutation($input: ReportIssueInput!) { reportIssue(input: $input) { ticket { number status } } }",
            json!({"input": input}),
            vec![("variables.input.photos.0.file".into(), photo())],
        )
        .await;
    let number = body["data"]["reportIssue"]["ticket"]["number"].as_str();
    assert!(number.is_some(), "report after seeding: {body}");
    let open = tickets.iter().find(|t| t.status == "DISPATCHED").unwrap();
    let assignee = app_user::Entity::find_by_id(open.assignee_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let chief = login(&app, &assignee.email).await;
    let accepted = app
        .act(
            &chief,
            "acceptTicket",
            json!({"number": open.number, "expectedVersion": open.version}),
        )
        .await;
    assert_eq!(
        accepted["data"]["acceptTicket"]["ticket"]["status"], "IN_PROGRESS",
        "{accepted}"
    );
}

#[tokio::test]
async fn seeding_twice_is_refused() {
    let app = spawn_app().await;
    let mut p = small();
    p.tickets = 10;
    seed::run(&app.state, p.clone()).await.expect("first seed");
    let err = seed::run(&app.state, p).await.unwrap_err();
    assert!(err.to_string().contains("already has places"), "{err}");
}

async fn login(app: &helpers::TestApp, email: &str) -> String {
    let body = app
        .graphql(
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
            json!({"e": email, "p": SEED_PASSWORD}),
        )
        .await;
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login {email}: {body}"))
        .to_string()
}

/// Replays the history through the lifecycle table: gap-free, each step allowed, ending in the
/// ticket's status at its version.
fn replay(t: &ticket::Model, history: &[&ticket_event::Model]) {
    assert_eq!(history.len() as i32, t.version, "{}: version", t.number);
    let mut status: Option<Status> = None;
    for (i, e) in history.iter().enumerate() {
        assert_eq!(e.seq, i as i32 + 1, "{}: seq", t.number);
        let from = e.from_status.as_deref().and_then(Status::parse);
        let to = e.to_status.as_deref().and_then(Status::parse);
        assert_eq!(
            from, status,
            "{}: event {} starts where the last ended",
            t.number, e.seq
        );
        let expected =
            match Action::ALL.into_iter().find(|a| a.event_kind() == e.kind) {
                Some(Action::Report) => Some(Status::Reported),
                Some(Action::ReportHandledOnSite) => Some(Status::Closed),
                Some(action) => Some(check_status(action, from.unwrap()).unwrap_or_else(|err| {
                    panic!("{}: event {} {}: {err}", t.number, e.seq, e.kind)
                })),
                None => {
                    assert!(
                        e.kind.starts_with("SLA_") || e.kind == "ESCALATED",
                        "{}",
                        e.kind
                    );
                    from
                }
            };
        assert_eq!(to, expected, "{}: event {} {}", t.number, e.seq, e.kind);
        if i > 0 {
            assert!(
                history[i - 1].at <= e.at,
                "{}: events in time order",
                t.number
            );
        }
        status = to;
    }
    assert_eq!(
        status.map(|s| s.as_str()),
        Some(t.status.as_str()),
        "{}",
        t.number
    );
}

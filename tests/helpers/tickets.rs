//! Reporting and acting on tickets over HTTP, with multipart photo uploads.
#![allow(dead_code)]

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::TestApp;
use super::town::at;

/// A tiny PNG-signed file with unique content (so every photo has its own sha256).
pub fn photo() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

pub const TICKET_FIELDS: &str = "number status dueAt reworkCount returnCount extensionCount escalationLevel handledOnSite fakeFixSuspected feedbackScore version routed routingExplanation assignee { email } events(first: 100) { edges { node { seq kind fromStatus toStatus } } }";

impl TestApp {
    /// Sends a GraphQL multipart request; `files` maps variable paths (e.g.
    /// `variables.input.photos.0.file`) to file contents.
    pub async fn graphql_multipart(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        files: Vec<(String, Vec<u8>)>,
    ) -> Value {
        self.graphql_multipart_as(Some(token), query, variables, files)
            .await
    }

    /// Like `graphql_multipart`, optionally without a token (anonymous).
    pub async fn graphql_multipart_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        files: Vec<(String, Vec<u8>)>,
    ) -> Value {
        let operations = json!({ "query": query, "variables": variables });
        let map: serde_json::Map<String, Value> = files
            .iter()
            .enumerate()
            .map(|(i, (path, _))| (i.to_string(), json!([path])))
            .collect();
        let mut form = Form::new()
            .text("operations", operations.to_string())
            .text("map", Value::Object(map).to_string());
        for (i, (_, bytes)) in files.into_iter().enumerate() {
            form = form.part(
                i.to_string(),
                Part::bytes(bytes)
                    .file_name(format!("photo{i}.png"))
                    .mime_str("image/png")
                    .unwrap(),
            );
        }
        let mut req = self.client.post(self.url("/graphql")).multipart(form);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "status {}", resp.status());
        resp.json().await.unwrap()
    }

    /// Reports at local (x, y) meters of the test town with one BEFORE photo; returns the payload.
    pub async fn report_at(
        &self,
        token: &str,
        category: &str,
        x: f64,
        y: f64,
        extra: Value,
    ) -> Value {
        let (lat, lon) = at(x, y);
        let mut input = json!({ "categoryCode": category, "description": "车辆占用人行道", "lat": lat, "lon": lon, "photos": [{"file": null}] });
        if let Value::Object(more) = extra {
            for (k, v) in more {
                input[k] = v;
            }
        }
        let mut files = vec![("variables.input.photos.0.file".to_string(), photo())];
        if input.get("afterPhotos").is_some() {
            input["afterPhotos"] = json!([{"file": null}]);
            files.push(("variables.input.afterPhotos.0.file".to_string(), photo()));
        }
        let query = format!(
            "mutation($input: ReportIssueInput!) {{ reportIssue(input: $input) {{ replayed duplicateCandidates {{ distanceMeters ticket {{ number }} }} ticket {{ {TICKET_FIELDS} }} }} }}"
        );
        self.graphql_multipart(token, &query, json!({ "input": input }), files)
            .await
    }

    /// Reports and returns the new ticket's number (panics on error).
    pub async fn report_number(&self, token: &str, category: &str, x: f64, y: f64) -> String {
        let body = self.report_at(token, category, x, y, json!({})).await;
        body["data"]["reportIssue"]["ticket"]["number"]
            .as_str()
            .unwrap_or_else(|| panic!("report failed: {body}"))
            .to_string()
    }

    /// Runs a ticket mutation with a JSON input and returns the whole response.
    pub async fn act(&self, token: &str, mutation: &str, input: Value) -> Value {
        let input_type = format!("{}{}Input", mutation[..1].to_uppercase(), &mutation[1..]);
        let query = format!(
            "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ ticket {{ {TICKET_FIELDS} }} }} }}"
        );
        self.graphql_as(Some(token), &query, json!({ "input": input }))
            .await
    }

    /// Resolves with one AFTER photo (optionally with a reported location).
    pub async fn resolve(
        &self,
        token: &str,
        number: &str,
        photo_bytes: Vec<u8>,
        location: Option<(f64, f64)>,
    ) -> Value {
        let mut p = json!({"file": null});
        if let Some((lat, lon)) = location {
            p["lat"] = json!(lat);
            p["lon"] = json!(lon);
        }
        let query = format!(
            "mutation($input: ResolveTicketInput!) {{ resolveTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} fakeFixReasons }} }} }}"
        );
        self.graphql_multipart(
            token,
            &query,
            json!({"input": {"number": number, "note": "已清理", "photos": [p]}}),
            vec![("variables.input.photos.0.file".into(), photo_bytes)],
        )
        .await
    }

    /// The ticket as the given user sees it.
    pub async fn ticket(&self, token: &str, number: &str) -> Value {
        let query = format!("query($n: String!) {{ ticket(number: $n) {{ {TICKET_FIELDS} }} }}");
        let body = self
            .graphql_as(Some(token), &query, json!({"n": number}))
            .await;
        body["data"]["ticket"].clone()
    }
}

/// The event kinds of a ticket JSON, in order.
pub fn event_kinds(ticket: &Value) -> Vec<String> {
    ticket["events"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| e["node"]["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl TestApp {
    /// Reports a 0507 (piled materials, LANE level) ticket with one BEFORE photo through the
    /// service layer, as the user with this email, at (lat, lon).
    pub async fn report_as(
        &self,
        reporter: &str,
        (lat, lon): (f64, f64),
    ) -> gridloop::entity::ticket::Model {
        use gridloop::service::{auth, tickets, users};
        let user = users::get_by_email(&self.state, reporter).await.unwrap();
        let viewer = auth::load_viewer(&self.db, user).await.unwrap();
        tickets::report(
            &self.state,
            &viewer,
            tickets::ReportInput {
                category_code: "0507".into(),
                description: "乱堆物".into(),
                lat,
                lon,
                photos: vec![gridloop::service::evidence::NewPhoto {
                    bytes: photo(),
                    taken_at: None,
                    lat: None,
                    lon: None,
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .ticket
    }

    /// Forces a ticket into `status` behind the lifecycle's back, held by `holder` (nobody while
    /// REPORTED) with a fresh deadline, optionally with a pending extension request: a fixture for
    /// tests of who may act on a ticket in that status.
    pub async fn force_status(
        &self,
        t: gridloop::entity::ticket::Model,
        status: &str,
        holder: i64,
        pending_extension: bool,
    ) -> gridloop::entity::ticket::Model {
        use gridloop::clock::Clock;
        use gridloop::entity::{extension_request, ticket};
        use sea_orm::{ActiveModelTrait, Set};
        let now = self.clock.now();
        let held = status != "REPORTED";
        let mut a: ticket::ActiveModel = t.into();
        a.status = Set(status.to_string());
        a.assignee_id = Set(held.then_some(holder));
        a.dispatched_at = Set(held.then_some(now));
        a.due_at = Set(held.then(|| now + chrono::Duration::hours(4)));
        if status == "SUSPENDED" {
            a.suspended_at = Set(Some(now));
        }
        if matches!(status, "RESOLVED" | "CLOSED") {
            a.resolved_at = Set(Some(now));
        }
        if status == "CLOSED" {
            a.closed_at = Set(Some(now));
        }
        let t = a.update(&self.db).await.unwrap();
        if pending_extension {
            extension_request::ActiveModel {
                ticket_id: Set(t.id),
                requested_by: Set(holder),
                minutes: Set(30),
                reason: Set("seed".into()),
                status: Set("PENDING".into()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .unwrap();
        }
        t
    }

    /// Inserts a FAILED outbox row for the user with this email; returns its id.
    pub async fn failed_notification(&self, recipient: &str) -> i64 {
        use gridloop::clock::Clock;
        use gridloop::entity::notification;
        use sea_orm::{ActiveModelTrait, Set};
        let now = self.clock.now();
        let user = gridloop::service::users::get_by_email(&self.state, recipient)
            .await
            .unwrap();
        notification::ActiveModel {
            kind: Set("DISPATCHED".into()),
            recipient_id: Set(user.id),
            email: Set(user.email),
            locale: Set("zh".into()),
            subject: Set("测试".into()),
            body_text: Set("测试".into()),
            body_html: Set("<p>测试</p>".into()),
            status: Set("FAILED".into()),
            attempts: Set(8),
            next_attempt_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .unwrap()
        .id
    }
}

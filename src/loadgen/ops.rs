//! One virtual user: a grid worker who reports, a chief who accepts and resolves from their queue,
//! and reads of tickets by number.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::client::Gql;
use super::stats::Stats;
use crate::seed::tickets::Rng;

/// The operations of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Report,
    Accept,
    Resolve,
    Query,
}

impl Op {
    pub const ALL: [Op; 4] = [Op::Report, Op::Accept, Op::Resolve, Op::Query];

    pub fn name(self) -> &'static str {
        match self {
            Op::Report => "report",
            Op::Accept => "accept",
            Op::Resolve => "resolve",
            Op::Query => "query",
        }
    }
}

/// A queue refresh (`myQueue`), recorded as its own operation.
pub const QUEUE: &str = "queue";
/// Ticket numbers a user remembers for reads.
const KNOWN: usize = 256;

/// A lon/lat box to report in (a grid's extent).
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub min: (f64, f64),
    pub max: (f64, f64),
}

/// What every virtual user shares.
pub struct World {
    pub gql: Gql,
    pub areas: Vec<Area>,
    pub categories: Vec<String>,
    /// A token that may read every ticket.
    pub reader: String,
    /// Ticket numbers known before the run.
    pub numbers: Vec<String>,
}

struct Item {
    number: String,
    status: String,
    version: i64,
}

pub struct User {
    pub id: usize,
    pub worker: String,
    pub chief: String,
    world: Arc<World>,
    rng: Rng,
    queue: Vec<Item>,
    known: Vec<String>,
    photos: u64,
}

impl User {
    pub fn new(id: usize, worker: String, chief: String, world: Arc<World>) -> Self {
        User {
            id,
            worker,
            chief,
            world,
            rng: Rng::new(0xC0FFEE ^ id as u64),
            queue: Vec::new(),
            known: Vec::new(),
            photos: 0,
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Runs one operation, recording what was sent into `stats`.
    pub async fn run(&mut self, op: Op, stats: &mut Stats) {
        match op {
            Op::Report => {
                let t0 = Instant::now();
                let r = self.report().await;
                let took = t0.elapsed();
                let r = r.map(|ack| {
                    if let Some((request, number)) = ack {
                        stats.acknowledge(request, number);
                    }
                });
                stats.record(op.name(), took, r);
            }
            Op::Accept | Op::Resolve => self.handle(op, stats).await,
            Op::Query => {
                let Some(number) = self.pick_number() else {
                    stats.skip(op.name());
                    return;
                };
                let t0 = Instant::now();
                let r = self
                    .world
                    .gql
                    .post(
                        Some(&self.world.reader),
                        "query($n: String!) { ticket(number: $n) { number status version dueAt routingExplanation category { code name } assignee { name } } }",
                        json!({"n": number}),
                    )
                    .await;
                stats.record(op.name(), t0.elapsed(), r.map(|_| ()));
            }
        }
    }

    fn photo(&mut self) -> Vec<u8> {
        self.photos += 1;
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&(self.id as u64).to_le_bytes());
        bytes.extend_from_slice(&self.photos.to_le_bytes());
        bytes.extend_from_slice(&self.rng.next_u64().to_le_bytes());
        bytes
    }

    /// Reports one issue; returns (clientRequestId, number) when the service acknowledged it.
    async fn report(&mut self) -> Result<Option<(String, String)>, String> {
        let world = Arc::clone(&self.world);
        let area = world.areas[self.rng.below(world.areas.len() as u64) as usize];
        let lon = area.min.0 + self.rng.unit() * (area.max.0 - area.min.0);
        let lat = area.min.1 + self.rng.unit() * (area.max.1 - area.min.1);
        let category = &world.categories[self.rng.below(world.categories.len() as u64) as usize];
        let request = format!("lg-{}-{}-{}", self.id, self.photos, self.rng.next_u64());
        let input = json!({"categoryCode": category, "description": "压测上报", "lat": lat, "lon": lon,
            "clientRequestId": request.clone(), "photos": [{"file": null}]});
        let photo = self.photo();
        let data = world
            .gql
            .multipart(
                &self.worker,
                "mutation($input: ReportIssueInput!) { reportIssue(input: $input) { ticket { number status } } }",
                json!({"input": input}),
                vec![("variables.input.photos.0.file", photo)],
            )
            .await?;
        let number = data["reportIssue"]["ticket"]["number"]
            .as_str()
            .map(str::to_string);
        if let Some(n) = &number {
            self.remember(n.clone());
        }
        Ok(number.map(|n| (request, n)))
    }

    /// Accept a DISPATCHED or resolve an IN_PROGRESS ticket of the chief's queue, refreshing
    /// the queue first when it holds none.
    async fn handle(&mut self, op: Op, stats: &mut Stats) {
        let wanted = if op == Op::Accept {
            "DISPATCHED"
        } else {
            "IN_PROGRESS"
        };
        if !self.queue.iter().any(|i| i.status == wanted) {
            let t0 = Instant::now();
            let r = self.refresh().await;
            stats.record(QUEUE, t0.elapsed(), r);
        }
        let Some(pos) = self.queue.iter().position(|i| i.status == wanted) else {
            stats.skip(op.name());
            return;
        };
        let item = self.queue.swap_remove(pos);
        let t0 = Instant::now();
        let r = if op == Op::Accept {
            self.world
                .gql
                .post(
                    Some(&self.chief),
                    "mutation($n: String!, $v: Int) { acceptTicket(input: {number: $n, expectedVersion: $v}) { ticket { status version } } }",
                    json!({"n": item.number, "v": item.version}),
                )
                .await
        } else {
            let photo = self.photo();
            self.world
                .gql
                .multipart(
                    &self.chief,
                    "mutation($input: ResolveTicketInput!) { resolveTicket(input: $input) { ticket { status version } } }",
                    json!({"input": {"number": item.number, "expectedVersion": item.version, "note": "已处置", "photos": [{"file": null}]}}),
                    vec![("variables.input.photos.0.file", photo)],
                )
                .await
        };
        if let Ok(data) = &r
            && op == Op::Accept
        {
            let t = &data["acceptTicket"]["ticket"];
            self.queue.push(Item {
                number: item.number.clone(),
                status: t["status"].as_str().unwrap_or_default().to_string(),
                version: t["version"].as_i64().unwrap_or(item.version + 1),
            });
        }
        self.remember(item.number);
        stats.record(op.name(), t0.elapsed(), r.map(|_| ()));
    }

    async fn refresh(&mut self) -> Result<(), String> {
        let data = self
            .world
            .gql
            .post(
                Some(&self.chief),
                "{ myQueue(first: 100) { edges { node { number status version } } } }",
                Value::Null,
            )
            .await?;
        self.queue = data["myQueue"]["edges"]
            .as_array()
            .map(|edges| {
                edges
                    .iter()
                    .filter_map(|e| {
                        let n = &e["node"];
                        Some(Item {
                            number: n["number"].as_str()?.to_string(),
                            status: n["status"].as_str()?.to_string(),
                            version: n["version"].as_i64()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(())
    }

    fn remember(&mut self, number: String) {
        if self.known.len() >= KNOWN {
            let at = self.rng.below(KNOWN as u64) as usize;
            self.known[at] = number;
        } else {
            self.known.push(number);
        }
    }

    fn pick_number(&mut self) -> Option<String> {
        let known = self.known.len() as u64;
        let shared = self.world.numbers.len() as u64;
        if known + shared == 0 {
            return None;
        }
        let i = self.rng.below(known + shared);
        if i < known {
            self.known.get(i as usize).cloned()
        } else {
            self.world.numbers.get((i - known) as usize).cloned()
        }
    }
}

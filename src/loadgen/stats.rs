//! Latency histograms per operation (HdrHistogram, microseconds) and the printed summary.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Slowest latency recorded exactly; slower ones are clamped to it.
const MAX_MICROS: u64 = 60_000_000;

/// What one virtual user measured; merged at the end.
#[derive(Default)]
pub struct Stats {
    ops: BTreeMap<&'static str, OpStats>,
    /// (clientRequestId, ticket number) of every report the service acknowledged.
    acknowledged: Vec<(String, String)>,
}

struct OpStats {
    latency: Option<Histogram<u64>>,
    ok: u64,
    skipped: u64,
    errors: BTreeMap<String, u64>,
}

impl OpStats {
    fn new() -> Self {
        OpStats {
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3).ok(),
            ok: 0,
            skipped: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Stats {
    fn op(&mut self, op: &'static str) -> &mut OpStats {
        self.ops.entry(op).or_insert_with(OpStats::new)
    }

    /// A completed request: its latency, and the error code if it failed.
    pub fn record(&mut self, op: &'static str, took: Duration, result: Result<(), String>) {
        let s = self.op(op);
        let micros = u64::try_from(took.as_micros()).unwrap_or(MAX_MICROS);
        if let Some(h) = s.latency.as_mut() {
            h.saturating_record(micros.clamp(1, MAX_MICROS));
        }
        match result {
            Ok(()) => s.ok += 1,
            Err(code) => *s.errors.entry(code).or_default() += 1,
        }
    }

    /// An operation that had nothing to work on (e.g. an empty queue); no request was sent.
    pub fn skip(&mut self, op: &'static str) {
        self.op(op).skipped += 1;
    }

    /// A report the service answered with a ticket number.
    pub fn acknowledge(&mut self, request: String, number: String) {
        self.acknowledged.push((request, number));
    }

    pub fn acknowledged(&self) -> &[(String, String)] {
        &self.acknowledged
    }

    pub fn merge(&mut self, other: Stats) {
        self.acknowledged.extend(other.acknowledged);
        for (op, o) in other.ops {
            let s = self.op(op);
            if let (Some(h), Some(oh)) = (s.latency.as_mut(), o.latency.as_ref()) {
                let _ = h.add(oh);
            }
            s.ok += o.ok;
            s.skipped += o.skipped;
            for (code, n) in o.errors {
                *s.errors.entry(code).or_default() += n;
            }
        }
    }

    /// The summary over a run of `elapsed`.
    pub fn summary(&self, elapsed: Duration, concurrency: usize) -> Summary {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let ops = self
            .ops
            .iter()
            .map(|(name, s)| {
                let failed: u64 = s.errors.values().sum();
                for (code, n) in &s.errors {
                    *errors.entry(code.clone()).or_default() += n;
                }
                let h = s.latency.as_ref().filter(|h| !h.is_empty());
                OpSummary {
                    op: (*name).to_string(),
                    ok: s.ok,
                    errors: failed,
                    skipped: s.skipped,
                    per_second: s.ok as f64 / secs,
                    p50_ms: h.map_or(0.0, |h| ms(h, 0.50)),
                    p90_ms: h.map_or(0.0, |h| ms(h, 0.90)),
                    p99_ms: h.map_or(0.0, |h| ms(h, 0.99)),
                    max_ms: h.map_or(0.0, |h| h.max() as f64 / 1000.0),
                }
            })
            .collect();
        Summary {
            seconds: secs,
            concurrency,
            ops,
            errors,
        }
    }
}

/// The result of a run, printed as a table or as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub seconds: f64,
    pub concurrency: usize,
    pub ops: Vec<OpSummary>,
    /// Failed requests by error code, over all operations.
    pub errors: BTreeMap<String, u64>,
}

/// One operation's numbers; rates count successful requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpSummary {
    pub op: String,
    pub ok: u64,
    pub errors: u64,
    pub skipped: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    pub fn op(&self, name: &str) -> Option<&OpSummary> {
        self.ops.iter().find(|o| o.op == name)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:.1} s at concurrency {}",
            self.seconds, self.concurrency
        )?;
        writeln!(
            f,
            "{:<8} {:>9} {:>7} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8}",
            "op", "ok", "errors", "skipped", "ok/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
        )?;
        for o in &self.ops {
            writeln!(
                f,
                "{:<8} {:>9} {:>7} {:>7} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                o.op,
                o.ok,
                o.errors,
                o.skipped,
                o.per_second,
                o.p50_ms,
                o.p90_ms,
                o.p99_ms,
                o.max_ms
            )?;
        }
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let errors = if errors.is_empty() {
            "none".to_string()
        } else {
            errors.join(", ")
        };
        writeln!(f, "errors by code: {errors}")
    }
}

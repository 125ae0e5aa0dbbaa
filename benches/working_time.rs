//! Working-time arithmetic on the shipped 2026 China calendar: `WorkingCalendar::add` for the
//! catalogue's limits (1 hour to 4 working days) and `elapsed` over spans up to a month, from
//! start instants spread over the year (weekends, holidays and 调休 days included).
//!
//! Run with `cargo bench --bench working_time`.

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use gridloop::domain::working_time::WorkingCalendar;

/// Start instants: every 7 h 13 min through 2026, so every weekday and hour is hit.
fn starts() -> Vec<DateTime<Utc>> {
    let Some(first) = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single() else {
        return Vec::new();
    };
    (0..1_200)
        .map(|i| first + Duration::minutes(i * 433))
        .collect()
}

fn working_time(c: &mut Criterion) {
    let calendar = match WorkingCalendar::china_2026() {
        Ok(calendar) => calendar,
        Err(e) => {
            eprintln!("the shipped calendar does not load: {e}");
            return;
        }
    };
    let starts = starts();
    if starts.is_empty() {
        return;
    }
    let mut group = c.benchmark_group("working_time");
    group
        .sample_size(30)
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(4));
    for (label, minutes) in [
        ("add_1h", 60),
        ("add_4h", 240),
        ("add_1d", 450),
        ("add_4d", 1_800),
    ] {
        let mut next = 0usize;
        group.bench_function(label, |b| {
            b.iter(|| {
                let start = starts[next % starts.len()];
                next = next.wrapping_add(1);
                calendar.add(black_box(start), black_box(Duration::minutes(minutes)))
            })
        });
    }
    for (label, hours) in [("elapsed_8h", 8), ("elapsed_3d", 72), ("elapsed_30d", 720)] {
        let mut next = 0usize;
        group.bench_function(label, |b| {
            b.iter(|| {
                let start = starts[next % starts.len()];
                next = next.wrapping_add(1);
                calendar.elapsed(black_box(start), black_box(start + Duration::hours(hours)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, working_time);
criterion_main!(benches);

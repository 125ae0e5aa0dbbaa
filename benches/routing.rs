//! Routing lookups over a synthetic city of 100,000 grids and 50,000 lanes (plus the streets
//! they hang from). Target: a median under 10 µs per `RoutingIndex::route`.
//!
//! Run with `cargo bench --bench routing`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use gridloop::domain::routing::{HandlerLevel, RoutingIndex, synthetic_city, synthetic_points};

const GRIDS: usize = 100_000;
const LANES: usize = 50_000;
const SEED: u64 = 20_240_501;

fn routing(c: &mut Criterion) {
    let places = synthetic_city(GRIDS, LANES, SEED);
    let started = Instant::now();
    let index = RoutingIndex::build(places.clone());
    println!(
        "built a routing index of {} places in {:.0?}",
        index.len(),
        started.elapsed()
    );
    let Some(bounds) = index.bounds() else {
        eprintln!("the synthetic city has no grids; nothing to measure");
        return;
    };
    let points = synthetic_points(bounds, 65_536, SEED);

    let mut group = c.benchmark_group("route");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (label, level, category) in [
        ("lane_level", HandlerLevel::Lane, "0501 无照经营游商"),
        ("street_level", HandlerLevel::Street, "0505 机动车乱停放"),
    ] {
        let mut next = 0usize;
        group.bench_function(label, |b| {
            b.iter(|| {
                let point = points[next % points.len()];
                next = next.wrapping_add(1);
                index.route(black_box(point.y), black_box(point.x), level, category)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("build");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("100k_grids_50k_lanes", |b| {
        b.iter_batched(
            || places.clone(),
            RoutingIndex::build,
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);

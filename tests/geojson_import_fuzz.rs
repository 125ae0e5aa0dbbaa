//! The GeoJSON jurisdiction importer's pure half (`domain::places::parse_import`) on hostile
//! input, on the stable toolchain: the seed corpus of the cargo-fuzz target, and property tests
//! over arbitrary bytes, arbitrary JSON and valid files with one feature broken. Every answer is
//! held to the promises of `helpers::geojson_check::parse_checked`, the same function the fuzz
//! target (`fuzz/fuzz_targets/geojson_import.rs`) runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

use std::path::PathBuf;

use helpers::geojson_check::{feature_count, parse_checked};
use helpers::proptest_config;
use proptest::prelude::*;
use serde_json::{Value, json};

fn seeds() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/geojson_import");
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn every_seed_of_the_fuzz_corpus_gets_the_answer_its_name_promises() {
    let seeds = seeds();
    assert!(seeds.len() >= 30, "the seed corpus is missing files");
    let mut wrong = Vec::new();
    for (name, text) in &seeds {
        let result = parse_checked(text);
        let verdict = match (name.split('-').next(), &result) {
            (Some("valid"), Ok(_)) => None,
            (Some("invalid"), Err(problems)) if problems.iter().all(|p| p.index.is_some()) => None,
            (Some("file"), Err(problems)) if problems.len() == 1 && problems[0].index.is_none() => {
                None
            }
            (Some("valid" | "invalid" | "file"), other) => Some(format!("{name}: got {other:?}")),
            _ => Some(format!("{name}: name it valid-, invalid- or file-")),
        };
        wrong.extend(verdict);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_feature_of_an_invalid_seed_that_has_a_problem_is_named_by_its_index() {
    // In each invalid seed, each feature is broken on purpose, except the valid parents some of
    // them need (a community with a plain code, or a parent code that exists).
    for (name, text) in seeds() {
        if !name.starts_with("invalid-") {
            continue;
        }
        let problems = parse_checked(&text).unwrap_err();
        let features: Value = serde_json::from_str(&text).unwrap();
        for (i, feature) in features["features"].as_array().unwrap().iter().enumerate() {
            let is_helper = feature["properties"]["code"] == json!("310104001009");
            let named = problems.iter().any(|p| p.index == Some(i));
            assert!(
                is_helper || named,
                "{name}: feature {i} has no problem: {problems:#?}"
            );
        }
    }
}

/// Numbers a GIS export may hold, including ones no coordinate may take.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-200.0f64..200.0).prop_map(|n| json!(n)),
        1 => prop::sample::select(vec![
            json!(0), json!(-0.0), json!(90), json!(-90), json!(90.000_001), json!(180),
            json!(-180.000_001), json!(1e308), json!(-1e308), json!(f64::MIN_POSITIVE),
            json!(i64::MAX), json!(u64::MAX), json!("NaN"), json!("1e400"), json!(null),
            json!(true), json!([]),
        ]),
    ]
}

fn position() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (number(), number()).prop_map(|(lon, lat)| json!([lon, lat])),
        1 => (number(), number(), number()).prop_map(|(a, b, c)| json!([a, b, c])),
        1 => prop::collection::vec(number(), 0..2).prop_map(Value::from),
        1 => Just(json!("121.4,31.2")),
    ]
}

/// A ring of `n` positions near (121.4, 31.2), closed or not, or any list of positions.
fn ring() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (3usize..8, any::<bool>(), 0.000_1f64..0.1).prop_map(|(n, closed, r)| {
            let mut points: Vec<Value> = (0..n)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / n as f64;
                    json!([121.4 + r * a.cos(), 31.2 + r * a.sin()])
                })
                .collect();
            if closed {
                points.push(points[0].clone());
            }
            Value::from(points)
        }),
        2 => prop::collection::vec(position(), 0..7).prop_map(|mut points| {
            if let Some(first) = points.first().cloned() {
                points.push(first);
            }
            Value::from(points)
        }),
    ]
}

fn geometry() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Null),
        2 => ring().prop_map(|line| json!({"type": "LineString", "coordinates": line})),
        3 => prop::collection::vec(ring(), 0..3)
            .prop_map(|rings| json!({"type": "Polygon", "coordinates": rings})),
        1 => prop::collection::vec(prop::collection::vec(ring(), 1..3), 0..3)
            .prop_map(|parts| json!({"type": "MultiPolygon", "coordinates": parts})),
        1 => prop::collection::vec(ring(), 0..3)
            .prop_map(|lines| json!({"type": "MultiLineString", "coordinates": lines})),
        1 => (prop::sample::select(vec!["Point", "GeometryCollection", "polygon", ""]), position())
            .prop_map(|(kind, p)| json!({"type": kind, "coordinates": p})),
    ]
}

/// Texts a careless or hostile file may hold.
fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "310104", "310104001", "310104001009", "310104001009001", "ST-RENMIN", "ST-NEW",
            "LN-NEW", "street1@town.test", "LANE1@TOWN.TEST", "worker1@town.test",
        ])
        .prop_map(Value::from),
        2 => "\\PC{0,12}".prop_map(Value::from),
        1 => prop::sample::select(vec![
            "", "   ", "'; DROP TABLE jurisdiction; --", "<script>alert(1)</script>",
            "\u{202e}evil", "🚧🚧", "a\u{0}b", "tab\there", "ghost@nowhere.test",
        ])
        .prop_map(Value::from),
        1 => (1usize..400).prop_map(|n| Value::from("名".repeat(n))),
        1 => number(),
    ]
}

fn properties() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        4 => prop::sample::select(vec!["district", "town", "community", "grid", "street", "lane", "GRID"])
            .prop_map(Value::from),
        1 => text(),
    ];
    (
        kind,
        text(),
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(prop::collection::vec(text(), 0..3)),
        prop::option::of(number()),
    )
        .prop_map(|(kind, code, name, parent, chief, workers, buffer)| {
            let mut p = json!({"kind": kind, "code": code, "name": name});
            let extra = [
                ("parent", parent),
                ("chief", chief),
                ("bufferMeters", buffer),
            ];
            for (key, value) in extra {
                if let Some(value) = value {
                    p[key] = value;
                }
            }
            if let Some(workers) = workers {
                p["workers"] = Value::from(workers);
            }
            p
        })
}

fn feature() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (properties(), geometry())
            .prop_map(|(p, g)| json!({"type": "Feature", "properties": p, "geometry": g})),
        1 => prop::sample::select(vec![json!(null), json!(7), json!("Feature"), json!({"type": "Feature"})]),
    ]
}

proptest! {
    #![proptest_config(proptest_config(512, file!()))]

    #[test]
    fn arbitrary_bytes_never_panic_the_importer(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_checked(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_feature_collections_are_accepted_or_rejected_feature_by_feature(
        features in prop::collection::vec(feature(), 0..8),
    ) {
        let text = json!({"type": "FeatureCollection", "features": features}).to_string();
        if let Err(problems) = parse_checked(&text) {
            prop_assert!(problems.iter().all(|p| p.index.is_some()), "{problems:?}");
        }
    }
}

/// A valid file (the seed `valid-town.geojson`) and ways to break one of its features for sure.
fn valid_town() -> Value {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds/geojson_import/valid-town.geojson"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn breakage() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        Just(("kind", json!("village"))),
        Just(("kind", json!(null))),
        Just(("code", json!(""))),
        Just(("name", json!("名".repeat(201)))),
        Just(("name", json!(42))),
        Just(("parent", json!("NOWHERE"))),
        Just(("chief", json!("ghost@nowhere.test"))),
        Just(("geometry-lat", json!(91.0))),
        Just(("geometry-lon", json!(181.0))),
        Just(("geometry-lon", json!(-1e308))),
        Just(("geometry-lon", json!("NaN"))),
        Just((
            "geometry",
            json!({"type": "Point", "coordinates": [121.4, 31.2]})
        )),
    ]
}

proptest! {
    #![proptest_config(proptest_config(256, file!()))]

    #[test]
    fn a_valid_file_with_one_feature_broken_is_rejected_naming_that_feature(
        index in 0usize..4,
        (what, value) in breakage(),
    ) {
        let mut file = valid_town();
        prop_assume!(feature_count(&file.to_string()) == Some(4));
        let feature = &mut file["features"][index];
        match what {
            "geometry" => feature["geometry"] = value,
            "geometry-lat" | "geometry-lon" => {
                let slot = usize::from(what == "geometry-lat");
                let coordinates = &mut feature["geometry"]["coordinates"];
                let first = if coordinates[0][0].is_array() {
                    &mut coordinates[0][0]
                } else {
                    &mut coordinates[0]
                };
                first[slot] = value;
            }
            key => feature["properties"][key] = value,
        }
        let problems = parse_checked(&file.to_string()).unwrap_err();
        prop_assert!(
            problems.iter().any(|p| p.index == Some(index)),
            "breaking {what} of feature {index} gave {problems:#?}"
        );
    }
}

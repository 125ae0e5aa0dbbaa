//! What the pure half of the GeoJSON jurisdiction import (`gridloop::domain::places::parse_import`)
//! promises for any text at all, checked by [`parse_checked`]. Shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/geojson_import.rs`, which includes this file by path) and the
//! stable-toolchain tests in `tests/geojson_import_fuzz.rs`, so both hold the importer to the
//! same rules. Depends on nothing but `gridloop` and `serde_json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};

use gridloop::domain::geometry::{parse_geometry, to_geojson};
use gridloop::domain::places::{
    ImportContext, ImportFeature, ImportProblem, MAX_CODE_CHARS, MAX_FEATURES, MAX_NAME_CHARS,
    PlaceKind, parse_import,
};
use serde_json::Value;

/// Places that "already exist" when a document is checked: parents a file may refer to.
pub const EXISTING: [(&str, PlaceKind); 3] = [
    ("310104", PlaceKind::District),
    ("310104001", PlaceKind::Town),
    ("ST-RENMIN", PlaceKind::Street),
];

/// Emails of users that "exist": chiefs and workers a file may name.
pub const KNOWN_EMAILS: [&str; 3] = ["street1@town.test", "lane1@town.test", "worker1@town.test"];

/// How many features the document holds, when it is a FeatureCollection the importer reads
/// feature by feature (and so must name a feature in every problem).
pub fn feature_count(text: &str) -> Option<usize> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    if object.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return None;
    }
    let features = object.get("features")?.as_array()?;
    (features.len() <= MAX_FEATURES).then_some(features.len())
}

/// Runs the import's pure half on `text` against [`EXISTING`] and [`KNOWN_EMAILS`], and panics
/// when the answer breaks a promise:
///
/// - it never panics itself, whatever the text;
/// - a rejection lists at least one problem, each with a message; a problem without a feature
///   index (the file as a whole: not JSON, not a FeatureCollection, too many features) comes
///   alone; in a FeatureCollection every problem names a feature that exists, in file order;
/// - an acceptance returns every feature once, in file order, with a kind, a unique code and a
///   name within their limits, a parent exactly where the kind needs one, the geometry the kind
///   allows, and stored GeoJSON that parses back to the same geometry.
pub fn parse_checked(text: &str) -> Result<Vec<ImportFeature>, Vec<ImportProblem>> {
    let existing: HashMap<String, PlaceKind> = EXISTING
        .iter()
        .map(|(code, kind)| ((*code).to_owned(), *kind))
        .collect();
    let known_emails: HashSet<String> = KNOWN_EMAILS.iter().map(|e| (*e).to_owned()).collect();
    let ctx = ImportContext {
        existing: &existing,
        known_emails: &known_emails,
    };
    let result = parse_import(text, &ctx);
    let count = feature_count(text);
    match &result {
        Ok(features) => check_accepted(features, count, &existing),
        Err(problems) => check_rejected(problems, count),
    }
    result
}

fn check_rejected(problems: &[ImportProblem], count: Option<usize>) {
    assert!(!problems.is_empty(), "rejected without a problem");
    for p in problems {
        assert!(
            !p.message.trim().is_empty(),
            "a problem without a message: {p:?}"
        );
    }
    if problems.iter().any(|p| p.index.is_none()) {
        assert_eq!(
            problems.len(),
            1,
            "a file-level problem must come alone: {problems:?}"
        );
        return;
    }
    let n = count.unwrap_or_else(|| {
        panic!("feature problems for something that is not a FeatureCollection: {problems:?}")
    });
    let mut last = 0;
    for p in problems {
        let index = p.index.unwrap_or_default();
        assert!(index < n, "problem for feature {index} of {n}: {p:?}");
        assert!(index >= last, "problems out of file order: {problems:?}");
        last = index;
        if let Some(code) = &p.code {
            assert!(!code.is_empty(), "a problem with an empty code: {p:?}");
        }
    }
}

fn check_accepted(
    features: &[ImportFeature],
    count: Option<usize>,
    existing: &HashMap<String, PlaceKind>,
) {
    assert_eq!(
        Some(features.len()),
        count,
        "accepted something that is not a FeatureCollection of that many features"
    );
    let mut codes = HashSet::new();
    let kinds: HashMap<&str, PlaceKind> =
        features.iter().map(|f| (f.code.as_str(), f.kind)).collect();
    for (i, f) in features.iter().enumerate() {
        assert_eq!(f.index, i, "features out of file order");
        assert!(codes.insert(f.code.clone()), "duplicate code {}", f.code);
        assert!(!f.code.trim().is_empty() && f.code.chars().count() <= MAX_CODE_CHARS);
        assert!(!f.name.trim().is_empty() && f.name.chars().count() <= MAX_NAME_CHARS);
        match (&f.parent, f.kind.allowed_parents()) {
            (None, []) => {}
            (Some(parent), allowed) if !allowed.is_empty() => {
                let kind = kinds
                    .get(parent.as_str())
                    .or_else(|| existing.get(parent))
                    .unwrap_or_else(|| panic!("feature {i}: unknown parent {parent} accepted"));
                assert!(
                    allowed.contains(kind),
                    "feature {i}: parent of the wrong kind"
                );
            }
            (parent, _) => panic!("feature {i} ({:?}) accepted with parent {parent:?}", f.kind),
        }
        match (&f.geometry, &f.geometry_json) {
            (None, None) => assert!(
                matches!(
                    f.kind,
                    PlaceKind::District | PlaceKind::Town | PlaceKind::Community
                ),
                "feature {i}: a {:?} without a geometry",
                f.kind
            ),
            (Some(geometry), Some(json)) => {
                assert_eq!(&to_geojson(geometry), json, "feature {i}: stored GeoJSON");
                let value: Value = serde_json::from_str(json).expect("stored GeoJSON is JSON");
                if f.kind == PlaceKind::Grid {
                    assert!(
                        matches!(value["type"].as_str(), Some("Polygon" | "MultiPolygon")),
                        "feature {i}: a grid that is not a polygon"
                    );
                }
                let again = parse_geometry(&value)
                    .unwrap_or_else(|e| panic!("feature {i}: stored GeoJSON is invalid: {e:?}"))
                    .unwrap_or_else(|| panic!("feature {i}: stored GeoJSON is null"));
                // serde_json parses floats to within one ulp, not exactly (no `float_roundtrip`),
                // so a reloaded coordinate may differ in its last bit: the shape must survive,
                // not every bit.
                let rewritten: Value = serde_json::from_str(&to_geojson(&again)).unwrap();
                assert!(
                    nearly_equal(&rewritten, &value),
                    "feature {i}: stored {value} reloads as {rewritten}"
                );
            }
            _ => panic!("feature {i}: geometry and stored GeoJSON disagree"),
        }
        if let Some(buffer) = f.buffer_meters {
            assert!(buffer.is_finite() && buffer > 0.0 && buffer <= 500.0);
        }
    }
}

/// Equal JSON, except that numbers may differ by a few parts in 10¹⁴.
fn nearly_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| nearly_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| nearly_equal(v, w)))
        }
        _ => a == b,
    }
}

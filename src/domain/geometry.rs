//! GeoJSON geometries of imported places: parsing, validation and compact re-serialisation.
//!
//! Parsed by hand from `serde_json::Value` so the import can report precise problems (which
//! ring, which position) and so we do not depend on a GeoJSON crate for four geometry types.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Validation};
use serde_json::Value;

/// Parses a GeoJSON geometry (LineString, MultiLineString, Polygon or MultiPolygon).
///
/// JSON `null` gives `Ok(None)`: the caller decides whether a place may lack a geometry.
/// Coordinates must be finite WGS84 lon/lat, rings closed with at least four positions, and
/// the result valid in the OGC sense (no self-intersections, holes inside their shell, …).
/// On failure every message found is returned; coordinate problems stop at the first one,
/// since one bad export usually breaks thousands of positions the same way.
pub fn parse_geometry(value: &Value) -> Result<Option<Geometry<f64>>, Vec<String>> {
    if value.is_null() {
        return Ok(None);
    }
    let Some(object) = value.as_object() else {
        return Err(vec!["geometry must be a GeoJSON object or null".to_owned()]);
    };
    let Some(kind) = object.get("type").and_then(Value::as_str) else {
        return Err(vec!["geometry has no \"type\"".to_owned()]);
    };
    let Some(coordinates) = object.get("coordinates") else {
        return Err(vec![format!("{kind} geometry has no \"coordinates\"")]);
    };
    let geometry = match kind {
        "LineString" => Geometry::LineString(line_string(coordinates, "line")?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(coordinates, "MultiLineString coordinates")?
                .iter()
                .enumerate()
                .map(|(i, part)| line_string(part, &format!("line {i}")))
                .collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(coordinates, "polygon")?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(coordinates, "MultiPolygon coordinates")?
                .iter()
                .enumerate()
                .map(|(i, part)| polygon(part, &format!("polygon {i}")))
                .collect::<Result<_, _>>()?,
        )),
        other => {
            return Err(vec![format!(
                "geometry type {other} is not supported (use LineString, MultiLineString, Polygon or MultiPolygon)"
            )]);
        }
    };
    let problems = validation_problems(&geometry);
    if problems.is_empty() {
        Ok(Some(geometry))
    } else {
        Err(problems)
    }
}

/// Serialises a geometry as compact GeoJSON, the form stored in the database.
///
/// Only the four import types are written; other geometry types become `null`.
pub fn to_geojson(geometry: &Geometry<f64>) -> String {
    let value = match geometry {
        Geometry::LineString(line) => typed("LineString", line_coords(line)),
        Geometry::MultiLineString(lines) => typed(
            "MultiLineString",
            Value::Array(lines.0.iter().map(line_coords).collect()),
        ),
        Geometry::Polygon(polygon) => typed("Polygon", polygon_coords(polygon)),
        Geometry::MultiPolygon(polygons) => typed(
            "MultiPolygon",
            Value::Array(polygons.0.iter().map(polygon_coords).collect()),
        ),
        _ => Value::Null,
    };
    value.to_string()
}

fn typed(kind: &str, coordinates: Value) -> Value {
    serde_json::json!({ "type": kind, "coordinates": coordinates })
}

fn line_coords(line: &LineString<f64>) -> Value {
    Value::Array(
        line.0
            .iter()
            .map(|c| Value::Array(vec![Value::from(c.x), Value::from(c.y)]))
            .collect(),
    )
}

fn polygon_coords(polygon: &Polygon<f64>) -> Value {
    Value::Array(
        std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .map(line_coords)
            .collect(),
    )
}

fn array<'a>(value: &'a Value, what: &str) -> Result<&'a Vec<Value>, Vec<String>> {
    value
        .as_array()
        .ok_or_else(|| vec![format!("{what} must be an array")])
}

fn line_string(value: &Value, what: &str) -> Result<LineString<f64>, Vec<String>> {
    let coords = positions(value, what)?;
    if coords.len() < 2 {
        return Err(vec![format!("{what} needs at least 2 positions")]);
    }
    Ok(LineString(coords))
}

fn polygon(value: &Value, what: &str) -> Result<Polygon<f64>, Vec<String>> {
    let rings = array(value, &format!("{what} coordinates"))?;
    if rings.is_empty() {
        return Err(vec![format!("{what} has no rings")]);
    }
    let mut parsed = Vec::with_capacity(rings.len());
    for (i, ring) in rings.iter().enumerate() {
        let name = if i == 0 {
            format!("{what} exterior ring")
        } else {
            format!("{what} hole {}", i - 1)
        };
        let coords = positions(ring, &name)?;
        if coords.len() < 4 {
            return Err(vec![format!("{name} needs at least 4 positions")]);
        }
        if coords.first() != coords.last() {
            return Err(vec![format!(
                "{name} is not closed (first and last positions differ)"
            )]);
        }
        parsed.push(LineString(coords));
    }
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

/// Reads an array of `[lon, lat, …]` positions; extra dimensions (altitude) are ignored.
fn positions(value: &Value, what: &str) -> Result<Vec<Coord<f64>>, Vec<String>> {
    let items = array(value, what)?;
    let mut coords = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pair = item.as_array().and_then(|p| match p.as_slice() {
            [lon, lat, ..] => Some((lon.as_f64(), lat.as_f64())),
            _ => None,
        });
        let (lon, lat) = match pair {
            Some((Some(lon), Some(lat))) => (lon, lat),
            _ => {
                return Err(vec![format!(
                    "{what} position {i} is not a [longitude, latitude] pair of numbers"
                )]);
            }
        };
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(vec![format!(
                "{what} position {i}: longitude {lon} is outside [-180, 180]"
            )]);
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(vec![format!(
                "{what} position {i}: latitude {lat} is outside [-90, 90]"
            )]);
        }
        coords.push(Coord { x: lon, y: lat });
    }
    Ok(coords)
}

fn validation_problems(geometry: &Geometry<f64>) -> Vec<String> {
    fn each<E: ToString>(errors: Vec<E>, prefix: &str) -> Vec<String> {
        errors
            .into_iter()
            .map(|e| format!("{prefix}{}", e.to_string()))
            .collect()
    }
    match geometry {
        Geometry::LineString(line) => each(line.validation_errors(), "line: "),
        Geometry::MultiLineString(lines) => each(lines.validation_errors(), ""),
        Geometry::Polygon(polygon) => each(polygon.validation_errors(), "polygon: "),
        Geometry::MultiPolygon(polygons) => each(polygons.validation_errors(), ""),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square() -> Value {
        json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01], [121.0, 31.0]]]})
    }

    #[test]
    fn null_geometry_is_absent_not_an_error() {
        assert_eq!(parse_geometry(&Value::Null), Ok(None));
    }

    #[test]
    fn a_square_polygon_round_trips_through_compact_geojson() {
        let geometry = parse_geometry(&square()).unwrap().unwrap();
        let text = to_geojson(&geometry);
        assert!(!text.contains(' '));
        let again: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parse_geometry(&again).unwrap().unwrap(), geometry);
    }

    #[test]
    fn a_bow_tie_polygon_is_reported_as_self_intersecting() {
        let bow_tie = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
        let problems = parse_geometry(&bow_tie).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("self-intersection")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_open_ring_is_rejected() {
        let open = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]});
        let problems = parse_geometry(&open).unwrap_err();
        assert!(problems[0].contains("not closed"), "{problems:?}");
    }

    #[test]
    fn points_and_collections_are_not_supported() {
        let point = json!({"type": "Point", "coordinates": [121.0, 31.0]});
        assert!(parse_geometry(&point).unwrap_err()[0].contains("not supported"));
    }

    #[test]
    fn a_line_with_an_altitude_keeps_only_lon_lat() {
        let line =
            json!({"type": "LineString", "coordinates": [[121.0, 31.0, 5.0], [121.1, 31.0, 7.0]]});
        let geometry = parse_geometry(&line).unwrap().unwrap();
        let written: Value = serde_json::from_str(&to_geojson(&geometry)).unwrap();
        assert_eq!(
            written,
            json!({"type": "LineString", "coordinates": [[121.0, 31.0], [121.1, 31.0]]})
        );
    }

    #[test]
    fn a_line_of_one_repeated_point_is_invalid() {
        let line = json!({"type": "LineString", "coordinates": [[121.0, 31.0], [121.0, 31.0]]});
        assert!(parse_geometry(&line).is_err());
    }

    #[test]
    fn strings_in_coordinates_are_rejected() {
        let line = json!({"type": "LineString", "coordinates": [["NaN", 31.0], [121.0, 31.0]]});
        assert!(parse_geometry(&line).unwrap_err()[0].contains("pair of numbers"));
    }
}

//! Jurisdictions (places) and the GeoJSON import that creates them.
//!
//! Two overlays share the ground: DISTRICT → TOWN → COMMUNITY → GRID (the administrative grid
//! tree) and TOWN → STREET → LANE (the street-chief tree). An import is all-or-nothing, so
//! [`parse_import`] checks every feature without I/O and returns every problem it finds.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::geometry::{parse_geometry, to_geojson};

/// More features than this is almost certainly the wrong file, and would hold the import
/// transaction open for too long.
pub const MAX_FEATURES: usize = 200_000;
/// Longest accepted place code, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Longest accepted place name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// How far a street or lane drawn as a line reaches on each side when the file does not say.
pub const DEFAULT_BUFFER_METERS: f64 = 20.0;
/// Largest accepted `bufferMeters`; wider than this swallows neighbouring streets.
pub const MAX_BUFFER_METERS: f64 = 500.0;

/// The level of a place in one of the two jurisdiction trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaceKind {
    District,
    Town,
    Community,
    Grid,
    Street,
    Lane,
}

impl PlaceKind {
    /// Every kind, parents before children.
    pub const ALL: [PlaceKind; 6] = [
        PlaceKind::District,
        PlaceKind::Town,
        PlaceKind::Community,
        PlaceKind::Grid,
        PlaceKind::Street,
        PlaceKind::Lane,
    ];

    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::District => "DISTRICT",
            PlaceKind::Town => "TOWN",
            PlaceKind::Community => "COMMUNITY",
            PlaceKind::Grid => "GRID",
            PlaceKind::Street => "STREET",
            PlaceKind::Lane => "LANE",
        }
    }

    /// Accepts the lowercase GeoJSON spelling (`"grid"`) and the stored one (`"GRID"`),
    /// ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(s))
    }

    /// The kinds a place of this kind may hang under; empty for a district (a root).
    pub fn allowed_parents(self) -> &'static [PlaceKind] {
        match self {
            PlaceKind::District => &[],
            PlaceKind::Town => &[PlaceKind::District],
            PlaceKind::Community => &[PlaceKind::Town],
            PlaceKind::Grid => &[PlaceKind::Community],
            PlaceKind::Street => &[PlaceKind::Town],
            PlaceKind::Lane => &[PlaceKind::Street],
        }
    }

    /// Distance from the root of its tree. Every allowed parent has a smaller depth, which is
    /// why parent cycles cannot pass the kind check, and why sorting by depth gives an order
    /// in which parents are inserted before their children.
    pub fn depth(self) -> u8 {
        match self {
            PlaceKind::District => 0,
            PlaceKind::Town => 1,
            PlaceKind::Community | PlaceKind::Street => 2,
            PlaceKind::Grid | PlaceKind::Lane => 3,
        }
    }

    /// Streets and lanes: the overlay whose chiefs handle tickets and whose lines have a buffer.
    pub fn is_street_tree(self) -> bool {
        matches!(self, PlaceKind::Street | PlaceKind::Lane)
    }

    /// Kinds whose `chief` means something: street and lane chiefs, and the community or town
    /// person who takes what nobody else owns (属地兜底).
    pub fn has_chief(self) -> bool {
        matches!(
            self,
            PlaceKind::Town | PlaceKind::Community | PlaceKind::Street | PlaceKind::Lane
        )
    }
}

impl fmt::Display for PlaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feature of an import file, parsed and checked on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportFeature {
    /// Position in the file's `features` array, for messages.
    pub index: usize,
    pub kind: PlaceKind,
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// Lower-cased email of the chief.
    pub chief: Option<String>,
    /// Lower-cased emails of the grid workers (grids only), without duplicates.
    pub workers: Vec<String>,
    /// Explicit or defaulted buffer; `None` for polygons without one and for the grid tree.
    pub buffer_meters: Option<f64>,
    /// `None` only for districts, towns and communities that came without a geometry.
    pub geometry: Option<geo::Geometry<f64>>,
    /// The geometry re-serialised as compact GeoJSON, to store.
    pub geometry_json: Option<String>,
}

/// One thing wrong with an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// The feature's position in the file; `None` for a problem with the file as a whole.
    pub index: Option<usize>,
    /// The feature's code, when it has a usable one.
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, &self.code) {
            (None, _) => write!(f, "file: {}", self.message),
            (Some(i), None) => write!(f, "feature {i}: {}", self.message),
            (Some(i), Some(code)) => write!(f, "feature {i} ({code}): {}", self.message),
        }
    }
}

/// What already exists in the database, so references can be checked without I/O.
#[derive(Debug, Clone, Copy)]
pub struct ImportContext<'a> {
    /// Place code → kind.
    pub existing: &'a HashMap<String, PlaceKind>,
    /// Lower-cased emails of known users.
    pub known_emails: &'a HashSet<String>,
}

/// Parses a GeoJSON FeatureCollection and checks every feature; returns every problem, never
/// just the first.
///
/// Features may come in any order (a child before its parent). A parent is looked up in the
/// file first, then in `ctx.existing`. Codes that already exist in the database are not an
/// error here: whether they update or conflict is the caller's policy. On success the
/// features are returned in file order.
pub fn parse_import(
    text: &str,
    ctx: &ImportContext,
) -> Result<Vec<ImportFeature>, Vec<ImportProblem>> {
    let features = collection(text).map_err(|message| {
        vec![ImportProblem {
            index: None,
            code: None,
            message,
        }]
    })?;
    let mut problems = Vec::new();
    let drafts: Vec<Draft> = features
        .iter()
        .enumerate()
        .map(|(index, value)| Draft::parse(index, value, ctx, &mut problems))
        .collect();
    check_references(&drafts, ctx, &mut problems);
    let mut parsed = Vec::with_capacity(drafts.len());
    for draft in drafts {
        match draft.finish() {
            Ok(feature) => parsed.push(feature),
            Err(problem) if problems.is_empty() => problems.push(problem),
            Err(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        problems.sort_by_key(|p| p.index.map_or(0, |i| i + 1));
        Err(problems)
    }
}

fn collection(text: &str) -> Result<Vec<Value>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let features = match value {
        Value::Object(mut object)
            if object.get("type").and_then(Value::as_str) == Some("FeatureCollection") =>
        {
            object.remove("features")
        }
        _ => return Err("not a GeoJSON FeatureCollection".to_owned()),
    };
    match features {
        Some(Value::Array(features)) if features.len() > MAX_FEATURES => Err(format!(
            "{} features is more than the {MAX_FEATURES} one import may hold",
            features.len()
        )),
        Some(Value::Array(features)) => Ok(features),
        _ => Err("the FeatureCollection has no \"features\" array".to_owned()),
    }
}

/// A feature as far as it could be read; fields are `None` where a problem was recorded.
struct Draft {
    index: usize,
    kind: Option<PlaceKind>,
    code: Option<String>,
    name: Option<String>,
    parent: Option<String>,
    chief: Option<String>,
    workers: Vec<String>,
    buffer_meters: Option<f64>,
    geometry: Option<Option<geo::Geometry<f64>>>,
}

/// Records problems for one feature, tagged with its index and (once known) its code.
struct Reporter<'p> {
    index: usize,
    code: Option<String>,
    problems: &'p mut Vec<ImportProblem>,
}

impl Reporter<'_> {
    fn report(&mut self, message: impl Into<String>) {
        self.problems.push(ImportProblem {
            index: Some(self.index),
            code: self.code.clone(),
            message: message.into(),
        });
    }
}

impl Draft {
    fn parse(
        index: usize,
        value: &Value,
        ctx: &ImportContext,
        problems: &mut Vec<ImportProblem>,
    ) -> Self {
        let mut draft = Draft {
            index,
            kind: None,
            code: None,
            name: None,
            parent: None,
            chief: None,
            workers: Vec::new(),
            buffer_meters: None,
            geometry: None,
        };
        let mut out = Reporter {
            index,
            code: None,
            problems,
        };
        let Some(feature) = value.as_object() else {
            out.report("feature is not a JSON object");
            return draft;
        };
        let is_feature = feature.get("type").and_then(Value::as_str) == Some("Feature");
        let Some(props) = feature.get("properties").and_then(Value::as_object) else {
            out.report("feature has no \"properties\" object");
            return draft;
        };
        draft.code = required_text(props, "code", MAX_CODE_CHARS, &mut out);
        out.code = draft.code.clone();
        if !is_feature {
            out.report("feature's \"type\" must be \"Feature\"");
        }
        draft.name = required_text(props, "name", MAX_NAME_CHARS, &mut out);
        draft.kind = match props.get("kind") {
            None | Some(Value::Null) => {
                out.report("missing kind");
                None
            }
            Some(Value::String(s)) => PlaceKind::parse(s).or_else(|| {
                out.report(format!(
                    "unknown kind '{s}' (expected district, town, community, grid, street or lane)"
                ));
                None
            }),
            Some(_) => {
                out.report("kind must be a string");
                None
            }
        };
        draft.parent = optional_text(props, "parent", &mut out);
        draft.chief = optional_text(props, "chief", &mut out).map(|e| e.to_lowercase());
        draft.workers = workers(props, &mut out);
        draft.buffer_meters = buffer(props, &mut out);
        draft.geometry = match parse_geometry(feature.get("geometry").unwrap_or(&Value::Null)) {
            Ok(geometry) => Some(geometry),
            Err(messages) => {
                messages.into_iter().for_each(|m| out.report(m));
                None
            }
        };
        draft.check_emails(ctx, &mut out);
        if let Some(kind) = draft.kind {
            draft.check_kind_rules(kind, &mut out);
        }
        draft
    }

    fn check_emails(&self, ctx: &ImportContext, out: &mut Reporter) {
        for email in self.chief.iter().chain(&self.workers) {
            if !ctx.known_emails.contains(email) {
                out.report(format!("unknown user email '{email}'"));
            }
        }
    }

    fn check_kind_rules(&mut self, kind: PlaceKind, out: &mut Reporter) {
        if self.chief.is_some() && !kind.has_chief() {
            out.report(format!(
                "a {kind} has no chief (chiefs belong to towns, communities, streets and lanes)"
            ));
        }
        if !self.workers.is_empty() && kind != PlaceKind::Grid {
            out.report(format!("a {kind} has no workers (workers belong to grids)"));
        }
        if self.buffer_meters.is_some() && !kind.is_street_tree() {
            out.report(format!(
                "a {kind} has no bufferMeters (only streets and lanes do)"
            ));
        }
        if kind == PlaceKind::Grid {
            self.check_grid_code(out);
        }
        if let Some(geometry) = &self.geometry {
            use geo::Geometry as G;
            let fits = match (kind, geometry) {
                (PlaceKind::Grid, None) => false,
                (PlaceKind::Street | PlaceKind::Lane, None) => false,
                (_, None) => true,
                (_, Some(G::Polygon(_) | G::MultiPolygon(_))) => true,
                (_, Some(G::LineString(_) | G::MultiLineString(_))) => kind.is_street_tree(),
                (_, Some(_)) => false,
            };
            if !fits {
                out.report(match kind {
                    PlaceKind::Street | PlaceKind::Lane => format!(
                        "a {kind} needs a LineString, MultiLineString, Polygon or MultiPolygon geometry"
                    ),
                    PlaceKind::Grid => "a GRID needs a Polygon or MultiPolygon geometry".to_owned(),
                    _ => format!("a {kind} geometry must be a Polygon, MultiPolygon or null"),
                });
            }
            let is_line = matches!(geometry, Some(G::LineString(_) | G::MultiLineString(_)));
            if kind.is_street_tree() && is_line && self.buffer_meters.is_none() {
                self.buffer_meters = Some(DEFAULT_BUFFER_METERS);
            }
        }
    }

    /// Grid codes are 6 district + 3 town + 3 community + 3 grid digits; when the community
    /// code follows the same scheme (12 digits) the grid code must extend it.
    fn check_grid_code(&self, out: &mut Reporter) {
        let Some(code) = &self.code else { return };
        if code.len() != 15 || !code.bytes().all(|b| b.is_ascii_digit()) {
            out.report(format!("grid code '{code}' must be exactly 15 digits"));
            return;
        }
        if let Some(parent) = &self.parent
            && parent.len() == 12
            && parent.bytes().all(|b| b.is_ascii_digit())
            && !code.starts_with(parent.as_str())
        {
            out.report(format!(
                "grid code '{code}' must start with its community's code '{parent}'"
            ));
        }
    }

    fn finish(self) -> Result<ImportFeature, ImportProblem> {
        match (self.kind, self.code, self.name, self.geometry) {
            (Some(kind), Some(code), Some(name), Some(geometry)) => Ok(ImportFeature {
                index: self.index,
                kind,
                code,
                name,
                parent: self.parent,
                chief: self.chief,
                workers: self.workers,
                buffer_meters: self.buffer_meters,
                geometry_json: geometry.as_ref().map(to_geojson),
                geometry,
            }),
            (_, code, _, _) => Err(ImportProblem {
                index: Some(self.index),
                code,
                message: "feature is incomplete".to_owned(),
            }),
        }
    }
}

/// Checks what needs the whole file: duplicate codes and parent references.
fn check_references(drafts: &[Draft], ctx: &ImportContext, problems: &mut Vec<ImportProblem>) {
    let mut in_file: HashMap<&str, (usize, Option<PlaceKind>)> =
        HashMap::with_capacity(drafts.len());
    for draft in drafts {
        let Some(code) = draft.code.as_deref() else {
            continue;
        };
        let mut out = Reporter {
            index: draft.index,
            code: draft.code.clone(),
            problems,
        };
        match in_file.get(code) {
            Some((first, _)) => out.report(format!(
                "duplicate code '{code}' (first used by feature {first})"
            )),
            None => {
                in_file.insert(code, (draft.index, draft.kind));
            }
        }
    }
    for draft in drafts {
        let Some(kind) = draft.kind else { continue };
        let mut out = Reporter {
            index: draft.index,
            code: draft.code.clone(),
            problems,
        };
        let allowed = kind.allowed_parents();
        let Some(parent) = draft.parent.as_deref() else {
            if let Some(needed) = allowed.first() {
                out.report(format!("missing parent (a {kind} needs a {needed})"));
            }
            continue;
        };
        if allowed.is_empty() {
            out.report(format!("a {kind} has no parent, but '{parent}' is given"));
            continue;
        }
        if draft.code.as_deref() == Some(parent) {
            out.report("a place cannot be its own parent");
            continue;
        }
        let parent_kind = match in_file.get(parent) {
            Some((_, kind)) => *kind,
            None => match ctx.existing.get(parent) {
                Some(kind) => Some(*kind),
                None => {
                    out.report(format!(
                        "unknown parent '{parent}' (not in this file nor in the database)"
                    ));
                    continue;
                }
            },
        };
        if let Some(parent_kind) = parent_kind
            && !allowed.contains(&parent_kind)
        {
            let needed: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
            out.report(format!(
                "parent '{parent}' is a {parent_kind}, but a {kind} needs a {}",
                needed.join(" or ")
            ));
        }
    }
}

fn required_text(
    props: &Map<String, Value>,
    key: &str,
    max_chars: usize,
    out: &mut Reporter,
) -> Option<String> {
    match props.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let s = s.trim();
            if s.chars().count() > max_chars {
                out.report(format!("{key} is longer than {max_chars} characters"));
                return None;
            }
            if has_control(s) {
                out.report(format!("{key} must not contain control characters"));
                return None;
            }
            Some(s.to_owned())
        }
        Some(Value::String(_)) => {
            out.report(format!("empty {key}"));
            None
        }
        None | Some(Value::Null) => {
            out.report(format!("missing {key}"));
            None
        }
        Some(_) => {
            out.report(format!("{key} must be a string"));
            None
        }
    }
}

/// Control characters (NUL, ESC, …) have no place in a code, name or email, and some databases
/// refuse NUL in text; tabs and line breaks are tolerated, as in every other text input.
fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Absent, `null` and blank strings all mean "none": GIS exporters write any of them.
fn optional_text(props: &Map<String, Value>, key: &str, out: &mut Reporter) -> Option<String> {
    match props.get(key) {
        Some(Value::String(s)) if has_control(s) => {
            out.report(format!("{key} must not contain control characters"));
            None
        }
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        None | Some(Value::Null | Value::String(_)) => None,
        Some(_) => {
            out.report(format!("{key} must be a string"));
            None
        }
    }
}

fn workers(props: &Map<String, Value>, out: &mut Reporter) -> Vec<String> {
    let items = match props.get("workers") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            out.report("workers must be a list of emails");
            return Vec::new();
        }
    };
    let mut emails: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str().map(str::trim) {
            Some(email) if !email.is_empty() => {
                let email = email.to_lowercase();
                if !emails.contains(&email) {
                    emails.push(email);
                }
            }
            _ => out.report("workers must be a list of non-empty email strings"),
        }
    }
    emails
}

fn buffer(props: &Map<String, Value>, out: &mut Reporter) -> Option<f64> {
    match props.get("bufferMeters") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_f64() {
            Some(meters) if meters.is_finite() && meters > 0.0 && meters <= MAX_BUFFER_METERS => {
                Some(meters)
            }
            _ => {
                out.report(format!(
                    "bufferMeters must be a number greater than 0 and at most {MAX_BUFFER_METERS}, not {value}"
                ));
                None
            }
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    struct World {
        existing: HashMap<String, PlaceKind>,
        emails: HashSet<String>,
    }

    impl World {
        fn new() -> Self {
            World {
                existing: HashMap::from([
                    ("320101".to_owned(), PlaceKind::District),
                    ("320101002".to_owned(), PlaceKind::Town),
                ]),
                emails: [
                    "li.wei@example.cn",
                    "zhang.san@example.cn",
                    "wang.fang@example.cn",
                    "grid1@example.cn",
                ]
                .map(String::from)
                .into(),
            }
        }

        fn parse(&self, features: Vec<Value>) -> Result<Vec<ImportFeature>, Vec<ImportProblem>> {
            let text = json!({"type": "FeatureCollection", "features": features}).to_string();
            parse_import(
                &text,
                &ImportContext {
                    existing: &self.existing,
                    known_emails: &self.emails,
                },
            )
        }
    }

    fn feature(props: Value, geometry: Value) -> Value {
        json!({"type": "Feature", "properties": props, "geometry": geometry})
    }

    /// A closed square ring of `size` degrees with its south-west corner at (lon, lat).
    fn square(lon: f64, lat: f64, size: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]})
    }

    fn line(points: &[(f64, f64)]) -> Value {
        json!({"type": "LineString", "coordinates": points.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>()})
    }

    fn town_file() -> Vec<Value> {
        vec![
            feature(
                json!({"kind": "district", "code": "310101", "name": "黄浦区"}),
                Value::Null,
            ),
            feature(
                json!({"kind": "town", "code": "310101001", "name": "南京东路街道", "parent": "310101", "chief": "Zhang.San@Example.cn"}),
                square(121.0, 31.0, 0.1),
            ),
            feature(
                json!({"kind": "community", "code": "310101001001", "name": "新华社区", "parent": "310101001", "chief": "wang.fang@example.cn"}),
                Value::Null,
            ),
            feature(
                json!({"kind": "community", "code": "310101001002", "name": "人民社区", "parent": "310101001"}),
                square(121.05, 31.0, 0.05),
            ),
            feature(
                json!({"kind": "grid", "code": "310101001001001", "name": "网格一", "parent": "310101001001", "workers": ["GRID1@example.cn", "grid1@example.cn"]}),
                square(121.0, 31.0, 0.01),
            ),
            feature(
                json!({"kind": "grid", "code": "310101001002001", "name": "网格二", "parent": "310101001002"}),
                square(121.05, 31.0, 0.01),
            ),
            feature(
                json!({"kind": "street", "code": "S-RENMIN", "name": "Renmin Road", "parent": "310101001", "chief": "zhang.san@example.cn", "bufferMeters": 30}),
                line(&[(121.0, 31.005), (121.1, 31.005)]),
            ),
            feature(
                json!({"kind": "street", "code": "S-XINHUA", "name": "Xinhua Road", "parent": "310101001"}),
                line(&[(121.02, 31.0), (121.02, 31.1)]),
            ),
            feature(
                json!({"kind": "lane", "code": "L-XINHUA-2", "name": "Xinhua Lane 2", "parent": "S-XINHUA", "chief": "li.wei@example.cn", "bufferMeters": 12.5}),
                line(&[(121.02, 31.01), (121.03, 31.01)]),
            ),
        ]
    }

    fn messages_of(problems: &[ImportProblem], index: usize) -> Vec<&str> {
        problems
            .iter()
            .filter(|p| p.index == Some(index))
            .map(|p| p.message.as_str())
            .collect()
    }

    #[test]
    fn a_valid_multi_level_town_parses() {
        let features = World::new().parse(town_file()).unwrap();
        assert_eq!(features.len(), 9);
        assert_eq!(
            features.iter().map(|f| f.index).collect::<Vec<_>>(),
            (0..9).collect::<Vec<_>>()
        );
        let by_code = |code: &str| features.iter().find(|f| f.code == code).unwrap();
        assert_eq!(by_code("310101").geometry, None);
        assert_eq!(
            by_code("310101001").chief.as_deref(),
            Some("zhang.san@example.cn")
        );
        assert_eq!(by_code("310101001001001").workers, vec!["grid1@example.cn"]);
        assert_eq!(by_code("S-RENMIN").buffer_meters, Some(30.0));
        assert_eq!(
            by_code("S-XINHUA").buffer_meters,
            Some(DEFAULT_BUFFER_METERS)
        );
        assert_eq!(by_code("L-XINHUA-2").buffer_meters, Some(12.5));
        assert_eq!(by_code("310101001002").buffer_meters, None);
        let grid = by_code("310101001002001");
        let stored: Value = serde_json::from_str(grid.geometry_json.as_deref().unwrap()).unwrap();
        assert_eq!(stored, square(121.05, 31.0, 0.01));
    }

    #[test]
    fn a_file_with_several_bad_features_reports_every_problem_with_its_index_and_code() {
        let mut file = town_file();
        file.push(feature(json!({"kind": "lane", "code": "L-ORPHAN", "name": "Orphan Lane", "parent": "S-NOWHERE"}), line(&[(121.0, 31.0), (121.001, 31.0)])));
        let bow_tie = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.01], [121.01, 31.0], [121.0, 31.01], [121.0, 31.0]]]});
        file.push(feature(json!({"kind": "grid", "code": "310101001001002", "name": "Bow tie", "parent": "310101001001"}), bow_tie));
        file.push(feature(json!({"kind": "grid", "code": "310101001001003", "name": "Far away", "parent": "310101001001"}), square(200.0, 31.0, 0.01)));
        file.push(feature(json!({"kind": "street", "code": "S-RENMIN", "name": "Renmin Road again", "parent": "310101001"}), line(&[(121.0, 31.0), (121.1, 31.0)])));
        file.push(feature(json!({"kind": "lane", "code": "L-GHOST", "name": "Ghost Lane", "parent": "S-RENMIN", "chief": "ghost@example.cn"}), line(&[(121.0, 31.0), (121.001, 31.0)])));

        let problems = World::new().parse(file).unwrap_err();
        let codes: Vec<(Option<usize>, Option<&str>)> = problems
            .iter()
            .map(|p| (p.index, p.code.as_deref()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Some(9), Some("L-ORPHAN")),
                (Some(10), Some("310101001001002")),
                (Some(11), Some("310101001001003")),
                (Some(12), Some("S-RENMIN")),
                (Some(13), Some("L-GHOST")),
            ],
            "{problems:#?}"
        );
        assert!(messages_of(&problems, 9)[0].contains("unknown parent 'S-NOWHERE'"));
        assert!(messages_of(&problems, 10)[0].contains("self-intersection"));
        assert!(messages_of(&problems, 11)[0].contains("longitude 200 is outside [-180, 180]"));
        assert!(
            messages_of(&problems, 12)[0]
                .contains("duplicate code 'S-RENMIN' (first used by feature 6)")
        );
        assert!(messages_of(&problems, 13)[0].contains("unknown user email 'ghost@example.cn'"));
        assert_eq!(
            problems[0].to_string(),
            format!("feature 9 (L-ORPHAN): {}", problems[0].message)
        );
    }

    #[test]
    fn a_child_before_its_parent_is_fine() {
        let mut file = town_file();
        file.reverse();
        let features = World::new().parse(file).unwrap();
        assert_eq!(features[0].code, "L-XINHUA-2");
        assert_eq!(features[0].index, 0);
    }

    #[test]
    fn parents_from_the_database_are_accepted_and_their_kind_checked() {
        let world = World::new();
        let street = |parent: &str| {
            feature(
                json!({"kind": "street", "code": "S-NEW", "name": "New Road", "parent": parent}),
                line(&[(121.0, 31.0), (121.01, 31.0)]),
            )
        };
        assert!(world.parse(vec![street("320101002")]).is_ok());
        let problems = world.parse(vec![street("320101")]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "parent '320101' is a DISTRICT, but a STREET needs a TOWN"
        );
    }

    #[test]
    fn anything_but_a_feature_collection_is_a_file_level_problem() {
        let world = World::new();
        let ctx = ImportContext {
            existing: &world.existing,
            known_emails: &world.emails,
        };
        for text in [
            "not json",
            "[1, 2]",
            r#"{"type": "Feature", "properties": {}}"#,
            r#"{"type": "FeatureCollection"}"#,
        ] {
            let problems = parse_import(text, &ctx).unwrap_err();
            assert_eq!(problems.len(), 1, "{text}");
            assert_eq!(
                (problems[0].index, problems[0].code.as_deref()),
                (None, None),
                "{text}"
            );
            assert!(problems[0].to_string().starts_with("file: "));
        }
    }

    #[test]
    fn nan_like_and_huge_coordinates_are_rejected() {
        let world = World::new();
        let district = |geometry: Value| {
            vec![feature(
                json!({"kind": "district", "code": "310101", "name": "黄浦区"}),
                geometry,
            )]
        };
        let huge = json!({"type": "Polygon", "coordinates": [[[1e300, 31.0], [121.1, 31.0], [121.1, 31.1], [1e300, 31.0]]]});
        assert!(
            world.parse(district(huge)).unwrap_err()[0]
                .message
                .contains("outside [-180, 180]")
        );
        let nan = json!({"type": "Polygon", "coordinates": [[["NaN", 31.0], [121.1, 31.0], [121.1, 31.1], ["NaN", 31.0]]]});
        assert!(
            world.parse(district(nan)).unwrap_err()[0]
                .message
                .contains("pair of numbers")
        );
        let beyond_f64 = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"district","code":"1","name":"x"},
            "geometry":{"type":"Polygon","coordinates":[[[1e400,31],[121.1,31],[121.1,31.1],[1e400,31]]]}}]}"#;
        let ctx = ImportContext {
            existing: &world.existing,
            known_emails: &world.emails,
        };
        assert!(parse_import(beyond_f64, &ctx).is_err());
    }

    #[test]
    fn missing_and_malformed_properties_are_each_reported() {
        let problems = World::new()
            .parse(vec![
                feature(json!({"code": "", "name": "x".repeat(201)}), Value::Null),
                feature(
                    json!({"kind": "village", "code": "c".repeat(65), "name": "n"}),
                    Value::Null,
                ),
                json!({"type": "Feature", "geometry": null}),
            ])
            .unwrap_err();
        assert_eq!(
            messages_of(&problems, 0),
            vec![
                "empty code",
                "name is longer than 200 characters",
                "missing kind"
            ]
        );
        assert_eq!(
            messages_of(&problems, 1)[0],
            "code is longer than 64 characters"
        );
        assert!(messages_of(&problems, 1)[1].starts_with("unknown kind 'village'"));
        assert_eq!(
            messages_of(&problems, 2),
            vec!["feature has no \"properties\" object"]
        );
    }

    #[test]
    fn control_characters_in_texts_are_reported() {
        let problems = World::new()
            .parse(vec![
                feature(
                    json!({"kind": "district", "code": "D\u{0}1", "name": "ok"}),
                    Value::Null,
                ),
                feature(
                    json!({"kind": "district", "code": "D2", "name": "esc\u{1b}[31m"}),
                    Value::Null,
                ),
                feature(
                    json!({"kind": "town", "code": "T3", "name": "t", "parent": "320101\u{7}"}),
                    Value::Null,
                ),
            ])
            .unwrap_err();
        assert_eq!(
            messages_of(&problems, 0),
            vec!["code must not contain control characters"]
        );
        assert_eq!(
            messages_of(&problems, 1),
            vec!["name must not contain control characters"]
        );
        assert!(
            messages_of(&problems, 2)[0].contains("parent must not contain control characters")
        );
        let tab = World::new().parse(vec![feature(
            json!({"kind": "district", "code": "D4", "name": "with\ttab"}),
            Value::Null,
        )]);
        assert!(tab.is_ok(), "{tab:?}");
    }

    #[test]
    fn kind_specific_properties_are_only_accepted_where_they_mean_something() {
        let problems = World::new()
            .parse(vec![
                feature(json!({"kind": "district", "code": "310101", "name": "d", "parent": "320101", "workers": ["grid1@example.cn"]}), Value::Null),
                feature(json!({"kind": "street", "code": "S-1", "name": "s", "parent": "320101002", "bufferMeters": 600}), line(&[(121.0, 31.0), (121.01, 31.0)])),
                feature(json!({"kind": "grid", "code": "31010100100", "name": "g", "parent": "310101001001"}), square(121.0, 31.0, 0.01)),
                feature(json!({"kind": "grid", "code": "320101002001001", "name": "g", "parent": "320101002", "chief": "li.wei@example.cn"}), Value::Null),
                feature(json!({"kind": "community", "code": "320101002001", "name": "c", "parent": "320101002", "bufferMeters": 10}), line(&[(121.0, 31.0), (121.01, 31.0)])),
            ])
            .unwrap_err();
        let all = |i| messages_of(&problems, i).join(" | ");
        assert!(
            all(0).contains("DISTRICT has no workers") && all(0).contains("DISTRICT has no parent"),
            "{}",
            all(0)
        );
        assert!(
            all(1).contains("bufferMeters must be a number greater than 0 and at most 500"),
            "{}",
            all(1)
        );
        assert!(
            all(2).contains("must be exactly 15 digits") && all(2).contains("unknown parent"),
            "{}",
            all(2)
        );
        assert!(
            all(3).contains("GRID has no chief")
                && all(3).contains("needs a Polygon")
                && all(3).contains("is a TOWN"),
            "{}",
            all(3)
        );
        assert!(
            all(4).contains("has no bufferMeters")
                && all(4).contains("Polygon, MultiPolygon or null"),
            "{}",
            all(4)
        );
    }

    #[test]
    fn a_grid_code_must_extend_its_communitys_twelve_digit_code() {
        let mut file = town_file();
        file.push(feature(json!({"kind": "grid", "code": "310101001002009", "name": "g", "parent": "310101001001"}), square(121.0, 31.02, 0.01)));
        let problems = World::new().parse(file).unwrap_err();
        assert_eq!(
            messages_of(&problems, 9),
            vec!["grid code '310101001002009' must start with its community's code '310101001001'"]
        );
    }

    #[test]
    fn more_than_the_feature_cap_is_a_file_level_problem() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{}{{}}]}}"#,
            "{},".repeat(MAX_FEATURES)
        );
        let world = World::new();
        let problems = parse_import(
            &text,
            &ImportContext {
                existing: &world.existing,
                known_emails: &world.emails,
            },
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].index, None);
        assert!(problems[0].message.contains("200000"));
    }

    #[test]
    fn every_kind_parses_from_both_spellings_and_parents_sit_higher_so_no_cycle_is_possible() {
        for kind in PlaceKind::ALL {
            assert_eq!(PlaceKind::parse(kind.as_str()), Some(kind));
            assert_eq!(PlaceKind::parse(&kind.as_str().to_lowercase()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
            assert!(
                kind.allowed_parents()
                    .iter()
                    .all(|parent| parent.depth() < kind.depth())
            );
        }
        assert_eq!(PlaceKind::parse("village"), None);
    }
}

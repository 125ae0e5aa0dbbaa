//! Routing (谁的责任): the grid a reported point lies in, and the person who handles it.
//!
//! [`RoutingIndex`] holds every place in memory with one R-tree per overlay (grids, streets,
//! lanes), so a lookup is a few tree descents plus exact tests on a handful of candidates.
//! It is rebuilt from the database after each import.

use std::collections::HashMap;
use std::ops::ControlFlow;

use geo::{BoundingRect, Coord, Geometry, Intersects, LineString, Polygon, Rect};
use rstar::{AABB, RTree, RTreeObject};
use serde::{Deserialize, Serialize};

use super::places::{DEFAULT_BUFFER_METERS, PlaceKind};

/// Meters per degree of latitude (WGS84, mid-latitudes); good to ~1 % at city scale.
const METERS_PER_DEG_LAT: f64 = 110_574.0;
/// Meters per degree of longitude at the equator; scaled by cos(latitude).
const METERS_PER_DEG_LON: f64 = 111_320.0;
/// Safety margin when turning a buffer in meters into degrees for the R-tree envelopes.
const ENVELOPE_MARGIN: f64 = 1.01;

/// The level at which a category's tickets are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HandlerLevel {
    Lane,
    Street,
}

impl HandlerLevel {
    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            HandlerLevel::Lane => "LANE",
            HandlerLevel::Street => "STREET",
        }
    }

    /// Accepts `"LANE"`/`"STREET"` in any ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        [HandlerLevel::Lane, HandlerLevel::Street]
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
    }
}

/// A place as the routing engine sees it (loaded from the database by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: i64,
    pub kind: PlaceKind,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub chief: Option<Chief>,
    pub geometry: Option<Geometry<f64>>,
    /// How far beyond its geometry a street or lane reaches. A line with no positive, finite
    /// buffer gets [`DEFAULT_BUFFER_METERS`]; a polygon with none reaches only its inside.
    pub buffer_meters: f64,
}

/// The person in charge of a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chief {
    pub user_id: i64,
    pub name: String,
}

/// Why the handler was chosen.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HandlerSource {
    LaneChief,
    StreetChief,
    CommunityChief,
    TownChief,
}

impl HandlerSource {
    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            HandlerSource::LaneChief => "LANE_CHIEF",
            HandlerSource::StreetChief => "STREET_CHIEF",
            HandlerSource::CommunityChief => "COMMUNITY_CHIEF",
            HandlerSource::TownChief => "TOWN_CHIEF",
        }
    }
}

/// Enough of a place to show and link it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// Who handles the ticket, and on behalf of which place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handler {
    pub user_id: i64,
    pub name: String,
    pub source: HandlerSource,
    pub place: PlaceRef,
}

/// The outcome of routing one point, stored on the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    pub grid: Option<PlaceRef>,
    pub community: Option<PlaceRef>,
    pub town: Option<PlaceRef>,
    pub street: Option<PlaceRef>,
    pub lane: Option<PlaceRef>,
    pub handler: Option<Handler>,
    pub level: HandlerLevel,
    /// Distance from the chosen lane (or street, when no lane was chosen).
    pub distance_meters: Option<f64>,
    pub explanation: String,
}

impl RouteDecision {
    /// Routed means both a grid and a handler were found; otherwise a dispatcher decides.
    pub fn is_routed(&self) -> bool {
        self.grid.is_some() && self.handler.is_some()
    }
}

/// A place without its geometry (which lives in the trees), linked to its parent.
#[derive(Debug)]
struct Node {
    id: i64,
    kind: PlaceKind,
    code: String,
    name: String,
    parent: Option<u32>,
    chief: Option<Chief>,
    reach: f64,
}

/// What an R-tree entry stands for: one segment of a line, or one polygon (index into
/// `RoutingIndex::areas`). Segments are stored inline so the exact test touches no other memory.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Segment([f64; 2], [f64; 2]),
    Area(u32),
}

#[derive(Debug)]
struct Entry {
    envelope: AABB<[f64; 2]>,
    place: u32,
    shape: Shape,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// An in-memory spatial index of grids, streets and lanes that answers "who handles this point".
#[derive(Debug)]
pub struct RoutingIndex {
    nodes: Vec<Node>,
    areas: Vec<Polygon<f64>>,
    grids: RTree<Entry>,
    streets: RTree<Entry>,
    lanes: RTree<Entry>,
}

impl RoutingIndex {
    /// Builds the index. Codes are unique in the database; should one repeat, the first place
    /// with it wins. Grids need polygons; places without a usable geometry are kept for the
    /// tree (parents, chiefs) but never matched by location.
    pub fn build(places: Vec<Place>) -> Self {
        let mut by_code: HashMap<String, u32> = HashMap::with_capacity(places.len());
        let mut nodes = Vec::with_capacity(places.len());
        let mut kept = Vec::with_capacity(places.len());
        for place in places {
            let Ok(idx) = u32::try_from(nodes.len()) else {
                break;
            };
            if by_code.contains_key(&place.code) {
                continue;
            }
            by_code.insert(place.code.clone(), idx);
            let reach = reach(place.buffer_meters, place.geometry.as_ref());
            nodes.push(Node {
                id: place.id,
                kind: place.kind,
                code: place.code,
                name: place.name,
                parent: None,
                chief: place.chief,
                reach,
            });
            kept.push((place.parent_code, place.geometry));
        }
        let mut areas = Vec::new();
        let (mut grids, mut streets, mut lanes) = (Vec::new(), Vec::new(), Vec::new());
        for (idx, (node, (parent_code, geometry))) in nodes.iter_mut().zip(kept).enumerate() {
            node.parent = parent_code.and_then(|code| by_code.get(&code).copied());
            let (Some(geometry), Ok(place)) = (geometry, u32::try_from(idx)) else {
                continue;
            };
            let mut sink = EntrySink {
                place,
                reach: node.reach,
                areas: &mut areas,
                entries: match node.kind {
                    PlaceKind::Grid => &mut grids,
                    PlaceKind::Street => &mut streets,
                    PlaceKind::Lane => &mut lanes,
                    _ => continue,
                },
                areas_only: node.kind == PlaceKind::Grid,
            };
            sink.add(geometry);
        }
        RoutingIndex {
            nodes,
            areas,
            grids: RTree::bulk_load(grids),
            streets: RTree::bulk_load(streets),
            lanes: RTree::bulk_load(lanes),
        }
    }

    /// Number of places held (all kinds).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no place is held.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The lon/lat box covered by grids, or `None` without grids.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.grids.size() == 0 {
            return None;
        }
        let envelope = self.grids.root().envelope();
        let ([x0, y0], [x1, y1]) = (envelope.lower(), envelope.upper());
        Some(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
    }

    /// Routes a point (WGS84) for a category handled at `level`; see domain.md "Routing".
    ///
    /// Deterministic: among grids containing the point the smallest code wins; among lanes or
    /// streets the nearest (to the millimeter) wins, then the smallest code.
    pub fn route(
        &self,
        lat: f64,
        lon: f64,
        level: HandlerLevel,
        category_label: &str,
    ) -> RouteDecision {
        let mut decision = RouteDecision {
            grid: None,
            community: None,
            town: None,
            street: None,
            lane: None,
            handler: None,
            level,
            distance_meters: None,
            explanation: String::new(),
        };
        let at = Coord { x: lon, y: lat };
        let grid = if lat.is_finite() && lon.is_finite() {
            self.grid_at(at)
        } else {
            None
        };
        let Some(grid) = grid else {
            decision.explanation = "outside every grid: UNROUTED, waits for a dispatcher".into();
            return decision;
        };
        let community = self.parent_of_kind(grid, PlaceKind::Community);
        let town = community.and_then(|c| self.parent_of_kind(c, PlaceKind::Town));
        decision.grid = Some(self.place_ref(grid));
        decision.community = community.map(|c| self.place_ref(c));
        decision.town = town.map(|t| self.place_ref(t));

        let frame = Frame::around(at);
        let mut parts: Vec<String> = Vec::with_capacity(4);
        let lane = match level {
            HandlerLevel::Lane => self.nearest(&self.lanes, &frame, at),
            HandlerLevel::Street => None,
        };
        match lane {
            Some((lane, meters)) => self.by_lane(lane, meters, &mut decision, &mut parts),
            None => {
                if level == HandlerLevel::Lane {
                    parts.push("no lane within its buffer".into());
                }
                self.by_street(&frame, at, &mut decision, &mut parts);
            }
        }
        if decision.handler.is_none() {
            self.by_territory(grid, community, town, &mut decision, &mut parts);
        }
        let category = if category_label.is_empty() {
            String::new()
        } else {
            format!("category {category_label} ")
        };
        let verb = if decision.handler.is_some() {
            "handled"
        } else {
            "to be handled"
        };
        parts.push(format!("{category}{verb} at {} level", level.as_str()));
        decision.explanation = parts.join("; ");
        decision
    }

    /// A lane was found: its chief, else its street's chief.
    fn by_lane(
        &self,
        lane: u32,
        meters: f64,
        decision: &mut RouteDecision,
        parts: &mut Vec<String>,
    ) {
        let street = self.parent_of_kind(lane, PlaceKind::Street);
        decision.lane = Some(self.place_ref(lane));
        decision.street = street.map(|s| self.place_ref(s));
        decision.distance_meters = Some(meters);
        let near = format!("{} lane '{}'", how_far(meters), self.node(lane).name);
        if let Some(handler) = self.chief_of(lane, HandlerSource::LaneChief) {
            parts.push(format!("{near} (lane chief {})", handler.name));
            decision.handler = Some(handler);
        } else if let Some(handler) =
            street.and_then(|s| self.chief_of(s, HandlerSource::StreetChief))
        {
            parts.push(format!(
                "{near}, which has no chief; its street '{}' (street chief {})",
                handler.place.name, handler.name
            ));
            decision.handler = Some(handler);
        } else {
            parts.push(format!(
                "{near}; neither the lane nor its street has a chief"
            ));
        }
    }

    /// No lane (or a STREET-level category): the nearest street and its chief.
    fn by_street(
        &self,
        frame: &Frame,
        at: Coord<f64>,
        decision: &mut RouteDecision,
        parts: &mut Vec<String>,
    ) {
        let Some((street, meters)) = self.nearest(&self.streets, frame, at) else {
            parts.push("no street within its buffer".into());
            return;
        };
        decision.street = Some(self.place_ref(street));
        decision.distance_meters = Some(meters);
        let near = format!("{} street '{}'", how_far(meters), self.node(street).name);
        if let Some(handler) = self.chief_of(street, HandlerSource::StreetChief) {
            parts.push(format!("{near} (street chief {})", handler.name));
            decision.handler = Some(handler);
        } else {
            parts.push(format!("{near}, which has no chief"));
        }
    }

    /// Nobody on the street tree: the grid's community chief, else its town chief (属地兜底).
    fn by_territory(
        &self,
        grid: u32,
        community: Option<u32>,
        town: Option<u32>,
        decision: &mut RouteDecision,
        parts: &mut Vec<String>,
    ) {
        let fallback = community
            .and_then(|c| self.chief_of(c, HandlerSource::CommunityChief))
            .or_else(|| town.and_then(|t| self.chief_of(t, HandlerSource::TownChief)));
        let Some(handler) = fallback else {
            parts.push(format!(
                "no community or town chief for grid '{}' either: UNROUTED, waits for a dispatcher",
                self.node(grid).name
            ));
            return;
        };
        let what = match handler.source {
            HandlerSource::TownChief => "town",
            _ => "community",
        };
        parts.push(format!(
            "falls to {what} '{}' ({what} chief {}, 属地兜底)",
            handler.place.name, handler.name
        ));
        decision.handler = Some(handler);
    }

    fn node(&self, idx: u32) -> &Node {
        &self.nodes[idx as usize]
    }

    fn place_ref(&self, idx: u32) -> PlaceRef {
        let node = self.node(idx);
        PlaceRef {
            id: node.id,
            code: node.code.clone(),
            name: node.name.clone(),
        }
    }

    fn parent_of_kind(&self, idx: u32, kind: PlaceKind) -> Option<u32> {
        self.node(idx)
            .parent
            .filter(|&parent| self.node(parent).kind == kind)
    }

    fn chief_of(&self, idx: u32, source: HandlerSource) -> Option<Handler> {
        let chief = self.node(idx).chief.as_ref()?;
        Some(Handler {
            user_id: chief.user_id,
            name: chief.name.clone(),
            source,
            place: self.place_ref(idx),
        })
    }

    /// The grid containing the point (boundary included); the smallest code on shared edges.
    fn grid_at(&self, at: Coord<f64>) -> Option<u32> {
        let mut best: Option<u32> = None;
        let _ = self.grids.locate_in_envelope_intersecting_int(
            &AABB::from_point([at.x, at.y]),
            |entry| {
                if let Shape::Area(area) = entry.shape
                    && self.areas[area as usize].intersects(&at)
                    && best.is_none_or(|b| self.node(entry.place).code < self.node(b).code)
                {
                    best = Some(entry.place);
                }
                ControlFlow::<()>::Continue(())
            },
        );
        best
    }

    /// The nearest place of a street or lane tree whose buffered geometry holds the point.
    fn nearest(&self, tree: &RTree<Entry>, frame: &Frame, at: Coord<f64>) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64, i64)> = None;
        let _ =
            tree.locate_in_envelope_intersecting_int(&AABB::from_point([at.x, at.y]), |entry| {
                let node = self.node(entry.place);
                let meters = match entry.shape {
                    Shape::Segment(a, b) => frame.segment_distance(a, b),
                    Shape::Area(area) => self.area_distance(area, node.reach, frame, at),
                };
                if meters <= node.reach {
                    let key = (meters * 1000.0).round() as i64;
                    let better = best.is_none_or(|(b, _, best_key)| {
                        key < best_key || (key == best_key && node.code < self.node(b).code)
                    });
                    if better {
                        best = Some((entry.place, meters, key));
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        best.map(|(place, meters, _)| (place, meters))
    }

    /// Zero inside (or on) the polygon; otherwise the distance to its rings, computed only
    /// when the place reaches beyond its polygon at all.
    fn area_distance(&self, area: u32, reach: f64, frame: &Frame, at: Coord<f64>) -> f64 {
        let polygon = &self.areas[area as usize];
        if polygon.intersects(&at) {
            return 0.0;
        }
        if reach <= 0.0 {
            return f64::INFINITY;
        }
        std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .flat_map(|ring| ring.lines())
            .map(|line| {
                frame.segment_distance([line.start.x, line.start.y], [line.end.x, line.end.y])
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// A place's reach in meters: its buffer, or the default for lines, or nothing for polygons.
fn reach(buffer_meters: f64, geometry: Option<&Geometry<f64>>) -> f64 {
    if buffer_meters.is_finite() && buffer_meters > 0.0 {
        return buffer_meters;
    }
    match geometry {
        Some(
            Geometry::Polygon(_)
            | Geometry::MultiPolygon(_)
            | Geometry::Rect(_)
            | Geometry::Triangle(_),
        )
        | None => 0.0,
        Some(_) => DEFAULT_BUFFER_METERS,
    }
}

/// Turns one place's geometry into R-tree entries.
struct EntrySink<'a> {
    place: u32,
    reach: f64,
    areas: &'a mut Vec<Polygon<f64>>,
    entries: &'a mut Vec<Entry>,
    areas_only: bool,
}

impl EntrySink<'_> {
    fn add(&mut self, geometry: Geometry<f64>) {
        match geometry {
            Geometry::Polygon(polygon) => self.area(polygon),
            Geometry::MultiPolygon(polygons) => polygons.into_iter().for_each(|p| self.area(p)),
            Geometry::Rect(rect) => self.area(rect.to_polygon()),
            Geometry::Triangle(triangle) => self.area(triangle.to_polygon()),
            Geometry::GeometryCollection(collection) => {
                collection.into_iter().for_each(|g| self.add(g));
            }
            _ if self.areas_only => {}
            Geometry::LineString(line) => self.line(&line),
            Geometry::MultiLineString(lines) => lines.iter().for_each(|l| self.line(l)),
            Geometry::Line(line) => self.segment(line.start, line.end),
            Geometry::Point(point) => self.segment(point.0, point.0),
            Geometry::MultiPoint(points) => points.iter().for_each(|p| self.segment(p.0, p.0)),
        }
    }

    fn area(&mut self, polygon: Polygon<f64>) {
        let (Some(rect), Ok(area)) = (polygon.bounding_rect(), u32::try_from(self.areas.len()))
        else {
            return;
        };
        self.entries.push(Entry {
            envelope: expanded(rect.min(), rect.max(), self.reach),
            place: self.place,
            shape: Shape::Area(area),
        });
        self.areas.push(polygon);
    }

    fn line(&mut self, line: &LineString<f64>) {
        match line.0.as_slice() {
            [only] => self.segment(*only, *only),
            coords => coords.windows(2).for_each(|w| self.segment(w[0], w[1])),
        }
    }

    fn segment(&mut self, a: Coord<f64>, b: Coord<f64>) {
        let min = Coord {
            x: a.x.min(b.x),
            y: a.y.min(b.y),
        };
        let max = Coord {
            x: a.x.max(b.x),
            y: a.y.max(b.y),
        };
        self.entries.push(Entry {
            envelope: expanded(min, max, self.reach),
            place: self.place,
            shape: Shape::Segment([a.x, a.y], [b.x, b.y]),
        });
    }
}

/// A lon/lat box grown by `meters` on every side, conservatively: the longitude margin uses
/// the latitude farthest from the equator that a point within reach could have.
fn expanded(min: Coord<f64>, max: Coord<f64>, meters: f64) -> AABB<[f64; 2]> {
    if meters <= 0.0 {
        return AABB::from_corners([min.x, min.y], [max.x, max.y]);
    }
    let dlat = meters / METERS_PER_DEG_LAT * ENVELOPE_MARGIN;
    let far_lat = (min.y.abs().max(max.y.abs()) + dlat).min(89.9);
    let dlon = meters / (METERS_PER_DEG_LON * far_lat.to_radians().cos()) * ENVELOPE_MARGIN;
    AABB::from_corners([min.x - dlon, min.y - dlat], [max.x + dlon, max.y + dlat])
}

/// A local equirectangular projection centred on the query point, in meters.
struct Frame {
    origin: Coord<f64>,
    kx: f64,
}

impl Frame {
    fn around(origin: Coord<f64>) -> Self {
        Frame {
            origin,
            kx: METERS_PER_DEG_LON * origin.y.to_radians().cos(),
        }
    }

    fn project(&self, [lon, lat]: [f64; 2]) -> (f64, f64) {
        (
            (lon - self.origin.x) * self.kx,
            (lat - self.origin.y) * METERS_PER_DEG_LAT,
        )
    }

    /// Distance in meters from the origin to the segment a–b.
    fn segment_distance(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        let (ax, ay) = self.project(a);
        let (bx, by) = self.project(b);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (ax + t * dx).hypot(ay + t * dy)
    }
}

fn how_far(meters: f64) -> String {
    if meters == 0.0 {
        "point is inside".to_owned()
    } else {
        format!("point is {meters:.0} m from")
    }
}

/// A deterministic synthetic city for tests and benchmarks: `grids` square grids of 100 m on a
/// lattice (communities of 10×10 grids, towns of 10×10 communities, one district), streets of
/// 1 km along every 5th lattice line, and `lanes` short lanes branching off random streets.
/// Most towns, communities, streets and lanes have chiefs, so every fallback occurs.
pub fn synthetic_city(grids: usize, lanes: usize, seed: u64) -> Vec<Place> {
    const DISTRICT: &str = "310101";
    let cols = (grids as f64).sqrt().ceil().max(1.0) as usize;
    let rows = grids.div_ceil(cols);
    let towns_per_row = cols.div_ceil(100);
    let mut city = City::new(seed);
    let district = city.place(PlaceKind::District, DISTRICT.into(), "示范区".into(), None);
    city.places.push(district);
    if grids == 0 {
        return city.places;
    }
    let town_code =
        |r: usize, c: usize| format!("{DISTRICT}{:03}", (r / 100) * towns_per_row + c / 100 + 1);
    let mut seen = std::collections::HashSet::new();
    for i in 0..grids {
        let (r, c) = (i / cols, i % cols);
        let town = town_code(r, c);
        let community = format!("{town}{:03}", (r / 10 % 10) * 10 + c / 10 % 10 + 1);
        if seen.insert(town.clone()) {
            let chief = city.chief("镇长", 100);
            let place = city.place(
                PlaceKind::Town,
                town.clone(),
                format!("{town}镇"),
                Some(DISTRICT.into()),
            );
            city.places.push(Place { chief, ..place });
        }
        if seen.insert(community.clone()) {
            let chief = city.chief("社区书记", 90);
            let place = city.place(
                PlaceKind::Community,
                community.clone(),
                format!("{community}社区"),
                Some(town),
            );
            city.places.push(Place { chief, ..place });
        }
        let code = format!("{community}{:03}", (r % 10) * 10 + c % 10 + 1);
        let (x0, y0, x1, y1) = (c as f64, r as f64, c as f64 + 1.0, r as f64 + 1.0);
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].map(|(x, y)| city.at(x, y));
        let polygon = Polygon::new(LineString::from(ring.to_vec()), Vec::new());
        let place = city.place(
            PlaceKind::Grid,
            code.clone(),
            format!("网格{code}"),
            Some(community),
        );
        city.places.push(Place {
            geometry: Some(Geometry::Polygon(polygon)),
            ..place
        });
    }
    let mut streets: Vec<(usize, [Coord<f64>; 2])> = Vec::new();
    for (horizontal, lines, span) in [(true, rows, cols), (false, cols, rows)] {
        for k in (0..=lines).step_by(5) {
            for start in (0..span).step_by(10) {
                let end = (start + 10).min(span);
                let (a, b, r, c) = if horizontal {
                    (
                        city.at(start as f64, k as f64),
                        city.at(end as f64, k as f64),
                        k,
                        start,
                    )
                } else {
                    (
                        city.at(k as f64, start as f64),
                        city.at(k as f64, end as f64),
                        start,
                        k,
                    )
                };
                let town = town_code(r.min(rows - 1), c.min(cols - 1));
                let code = format!("S{}{k:04}{start:04}", if horizontal { 'H' } else { 'V' });
                let name = format!(
                    "{}{}路{}段",
                    if horizontal { "横" } else { "纵" },
                    k / 5 + 1,
                    start / 10 + 1
                );
                let chief = city.chief("街长", 90);
                let line = Geometry::LineString(LineString::from(vec![a, b]));
                streets.push((city.places.len(), [a, b]));
                let place = city.place(PlaceKind::Street, code, name, Some(town));
                city.places.push(Place {
                    chief,
                    geometry: Some(line),
                    buffer_meters: 20.0,
                    ..place
                });
            }
        }
    }
    for n in 0..lanes {
        let Some(&(street, [a, b])) = streets.get(city.below(streets.len() as u64) as usize) else {
            break;
        };
        let t = city.unit();
        let start = Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        };
        let side = if city.below(2) == 0 { 1.0 } else { -1.0 };
        let length = (50.0 + city.unit() * 150.0) * side;
        let (dx, dy) = if a.y == b.y {
            (0.0, length / METERS_PER_DEG_LAT)
        } else {
            (length / city.meters_per_deg_lon, 0.0)
        };
        let mid = Coord {
            x: start.x + dx * 0.5 + dy * 0.1,
            y: start.y + dy * 0.5 + dx * 0.1,
        };
        let end = Coord {
            x: start.x + dx,
            y: start.y + dy,
        };
        let parent = city.places[street].code.clone();
        let chief = city.chief("巷长", 80);
        let line = Geometry::LineString(LineString::from(vec![start, mid, end]));
        let buffer = 10.0 + city.unit() * 10.0;
        let name = format!("{}{}巷", city.places[street].name, n + 1);
        let place = city.place(PlaceKind::Lane, format!("L{n:06}"), name, Some(parent));
        city.places.push(Place {
            chief,
            geometry: Some(line),
            buffer_meters: buffer,
            ..place
        });
    }
    city.places
}

/// `count` deterministic pseudo-random points (lon/lat) inside `bounds`, for tests and benchmarks.
pub fn synthetic_points(bounds: Rect<f64>, count: usize, seed: u64) -> Vec<Coord<f64>> {
    let mut rng = XorShift::new(seed);
    (0..count)
        .map(|_| Coord {
            x: bounds.min().x + rng.unit() * bounds.width(),
            y: bounds.min().y + rng.unit() * bounds.height(),
        })
        .collect()
}

/// xorshift64: tiny, deterministic and good enough for synthetic layouts.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Builder state for [`synthetic_city`].
struct City {
    rng: XorShift,
    places: Vec<Place>,
    users: i64,
    origin: Coord<f64>,
    meters_per_deg_lon: f64,
}

impl City {
    const CELL_METERS: f64 = 100.0;

    fn new(seed: u64) -> Self {
        let origin = Coord {
            x: 121.30,
            y: 31.10,
        };
        City {
            rng: XorShift::new(seed),
            places: Vec::new(),
            users: 0,
            origin,
            meters_per_deg_lon: METERS_PER_DEG_LON * origin.y.to_radians().cos(),
        }
    }

    /// Lattice position (in cells) to lon/lat.
    fn at(&self, col: f64, row: f64) -> Coord<f64> {
        Coord {
            x: self.origin.x + col * Self::CELL_METERS / self.meters_per_deg_lon,
            y: self.origin.y + row * Self::CELL_METERS / METERS_PER_DEG_LAT,
        }
    }

    fn unit(&mut self) -> f64 {
        self.rng.unit()
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.rng.next() % n }
    }

    /// A new chief with `percent` % probability.
    fn chief(&mut self, role: &str, percent: u64) -> Option<Chief> {
        if self.below(100) >= percent {
            return None;
        }
        self.users += 1;
        Some(Chief {
            user_id: self.users,
            name: format!("{role}{}", self.users),
        })
    }

    /// A place with no chief, geometry or buffer; callers fill in the rest.
    fn place(
        &self,
        kind: PlaceKind,
        code: String,
        name: String,
        parent_code: Option<String>,
    ) -> Place {
        Place {
            id: self.places.len() as i64 + 1,
            kind,
            code,
            name,
            parent_code,
            chief: None,
            geometry: None,
            buffer_meters: 0.0,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine, Point};
    use proptest::prelude::*;

    const ORIGIN: Coord<f64> = Coord { x: 121.0, y: 31.0 };

    /// Meters east/north of the origin to lon/lat.
    fn at(east: f64, north: f64) -> Coord<f64> {
        Coord {
            x: ORIGIN.x + east / (METERS_PER_DEG_LON * ORIGIN.y.to_radians().cos()),
            y: ORIGIN.y + north / METERS_PER_DEG_LAT,
        }
    }

    fn chief(id: i64, name: &str) -> Option<Chief> {
        Some(Chief {
            user_id: id,
            name: name.into(),
        })
    }

    fn place(id: i64, kind: PlaceKind, code: &str, name: &str, parent: Option<&str>) -> Place {
        Place {
            id,
            kind,
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(Into::into),
            chief: None,
            geometry: None,
            buffer_meters: 0.0,
        }
    }

    fn square(id: i64, code: &str, parent: &str, east: f64, north: f64, size: f64) -> Place {
        let ring = [
            (0.0, 0.0),
            (size, 0.0),
            (size, size),
            (0.0, size),
            (0.0, 0.0),
        ]
        .map(|(x, y)| at(east + x, north + y));
        Place {
            geometry: Some(Geometry::Polygon(Polygon::new(
                LineString::from(ring.to_vec()),
                vec![],
            ))),
            ..place(
                id,
                PlaceKind::Grid,
                code,
                &format!("Grid {code}"),
                Some(parent),
            )
        }
    }

    fn line(
        id: i64,
        kind: PlaceKind,
        code: &str,
        name: &str,
        parent: &str,
        points: &[(f64, f64)],
        buffer: f64,
    ) -> Place {
        let coords: Vec<Coord<f64>> = points.iter().map(|&(e, n)| at(e, n)).collect();
        Place {
            geometry: Some(Geometry::LineString(LineString::from(coords))),
            buffer_meters: buffer,
            ..place(id, kind, code, name, Some(parent))
        }
    }

    /// One 1 km grid; Renmin Road runs east–west at 500 m; three lanes run north from it.
    fn town(street_chief: bool, community_chief: bool, town_chief: bool) -> Vec<Place> {
        let some_if = |yes: bool, id: i64, name: &str| if yes { chief(id, name) } else { None };
        vec![
            place(1, PlaceKind::District, "310101", "示范区", None),
            Place {
                chief: some_if(town_chief, 10, "Town Boss"),
                ..place(2, PlaceKind::Town, "310101001", "江宁镇", Some("310101"))
            },
            Place {
                chief: some_if(community_chief, 11, "Wang Fang"),
                ..place(
                    3,
                    PlaceKind::Community,
                    "310101001001",
                    "新华社区",
                    Some("310101001"),
                )
            },
            square(4, "310101001001001", "310101001001", 0.0, 0.0, 1000.0),
            Place {
                chief: some_if(street_chief, 12, "Zhang San"),
                ..line(
                    5,
                    PlaceKind::Street,
                    "S-RENMIN",
                    "Renmin Road",
                    "310101001",
                    &[(0.0, 500.0), (1000.0, 500.0)],
                    20.0,
                )
            },
            Place {
                chief: chief(13, "Li Wei"),
                ..line(
                    6,
                    PlaceKind::Lane,
                    "L-1",
                    "Xinhua Lane 1",
                    "S-RENMIN",
                    &[(300.0, 500.0), (300.0, 800.0)],
                    15.0,
                )
            },
            Place {
                chief: chief(14, "Zhao Liu"),
                ..line(
                    7,
                    PlaceKind::Lane,
                    "L-2",
                    "Xinhua Lane 2",
                    "S-RENMIN",
                    &[(320.0, 500.0), (320.0, 800.0)],
                    15.0,
                )
            },
            line(
                8,
                PlaceKind::Lane,
                "L-3",
                "Xinhua Lane 3",
                "S-RENMIN",
                &[(700.0, 500.0), (700.0, 800.0)],
                15.0,
            ),
        ]
    }

    fn route(index: &RoutingIndex, east: f64, north: f64, level: HandlerLevel) -> RouteDecision {
        let p = at(east, north);
        index.route(p.y, p.x, level, "0505 机动车乱停放")
    }

    #[test]
    fn a_point_inside_a_lanes_buffer_goes_to_the_lane_chief() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, 295.0, 700.0, HandlerLevel::Lane);
        let handler = d.handler.clone().unwrap();
        assert_eq!(
            (handler.name.as_str(), handler.source),
            ("Li Wei", HandlerSource::LaneChief)
        );
        assert_eq!(handler.place.code, "L-1");
        assert_eq!(d.lane.as_ref().unwrap().code, "L-1");
        assert_eq!(d.street.as_ref().unwrap().code, "S-RENMIN");
        assert_eq!(d.grid.as_ref().unwrap().code, "310101001001001");
        assert_eq!(d.community.as_ref().unwrap().code, "310101001001");
        assert_eq!(d.town.as_ref().unwrap().code, "310101001");
        assert!((d.distance_meters.unwrap() - 5.0).abs() < 0.01);
        assert!(d.is_routed());
        assert_eq!(
            d.explanation,
            "point is 5 m from lane 'Xinhua Lane 1' (lane chief Li Wei); category 0505 机动车乱停放 handled at LANE level"
        );
    }

    #[test]
    fn a_point_between_two_lanes_goes_to_the_nearest() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, 312.0, 700.0, HandlerLevel::Lane);
        assert_eq!(d.lane.unwrap().code, "L-2");
        assert_eq!(d.handler.unwrap().name, "Zhao Liu");
        assert!((d.distance_meters.unwrap() - 8.0).abs() < 0.01);
    }

    #[test]
    fn a_lane_with_no_chief_falls_to_its_streets_chief() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, 705.0, 700.0, HandlerLevel::Lane);
        assert_eq!(d.lane.as_ref().unwrap().code, "L-3");
        let handler = d.handler.unwrap();
        assert_eq!(
            (handler.name.as_str(), handler.source),
            ("Zhang San", HandlerSource::StreetChief)
        );
        assert_eq!(handler.place.code, "S-RENMIN");
        assert!(d.explanation.starts_with(
            "point is 5 m from lane 'Xinhua Lane 3', which has no chief; its street 'Renmin Road' (street chief Zhang San)"
        ));
    }

    #[test]
    fn a_point_far_from_every_lane_goes_to_the_street_chief_with_an_explanation() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, 100.0, 512.0, HandlerLevel::Lane);
        assert_eq!(d.lane, None);
        assert_eq!(d.handler.unwrap().source, HandlerSource::StreetChief);
        assert_eq!(
            d.explanation,
            "no lane within its buffer; point is 12 m from street 'Renmin Road' (street chief Zhang San); \
             category 0505 机动车乱停放 handled at LANE level"
        );
    }

    #[test]
    fn category_level_street_skips_lanes() {
        let index = RoutingIndex::build(town(true, true, true));
        assert_eq!(
            route(&index, 300.0, 510.0, HandlerLevel::Lane)
                .lane
                .unwrap()
                .code,
            "L-1"
        );
        let d = route(&index, 300.0, 510.0, HandlerLevel::Street);
        assert_eq!(d.lane, None);
        assert_eq!(d.handler.unwrap().source, HandlerSource::StreetChief);
        assert!((d.distance_meters.unwrap() - 10.0).abs() < 0.01);
        assert!(d.explanation.ends_with("handled at STREET level"));
        assert!(!d.explanation.contains("lane"));
    }

    #[test]
    fn a_street_with_no_chief_falls_to_the_community_chief_then_the_town_chief() {
        let index = RoutingIndex::build(town(false, true, true));
        let d = route(&index, 100.0, 505.0, HandlerLevel::Street);
        assert_eq!(d.street.as_ref().unwrap().code, "S-RENMIN");
        let handler = d.handler.unwrap();
        assert_eq!(
            (handler.name.as_str(), handler.source),
            ("Wang Fang", HandlerSource::CommunityChief)
        );
        assert!(d.explanation.contains("which has no chief; falls to community '新华社区' (community chief Wang Fang, 属地兜底)"));

        let index = RoutingIndex::build(town(false, false, true));
        let d = route(&index, 100.0, 505.0, HandlerLevel::Street);
        let handler = d.handler.unwrap();
        assert_eq!(
            (handler.name.as_str(), handler.source),
            ("Town Boss", HandlerSource::TownChief)
        );
        assert_eq!(handler.place.name, "江宁镇");
    }

    #[test]
    fn no_street_there_falls_to_the_community_chief() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, 100.0, 100.0, HandlerLevel::Lane);
        assert_eq!((d.street, d.lane, d.distance_meters), (None, None, None));
        assert_eq!(d.handler.unwrap().source, HandlerSource::CommunityChief);
        assert!(d.explanation.starts_with(
            "no lane within its buffer; no street within its buffer; falls to community"
        ));
    }

    #[test]
    fn nobody_responsible_inside_a_grid_is_unrouted_but_keeps_the_grid() {
        let index = RoutingIndex::build(town(false, false, false));
        let d = route(&index, 100.0, 100.0, HandlerLevel::Street);
        assert!(d.grid.is_some());
        assert!(!d.is_routed());
        assert!(
            d.explanation.contains("UNROUTED, waits for a dispatcher"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn a_point_outside_all_grids_is_unrouted_with_an_explanation() {
        let index = RoutingIndex::build(town(true, true, true));
        let d = route(&index, -50.0, 505.0, HandlerLevel::Lane);
        assert!(!d.is_routed());
        assert_eq!(
            (d.grid, d.community, d.town, d.street, d.lane, d.handler),
            (None, None, None, None, None, None)
        );
        assert_eq!(
            d.explanation,
            "outside every grid: UNROUTED, waits for a dispatcher"
        );
    }

    #[test]
    fn non_finite_coordinates_are_unrouted_not_a_panic() {
        let index = RoutingIndex::build(town(true, true, true));
        assert!(
            !index
                .route(f64::NAN, 121.0, HandlerLevel::Lane, "")
                .is_routed()
        );
        assert!(
            !index
                .route(31.0, f64::INFINITY, HandlerLevel::Lane, "")
                .is_routed()
        );
    }

    #[test]
    fn ties_are_broken_by_code_whatever_the_input_order() {
        let mut places = town(true, true, true);
        places.push(Place {
            chief: chief(20, "B"),
            ..line(
                20,
                PlaceKind::Lane,
                "L-TIE-B",
                "Tie B",
                "S-RENMIN",
                &[(400.0, 500.0), (400.0, 800.0)],
                15.0,
            )
        });
        places.push(Place {
            chief: chief(21, "A"),
            ..line(
                21,
                PlaceKind::Lane,
                "L-TIE-A",
                "Tie A",
                "S-RENMIN",
                &[(420.0, 500.0), (420.0, 800.0)],
                15.0,
            )
        });
        places.push(square(
            22,
            "310101001001002",
            "310101001001",
            1000.0,
            0.0,
            1000.0,
        ));
        let forward = RoutingIndex::build(places.clone());
        places.reverse();
        let backward = RoutingIndex::build(places);
        for index in [&forward, &backward] {
            assert_eq!(
                route(index, 410.0, 700.0, HandlerLevel::Lane)
                    .lane
                    .unwrap()
                    .code,
                "L-TIE-A"
            );
            assert_eq!(
                route(index, 1000.0, 100.0, HandlerLevel::Lane)
                    .grid
                    .unwrap()
                    .code,
                "310101001001001"
            );
        }
        for (east, north) in [(410.0, 700.0), (1000.0, 100.0), (999.0, 500.0)] {
            assert_eq!(
                route(&forward, east, north, HandlerLevel::Lane),
                route(&backward, east, north, HandlerLevel::Lane)
            );
        }
    }

    #[test]
    fn a_polygon_lane_holds_points_inside_it_at_zero_distance() {
        let mut places = town(true, true, true);
        let mut yard = square(30, "L-YARD", "S-RENMIN", 850.0, 600.0, 50.0);
        yard.kind = PlaceKind::Lane;
        yard.name = "Yard Lane".into();
        yard.chief = chief(30, "Sun Qi");
        places.push(yard);
        let index = RoutingIndex::build(places);
        let d = route(&index, 870.0, 620.0, HandlerLevel::Lane);
        assert_eq!(d.distance_meters, Some(0.0));
        assert!(
            d.explanation
                .starts_with("point is inside lane 'Yard Lane' (lane chief Sun Qi)")
        );
        assert_eq!(route(&index, 870.0, 660.0, HandlerLevel::Lane).lane, None);
    }

    #[test]
    fn local_distances_agree_with_haversine_to_within_one_percent() {
        let frame = Frame::around(ORIGIN);
        let far = at(300.0, 400.0);
        let local = frame.segment_distance([far.x, far.y], [far.x, far.y]);
        let haversine = Haversine.distance(Point::from(ORIGIN), Point::from(far));
        assert!(
            (local - haversine).abs() / haversine < 0.01,
            "{local} vs {haversine}"
        );
    }

    #[test]
    fn len_and_bounds_describe_what_was_loaded() {
        let index = RoutingIndex::build(town(true, true, true));
        assert_eq!(index.len(), 8);
        assert!(!index.is_empty());
        let bounds = index.bounds().unwrap();
        assert!(
            (bounds.min().x - ORIGIN.x).abs() < 1e-9
                && (bounds.max().y - at(0.0, 1000.0).y).abs() < 1e-9
        );
        assert!(RoutingIndex::build(Vec::new()).bounds().is_none());
    }

    #[test]
    fn synthetic_city_is_deterministic_and_routes_random_points_without_panicking() {
        let places = synthetic_city(2_500, 1_000, 7);
        assert_eq!(places, synthetic_city(2_500, 1_000, 7));
        let count = |kind| places.iter().filter(|p| p.kind == kind).count();
        assert_eq!(
            (count(PlaceKind::Grid), count(PlaceKind::Lane)),
            (2_500, 1_000)
        );
        assert!(count(PlaceKind::Street) > 100);
        let index = RoutingIndex::build(places);
        let points = synthetic_points(index.bounds().unwrap(), 3_000, 11);
        let mut routed = 0;
        let mut sources = std::collections::HashSet::new();
        for p in &points {
            for level in [HandlerLevel::Lane, HandlerLevel::Street] {
                let d = index.route(p.y, p.x, level, "0501 无照经营游商");
                assert!(
                    d.grid.is_some(),
                    "the lattice is square, so every point has a grid"
                );
                if let Some(handler) = &d.handler {
                    routed += 1;
                    sources.insert(handler.source);
                }
            }
        }
        assert!(routed > 5_000, "{routed}");
        assert_eq!(sources.len(), 4, "{sources:?}");
    }

    #[test]
    fn an_empty_synthetic_city_is_just_a_district() {
        let places = synthetic_city(0, 10, 1);
        assert_eq!(places.len(), 1);
        assert!(RoutingIndex::build(places).bounds().is_none());
    }

    proptest! {
        #[test]
        fn routing_is_deterministic_and_never_exceeds_a_buffer(east in -200.0..1200.0f64, north in -200.0..1200.0f64) {
            let near_edge = |m: f64| m.abs() < 1e-6 || (m - 1000.0).abs() < 1e-6;
            prop_assume!(!near_edge(east) && !near_edge(north));
            let index = RoutingIndex::build(town(true, true, true));
            for level in [HandlerLevel::Lane, HandlerLevel::Street] {
                let d = route(&index, east, north, level);
                prop_assert_eq!(&d, &route(&index, east, north, level));
                if let Some(meters) = d.distance_meters {
                    prop_assert!(meters <= 20.0 + 1e-9);
                }
                prop_assert_eq!(d.grid.is_some(), (0.0..=1000.0).contains(&east) && (0.0..=1000.0).contains(&north));
            }
        }
    }
}

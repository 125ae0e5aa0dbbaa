//! The demo town of `gridloop serve --demo`: a fictional subdistrict with its people, grids,
//! streets and lanes, as demo logins plus a GeoJSON file in the import format.
//!
//! The plan is drawn in meters east and north of the town's south-west corner and turned into
//! WGS84 only when written, so the tables below read like a street map.

use serde_json::{Map, Value, json};

/// The shared password of every demo login (documented in the README).
pub const DEMO_PASSWORD: &str = "gridloop-demo";

/// A demo login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Lower-case; the import file refers to users by it.
    pub email: String,
    pub name: String,
    pub phone: String,
    /// `GRID_WORKER`, `LANE_CHIEF`, `STREET_CHIEF`, `DISPATCHER`, `MANAGER` or `ADMIN`.
    pub roles: Vec<&'static str>,
    /// Codes of the jurisdictions the user belongs to.
    pub scope: Vec<String>,
}

/// The demo town: its logins and its places.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoTown {
    pub users: Vec<DemoUser>,
    /// A GeoJSON FeatureCollection in the import format, parents before children.
    pub geojson: String,
    /// (lat, lon) of the middle of the town, to centre a map on.
    pub center: (f64, f64),
}

const DISTRICT: &str = "310104";
const TOWN: &str = "310104001";
const EMAIL_DOMAIN: &str = "demo.gridloop";
/// (lat, lon) of the town's south-west corner.
const ORIGIN: (f64, f64) = (31.20, 121.44);
/// Side of a square grid; the town is 4 grids wide and one row of grids per community high.
const GRID_METERS: f64 = 300.0;
const GRIDS_PER_COMMUNITY: usize = 4;
const WIDTH: f64 = GRID_METERS * GRIDS_PER_COMMUNITY as f64;
const HEIGHT: f64 = GRID_METERS * COMMUNITIES.len() as f64;
/// The same approximations as routing uses, so distances agree.
const METERS_PER_DEG_LAT: f64 = 110_574.0;
const METERS_PER_DEG_LON: f64 = 111_320.0;

/// A community: one row of grids, south to north.
struct Community {
    zh: &'static str,
    en: &'static str,
    /// Number of the street chief who also takes what nobody else owns (属地兜底).
    chief: Option<usize>,
}

#[rustfmt::skip]
const COMMUNITIES: [Community; 3] = [
    Community { zh: "新华社区", en: "Xinhua", chief: Some(1) },
    Community { zh: "法华社区", en: "Fahua", chief: Some(2) },
    Community { zh: "幸福社区", en: "Xingfu", chief: None },
];

/// A street: a straight line in meters, its buffer and its chief's number.
struct Street {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    from: [f64; 2],
    to: [f64; 2],
    buffer: f64,
    chief: Option<usize>,
}

const fn street(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    from: [f64; 2],
    to: [f64; 2],
    buffer: f64,
    chief: Option<usize>,
) -> Street {
    Street {
        code,
        zh,
        en,
        from,
        to,
        buffer,
        chief,
    }
}

#[rustfmt::skip]
const STREETS: [Street; 8] = [
    street("ST01", "新华路", "Xinhua Road", [0.0, 150.0], [1200.0, 165.0], 30.0, Some(1)),
    street("ST02", "法华镇路", "Fahuazhen Road", [0.0, 455.0], [1200.0, 445.0], 25.0, Some(2)),
    street("ST03", "幸福路", "Xingfu Road", [0.0, 750.0], [1200.0, 760.0], 25.0, Some(3)),
    street("ST04", "番禺路", "Panyu Road", [150.0, 0.0], [160.0, 900.0], 30.0, Some(4)),
    street("ST05", "定西路", "Dingxi Road", [455.0, 0.0], [450.0, 900.0], 25.0, Some(5)),
    street("ST06", "安顺路", "Anshun Road", [760.0, 0.0], [765.0, 900.0], 20.0, Some(6)),
    street("ST07", "香花桥路", "Xianghuaqiao Road", [1050.0, 0.0], [1045.0, 900.0], 20.0, Some(7)),
    street("ST08", "泰安路", "Tai'an Road", [453.0, 330.0], [762.0, 330.0], 20.0, None),
];

/// A lane (弄): leaves its street `at` meters from the street's start, runs `length` meters
/// to the left (`side` 1) or right (-1), then optionally `bend` meters along the street.
struct Lane {
    number: u32,
    street: &'static Street,
    at: f64,
    side: f64,
    length: f64,
    bend: f64,
    buffer: f64,
    chief: Option<usize>,
}

#[allow(clippy::too_many_arguments)]
const fn lane(
    number: u32,
    street: &'static Street,
    at: f64,
    side: f64,
    length: f64,
    bend: f64,
    buffer: f64,
    chief: Option<usize>,
) -> Lane {
    Lane {
        number,
        street,
        at,
        side,
        length,
        bend,
        buffer,
        chief,
    }
}

const LANES: [Lane; 20] = [
    lane(211, &STREETS[0], 300.0, 1.0, 100.0, 0.0, 12.0, Some(1)),
    lane(329, &STREETS[0], 610.0, 1.0, 90.0, 60.0, 10.0, Some(1)),
    lane(480, &STREETS[0], 900.0, -1.0, 110.0, 0.0, 12.0, Some(2)),
    lane(561, &STREETS[0], 1130.0, 1.0, 100.0, 0.0, 10.0, Some(2)),
    lane(322, &STREETS[1], 300.0, -1.0, 110.0, 0.0, 12.0, Some(3)),
    lane(525, &STREETS[1], 610.0, 1.0, 100.0, 0.0, 15.0, Some(3)),
    lane(701, &STREETS[1], 900.0, -1.0, 120.0, -50.0, 12.0, None),
    lane(39, &STREETS[1], 70.0, 1.0, 110.0, 0.0, 10.0, Some(4)),
    lane(130, &STREETS[2], 300.0, -1.0, 110.0, 0.0, 12.0, Some(4)),
    lane(250, &STREETS[2], 610.0, 1.0, 100.0, 0.0, 12.0, Some(5)),
    lane(382, &STREETS[2], 900.0, -1.0, 110.0, 60.0, 15.0, Some(5)),
    lane(12, &STREETS[2], 1130.0, 1.0, 100.0, 0.0, 10.0, Some(6)),
    lane(586, &STREETS[3], 300.0, -1.0, 120.0, 0.0, 12.0, Some(6)),
    lane(399, &STREETS[3], 620.0, 1.0, 100.0, 0.0, 10.0, None),
    lane(222, &STREETS[3], 850.0, -1.0, 110.0, 0.0, 12.0, Some(7)),
    lane(1100, &STREETS[4], 600.0, -1.0, 110.0, 0.0, 12.0, Some(8)),
    lane(736, &STREETS[4], 220.0, 1.0, 100.0, 0.0, 12.0, Some(9)),
    lane(195, &STREETS[5], 560.0, -1.0, 120.0, 0.0, 12.0, Some(10)),
    lane(48, &STREETS[6], 320.0, 1.0, 110.0, 0.0, 12.0, Some(11)),
    lane(90, &STREETS[7], 150.0, 1.0, 70.0, 0.0, 10.0, Some(12)),
];

const STREET_CHIEFS: [&str; 7] = ["黄志强", "林芳", "何军", "高峰", "徐静", "马超", "罗斌"];
const LANE_CHIEFS: [&str; 12] = [
    "李伟", "王芳", "张敏", "刘强", "陈丽", "杨洋", "赵磊", "周婷", "吴斌", "孙涛", "朱红", "胡杰",
];
/// Grid worker `n` (from 1) patrols grids `2n - 1` and `2n`, counted south-west to north-east.
const GRID_WORKERS: [&str; 6] = ["郭明", "邓丽", "曹勇", "彭静", "谢军", "韩梅"];
const DISPATCHERS: [&str; 2] = ["刘洋", "赵敏"];

/// Builds the demo town. Deterministic: every call returns the same town.
pub fn demo_town() -> DemoTown {
    let geojson = json!({
        "type": "FeatureCollection",
        "name": "gridloop demo town",
        "features": features(),
    });
    DemoTown {
        users: users(),
        geojson: geojson.to_string(),
        center: lat_lon([WIDTH / 2.0, HEIGHT / 2.0]),
    }
}

/// Deterministic sample points for demo tickets, as (lat, lon). Of every ten: four lie inside
/// a lane's buffer, three on a street away from every lane, two anywhere in the town and one
/// outside every grid.
pub fn demo_points(count: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = SplitMix(seed);
    (0..count)
        .map(|i| {
            let at = match i % 10 {
                0..=3 => on_lane(&mut rng),
                4..=6 => on_street(&mut rng),
                7 | 8 => [rng.range(0.0, WIDTH), rng.range(0.0, HEIGHT)],
                _ => outside(&mut rng),
            };
            lat_lon(at)
        })
        .collect()
}

fn email(local: &str) -> String {
    format!("{local}@{EMAIL_DOMAIN}")
}

fn street_chief_email(n: usize) -> String {
    email(&format!("street{n}"))
}

fn lane_chief_email(n: usize) -> String {
    email(&format!("lane{n}"))
}

fn worker_email(n: usize) -> String {
    email(&format!("worker{n}"))
}

fn community_code(index: usize) -> String {
    format!("{TOWN}{:03}", index + 1)
}

/// Grids are numbered from 0, row by row from the south-west corner.
fn grid_code(index: usize) -> String {
    format!(
        "{}{:03}",
        community_code(index / GRIDS_PER_COMMUNITY),
        index % GRIDS_PER_COMMUNITY + 1
    )
}

fn lane_code(index: usize) -> String {
    format!("LN{:02}", index + 1)
}

fn users() -> Vec<DemoUser> {
    let mut phone = 0;
    let mut user = |email: String, name: &str, role: &'static str, scope: Vec<String>| {
        phone += 1;
        DemoUser {
            email,
            name: name.to_owned(),
            phone: format!("1391600{phone:04}"),
            roles: vec![role],
            scope,
        }
    };
    let mut users = vec![
        user(email("admin"), "沈静", "ADMIN", vec![DISTRICT.to_owned()]),
        user(email("manager"), "王建国", "MANAGER", vec![TOWN.to_owned()]),
    ];
    for (i, name) in DISPATCHERS.iter().enumerate() {
        let login = email(&format!("dispatcher{}", i + 1));
        users.push(user(login, name, "DISPATCHER", vec![TOWN.to_owned()]));
    }
    let grids = COMMUNITIES.len() * GRIDS_PER_COMMUNITY;
    for (i, name) in GRID_WORKERS.iter().enumerate() {
        let scope = (0..grids).filter(|g| g / 2 == i).map(grid_code).collect();
        users.push(user(worker_email(i + 1), name, "GRID_WORKER", scope));
    }
    for (i, name) in STREET_CHIEFS.iter().enumerate() {
        let n = Some(i + 1);
        let streets = STREETS
            .iter()
            .filter(|s| s.chief == n)
            .map(|s| s.code.to_owned());
        let communities = (0..COMMUNITIES.len()).filter(|&c| COMMUNITIES[c].chief == n);
        let scope = streets.chain(communities.map(community_code)).collect();
        users.push(user(street_chief_email(i + 1), name, "STREET_CHIEF", scope));
    }
    for (i, name) in LANE_CHIEFS.iter().enumerate() {
        let scope = (0..LANES.len())
            .filter(|&l| LANES[l].chief == Some(i + 1))
            .map(lane_code)
            .collect();
        users.push(user(lane_chief_email(i + 1), name, "LANE_CHIEF", scope));
    }
    users
}

fn features() -> Vec<Value> {
    let mut out = vec![
        feature(
            properties(
                "district",
                DISTRICT,
                "示范区 (Demo District)".into(),
                None,
                None,
            ),
            Value::Null,
        ),
        feature(
            properties(
                "town",
                TOWN,
                "新华街道 (Xinhua Subdistrict)".into(),
                Some(DISTRICT),
                Some(email("manager")),
            ),
            rectangle([0.0, 0.0], [WIDTH, HEIGHT]),
        ),
    ];
    for (c, community) in COMMUNITIES.iter().enumerate() {
        let name = format!("{} ({} Community)", community.zh, community.en);
        let chief = community.chief.map(street_chief_email);
        let south = c as f64 * GRID_METERS;
        out.push(feature(
            properties("community", &community_code(c), name, Some(TOWN), chief),
            rectangle([0.0, south], [WIDTH, south + GRID_METERS]),
        ));
    }
    for (c, community) in COMMUNITIES.iter().enumerate() {
        for g in 0..GRIDS_PER_COMMUNITY {
            let index = c * GRIDS_PER_COMMUNITY + g;
            let n = g + 1;
            let name = format!("{}第{n}网格 ({} Grid {n})", community.zh, community.en);
            let parent = community_code(c);
            let mut props = properties("grid", &grid_code(index), name, Some(&parent), None);
            props.insert("workers".into(), json!([worker_email(index / 2 + 1)]));
            let south_west = [g as f64 * GRID_METERS, c as f64 * GRID_METERS];
            let north_east = [south_west[0] + GRID_METERS, south_west[1] + GRID_METERS];
            out.push(feature(props, rectangle(south_west, north_east)));
        }
    }
    for street in &STREETS {
        let name = format!("{} ({})", street.zh, street.en);
        let chief = street.chief.map(street_chief_email);
        let mut props = properties("street", street.code, name, Some(TOWN), chief);
        props.insert("bufferMeters".into(), json!(street.buffer));
        out.push(feature(props, line_string(&[street.from, street.to])));
    }
    for (i, lane) in LANES.iter().enumerate() {
        let (street, number) = (lane.street, lane.number);
        let name = format!("{}{number}弄 ({} Lane {number})", street.zh, street.en);
        let chief = lane.chief.map(lane_chief_email);
        let mut props = properties("lane", &lane_code(i), name, Some(street.code), chief);
        props.insert("bufferMeters".into(), json!(lane.buffer));
        out.push(feature(props, line_string(&lane_line(lane))));
    }
    out
}

fn properties(
    kind: &str,
    code: &str,
    name: String,
    parent: Option<&str>,
    chief: Option<String>,
) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("kind".into(), kind.into());
    props.insert("code".into(), code.into());
    props.insert("name".into(), name.into());
    if let Some(parent) = parent {
        props.insert("parent".into(), parent.into());
    }
    if let Some(chief) = chief {
        props.insert("chief".into(), chief.into());
    }
    props
}

fn feature(properties: Map<String, Value>, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": properties, "geometry": geometry })
}

/// An axis-aligned rectangle, counter-clockwise from its south-west corner.
fn rectangle(south_west: [f64; 2], north_east: [f64; 2]) -> Value {
    let [x0, y0] = south_west;
    let [x1, y1] = north_east;
    let ring: Vec<Value> = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        .into_iter()
        .map(position)
        .collect();
    json!({ "type": "Polygon", "coordinates": [ring] })
}

fn line_string(points: &[[f64; 2]]) -> Value {
    let coordinates: Vec<Value> = points.iter().copied().map(position).collect();
    json!({ "type": "LineString", "coordinates": coordinates })
}

/// A GeoJSON position, `[lon, lat]`.
fn position(at: [f64; 2]) -> Value {
    let (lat, lon) = lat_lon(at);
    json!([lon, lat])
}

/// Meters east and north of the origin to (lat, lon), rounded to 1e-7° (about 1 cm).
fn lat_lon([east, north]: [f64; 2]) -> (f64, f64) {
    let round = |degrees: f64| (degrees * 1e7).round() / 1e7;
    let mid_lat = ORIGIN.0 + HEIGHT / 2.0 / METERS_PER_DEG_LAT;
    let per_deg_lon = METERS_PER_DEG_LON * mid_lat.to_radians().cos();
    (
        round(ORIGIN.0 + north / METERS_PER_DEG_LAT),
        round(ORIGIN.1 + east / per_deg_lon),
    )
}

fn along(from: [f64; 2], direction: [f64; 2], meters: f64) -> [f64; 2] {
    [
        from[0] + direction[0] * meters,
        from[1] + direction[1] * meters,
    ]
}

/// The unit vector from `a` towards `b`.
fn direction(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length = dx.hypot(dy).max(f64::MIN_POSITIVE);
    [dx / length, dy / length]
}

/// The unit vector 90° to the left of `d`.
fn left_of(d: [f64; 2]) -> [f64; 2] {
    [-d[1], d[0]]
}

/// A lane's corners: where it leaves its street, where it turns, and where a bent lane ends.
fn lane_corners(lane: &Lane) -> ([f64; 2], [f64; 2], Option<[f64; 2]>) {
    let street = direction(lane.street.from, lane.street.to);
    let start = along(lane.street.from, street, lane.at);
    let out = left_of(street).map(|v| v * lane.side);
    let corner = along(start, out, lane.length);
    let end = (lane.bend != 0.0).then(|| along(corner, street, lane.bend));
    (start, corner, end)
}

fn lane_line(lane: &Lane) -> Vec<[f64; 2]> {
    let (start, corner, end) = lane_corners(lane);
    [start, corner].into_iter().chain(end).collect()
}

/// A point along `a`–`b` from fraction `t` of the way, at most `wide` meters to either side.
fn near_segment(
    rng: &mut SplitMix,
    a: [f64; 2],
    b: [f64; 2],
    t: (f64, f64),
    wide: f64,
) -> [f64; 2] {
    let d = direction(a, b);
    let length = (b[0] - a[0]).hypot(b[1] - a[1]);
    let on_line = along(a, d, length * rng.range(t.0, t.1));
    along(on_line, left_of(d), rng.range(-wide, wide))
}

fn on_lane(rng: &mut SplitMix) -> [f64; 2] {
    let lane = &LANES[rng.below(LANES.len())];
    let wide = lane.buffer * 0.6;
    match lane_corners(lane) {
        (_, corner, Some(end)) if rng.unit() < 0.3 => {
            near_segment(rng, corner, end, (0.0, 1.0), wide)
        }
        (start, corner, _) => near_segment(rng, start, corner, (0.3, 1.0), wide),
    }
}

/// A point on a street at least 5 m beyond every lane's buffer (the last try if none is).
fn on_street(rng: &mut SplitMix) -> [f64; 2] {
    let mut at = [WIDTH / 2.0, HEIGHT / 2.0];
    for _ in 0..32 {
        let street = &STREETS[rng.below(STREETS.len())];
        at = near_segment(
            rng,
            street.from,
            street.to,
            (0.03, 0.97),
            street.buffer * 0.6,
        );
        let clear = |lane: &Lane| distance_to_line(at, &lane_line(lane)) > lane.buffer + 5.0;
        if LANES.iter().all(clear) {
            break;
        }
    }
    at
}

/// A point 80–400 m beyond one of the town's four edges.
fn outside(rng: &mut SplitMix) -> [f64; 2] {
    let beyond = rng.range(80.0, 400.0);
    match rng.below(4) {
        0 => [-beyond, rng.range(0.0, HEIGHT)],
        1 => [WIDTH + beyond, rng.range(0.0, HEIGHT)],
        2 => [rng.range(0.0, WIDTH), -beyond],
        _ => [rng.range(0.0, WIDTH), HEIGHT + beyond],
    }
}

/// Distance in meters from `p` to the nearest point of a polyline.
fn distance_to_line(p: [f64; 2], line: &[[f64; 2]]) -> f64 {
    line.windows(2)
        .map(|w| match w {
            [a, b] => {
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let len2 = (dx * dx + dy * dy).max(f64::MIN_POSITIVE);
                let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
                (a[0] + t * dx - p[0]).hypot(a[1] + t * dy - p[1])
            }
            _ => f64::INFINITY,
        })
        .fold(f64::INFINITY, f64::min)
}

/// SplitMix64: a tiny deterministic generator, enough for sample points.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::domain::places::{ImportContext, ImportFeature, PlaceKind, parse_import};
    use crate::domain::routing::{
        Chief, HandlerLevel, HandlerSource, Place, RouteDecision, RoutingIndex,
    };

    fn import(town: &DemoTown) -> Vec<ImportFeature> {
        let existing = HashMap::new();
        let known_emails: HashSet<String> = town.users.iter().map(|u| u.email.clone()).collect();
        let ctx = ImportContext {
            existing: &existing,
            known_emails: &known_emails,
        };
        parse_import(&town.geojson, &ctx).unwrap_or_else(|problems| panic!("{problems:#?}"))
    }

    fn index(town: &DemoTown) -> RoutingIndex {
        let places = import(town)
            .into_iter()
            .enumerate()
            .map(|(id, f)| Place {
                id: id as i64,
                kind: f.kind,
                code: f.code,
                name: f.name,
                parent_code: f.parent,
                chief: f.chief.map(|email| {
                    let user = town.users.iter().position(|u| u.email == email).unwrap();
                    Chief {
                        user_id: user as i64,
                        name: town.users[user].name.clone(),
                    }
                }),
                geometry: f.geometry,
                buffer_meters: f.buffer_meters.unwrap_or(0.0),
            })
            .collect();
        RoutingIndex::build(places)
    }

    fn route(town: &DemoTown, at: [f64; 2], level: HandlerLevel) -> RouteDecision {
        let (lat, lon) = lat_lon(at);
        index(town).route(lat, lon, level, "0501 无照经营游商")
    }

    /// The email and source of whoever the decision routes to.
    fn handler(town: &DemoTown, decision: &RouteDecision) -> (String, HandlerSource) {
        let handler = decision.handler.as_ref().expect("a handler");
        let email = town.users[handler.user_id as usize].email.clone();
        (email, handler.source)
    }

    fn user<'a>(town: &'a DemoTown, email: &str) -> &'a DemoUser {
        town.users.iter().find(|u| u.email == email).unwrap()
    }

    fn midpoint(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
        [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
    }

    #[test]
    fn the_demo_town_imports_without_problems_and_is_the_same_every_time() {
        let town = demo_town();
        assert_eq!(import(&town).len(), 1 + 1 + 3 + 12 + 8 + 20);
        assert_eq!(town, demo_town());
        let (lat, lon) = town.center;
        assert!((31.2..31.21).contains(&lat) && (121.44..121.46).contains(&lon));
    }

    #[test]
    fn the_town_has_the_promised_places_and_people() {
        let town = demo_town();
        let features = import(&town);
        let count = |kind| features.iter().filter(|f| f.kind == kind).count();
        let counts = PlaceKind::ALL.map(count);
        assert_eq!(counts, [1, 1, 3, 12, 8, 20]);
        let with_role = |role| town.users.iter().filter(|u| u.roles == [role]).count();
        assert_eq!(
            [
                "ADMIN",
                "MANAGER",
                "DISPATCHER",
                "GRID_WORKER",
                "STREET_CHIEF",
                "LANE_CHIEF"
            ]
            .map(with_role),
            [1, 1, 2, 6, 7, 12]
        );
        assert_eq!(town.users.len(), 29);
        let chiefless = |kind| {
            features
                .iter()
                .filter(|f| f.kind == kind && f.chief.is_none())
                .count()
        };
        assert_eq!(
            [
                PlaceKind::Town,
                PlaceKind::Community,
                PlaceKind::Street,
                PlaceKind::Lane
            ]
            .map(chiefless),
            [0, 1, 1, 2]
        );
        let town_chief = features.iter().find(|f| f.kind == PlaceKind::Town);
        assert_eq!(
            town_chief.unwrap().chief.as_deref(),
            Some("manager@demo.gridloop")
        );
        for f in &features {
            let buffer = f.buffer_meters;
            match f.kind {
                PlaceKind::Street => assert!((20.0..=30.0).contains(&buffer.unwrap())),
                PlaceKind::Lane => assert!((10.0..=15.0).contains(&buffer.unwrap())),
                _ => assert_eq!(buffer, None),
            }
            assert!(!f.name.is_empty());
        }
    }

    #[test]
    fn every_chief_and_worker_is_a_demo_user_whose_scope_matches_what_they_own() {
        let town = demo_town();
        let features = import(&town);
        let emails: HashSet<&str> = town.users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails.len(), town.users.len());
        let codes: HashSet<&str> = features.iter().map(|f| f.code.as_str()).collect();
        for u in &town.users {
            assert_eq!(u.email, u.email.to_lowercase());
            assert!(u.email.ends_with("@demo.gridloop"));
            assert_eq!(u.phone.len(), 11);
            assert!(!u.scope.is_empty(), "{}", u.email);
            assert!(u.scope.iter().all(|c| codes.contains(c.as_str())), "{u:?}");
        }
        let mut owned: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &features {
            for email in f.chief.iter().chain(&f.workers) {
                assert!(emails.contains(email.as_str()), "{email}");
                if f.kind != PlaceKind::Town {
                    owned.entry(email).or_default().push(&f.code);
                }
            }
        }
        let owners = ["GRID_WORKER", "STREET_CHIEF", "LANE_CHIEF"];
        for u in town.users.iter().filter(|u| owners.contains(&u.roles[0])) {
            let mine: HashSet<&str> = owned[u.email.as_str()].iter().copied().collect();
            let scope: HashSet<&str> = u.scope.iter().map(String::as_str).collect();
            assert_eq!(mine, scope, "{}", u.email);
        }
        for n in 1..=6 {
            assert_eq!(owned[worker_email(n).as_str()].len(), 2);
        }
        assert_eq!(owned["lane1@demo.gridloop"], ["LN01", "LN02"]);
    }

    #[test]
    fn grids_tile_the_town_and_every_grid_code_extends_its_community() {
        let town = demo_town();
        let features = import(&town);
        for f in features.iter().filter(|f| f.kind == PlaceKind::Grid) {
            assert!(f.code.starts_with(f.parent.as_deref().unwrap()));
            assert_eq!(f.workers.len(), 1);
        }
        let index = index(&town);
        let mut grids = HashSet::new();
        for i in 0..24 {
            for j in 0..18 {
                let at = [25.0 + 50.0 * i as f64, 25.0 + 50.0 * j as f64];
                let (lat, lon) = lat_lon(at);
                let d = index.route(lat, lon, HandlerLevel::Lane, "");
                assert!(d.is_routed(), "{at:?}: {}", d.explanation);
                grids.insert(d.grid.unwrap().code);
            }
        }
        assert_eq!(grids.len(), 12);
    }

    #[test]
    fn lanes_branch_off_their_own_street_and_keep_clear_of_each_other_and_other_streets() {
        for (i, lane) in LANES.iter().enumerate() {
            let line = lane_line(lane);
            let street = [lane.street.from, lane.street.to];
            assert!(
                distance_to_line(line[0], &street) < 1e-6,
                "{}",
                lane_code(i)
            );
            for other in STREETS.iter().filter(|s| s.code != lane.street.code) {
                let gap = line
                    .iter()
                    .map(|&p| distance_to_line(p, &[other.from, other.to]))
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    gap > other.buffer + lane.buffer,
                    "{} near {}",
                    lane_code(i),
                    other.code
                );
            }
            for (j, other) in LANES.iter().enumerate().skip(i + 1) {
                let theirs = lane_line(other);
                let gap = line
                    .iter()
                    .map(|&p| distance_to_line(p, &theirs))
                    .chain(theirs.iter().map(|&p| distance_to_line(p, &line)))
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    gap > lane.buffer + other.buffer,
                    "{} near {}",
                    lane_code(i),
                    lane_code(j)
                );
            }
        }
    }

    #[test]
    fn a_point_on_a_lane_goes_to_its_lane_chief_or_without_one_to_the_street_chief() {
        let town = demo_town();
        let (start, corner, _) = lane_corners(&LANES[0]);
        let d = route(&town, midpoint(start, corner), HandlerLevel::Lane);
        assert_eq!(d.lane.as_ref().unwrap().code, "LN01");
        let (email, source) = handler(&town, &d);
        assert_eq!(
            (email.as_str(), source),
            ("lane1@demo.gridloop", HandlerSource::LaneChief)
        );
        assert_eq!(user(&town, &email).roles, ["LANE_CHIEF"]);
        assert!(d.explanation.contains("新华路211弄"), "{}", d.explanation);

        let (start, corner, _) = lane_corners(&LANES[6]);
        let d = route(&town, midpoint(start, corner), HandlerLevel::Lane);
        assert_eq!(d.lane.as_ref().unwrap().code, "LN07");
        let (email, source) = handler(&town, &d);
        assert_eq!(
            (email.as_str(), source),
            ("street2@demo.gridloop", HandlerSource::StreetChief)
        );
    }

    #[test]
    fn a_street_level_point_away_from_lanes_goes_to_the_street_chief() {
        let town = demo_town();
        let street = &STREETS[1];
        let at = along(street.from, direction(street.from, street.to), 1000.0);
        assert_eq!(route(&town, at, HandlerLevel::Lane).lane, None);
        let d = route(&town, at, HandlerLevel::Street);
        assert_eq!(d.street.as_ref().unwrap().code, "ST02");
        let (email, source) = handler(&town, &d);
        assert_eq!(
            (email.as_str(), source),
            ("street2@demo.gridloop", HandlerSource::StreetChief)
        );
        assert_eq!(user(&town, &email).roles, ["STREET_CHIEF"]);
    }

    #[test]
    fn nobody_on_the_street_tree_falls_to_the_community_chief_else_the_town_chief() {
        let town = demo_town();
        let tai_an = &STREETS[7];
        let d = route(
            &town,
            midpoint(tai_an.from, tai_an.to),
            HandlerLevel::Street,
        );
        assert_eq!(d.street.as_ref().unwrap().code, "ST08");
        assert_eq!(d.community.as_ref().unwrap().code, "310104001002");
        assert_eq!(
            handler(&town, &d),
            (
                "street2@demo.gridloop".to_owned(),
                HandlerSource::CommunityChief
            )
        );

        let d = route(&town, [380.0, 850.0], HandlerLevel::Lane);
        assert_eq!((d.street.as_ref(), d.lane.as_ref()), (None, None));
        assert_eq!(d.community.as_ref().unwrap().code, "310104001003");
        assert_eq!(
            handler(&town, &d),
            ("manager@demo.gridloop".to_owned(), HandlerSource::TownChief)
        );
    }

    #[test]
    fn demo_points_are_deterministic_and_mix_lanes_streets_fallbacks_and_unrouted() {
        let town = demo_town();
        let index = index(&town);
        let points = demo_points(200, 42);
        assert_eq!(points.len(), 200);
        assert_eq!(points, demo_points(200, 42));
        assert_ne!(points, demo_points(200, 43));
        let mut sources = HashMap::new();
        let mut unrouted = 0;
        for (i, &(lat, lon)) in points.iter().enumerate() {
            let d = index.route(lat, lon, HandlerLevel::Lane, "");
            match i % 10 {
                0..=3 => assert!(d.lane.is_some(), "{i}: {}", d.explanation),
                4..=6 => assert!(
                    d.lane.is_none() && d.street.is_some(),
                    "{i}: {}",
                    d.explanation
                ),
                9 => assert!(d.grid.is_none(), "{i}: {}", d.explanation),
                _ => assert!(d.grid.is_some()),
            }
            match &d.handler {
                Some(h) if d.is_routed() => *sources.entry(h.source).or_insert(0) += 1,
                _ => unrouted += 1,
            }
        }
        assert_eq!(unrouted, 20);
        assert_eq!(sources.len(), 4, "{sources:?}");
    }
}

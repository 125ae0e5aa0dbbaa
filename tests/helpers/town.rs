//! A small test town laid out in local meters around (31.2 N, 121.4 E).
//!
//! ```text
//!  y=400 +---------------- G3 (community C2) ----------------+
//!  y=300 |============ street ST-NOCHIEF (no chief) ===========|
//!  y=200 +------ G1 (C1) --------+--------- G2 (C1) ----------+
//!        |  LN-1 | LN-2          |            | LN-3 (no chief)|
//!  y=100 |======= street ST-RENMIN (street1) =================|
//!  y=0   +-----------------------+----------------------------+
//!        x=0    x=50 x=66       x=200        x=300           x=400
//! ```
#![allow(dead_code)]

use serde_json::{Value, json};

pub const LAT0: f64 = 31.2;
pub const LON0: f64 = 121.4;

pub const DISTRICT: &str = "310104";
pub const TOWN: &str = "310104001";
pub const C1: &str = "310104001001";
pub const C2: &str = "310104001002";
pub const G1: &str = "310104001001001";
pub const G2: &str = "310104001001002";
pub const G3: &str = "310104001002001";

pub const STREET1: &str = "street1@town.test";
pub const LANE1: &str = "lane1@town.test";
pub const LANE2: &str = "lane2@town.test";
pub const MANAGER: &str = "manager@town.test";
pub const COMMUNITY2: &str = "community2@town.test";
pub const WORKER1: &str = "worker1@town.test";

/// (lat, lon) of a point `x` meters east and `y` meters north of the origin.
pub fn at(x: f64, y: f64) -> (f64, f64) {
    let lat = LAT0 + y / 110_574.0;
    let lon = LON0 + x / (111_320.0 * LAT0.to_radians().cos());
    (lat, lon)
}

fn pos(x: f64, y: f64) -> Value {
    let (lat, lon) = at(x, y);
    json!([lon, lat])
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[pos(x0, y0), pos(x1, y0), pos(x1, y1), pos(x0, y1), pos(x0, y0)]]})
}

fn line(a: (f64, f64), b: (f64, f64)) -> Value {
    json!({"type": "LineString", "coordinates": [pos(a.0, a.1), pos(b.0, b.1)]})
}

fn feature(props: Value, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": geometry})
}

/// The whole town as a FeatureCollection.
pub fn geojson() -> Value {
    json!({"type": "FeatureCollection", "features": [
        feature(json!({"kind": "district", "code": DISTRICT, "name": "示范区"}), Value::Null),
        feature(json!({"kind": "town", "code": TOWN, "name": "新华街道", "parent": DISTRICT, "chief": MANAGER}), Value::Null),
        feature(json!({"kind": "community", "code": C1, "name": "一社区", "parent": TOWN}), rect(0.0, 0.0, 400.0, 200.0)),
        feature(json!({"kind": "community", "code": C2, "name": "二社区", "parent": TOWN, "chief": COMMUNITY2}), rect(0.0, 200.0, 400.0, 400.0)),
        feature(json!({"kind": "grid", "code": G1, "name": "网格一", "parent": C1, "workers": [WORKER1]}), rect(0.0, 0.0, 200.0, 200.0)),
        feature(json!({"kind": "grid", "code": G2, "name": "网格二", "parent": C1}), rect(200.0, 0.0, 400.0, 200.0)),
        feature(json!({"kind": "grid", "code": G3, "name": "网格三", "parent": C2}), rect(0.0, 200.0, 400.0, 400.0)),
        feature(json!({"kind": "street", "code": "ST-RENMIN", "name": "人民路", "parent": TOWN, "chief": STREET1, "bufferMeters": 20}), line((0.0, 100.0), (400.0, 100.0))),
        feature(json!({"kind": "street", "code": "ST-NOCHIEF", "name": "无主路", "parent": TOWN, "bufferMeters": 20}), line((0.0, 300.0), (400.0, 300.0))),
        feature(json!({"kind": "lane", "code": "LN-1", "name": "人民路1弄", "parent": "ST-RENMIN", "chief": LANE1, "bufferMeters": 10}), line((50.0, 100.0), (50.0, 180.0))),
        feature(json!({"kind": "lane", "code": "LN-2", "name": "人民路2弄", "parent": "ST-RENMIN", "chief": LANE2, "bufferMeters": 10}), line((66.0, 100.0), (66.0, 180.0))),
        feature(json!({"kind": "lane", "code": "LN-3", "name": "人民路3弄", "parent": "ST-RENMIN", "bufferMeters": 10}), line((300.0, 100.0), (300.0, 180.0))),
    ]})
}

/// Every person the town file names.
pub fn people() -> [&'static str; 6] {
    [STREET1, LANE1, LANE2, MANAGER, COMMUNITY2, WORKER1]
}

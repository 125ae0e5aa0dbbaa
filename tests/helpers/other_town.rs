//! A second town, 11 km north of the test town and in another district, so that it lies outside
//! the scope of everybody who works in the first one. Same local-meter layout as `town`:
//!
//! ```text
//!  y=400 +---------------- CB2 (community, no grid) ---------------+
//!  y=200 +---------------- GB1 (community CB1) --------------------+
//!        |  LNB-1 (laneB)                                          |
//!  y=100 |======= street STB-MAIN (streetB) =======================|
//!  y=0   +---------------------------------------------------------+
//!        x=0    x=50                                            x=400
//! ```
//!
//! Every code starts with `310106` or `STB-`/`LNB-`, and every person's email ends in
//! `@townb.test`: a response that mentions any of [`MARKERS`] shows something of this town.
#![allow(dead_code)]

use gridloop::domain::role::Role;
use gridloop::service::Actor;
use gridloop::service::users;
use serde_json::{Value, json};

use super::TestApp;
use super::town::LON0;

pub const LAT0: f64 = 31.3;

pub const DISTRICT: &str = "310106";
pub const TOWN: &str = "310106001";
pub const CB1: &str = "310106001001";
pub const CB2: &str = "310106001002";
pub const GB1: &str = "310106001001001";
pub const STREET: &str = "STB-MAIN";
pub const LANE: &str = "LNB-1";

pub const STREET_CHIEF: &str = "streetb@townb.test";
pub const LANE_CHIEF: &str = "laneb@townb.test";
pub const MANAGER: &str = "managerb@townb.test";
pub const WORKER: &str = "workerb@townb.test";

/// Substrings that only data of this town contains.
pub const MARKERS: [&str; 4] = ["310106", "STB-", "LNB-", "@townb.test"];

/// (lat, lon) of a point `x` meters east and `y` meters north of this town's origin.
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

/// A LineString between two local points of this town.
pub fn line(a: (f64, f64), b: (f64, f64)) -> Value {
    json!({"type": "LineString", "coordinates": [pos(a.0, a.1), pos(b.0, b.1)]})
}

fn feature(props: Value, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": geometry})
}

/// The whole second town as a FeatureCollection.
pub fn geojson() -> Value {
    json!({"type": "FeatureCollection", "features": [
        feature(json!({"kind": "district", "code": DISTRICT, "name": "外区"}), Value::Null),
        feature(json!({"kind": "town", "code": TOWN, "name": "外镇", "parent": DISTRICT, "chief": MANAGER}), Value::Null),
        feature(json!({"kind": "community", "code": CB1, "name": "外一社区", "parent": TOWN}), rect(0.0, 0.0, 400.0, 200.0)),
        feature(json!({"kind": "community", "code": CB2, "name": "外二社区", "parent": TOWN}), rect(0.0, 200.0, 400.0, 400.0)),
        feature(json!({"kind": "grid", "code": GB1, "name": "外网格", "parent": CB1, "workers": [WORKER]}), rect(0.0, 0.0, 400.0, 200.0)),
        feature(json!({"kind": "street", "code": STREET, "name": "外路", "parent": TOWN, "chief": STREET_CHIEF, "bufferMeters": 20}), line((0.0, 100.0), (400.0, 100.0))),
        feature(json!({"kind": "lane", "code": LANE, "name": "外路1弄", "parent": STREET, "chief": LANE_CHIEF, "bufferMeters": 10}), line((50.0, 100.0), (50.0, 180.0))),
    ]})
}

impl TestApp {
    /// Creates the second town's people and imports it; its manager's scope is the town.
    pub async fn import_other_town(&self) {
        for (email, role) in [
            (STREET_CHIEF, Role::StreetChief),
            (LANE_CHIEF, Role::LaneChief),
            (MANAGER, Role::Manager),
            (WORKER, Role::GridWorker),
        ] {
            self.create_user(email, &[role], &[]).await;
        }
        gridloop::service::places::import_jurisdictions(
            &self.state,
            Actor::System,
            &geojson().to_string(),
        )
        .await
        .expect("import the other town");
        let manager = users::get_by_email(&self.state, MANAGER)
            .await
            .expect("manager exists");
        users::update_user(
            &self.state,
            Actor::System,
            manager.id,
            users::UserUpdate {
                scope_codes: Some(vec![TOWN.into()]),
                ..Default::default()
            },
        )
        .await
        .expect("scope the other manager");
    }
}

//! Distances on WGS84 coordinates, for duplicate detection and faked-fix checks.

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in meters (haversine).
pub fn meters_between(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Half-sizes (Δlat, Δlon) in degrees of a box that surely contains a circle of `radius_m`
/// around a point at `lat`; used to narrow an indexed query before the exact distance check.
pub fn bounding_degrees(lat: f64, radius_m: f64) -> (f64, f64) {
    let dlat = radius_m / 110_574.0 * 1.01;
    let cos = lat.to_radians().cos().abs().max(0.01);
    let dlon = radius_m / (111_320.0 * cos) * 1.01;
    (dlat, dlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = meters_between(31.0, 121.0, 32.0, 121.0);
        assert!((d - 111_000.0).abs() < 500.0, "{d}");
    }

    #[test]
    fn the_bounding_box_contains_the_circle() {
        let (dlat, dlon) = bounding_degrees(31.2, 50.0);
        assert!(meters_between(31.2, 121.4, 31.2 + dlat, 121.4) >= 50.0);
        assert!(meters_between(31.2, 121.4, 31.2, 121.4 + dlon) >= 50.0);
    }
}

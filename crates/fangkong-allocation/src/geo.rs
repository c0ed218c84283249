//! Great-circle distance through unit vectors: ordering sites costs a few multiplications
//! per site, and the distance in kilometres is computed only for the site chosen.
//!
//! What it must not do: use a planar approximation (a county spans a degree of longitude,
//! where one degree east is 15% shorter at its north edge than at the equator's scale).

/// Mean Earth radius (km), the sphere of the haversine distance.
pub const EARTH_RADIUS_KM: f64 = 6371.0;

/// The point at `lon`, `lat` (degrees) on the unit sphere.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The squared chord between two unit vectors, a key that orders points as their
/// great-circle distance does (`chord = 2 sin(angle / 2)`, increasing on `[0, pi]`). A
/// non-finite coordinate gives infinity: infinitely far.
pub fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if c2.is_nan() {
        f64::INFINITY
    } else {
        c2
    }
}

/// The great-circle distance (km) of a squared chord: `2 R asin(chord / 2)`, which is the
/// haversine formula (`chord / 2` is the square root of the haversine of the angle).
pub fn chord2_km(c2: f64) -> f64 {
    if !c2.is_finite() {
        return f64::INFINITY;
    }
    2.0 * EARTH_RADIUS_KM * (c2.sqrt() / 2.0).min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The haversine formula as usually written.
    fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dp = p2 - p1;
        let dl = (lon2 - lon1).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
    }

    #[test]
    fn equals_the_haversine_formula() {
        // Zhumadian railway station to Xincai county (about 73 km), a short hop, antipodes.
        let cases = [
            (114.0301, 32.9771, 114.9854, 32.7480),
            (114.0, 33.0, 114.0001, 33.0),
            (0.0, 0.0, 180.0, 0.0),
        ];
        for (lon1, lat1, lon2, lat2) in cases {
            let km = chord2_km(chord2(&unit_vector(lon1, lat1), &unit_vector(lon2, lat2)));
            let expected = haversine_km(lon1, lat1, lon2, lat2);
            assert!(
                (km - expected).abs() < 1e-6 * expected.max(1.0),
                "{km} {expected}"
            );
        }
        // One degree of latitude: 6371 * pi / 180 = 111.195 km.
        let km = chord2_km(chord2(&unit_vector(114.0, 32.0), &unit_vector(114.0, 33.0)));
        assert!((km - 111.195).abs() < 1e-3, "{km}");
    }

    #[test]
    fn non_finite_coordinates_are_infinitely_far() {
        let home = unit_vector(f64::NAN, 33.0);
        let c2 = chord2(&home, &unit_vector(114.0, 33.0));
        assert_eq!(c2, f64::INFINITY);
        assert_eq!(chord2_km(c2), f64::INFINITY);
    }
}

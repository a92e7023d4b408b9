//! Distance from each grid node to the nearest point.
//!
//! Returns `d = sqrt(d²)` in degrees of latitude under the metric of the
//! [module docs](super), for building `maxDistance` masks (like Verde's
//! `distance_mask`) and completeness QC. NaN everywhere when there are no
//! points. One k-d tree query per node.

use super::index::{KBest, PointIndex};
use super::{check_banded, GridError, GridSpec};

/// Distances (degrees) for rows `row0..row1` (row-major, south first).
///
/// ```
/// use gam_core::grid::{GridSpec, distance::distance_to_nearest};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 1.0]).unwrap();
/// let d = distance_to_nearest(&[0.0], &[0.0], &spec, 0, 1).unwrap();
/// assert_eq!(d, vec![0.0, 1.0, 2.0]);
/// ```
pub fn distance_to_nearest(
    lon: &[f64],
    lat: &[f64],
    spec: &GridSpec,
    row0: u32,
    row1: u32,
) -> Result<Vec<f64>, GridError> {
    let band = check_banded(lon, lat, None, spec, row0, row1)?;
    let index = PointIndex::new(lon, lat);
    let mut best = KBest::new(1, f64::INFINITY);
    Ok(index.query_band(spec, band, &mut best, |best, v| {
        if let Some(&d2) = best.dist2().first() {
            *v = d2.sqrt();
        }
    })?)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::points;
    use super::super::{cos_lat, dist2};
    use super::*;

    #[test]
    fn distance_equals_brute_force_and_uses_node_latitude() {
        let (lon, lat, _) = points(21, 500, [20.0, 60.0, 22.0, 61.0]);
        let spec = GridSpec::from_slice(&[19.0, 59.5, 0.1, 0.05, 41.0, 31.0]).unwrap();
        let got = distance_to_nearest(&lon, &lat, &spec, 3, 29).unwrap();
        for (k, &g) in got.iter().enumerate() {
            let (i, j) = (k % spec.nx, 3 + k / spec.nx);
            let (x, y) = (spec.lon(i), spec.lat(j));
            let want = (0..lon.len())
                .map(|p| dist2(lon[p], lat[p], x, y, cos_lat(y)))
                .fold(f64::INFINITY, f64::min)
                .sqrt();
            assert_eq!(g, want);
        }
        // a single point one degree east at 60N is half a degree away
        let spec = GridSpec::from_slice(&[0.0, 60.0, 1.0, 1.0, 2.0, 1.0]).unwrap();
        let d = distance_to_nearest(&[1.0], &[60.0], &spec, 0, 1).unwrap();
        assert!((d[0] - 0.5).abs() < 1e-12 && d[1] == 0.0);
    }

    #[test]
    fn no_points_gives_nan() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let d = distance_to_nearest(&[], &[], &spec, 0, 2).unwrap();
        assert!(d.iter().all(|v| v.is_nan()));
    }
}

//! Nearest-neighbour gridding with a search radius.
//!
//! Each node takes the value of the nearest point under the metric of the
//! [module docs](super) (ties: lowest input index), or NaN when no point lies
//! within `radius` degrees (`d <= radius`; `f64::INFINITY` means unlimited).
//! Like `gdal_grid -a nearest` with a circular radius, or scipy
//! `griddata(method="nearest")` with a distance mask. Cost: one k-d tree query
//! per node, O(nodes · log n).

use super::index::{KBest, PointIndex};
use super::{check_banded, GridError, GridSpec};

/// Checks a search radius (> 0, may be `f64::INFINITY`) and returns its square.
pub(crate) fn radius2(radius: f64) -> Result<f64, GridError> {
    if radius.is_nan() || radius <= 0.0 {
        return Err(GridError::Parameter(format!(
            "radius must be > 0 (degrees; Infinity for unlimited), got {radius}"
        )));
    }
    Ok(radius * radius)
}

/// Nearest-neighbour values for rows `row0..row1` (row-major, south first).
///
/// ```
/// use gam_core::grid::{GridSpec, nearest::grid_nearest};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 1.0]).unwrap();
/// let v = grid_nearest(&[0.1, 1.9], &[0.0, 0.0], &[5.0, 7.0], &spec, 0, 1, 0.5).unwrap();
/// assert_eq!(v[0], 5.0);
/// assert!(v[1].is_nan());
/// assert_eq!(v[2], 7.0);
/// ```
pub fn grid_nearest(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    row0: u32,
    row1: u32,
    radius: f64,
) -> Result<Vec<f64>, GridError> {
    let band = check_banded(lon, lat, Some(z), spec, row0, row1)?;
    let r2 = radius2(radius)?;
    let index = PointIndex::new(lon, lat);
    let mut best = KBest::new(1, r2);
    Ok(index.query_band(spec, band, &mut best, |best, v| {
        if let Some(&id) = best.ids().first() {
            *v = z[id as usize];
        }
    })?)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::points;
    use super::super::{cos_lat, dist2};
    use super::*;
    use crate::test_bits::same_bits;

    #[test]
    fn nearest_equals_brute_force() {
        let (lon, lat, z) = points(11, 800, [5.0, -30.0, 7.0, -28.0]);
        let spec = GridSpec::from_slice(&[4.9, -30.1, 0.05, 0.04, 46.0, 56.0]).unwrap();
        for &radius in &[f64::INFINITY, 0.03] {
            let got = grid_nearest(&lon, &lat, &z, &spec, 0, spec.ny as u32, radius).unwrap();
            for j in 0..spec.ny {
                let (y, c) = (spec.lat(j), cos_lat(spec.lat(j)));
                for i in 0..spec.nx {
                    let x = spec.lon(i);
                    let mut best: Option<(f64, usize)> = None;
                    for p in 0..lon.len() {
                        let d = dist2(lon[p], lat[p], x, y, c);
                        if d <= radius * radius && best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, p));
                        }
                    }
                    let want = best.map_or(f64::NAN, |(_, p)| z[p]);
                    let g = got[j * spec.nx + i];
                    assert!(g == want || (g.is_nan() && want.is_nan()), "node {i},{j}");
                }
            }
        }
    }

    #[test]
    fn bands_and_point_subsets_are_bit_identical() {
        let (lon, lat, z) = points(12, 2000, [0.0, 0.0, 1.0, 1.0]);
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.01, 0.01, 101.0, 101.0]).unwrap();
        let full = grid_nearest(&lon, &lat, &z, &spec, 0, 101, 0.05).unwrap();
        // band 40..60 from the points within its latitude range +- radius
        let keep: Vec<usize> = (0..lon.len())
            .filter(|&p| lat[p] >= 0.4 - 0.05 && lat[p] <= 0.59 + 0.05)
            .collect();
        let sub = |a: &[f64]| keep.iter().map(|&p| a[p]).collect::<Vec<f64>>();
        let band = grid_nearest(&sub(&lon), &sub(&lat), &sub(&z), &spec, 40, 60, 0.05).unwrap();
        let want = &full[40 * 101..60 * 101];
        assert!(same_bits(band.iter(), want));
    }

    #[test]
    fn rejects_bad_radius() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let e = grid_nearest(&[0.0], &[0.0], &[1.0], &spec, 0, 2, 0.0).unwrap_err();
        assert!(e.to_string().starts_with("radius must be > 0"));
        let e = grid_nearest(&[0.0], &[0.0], &[1.0, 2.0], &spec, 0, 2, 1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lon and z must have equal lengths (got 1 and 2)"
        );
    }
}

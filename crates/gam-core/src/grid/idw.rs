//! Inverse distance weighting over the k nearest points within a radius.
//!
//! Shepard's method restricted to neighbours, like GDAL's `invdistnn`
//! algorithm: the value at a node is `Σ wᵢ zᵢ / Σ wᵢ` with `wᵢ = 1 / dᵢ^p` over
//! the `k` nearest points (ties: lowest input index) whose distance is
//! `<= radius` (metric of the [module docs](super)). Fewer than `min_points`
//! neighbours gives NaN. A point exactly on the node (`d == 0`) returns that
//! point's value (the lowest-index one when several coincide), whatever
//! `min_points` is, as GDAL does. Weights are evaluated as
//! `(d₀² / dᵢ²)^(p/2)` relative to the nearest neighbour, which is the same
//! ratio without overflow for tiny distances. Sums run in neighbour order
//! `(d², index)`, so results do not depend on banding.

use super::index::{KBest, PointIndex};
use super::nearest::radius2;
use super::{check_banded, GridError, GridSpec};

/// Parameters of [`grid_idw`].
#[derive(Debug, Clone, Copy)]
pub struct IdwParams {
    /// Number of neighbours (>= 1).
    pub k: u32,
    /// Power of the inverse distance (finite, >= 0).
    pub power: f64,
    /// Search radius in degrees (> 0, `f64::INFINITY` for unlimited).
    pub radius: f64,
    /// Minimum number of neighbours for a value (0 or 1 means any).
    pub min_points: u32,
}

/// IDW values for rows `row0..row1` (row-major, south first).
///
/// ```
/// use gam_core::grid::{GridSpec, idw::{grid_idw, IdwParams}};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 1.0]).unwrap();
/// let p = IdwParams { k: 2, power: 2.0, radius: f64::INFINITY, min_points: 1 };
/// let v = grid_idw(&[0.0, 2.0], &[0.0, 0.0], &[1.0, 3.0], &spec, 0, 1, p).unwrap();
/// assert_eq!(v, vec![1.0, 2.0, 3.0]);
/// ```
pub fn grid_idw(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    row0: u32,
    row1: u32,
    params: IdwParams,
) -> Result<Vec<f64>, GridError> {
    let band = check_banded(lon, lat, Some(z), spec, row0, row1)?;
    if params.k < 1 {
        return Err(GridError::Parameter(format!(
            "k must be >= 1, got {}",
            params.k
        )));
    }
    if params.k > 1024 {
        return Err(GridError::Parameter(format!(
            "k must be <= 1024, got {}",
            params.k
        )));
    }
    if !params.power.is_finite() || params.power < 0.0 {
        return Err(GridError::Parameter(format!(
            "power must be a finite number >= 0, got {}",
            params.power
        )));
    }
    if params.min_points > params.k {
        return Err(GridError::Parameter(format!(
            "min_points must be <= k ({}), got {}",
            params.k, params.min_points
        )));
    }
    let r2 = radius2(params.radius)?;
    let half_p = 0.5 * params.power;
    let min_points = params.min_points.max(1) as usize;
    let index = PointIndex::with_bucket_fill(lon, lat, (params.k as usize / 2).max(3));
    let mut best = KBest::new(params.k as usize, r2);
    Ok(index.query_band(spec, band, &mut best, |best, v| {
        let (d2, ids) = (best.dist2(), best.ids());
        if d2.is_empty() {
            return;
        }
        if d2[0] == 0.0 {
            *v = z[ids[0] as usize];
            return;
        }
        if d2.len() < min_points {
            return;
        }
        let d0 = d2[0];
        let (mut num, mut den) = (0.0, 0.0);
        for (&d, &id) in d2.iter().zip(ids) {
            let w = if half_p == 1.0 {
                d0 / d
            } else {
                (d0 / d).powf(half_p)
            };
            num += w * z[id as usize];
            den += w;
        }
        *v = num / den;
    })?)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::points;
    use super::super::{cos_lat, dist2};
    use super::*;

    fn brute(lon: &[f64], lat: &[f64], z: &[f64], x: f64, y: f64, p: IdwParams) -> f64 {
        let c = cos_lat(y);
        let mut all: Vec<(f64, usize)> = (0..lon.len())
            .map(|q| (dist2(lon[q], lat[q], x, y, c), q))
            .filter(|&(d, _)| d <= p.radius * p.radius)
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(p.k as usize);
        if all.is_empty() {
            return f64::NAN;
        }
        if all[0].0 == 0.0 {
            return z[all[0].1];
        }
        if all.len() < p.min_points as usize {
            return f64::NAN;
        }
        let (mut num, mut den) = (0.0, 0.0);
        for &(d2, q) in &all {
            let w = 1.0 / d2.sqrt().powf(p.power);
            num += w * z[q];
            den += w;
        }
        num / den
    }

    #[test]
    fn idw_matches_brute_force() {
        let (lon, lat, z) = points(31, 700, [100.0, 10.0, 101.0, 11.0]);
        let spec = GridSpec::from_slice(&[99.95, 9.95, 0.025, 0.025, 45.0, 45.0]).unwrap();
        for p in [
            IdwParams {
                k: 12,
                power: 2.0,
                radius: 0.05,
                min_points: 3,
            },
            IdwParams {
                k: 1,
                power: 1.0,
                radius: f64::INFINITY,
                min_points: 1,
            },
            IdwParams {
                k: 7,
                power: 3.0,
                radius: 0.2,
                min_points: 0,
            },
        ] {
            let got = grid_idw(&lon, &lat, &z, &spec, 0, 45, p).unwrap();
            for (n, &g) in got.iter().enumerate() {
                let (x, y) = (spec.lon(n % 45), spec.lat(n / 45));
                let want = brute(&lon, &lat, &z, x, y, p);
                assert!(
                    (g.is_nan() && want.is_nan())
                        || (g - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "node {n}: {g} vs {want} ({p:?})"
                );
            }
        }
    }

    #[test]
    fn idw_reproduces_samples_on_nodes() {
        // points exactly on nodes, including a duplicate location (first wins)
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.5, 0.5, 5.0, 5.0]).unwrap();
        let lon = vec![0.5, 1.0, 0.5, 2.0];
        let lat = vec![0.5, 1.5, 0.5, 2.0];
        let z = vec![3.0, -4.0, 99.0, 8.5];
        let p = IdwParams {
            k: 4,
            power: 2.0,
            radius: f64::INFINITY,
            min_points: 4,
        };
        let v = grid_idw(&lon, &lat, &z, &spec, 0, 5, p).unwrap();
        assert_eq!(v[5 + 1], 3.0);
        assert_eq!(v[3 * 5 + 2], -4.0);
        assert_eq!(v[4 * 5 + 4], 8.5);
        // with min_points above the count in reach, other nodes are NaN
        let p = IdwParams {
            k: 4,
            power: 2.0,
            radius: 0.6,
            min_points: 4,
        };
        let v = grid_idw(&lon, &lat, &z, &spec, 0, 5, p).unwrap();
        assert!(v[0].is_nan());
        assert_eq!(v[5 + 1], 3.0);
    }

    #[test]
    fn idw_rejects_bad_parameters() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let p = IdwParams {
            k: 0,
            power: 2.0,
            radius: 1.0,
            min_points: 0,
        };
        let e = grid_idw(&[0.0], &[0.0], &[1.0], &spec, 0, 2, p).unwrap_err();
        assert_eq!(e.to_string(), "k must be >= 1, got 0");
        let p = IdwParams {
            k: 3,
            power: -1.0,
            radius: 1.0,
            min_points: 0,
        };
        assert!(grid_idw(&[0.0], &[0.0], &[1.0], &spec, 0, 2, p).is_err());
        let p = IdwParams {
            k: 3,
            power: 2.0,
            radius: 1.0,
            min_points: 4,
        };
        assert!(grid_idw(&[0.0], &[0.0], &[1.0], &spec, 0, 2, p).is_err());
    }
}

//! Linear interpolation on a Delaunay triangulation (scipy
//! `griddata(method="linear")`, GDAL `linear`).
//!
//! The points are triangulated with the `delaunator` crate (a port of Mapbox's
//! Delaunator, robust orientation predicates) in the plane
//! `x = lon · cos(lat_c)`, `y = lat`, where `lat_c` is the latitude of the
//! grid's centre row, so that triangles are close to Delaunay under the metric
//! of the [module docs](super) across the grid. Inside each triangle the value
//! is the barycentric combination of its three vertex values; nodes outside the
//! convex hull are NaN.
//!
//! Rasterisation iterates over triangles (in the triangulation's order) and
//! visits only the nodes of the requested band inside each triangle's bounding
//! box: O(n log n) for the triangulation plus O(nodes + triangles) for the
//! fill. A node lying on an edge shared by two triangles (barycentric
//! coordinates >= -1e-12) takes the value of the first triangle that contains
//! it, which is deterministic; both triangles agree along the edge up to
//! rounding anyway.
//!
//! Duplicate locations (equal `lon` and `lat`) keep the first point in input
//! order and ignore the later ones, as scipy/Qhull do. Fewer than three
//! distinct points, or all collinear, give an all-NaN grid.
//!
//! Linear interpolation is not local: every band must be computed from all
//! points (the triangulation, hence the result, depends on the whole set).

use delaunator::{triangulate, Point};

use super::{check_banded, cos_lat, GridError, GridSpec};

/// Tolerance on barycentric coordinates for "inside a triangle".
const INSIDE_EPS: f64 = 1e-12;

/// Linear values for rows `row0..row1` (row-major, south first).
///
/// ```
/// use gam_core::grid::{GridSpec, linear::grid_linear};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 0.5, 0.5, 3.0, 1.0]).unwrap();
/// let (lon, lat) = ([0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]);
/// let z: Vec<f64> = lon.iter().map(|x| 2.0 * x + 1.0).collect();
/// let v = grid_linear(&lon, &lat, &z, &spec, 0, 1).unwrap();
/// assert!((v[1] - 2.0).abs() < 1e-12);
/// assert!(v[2].is_finite() && (v[2] - 3.0).abs() < 1e-12);
/// ```
pub fn grid_linear(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    row0: u32,
    row1: u32,
) -> Result<Vec<f64>, GridError> {
    let (r0, r1) = check_banded(lon, lat, Some(z), spec, row0, row1)?;
    let nx = spec.nx;
    let keep = unique_first(lon, lat);
    if keep.len() < 3 {
        return Ok(vec![f64::NAN; (r1 - r0) * nx]);
    }
    let lat_c = spec.lat(0) + 0.5 * (spec.ny - 1) as f64 * spec.dy;
    let cosc = cos_lat(lat_c).abs().max(1e-6);
    let pts: Vec<Point> = keep
        .iter()
        .map(|&p| Point {
            x: lon[p as usize] * cosc,
            y: lat[p as usize],
        })
        .collect();
    let mut tri = triangulate(&pts);
    // Only the triangles are used: free the half-edges, then allocate the output (not while
    // the triangulation's own buffers were alive), which lowers the peak memory.
    drop(std::mem::take(&mut tri.halfedges));
    let mut out = vec![f64::NAN; (r1 - r0) * nx];
    let (j_lo, j_hi) = (r0 as isize, r1 as isize - 1);
    for (n, t) in tri.triangles.chunks_exact(3).enumerate() {
        if n % 4096 == 0 {
            crate::cancel::check()?;
        }
        let (a, b, c) = (t[0], t[1], t[2]);
        let (xa, ya, za) = (pts[a].x, pts[a].y, z[keep[a] as usize]);
        let (xb, yb, zb) = (pts[b].x, pts[b].y, z[keep[b] as usize]);
        let (xc, yc, zc) = (pts[c].x, pts[c].y, z[keep[c] as usize]);
        let det = (yb - yc) * (xa - xc) + (xc - xb) * (ya - yc);
        if det == 0.0 || !det.is_finite() {
            continue;
        }
        let inv = 1.0 / det;
        // bounding box in node indices, widened by one node against rounding
        let (lo_lon, hi_lon) = (
            lon[keep[a] as usize]
                .min(lon[keep[b] as usize])
                .min(lon[keep[c] as usize]),
            lon[keep[a] as usize]
                .max(lon[keep[b] as usize])
                .max(lon[keep[c] as usize]),
        );
        let (lo_lat, hi_lat) = (ya.min(yb).min(yc), ya.max(yb).max(yc));
        let i0 = (((lo_lon - spec.west) / spec.dx).floor() as isize).max(0);
        let i1 = (((hi_lon - spec.west) / spec.dx).ceil() as isize).min(nx as isize - 1);
        let j0 = (((lo_lat - spec.south) / spec.dy).floor() as isize).max(j_lo);
        let j1 = (((hi_lat - spec.south) / spec.dy).ceil() as isize).min(j_hi);
        if i0 > i1 || j0 > j1 {
            continue;
        }
        for j in j0..=j1 {
            let py = spec.lat(j as usize);
            let row = &mut out[(j as usize - r0) * nx..(j as usize - r0 + 1) * nx];
            for i in i0..=i1 {
                let v = &mut row[i as usize];
                if !v.is_nan() {
                    continue;
                }
                let px = spec.lon(i as usize) * cosc;
                let l1 = ((yb - yc) * (px - xc) + (xc - xb) * (py - yc)) * inv;
                let l2 = ((yc - ya) * (px - xc) + (xa - xc) * (py - yc)) * inv;
                let l3 = 1.0 - l1 - l2;
                if l1 >= -INSIDE_EPS && l2 >= -INSIDE_EPS && l3 >= -INSIDE_EPS {
                    *v = l1 * za + l2 * zb + l3 * zc;
                }
            }
        }
    }
    Ok(out)
}

/// Indices of the first point at each distinct `(lon, lat)`, ascending.
fn unique_first(lon: &[f64], lat: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..lon.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        lon[a]
            .total_cmp(&lon[b])
            .then(lat[a].total_cmp(&lat[b]))
            .then(a.cmp(&b))
    });
    let mut keep = Vec::with_capacity(order.len());
    let mut prev: Option<usize> = None;
    for &p in &order {
        let p = p as usize;
        // -0.0 and 0.0 are the same location
        if prev.is_none_or(|q| lon[q] != lon[p] || lat[q] != lat[p]) {
            keep.push(p as u32);
            prev = Some(p);
        }
    }
    keep.sort_unstable();
    keep
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{points, Rng};
    use super::*;
    use crate::test_bits::same_bits;

    #[test]
    fn reproduces_a_plane_and_is_nan_outside_the_hull() {
        let (lon, lat, _) = points(41, 400, [30.0, 50.0, 31.0, 51.0]);
        let plane = |x: f64, y: f64| 3.0 * x - 2.0 * y + 7.0;
        let z: Vec<f64> = lon.iter().zip(&lat).map(|(&x, &y)| plane(x, y)).collect();
        let spec = GridSpec::from_slice(&[29.9, 49.9, 0.02, 0.02, 61.0, 61.0]).unwrap();
        let v = grid_linear(&lon, &lat, &z, &spec, 0, 61).unwrap();
        let mut inside = 0;
        for j in 0..61 {
            for i in 0..61 {
                let (x, y) = (spec.lon(i), spec.lat(j));
                let g = v[j * 61 + i];
                if !(30.0..=31.0).contains(&x) || !(50.0..=51.0).contains(&y) {
                    assert!(g.is_nan(), "outside the data box at {i},{j}");
                } else if g.is_finite() {
                    inside += 1;
                    assert!((g - plane(x, y)).abs() < 1e-9, "{g} vs {}", plane(x, y));
                }
            }
        }
        assert!(inside > 2000, "{inside}");
    }

    #[test]
    fn reproduces_samples_on_nodes_and_bands_match() {
        // samples on nodes of a coarse lattice plus random ones, duplicates first-wins
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.1, 0.1, 11.0, 11.0]).unwrap();
        let mut rng = Rng(5);
        let (mut lon, mut lat, mut z) = (vec![], vec![], vec![]);
        for j in 0..11 {
            for i in 0..11 {
                if (i + j) % 3 == 0 || i == 0 || j == 0 || i == 10 || j == 10 {
                    lon.push(spec.lon(i));
                    lat.push(spec.lat(j));
                    z.push(rng.uniform(-5.0, 5.0));
                }
            }
        }
        lon.push(lon[5]);
        lat.push(lat[5]);
        z.push(1e6);
        let v = grid_linear(&lon, &lat, &z, &spec, 0, 11).unwrap();
        for p in 0..lon.len() - 1 {
            let i = ((lon[p] - spec.west) / spec.dx).round() as usize;
            let j = ((lat[p] - spec.south) / spec.dy).round() as usize;
            assert!((v[j * 11 + i] - z[p]).abs() < 1e-9, "sample {p}");
        }
        let band = grid_linear(&lon, &lat, &z, &spec, 3, 7).unwrap();
        assert!(same_bits(band.iter(), &v[33..77]));
    }

    #[test]
    fn too_few_or_collinear_points_give_nan() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 3.0]).unwrap();
        let v = grid_linear(&[0.0, 1.0, 2.0], &[0.0, 1.0, 2.0], &[1.0; 3], &spec, 0, 3).unwrap();
        assert!(v.iter().all(|x| x.is_nan()));
        let v = grid_linear(&[0.0, 0.0, 2.0], &[0.0, 0.0, 2.0], &[1.0; 3], &spec, 0, 3).unwrap();
        assert!(v.iter().all(|x| x.is_nan()));
    }

    #[test]
    fn rms_within_ten_percent_of_scipy_griddata_linear() {
        use super::super::test_util::{interp_refs, rms};
        let f = interp_refs("scipy_linear");
        let v = grid_linear(&f.lon, &f.lat, &f.z, &f.spec, 0, f.spec.ny as u32).unwrap();
        let (ours, n) = rms(&v, &f.truth);
        let (theirs, m) = rms(&f.reference, &f.truth);
        // same hull: the NaN masks agree except possibly on hull edges
        assert!(n.abs_diff(m) <= 3, "{n} vs {m} nodes");
        assert!(ours <= 1.1 * theirs, "rms {ours} vs scipy {theirs}");
        assert!(ours < 2.0, "rms {ours}");
    }
}

//! Gridding entry points for the worker pool (see [`crate::grid`]).
//!
//! Every function takes flat `Float64Array`s (`lon`, `lat`, `value`, ...) and the
//! grid spec `[west, south, dx, dy, nx, ny]`, and returns a `Float64Array` of
//! `(row1 - row0) * nx` values (row-major, south first, NaN for no support),
//! or throws a JS `Error` whose message is the [`crate::grid::GridError`] text naming
//! the parameter ([`super::BoundaryError`]).

use wasm_bindgen::prelude::*;

use crate::arrays::into_row_major;

use crate::grid::block::grid_block as block_kernel;
use crate::grid::distance::distance_to_nearest as distance_kernel;
use crate::grid::idw::{grid_idw as idw_kernel, IdwParams};
use crate::grid::linear::grid_linear as linear_kernel;
use crate::grid::mincurv::{grid_mincurv_owned as mincurv_kernel, MincurvParams};
use crate::grid::nearest::grid_nearest as nearest_kernel;
use crate::grid::GridSpec;

use super::Exported;

/// Block mean (`median = false`, optionally weighted: `weight` empty for
/// none) or block median of rows `row0..row1`: with `statistics`, three
/// planes concatenated, `[value | spread | count]`, each `(row1 - row0) * nx`
/// long (spread is the standard deviation (mean) or L1 scale (median) as GMT
/// `-E` reports them); without, the value plane alone.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn grid_block(
    lon: &[f64],
    lat: &[f64],
    value: &[f64],
    weight: &[f64],
    spec: &[f64],
    row0: u32,
    row1: u32,
    median: bool,
    statistics: bool,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let b = block_kernel(
        lon, lat, value, weight, &spec, row0, row1, median, statistics,
    )?;
    if !statistics {
        return Ok(b.value.into_boxed_slice());
    }
    let mut out = Vec::with_capacity(3 * b.value.len());
    out.extend_from_slice(&b.value);
    out.extend_from_slice(&b.spread);
    out.extend_from_slice(&b.count);
    Ok(out.into_boxed_slice())
}

/// Nearest neighbour within `radius` degrees (`Infinity` = unlimited).
#[wasm_bindgen]
pub fn grid_nearest(
    lon: &[f64],
    lat: &[f64],
    value: &[f64],
    spec: &[f64],
    row0: u32,
    row1: u32,
    radius: f64,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let v = nearest_kernel(lon, lat, value, &spec, row0, row1, radius)?;
    Ok(v.into_boxed_slice())
}

/// Inverse distance weighting over the `k` nearest points within `radius`
/// degrees, weights `1 / d^power`, NaN with fewer than `min_points`.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn grid_idw(
    lon: &[f64],
    lat: &[f64],
    value: &[f64],
    spec: &[f64],
    row0: u32,
    row1: u32,
    k: u32,
    power: f64,
    radius: f64,
    min_points: u32,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let params = IdwParams {
        k,
        power,
        radius,
        min_points,
    };
    let v = idw_kernel(lon, lat, value, &spec, row0, row1, params)?;
    Ok(v.into_boxed_slice())
}

/// Linear interpolation on the Delaunay triangulation of all points, NaN
/// outside the convex hull. Pass all points for every band (not local).
#[wasm_bindgen]
pub fn grid_linear(
    lon: &[f64],
    lat: &[f64],
    value: &[f64],
    spec: &[f64],
    row0: u32,
    row1: u32,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let v = linear_kernel(lon, lat, value, &spec, row0, row1)?;
    Ok(v.into_boxed_slice())
}

/// Minimum curvature with tension (GMT `surface`) on the full grid;
/// `convergence <= 0` selects the automatic limit. The points are taken by value and freed
/// after the block median, before the grid levels are allocated.
#[wasm_bindgen]
pub fn grid_mincurv(
    lon: Vec<f64>,
    lat: Vec<f64>,
    value: Vec<f64>,
    spec: &[f64],
    tension: f64,
    convergence: f64,
    max_iterations: u32,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let params = MincurvParams {
        tension,
        convergence,
        max_iterations,
    };
    let v = mincurv_kernel(lon, lat, value, &spec, params)?;
    Ok(into_row_major(v).into_boxed_slice())
}

/// Distance (degrees) from each node of rows `row0..row1` to the nearest point.
#[wasm_bindgen]
pub fn distance_to_nearest(
    lon: &[f64],
    lat: &[f64],
    spec: &[f64],
    row0: u32,
    row1: u32,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let v = distance_kernel(lon, lat, &spec, row0, row1)?;
    Ok(v.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_planes_are_concatenated() {
        let spec = [0.0, 0.0, 1.0, 1.0, 2.0, 1.0];
        let v = grid_block(
            &[0.0, 0.1],
            &[0.0, 0.0],
            &[1.0, 3.0],
            &[],
            &spec,
            0,
            1,
            false,
            true,
        )
        .unwrap();
        assert_eq!(v.len(), 6);
        assert_eq!((v[0], v[4]), (2.0, 2.0));
        assert!(v[1].is_nan() && v[3].is_nan() && v[5].is_nan());
        let values = grid_block(
            &[0.0, 0.1],
            &[0.0, 0.0],
            &[1.0, 3.0],
            &[],
            &spec,
            0,
            1,
            false,
            false,
        )
        .unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].to_bits(), v[0].to_bits());
        assert!(values[1].is_nan());
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = grid_nearest(
            &[0.0],
            &[0.0],
            &[1.0],
            &[0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
            0,
            1,
            1.0,
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "spec: nx must be an integer >= 1, got 0"
        );
        let e = grid_idw(
            &[0.0],
            &[0.0],
            &[1.0],
            &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
            0,
            3,
            1,
            2.0,
            1.0,
            0,
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("row0..row1 must lie within 0..ny"));
        let e = distance_to_nearest(&[0.0; 10], &[0.0; 9], &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], 0, 1);
        assert_eq!(
            e.unwrap_err().to_string(),
            "lon and lat must have equal lengths (got 10 and 9)"
        );
    }
}

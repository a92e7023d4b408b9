//! Outlier, filter, spectral and QC entry points for the worker pool (issue 4).
//!
//! Typed arrays in, boxed slices out; grids are row-major `[lat][lon]` (row 0 south) with
//! NaN as nodata and their size passed as `nx`, `ny`. Each function views its grids as
//! `ny × nx` `ndarray` views ([`crate::arrays::view2`], no copy; a length that is not
//! `nx * ny` is the kernel's shape error), and returns the kernel's `Array2` as its
//! row-major buffer ([`crate::arrays::into_row_major`], no copy). Errors throw a JS `Error` whose
//! message is the kernel error's text naming the parameter. The `*_impl` twins hold the
//! logic (and return the message as `String`) so that native `cargo test` covers them; the
//! `#[wasm_bindgen]` functions only map the error.
//!
//! Banded functions (`gaussian_filter`, `median_filter`) return rows `row0..row1` of the
//! grid they are given; pass a band plus a halo of `floor(4·sigma_y + 0.5)` rows (Gaussian)
//! or `size / 2` rows (median) and shift `row0`/`row1`: the result is bit-identical to
//! filtering the whole grid. `fft_filter` works on the whole grid.

use ndarray::{Array2, ArrayView2};
use wasm_bindgen::prelude::*;

use crate::arrays::{into_row_major, view2, view2_mut};
use crate::filters::{
    gaussian::gaussian_filter as gaussian_kernel, median::median_filter as median_kernel,
    FilterError,
};
use crate::grid::GridSpec;
use crate::outliers::{
    hampel::hampel as hampel_kernel, iqr::iqr_mask, mad::mad_mask, zscore::zscore_mask,
};
use crate::qc::{
    anomalies::{find_anomalies_in_place, Regional},
    completeness::completeness,
    grid_view,
    seams::find_seams,
};
use crate::spectral::{
    apply::{fft_filter as fft_kernel, fft_filter_in_place},
    transfer::Op,
    SpectralError,
};

fn js<T>(r: Result<T, String>) -> Result<T, JsError> {
    r.map_err(|e| JsError::new(&e))
}

fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Outlier mask by global z-score: `1` where `|x - mean|/std > threshold`; NaN gets `0`
/// at its own index.
#[wasm_bindgen]
pub fn outliers_zscore(values: &[f64], threshold: f64) -> Result<Box<[u8]>, JsError> {
    js(zscore_mask(values, threshold)
        .map(Vec::into_boxed_slice)
        .map_err(msg))
}

/// Outlier mask by Tukey fences `q1 - threshold·IQR`, `q3 + threshold·IQR` (numpy linear
/// quantiles; 1.5 is Tukey's classic multiplier).
#[wasm_bindgen]
pub fn outliers_iqr(values: &[f64], threshold: f64) -> Result<Box<[u8]>, JsError> {
    js(iqr_mask(values, threshold)
        .map(Vec::into_boxed_slice)
        .map_err(msg))
}

/// Outlier mask by robust z-score `|x - median|/(1.4826·MAD) > threshold`.
#[wasm_bindgen]
pub fn outliers_mad(values: &[f64], threshold: f64) -> Result<Box<[u8]>, JsError> {
    js(mad_mask(values, threshold)
        .map(Vec::into_boxed_slice)
        .map_err(msg))
}

/// Logic of [`hampel`].
pub fn hampel_impl(
    values: &[f64],
    line_ids: &[f64],
    half_window: u32,
    threshold: f64,
) -> Result<Vec<f64>, String> {
    let r = hampel_kernel(values, line_ids, half_window as usize, threshold).map_err(msg)?;
    let mut out: Vec<f64> = r.mask.iter().map(|&m| f64::from(m)).collect();
    out.extend_from_slice(&r.medians);
    Ok(out)
}

/// Hampel filter along flight lines: returns `2n` values, `[mask (0/1) | window medians]`
/// (`n = values.length`; a median is NaN when its window has no valid value).
#[wasm_bindgen]
pub fn hampel(
    values: &[f64],
    line_ids: &[f64],
    half_window: u32,
    threshold: f64,
) -> Result<Box<[f64]>, JsError> {
    js(hampel_impl(values, line_ids, half_window, threshold).map(Vec::into_boxed_slice))
}

/// The `ny × nx` view of a filter's `grid`, or the filters' shape error.
fn filter_grid(grid: &[f64], nx: u32, ny: u32) -> Result<ArrayView2<'_, f64>, FilterError> {
    view2(grid, nx as usize, ny as usize).ok_or(FilterError::BadShape {
        nx: nx as usize,
        ny: ny as usize,
        len: grid.len(),
    })
}

/// Writes a filter's `rows × nx` result over the start of `grid` (see
/// [`gaussian_filter_into`]). A kernel's result is in standard layout: then one slice copy
/// (wasm's bulk `memory.copy`) instead of an element loop.
fn write_band(grid: &mut [f64], out: &Array2<f64>) {
    let (rows, nx) = out.dim();
    let dst = &mut grid[..rows * nx];
    match out.as_slice() {
        Some(src) => dst.copy_from_slice(src),
        None => view2_mut(dst, nx, rows)
            .expect("rows * nx values")
            .assign(out),
    }
}

/// Logic of [`gaussian_filter`].
#[allow(clippy::too_many_arguments)]
pub fn gaussian_filter_impl(
    grid: &[f64],
    nx: u32,
    ny: u32,
    sigma_x: f64,
    sigma_y: f64,
    row0: u32,
    row1: u32,
) -> Result<Array2<f64>, String> {
    let grid = filter_grid(grid, nx, ny).map_err(msg)?;
    gaussian_kernel(grid, sigma_x, sigma_y, row0 as usize, row1 as usize).map_err(msg)
}

/// NaN-aware Gaussian smoothing (sigmas in cells) of rows `row0..row1`:
/// `(row1 - row0) * nx` values.
#[wasm_bindgen]
pub fn gaussian_filter(
    grid: &[f64],
    nx: u32,
    ny: u32,
    sigma_x: f64,
    sigma_y: f64,
    row0: u32,
    row1: u32,
) -> Result<Box<[f64]>, JsError> {
    js(
        gaussian_filter_impl(grid, nx, ny, sigma_x, sigma_y, row0, row1)
            .map(|a| into_row_major(a).into_boxed_slice()),
    )
}

/// Logic of [`median_filter`].
pub fn median_filter_impl(
    grid: &[f64],
    nx: u32,
    ny: u32,
    size: u32,
    circular: bool,
    row0: u32,
    row1: u32,
) -> Result<Array2<f64>, String> {
    let grid = filter_grid(grid, nx, ny).map_err(msg)?;
    median_kernel(grid, size as usize, circular, row0 as usize, row1 as usize).map_err(msg)
}

/// NaN-ignoring median filter (odd `size`, square or circular footprint) of rows
/// `row0..row1`: `(row1 - row0) * nx` values.
#[wasm_bindgen]
pub fn median_filter(
    grid: &[f64],
    nx: u32,
    ny: u32,
    size: u32,
    circular: bool,
    row0: u32,
    row1: u32,
) -> Result<Box<[f64]>, JsError> {
    js(median_filter_impl(grid, nx, ny, size, circular, row0, row1)
        .map(|a| into_row_major(a).into_boxed_slice()))
}

/// [`gaussian_filter`] that writes its `(row1 - row0) * nx` values over the start of `grid`
/// and returns `same`, which must be the very `Float64Array` passed as `grid` (see
/// [`fft_filter_into`]: no fresh result array per call).
#[wasm_bindgen(unchecked_return_type = "Float64Array")]
#[allow(clippy::too_many_arguments)]
pub fn gaussian_filter_into(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    sigma_x: f64,
    sigma_y: f64,
    row0: u32,
    row1: u32,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
) -> Result<JsValue, JsError> {
    let out = js(gaussian_filter_impl(
        grid, nx, ny, sigma_x, sigma_y, row0, row1,
    ))?;
    write_band(grid, &out);
    Ok(same)
}

/// [`median_filter`] that writes its `(row1 - row0) * nx` values over the start of `grid`
/// and returns `same`, which must be the very `Float64Array` passed as `grid`.
#[wasm_bindgen(unchecked_return_type = "Float64Array")]
#[allow(clippy::too_many_arguments)]
pub fn median_filter_into(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    size: u32,
    circular: bool,
    row0: u32,
    row1: u32,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
) -> Result<JsValue, JsError> {
    let out = js(median_filter_impl(grid, nx, ny, size, circular, row0, row1))?;
    write_band(grid, &out);
    Ok(same)
}

/// Logic of [`fft_filter`].
pub fn fft_filter_impl(
    grid: &[f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
) -> Result<Array2<f64>, String> {
    let op = Op::parse(op, params).map_err(msg)?;
    let (nx, ny) = (nx as usize, ny as usize);
    let grid = view2(grid, nx, ny)
        .ok_or(SpectralError::BadShape {
            nx,
            ny,
            len: grid.len(),
        })
        .map_err(msg)?;
    fft_kernel(grid, dx_km, dy_km, &op).map_err(msg)
}

/// Spectral operator on the whole grid (cell sizes in km); returns `nx * ny` values.
/// `op` and `params`:
/// - `bandpass-gaussian` `[high_km, low_km]` (long-wavelength limit first, GMT's order;
///   weight ½ at each; 0 disables a side),
/// - `bandpass-butterworth` `[high_km, low_km, order]`,
/// - `bandpass-cosine` `[high_km, low_km]` or `[lc_km, lp_km, hp_km, hc_km]`,
/// - `upward` `[height_m]`,
/// - `vertical-derivative`, `derivative-x`, `derivative-y` (per km), `total-gradient`,
///   `tilt` (radians): `[]`,
/// - `rtp` `[inclination_deg, declination_deg]` or with `min_inclination_deg` (default 20).
#[wasm_bindgen]
pub fn fft_filter(
    grid: &[f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
) -> Result<Box<[f64]>, JsError> {
    js(fft_filter_impl(grid, nx, ny, dx_km, dy_km, op, params)
        .map(|a| into_row_major(a).into_boxed_slice()))
}

/// [`fft_filter`] that writes the result over `grid` and returns `same`, which must be the
/// very `Float64Array` passed as `grid` (`nx * ny` values). The result lands in memory the
/// caller already owns (wasm-bindgen copies a `&mut` slice back into the JS array) instead
/// of a freshly allocated array: on a 4096 × 4096 grid that saves faulting in 128 MB per
/// call. The worker pool passes the array twice and gets it back transferred.
#[wasm_bindgen(unchecked_return_type = "Float64Array")]
#[allow(clippy::too_many_arguments)]
pub fn fft_filter_into(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
) -> Result<JsValue, JsError> {
    js(fft_filter_into_impl(grid, nx, ny, dx_km, dy_km, op, params))?;
    Ok(same)
}

/// Logic of [`fft_filter_into`]: [`fft_filter_impl`]'s result written over `grid`, computed
/// in place (`spectral::apply::fft_filter_in_place`: no second grid-sized array).
pub fn fft_filter_into_impl(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
) -> Result<(), String> {
    let op = Op::parse(op, params).map_err(msg)?;
    let (nx, ny) = (nx as usize, ny as usize);
    let len = grid.len();
    let grid = view2_mut(grid, nx, ny)
        .ok_or(SpectralError::BadShape { nx, ny, len })
        .map_err(msg)?;
    fft_filter_in_place(grid, dx_km, dy_km, &op).map_err(msg)
}

/// Logic of [`qc_completeness`].
pub fn qc_completeness_impl(
    lon: &[f64],
    lat: &[f64],
    spec: &[f64],
    max_distance: f64,
) -> Result<Vec<f64>, String> {
    let spec = GridSpec::from_slice(spec).map_err(msg)?;
    let c = completeness(lon, lat, &spec, max_distance).map_err(msg)?;
    let mut out = Vec::with_capacity(1 + c.distance.len());
    out.push(c.fraction);
    out.extend(into_row_major(c.distance));
    Ok(out)
}

/// Completeness of points on the grid `spec = [west, south, dx, dy, nx, ny]`: returns
/// `1 + nx*ny` values, `[fraction within max_distance (degrees) | distance grid]`.
#[wasm_bindgen]
pub fn qc_completeness(
    lon: &[f64],
    lat: &[f64],
    spec: &[f64],
    max_distance: f64,
) -> Result<Box<[f64]>, JsError> {
    js(qc_completeness_impl(lon, lat, spec, max_distance).map(Vec::into_boxed_slice))
}

/// Logic of [`qc_seams`].
pub fn qc_seams_impl(
    values: &[f64],
    survey: &[f64],
    nx: u32,
    ny: u32,
    offset_threshold: f64,
    gradient_threshold: f64,
) -> Result<Vec<f64>, String> {
    let (nx, ny) = (nx as usize, ny as usize);
    let values = grid_view("values", values, nx, ny).map_err(msg)?;
    let survey = grid_view("survey", survey, nx, ny).map_err(msg)?;
    let s = find_seams(values, survey, offset_threshold, gradient_threshold).map_err(msg)?;
    Ok(s.iter().flat_map(|x| x.to_record()).collect())
}

/// Seams between surveys (`survey` id per cell, NaN = none): 7 numbers per seam,
/// `[id_a, id_b, pairs, offset (b - a), offset_spread, gradient_jump, flagged 0/1]`.
#[wasm_bindgen]
pub fn qc_seams(
    values: &[f64],
    survey: &[f64],
    nx: u32,
    ny: u32,
    offset_threshold: f64,
    gradient_threshold: f64,
) -> Result<Box<[f64]>, JsError> {
    js(
        qc_seams_impl(values, survey, nx, ny, offset_threshold, gradient_threshold)
            .map(Vec::into_boxed_slice),
    )
}

/// Logic of [`qc_anomalies`].
pub fn qc_anomalies_impl(
    mut values: Vec<f64>,
    spec: &[f64],
    regional: &str,
    regional_param: f64,
    z_threshold: f64,
    min_cells: u32,
) -> Result<Vec<f64>, String> {
    let spec = GridSpec::from_slice(spec).map_err(msg)?;
    let regional = match regional {
        "lowpass" => Regional::Gaussian(regional_param),
        "polynomial" if regional_param == 1.0 || regional_param == 2.0 => {
            Regional::Polynomial(regional_param as u32)
        }
        "polynomial" => {
            return Err(format!(
                "Parameter `regional_param` must be the polynomial order 1 or 2, received {regional_param}"
            ))
        }
        other => {
            return Err(format!(
                "Parameter `regional` must be \"lowpass\" or \"polynomial\", received \"{other}\""
            ))
        }
    };
    grid_view("values", &values, spec.nx, spec.ny).map_err(msg)?;
    // The kernel's own copy of the values (wasm-bindgen's), worked over: no more grids.
    let a = find_anomalies_in_place(
        &mut values,
        &spec,
        regional,
        z_threshold,
        min_cells as usize,
    )
    .map_err(msg)?;
    Ok(a.iter().flat_map(|x| x.to_record()).collect())
}

/// Anomalies of `values` on `spec = [west, south, dx, dy, nx, ny]`; `regional` is
/// `"lowpass"` (a plane plus a NaN-aware Gaussian, `regional_param` = sigma in cells) or
/// `"polynomial"` (`regional_param` = order 1 or 2); cells whose robust z-score exceeds
/// `z_threshold` form the anomalies.
/// 8 numbers per anomaly, by decreasing confidence:
/// `[lon, lat, peak_residual, peak_z, cells, area_km2, confidence, peak_index]`.
#[wasm_bindgen]
pub fn qc_anomalies(
    values: Vec<f64>,
    spec: &[f64],
    regional: &str,
    regional_param: f64,
    z_threshold: f64,
    min_cells: u32,
) -> Result<Box<[f64]>, JsError> {
    js(qc_anomalies_impl(
        values,
        spec,
        regional,
        regional_param,
        z_threshold,
        min_cells,
    )
    .map(Vec::into_boxed_slice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hampel_impl_concatenates_mask_and_medians() {
        let v = [1.0, 1.1, 0.9, 9.0, 1.0, 1.2, 0.8];
        let out = hampel_impl(&v, &[3.0; 7], 2, 3.0).unwrap();
        assert_eq!(out.len(), 14);
        assert_eq!(&out[..7], &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(out[7 + 3], 1.1); // median of 1.1, 0.9, 9.0, 1.0, 1.2
    }

    #[test]
    fn grid_impls_view_the_slices_and_name_a_bad_length() {
        let g: Vec<f64> = (0..12).map(f64::from).collect();
        let out = median_filter_impl(&g, 4, 3, 3, false, 1, 2).unwrap();
        assert_eq!(out.dim(), (1, 4));
        assert_eq!(out[[0, 1]], 5.0); // median of rows 0..3, columns 0..3
        let e = gaussian_filter_impl(&g, 5, 3, 1.0, 1.0, 0, 3).unwrap_err();
        assert!(e.contains("`grid`") && e.contains("received 12"), "{e}");
        let e = fft_filter_impl(&g, 5, 3, 1.0, 1.0, "tilt", &[]).unwrap_err();
        assert!(e.contains("`grid`") && e.contains("received 12"), "{e}");
        let e = qc_seams_impl(&g, &g[..11], 4, 3, 1.0, 1.0).unwrap_err();
        assert!(e.contains("`survey`") && e.contains("received 11"), "{e}");
    }

    #[test]
    fn fft_filter_into_impl_equals_fft_filter_impl_bit_for_bit() {
        let (nx, ny) = (23u32, 19u32);
        let mut g: Vec<f64> = (0..nx * ny)
            .map(|k| ((k % nx) as f64 * 0.3).sin() * 2.0 + (k / nx) as f64 * 0.05)
            .collect();
        g[40] = f64::NAN;
        for (op, params) in [("bandpass-gaussian", vec![20.0, 3.0]), ("tilt", vec![])] {
            let want = fft_filter_impl(&g, nx, ny, 1.0, 1.5, op, &params).unwrap();
            let mut got = g.clone();
            fft_filter_into_impl(&mut got, nx, ny, 1.0, 1.5, op, &params).unwrap();
            for (a, b) in got.iter().zip(want.iter()) {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{op}"
                );
            }
        }
    }

    #[test]
    fn fft_filter_impl_names_the_bad_op() {
        let e = fft_filter_impl(&[0.0; 16], 4, 4, 1.0, 1.0, "blur", &[]).unwrap_err();
        assert!(e.contains("`op`") && e.contains("blur"));
    }

    #[test]
    fn qc_impls_return_flat_records_and_name_bad_parameters() {
        let s = qc_seams_impl(
            &[1.0, 2.0, 13.0, 14.0],
            &[1.0, 1.0, 2.0, 2.0],
            4,
            1,
            5.0,
            1.0,
        )
        .unwrap();
        assert_eq!(s.len(), 7);
        let e = qc_anomalies_impl(
            vec![0.0; 4],
            &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
            "spline",
            1.0,
            3.0,
            1,
        )
        .unwrap_err();
        assert!(e.contains("`regional`"));
        let c = qc_completeness_impl(&[0.0], &[0.0], &[0.0, 0.0, 1.0, 1.0, 4.0, 1.0], 1.5).unwrap();
        assert_eq!(c, vec![0.5, 0.0, 1.0, 2.0, 3.0]);
    }
}

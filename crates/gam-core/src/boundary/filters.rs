//! Outlier, filter, spectral and QC entry points for the worker pool (issue 4).
//!
//! Typed arrays in, boxed slices out; grids are row-major `[lat][lon]` (row 0 south) with
//! NaN as nodata and their size passed as `nx`, `ny`. Each function views its grids as
//! `ny × nx` `ndarray` views ([`crate::arrays::view2`], no copy; a length that is not
//! `nx * ny` is the kernel's shape error), and returns the kernel's `Array2` as its
//! row-major buffer ([`crate::arrays::into_row_major`], no copy). Errors are the kernel error's text naming the
//! parameter, thrown as a JS `Error` ([`super::BoundaryError`]). The `*_into` exports are the plain
//! ones writing their result over their input.
//!
//! Banded functions (`gaussian_filter`, `median_filter`) return rows `row0..row1` of the
//! grid they are given; pass a band plus a halo of `floor(4·sigma_y + 0.5)` rows (Gaussian)
//! or `size / 2` rows (median) and shift `row0`/`row1`: the result is bit-identical to
//! filtering the whole grid. `fft_filter` works on the whole grid.

use ndarray::{ArrayView2, ArrayViewMut2};
use wasm_bindgen::prelude::*;

use super::{BoundaryError, Exported};
use crate::arrays::{into_row_major, view2, view2_mut};
use crate::block_statistics::block_summaries;
use crate::filters::{
    gaussian::gaussian_filter as gaussian_kernel, median::median_filter as median_kernel,
    FilterError,
};
use crate::grid::GridSpec;
use crate::outliers::{
    hampel::hampel as hampel_kernel, iqr::iqr_mask, mad::mad_mask, zscore::zscore_mask,
};
use crate::qc::{
    anomalies::{find_anomalies_of, Regional},
    completeness::completeness,
    grid_view,
    seams::find_seams,
    GridValue, QcError,
};
use crate::spectral::{
    apply::{fft_filter as fft_kernel, fft_filter_in_place},
    fill::FillEnd,
    transfer::Op,
    SpectralError,
};

/// Outlier mask by global z-score: `1` where `|x - mean|/std > threshold`; NaN gets `0`
/// at its own index.
#[wasm_bindgen]
pub fn outliers_zscore(values: &[f64], threshold: f64) -> Exported<Box<[u8]>> {
    Ok(zscore_mask(values, threshold)?.into_boxed_slice())
}

/// Outlier mask by Tukey fences `q1 - threshold·IQR`, `q3 + threshold·IQR` (numpy linear
/// quantiles; 1.5 is Tukey's classic multiplier).
#[wasm_bindgen]
pub fn outliers_iqr(values: &[f64], threshold: f64) -> Exported<Box<[u8]>> {
    Ok(iqr_mask(values, threshold)?.into_boxed_slice())
}

/// Outlier mask by robust z-score `|x - median|/(1.4826·MAD) > threshold`.
#[wasm_bindgen]
pub fn outliers_mad(values: &[f64], threshold: f64) -> Exported<Box<[u8]>> {
    Ok(mad_mask(values, threshold)?.into_boxed_slice())
}

/// Hampel filter along flight lines: returns `2n` values, `[mask (0/1) | window medians]`
/// (`n = values.length`; a median is NaN when its window has no valid value).
#[wasm_bindgen]
pub fn hampel(
    values: &[f64],
    line_ids: &[f64],
    half_window: u32,
    threshold: f64,
) -> Exported<Box<[f64]>> {
    let r = hampel_kernel(values, line_ids, half_window as usize, threshold)?;
    let mut out: Vec<f64> = r.mask.iter().map(|&m| f64::from(m)).collect();
    out.extend_from_slice(&r.medians);
    Ok(out.into_boxed_slice())
}

/// Summaries of the whole blocks of `values`, whose first value sits at `position` in the
/// whole sequence (an integer >= 0): 6 numbers per block, `[valid count, shift, Σ(v-K),
/// Σ(v-K)², min, max]` (see [`crate::block_statistics`]).
#[wasm_bindgen]
pub fn block_statistics(values: &[f64], position: f64) -> Exported<Box<[f64]>> {
    Ok(block_summaries(values, check_position(position)?).into_boxed_slice())
}

/// `position` as an index, or the boundary's error naming it.
fn check_position(position: f64) -> Result<usize, BoundaryError> {
    if position >= 0.0 && position.fract() == 0.0 && position <= 2f64.powi(52) {
        Ok(position as usize)
    } else {
        Err(BoundaryError::new(format!(
            "position: expected an integer >= 0 (the index of the first value in the whole \
             grid), received {position}"
        )))
    }
}

/// A kernel's result written over its input array (`values`, the very `Float64Array` passed
/// as the grid), with the statistics blocks ([`crate::block_statistics`]) of the input's and
/// the result's cells, taken while both are in this instance's memory: the pipeline's
/// statistics before and after a stage without another pass or copy. The worker turns it into
/// a plain object `{ input, output, values }`.
#[wasm_bindgen]
pub struct Measured {
    input: Box<[f64]>,
    output: Box<[f64]>,
    values: JsValue,
}

#[wasm_bindgen]
impl Measured {
    /// Block summaries of the input's cells (empty when not asked for).
    #[wasm_bindgen(getter)]
    pub fn input(&self) -> Box<[f64]> {
        self.input.clone()
    }

    /// Block summaries of the result's cells.
    #[wasm_bindgen(getter)]
    pub fn output(&self) -> Box<[f64]> {
        self.output.clone()
    }

    /// The result: the array passed as the grid.
    #[wasm_bindgen(getter, unchecked_return_type = "Float64Array")]
    pub fn values(&self) -> JsValue {
        self.values.clone()
    }
}

/// [`gaussian_filter_into`] that also summarises, in statistics blocks, the band's own rows
/// before (`input`) and after (`output`) filtering; `position` is the index of the band's
/// first cell (`row0` of the band) in the whole grid.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn gaussian_filter_measured(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    sigma_x: f64,
    sigma_y: f64,
    row0: u32,
    row1: u32,
    position: f64,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
) -> Exported<Measured> {
    let position = check_position(position)?;
    let out = gaussian_filter(grid, nx, ny, sigma_x, sigma_y, row0, row1)?;
    Ok(measured_band(grid, nx, row0, &out, position, same))
}

/// [`median_filter_into`] with the band's statistics blocks, as
/// [`gaussian_filter_measured`].
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn median_filter_measured(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    size: u32,
    circular: bool,
    row0: u32,
    row1: u32,
    position: f64,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
) -> Exported<Measured> {
    let position = check_position(position)?;
    let out = median_filter(grid, nx, ny, size, circular, row0, row1)?;
    Ok(measured_band(grid, nx, row0, &out, position, same))
}

/// Summarises the band's own input rows (from `row0`, as many cells as `out`), writes `out`
/// over the start of `grid` and summarises it.
fn measured_band(
    grid: &mut [f64],
    nx: u32,
    row0: u32,
    out: &[f64],
    position: usize,
    same: JsValue,
) -> Measured {
    let own = row0 as usize * nx as usize;
    let input = block_summaries(&grid[own..own + out.len()], position).into_boxed_slice();
    let output = block_summaries(out, position).into_boxed_slice();
    let values = write_band(grid, out, same);
    Measured {
        input,
        output,
        values,
    }
}

/// The `ny × nx` view of a filter's `grid`, or the filters' shape error.
fn filter_grid(grid: &[f64], nx: u32, ny: u32) -> Result<ArrayView2<'_, f64>, FilterError> {
    view2(grid, nx as usize, ny as usize).ok_or(FilterError::BadShape {
        nx: nx as usize,
        ny: ny as usize,
        len: grid.len(),
    })
}

/// Writes a filter's row-major result over the start of `grid` (one slice copy, wasm's bulk
/// `memory.copy`) and returns `same` (see [`gaussian_filter_into`]).
fn write_band(grid: &mut [f64], out: &[f64], same: JsValue) -> JsValue {
    grid[..out.len()].copy_from_slice(out);
    same
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
) -> Exported<Box<[f64]>> {
    let grid = filter_grid(grid, nx, ny)?;
    let out = gaussian_kernel(grid, sigma_x, sigma_y, row0 as usize, row1 as usize)?;
    Ok(into_row_major(out).into_boxed_slice())
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
) -> Exported<Box<[f64]>> {
    let grid = filter_grid(grid, nx, ny)?;
    let out = median_kernel(grid, size as usize, circular, row0 as usize, row1 as usize)?;
    Ok(into_row_major(out).into_boxed_slice())
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
) -> Exported<JsValue> {
    let out = gaussian_filter(grid, nx, ny, sigma_x, sigma_y, row0, row1)?;
    Ok(write_band(grid, &out, same))
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
) -> Exported<JsValue> {
    let out = median_filter(grid, nx, ny, size, circular, row0, row1)?;
    Ok(write_band(grid, &out, same))
}

/// The `ny × nx` view of a spectral `grid` (whole grid, `nx * ny` values), or the spectral
/// shape error; [`spectral_grid`]'s twin for [`fft_filter`].
fn spectral_grid(grid: &[f64], nx: u32, ny: u32) -> Result<ArrayView2<'_, f64>, SpectralError> {
    let (nx, ny) = (nx as usize, ny as usize);
    let len = grid.len();
    view2(grid, nx, ny).ok_or(SpectralError::BadShape { nx, ny, len })
}

/// Mutable twin of [`spectral_grid`], for [`fft_filter_into`].
fn spectral_grid_mut(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
) -> Result<ArrayViewMut2<'_, f64>, SpectralError> {
    let (nx, ny) = (nx as usize, ny as usize);
    let len = grid.len();
    view2_mut(grid, nx, ny).ok_or(SpectralError::BadShape { nx, ny, len })
}

/// The `fill_end` parameter of the FFT exports, checked before the kernel runs: 3 values,
/// which the export sets to how the fill of the grid's holes ended, `[sweeps, largest
/// update of the last sweep, tolerance]` ([`FillEnd::report`]; zeros for a grid without
/// holes). The update at or above the tolerance means the sweeps stopped at their limit
/// with the filled values still moving. wasm-bindgen copies the slice back into the
/// caller's array, which may be over a `SharedArrayBuffer` that another thread reads.
pub(crate) fn fill_end_of(fill_end: &mut [f64]) -> Exported<&mut [f64; 3]> {
    let len = fill_end.len();
    fill_end.try_into().map_err(|_| {
        BoundaryError::new(format!(
            "Parameter `fill_end` must hold 3 values (sweeps, update, tolerance), received {len}"
        ))
    })
}

/// Spectral operator on the whole grid (cell sizes in km); returns `nx * ny` values, and
/// how the fill of its holes ended in `fill_end` ([`fill_end_of`]).
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
#[allow(clippy::too_many_arguments)]
pub fn fft_filter(
    grid: &[f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    fill_end: &mut [f64],
) -> Exported<Box<[f64]>> {
    let op = Op::parse(op, params)?;
    let report = fill_end_of(fill_end)?;
    let (out, end) = fft_kernel(spectral_grid(grid, nx, ny)?, dx_km, dy_km, &op)?;
    *report = FillEnd::report(end);
    Ok(into_row_major(out).into_boxed_slice())
}

/// [`fft_filter`] that writes the result over `grid` and returns `same`, which must be the
/// very `Float64Array` passed as `grid` (`nx * ny` values). The result lands in memory the
/// caller already owns (wasm-bindgen copies a `&mut` slice back into the JS array) instead
/// of a freshly allocated array: on a 4096 × 4096 grid that saves faulting in 128 MB per
/// call. The worker pool passes the array twice and gets it back transferred. Computed in
/// place (`spectral::apply::fft_filter_in_place`: no second grid-sized array). How the fill
/// of the grid's holes ended goes into `fill_end` ([`fill_end_of`]).
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
    fill_end: &mut [f64],
) -> Exported<JsValue> {
    let op = Op::parse(op, params)?;
    let report = fill_end_of(fill_end)?;
    *report = FillEnd::report(fft_filter_in_place(
        spectral_grid_mut(grid, nx, ny)?,
        dx_km,
        dy_km,
        &op,
    )?);
    Ok(same)
}

/// [`fft_filter_into`] that also summarises the result in statistics blocks (`output`;
/// `input` is empty: the runner measures a transform's input before it is handed over).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_filter_measured(
    grid: &mut [f64],
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] same: JsValue,
    fill_end: &mut [f64],
) -> Exported<Measured> {
    let values = fft_filter_into(grid, nx, ny, dx_km, dy_km, op, params, same, fill_end)?;
    Ok(Measured {
        input: Box::new([]),
        output: block_summaries(grid, 0).into_boxed_slice(),
        values,
    })
}

/// [`fft_filter_measured`] for a grid the calling thread keeps reading while the transform
/// runs: `grid` is a `Float64Array` over a `SharedArrayBuffer` (`nx * ny` values), and the
/// result is written back over it only once element 0 of `gate` (an `Int32Array` over a
/// `SharedArrayBuffer`) is non-zero. The caller hashes and measures its input meanwhile and
/// then opens the gate (`Atomics.store` and `Atomics.notify`), so the transform and the
/// input's checksum run side by side. Returns the result's statistics blocks
/// (`Measured.output` of [`fft_filter_measured`]). Element 0 of `progress` (an `Int32Array`
/// over a `SharedArrayBuffer`) counts the final result rows written, in order, so that the
/// caller can hash them as they come. A job cancelled while it waits stops with
/// the "cancelled" error and leaves `grid` as it was. WebAssembly workers only:
/// `Atomics.wait` may not block a main thread.
///
/// A grid without NaN is read a row at a time and the result rows are written straight back
/// ([`crate::spectral::apply::fft_filter_streamed`]): this instance holds the padded half
/// spectrum, not a copy of the grid too (on 4096 × 4096, 128 MB less). A grid with holes is
/// copied in, as [`fft_filter_measured`] does. Cancelled after the gate, total gradient and
/// tilt may leave `grid` part-written (the caller gave its values up when it opened it).
/// How the fill of the grid's holes ended goes into `fill_end` ([`fill_end_of`]).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_filter_shared(
    grid: &js_sys::Float64Array,
    gate: &js_sys::Int32Array,
    progress: &js_sys::Int32Array,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    fill_end: &mut [f64],
) -> Exported<Box<[f64]>> {
    let parsed = Op::parse(op, params)?;
    let report = fill_end_of(fill_end)?;
    let len = grid.length() as usize;
    let (w, h) = (nx as usize, ny as usize);
    if len != w * h {
        Err(SpectralError::BadShape { nx: w, ny: h, len })?;
    }
    let row = |i: usize| grid.subarray((i * w) as u32, ((i + 1) * w) as u32);
    let mut summaries = crate::block_statistics::BlockSummaries::default();
    let mut done = 0;
    let streamed = crate::spectral::apply::fft_filter_streamed(
        w,
        h,
        dx_km,
        dy_km,
        &parsed,
        |i, out| row(i).copy_to(out),
        || wait_open(gate),
        |i, out, last| {
            row(i).copy_from(out);
            if last {
                summaries.push(out);
                done += 1;
                if done % PROGRESS_ROWS == 0 || done == h {
                    report_rows(progress, 0, done);
                }
            }
        },
    )?;
    if streamed.is_some() {
        *report = FillEnd::report(None);
        return Ok(summaries.finish().into_boxed_slice());
    }
    let mut values = grid.to_vec();
    let end = fft_filter_in_place(
        spectral_grid_mut(&mut values, nx, ny)?,
        dx_km,
        dy_km,
        &parsed,
    )?;
    let output = block_summaries(&values, 0);
    wait_open(gate)?;
    grid.copy_from(&values);
    report_rows(progress, 0, h);
    *report = FillEnd::report(end);
    Ok(output.into_boxed_slice())
}

/// Final result rows [`fft_filter_shared`] writes between two reports of its progress.
#[cfg(target_arch = "wasm32")]
const PROGRESS_ROWS: usize = 32;

/// Stores `rows` (the final result rows written so far, in order) into element `index` of
/// `progress` and wakes a thread waiting on it: the caller hashes those rows while the
/// kernel writes the next.
#[cfg(target_arch = "wasm32")]
pub(crate) fn report_rows(progress: &js_sys::Int32Array, index: u32, rows: usize) {
    use js_sys::Atomics;
    // Only fails for an array that is not an `Int32Array` (a caller's bug, which its wait
    // then reports by timing out to the job's end).
    let _ = Atomics::store(progress, index, rows as i32);
    let _ = Atomics::notify(progress, index);
}

/// Blocks until element 0 of `gate` is non-zero or the job is cancelled (the cancel flag is
/// looked at every 20 ms of waiting, and once more after the gate is seen open).
#[cfg(target_arch = "wasm32")]
fn wait_open(gate: &js_sys::Int32Array) -> Exported<()> {
    use js_sys::Atomics;
    loop {
        let open = Atomics::load(gate, 0).is_ok_and(|v| v != 0);
        // After the gate's load: a cancel request stored before the gate was opened (a caller
        // that failed while reading its input) is seen here, and nothing is written.
        crate::cancel::check().map_err(SpectralError::from)?;
        if open {
            return Ok(());
        }
        // "ok", "not-equal" and "timed-out" all mean: look again.
        Atomics::wait_with_timeout(gate, 0, 0, 20.0).map_err(|e| {
            BoundaryError::new(format!(
                "fft_filter_shared must run on a worker that may block (Atomics.wait failed: {e:?})"
            ))
        })?;
    }
}

/// Completeness of points on the grid `spec = [west, south, dx, dy, nx, ny]`: returns
/// `1 + nx*ny` values, `[fraction within max_distance (degrees) | distance grid]`.
#[wasm_bindgen]
pub fn qc_completeness(
    lon: &[f64],
    lat: &[f64],
    spec: &[f64],
    max_distance: f64,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let c = completeness(lon, lat, &spec, max_distance)?;
    let mut out = Vec::with_capacity(1 + c.distance.len());
    out.push(c.fraction);
    out.extend(into_row_major(c.distance));
    Ok(out.into_boxed_slice())
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
) -> Exported<Box<[f64]>> {
    let (nx, ny) = (nx as usize, ny as usize);
    let values = grid_view("values", values, nx, ny)?;
    let survey = grid_view("survey", survey, nx, ny)?;
    let s = find_seams(values, survey, offset_threshold, gradient_threshold)?;
    Ok(s.iter().flat_map(|x| x.to_record()).collect())
}

/// Anomalies of `values` on `spec = [west, south, dx, dy, nx, ny]`; `regional` is
/// `"lowpass"` (a plane plus a NaN-aware Gaussian, `regional_param` = sigma in cells) or
/// `"polynomial"` (`regional_param` = order 1 or 2); cells whose robust z-score exceeds
/// `z_threshold` form the anomalies.
/// 8 numbers per anomaly, by decreasing confidence:
/// `[lon, lat, peak_residual, peak_z, cells, area_km2, confidence, peak_index]`.
#[wasm_bindgen]
pub fn qc_anomalies(
    values: &[f64],
    spec: &[f64],
    regional: &str,
    regional_param: f64,
    z_threshold: f64,
    min_cells: u32,
) -> Exported<Box<[f64]>> {
    anomalies_export(
        values,
        spec,
        regional,
        regional_param,
        z_threshold,
        min_cells,
    )
}

/// [`qc_anomalies`] of float32 `values` (a float32 file's grid in half the memory): the
/// records of their float64 widening, bit for bit.
#[wasm_bindgen]
pub fn qc_anomalies_f32(
    values: &[f32],
    spec: &[f64],
    regional: &str,
    regional_param: f64,
    z_threshold: f64,
    min_cells: u32,
) -> Exported<Box<[f64]>> {
    anomalies_export(
        values,
        spec,
        regional,
        regional_param,
        z_threshold,
        min_cells,
    )
}

/// The body of [`qc_anomalies`] and [`qc_anomalies_f32`].
fn anomalies_export<T: GridValue>(
    values: &[T],
    spec: &[f64],
    regional: &str,
    regional_param: f64,
    z_threshold: f64,
    min_cells: u32,
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    let regional = match regional {
        "lowpass" => Regional::Gaussian(regional_param),
        "polynomial" if regional_param == 1.0 || regional_param == 2.0 => {
            Regional::Polynomial(regional_param as u32)
        }
        "polynomial" => {
            return Err(BoundaryError::new(format!(
                "Parameter `regional_param` must be the polynomial order 1 or 2, received {regional_param}"
            )))
        }
        other => {
            return Err(BoundaryError::new(format!(
                "Parameter `regional` must be \"lowpass\" or \"polynomial\", received \"{other}\""
            )))
        }
    };
    if values.len() != spec.nx * spec.ny {
        return Err(QcError::BadLength {
            name: "values",
            expected: spec.nx * spec.ny,
            got: values.len(),
        }
        .into());
    }
    let a = find_anomalies_of(values, &spec, regional, z_threshold, min_cells as usize)?;
    Ok(a.iter().flat_map(|x| x.to_record()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bits::{same_bits, same_bits_or_nan};

    fn err<T: std::fmt::Debug>(r: Exported<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn hampel_concatenates_mask_and_medians() {
        let v = [1.0, 1.1, 0.9, 9.0, 1.0, 1.2, 0.8];
        let out = hampel(&v, &[3.0; 7], 2, 3.0).unwrap();
        assert_eq!(out.len(), 14);
        assert_eq!(&out[..7], &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(out[7 + 3], 1.1); // median of 1.1, 0.9, 9.0, 1.0, 1.2
    }

    #[test]
    fn grid_exports_view_the_slices_and_name_a_bad_length() {
        let g: Vec<f64> = (0..12).map(f64::from).collect();
        let out = median_filter(&g, 4, 3, 3, false, 1, 2).unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(out[1], 5.0); // median of rows 0..3, columns 0..3
        let e = err(gaussian_filter(&g, 5, 3, 1.0, 1.0, 0, 3));
        assert!(e.contains("`grid`") && e.contains("received 12"), "{e}");
        let e = err(fft_filter(&g, 5, 3, 1.0, 1.0, "tilt", &[], &mut [0.0; 3]));
        assert!(e.contains("`grid`") && e.contains("received 12"), "{e}");
        let e = err(fft_filter(&g, 4, 3, 1.0, 1.0, "tilt", &[], &mut [0.0; 2]));
        assert!(e.contains("`fill_end`") && e.contains("received 2"), "{e}");
        let e = err(qc_seams(&g, &g[..11], 4, 3, 1.0, 1.0));
        assert!(e.contains("`survey`") && e.contains("received 11"), "{e}");
        let mut m = g.clone();
        let e = err(median_filter_into(
            &mut m,
            5,
            3,
            3,
            false,
            0,
            3,
            JsValue::UNDEFINED,
        ));
        assert!(e.contains("`grid`") && e.contains("received 12"), "{e}");
    }

    #[test]
    fn into_exports_equal_the_plain_exports_bit_for_bit() {
        let (nx, ny) = (23u32, 19u32);
        let mut g: Vec<f64> = (0..nx * ny)
            .map(|k| ((k % nx) as f64 * 0.3).sin() * 2.0 + (k / nx) as f64 * 0.05)
            .collect();
        g[40] = f64::NAN;
        let same = |a: &[f64], b: &[f64]| same_bits_or_nan(a, b);
        for (op, params) in [("bandpass-gaussian", vec![20.0, 3.0]), ("tilt", vec![])] {
            let mut want_end = [0.0; 3];
            let want = fft_filter(&g, nx, ny, 1.0, 1.5, op, &params, &mut want_end).unwrap();
            let mut got = g.clone();
            let mut end = [0.0; 3];
            let same_js = JsValue::UNDEFINED;
            fft_filter_into(&mut got, nx, ny, 1.0, 1.5, op, &params, same_js, &mut end).unwrap();
            assert!(same(&got, &want), "{op}");
            // One hole: the fill converged, in the same sweeps both ways.
            assert!(
                end[0] >= 1.0 && end[0] < 1000.0 && end[1] < end[2],
                "{end:?}"
            );
            assert!(same_bits(&end, &want_end), "{end:?} against {want_end:?}");
        }
        // No hole: no fill.
        let mut end = [7.0; 3];
        let full: Vec<f64> = g
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { *v })
            .collect();
        fft_filter(&full, nx, ny, 1.0, 1.5, "tilt", &[], &mut end).unwrap();
        assert_eq!(end, [0.0; 3]);
        let want = gaussian_filter(&g, nx, ny, 1.5, 2.0, 3, 9).unwrap();
        let mut got = g.clone();
        gaussian_filter_into(&mut got, nx, ny, 1.5, 2.0, 3, 9, JsValue::UNDEFINED).unwrap();
        assert!(want.len() == 6 * nx as usize && same(&got[..want.len()], &want));
        let want = median_filter(&g, nx, ny, 5, true, 3, 9).unwrap();
        let mut got = g.clone();
        median_filter_into(&mut got, nx, ny, 5, true, 3, 9, JsValue::UNDEFINED).unwrap();
        assert!(want.len() == 6 * nx as usize && same(&got[..want.len()], &want));
    }

    #[test]
    fn measured_exports_give_the_into_result_and_the_blocks_of_both_sides() {
        let (nx, ny) = (1000u32, 40u32);
        let g: Vec<f64> = (0..nx * ny)
            .map(|k| {
                if k % 37 == 0 {
                    f64::NAN
                } else {
                    f64::from(k % 777) * 0.5
                }
            })
            .collect();
        // Band rows 7..31 of a band cut from row 2: its first cell is cell 9000 of the grid.
        let band = &g[2000..];
        let (row0, row1, position) = (5, 29, 7000.0);
        let own = &band[5000..29000];
        for measured in [true, false] {
            let mut want = band.to_vec();
            let mut got = band.to_vec();
            let m = if measured {
                gaussian_filter_into(&mut want, nx, 38, 1.5, 2.0, row0, row1, JsValue::UNDEFINED)
                    .unwrap();
                gaussian_filter_measured(
                    &mut got,
                    nx,
                    38,
                    1.5,
                    2.0,
                    row0,
                    row1,
                    position,
                    JsValue::UNDEFINED,
                )
                .unwrap()
            } else {
                median_filter_into(&mut want, nx, 38, 3, false, row0, row1, JsValue::UNDEFINED)
                    .unwrap();
                median_filter_measured(
                    &mut got,
                    nx,
                    38,
                    3,
                    false,
                    row0,
                    row1,
                    position,
                    JsValue::UNDEFINED,
                )
                .unwrap()
            };
            let n = own.len();
            assert_eq!(got[..n].iter().map(|v| v.to_bits()).collect::<Vec<_>>(), {
                want[..n].iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            });
            assert_eq!(&*m.input, &block_summaries(own, 7000)[..]);
            assert_eq!(&*m.output, &block_summaries(&want[..n], 7000)[..]);
            // Cells 7000..31000: blocks 2..7 are whole (8192..28672).
            assert_eq!(m.input.len(), 5 * crate::block_statistics::FIELDS);
        }
        let e = err(block_statistics(&g, -1.0));
        assert!(e.contains("position") && e.contains("-1"), "{e}");
        let mut m = g.clone();
        let r = gaussian_filter_measured(&mut m, nx, ny, 1.0, 1.0, 0, 1, 0.5, JsValue::UNDEFINED);
        assert!(r.is_err());
    }

    #[test]
    fn fft_filter_names_the_bad_op() {
        let e = err(fft_filter(
            &[0.0; 16],
            4,
            4,
            1.0,
            1.0,
            "blur",
            &[],
            &mut [0.0; 3],
        ));
        assert!(e.contains("`op`") && e.contains("blur"));
    }

    #[test]
    fn qc_exports_return_flat_records_and_name_bad_parameters() {
        let s = qc_seams(
            &[1.0, 2.0, 13.0, 14.0],
            &[1.0, 1.0, 2.0, 2.0],
            4,
            1,
            5.0,
            1.0,
        )
        .unwrap();
        assert_eq!(s.len(), 7);
        let spec = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0];
        let e = err(qc_anomalies(&[0.0; 4], &spec, "spline", 1.0, 3.0, 1));
        assert!(e.contains("`regional`"));
        let e = err(qc_anomalies(&[0.0; 4], &spec, "polynomial", 3.0, 3.0, 1));
        assert!(
            e.contains("`regional_param`") && e.contains("received 3"),
            "{e}"
        );
        let c = qc_completeness(&[0.0], &[0.0], &[0.0, 0.0, 1.0, 1.0, 4.0, 1.0], 1.5).unwrap();
        assert_eq!(&*c, &[0.5, 0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn outlier_exports_name_a_bad_threshold() {
        let e = err(outliers_zscore(&[1.0, 2.0, 3.0], f64::NAN));
        assert!(e.contains("threshold"), "{e}");
        assert_eq!(
            outliers_iqr(&[1.0, 1.0, 1.0, 1.0, 50.0], 1.5).unwrap()[4],
            1
        );
    }
}

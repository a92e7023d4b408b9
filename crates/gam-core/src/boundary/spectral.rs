//! The spectral pipeline in parts across workers ([`crate::spectral::split`]): one export per
//! step (and the padded layout). The grid, the half spectrum and a derivative's kept rows are
//! `Float64Array`s over `SharedArrayBuffer`s that every worker of the pool reads and writes
//! (the instances share no memory): each step copies rows or blocks of columns between them
//! and its own memory as it goes, so no part holds a whole grid or spectrum. The parts'
//! result equals `fft_filter`'s bit for bit. Complex values are interleaved `re, im` pairs;
//! a plane is `[a, b, c, xc, yc]` (see [`Plane`]).
//!
//! Shared layouts, for an `nx × ny` grid padded to `nx2 × ny2` (`nc = nx2 / 2 + 1`):
//! `spectrum` is `ny2` rows of `nc` complex values (step 1 writes it; step 2 transforms it
//! by columns and writes a one-output operator's kept rows back into rows
//! `bottom..bottom + ny`, or, for total gradient and tilt, the whole 2-D half spectrum back);
//! `kept` holds total gradient's and tilt's current derivative, `ny` rows of `nc` complex
//! values (empty for the other operators).

// The steps are written over any `Shared` store so that native tests run them; natively
// nothing else calls them (the exports are WebAssembly-only: they take JS arrays).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use rustfft::num_complex::Complex64;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

use super::{filters::fill_end_of, BoundaryError, Exported};
use crate::{
    block_statistics::BlockSummaries,
    spectral::{
        detrend::Plane,
        fill::FillEnd,
        fill_band::{exchange_size, Exchange},
        pad::Layout,
        split::{
            columns_part, hole_fill, inverse_part, outputs, part, rows_part, ColumnStage, Filled,
            RowStep,
        },
        transfer::Op,
        SpectralError,
    },
};

/// Values outside this instance's memory that a step reads and writes by offset (in
/// `f64`s): a `Float64Array` over a `SharedArrayBuffer` in a worker, a vector in the
/// native tests.
pub(crate) trait Shared {
    fn len(&self) -> usize;
    fn read(&self, at: usize, out: &mut [f64]);
    fn write(&self, at: usize, values: &[f64]);
}

#[cfg(target_arch = "wasm32")]
impl Shared for js_sys::Float64Array {
    fn len(&self) -> usize {
        self.length() as usize
    }
    fn read(&self, at: usize, out: &mut [f64]) {
        self.subarray(at as u32, (at + out.len()) as u32)
            .copy_to(out);
    }
    fn write(&self, at: usize, values: &[f64]) {
        self.subarray(at as u32, (at + values.len()) as u32)
            .copy_from(values);
    }
}

/// Complex values as their interleaved `re, im` pairs.
fn as_f64(v: &[Complex64]) -> &[f64] {
    // SAFETY: `Complex<f64>` is `#[repr(C)]` with the two `f64` fields `re`, `im`: size 16,
    // alignment 8, the layout of `[f64; 2]`; the slice covers exactly `v`'s values and
    // borrows `v` for its lifetime.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<f64>(), 2 * v.len()) }
}

/// [`as_f64`], mutable.
fn as_f64_mut(v: &mut [Complex64]) -> &mut [f64] {
    // SAFETY: as in `as_f64`; the slice borrows `v` mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<f64>(), 2 * v.len()) }
}

/// The layout of an `nx × ny` grid split in `parts`, checking the shape and `parts`.
fn layout(nx: u32, ny: u32, parts: u32, part_index: u32) -> Exported<(Layout, usize, usize)> {
    let (nx, ny) = (nx as usize, ny as usize);
    if nx < 2 || ny < 2 {
        return Err(SpectralError::BadShape {
            nx,
            ny,
            len: nx * ny,
        }
        .into());
    }
    if parts < 1 || part_index >= parts {
        return Err(BoundaryError::new(format!(
            "Parameter `part` must be in 0..parts with parts >= 1, received part {part_index} of {parts}"
        )));
    }
    Ok((Layout::new(nx, ny), part_index as usize, parts as usize))
}

fn plane_of(v: &[f64]) -> Exported<Plane> {
    match *v {
        [a, b, c, xc, yc] => Ok(Plane { a, b, c, xc, yc }),
        _ => Err(BoundaryError::new(format!(
            "Parameter `plane` must hold 5 values [a, b, c, xc, yc], received {}",
            v.len()
        ))),
    }
}

fn check_len(name: &str, got: usize, want: usize, what: &str) -> Exported<()> {
    if got == want {
        Ok(())
    } else {
        Err(BoundaryError::new(format!(
            "Parameter `{name}` must hold {want} values ({what}), received {got}"
        )))
    }
}

/// Checks the lengths of the shared `spectrum` and `kept` for layout `l` and `op`.
fn check_spectra(l: &Layout, op: &Op, spectrum: usize, kept: usize) -> Exported<()> {
    let nc = l.nx2 / 2 + 1;
    check_len(
        "spectrum",
        spectrum,
        2 * l.ny2 * nc,
        "ny2 rows of nc complex values",
    )?;
    let rows = if outputs(op) == 1 { 0 } else { l.ny };
    check_len(
        "kept",
        kept,
        2 * rows * nc,
        "ny rows of nc complex values for total gradient and tilt, else none",
    )
}

/// The padded layout of an `nx × ny` grid for the FFT in `parts`: `[nx2, ny2, nc, left,
/// bottom, slots, counters]` (`nc = nx2 / 2 + 1` columns of the half spectrum; `slots` and
/// `counters`: the lengths of the `Float64Array` and `Int32Array` that [`fft_split_fill`]'s
/// bands share).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn fft_split_layout(nx: u32, ny: u32, parts: u32) -> Exported<Box<[f64]>> {
    let (l, _, parts) = layout(nx, ny, parts, 0)?;
    let (slots, counters) = exchange_size(l.nx, parts);
    Ok(Box::new([
        l.nx2 as f64,
        l.ny2 as f64,
        (l.nx2 / 2 + 1) as f64,
        l.left as f64,
        l.bottom as f64,
        slots as f64,
        counters as f64,
    ]))
}

/// The shared memory of [`fft_split_fill`]'s bands: `slots` and `counters` over
/// `SharedArrayBuffer`s, the counters waited on with `Atomics.wait` (the cancel flag looked
/// at every 20 ms of waiting).
#[cfg(target_arch = "wasm32")]
struct JsExchange<'a> {
    slots: &'a js_sys::Float64Array,
    counters: &'a js_sys::Int32Array,
}

#[cfg(target_arch = "wasm32")]
impl Exchange for JsExchange<'_> {
    fn put(&self, at: usize, values: &[f64]) {
        self.slots.write(at, values);
    }
    fn get(&self, at: usize, out: &mut [f64]) {
        self.slots.read(at, out);
    }
    fn set(&self, i: usize, value: i32) {
        // Fails only for an array that is not an `Int32Array`, which `fft_split_fill`
        // refuses first.
        let _ = js_sys::Atomics::store(self.counters, i as u32, value);
        let _ = js_sys::Atomics::notify(self.counters, i as u32);
    }
    fn wait(&self, i: usize, value: i32) -> Result<(), crate::cancel::Cancelled> {
        loop {
            let now = js_sys::Atomics::load(self.counters, i as u32).unwrap_or(i32::MIN);
            if now >= value {
                return Ok(());
            }
            crate::cancel::check()?;
            // "ok", "not-equal" and "timed-out" all mean: look again. An error (a thread
            // that may not block) leaves a busy wait, still woken by the other band's store.
            let _ = js_sys::Atomics::wait_with_timeout(self.counters, i as u32, now, 20.0);
        }
    }
}

/// [`fft_split_fill`] over any [`Shared`] values and [`Exchange`].
#[allow(clippy::too_many_arguments)]
fn split_fill(
    grid: &impl Shared,
    nx: u32,
    ny: u32,
    plane: &[f64],
    counts: &[u32],
    part_index: u32,
    parts: u32,
    exchange: &impl Exchange,
    fill_end: &mut [f64],
) -> Exported<Box<[f64]>> {
    let report = fill_end_of(fill_end)?;
    let (l, k, parts) = layout(nx, ny, parts, part_index)?;
    check_len("grid", grid.len(), l.nx * l.ny, "nx * ny values")?;
    if parts > l.ny {
        return Err(BoundaryError::new(format!(
            "Parameter `parts` must be at most ny = {}, received {parts}",
            l.ny
        )));
    }
    let plane = plane_of(plane)?;
    let counts = counts_of(counts);
    let (fill, end) = hole_fill(
        l.nx,
        l.ny,
        &plane,
        &counts,
        k,
        parts,
        |i, row| grid.read(i * l.nx, row),
        exchange,
    )?;
    *report = FillEnd::report(end);
    Ok(fill.into_boxed_slice())
}

/// Hole counts from JavaScript (`u32`, each at most `nx`: checked where they are used).
fn counts_of(counts: &[u32]) -> Vec<usize> {
    counts.iter().map(|&c| c as usize).collect()
}

/// Step 1's fill, band `part` of `parts` (every band at the same time, each on its own
/// worker): the Laplace-filled values of the holes of `grid` (`nx * ny` values, NaN = hole;
/// left as it was) after `plane` is removed, in row-major order, for the band's rows.
/// `plane` and `counts` (the NaN cells of each row) are what [`fft_split_rows`] returned.
/// The bands' results one after another are [`fft_split_rows`]'s `fill` (empty for a grid
/// without holes). `slots` and `counters` (zeros, of the lengths
/// [`fft_split_layout`] gives for `parts`, over `SharedArrayBuffer`s) are shared by the
/// bands of one fill. `fill_end` (3 values) receives how the band's sweeps ended
/// ([`super::filters::fill_end_of`]; its update is the band's own: the whole grid's is the
/// largest of the bands').
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_fill(
    grid: &js_sys::Float64Array,
    nx: u32,
    ny: u32,
    plane: &[f64],
    counts: &[u32],
    part: u32,
    parts: u32,
    slots: &js_sys::Float64Array,
    counters: &js_sys::Int32Array,
    fill_end: &mut [f64],
) -> Exported<Box<[f64]>> {
    let (l, _, bands) = layout(nx, ny, parts, part)?;
    let (want_slots, want_counters) = exchange_size(l.nx, bands);
    check_len(
        "slots",
        slots.length() as usize,
        want_slots,
        "fft_split_layout's slots",
    )?;
    check_len(
        "counters",
        counters.length() as usize,
        want_counters,
        "fft_split_layout's counters",
    )?;
    // Bands on other workers see only shared memory (and Atomics.wait needs it).
    let shared = |a: &js_sys::Object| a.is_instance_of::<js_sys::SharedArrayBuffer>();
    if bands > 1 && !(shared(&slots.buffer()) && shared(&counters.buffer())) {
        return Err(BoundaryError::new(format!(
            "Parameters `slots` and `counters` must be over SharedArrayBuffers for {bands} bands"
        )));
    }
    split_fill(
        grid,
        nx,
        ny,
        plane,
        counts,
        part,
        parts,
        &JsExchange { slots, counters },
        fill_end,
    )
}

/// [`fft_split_rows`] over any [`Shared`] values.
#[allow(clippy::too_many_arguments)]
fn split_rows(
    grid: &impl Shared,
    spectrum: &impl Shared,
    plane: &[f64],
    counts: &[u32],
    fill: &[f64],
    nx: u32,
    ny: u32,
    part_index: u32,
    parts: u32,
) -> Exported<Box<[f64]>> {
    let (l, k, parts) = layout(nx, ny, parts, part_index)?;
    check_len("grid", grid.len(), l.nx * l.ny, "nx * ny values")?;
    let nc = l.nx2 / 2 + 1;
    check_len(
        "spectrum",
        spectrum.len(),
        2 * l.ny2 * nc,
        "ny2 rows of nc complex values",
    )?;
    let counts = counts_of(counts);
    let filled = if plane.is_empty() {
        None
    } else {
        Some(Filled {
            plane: plane_of(plane)?,
            counts: &counts,
            values: fill,
        })
    };
    let mine = part(l.ny, parts, k);
    let mut summaries = BlockSummaries::at(mine.start * l.nx);
    let done = rows_part(
        l.nx,
        l.ny,
        k,
        parts,
        filled,
        |i, row| grid.read(i * l.nx, row),
        |i, row| {
            if mine.contains(&i) {
                summaries.push(row);
            }
        },
        |r, s| spectrum.write(2 * r * nc, as_f64(s)),
    )
    .map_err(|e| match e {
        SpectralError::BadShape { len, .. } => BoundaryError::new(format!(
            "Parameter `fill` must hold one value per hole of the grid, received {len}"
        )),
        e => e.into(),
    })?;
    let head = |p: Plane, holes: usize, written: bool| {
        let Plane { a, b, c, xc, yc } = p;
        vec![a, b, c, xc, yc, holes as f64, f64::from(u8::from(written))]
    };
    let mut out = match done {
        RowStep::Written { plane, holes } => head(plane, holes, true),
        // Holes and no fill: nothing written; the caller fills them first, with this plane
        // and these counts.
        RowStep::Holes { plane, counts } => {
            let mut out = head(plane, counts.iter().sum(), false);
            out.extend(counts.iter().map(|&c| c as f64));
            out
        }
    };
    out.extend(summaries.finish());
    Ok(out.into_boxed_slice())
}

/// Step 1, row part `part` of `parts` of `grid` (`nx * ny` values, NaN = hole; left as it
/// was), in one or two runs:
/// - first run (`plane`, `counts` and `fill` empty): reads the whole grid for its plane and
///   its holes. Without holes it writes the part's rows of the row spectrum into
///   `spectrum` and returns `[a, b, c, xc, yc, holes, 1]` (the plane, 0 holes, written),
///   then the statistics blocks of the input's whole blocks in data rows
///   `ny·part/parts .. ny·(part+1)/parts` (gam-core `block_statistics` with `position` at
///   the first of those cells). With holes it writes nothing and returns
///   `[a, b, c, xc, yc, holes, 0]`, the `ny` hole counts of the rows, then those statistics
///   blocks; the caller runs [`fft_split_fill`] with this plane and these counts;
/// - second run (a grid with holes): given the first run's `plane` and `counts` and the
///   filled values in `fill` (the bands of [`fft_split_fill`] one after another), writes
///   the part's rows with the holes set to them, without reading the whole grid again, and
///   returns `[a, b, c, xc, yc, holes, 1]`.
///
/// Every part's plane, holes and counts are the same.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_rows(
    grid: &js_sys::Float64Array,
    spectrum: &js_sys::Float64Array,
    plane: &[f64],
    counts: &[u32],
    fill: &[f64],
    nx: u32,
    ny: u32,
    part: u32,
    parts: u32,
) -> Exported<Box<[f64]>> {
    split_rows(grid, spectrum, plane, counts, fill, nx, ny, part, parts)
}

/// The column stage of `op` that `derivative` names (-1: a one-output operator's whole
/// stage, or total gradient's and tilt's forward one; 0 to 2: their derivative).
fn column_stage(op: &Op, derivative: i32) -> Exported<ColumnStage> {
    match (outputs(op), derivative) {
        (1, -1) => Ok(ColumnStage::Whole),
        (3, -1) => Ok(ColumnStage::Forward),
        (3, t @ 0..=2) => Ok(ColumnStage::Derivative(t as usize)),
        (n, _) => Err(BoundaryError::new(format!(
            "Parameter `derivative` must be -1{} for this operator, received {derivative}",
            if n == 3 { " or 0 to 2" } else { "" }
        ))),
    }
}

/// [`fft_split_columns`] over any [`Shared`] values.
#[allow(clippy::too_many_arguments)]
fn split_columns(
    spectrum: &impl Shared,
    kept: &impl Shared,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    derivative: i32,
    part_index: u32,
    parts: u32,
) -> Exported<()> {
    let op = Op::parse(op, params)?;
    let (l, p, parts) = layout(nx, ny, parts, part_index)?;
    crate::spectral::apply::check_args(l.nx, l.ny, l.nx * l.ny, dx_km, dy_km)?;
    check_spectra(&l, &op, spectrum.len(), kept.len())?;
    let stage = column_stage(&op, derivative)?;
    let nc = l.nx2 / 2 + 1;
    Ok(columns_part(
        &l,
        dx_km,
        dy_km,
        &op,
        stage,
        p,
        parts,
        |cols, block| {
            let w = cols.len();
            for (r, dst) in block.chunks_exact_mut(w).enumerate() {
                spectrum.read(2 * (r * nc + cols.start), as_f64_mut(dst));
            }
        },
        |cols, rows| {
            let w = cols.len();
            for (i, src) in rows.chunks_exact(w).enumerate() {
                match stage {
                    ColumnStage::Whole => {
                        spectrum.write(2 * ((l.bottom + i) * nc + cols.start), as_f64(src))
                    }
                    ColumnStage::Forward => spectrum.write(2 * (i * nc + cols.start), as_f64(src)),
                    ColumnStage::Derivative(_) => {
                        kept.write(2 * (i * nc + cols.start), as_f64(src))
                    }
                }
            }
        },
    )?)
}

/// Step 2, column part `part` of `parts` of `spectrum` (the row spectrum of step 1), for
/// cell sizes `dx_km`, `dy_km`. A one-output operator (`derivative` -1): its columns
/// transformed along y, the transfer function, back, and the kept rows written back into
/// `spectrum`. Total gradient and tilt: first (`derivative` -1) the transform along y only,
/// written back (the 2-D half spectrum); then for each derivative 0, 1, 2 (x, y, vertical)
/// its transfer function and the transform back, the kept rows written into `kept` (see the
/// module's layouts), each followed by its [`fft_split_inverse`].
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_columns(
    spectrum: &js_sys::Float64Array,
    kept: &js_sys::Float64Array,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    derivative: i32,
    part: u32,
    parts: u32,
) -> Exported<()> {
    split_columns(
        spectrum, kept, nx, ny, dx_km, dy_km, op, params, derivative, part, parts,
    )
}

/// [`fft_split_inverse`] over any [`Shared`] values; `report(rows)` after each run of
/// final rows.
#[allow(clippy::too_many_arguments)]
fn split_inverse(
    spectrum: &impl Shared,
    kept: &impl Shared,
    grid: &impl Shared,
    nx: u32,
    ny: u32,
    op: &str,
    params: &[f64],
    plane: &[f64],
    holes: bool,
    derivative: i32,
    part_index: u32,
    parts: u32,
    mut report: impl FnMut(usize),
) -> Exported<Box<[f64]>> {
    let op = Op::parse(op, params)?;
    let (l, q, parts) = layout(nx, ny, parts, part_index)?;
    let plane = plane_of(plane)?;
    check_len("grid", grid.len(), l.nx * l.ny, "nx * ny values")?;
    check_spectra(&l, &op, spectrum.len(), kept.len())?;
    let fold = match column_stage(&op, derivative)? {
        ColumnStage::Whole => None,
        ColumnStage::Derivative(t) => Some(t),
        ColumnStage::Forward => {
            return Err(BoundaryError::new(
                "Parameter `derivative` must be 0 to 2 for this operator, received -1",
            ))
        }
    };
    let nc = l.nx2 / 2 + 1;
    let rows = part(l.ny, parts, q);
    let mut summaries = BlockSummaries::at(rows.start * l.nx);
    let mut input = if holes { vec![0.0; l.nx] } else { Vec::new() };
    let mut restored = input.clone();
    let mut done = 0;
    inverse_part(
        &l,
        &op,
        &plane,
        fold,
        q,
        parts,
        |i, row| match fold {
            None => spectrum.read(2 * (l.bottom + i) * nc, as_f64_mut(row)),
            Some(_) => kept.read(2 * i * nc, as_f64_mut(row)),
        },
        |i, row| grid.read(i * l.nx, row),
        |i, values, last| {
            let values = if holes {
                // The row's holes are still NaN in `grid`: in the input (only this part
                // writes the row), or in the derivatives folded so far (NaN stays NaN).
                grid.read(i * l.nx, &mut input);
                restored.copy_from_slice(values);
                for (o, z) in restored.iter_mut().zip(&input) {
                    if z.is_nan() {
                        *o = f64::NAN;
                    }
                }
                &restored[..]
            } else {
                values
            };
            grid.write(i * l.nx, values);
            if last {
                summaries.push(values);
                done += 1;
                if done % PROGRESS_ROWS == 0 || done == rows.len() {
                    report(done);
                }
            }
        },
    )?;
    Ok(summaries.finish().into_boxed_slice())
}

/// Final result rows [`fft_split_inverse`] writes between two reports of its progress.
const PROGRESS_ROWS: usize = 32;

/// Step 3, row part `part` of `parts`: data rows `ny·part/parts .. ny·(part+1)/parts` of the
/// result, written over those rows of `grid` (the input's holes, when `holes`, restored as
/// NaN). A one-output operator (`derivative` -1): from the kept rows in `spectrum`, c2r,
/// crop, `plane` added back when `op` passes DC. Total gradient and tilt: once per
/// derivative 0, 1, 2, from `kept`, each folded into the rows the one before wrote (x, then
/// `√(x² + y²)`, then the result). Element `part` of `progress` (an `Int32Array` over a
/// `SharedArrayBuffer`) counts the part's final rows written, in order, so the caller can
/// hash them as they come. Returns the statistics blocks of the whole blocks of the final
/// rows (gam-core `block_statistics` with `position` at the part's first cell; empty for
/// derivatives 0 and 1).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_inverse(
    spectrum: &js_sys::Float64Array,
    kept: &js_sys::Float64Array,
    grid: &js_sys::Float64Array,
    progress: &js_sys::Int32Array,
    nx: u32,
    ny: u32,
    op: &str,
    params: &[f64],
    plane: &[f64],
    holes: bool,
    derivative: i32,
    part: u32,
    parts: u32,
) -> Exported<Box<[f64]>> {
    split_inverse(
        spectrum,
        kept,
        grid,
        nx,
        ny,
        op,
        params,
        plane,
        holes,
        derivative,
        part,
        parts,
        |rows| super::filters::report_rows(progress, part, rows),
    )
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use crate::spectral::fill_band::OneBand;
    use crate::test_bits::same_bits_or_nan;

    use super::*;

    impl Shared for RefCell<Vec<f64>> {
        fn len(&self) -> usize {
            self.borrow().len()
        }
        fn read(&self, at: usize, out: &mut [f64]) {
            out.copy_from_slice(&self.borrow()[at..at + out.len()]);
        }
        fn write(&self, at: usize, values: &[f64]) {
            self.borrow_mut()[at..at + values.len()].copy_from_slice(values);
        }
    }

    /// A grid the bands' threads read.
    impl Shared for std::sync::RwLock<Vec<f64>> {
        fn len(&self) -> usize {
            self.read().unwrap().len()
        }
        fn read(&self, at: usize, out: &mut [f64]) {
            out.copy_from_slice(&self.read().unwrap()[at..at + out.len()]);
        }
        fn write(&self, at: usize, values: &[f64]) {
            self.write().unwrap()[at..at + values.len()].copy_from_slice(values);
        }
    }

    /// [`split_fill`]'s bands, each on its own thread, their results one after another, and
    /// their `fill_end`s as the whole grid's: the bands' sweeps and tolerance (which must
    /// agree) and the largest of their updates.
    fn fill_in_bands(
        g: &[f64],
        nx: u32,
        ny: u32,
        plane: &[f64],
        counts: &[u32],
        parts: u32,
    ) -> (Vec<f64>, [f64; 3]) {
        let grid = std::sync::RwLock::new(g.to_vec());
        let x = crate::spectral::fill_band::tests::Atomics::new(nx as usize, parts as usize);
        std::thread::scope(|scope| {
            let bands: Vec<_> = (0..parts)
                .map(|k| {
                    let (grid, x) = (&grid, &x);
                    scope.spawn(move || {
                        let mut end = [0.0; 3];
                        let values =
                            split_fill(grid, nx, ny, plane, counts, k, parts, x, &mut end).unwrap();
                        (values, end)
                    })
                })
                .collect();
            let mut values = Vec::new();
            let mut end: Option<[f64; 3]> = None;
            for b in bands {
                let (v, e) = b.join().unwrap();
                values.extend(v.into_vec());
                if let Some(a) = end {
                    assert_eq!(
                        (a[0], a[2]),
                        (e[0], e[2]),
                        "the bands' sweeps and tolerance"
                    );
                }
                end = Some([e[0], end.map_or(e[1], |a| a[1].max(e[1])), e[2]]);
            }
            (values, end.expect("parts >= 1"))
        })
    }

    fn shared(n: usize) -> RefCell<Vec<f64>> {
        RefCell::new(vec![0.0; n])
    }

    #[test]
    fn the_exports_refuse_bad_parts_and_lengths_by_name() {
        let e = fft_split_layout(1, 8, 1).unwrap_err().to_string();
        assert!(e.contains("`grid`"), "{e}");
        let lay = fft_split_layout(8, 8, 2).unwrap();
        assert_eq!(
            lay[5..],
            [2.0 * (2.0 + 1000.0 + 32.0), 6.0],
            "the fill's exchange"
        );
        let (ny2, nc) = (lay[1] as usize, lay[2] as usize);
        let (grid, spectrum) = (shared(64), shared(2 * ny2 * nc));
        let err = |r: Exported<Box<[f64]>>| r.unwrap_err().to_string();
        let e = err(split_rows(&grid, &spectrum, &[], &[], &[], 8, 8, 2, 2));
        assert!(e.contains("`part`"), "{e}");
        let e = err(split_rows(&shared(8), &spectrum, &[], &[], &[], 8, 8, 1, 2));
        assert!(e.contains("`grid`"), "{e}");
        let e = err(split_rows(&grid, &shared(4), &[], &[], &[], 8, 8, 1, 2));
        assert!(e.contains("`spectrum`"), "{e}");
        let holed = RefCell::new(
            (0..64)
                .map(|k| if k == 9 { f64::NAN } else { k as f64 })
                .collect(),
        );
        // The second run: one fill value per counted hole, counts that are the grid's.
        let mut counts = [0u32; 8];
        counts[1] = 1;
        let second = |plane: &[f64], counts: &[u32], fill: &[f64]| {
            err(split_rows(
                &holed, &spectrum, plane, counts, fill, 8, 8, 1, 2,
            ))
        };
        let e = second(&[0.0; 5], &counts, &[1.0, 2.0]);
        assert!(e.contains("`fill`") && e.contains("received 2"), "{e}");
        let e = second(&[0.0; 3], &counts, &[1.0]);
        assert!(e.contains("`plane`"), "{e}");
        let e = second(&[0.0; 5], &counts[..7], &[1.0]);
        assert!(e.contains("`counts`") && e.contains("8 rows"), "{e}");
        let e = second(&[0.0; 5], &[9, 0, 0, 0, 0, 0, 0, 0], &[0.0; 9]);
        assert!(e.contains("`counts`"), "{e}");
        // One hole each, but in rows 0 and 1 where the grid has it in row 1.
        let e = second(&[0.0; 5], &[1, 0, 0, 0, 0, 0, 0, 0], &[1.0]);
        assert!(e.contains("`counts`"), "{e}");
        let e = second(&[0.0; 5], &[0, 0, 1, 0, 0, 0, 0, 0], &[1.0]);
        assert!(e.contains("`counts`"), "{e}");
        let fill = |g: &RefCell<Vec<f64>>, plane: &[f64], counts: &[u32], parts: u32| {
            err(split_fill(
                g,
                8,
                8,
                plane,
                counts,
                0,
                parts,
                &OneBand,
                &mut [0.0; 3],
            ))
        };
        let e = fill(&shared(8), &[0.0; 5], &counts, 1);
        assert!(e.contains("`grid`"), "{e}");
        let e = fill(&grid, &[0.0; 3], &counts, 1);
        assert!(e.contains("`plane`"), "{e}");
        let e = fill(&holed, &[0.0; 5], &counts[..3], 1);
        assert!(e.contains("`counts`"), "{e}");
        let e = fill(&holed, &[0.0; 5], &[0, 9, 0, 0, 0, 0, 0, 0], 1);
        assert!(e.contains("`counts`"), "{e}");
        let e = fill(&grid, &[0.0; 5], &counts, 9);
        assert!(
            e.contains("`parts` must be at most ny = 8, received 9"),
            "{e}"
        );
        // A bad column step: the operator, its parameters, dx_km and the derivative.
        let columns = |op: &str, params: &[f64], dx_km: f64, derivative: i32| {
            split_columns(
                &spectrum,
                &shared(0),
                8,
                8,
                dx_km,
                1.0,
                op,
                params,
                derivative,
                1,
                2,
            )
            .unwrap_err()
            .to_string()
        };
        let e = columns("tilt", &[], 1.0, -1);
        assert!(e.contains("`kept`"), "{e}");
        let e = columns("upward", &[1.0], 1.0, 0);
        assert!(e.contains("`derivative` must be -1 for"), "{e}");
        let e = columns("upward", &[1.0], 0.0, -1);
        assert!(e.contains("dx_km"), "{e}");
        let inverse = |plane: &[f64], g: &RefCell<Vec<f64>>| {
            err(split_inverse(
                &spectrum,
                &shared(0),
                g,
                8,
                8,
                "upward",
                &[1.0],
                plane,
                false,
                -1,
                0,
                2,
                |_| {},
            ))
        };
        let e = inverse(&[1.0], &grid);
        assert!(e.contains("`plane`"), "{e}");
        let e = inverse(&[0.0; 5], &shared(3));
        assert!(e.contains("`grid`"), "{e}");
        let e = err(split_rows(
            &RefCell::new(vec![f64::NAN; 64]),
            &spectrum,
            &[],
            &[],
            &[],
            8,
            8,
            0,
            1,
        ));
        assert!(e.contains("no valid"), "{e}");
        let e = fill(&RefCell::new(vec![f64::NAN; 64]), &[0.0; 5], &[8; 8], 1);
        assert!(e.contains("no valid"), "{e}");
    }

    #[test]
    fn the_exports_chained_equal_fft_filter_in_place_over_the_grid() {
        let (nx, ny) = (97u32, 90u32);
        let mut g: Vec<f64> = (0..nx * ny)
            .map(|k| ((k % nx) as f64 * 0.4).sin() + (k / nx) as f64 * 0.1)
            .collect();
        for holes in [false, true] {
            if holes {
                g[30] = f64::NAN;
                g[5000] = f64::NAN;
            }
            for (op, params) in [("upward", vec![500.0]), ("tilt", vec![])] {
                let mut want_end = [0.0; 3];
                let want = crate::boundary::filters::fft_filter(
                    &g,
                    nx,
                    ny,
                    1.0,
                    2.0,
                    op,
                    &params,
                    &mut want_end,
                )
                .unwrap();
                let lay = fft_split_layout(nx, ny, 1).unwrap();
                let (ny2, nc) = (lay[1] as usize, lay[2] as usize);
                let kept_rows = if op == "tilt" { ny as usize } else { 0 };
                for parts in [1u32, 2, 3] {
                    let grid = RefCell::new(g.clone());
                    let spectrum = shared(2 * ny2 * nc);
                    let kept = shared(2 * kept_rows * nc);
                    let rows = |plane: &[f64], counts: &[u32], fill: &[f64]| -> Vec<Box<[f64]>> {
                        (0..parts)
                            .map(|k| {
                                split_rows(&grid, &spectrum, plane, counts, fill, nx, ny, k, parts)
                                    .unwrap()
                            })
                            .collect()
                    };
                    let heads = rows(&[], &[], &[]);
                    // The statistics blocks follow the head, and the counts when not written.
                    let mut blocks_at = 7;
                    let plane = heads[0][..5].to_vec();
                    if holes {
                        // Nothing written without the fill: the counts, the fill, then the
                        // step again, given the plane and counts.
                        assert!(heads.iter().all(|h| h[5] == 2.0 && h[6] == 0.0), "no fill");
                        assert!(
                            spectrum.borrow().iter().all(|&v| v == 0.0),
                            "nothing written"
                        );
                        let counts: Vec<u32> = heads[0][7..7 + ny as usize]
                            .iter()
                            .map(|&c| c as u32)
                            .collect();
                        let mut want_counts = vec![0; ny as usize];
                        want_counts[0] = 1;
                        want_counts[5000 / nx as usize] = 1;
                        assert_eq!(counts, want_counts, "the holes of each row");
                        let (fill, end) =
                            fill_in_bands(&grid.borrow(), nx, ny, &plane, &counts, parts);
                        assert_eq!(fill.len(), 2, "one value per hole");
                        // The sweeps ended as the whole grid's fill did.
                        assert!(
                            want_end[0] >= 1.0 && want_end[1] < want_end[2],
                            "{want_end:?}"
                        );
                        assert!(
                            same_bits_or_nan(&end, &want_end),
                            "{end:?} against {want_end:?}"
                        );
                        let again = rows(&plane, &counts, &fill);
                        assert!(
                            again
                                .iter()
                                .all(|h| h[..] == [&plane[..], &[2.0, 1.0]].concat()),
                            "written, the same plane, no statistics blocks"
                        );
                        blocks_at += ny as usize;
                    } else {
                        let counts = vec![0; ny as usize];
                        let (fill, end) =
                            fill_in_bands(&grid.borrow(), nx, ny, &plane, &counts, parts);
                        assert!(fill.is_empty() && end == [0.0; 3] && want_end == [0.0; 3]);
                        assert_eq!(heads[0][5], 0.0, "holes");
                        assert_eq!(heads[0][6], 1.0, "written");
                    }
                    assert!(
                        heads
                            .iter()
                            .all(|h| h[..blocks_at] == heads[0][..blocks_at]),
                        "the same plane and counts"
                    );
                    // Each part's input blocks are those of its data rows.
                    for (k, h) in heads.iter().enumerate() {
                        let r = part(ny as usize, parts as usize, k);
                        let cells = &g[r.start * nx as usize..r.end * nx as usize];
                        let want =
                            crate::block_statistics::block_summaries(cells, r.start * nx as usize);
                        assert_eq!(
                            h[blocks_at..].to_vec(),
                            want,
                            "{op}: input blocks of part {k}"
                        );
                    }
                    let columns = |derivative: i32| {
                        for p in 0..parts {
                            let (spectrum, kept) = (&spectrum, &kept);
                            let params = &params;
                            split_columns(
                                spectrum, kept, nx, ny, 1.0, 2.0, op, params, derivative, p, parts,
                            )
                            .unwrap();
                        }
                    };
                    let mut blocks = Vec::new();
                    let inverse = |derivative: i32, blocks: &mut Vec<Box<[f64]>>| {
                        blocks.clear();
                        for q in 0..parts {
                            let mut reports = Vec::new();
                            blocks.push(
                                split_inverse(
                                    &spectrum,
                                    &kept,
                                    &grid,
                                    nx,
                                    ny,
                                    op,
                                    &params,
                                    &heads[0][..5],
                                    holes,
                                    derivative,
                                    q,
                                    parts,
                                    |rows| reports.push(rows),
                                )
                                .unwrap(),
                            );
                            let n = part(ny as usize, parts as usize, q as usize).len();
                            let last = derivative == -1 || derivative == 2;
                            let want = if last { Some(&n) } else { None };
                            assert_eq!(reports.last(), want, "{op}: the last report");
                        }
                    };
                    columns(-1);
                    if op == "tilt" {
                        for t in 0..3 {
                            columns(t);
                            inverse(t, &mut blocks);
                        }
                    } else {
                        inverse(-1, &mut blocks);
                    }
                    let got = grid.into_inner();
                    assert!(
                        same_bits_or_nan(&got, want.iter()),
                        "{op}, {parts} parts, holes {holes}"
                    );
                    // Each part's blocks are those of its cells in the whole result.
                    for (q, b) in blocks.iter().enumerate() {
                        let r = part(ny as usize, parts as usize, q);
                        let cells = &got[r.start * nx as usize..r.end * nx as usize];
                        let want =
                            crate::block_statistics::block_summaries(cells, r.start * nx as usize);
                        assert_eq!(b.to_vec(), want, "{op}: blocks of part {q}");
                    }
                }
            }
        }
    }
}

//! The pipeline of [`super::apply::fft_filter`] cut into stateless parts that several
//! WebAssembly instances (the worker pool's workers, which share no memory) run in
//! parallel, with results bit-identical to the one-call kernel. The grid, the half spectrum
//! and a derivative's kept rows live outside the parts (the caller's `SharedArrayBuffer`s,
//! which every worker reads and writes), and each part reads and writes them through the
//! caller's functions a row or a block of columns at a time, so no part holds more than a
//! few rows or one block of columns. Three steps:
//!
//! 1. [`rows_part`] (row part `k` of `parts`): the plane of the whole grid (its rows read
//!    once), then padded rows [`part`]`(ny2, parts, k)`, each data row detrended as it is
//!    read, r2c, each spectrum row written out. A grid with holes needs their Laplace-filled
//!    values first, computed once by [`hole_fill`] in bands of rows that run at the same
//!    time (the fill needs the whole grid; see [`super::fill_band`]): the parts put them
//!    into the rows they read.
//! 2. [`columns_part`] (column part `p`): blocks of [`CHUNK`] columns of
//!    [`part`]`(nc, parts, p)`, all `ny2` rows read, through a [`ColumnStage`]: a one-output
//!    operator's whole column stage ([`Fft2::column_range`]: transform along y, transfer
//!    function, inverse), its kept (data) rows written out; for total gradient and tilt the
//!    transform along y ([`Fft2::columns_forward_range`]), then, once per derivative, its
//!    transfer function and inverse ([`Fft2::columns_inverse_range`]).
//! 3. [`inverse_part`] (row part `q`): data rows [`part`]`(ny, parts, q)`, each kept row
//!    read, c2r along x, crop, plane added back when the operator passes DC, the row written
//!    out; for total gradient and tilt once per derivative, folded into the rows the one
//!    before wrote, as the one-call kernel does (the 2-D half spectrum and one derivative's
//!    kept rows at a time, not three). The caller restores the holes as NaN.
//!
//! Each row, column and cell goes through the same plan and the same arithmetic as in the
//! one-call kernel (the transforms of several rows or columns never mix), so only where the
//! work runs changes. Every row part fits the plane on the whole grid itself: one pass over
//! the grid, cheaper than a step of its own between the others.

use std::{cell::RefCell, ops::Range, rc::Rc};

use ndarray::{Array2, ArrayView1, ArrayView2, Zip};
use rustfft::num_complex::Complex64;

use super::{
    apply::{
        add_plane_row, check_args, detrend_row, fold_derivative, single_transfer, Multiplier, THREE,
    },
    detrend::{Plane, PlaneSums},
    fft2::Fft2,
    fill::FillEnd,
    fill_band::{fill_band, Exchange, OneBand},
    pad::{Layout, PaddedRows},
    transfer::Op,
    SpectralError,
};

/// Columns of the half spectrum per block of [`columns_part`] (128 columns of 4608 rows:
/// 9.4 MB): wide enough that the caller's copies move whole runs of 2 KB, small enough to
/// stay a fraction of a part's memory.
pub const CHUNK: usize = 128;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// Part `k` of `parts` of `0..n`: `n·k/parts .. n·(k+1)/parts` (sizes differ by at most 1).
pub fn part(n: usize, parts: usize, k: usize) -> Range<usize> {
    n * k / parts..n * (k + 1) / parts
}

/// The number of outputs the column stage of `op` produces: 3 for total gradient and tilt
/// (the x, y and vertical derivatives), else 1.
pub fn outputs(op: &Op) -> usize {
    if single_transfer(op).is_some() {
        1
    } else {
        THREE.len()
    }
}

thread_local! {
    /// The plans of the last padded size (a worker's instance runs one grid's pieces in turn).
    static PLANS: RefCell<Option<Rc<Fft2>>> = const { RefCell::new(None) };
}

/// The plans for `l`, planned once per padded size in this instance.
fn plans(l: &Layout) -> Rc<Fft2> {
    PLANS.with(|cell| {
        let mut cell = cell.borrow_mut();
        match &*cell {
            Some(f) if f.nc() == l.nx2 / 2 + 1 && f.ny2() == l.ny2 && f.nx2() == l.nx2 => f.clone(),
            _ => {
                let f = Rc::new(Fft2::new(l.nx2, l.ny2));
                *cell = Some(f.clone());
                f
            }
        }
    })
}

/// Band `band` of `bands` of the values of the holes of an `nx × ny` grid (NaN cells) after
/// `plane` is removed and they are Laplace-filled, in row-major order: the fill a grid with
/// holes needs before [`rows_part`] writes its rows. `plane` and `counts` (the holes of each
/// row) are what [`rows_part`] returned ([`RowStep::Holes`]). The fill needs the whole grid;
/// every band runs at the same time on its own worker over one `exchange`
/// ([`super::fill_band`]), and the bands' values one after another are the whole grid's
/// (the same bits as one band). `read_row(i, row)` copies data row `i` out (`nx` values).
/// With the values, how the sweeps ended ([`fill_band`]'s, `None` without holes).
///
/// # Errors
/// [`SpectralError::AllNan`] when no cell is valid; [`SpectralError::BadCounts`] when
/// `counts` is not `ny` long or a count exceeds `nx`; `Cancelled` when the job is cancelled.
///
/// # Panics
/// As [`fill_band`].
#[allow(clippy::too_many_arguments)]
pub fn hole_fill(
    nx: usize,
    ny: usize,
    plane: &Plane,
    counts: &[usize],
    band: usize,
    bands: usize,
    mut read_row: impl FnMut(usize, &mut [f64]),
    exchange: &impl Exchange,
) -> Result<(Vec<f64>, Option<FillEnd>), SpectralError> {
    check_args(nx, ny, nx * ny, 1.0, 1.0)?;
    check_counts(nx, ny, counts)?;
    let rows = |i: usize, out: &mut [f64]| {
        read_row(i, out);
        detrend_row(out, i, plane);
    };
    fill_band(nx, ny, counts, band, bands, rows, exchange)
}

/// `counts` holds a number of holes from 0 to `nx` for each of the `ny` rows.
fn check_counts(nx: usize, ny: usize, counts: &[usize]) -> Result<(), SpectralError> {
    if counts.len() != ny || counts.iter().any(|&c| c > nx) {
        return Err(SpectralError::BadCounts { ny });
    }
    Ok(())
}

/// What [`rows_part`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum RowStep {
    /// The part's rows of the row spectrum are written.
    Written {
        /// The plane removed from the grid.
        plane: Plane,
        /// The number of holes (NaN cells) of the grid.
        holes: usize,
    },
    /// The grid has holes and no fill was given: nothing is written. The caller fills the
    /// holes ([`hole_fill`]) with this plane and these counts, then runs the step again
    /// with [`Filled`].
    Holes {
        /// The plane removed from the grid.
        plane: Plane,
        /// The number of holes of each data row.
        counts: Vec<usize>,
    },
}

/// What the second run of [`rows_part`] on a grid with holes is given: the first run's
/// plane and counts ([`RowStep::Holes`]) and the filled values of the holes in row-major
/// order ([`hole_fill`]'s bands one after another). With them the step does not read the
/// whole grid again.
#[derive(Debug, Clone, Copy)]
pub struct Filled<'a> {
    /// The plane of the first run.
    pub plane: Plane,
    /// The holes of each data row, from the first run.
    pub counts: &'a [usize],
    /// One value per hole.
    pub values: &'a [f64],
}

/// Step 1 for row part `k` of `parts` of an `nx × ny` grid (NaN = hole) whose data rows
/// `read_row(i, row)` copies out (`nx` values): without `filled`, fits the plane (reading
/// every row in order, each shown to `seen(i, row)` once: for the caller's own measures of
/// the input) and counts the holes of each row; then, unless the grid has holes and
/// `filled` is `None` ([`RowStep::Holes`]: the caller fills them, then runs the step again
/// with [`Filled`], which skips that whole-grid pass and `seen`), hands each of the part's
/// padded rows' spectra (`nc = nx2 / 2 + 1` values) to `write_row(r, spectrum)`, `r` in
/// [`part`]`(ny2, parts, k)`, each data row detrended as it is read and its holes set to
/// the filled values.
///
/// # Errors
/// [`SpectralError::AllNan`] when no cell is valid, [`SpectralError::BadShape`] when the
/// filled values are not one per counted hole, [`SpectralError::BadCounts`] when the counts
/// are not one per row, at most `nx` each, or not the grid's holes (found as the rows are
/// read: the rows written so far are then not to be used), `Cancelled` when the job is
/// cancelled.
#[allow(clippy::too_many_arguments)]
pub fn rows_part(
    nx: usize,
    ny: usize,
    k: usize,
    parts: usize,
    filled: Option<Filled<'_>>,
    mut read_row: impl FnMut(usize, &mut [f64]),
    mut seen: impl FnMut(usize, &[f64]),
    mut write_row: impl FnMut(usize, &[Complex64]),
) -> Result<RowStep, SpectralError> {
    check_args(nx, ny, nx * ny, 1.0, 1.0)?;
    // The counts this run found (without `filled`), which `counts` then borrows.
    let found: Vec<usize>;
    let (plane, counts, fill) = match filled {
        Some(f) => {
            check_counts(nx, ny, f.counts)?;
            let holes: usize = f.counts.iter().sum();
            if f.values.len() != holes {
                let len = f.values.len();
                return Err(SpectralError::BadShape { nx, ny, len });
            }
            (f.plane, f.counts, f.values)
        }
        None => {
            let mut data = vec![0.0; nx];
            let mut sums = PlaneSums::new(nx, ny);
            let mut counts = Vec::with_capacity(ny);
            for i in 0..ny {
                crate::cancel::check()?;
                read_row(i, &mut data);
                seen(i, &data);
                sums.add_row(i, ArrayView1::from(&data));
                counts.push(data.iter().filter(|v| v.is_nan()).count());
            }
            let (plane, valid) = sums.finish().ok_or(SpectralError::AllNan)?;
            if valid < nx * ny {
                return Ok(RowStep::Holes { plane, counts });
            }
            found = counts;
            (plane, &found[..], &[][..])
        }
    };
    // Where each row's holes start in `fill`.
    let first_hole: Vec<usize> = std::iter::once(0)
        .chain(counts.iter().scan(0, |at, &c| {
            *at += c;
            Some(*at)
        }))
        .collect();
    let l = Layout::new(nx, ny);
    let fft = plans(&l);
    let mut row = vec![0.0; l.nx2];
    let mut full = vec![ZERO; fft.nc()];
    let mut scratch = fft.row_scratch();
    // Counts that are not the grid's holes (a caller's mistake) are found here, row by row.
    let wrong = std::cell::Cell::new(false);
    let with_fill = |i: usize, out: &mut [f64]| {
        read_row(i, out);
        detrend_row(out, i, &plane);
        let mut values = fill[first_hole[i]..first_hole[i + 1]].iter();
        for v in out.iter_mut().filter(|v| v.is_nan()) {
            match values.next() {
                Some(&f) => *v = f,
                None => wrong.set(true),
            }
        }
        if values.next().is_some() {
            wrong.set(true);
        }
    };
    let mut padded = PaddedRows::with_rows(with_fill, &l);
    for r in part(l.ny2, parts, k) {
        crate::cancel::check()?;
        padded.fill(r, &mut row);
        if wrong.get() {
            return Err(SpectralError::BadCounts { ny });
        }
        fft.forward_row(&mut row, &mut full, &mut scratch);
        write_row(r, &full);
    }
    Ok(RowStep::Written {
        plane,
        holes: first_hole[ny],
    })
}

/// What a column step ([`columns_part`]) does to its columns of the half spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnStage {
    /// A one-output operator's whole column stage (transform along y, transfer function,
    /// back): the kept rows are the output.
    Whole,
    /// Total gradient and tilt, first: the transform along y only; all `ny2` rows out (the
    /// 2-D half spectrum, which the three derivatives start from).
    Forward,
    /// Total gradient and tilt, then once per derivative `t` (0, 1, 2: x, y, vertical), from
    /// the 2-D half spectrum: transfer function `t`, back along y; the kept rows are
    /// derivative `t`.
    Derivative(usize),
}

/// Step 2 for column part `p` of `parts` of the half spectrum of an `nx × ny` grid (layout
/// `l`, cell sizes `dx_km`, `dy_km`), [`CHUNK`] columns at a time: `read_block(cols, block)`
/// copies all `ny2` rows of columns `cols` of the spectrum into `block` (row-major,
/// `cols.len()` values per row); after `stage`, `write_block(cols, rows)` receives the rows
/// out: the `ny` kept (data) rows, data row 0 first, or for [`ColumnStage::Forward`] all
/// `ny2`.
///
/// # Errors
/// `Cancelled` when the job is cancelled.
///
/// # Panics
/// When `stage` does not fit `op` (a [`ColumnStage::Whole`] of total gradient or tilt, a
/// derivative of another operator).
#[allow(clippy::too_many_arguments)]
pub fn columns_part(
    l: &Layout,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    stage: ColumnStage,
    p: usize,
    parts: usize,
    mut read_block: impl FnMut(Range<usize>, &mut [Complex64]),
    mut write_block: impl FnMut(Range<usize>, &[Complex64]),
) -> Result<(), SpectralError> {
    let fft = plans(l);
    let cols = part(fft.nc(), parts, p);
    let transfers = match (single_transfer(op), stage) {
        (Some(t), ColumnStage::Whole) => vec![t],
        (None, ColumnStage::Forward | ColumnStage::Derivative(0..=2)) => THREE.to_vec(),
        _ => panic!("column stage {stage:?} of {op:?}"),
    };
    let mut mult = Multiplier::new(&transfers, l, dx_km, dy_km);
    let keep = l.bottom..l.bottom + l.ny;
    let most = CHUNK.min(cols.len());
    let mut block = vec![ZERO; l.ny2 * most];
    let mut kept = match stage {
        ColumnStage::Derivative(_) => vec![ZERO; l.ny * most],
        _ => Vec::new(),
    };
    for c0 in cols.clone().step_by(CHUNK) {
        let chunk = c0..(c0 + CHUNK).min(cols.end);
        let w = chunk.len();
        let block = &mut block[..l.ny2 * w];
        read_block(chunk.clone(), block);
        match stage {
            ColumnStage::Whole => {
                fft.column_range(block, w, c0, keep.clone(), |c, col| mult.apply(0, c, col))?;
                write_block(chunk, &block[keep.start * w..keep.end * w]);
            }
            ColumnStage::Forward => {
                fft.columns_forward_range(block, w)?;
                write_block(chunk, block);
            }
            ColumnStage::Derivative(t) => {
                let kept = &mut kept[..l.ny * w];
                fft.columns_inverse_range(block, kept, w, c0, keep.clone(), |c, col| {
                    mult.apply(t, c, col)
                })?;
                write_block(chunk, kept);
            }
        }
    }
    Ok(())
}

/// Step 3 for row part `q` of `parts`: data rows [`part`]`(ny, parts, q)` of the result
/// (layout `l`), each from the kept spectrum row `i` that `read_row(i, row)` copies out
/// (`nc` values): c2r, crop, `plane` added back when `op` passes DC (as
/// [`super::apply::fft_filter`]), handed to `write_row(i, values, last)` (`nx` values).
/// Total gradient and tilt run it once per derivative `t` (`fold`, from the kept rows of
/// [`ColumnStage::Derivative`]`(t)`) and fold each into the row written the time before,
/// which `read_acc(i, row)` copies back (x, then `√(x² + y²)`, then the result, as the
/// one-job kernel does; `last` on the third). Holes are not restored (the caller sets them
/// to NaN).
///
/// # Errors
/// `Cancelled` when the job is cancelled.
///
/// # Panics
/// When `fold` does not fit `op` (a derivative of a one-output operator, none of total
/// gradient or tilt).
#[allow(clippy::too_many_arguments)]
pub fn inverse_part(
    l: &Layout,
    op: &Op,
    plane: &Plane,
    fold: Option<usize>,
    q: usize,
    parts: usize,
    mut read_row: impl FnMut(usize, &mut [Complex64]),
    mut read_acc: impl FnMut(usize, &mut [f64]),
    mut write_row: impl FnMut(usize, &[f64], bool),
) -> Result<(), SpectralError> {
    let fft = plans(l);
    let single = single_transfer(op);
    assert_eq!(single.is_some(), fold.is_none(), "fold {fold:?} of {op:?}");
    let adds_plane = single.is_some_and(|t| t.passes_dc());
    let tilt = matches!(op, Op::Tilt);
    let mut spec = vec![ZERO; fft.nc()];
    let mut back = vec![0.0; l.nx2];
    let mut out = vec![0.0; l.nx];
    let mut scratch = fft.inverse_scratch();
    let crop = l.left..l.left + l.nx;
    for i in part(l.ny, parts, q) {
        crate::cancel::check()?;
        read_row(i, &mut spec);
        fft.inverse_row(&mut spec, &mut back, &mut scratch);
        match fold {
            None => {
                out.copy_from_slice(&back[crop.clone()]);
                if adds_plane {
                    add_plane_row(&mut out, i, plane);
                }
            }
            Some(t) => {
                if t > 0 {
                    read_acc(i, &mut out);
                }
                fold_derivative(t, tilt, &back[crop.clone()], &mut out);
            }
        }
        write_row(i, &out, fold.is_none_or(|t| t + 1 == THREE.len()));
    }
    Ok(())
}

/// The whole pipeline through the steps above, `parts` parts, in one call, over buffers
/// in memory laid out as the worker pool's shared ones: the spectrum `ny2 × nc` (a
/// one-output operator's kept rows written back into its rows `bottom..bottom + ny`), and
/// for total gradient and tilt one derivative's kept rows, `ny × nc` (tests compare it with
/// [`super::apply::fft_filter`]).
///
/// # Errors
/// As [`super::apply::fft_filter`].
pub fn fft_filter_in_parts(
    grid: ArrayView2<'_, f64>,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    parts: usize,
) -> Result<Array2<f64>, SpectralError> {
    let (ny, nx) = grid.dim();
    check_args(nx, ny, grid.len(), dx_km, dy_km)?;
    let grid = grid.as_standard_layout();
    let l = Layout::new(nx, ny);
    let nc = l.nx2 / 2 + 1;
    let spectrum = RefCell::new(vec![ZERO; l.ny2 * nc]);
    let data = |i: usize, out: &mut [f64]| {
        out.copy_from_slice(grid.row(i).as_slice().expect("standard layout"));
    };
    fn filled(known: &Option<(Plane, Vec<usize>, Vec<f64>)>) -> Option<Filled<'_>> {
        known.as_ref().map(|(plane, counts, values)| Filled {
            plane: *plane,
            counts,
            values,
        })
    }
    let mut plane = None;
    // The first run's plane and counts, and the fill (once, one band), for the later parts.
    let mut known: Option<(Plane, Vec<usize>, Vec<f64>)> = None;
    for k in 0..parts {
        let write = |r: usize, s: &[Complex64]| {
            spectrum.borrow_mut()[r * nc..(r + 1) * nc].copy_from_slice(s);
        };
        let mut done = rows_part(nx, ny, k, parts, filled(&known), data, |_, _| {}, write)?;
        if let RowStep::Holes { plane, counts } = done {
            let (values, _) = hole_fill(nx, ny, &plane, &counts, 0, 1, data, &OneBand)?;
            known = Some((plane, counts, values));
            done = rows_part(nx, ny, k, parts, filled(&known), data, |_, _| {}, write)?;
        }
        let RowStep::Written { plane: p, .. } = done else {
            unreachable!("a step given the fill writes its rows")
        };
        plane = Some(p);
    }
    let plane = plane.expect("parts >= 1 and the fill given");
    // Column steps over the spectrum (`into`: the kept rows of a derivative, else the
    // spectrum itself, from padded row `row0`).
    let kept = RefCell::new(vec![ZERO; ny * nc]);
    let columns = |stage: ColumnStage| -> Result<(), SpectralError> {
        for p in 0..parts {
            columns_part(
                &l,
                dx_km,
                dy_km,
                op,
                stage,
                p,
                parts,
                |cols, block| {
                    let s = spectrum.borrow();
                    for (r, dst) in block.chunks_exact_mut(cols.len()).enumerate() {
                        dst.copy_from_slice(&s[r * nc + cols.start..r * nc + cols.end]);
                    }
                },
                |cols, rows| {
                    let (mut s, mut k) = (spectrum.borrow_mut(), kept.borrow_mut());
                    let (dst, row0) = match stage {
                        ColumnStage::Whole => (&mut s[..], l.bottom),
                        ColumnStage::Forward => (&mut s[..], 0),
                        ColumnStage::Derivative(_) => (&mut k[..], 0),
                    };
                    for (i, src) in rows.chunks_exact(cols.len()).enumerate() {
                        let at = (row0 + i) * nc;
                        dst[at + cols.start..at + cols.end].copy_from_slice(src);
                    }
                },
            )?;
        }
        Ok(())
    };
    let out = RefCell::new(Array2::zeros((ny, nx)));
    let inverse = |fold: Option<usize>| -> Result<(), SpectralError> {
        let (src, row0) = match fold {
            None => (spectrum.borrow(), l.bottom),
            Some(_) => (kept.borrow(), 0),
        };
        for q in 0..parts {
            inverse_part(
                &l,
                op,
                &plane,
                fold,
                q,
                parts,
                |i, row| row.copy_from_slice(&src[(row0 + i) * nc..(row0 + i + 1) * nc]),
                |i, row| row.copy_from_slice(out.borrow().row(i).as_slice().expect("rows")),
                |i, values, _| {
                    out.borrow_mut()
                        .row_mut(i)
                        .as_slice_mut()
                        .expect("standard layout")
                        .copy_from_slice(values);
                },
            )?;
        }
        Ok(())
    };
    if outputs(op) == 1 {
        columns(ColumnStage::Whole)?;
        inverse(None)?;
    } else {
        columns(ColumnStage::Forward)?;
        for t in 0..THREE.len() {
            columns(ColumnStage::Derivative(t))?;
            inverse(Some(t))?;
        }
    }
    let mut out = out.into_inner();
    Zip::from(&mut out).and(&grid).for_each(|o, &z| {
        if z.is_nan() {
            *o = f64::NAN;
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::apply::fft_filter;
    use crate::test_bits::same_bits_or_nan;

    fn grid(nx: usize, ny: usize) -> Array2<f64> {
        Array2::from_shape_fn((ny, nx), |(i, j)| {
            (j as f64 * 0.31).sin() * 4.0 + (i as f64 * 0.17).cos() * 3.0 + 0.02 * j as f64
                - 0.05 * i as f64
                + ((i * 7 + j * 13) % 5) as f64 * 0.1
        })
    }

    fn same_grid(a: &Array2<f64>, b: &Array2<f64>) -> bool {
        a.dim() == b.dim() && same_bits_or_nan(a.iter(), b.iter())
    }

    #[test]
    fn parts_are_contiguous_and_cover_the_range() {
        for (n, parts) in [(10, 3), (4608, 2), (7, 7), (5, 1)] {
            let mut next = 0;
            for k in 0..parts {
                let r = part(n, parts, k);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, n);
        }
    }

    #[test]
    fn the_parts_give_the_one_call_result_bit_for_bit() {
        let ops: [(&str, &[f64]); 8] = [
            ("bandpass-gaussian", &[30.0, 4.0]),
            ("bandpass-gaussian", &[0.0, 6.0]),
            ("bandpass-butterworth", &[30.0, 4.0, 2.0]),
            ("upward", &[2000.0]),
            ("derivative-x", &[]),
            ("total-gradient", &[]),
            ("tilt", &[]),
            ("rtp", &[35.0, -12.0]),
        ];
        // 300 columns: more than one block of CHUNK half-spectrum columns in a part.
        for (nx, ny) in [(64usize, 48usize), (37, 53), (5, 4), (300, 9)] {
            let mut g = grid(nx, ny);
            for holes in [false, true] {
                if holes {
                    g[[1, 2]] = f64::NAN;
                    g[[ny / 2, nx / 2]] = f64::NAN;
                    g[[ny / 2, nx / 2 + 1]] = f64::NAN;
                }
                for (name, params) in ops {
                    let op = Op::parse(name, params).unwrap();
                    let (want, _) = fft_filter(g.view(), 1.5, 2.0, &op).unwrap();
                    for parts in [1, 2, 3] {
                        let got = fft_filter_in_parts(g.view(), 1.5, 2.0, &op, parts).unwrap();
                        assert!(
                            same_grid(&got, &want),
                            "{name} on {nx}x{ny}, holes {holes}, {parts} parts"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_parts_compute_a_naive_2d_dft_filter() {
        // Upward continuation (real, even H) through 2 parts against a full complex 2-D DFT
        // of the detrended, extended grid, H applied, inverse DFT, crop, plane added back.
        let (nx, ny, h_km) = (12usize, 10usize, 3.0);
        let (dx, dy) = (1.5, 2.0);
        let z = grid(nx, ny);
        let l = Layout::new(nx, ny);
        let op = Op::parse("upward", &[h_km * 1000.0]).unwrap();
        let got = fft_filter_in_parts(z.view(), dx, dy, &op, 2).unwrap();
        let plane = crate::spectral::detrend::fit_plane(z.view()).unwrap();
        let resid = Zip::indexed(z.view()).map_collect(|(i, j), &v| v - plane.at(i, j));
        let pad = crate::spectral::pad::extend(resid.view(), &l);
        let (n1, n2) = (l.ny2, l.nx2);
        let tau = std::f64::consts::TAU;
        let e = |ph: f64| Complex64::new(ph.cos(), ph.sin());
        let mut spec = Array2::from_elem((n1, n2), Complex64::new(0.0, 0.0));
        for ((u, v), s) in spec.indexed_iter_mut() {
            for ((i, j), &x) in pad.indexed_iter() {
                *s += x * e(-tau * ((u * i) as f64 / n1 as f64 + (v * j) as f64 / n2 as f64));
            }
            let ky = crate::spectral::apply::fftfreq_k(u, n1, dy);
            let kx = crate::spectral::apply::fftfreq_k(v, n2, dx);
            *s *= (-(kx * kx + ky * ky).sqrt() * h_km).exp();
        }
        for i in 0..ny {
            for j in 0..nx {
                let (pi, pj) = (l.bottom + i, l.left + j);
                let mut back = Complex64::new(0.0, 0.0);
                for ((u, v), &s) in spec.indexed_iter() {
                    back +=
                        s * e(tau * ((u * pi) as f64 / n1 as f64 + (v * pj) as f64 / n2 as f64));
                }
                let want = back.re / (n1 * n2) as f64 + plane.at(i, j);
                assert!(
                    (got[[i, j]] - want).abs() < 1e-9,
                    "cell {i},{j}: {} against {want}",
                    got[[i, j]]
                );
            }
        }
    }
}

//! The pipeline of [`super::apply::fft_filter`] cut into stateless parts that several
//! WebAssembly instances (the worker pool's workers, which share no memory) run in
//! parallel, with results bit-identical to the one-call kernel. Three steps:
//!
//! 1. [`rows_part`] (row part `k` of `parts`, from the whole grid): plane, detrend, Laplace
//!    fill of the holes, then extension and r2c of padded rows [`part`]`(ny2, parts, k)`,
//!    cut into column slabs: slab `p` holds columns [`part`]`(nc, parts, p)` of those rows.
//! 2. [`columns_part`] (column part `p`): the slabs `p` of every row part stacked in row
//!    order (all `ny2` rows of its columns): the column stage of [`Fft2::columns`]
//!    (transform along y, transfer function(s), inverse), then only the kept (data) rows,
//!    cut into row pieces: piece `q` holds data rows [`part`]`(ny, parts, q)` of each output.
//! 3. [`inverse_part`] (row part `q`): the pieces `q` of every column part, in column order
//!    (whole rows): c2r along x, crop, total gradient or tilt combined, plane added back
//!    when the operator passes DC. The caller restores the holes as NaN.
//!
//! Each row, column and cell goes through the same plan and the same arithmetic as in the
//! one-call kernel (the transforms of several rows or columns never mix), so only where the
//! work runs changes. Between the steps the caller moves the row spectrum (`2 · ny2 · nc`
//! values) and the kept rows of the column results (`2 · outputs · ny · nc`): on 4096 × 4096
//! (padded 4608 × 4608) 170 MB and 151 MB. Every part fits the plane (and fills the holes)
//! on the whole grid itself: one pass, cheaper than moving the residual.
//!
//! Complex values travel as interleaved `re, im` pairs of `f64`.

use std::{cell::RefCell, ops::Range, rc::Rc};

use ndarray::{Array2, ArrayView2, Zip};
use rustfft::num_complex::Complex64;

use super::{
    apply::{
        add_plane_row, check_args, detrend_rows, gradient_combination, single_transfer, Multiplier,
        THREE,
    },
    detrend::{fit_plane_counted, Plane},
    fft2::Fft2,
    fill::laplace_fill,
    pad::{Layout, PaddedRows},
    transfer::Op,
    SpectralError,
};

// Copies between row buffers, each a function of its own called once per row (not inlined
// into the loops over the rows: see the note in `fft2.rs` on V8's first calls).

/// Interleaved `re, im` pairs seen as complex values, in place.
fn as_complex(v: &mut [f64]) -> &mut [Complex64] {
    assert!(v.len().is_multiple_of(2), "an even number of values");
    // SAFETY: `Complex<f64>` is `#[repr(C)]` with the two `f64` fields `re`, `im`: size 16,
    // alignment 8, the layout of `[f64; 2]`; the slice covers exactly `v`'s values and
    // borrows `v` mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<Complex64>(), v.len() / 2) }
}

/// Complex values to interleaved `re, im`.
#[inline(never)]
fn pack(src: &[Complex64], dst: &mut [f64]) {
    for (d, v) in dst.chunks_exact_mut(2).zip(src) {
        d[0] = v.re;
        d[1] = v.im;
    }
}

/// Interleaved `re, im` to complex values.
#[inline(never)]
fn unpack(src: &[f64], dst: &mut [Complex64]) {
    for (d, v) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *d = Complex64::new(v[0], v[1]);
    }
}

/// Part `k` of `parts` of `0..n`: `n·k/parts .. n·(k+1)/parts` (sizes differ by at most 1).
pub fn part(n: usize, parts: usize, k: usize) -> Range<usize> {
    n * k / parts..n * (k + 1) / parts
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

/// Step 1 for row part `k` of `parts`, from the whole grid (`ny` rows by `nx` columns,
/// NaN = hole; consumed: detrended and filled in place). Returns the plane, the number of
/// holes, and the column slabs of padded rows `part(ny2, parts, k)` one after the other:
/// slab `p` is `rows × part(nc, parts, p).len()` complex values, row-major, interleaved.
///
/// # Errors
/// [`SpectralError::AllNan`] when no cell is valid.
pub fn rows_part(
    mut grid: Array2<f64>,
    k: usize,
    parts: usize,
) -> Result<(Plane, usize, Vec<f64>), SpectralError> {
    let (ny, nx) = grid.dim();
    let (plane, valid) = fit_plane_counted(grid.view()).ok_or(SpectralError::AllNan)?;
    // `z - plane.at(i, j)` cell by cell, as `fft_filter`'s residual.
    detrend_rows(grid.view_mut(), &plane);
    let holes = if valid < grid.len() {
        laplace_fill(grid.view_mut()).len()
    } else {
        0
    };
    let l = Layout::new(nx, ny);
    let fft = plans(&l);
    let nc = fft.nc();
    let mine = part(l.ny2, parts, k);
    let nr = mine.len();
    let slabs: Vec<Range<usize>> = (0..parts).map(|p| part(nc, parts, p)).collect();
    let mut out = vec![0.0; 2 * nr * nc];
    let mut padded = PaddedRows::new(grid.view(), &l);
    let mut row = vec![0.0; l.nx2];
    let mut full = vec![Complex64::new(0.0, 0.0); nc];
    let mut scratch = fft.row_scratch();
    for (ri, r) in mine.enumerate() {
        crate::cancel::check()?;
        padded.fill(r, &mut row);
        fft.forward_row(&mut row, &mut full, &mut scratch);
        for cols in &slabs {
            // Slab `p` starts after the slabs before it: `nr` rows of their widths.
            let at = 2 * (nr * cols.start + ri * cols.len());
            pack(&full[cols.clone()], &mut out[at..at + 2 * cols.len()]);
        }
    }
    Ok((plane, holes, out))
}

/// Step 2: columns `part(nc, parts, p)` of the row spectrum, all `ny2` rows (`slab`: the
/// column slabs `p` of [`rows_part`]'s parts in row order; transformed in place), through
/// the column stage of [`Fft2::columns`] with `op`'s transfer function(s) for cell sizes
/// `dx_km`, `dy_km`. The result is the row pieces one after the other: piece `q` holds, for
/// each output `t` (3 for total gradient and tilt, else 1), data rows `part(ny, parts, q)` ×
/// the slab's columns, complex, row-major, interleaved. Returned as a buffer and the range
/// of it that holds them: with one output they are the kept rows of `slab` itself, in place.
///
/// # Errors
/// [`SpectralError::Cancelled`] when the job is cancelled.
///
/// # Panics
/// When `slab` does not hold `2 · ny2 · width` values.
pub fn columns_part(
    mut slab: Vec<f64>,
    l: &Layout,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    p: usize,
    parts: usize,
) -> Result<(Vec<f64>, Range<usize>), SpectralError> {
    let fft = plans(l);
    let cols = part(fft.nc(), parts, p);
    let w = cols.len();
    assert_eq!(slab.len(), 2 * l.ny2 * w, "column slab of {} x {w}", l.ny2);
    let transfers = match single_transfer(op) {
        Some(t) => vec![t],
        None => THREE.to_vec(),
    };
    let mut extra: Vec<Vec<Complex64>> = (1..transfers.len())
        .map(|_| vec![Complex64::new(0.0, 0.0); l.ny2 * w])
        .collect();
    let mut mult = Multiplier::new(&transfers, l, dx_km, dy_km);
    let keep = l.bottom..l.bottom + l.ny;
    fft.column_range(
        as_complex(&mut slab),
        w,
        cols.start,
        &mut extra,
        keep.clone(),
        |t, c, col| mult.apply(t, c, col),
    )?;
    if extra.is_empty() {
        // Row pieces in order are the kept rows in order.
        return Ok((slab, 2 * keep.start * w..2 * keep.end * w));
    }
    let mut out = vec![0.0; 2 * transfers.len() * l.ny * w];
    let mut at = 0;
    for q in 0..parts {
        for t in 0..transfers.len() {
            let s: &[Complex64] = if t == 0 {
                as_complex(&mut slab)
            } else {
                &extra[t - 1]
            };
            for i in part(l.ny, parts, q) {
                let r = l.bottom + i;
                pack(&s[r * w..(r + 1) * w], &mut out[at..at + 2 * w]);
                at += 2 * w;
            }
        }
    }
    let n = out.len();
    Ok((out, 0..n))
}

/// Step 2: data rows `part(ny, parts, q)` of the result, from `pieces` (the row pieces `q`
/// of [`columns_part`]'s parts in column order), `nx` values per row: c2r, crop, total
/// gradient or tilt combined, `plane` added back when `op` passes DC (as
/// [`super::apply::fft_filter`]). Holes are not restored (the caller sets them to NaN).
///
/// # Errors
/// [`SpectralError::Cancelled`] when the job is cancelled.
///
/// # Panics
/// When `pieces` does not hold `2 · outputs · rows · nc` values.
pub fn inverse_part(
    pieces: &[f64],
    l: &Layout,
    op: &Op,
    plane: &Plane,
    q: usize,
    parts: usize,
) -> Result<Vec<f64>, SpectralError> {
    let fft = plans(l);
    let nc = fft.nc();
    let rows = part(l.ny, parts, q);
    let nr = rows.len();
    let single = single_transfer(op);
    let outputs = if single.is_some() { 1 } else { 3 };
    assert_eq!(
        pieces.len(),
        2 * outputs * nr * nc,
        "row pieces of {nr} x {nc} x {outputs}"
    );
    let adds_plane = single.is_some_and(|t| t.passes_dc());
    let tilt = matches!(op, Op::Tilt);
    let mut out = Vec::with_capacity(nr * l.nx);
    let mut spec = vec![Complex64::new(0.0, 0.0); nc];
    let mut real = vec![vec![0.0; l.nx2]; outputs];
    let mut scratch = fft.inverse_scratch();
    for i in 0..nr {
        crate::cancel::check()?;
        for (t, back) in real.iter_mut().enumerate() {
            // Row i of output t: from each column part's piece (`outputs` blocks of
            // `nr × width`, after those of the parts before it).
            for p in 0..parts {
                let cols = part(nc, parts, p);
                let w = cols.len();
                let at = 2 * (outputs * nr * cols.start + (t * nr + i) * w);
                unpack(&pieces[at..at + 2 * w], &mut spec[cols]);
            }
            fft.inverse_row(&mut spec, back, &mut scratch);
        }
        let crop = l.left..l.left + l.nx;
        if outputs == 1 {
            let at = out.len();
            out.extend_from_slice(&real[0][crop]);
            if adds_plane {
                add_plane_row(&mut out[at..], rows.start + i, plane);
            }
        } else {
            let (x, y, z) = (
                &real[0][crop.clone()],
                &real[1][crop.clone()],
                &real[2][crop],
            );
            out.extend((0..l.nx).map(|j| gradient_combination(tilt, x[j], y[j], z[j])));
        }
    }
    Ok(out)
}

/// The whole pipeline through the pieces above, `parts` parts, in one call: what the worker
/// pool does across its workers (tests compare it with [`super::apply::fft_filter`]).
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
    let l = Layout::new(nx, ny);
    let nc = l.nx2 / 2 + 1;
    let outputs = if single_transfer(op).is_some() { 1 } else { 3 };
    let mut plane = None;
    let row_parts: Vec<Vec<f64>> = (0..parts)
        .map(|k| {
            let (pl, _, slabs) = rows_part(grid.to_owned(), k, parts)?;
            plane = Some(pl);
            Ok(slabs)
        })
        .collect::<Result<_, SpectralError>>()?;
    let plane = plane.expect("parts >= 1");
    let col_parts: Vec<Vec<f64>> = (0..parts)
        .map(|p| {
            let cols = part(nc, parts, p);
            let slab: Vec<f64> = (0..parts)
                .flat_map(|k| {
                    let nr = part(l.ny2, parts, k).len();
                    let base = 2 * nr * cols.start;
                    row_parts[k][base..base + 2 * nr * cols.len()]
                        .iter()
                        .copied()
                })
                .collect();
            let (buf, range) = columns_part(slab, &l, dx_km, dy_km, op, p, parts)?;
            Ok(buf[range].to_vec())
        })
        .collect::<Result<_, SpectralError>>()?;
    let mut out = Vec::with_capacity(nx * ny);
    for q in 0..parts {
        let rows = part(ny, parts, q);
        let pieces: Vec<f64> = (0..parts)
            .flat_map(|p| {
                let w = part(nc, parts, p).len();
                let base = 2 * outputs * w * rows.start;
                col_parts[p][base..base + 2 * outputs * w * rows.len()]
                    .iter()
                    .copied()
            })
            .collect();
        out.extend(inverse_part(&pieces, &l, op, &plane, q, parts)?);
    }
    let mut out = Array2::from_shape_vec((ny, nx), out).expect("ny rows of nx values");
    Zip::from(&mut out).and(grid).for_each(|o, &z| {
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

    fn grid(nx: usize, ny: usize) -> Array2<f64> {
        Array2::from_shape_fn((ny, nx), |(i, j)| {
            (j as f64 * 0.31).sin() * 4.0 + (i as f64 * 0.17).cos() * 3.0 + 0.02 * j as f64
                - 0.05 * i as f64
                + ((i * 7 + j * 13) % 5) as f64 * 0.1
        })
    }

    fn same_bits(a: &Array2<f64>, b: &Array2<f64>) -> bool {
        a.dim() == b.dim()
            && a.iter()
                .zip(b.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
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
        for (nx, ny) in [(64usize, 48usize), (37, 53), (5, 4)] {
            let mut g = grid(nx, ny);
            for holes in [false, true] {
                if holes {
                    g[[1, 2]] = f64::NAN;
                    g[[ny / 2, nx / 2]] = f64::NAN;
                    g[[ny / 2, nx / 2 + 1]] = f64::NAN;
                }
                for (name, params) in ops {
                    let op = Op::parse(name, params).unwrap();
                    let want = fft_filter(g.view(), 1.5, 2.0, &op).unwrap();
                    for parts in [1, 2, 3] {
                        let got = fft_filter_in_parts(g.view(), 1.5, 2.0, &op, parts).unwrap();
                        assert!(
                            same_bits(&got, &want),
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

//! The pipeline of [`super::apply::fft_filter`] cut into stateless pieces that several
//! WebAssembly instances (the worker pool's workers, which share no memory) run in
//! parallel, with results bit-identical to the one-call kernel:
//!
//! 1. [`prepare`] (one call, whole grid): the plane; when the grid has NaN cells, also the
//!    filled residual and the holes (the Laplace fill is a global iteration).
//! 2. [`forward_part`] (part `k` of `parts`): padded rows [`part`]`(ny2, parts, k)`, made
//!    from the data rows [`Layout::data_rows`] of them, detrended here when [`prepare`]
//!    returned no residual, r2c along x; the result is cut into column slabs, one per
//!    part: slab `p` holds columns [`part`]`(nc, parts, p)` of those rows.
//! 3. [`columns_part`] (part `p`): the column slabs `p` of every row part, stacked in row
//!    order (the whole `ny2` rows of columns `part(nc, parts, p)`): transform along y,
//!    transfer function(s), inverse along y, then only the kept (data) rows, cut into row
//!    pieces: piece `q` holds data rows [`part`]`(ny, parts, q)` of each output.
//! 4. [`inverse_part`] (part `q`): the pieces `q` of every column part, in column order
//!    (whole rows): c2r along x, crop, total gradient or tilt combined, plane added back
//!    when the operator passes DC. The caller restores the holes as NaN.
//!
//! Each row, column and cell goes through the same plan and the same arithmetic as in the
//! one-call kernel (the transforms of several rows or columns never mix), so only where the
//! work runs changes. Between pieces the caller moves 2 × `ny2` × `nc` values (16 bytes per
//! complex value), once after the row stage and (for the kept rows) once after the column
//! stage: on 4096 × 4096 (padded 4608 × 4608) 170 MB and 151 MB.
//!
//! Complex values travel as interleaved `re, im` pairs of `f64`.

use std::{cell::RefCell, ops::Range, rc::Rc};

use ndarray::{Array2, ArrayView2, Zip};
use rustfft::num_complex::Complex64;

use super::{
    apply::{check_args, gradient_combination, single_transfer, Multiplier, THREE},
    detrend::{fit_plane_counted, Plane},
    fft2::Fft2,
    fill::laplace_fill,
    pad::{Layout, PaddedRows},
    transfer::Op,
    SpectralError,
};

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

/// What [`prepare`] returns.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The plane removed before the transform.
    pub plane: Plane,
    /// `(row, column)` of the NaN cells, row-major order (empty for a NaN-free grid).
    pub holes: Vec<(usize, usize)>,
    /// The detrended grid with its holes filled, when there are holes; `None` for a NaN-free
    /// grid, whose rows [`forward_part`] detrends itself.
    pub residual: Option<Array2<f64>>,
}

/// Step 1: the plane of `grid` and, when it has NaN cells, the filled residual.
///
/// # Errors
/// [`SpectralError::AllNan`] when no cell is valid.
pub fn prepare(grid: ArrayView2<'_, f64>) -> Result<Prepared, SpectralError> {
    let (plane, valid) = fit_plane_counted(grid).ok_or(SpectralError::AllNan)?;
    if valid == grid.len() {
        return Ok(Prepared {
            plane,
            holes: Vec::new(),
            residual: None,
        });
    }
    let mut resid = Zip::indexed(grid).map_collect(|(i, j), &z| z - plane.at(i, j));
    let holes = laplace_fill(resid.view_mut());
    Ok(Prepared {
        plane,
        holes,
        residual: Some(resid),
    })
}

/// Step 2: r2c of padded rows `part(ny2, parts, k)` of the grid laid out by `l`, from `rows`
/// (data rows `row0..row0 + rows.nrows()`, which must hold `l.data_rows(..)` of them), less
/// `plane` when given (`None`: `rows` are [`Prepared::residual`] rows). Returns `parts` column
/// slabs one after the other: slab `p` is `rows × part(nc, parts, p).len()` complex values,
/// row-major, interleaved.
pub fn forward_part(
    rows: ArrayView2<'_, f64>,
    row0: usize,
    plane: Option<&Plane>,
    l: &Layout,
    k: usize,
    parts: usize,
) -> Vec<f64> {
    let detrended;
    let z = match plane {
        Some(p) => {
            detrended = Zip::indexed(rows).map_collect(|(i, j), &z| z - p.at(row0 + i, j));
            detrended.view()
        }
        None => rows,
    };
    let fft = plans(l);
    let nc = fft.nc();
    let my_rows = part(l.ny2, parts, k);
    let nr = my_rows.len();
    let mut padded = PaddedRows::from_rows(z, row0, l);
    let mut row = vec![0.0; l.nx2];
    let mut spec = vec![Complex64::new(0.0, 0.0); nc];
    let mut scratch = fft.row_scratch();
    let mut out = vec![0.0; 2 * nr * nc];
    let slabs: Vec<Range<usize>> = (0..parts).map(|p| part(nc, parts, p)).collect();
    for (ri, r) in my_rows.enumerate() {
        padded.fill(r, &mut row);
        fft.forward_row(&mut row, &mut spec, &mut scratch);
        for cols in &slabs {
            // Slab `p` starts after the slabs before it: `nr` rows of their widths.
            let base = 2 * (nr * cols.start + ri * cols.len());
            for (d, v) in out[base..base + 2 * cols.len()]
                .chunks_exact_mut(2)
                .zip(&spec[cols.clone()])
            {
                d[0] = v.re;
                d[1] = v.im;
            }
        }
    }
    out
}

/// Step 3: columns `part(nc, parts, p)` of the row spectrum, all `ny2` rows (`slab`: the
/// column slabs `p` of [`forward_part`]'s parts in row order), through the column stage of
/// [`Fft2::columns`] with `op`'s transfer function(s) for cell sizes `dx_km`, `dy_km`.
/// Returns `parts` row pieces one after the other: piece `q` holds, for each output `t` (3
/// for total gradient and tilt, else 1), data rows `part(ny, parts, q)` × the slab's
/// columns, complex, row-major, interleaved.
///
/// # Panics
/// When `slab` does not hold `2 · ny2 · width` values.
#[allow(clippy::too_many_arguments)]
pub fn columns_part(
    slab: &[f64],
    l: &Layout,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    p: usize,
    parts: usize,
) -> Vec<f64> {
    let fft = plans(l);
    let cols = part(fft.nc(), parts, p);
    let w = cols.len();
    assert_eq!(slab.len(), 2 * l.ny2 * w, "column slab of {} x {w}", l.ny2);
    let mut spec: Vec<Complex64> = slab
        .chunks_exact(2)
        .map(|v| Complex64::new(v[0], v[1]))
        .collect();
    let single = single_transfer(op);
    let transfers = match single {
        Some(t) => vec![t],
        None => THREE.to_vec(),
    };
    let mut extra: Vec<Vec<Complex64>> = (1..transfers.len())
        .map(|_| vec![Complex64::new(0.0, 0.0); spec.len()])
        .collect();
    let mut mult = Multiplier::new(&transfers, l, dx_km, dy_km);
    let keep = l.bottom..l.bottom + l.ny;
    fft.column_range(&mut spec, w, cols.start, &mut extra, keep, |t, c, col| {
        mult.apply(t, c, col)
    });
    let mut out = Vec::with_capacity(2 * transfers.len() * l.ny * w);
    for q in 0..parts {
        for s in std::iter::once(&spec).chain(extra.iter()) {
            for i in part(l.ny, parts, q) {
                let r = l.bottom + i;
                for v in &s[r * w..(r + 1) * w] {
                    out.push(v.re);
                    out.push(v.im);
                }
            }
        }
    }
    out
}

/// Step 4: data rows `part(ny, parts, q)` of the result, from `pieces` (the row pieces `q`
/// of [`columns_part`]'s parts in column order), `nx` values per row: c2r, crop, total
/// gradient or tilt combined, `plane` added back when `op` passes DC (as
/// [`super::apply::fft_filter`]). Holes are not restored (the caller sets them to NaN).
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
) -> Vec<f64> {
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
    let mut results = Vec::with_capacity(outputs);
    let mut spec = vec![Complex64::new(0.0, 0.0); nr * nc];
    for t in 0..outputs {
        // Piece of column part `p`: `outputs` blocks of `nr × width`, after those of the
        // parts before it.
        for p in 0..parts {
            let cols = part(nc, parts, p);
            let w = cols.len();
            let base = 2 * (outputs * nr * cols.start + t * nr * w);
            let block = &pieces[base..base + 2 * nr * w];
            for (i, src) in block.chunks_exact(2 * w).enumerate() {
                for (d, v) in spec[i * nc + cols.start..i * nc + cols.end]
                    .iter_mut()
                    .zip(src.chunks_exact(2))
                {
                    *d = Complex64::new(v[0], v[1]);
                }
            }
        }
        let mut out = Vec::with_capacity(nr * l.nx);
        fft.inverse_rows(&mut spec, 0..nr, |_, row| {
            out.extend_from_slice(&row[l.left..l.left + l.nx]);
        });
        results.push(out);
    }
    match single {
        Some(t) => {
            let mut out = results.pop().expect("one output");
            if t.passes_dc() {
                for (i, row) in out.chunks_exact_mut(l.nx).enumerate() {
                    for (j, o) in row.iter_mut().enumerate() {
                        *o += plane.at(rows.start + i, j);
                    }
                }
            }
            out
        }
        None => {
            let tilt = matches!(op, Op::Tilt);
            let (x, y, z) = (&results[0], &results[1], &results[2]);
            (0..x.len())
                .map(|k| gradient_combination(tilt, x[k], y[k], z[k]))
                .collect()
        }
    }
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
    let prep = prepare(grid)?;
    let source = prep.residual.as_ref().map_or(grid, |r| r.view());
    let plane = prep.residual.is_none().then_some(&prep.plane);
    let row_parts: Vec<Vec<f64>> = (0..parts)
        .map(|k| {
            let d = l.data_rows(part(l.ny2, parts, k));
            let rows = source.slice(ndarray::s![d.clone(), ..]);
            forward_part(rows, d.start, plane, &l, k, parts)
        })
        .collect();
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
            columns_part(&slab, &l, dx_km, dy_km, op, p, parts)
        })
        .collect();
    let outputs = if single_transfer(op).is_some() { 1 } else { 3 };
    let mut out = Vec::with_capacity(nx * ny);
    for q in 0..parts {
        let nr = part(ny, parts, q).len();
        let pieces: Vec<f64> = (0..parts)
            .flat_map(|p| {
                let w = part(nc, parts, p).len();
                let base = 2 * outputs * w * part(ny, parts, q).start;
                col_parts[p][base..base + 2 * outputs * w * nr]
                    .iter()
                    .copied()
            })
            .collect();
        out.extend(inverse_part(&pieces, &l, op, &prep.plane, q, parts));
    }
    let mut out = Array2::from_shape_vec((ny, nx), out).expect("ny rows of nx values");
    for &k in &prep.holes {
        out[k] = f64::NAN;
    }
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
    fn data_rows_cover_what_padded_rows_read() {
        for (nx, ny) in [(20usize, 18usize), (7, 3), (33, 41)] {
            let l = Layout::new(nx, ny);
            for parts in [1, 2, 3] {
                for k in 0..parts {
                    let d = l.data_rows(part(l.ny2, parts, k));
                    let z = grid(nx, ny);
                    let full = PaddedRows::new(z.view(), &l);
                    let mut some =
                        PaddedRows::from_rows(z.slice(ndarray::s![d.clone(), ..]), d.start, &l);
                    let mut full = full;
                    let (mut a, mut b) = (vec![0.0; l.nx2], vec![0.0; l.nx2]);
                    for r in part(l.ny2, parts, k) {
                        full.fill(r, &mut a);
                        some.fill(r, &mut b);
                        assert_eq!(a, b, "{nx}x{ny} part {k}/{parts} row {r}");
                    }
                }
            }
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
        let prep = prepare(z.view()).unwrap();
        let resid = Zip::indexed(z.view()).map_collect(|(i, j), &v| v - prep.plane.at(i, j));
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
                let want = back.re / (n1 * n2) as f64 + prep.plane.at(i, j);
                assert!(
                    (got[[i, j]] - want).abs() < 1e-9,
                    "cell {i},{j}: {} against {want}",
                    got[[i, j]]
                );
            }
        }
    }
}

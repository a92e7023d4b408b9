//! Real 2-D FFT of a row-major `ny2 × nx2` grid in three streaming stages, so that no
//! padded real grid and no transposed copy of the spectrum is ever held in memory:
//!
//! 1. [`Fft2::forward_rows`]: each padded row is produced on demand into a scratch row and
//!    transformed with `realfft` (r2c, `nc = nx2/2+1` outputs) into the `ny2 × nc` row
//!    spectrum.
//! 2. [`Fft2::columns`]: blocks of [`COLS`] columns are gathered into contiguous buffers,
//!    transformed along y with `rustfft`, multiplied by the transfer function(s) and
//!    transformed back, then scattered into the row spectrum (only the rows that will be
//!    kept). The column data make one round trip through memory instead of a transpose,
//!    a full-spectrum FFT pass, a multiply pass, an inverse pass and a transpose back.
//! 3. [`Fft2::inverse_rows`]: c2r of the wanted rows into a scratch row handed to a sink
//!    (the crop). The imaginary parts of the `kx = 0` and Nyquist columns are zeroed first,
//!    as numpy's `irfft` ignores them.
//!
//! The row spectrum stays a flat row-major `Vec<Complex64>`, not an `ndarray` array: it is
//! the working memory of `realfft` and `rustfft`, whose plans process slices (whole rows in
//! stages 1 and 3, contiguous column blocks in stage 2), and it never leaves the spectral
//! pipeline. The grids that enter and leave it ([`super::apply::fft_filter`]) are `ndarray`
//! arrays, and the padded rows are produced from an `ArrayView2` ([`super::pad::PaddedRows`]).
//!
//! Unnormalised both ways (like FFTW); the transfer callback scales by `1/(nx2·ny2)`.
//! Each column and row goes through the same plan whatever the blocking, so the results do
//! not depend on [`COLS`].

use std::{ops::Range, sync::Arc};

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{num_complex::Complex64, Fft, FftPlanner};

use crate::cancel::{self, Cancelled};

/// Columns per block of the column stage (16 columns of 4608 rows: 1.2 MB).
pub const COLS: usize = 16;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// Plans for one padded size.
pub struct Fft2 {
    nx2: usize,
    ny2: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
}

impl Fft2 {
    /// Plans transforms for a `ny2 × nx2` grid.
    pub fn new(nx2: usize, ny2: usize) -> Self {
        let mut rp = RealFftPlanner::<f64>::new();
        let mut cp = FftPlanner::<f64>::new();
        Fft2 {
            nx2,
            ny2,
            r2c: rp.plan_fft_forward(nx2),
            c2r: rp.plan_fft_inverse(nx2),
            fwd: cp.plan_fft_forward(ny2),
            inv: cp.plan_fft_inverse(ny2),
        }
    }

    /// Padded columns (the row transform's length).
    pub fn nx2(&self) -> usize {
        self.nx2
    }

    /// Padded rows (the column transform's length).
    pub fn ny2(&self) -> usize {
        self.ny2
    }

    /// Number of `kx` columns of the half spectrum.
    pub fn nc(&self) -> usize {
        self.nx2 / 2 + 1
    }

    /// Row stage: `fill(r, row)` writes padded row `r` (`nx2` values) into a scratch row,
    /// which is transformed into row `r` of the returned `ny2 × nc` row spectrum.
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled (checked before each row).
    pub fn forward_rows(
        &self,
        mut fill: impl FnMut(usize, &mut [f64]),
    ) -> Result<Vec<Complex64>, Cancelled> {
        let nc = self.nc();
        let mut spec = vec![ZERO; self.ny2 * nc];
        let mut row = vec![0.0; self.nx2];
        let mut scratch = self.r2c.make_scratch_vec();
        for (r, out) in spec.chunks_exact_mut(nc).enumerate() {
            cancel::check()?;
            fill(r, &mut row);
            self.forward_row(&mut row, out, &mut scratch);
        }
        Ok(spec)
    }

    /// r2c of one padded row (`nx2` values, used as scratch) into `out` (`nc` values);
    /// `scratch` from [`Fft2::row_scratch`]. The transform of every row of
    /// [`Fft2::forward_rows`], for callers that produce a subset of the rows.
    #[inline(never)]
    pub fn forward_row(&self, row: &mut [f64], out: &mut [Complex64], scratch: &mut [Complex64]) {
        // Lengths match the plan by construction, so this cannot fail.
        let _ = self.r2c.process_with_scratch(row, out, scratch);
    }

    /// Scratch for [`Fft2::forward_row`].
    pub fn row_scratch(&self) -> Vec<Complex64> {
        self.r2c.make_scratch_vec()
    }

    /// Column stage on the row spectrum `spec` (`ny2 × nc`): every column is transformed
    /// along y, passed to `weight(column, values)` (to multiply by a transfer function),
    /// transformed back, and its rows `keep` are written back into `spec`. Rows outside
    /// `keep` are left as they were. (Several transfer functions of one spectrum:
    /// [`Fft2::columns_forward`], then [`Fft2::columns_inverse`] once each.)
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled (checked before each block of [`COLS`]).
    pub fn columns(
        &self,
        spec: &mut [Complex64],
        keep: Range<usize>,
        weight: impl FnMut(usize, &mut [Complex64]),
    ) -> Result<(), Cancelled> {
        self.column_range(spec, self.nc(), 0, keep, weight)
    }

    /// [`Fft2::columns`] on a slab of the row spectrum: `spec` holds `ny2` rows of `nc`
    /// values, columns `col0..col0 + nc` of the whole half spectrum (`weight` receives the
    /// whole spectrum's column index). The same plans and arithmetic per column as
    /// [`Fft2::columns`], so each column's result is bit-identical to it.
    ///
    /// # Errors
    /// As [`Fft2::columns`].
    pub fn column_range(
        &self,
        spec: &mut [Complex64],
        nc: usize,
        col0: usize,
        keep: Range<usize>,
        mut weight: impl FnMut(usize, &mut [Complex64]),
    ) -> Result<(), Cancelled> {
        let ny2 = self.ny2;
        let mut cols = vec![ZERO; COLS * ny2];
        let mut fs = vec![ZERO; self.fwd.get_inplace_scratch_len()];
        let mut is = vec![ZERO; self.inv.get_inplace_scratch_len()];
        for c0 in (0..nc).step_by(COLS) {
            cancel::check()?;
            let bw = COLS.min(nc - c0);
            let cols = &mut cols[..bw * ny2];
            gather(spec, nc, c0, cols, ny2);
            self.fwd.process_with_scratch(cols, &mut fs);
            for (b, col) in cols.chunks_exact_mut(ny2).enumerate() {
                weight(col0 + c0 + b, col);
            }
            self.inv.process_with_scratch(cols, &mut is);
            scatter(cols, ny2, spec, nc, c0, keep.clone(), 0);
        }
        Ok(())
    }

    /// Forward column transforms of the row spectrum `spec` (`ny2 × nc`) in place: afterwards
    /// it holds the 2-D half spectrum, every row. The first half of [`Fft2::columns`]' work,
    /// for a caller that applies several transfer functions one after the other
    /// ([`Fft2::columns_inverse`] once each) instead of holding one spectrum per output.
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled (checked before each block of [`COLS`]).
    pub fn columns_forward(&self, spec: &mut [Complex64]) -> Result<(), Cancelled> {
        self.columns_forward_range(spec, self.nc())
    }

    /// [`Fft2::columns_forward`] on a slab of the row spectrum: `spec` holds `ny2` rows of
    /// `nc` values (some columns of the whole half spectrum). The same arithmetic per column.
    ///
    /// # Errors
    /// As [`Fft2::columns_forward`].
    pub fn columns_forward_range(
        &self,
        spec: &mut [Complex64],
        nc: usize,
    ) -> Result<(), Cancelled> {
        let ny2 = self.ny2;
        let mut cols = vec![ZERO; COLS * ny2];
        let mut fs = vec![ZERO; self.fwd.get_inplace_scratch_len()];
        for c0 in (0..nc).step_by(COLS) {
            cancel::check()?;
            let cols = &mut cols[..COLS.min(nc - c0) * ny2];
            gather(spec, nc, c0, cols, ny2);
            self.fwd.process_with_scratch(cols, &mut fs);
            scatter(cols, ny2, spec, nc, c0, 0..ny2, 0);
        }
        Ok(())
    }

    /// The second half of [`Fft2::columns`] for one output: every column of the 2-D half
    /// spectrum `spec` (from [`Fft2::columns_forward`], left as it is) is copied, passed to
    /// `weight(column, values)`, transformed back along y, and its rows `keep` are written
    /// into `out` (`keep.len()` rows of `nc`, row `keep.start` first). The same arithmetic per
    /// column as [`Fft2::columns`], so `out` equals the rows `keep` that it writes for the
    /// same weight, bit for bit.
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled (checked before each block of [`COLS`]).
    pub fn columns_inverse(
        &self,
        spec: &[Complex64],
        out: &mut [Complex64],
        keep: Range<usize>,
        weight: impl FnMut(usize, &mut [Complex64]),
    ) -> Result<(), Cancelled> {
        self.columns_inverse_range(spec, out, self.nc(), 0, keep, weight)
    }

    /// [`Fft2::columns_inverse`] on a slab of the 2-D half spectrum: `spec` and `out` hold
    /// rows of `nc` values, columns `col0..col0 + nc` of the whole (`weight` receives the
    /// whole spectrum's column index). The same arithmetic per column.
    ///
    /// # Errors
    /// As [`Fft2::columns_inverse`].
    pub fn columns_inverse_range(
        &self,
        spec: &[Complex64],
        out: &mut [Complex64],
        nc: usize,
        col0: usize,
        keep: Range<usize>,
        mut weight: impl FnMut(usize, &mut [Complex64]),
    ) -> Result<(), Cancelled> {
        let ny2 = self.ny2;
        let mut cols = vec![ZERO; COLS * ny2];
        let mut is = vec![ZERO; self.inv.get_inplace_scratch_len()];
        for c0 in (0..nc).step_by(COLS) {
            cancel::check()?;
            let cols = &mut cols[..COLS.min(nc - c0) * ny2];
            gather(spec, nc, c0, cols, ny2);
            for (b, col) in cols.chunks_exact_mut(ny2).enumerate() {
                weight(col0 + c0 + b, col);
            }
            self.inv.process_with_scratch(cols, &mut is);
            scatter(cols, ny2, out, nc, c0, keep.clone(), keep.start);
        }
        Ok(())
    }

    /// Row inverse: c2r of rows `rows` of `spec` (`ny2 × nc`, modified: the imaginary parts
    /// of the `kx = 0` and Nyquist columns are zeroed), each handed to `sink(r, row)` as
    /// `nx2` values, in increasing `r`.
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled (checked before each row).
    pub fn inverse_rows(
        &self,
        spec: &mut [Complex64],
        rows: Range<usize>,
        mut sink: impl FnMut(usize, &[f64]),
    ) -> Result<(), Cancelled> {
        let nc = self.nc();
        let mut out = vec![0.0; self.nx2];
        let mut scratch = self.inverse_scratch();
        for r in rows {
            cancel::check()?;
            self.inverse_row(&mut spec[r * nc..(r + 1) * nc], &mut out, &mut scratch);
            sink(r, &out);
        }
        Ok(())
    }

    /// The c2r of one row of [`Fft2::inverse_rows`]: `inp` (`nc` values, modified: the
    /// imaginary parts of the `kx = 0` and Nyquist columns zeroed) into `out` (`nx2`
    /// values); `scratch` from [`Fft2::inverse_scratch`].
    #[inline(never)]
    pub fn inverse_row(&self, inp: &mut [Complex64], out: &mut [f64], scratch: &mut [Complex64]) {
        let nc = inp.len();
        inp[0].im = 0.0;
        if self.nx2.is_multiple_of(2) {
            inp[nc - 1].im = 0.0;
        }
        let _ = self.c2r.process_with_scratch(inp, out, scratch);
    }

    /// Scratch for [`Fft2::inverse_row`].
    pub fn inverse_scratch(&self) -> Vec<Complex64> {
        self.c2r.make_scratch_vec()
    }
}

// The loops below are functions of their own, called once per block (and the row
// transforms once per row), not inlined into the long loops that call them: V8 runs a
// WebAssembly function's first call in its baseline (Liftoff) code to its end, so a loop
// inlined into a function called once per grid would run unoptimised on the first grid an
// instance sees; a function called thousands of times is recompiled (TurboFan) after its
// first calls, and the later calls run the optimised code.

/// Columns `c0..c0 + bw` of `spec` (rows of `nc`) into `cols` (`bw` columns of `ny2`).
#[inline(never)]
fn gather(spec: &[Complex64], nc: usize, c0: usize, cols: &mut [Complex64], ny2: usize) {
    let bw = cols.len() / ny2;
    for (r, row) in spec.chunks_exact(nc).enumerate() {
        for (b, &v) in row[c0..c0 + bw].iter().enumerate() {
            cols[b * ny2 + r] = v;
        }
    }
}

/// Rows `keep` of `buf` (`bw` columns of `ny2`) into columns `c0..c0 + bw` of `dst` (rows
/// of `nc`, row `row0` first).
#[inline(never)]
fn scatter(
    buf: &[Complex64],
    ny2: usize,
    dst: &mut [Complex64],
    nc: usize,
    c0: usize,
    keep: Range<usize>,
    row0: usize,
) {
    let bw = buf.len() / ny2;
    for r in keep {
        let at = (r - row0) * nc + c0;
        for (b, d) in dst[at..at + bw].iter_mut().enumerate() {
            *d = buf[b * ny2 + r];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_forward_then_inverse_equals_the_column_stage_bit_for_bit() {
        let (nx2, ny2) = (40, 36); // 21 columns: two blocks; 36 rows, 30 kept
        let g: Vec<f64> = (0..nx2 * ny2)
            .map(|k| ((k * 53) % 17) as f64 - 8.0)
            .collect();
        let f = Fft2::new(nx2, ny2);
        let nc = f.nc();
        let rows = || {
            f.forward_rows(|r, row| row.copy_from_slice(&g[r * nx2..(r + 1) * nx2]))
                .unwrap()
        };
        let weight = |t: usize, c: usize, col: &mut [Complex64]| {
            for (r, v) in col.iter_mut().enumerate() {
                *v *= Complex64::new(1.0 + (t + c) as f64 * 0.25, (r as f64 * 0.1).sin());
            }
        };
        let keep = 3..33;
        let mut spec = rows();
        f.columns_forward(&mut spec).unwrap();
        for t in 0..2 {
            let mut want = rows();
            f.columns(&mut want, keep.clone(), |c, col| weight(t, c, col))
                .unwrap();
            let mut got = vec![ZERO; keep.len() * nc];
            f.columns_inverse(&spec, &mut got, keep.clone(), |c, col| weight(t, c, col))
                .unwrap();
            let w = &want[keep.start * nc..keep.end * nc];
            assert!(
                got.iter()
                    .zip(w)
                    .all(|(a, b)| a.re.to_bits() == b.re.to_bits()
                        && a.im.to_bits() == b.im.to_bits())
            );
        }
    }

    #[test]
    fn fft2_matches_a_naive_dft_and_round_trips() {
        let (nx2, ny2) = (40, 5); // 21 columns: two blocks of the column stage
        let g: Vec<f64> = (0..nx2 * ny2)
            .map(|k| ((k * 37) % 11) as f64 - 5.0)
            .collect();
        let f = Fft2::new(nx2, ny2);
        let nc = f.nc();
        let mut spec = f
            .forward_rows(|r, row| row.copy_from_slice(&g[r * nx2..(r + 1) * nx2]))
            .unwrap();
        // Check the spectrum inside the column stage (identity weight), then invert.
        let tau = std::f64::consts::TAU;
        let mut seen = 0;
        f.columns(&mut spec, 0..ny2, |c, col| {
            for (r, got) in col.iter().enumerate() {
                let mut want = Complex64::new(0.0, 0.0);
                for i in 0..ny2 {
                    for j in 0..nx2 {
                        let ph =
                            -tau * (c * j) as f64 / nx2 as f64 - tau * (r * i) as f64 / ny2 as f64;
                        want += g[i * nx2 + j] * Complex64::new(ph.cos(), ph.sin());
                    }
                }
                assert!((got - want).norm() < 1e-9);
            }
            seen += 1;
        })
        .unwrap();
        assert_eq!(seen, nc);
        let mut back = vec![0.0; nx2 * ny2];
        f.inverse_rows(&mut spec, 0..ny2, |r, row| {
            back[r * nx2..(r + 1) * nx2].copy_from_slice(row)
        })
        .unwrap();
        for (a, b) in back.iter().zip(&g) {
            assert!((a / (nx2 * ny2) as f64 - b).abs() < 1e-12);
        }
    }
}

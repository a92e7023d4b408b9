//! Real 2-D FFT of a row-major `ny2 × nx2` grid: `realfft` along rows (r2c, `nc = nx2/2+1`
//! outputs), a blocked transpose to `nc × ny2`, then `rustfft` along the now contiguous
//! columns. The spectrum is kept transposed (`[kx][ky]`), which is all the transfer
//! functions need. Unnormalised both ways (like FFTW); the caller scales by `1/(nx2·ny2)`.
//! The inverse zeroes the imaginary parts of the `kx = 0` and Nyquist columns before the
//! c2r step, as numpy's `irfft` ignores them.

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{num_complex::Complex64, Fft, FftPlanner};

/// Plans and scratch space for one padded size.
pub struct Fft2 {
    nx2: usize,
    ny2: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
}

/// Out-of-place blocked transpose of a `rows × cols` matrix.
fn transpose<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    const B: usize = 32;
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
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

    /// Number of `kx` columns of the half spectrum.
    pub fn nc(&self) -> usize {
        self.nx2 / 2 + 1
    }

    /// Forward transform; consumes the real grid, returns the `nc × ny2` spectrum.
    pub fn forward(&self, mut grid: Vec<f64>) -> Vec<Complex64> {
        let (nx2, ny2, nc) = (self.nx2, self.ny2, self.nc());
        let mut rows = vec![Complex64::new(0.0, 0.0); ny2 * nc];
        let mut scratch = self.r2c.make_scratch_vec();
        for (inp, out) in grid.chunks_exact_mut(nx2).zip(rows.chunks_exact_mut(nc)) {
            // Lengths match the plan by construction, so this cannot fail.
            let _ = self.r2c.process_with_scratch(inp, out, &mut scratch);
        }
        drop(grid);
        let mut spec = vec![Complex64::new(0.0, 0.0); ny2 * nc];
        transpose(&rows, ny2, nc, &mut spec);
        drop(rows);
        let mut scratch = vec![Complex64::new(0.0, 0.0); self.fwd.get_inplace_scratch_len()];
        self.fwd.process_with_scratch(&mut spec, &mut scratch);
        spec
    }

    /// Inverse transform of an `nc × ny2` spectrum (consumed) to the `ny2 × nx2` grid.
    pub fn inverse(&self, mut spec: Vec<Complex64>) -> Vec<f64> {
        let (nx2, ny2, nc) = (self.nx2, self.ny2, self.nc());
        let mut scratch = vec![Complex64::new(0.0, 0.0); self.inv.get_inplace_scratch_len()];
        self.inv.process_with_scratch(&mut spec, &mut scratch);
        let mut rows = vec![Complex64::new(0.0, 0.0); ny2 * nc];
        transpose(&spec, nc, ny2, &mut rows);
        drop(spec);
        let mut out = vec![0.0; ny2 * nx2];
        let mut scratch = self.c2r.make_scratch_vec();
        for (inp, o) in rows.chunks_exact_mut(nc).zip(out.chunks_exact_mut(nx2)) {
            inp[0].im = 0.0;
            if nx2 % 2 == 0 {
                inp[nc - 1].im = 0.0;
            }
            let _ = self.c2r.process_with_scratch(inp, o, &mut scratch);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft2_matches_a_naive_dft_and_round_trips() {
        let (nx2, ny2) = (6, 5);
        let g: Vec<f64> = (0..nx2 * ny2)
            .map(|k| ((k * 37) % 11) as f64 - 5.0)
            .collect();
        let f = Fft2::new(nx2, ny2);
        let spec = f.forward(g.clone());
        let tau = std::f64::consts::TAU;
        for c in 0..f.nc() {
            for r in 0..ny2 {
                let mut want = Complex64::new(0.0, 0.0);
                for i in 0..ny2 {
                    for j in 0..nx2 {
                        let ph =
                            -tau * (c * j) as f64 / nx2 as f64 - tau * (r * i) as f64 / ny2 as f64;
                        want += g[i * nx2 + j] * Complex64::new(ph.cos(), ph.sin());
                    }
                }
                assert!((spec[c * ny2 + r] - want).norm() < 1e-9);
            }
        }
        let back = f.inverse(spec);
        for (a, b) in back.iter().zip(&g) {
            assert!((a / (nx2 * ny2) as f64 - b).abs() < 1e-12);
        }
    }
}

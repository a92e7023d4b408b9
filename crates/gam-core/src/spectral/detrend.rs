//! Least-squares plane `z = a + b·x + c·y` over the valid cells (GMT `grdfft -N+d`,
//! `grdtrend -N3`), with `x = col - (nx - 1)/2` and `y = row - (ny - 1)/2` in cells
//! (centred for conditioning). Solved from the 3×3 normal equations by Cramer's rule.

use ndarray::{ArrayView1, ArrayView2};

/// A fitted plane in centred cell coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Value at the grid centre.
    pub a: f64,
    /// Slope per column.
    pub b: f64,
    /// Slope per row.
    pub c: f64,
    /// Column of the centre, `(nx - 1)/2`.
    pub xc: f64,
    /// Row of the centre, `(ny - 1)/2`.
    pub yc: f64,
}

impl Plane {
    /// Plane value at `(row, col)`.
    pub fn at(&self, row: usize, col: usize) -> f64 {
        self.a + self.b * (col as f64 - self.xc) + self.c * (row as f64 - self.yc)
    }
}

/// Fits the plane to the non-NaN cells of a grid (`ny` rows by `nx` columns). With fewer
/// than three non-collinear cells the slopes are set to zero and `a` is the mean. Returns
/// `None` when no cell is valid.
///
/// # Example
/// ```
/// use gam_core::spectral::detrend::fit_plane;
/// use ndarray::Array2;
/// let g = Array2::from_shape_fn((3, 4), |(i, j)| 1.0 + 2.0 * j as f64 + 3.0 * i as f64);
/// let p = fit_plane(g.view()).unwrap();
/// assert!((p.b - 2.0).abs() < 1e-12 && (p.c - 3.0).abs() < 1e-12);
/// ```
pub fn fit_plane(grid: ArrayView2<'_, f64>) -> Option<Plane> {
    fit_plane_counted(grid).map(|(p, _)| p)
}

/// [`fit_plane`] and the number of valid cells it was fitted to (`nx * ny` when the grid
/// has no NaN).
pub fn fit_plane_counted(grid: ArrayView2<'_, f64>) -> Option<(Plane, usize)> {
    let (ny, nx) = grid.dim();
    // Contiguous rows (borrowed for a standard-layout view, as the boundary's).
    let grid = grid.as_standard_layout();
    let mut sums = PlaneSums::new(nx, ny);
    for (i, row) in grid.rows().into_iter().enumerate() {
        sums.add_row(i, row);
    }
    sums.finish()
}

/// The sums of [`fit_plane_counted`], taken one row at a time, for a grid whose rows are
/// read one by one (the spectral kernel streaming its input): rows added in order `0..ny`
/// give the plane of [`fit_plane_counted`] bit for bit (it adds its rows through this).
///
/// # Example
/// ```
/// use gam_core::spectral::detrend::{fit_plane_counted, PlaneSums};
/// use ndarray::{Array2, ArrayView1};
/// let g = Array2::from_shape_fn((3, 4), |(i, j)| 1.0 + 2.0 * j as f64 + 3.0 * i as f64);
/// let mut sums = PlaneSums::new(4, 3);
/// for i in 0..3 {
///     sums.add_row(i, g.row(i));
/// }
/// assert_eq!(sums.finish(), fit_plane_counted(g.view()));
/// ```
#[derive(Debug, Clone)]
pub struct PlaneSums {
    xc: f64,
    yc: f64,
    /// Sums over a NaN-free row of the x terms, which do not depend on the data.
    full_x: f64,
    full_xx: f64,
    /// `[n, Σx, Σy, Σx², Σy², Σxy, Σz, Σxz, Σyz]`.
    s: [f64; 9],
}

impl PlaneSums {
    /// No rows yet, for a grid of `ny` rows by `nx` columns.
    pub fn new(nx: usize, ny: usize) -> Self {
        let xc = (nx as f64 - 1.0) / 2.0;
        let (full_x, full_xx) = (0..nx).fold((0.0, 0.0), |(a, b), j| {
            let x = j as f64 - xc;
            (a + x, b + x * x)
        });
        PlaneSums {
            xc,
            yc: (ny as f64 - 1.0) / 2.0,
            full_x,
            full_xx,
            s: [0.0; 9],
        }
    }

    /// Adds row `i` (its `nx` values; NaN cells are left out).
    pub fn add_row(&mut self, i: usize, row: ArrayView1<'_, f64>) {
        let y = i as f64 - self.yc;
        // Row sums first (count, x, x², z, x·z), then the row's share of the y terms.
        let (cnt, rx, rxx, rz, rxz) = row_sums(row, self.xc, self.full_x, self.full_xx);
        let [n, sx, sy, sxx, syy, sxy, sz, sxz, syz] = &mut self.s;
        *n += cnt;
        *sx += rx;
        *sy += y * cnt;
        *sxx += rxx;
        *syy += y * y * cnt;
        *sxy += y * rx;
        *sz += rz;
        *sxz += rxz;
        *syz += y * rz;
    }

    /// The plane of the rows added and the number of valid cells, or `None` when none was
    /// valid (see [`fit_plane`] for the degenerate cases).
    pub fn finish(&self) -> Option<(Plane, usize)> {
        let (xc, yc) = (self.xc, self.yc);
        let [n, sx, sy, sxx, syy, sxy, sz, sxz, syz] = self.s;
        if n == 0.0 {
            return None;
        }
        // | n  sx  sy  | |a|   | sz  |
        // | sx sxx sxy | |b| = | sxz |
        // | sy sxy syy | |c|   | syz |
        let det3 = |m: [[f64; 3]; 3]| {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        };
        let m = [[n, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]];
        let d = det3(m);
        if d.abs() <= 1e-12 * (n * sxx * syy).abs().max(f64::MIN_POSITIVE) {
            return Some((
                Plane {
                    a: sz / n,
                    b: 0.0,
                    c: 0.0,
                    xc,
                    yc,
                },
                n as usize,
            ));
        }
        let r = [sz, sxz, syz];
        let col = |k: usize| {
            let mut mm = m;
            for (row, &v) in mm.iter_mut().zip(&r) {
                row[k] = v;
            }
            det3(mm) / d
        };
        Some((
            Plane {
                a: col(0),
                b: col(1),
                c: col(2),
                xc,
                yc,
            },
            n as usize,
        ))
    }
}

/// Sums over one row (count, x, x², z, x·z) of [`fit_plane_counted`]; a function of its own
/// called once per row, not inlined (see the note in `fft2.rs` on V8's first calls).
#[inline(never)]
fn row_sums(
    row: ArrayView1<'_, f64>,
    xc: f64,
    full_x: f64,
    full_xx: f64,
) -> (f64, f64, f64, f64, f64) {
    let nx = row.len();
    if row.iter().any(|z| z.is_nan()) {
        let (mut c, mut a, mut b, mut z1, mut xz) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (j, &z) in row.indexed_iter() {
            if !z.is_nan() {
                let x = j as f64 - xc;
                c += 1.0;
                a += x;
                b += x * x;
                z1 += z;
                xz += x * z;
            }
        }
        (c, a, b, z1, xz)
    } else {
        // Four independent partial sums per term (vectorises, no serial add chain), on
        // the row's slice: `exact_chunks(4)` views of the row made `fft_filter_into` on
        // 4096² about 0.1 s slower in wasm (thread CPU 1.36-1.41 s against 1.24-1.28 s).
        let row = row.to_slice().expect("rows of a standard-layout array");
        let (mut z4, mut xz4) = ([0.0f64; 4], [0.0f64; 4]);
        let chunks = row.chunks_exact(4);
        let tail = chunks.remainder();
        for (q, c) in chunks.enumerate() {
            for l in 0..4 {
                let x = (4 * q + l) as f64 - xc;
                z4[l] += c[l];
                xz4[l] += x * c[l];
            }
        }
        let (mut z1, mut xz) = (
            (z4[0] + z4[1]) + (z4[2] + z4[3]),
            (xz4[0] + xz4[1]) + (xz4[2] + xz4[3]),
        );
        for (j, &z) in tail.iter().enumerate() {
            let x = (nx - tail.len() + j) as f64 - xc;
            z1 += z;
            xz += x * z;
        }
        (nx as f64, full_x, full_xx, z1, xz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_plane_recovers_a_plane_with_nan_cells() {
        let (nx, ny) = (7, 5);
        let mut g: Vec<f64> = (0..nx * ny)
            .map(|k| 10.0 - 0.5 * (k % nx) as f64 + 0.25 * (k / nx) as f64)
            .collect();
        g[3] = f64::NAN;
        g[20] = f64::NAN;
        let p = fit_plane(ArrayView2::from_shape((ny, nx), &g).unwrap()).unwrap();
        for i in 0..ny {
            for j in 0..nx {
                let want = 10.0 - 0.5 * j as f64 + 0.25 * i as f64;
                assert!((p.at(i, j) - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fit_plane_of_a_single_row_falls_back_to_the_mean_slope_in_y() {
        let p = fit_plane(ndarray::array![[1.0, 2.0, 3.0]].view()).unwrap();
        assert!((p.a - 2.0).abs() < 1e-12);
        assert!(fit_plane(ndarray::Array2::from_elem((2, 2), f64::NAN).view()).is_none());
    }
}

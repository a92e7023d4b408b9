//! Regional fields for anomaly detection: a least-squares polynomial trend of order 1
//! (plane) or 2 (quadric) over the valid cells (as `grdtrend -N3` / `-N6`), in centred
//! coordinates scaled to [-1, 1], solved from the normal equations by Gaussian elimination
//! with partial pivoting; or a Gaussian low-pass ([`crate::filters::gaussian`]).

use ndarray::{Array2, ArrayView2};

/// A fitted polynomial trend of order 1 or 2 (see [`poly_trend`]), evaluated cell by cell
/// with [`PolyTrend::at`] (no full-size array).
#[derive(Debug, Clone, Copy)]
pub struct PolyTrend {
    coef: [f64; 6],
    nt: usize,
    nx: usize,
    ny: usize,
    sx: f64,
    sy: f64,
}

impl PolyTrend {
    /// Fits the trend of `order` 1 or 2 to the valid cells of `grid`; `None` when there are
    /// fewer valid cells than terms or the system is singular.
    pub fn fit(grid: ArrayView2<'_, f64>, order: u32) -> Option<Self> {
        let (ny, nx) = grid.dim();
        let nt = if order >= 2 { 6 } else { 3 };
        let sx = ((nx as f64 - 1.0) / 2.0).max(1.0);
        let sy = ((ny as f64 - 1.0) / 2.0).max(1.0);
        let shape = Self {
            coef: [0.0; 6],
            nt,
            nx,
            ny,
            sx,
            sy,
        };
        let mut a = [[0.0f64; 7]; 6];
        let mut count = 0;
        // Row by row, west to east (the order of the sums is part of the result's bits).
        for ((i, j), &z) in grid.indexed_iter() {
            if z.is_nan() {
                continue;
            }
            count += 1;
            let t = shape.terms(i, j);
            for r in 0..nt {
                for c in 0..nt {
                    a[r][c] += t[r] * t[c];
                }
                a[r][6] += t[r] * z;
            }
        }
        if count < nt {
            return None;
        }
        // Gaussian elimination with partial pivoting on the nt x nt system.
        for p in 0..nt {
            let piv = (p..nt).max_by(|&u, &v| a[u][p].abs().total_cmp(&a[v][p].abs()))?;
            if a[piv][p].abs() < 1e-12 * count as f64 {
                return None;
            }
            a.swap(p, piv);
            let pivot_row = a[p];
            for row in a.iter_mut().take(nt).skip(p + 1) {
                let f = row[p] / pivot_row[p];
                for (x, &y) in row.iter_mut().zip(&pivot_row).skip(p) {
                    *x -= f * y;
                }
            }
        }
        let mut coef = [0.0f64; 6];
        for p in (0..nt).rev() {
            let mut s = a[p][6];
            for c in p + 1..nt {
                s -= a[p][c] * coef[c];
            }
            coef[p] = s / a[p][p];
        }
        Some(Self { coef, ..shape })
    }

    /// The terms `[1, x, y, x², xy, y²]` of cell (row `i`, column `j`), coordinates centred
    /// and scaled to [-1, 1].
    fn terms(&self, i: usize, j: usize) -> [f64; 6] {
        let x = (j as f64 - (self.nx as f64 - 1.0) / 2.0) / self.sx;
        let y = (i as f64 - (self.ny as f64 - 1.0) / 2.0) / self.sy;
        [1.0, x, y, x * x, x * y, y * y]
    }

    /// The trend at cell (row `i`, column `j`).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        let t = self.terms(i, j);
        (0..self.nt).map(|k| self.coef[k] * t[k]).sum()
    }
}

/// Polynomial trend of `order` 1 or 2 evaluated at every cell (NaN cells get the trend
/// value too). Returns `None` when there are fewer valid cells than terms or the system is
/// singular.
pub fn poly_trend(grid: ArrayView2<'_, f64>, order: u32) -> Option<Array2<f64>> {
    let (ny, nx) = grid.dim();
    let p = PolyTrend::fit(grid, order)?;
    Some(Array2::from_shape_fn((ny, nx), |(i, j)| p.at(i, j)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::view2;

    #[test]
    fn poly_trend_recovers_a_quadric_and_a_plane() {
        let (nx, ny) = (15, 11);
        let q = |i: usize, j: usize| {
            let (x, y) = (j as f64, i as f64);
            3.0 + 0.5 * x - 0.2 * y + 0.01 * x * x - 0.03 * x * y + 0.02 * y * y
        };
        let mut g: Vec<f64> = (0..nx * ny).map(|k| q(k / nx, k % nx)).collect();
        g[7] = f64::NAN;
        let t = poly_trend(view2(&g, nx, ny).unwrap(), 2).unwrap();
        for ((i, j), &tk) in t.indexed_iter() {
            assert!((tk - q(i, j)).abs() < 1e-9);
        }
        let p: Vec<f64> = (0..nx * ny).map(|k| 1.0 + (k % nx) as f64).collect();
        let t = poly_trend(view2(&p, nx, ny).unwrap(), 1).unwrap();
        assert!(t.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-9));
        assert!(poly_trend(view2(&[f64::NAN; 4], 2, 2).unwrap(), 1).is_none());
    }
}

//! Regional fields for anomaly detection: a least-squares polynomial trend of order 1
//! (plane) or 2 (quadric) over the valid cells (as `grdtrend -N3` / `-N6`), in centred
//! coordinates scaled to [-1, 1], solved from the normal equations by Gaussian elimination
//! with partial pivoting; or a Gaussian low-pass ([`crate::filters::gaussian`]). A fitted
//! trend evaluates cell by cell ([`PolyTrend::at`]) or, faster and to the same bits, from its
//! column and row parts ([`TrendTable`]): no full-size array either way.

use ndarray::{Array2, ArrayView2};

use super::GridValue;

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
        match grid.as_slice() {
            Some(values) => Self::fit_rows(values, nx, ny, order),
            None => Self::fit_rows(&grid.iter().copied().collect::<Vec<_>>(), nx, ny, order),
        }
    }

    /// [`PolyTrend::fit`] on row-major `values` of `nx` columns and `ny` rows, `f64` or `f32`
    /// (the same trend, bit for bit, for the same numbers).
    ///
    /// # Panics
    /// When `values.len() != nx * ny`.
    pub fn fit_rows<T: GridValue>(values: &[T], nx: usize, ny: usize, order: u32) -> Option<Self> {
        assert_eq!(values.len(), nx * ny, "values must hold nx * ny values");
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
        let xs: Vec<f64> = (0..nx).map(|j| shape.x(j)).collect();
        // Row by row, west to east (the order of the sums is part of the result's bits). One
        // call per row: V8 runs a WebAssembly function's first call in its baseline code to
        // its end, so a loop over the whole grid in one call would never run optimised.
        for (i, row) in values.chunks_exact(nx.max(1)).enumerate().take(ny) {
            count += if nt == 3 {
                accumulate_row::<3, T>(&mut a, row, &xs, shape.y(i))
            } else {
                accumulate_row::<6, T>(&mut a, row, &xs, shape.y(i))
            };
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

    /// Column `j`'s coordinate, centred and scaled to [-1, 1].
    fn x(&self, j: usize) -> f64 {
        (j as f64 - (self.nx as f64 - 1.0) / 2.0) / self.sx
    }

    /// Row `i`'s coordinate, centred and scaled to [-1, 1].
    fn y(&self, i: usize) -> f64 {
        (i as f64 - (self.ny as f64 - 1.0) / 2.0) / self.sy
    }

    /// The terms `[1, x, y, x², xy, y²]` of cell (row `i`, column `j`), coordinates centred
    /// and scaled to [-1, 1].
    fn terms(&self, i: usize, j: usize) -> [f64; 6] {
        terms(self.x(j), self.y(i))
    }

    /// The trend at cell (row `i`, column `j`).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        let t = self.terms(i, j);
        (0..self.nt).map(|k| self.coef[k] * t[k]).sum()
    }

    /// The trend's parts that depend on the column alone and on the row alone, for
    /// [`TrendTable::at`].
    pub fn table(&self) -> TrendTable {
        let (xs, ys): (Vec<f64>, Vec<f64>) = ((0..self.nx).map(|j| self.x(j)).collect(), {
            (0..self.ny).map(|i| self.y(i)).collect()
        });
        let c = self.coef;
        // `at` sums `c[k] * t[k]` left to right from `Sum`'s own starting value: the first two
        // terms depend on the column only, so their partial sum is the same number in every row.
        let head = xs
            .iter()
            .map(|&x| [c[0] * 1.0, c[1] * x].into_iter().sum::<f64>())
            .collect();
        TrendTable {
            head,
            row_y: ys.iter().map(|&y| c[2] * y).collect(),
            quadric: (self.nt == 6).then(|| Quadric {
                col_xx: xs.iter().map(|&x| c[3] * (x * x)).collect(),
                row_yy: ys.iter().map(|&y| c[5] * (y * y)).collect(),
                c_xy: c[4],
                xs,
                ys,
            }),
        }
    }
}

/// `[1, x, y, x², xy, y²]`.
#[inline(always)]
fn terms(x: f64, y: f64) -> [f64; 6] {
    [1.0, x, y, x * x, x * y, y * y]
}

/// Adds one row's valid cells to the normal equations `a` of an `NT`-term trend, west to east;
/// returns how many there were.
#[inline(never)]
fn accumulate_row<const NT: usize, T: GridValue>(
    a: &mut [[f64; 7]; 6],
    row: &[T],
    xs: &[f64],
    y: f64,
) -> usize {
    let mut count = 0;
    for (&v, &x) in row.iter().zip(xs) {
        let z = v.get();
        if z.is_nan() {
            continue;
        }
        count += 1;
        let t = terms(x, y);
        for r in 0..NT {
            for c in 0..NT {
                a[r][c] += t[r] * t[c];
            }
            a[r][6] += t[r] * z;
        }
    }
    count
}

/// A fitted trend split into its column and row parts ([`PolyTrend::table`]): the trend of a
/// cell in two additions (a plane) or four additions and two products (a quadric), the same
/// bits as [`PolyTrend::at`].
#[derive(Debug, Clone)]
pub struct TrendTable {
    /// Per column: `c0·1 + c1·x`.
    head: Vec<f64>,
    /// Per row: `c2·y`.
    row_y: Vec<f64>,
    /// The second-order terms, for a quadric.
    quadric: Option<Quadric>,
}

#[derive(Debug, Clone)]
struct Quadric {
    /// Per column: `c3·x²`.
    col_xx: Vec<f64>,
    /// Per row: `c5·y²`.
    row_yy: Vec<f64>,
    c_xy: f64,
    xs: Vec<f64>,
    ys: Vec<f64>,
}

impl TrendTable {
    /// The trend at cell (row `i`, column `j`): [`PolyTrend::at`]'s value, bit for bit.
    #[inline(always)]
    pub fn at(&self, i: usize, j: usize) -> f64 {
        let t = self.head[j] + self.row_y[i];
        match &self.quadric {
            None => t,
            Some(q) => ((t + q.col_xx[j]) + q.c_xy * (q.xs[j] * q.ys[i])) + q.row_yy[i],
        }
    }

    /// `out[j] = values[j] - trend(i, j)` for row `i`'s `values` (NaN stays NaN).
    #[inline(always)]
    pub fn residual_row<T: GridValue>(&self, i: usize, values: &[T], out: &mut [f64]) {
        let b = self.row_y[i];
        match &self.quadric {
            None => {
                for ((o, &v), &h) in out.iter_mut().zip(values).zip(&self.head) {
                    *o = v.get() - (h + b);
                }
            }
            Some(q) => {
                let (yy, y) = (q.row_yy[i], q.ys[i]);
                for (j, (o, &v)) in out.iter_mut().zip(values).enumerate() {
                    let t = ((self.head[j] + b + q.col_xx[j]) + q.c_xy * (q.xs[j] * y)) + yy;
                    *o = v.get() - t;
                }
            }
        }
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

    /// The first fit's normal equations: cell by cell in row-major order, terms from `terms`.
    fn naive_fit(g: &[f64], nx: usize, ny: usize, order: u32) -> [f64; 6] {
        let nt = if order >= 2 { 6 } else { 3 };
        let shape = PolyTrend {
            coef: [0.0; 6],
            nt,
            nx,
            ny,
            sx: ((nx as f64 - 1.0) / 2.0).max(1.0),
            sy: ((ny as f64 - 1.0) / 2.0).max(1.0),
        };
        let mut a = [[0.0f64; 7]; 6];
        for ((i, j), &z) in view2(g, nx, ny).unwrap().indexed_iter() {
            if z.is_nan() {
                continue;
            }
            let t = shape.terms(i, j);
            for r in 0..nt {
                for c in 0..nt {
                    a[r][c] += t[r] * t[c];
                }
                a[r][6] += t[r] * z;
            }
        }
        let mut coef = [0.0f64; 6];
        for p in 0..nt {
            let piv = (p..nt)
                .max_by(|&u, &v| a[u][p].abs().total_cmp(&a[v][p].abs()))
                .unwrap();
            a.swap(p, piv);
            let pivot_row = a[p];
            for row in a.iter_mut().take(nt).skip(p + 1) {
                let f = row[p] / pivot_row[p];
                for (x, &y) in row.iter_mut().zip(&pivot_row).skip(p) {
                    *x -= f * y;
                }
            }
        }
        for p in (0..nt).rev() {
            let mut s = a[p][6];
            for c in p + 1..nt {
                s -= a[p][c] * coef[c];
            }
            coef[p] = s / a[p][p];
        }
        coef
    }

    #[test]
    fn fit_rows_gives_the_naive_fit_bit_for_bit_for_f64_and_f32() {
        let (nx, ny) = (53, 31);
        let mut rng = crate::test_rng::Lcg(21);
        let g: Vec<f64> = (0..nx * ny)
            .map(|k| {
                if k % 41 == 3 {
                    f64::NAN
                } else {
                    100.0 * rng.unit() + (k % nx) as f64 * 0.7
                }
            })
            .collect();
        let g32: Vec<f32> = g.iter().map(|&x| x as f32).collect();
        let w32: Vec<f64> = g32.iter().map(|&x| f64::from(x)).collect();
        for order in [1, 2] {
            let bits = |c: [f64; 6]| c.map(f64::to_bits);
            let got = PolyTrend::fit_rows(&g, nx, ny, order).unwrap();
            assert_eq!(bits(got.coef), bits(naive_fit(&g, nx, ny, order)));
            let got32 = PolyTrend::fit_rows(&g32, nx, ny, order).unwrap();
            assert_eq!(bits(got32.coef), bits(naive_fit(&w32, nx, ny, order)));
        }
    }
}

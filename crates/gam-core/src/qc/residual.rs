//! The residual grid of the anomaly search, read row by row: either a polynomial trend's
//! residual `values - trend` evaluated as it is read (no full-size array: the values, `f64` or
//! `f32`, and the trend's column and row parts, [`super::regional::TrendTable`]), or a residual
//! stored whole (the low-pass regional's). The passes over it (median, MAD, threshold) fill one
//! row buffer at a time, so a 4096² grid costs its values and nothing of its size besides.

use super::{regional::TrendTable, GridValue};

/// A residual grid of `ny` rows of `nx` values, row-major, NaN where there is no value.
pub trait ResidualRows {
    /// Columns.
    fn nx(&self) -> usize;
    /// Rows.
    fn ny(&self) -> usize;
    /// Row `i`'s residuals into `out` (`nx` values).
    fn row(&self, i: usize, out: &mut [f64]);
    /// The residual at row `i`, column `j`: the value [`ResidualRows::row`] gives there.
    fn at(&self, i: usize, j: usize) -> f64;
}

/// A residual stored whole, row-major.
#[derive(Debug, Clone, Copy)]
pub struct StoredResidual<'a> {
    /// `nx * ny` residuals.
    pub data: &'a [f64],
    /// Columns.
    pub nx: usize,
}

impl ResidualRows for StoredResidual<'_> {
    fn nx(&self) -> usize {
        self.nx
    }
    fn ny(&self) -> usize {
        self.data.len() / self.nx.max(1)
    }
    #[inline(always)]
    fn row(&self, i: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.data[i * self.nx..(i + 1) * self.nx]);
    }
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.nx + j]
    }
}

/// `values - trend`, evaluated as read: the same numbers, bit for bit, as subtracting
/// [`super::regional::PolyTrend::at`] from every value.
#[derive(Debug, Clone)]
pub struct TrendResidual<'a, T> {
    /// `nx * ny` values, row-major.
    pub values: &'a [T],
    /// Columns.
    pub nx: usize,
    /// The fitted trend's parts.
    pub trend: TrendTable,
}

impl<T: GridValue> ResidualRows for TrendResidual<'_, T> {
    fn nx(&self) -> usize {
        self.nx
    }
    fn ny(&self) -> usize {
        self.values.len() / self.nx.max(1)
    }
    #[inline(always)]
    fn row(&self, i: usize, out: &mut [f64]) {
        let row = &self.values[i * self.nx..(i + 1) * self.nx];
        self.trend.residual_row(i, row, out);
    }
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.nx + j].get() - self.trend.at(i, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::view2;
    use crate::qc::regional::PolyTrend;
    use crate::test_rng::Lcg;

    #[test]
    fn trend_residual_is_values_minus_the_trend_bit_for_bit() {
        let (nx, ny) = (37, 23);
        let mut rng = Lcg(11);
        let v: Vec<f64> = (0..nx * ny)
            .map(|k| {
                let (x, y) = ((k % nx) as f64, (k / nx) as f64);
                if k % 97 == 5 {
                    f64::NAN
                } else {
                    3.0 + 0.3 * x - 0.7 * y + 0.01 * x * y + rng.unit() * 1e3
                }
            })
            .collect();
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let w32: Vec<f64> = v32.iter().map(|&x| f64::from(x)).collect();
        for order in [1, 2] {
            let t = PolyTrend::fit(view2(&v, nx, ny).unwrap(), order).unwrap();
            let r = TrendResidual {
                values: &v,
                nx,
                trend: t.table(),
            };
            // Float32 values: the same trend and residuals as their float64 widening.
            let t32 = PolyTrend::fit_rows(&v32, nx, ny, order).unwrap();
            let t64 = PolyTrend::fit(view2(&w32, nx, ny).unwrap(), order).unwrap();
            let r32 = TrendResidual {
                values: &v32,
                nx,
                trend: t32.table(),
            };
            let (mut row, mut row32) = (vec![0.0; nx], vec![0.0; nx]);
            for i in 0..ny {
                r.row(i, &mut row);
                r32.row(i, &mut row32);
                for j in 0..nx {
                    let want = v[i * nx + j] - t.at(i, j);
                    assert_eq!(row[j].to_bits(), want.to_bits(), "order {order} ({i}, {j})");
                    assert_eq!(r.at(i, j).to_bits(), want.to_bits());
                    assert_eq!(r.trend.at(i, j).to_bits(), t.at(i, j).to_bits());
                    let want32 = w32[i * nx + j] - t64.at(i, j);
                    assert_eq!(row32[j].to_bits(), want32.to_bits());
                    assert_eq!(r32.at(i, j).to_bits(), want32.to_bits());
                }
            }
        }
    }

    #[test]
    fn stored_residual_reads_its_rows() {
        let data: Vec<f64> = (0..12).map(f64::from).collect();
        let s = StoredResidual { data: &data, nx: 4 };
        let mut row = [0.0; 4];
        s.row(2, &mut row);
        assert_eq!((s.ny(), row, s.at(1, 3)), (3, [8.0, 9.0, 10.0, 11.0], 7.0));
    }
}

//! Extension of a detrended grid to a fast FFT size, as GMT's `gmt_fft_taper` with the
//! default `-N+e+t100`: the data sit at offset `(left, bottom) = ((nx2 - nx)/2, (ny2 - ny)/2)`;
//! rows are first extended by edge-point symmetry about the first and last column
//! (`z[-m] = 2·z[0] - z[m]`, `z[n-1+m] = 2·z[n-1] - z[n-1-m]`, `m = 1..=left`), then columns
//! likewise about the first and last row (`m = 1..=bottom`, using the x-extended values)
//! with weight `w(m) = ½(1 + cos(π·m/(bottom + 1)))`, then the x extension columns are
//! multiplied by `w(m)` with `left`. So the extension falls smoothly to zero where the
//! periodic copies meet. When `nx2 - nx` is odd the one extra column (row) on the high side
//! stays zero, as in GMT. Mirror indices are clamped to the data (`m <= n - 1`).
//!
//! Size: the smallest 2·3·5-smooth `n2 >= n + 2·max(8, ⌈n/16⌉)`, i.e. at least a margin of
//! 1/16 of the grid on each side (GMT's default only rounds up to a fast size; a margin
//! keeps the wrap-around of the transform away from the data).

use ndarray::{s, Array2, ArrayView2, ArrayViewMut1};

/// Smallest `m >= n` whose only prime factors are 2, 3 and 5.
pub fn next_smooth(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// FFT length for a grid dimension `n` (see the module docs).
pub fn fft_len(n: usize) -> usize {
    let margin = 8usize.max(n.div_ceil(16));
    next_smooth(n + 2 * margin)
}

/// Placement of the data inside the padded grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Data columns.
    pub nx: usize,
    /// Data rows.
    pub ny: usize,
    /// Padded columns.
    pub nx2: usize,
    /// Padded rows.
    pub ny2: usize,
    /// First data column in the padded grid.
    pub left: usize,
    /// First data row in the padded grid.
    pub bottom: usize,
}

impl Layout {
    /// Layout for an `nx` by `ny` grid.
    pub fn new(nx: usize, ny: usize) -> Self {
        let (nx2, ny2) = (fft_len(nx), fft_len(ny));
        Layout {
            nx,
            ny,
            nx2,
            ny2,
            left: (nx2 - nx) / 2,
            bottom: (ny2 - ny) / 2,
        }
    }
}

fn cos_weight(m: usize, width: usize) -> f64 {
    0.5 * (1.0 + (m as f64 * std::f64::consts::PI / (width as f64 + 1.0)).cos())
}

/// Extends and tapers the NaN-free `z` (`ny` rows by `nx` columns) into a new
/// `ny2 × nx2` array (the reference for [`PaddedRows`], which the transform uses).
pub fn extend(z: ArrayView2<'_, f64>, l: &Layout) -> Array2<f64> {
    let (nx, ny, nx2, ny2, il, jb) = (l.nx, l.ny, l.nx2, l.ny2, l.left, l.bottom);
    let mut p = Array2::zeros((ny2, nx2));
    for (src, mut row) in z.rows().into_iter().zip(p.rows_mut().into_iter().skip(jb)) {
        row.slice_mut(s![il..il + nx]).assign(&src);
        for m in 1..=il {
            let mm = m.min(nx - 1);
            row[il - m] = 2.0 * src[0] - src[mm];
            row[il + nx - 1 + m] = 2.0 * src[nx - 1] - src[nx - 1 - mm];
        }
    }
    for m in 1..=jb {
        let w = cos_weight(m, jb);
        let mm = m.min(ny - 1);
        for c in 0..nx2 {
            let first = p[[jb, c]];
            let last = p[[jb + ny - 1, c]];
            p[[jb - m, c]] = w * (2.0 * first - p[[jb + mm, c]]);
            p[[jb + ny - 1 + m, c]] = w * (2.0 * last - p[[jb + ny - 1 - mm, c]]);
        }
    }
    for m in 1..=il {
        let w = cos_weight(m, il);
        p.column_mut(il - m).mapv_inplace(|v| v * w);
        p.column_mut(il + nx - 1 + m).mapv_inplace(|v| v * w);
    }
    p
}

/// Where [`PaddedRows`] takes the data from: `data_row(i, out)` writes data row `i`
/// (`0..ny`, NaN-free) into `out` (`nx` values). Rows are asked for in the padded rows'
/// order, and the first and last rows and their mirrors more than once.
pub trait DataRows {
    /// Writes data row `i` into `out`.
    fn data_row(&mut self, i: usize, out: &mut [f64]);
}

/// The rows of an array (`ny` rows by `nx` columns).
pub struct ViewRows<'a>(pub ArrayView2<'a, f64>);

impl DataRows for ViewRows<'_> {
    fn data_row(&mut self, i: usize, out: &mut [f64]) {
        ArrayViewMut1::from(out).assign(&self.0.row(i));
    }
}

/// Rows made on demand by a closure (the spectral kernel's streamed input).
impl<F: FnMut(usize, &mut [f64])> DataRows for F {
    fn data_row(&mut self, i: usize, out: &mut [f64]) {
        self(i, out)
    }
}

/// Row-by-row producer of the padded grid of [`extend`] (same values, bit for bit), so
/// that the FFT can stream rows without holding the padded grid.
pub struct PaddedRows<R: DataRows> {
    rows: R,
    l: Layout,
    /// Taper weights by distance from the data, along x and along y.
    wx: Vec<f64>,
    wy: Vec<f64>,
    /// Scratch rows for the y extension.
    a: Vec<f64>,
    b: Vec<f64>,
}

impl<'a> PaddedRows<ViewRows<'a>> {
    /// Producer for `z` (`ny` rows by `nx` columns, NaN-free) placed by `l`.
    pub fn new(z: ArrayView2<'a, f64>, l: &Layout) -> Self {
        PaddedRows::with_rows(ViewRows(z), l)
    }
}

impl<R: DataRows> PaddedRows<R> {
    /// Producer for the data `rows` (`l.ny` rows of `l.nx` values, NaN-free) placed by `l`.
    pub fn with_rows(rows: R, l: &Layout) -> Self {
        PaddedRows {
            rows,
            l: *l,
            wx: (0..=l.left).map(|m| cos_weight(m, l.left)).collect(),
            wy: (0..=l.bottom).map(|m| cos_weight(m, l.bottom)).collect(),
            a: vec![0.0; l.nx2],
            b: vec![0.0; l.nx2],
        }
    }

    /// Row `i` of the data, extended along x (no taper yet).
    fn x_extended(&mut self, i: usize, row: &mut [f64]) {
        let (nx, il) = (self.l.nx, self.l.left);
        row.fill(0.0);
        self.rows.data_row(i, &mut row[il..il + nx]);
        for m in 1..=il {
            let mm = m.min(nx - 1);
            row[il - m] = 2.0 * row[il] - row[il + mm];
            row[il + nx - 1 + m] = 2.0 * row[il + nx - 1] - row[il + nx - 1 - mm];
        }
    }

    /// Writes padded row `r` (`0..ny2`) into `row` (`nx2` values): the FFT's input buffer.
    /// Not inlined: see the note in `fft2.rs` on V8's first calls.
    #[inline(never)]
    pub fn fill(&mut self, r: usize, row: &mut [f64]) {
        let (nx, ny, il, jb) = (self.l.nx, self.l.ny, self.l.left, self.l.bottom);
        if (jb..jb + ny).contains(&r) {
            self.x_extended(r - jb, row);
        } else {
            let (edge, m, mirror) = if r < jb {
                let m = jb - r;
                (0, m, m.min(ny - 1))
            } else if r < jb + ny + jb {
                let m = r - (jb + ny - 1);
                (ny - 1, m, ny - 1 - m.min(ny - 1))
            } else {
                row.fill(0.0); // the extra row of an odd padding stays zero
                return;
            };
            let (mut a, mut b) = (std::mem::take(&mut self.a), std::mem::take(&mut self.b));
            self.x_extended(edge, &mut a);
            self.x_extended(mirror, &mut b);
            let w = self.wy[m];
            for ((o, &first), &mirrored) in row.iter_mut().zip(&a).zip(&b) {
                *o = w * (2.0 * first - mirrored);
            }
            (self.a, self.b) = (a, b);
        }
        for m in 1..=il {
            row[il - m] *= self.wx[m];
            row[il + nx - 1 + m] *= self.wx[m];
        }
    }
}

/// The data window of a padded array (a view, no copy).
pub fn crop<'a>(p: ArrayView2<'a, f64>, l: &Layout) -> ArrayView2<'a, f64> {
    p.slice_move(s![l.bottom..l.bottom + l.ny, l.left..l.left + l.nx])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bits::same_bits;

    #[test]
    fn next_smooth_finds_2_3_5_numbers() {
        assert_eq!(next_smooth(4096 + 512), 4608);
        assert_eq!(next_smooth(7), 8);
        assert_eq!(next_smooth(97), 100);
        assert_eq!(fft_len(64), 80);
    }

    #[test]
    fn padded_rows_equal_extend_bit_for_bit() {
        for (nx, ny) in [(20usize, 18usize), (7, 3), (33, 41), (2, 2)] {
            let z: Vec<f64> = (0..nx * ny)
                .map(|k| ((k % nx) as f64 * 0.7).sin() * 3.0 + (k / nx) as f64 * 0.13)
                .collect();
            let l = Layout::new(nx, ny);
            let z = ArrayView2::from_shape((ny, nx), &z).unwrap();
            let p = extend(z, &l);
            let mut rows = PaddedRows::new(z, &l);
            let mut row = vec![f64::NAN; l.nx2];
            for r in 0..l.ny2 {
                rows.fill(r, &mut row);
                let want = p.row(r);
                assert!(same_bits(&row, want), "{nx}x{ny} row {r}");
            }
        }
    }

    #[test]
    fn extend_is_edge_point_symmetric_and_tapers_to_zero() {
        let (nx, ny) = (20, 18);
        let z: Vec<f64> = (0..nx * ny)
            .map(|k| ((k % nx) as f64 * 0.3).sin() + (k / nx) as f64 * 0.1)
            .collect();
        let l = Layout::new(nx, ny);
        let z = ArrayView2::from_shape((ny, nx), &z).unwrap();
        let p = extend(z, &l);
        assert_eq!(crop(p.view(), &l), z);
        // Row 3: first x-extension point before tapering is 2 z0 - z1, times w(1).
        let r = l.bottom + 3;
        let w1 = cos_weight(1, l.left);
        let want = w1 * (2.0 * z[[3, 0]] - z[[3, 1]]);
        assert!((p[[r, l.left - 1]] - want).abs() < 1e-14);
        // The outermost extension is small (weight of m = left is sin² of a small angle).
        let wl = cos_weight(l.left, l.left);
        assert!(wl < 0.05);
    }
}

//! NaN-ignoring median filter with a square or circular footprint (as
//! `scipy.ndimage.median_filter`, but skipping NaN).
//!
//! Footprint for an odd `size = 2h + 1`: square = all offsets `|di|, |dj| <= h`; circular
//! = offsets with `di² + dj² <= (size / 2)²` (a disc of radius `h + 0.5`; for size 5 the 21
//! cells of the 5×5 square without its corners).
//!
//! Each output cell is the median of the valid (non-NaN) input cells under the footprint,
//! the mean of the two middle values for an even count (numpy's `nanmedian`). Cells that are
//! NaN in the input stay NaN. Edges: cells outside the grid count as missing, so the
//! footprint is truncated at the edge — equal to
//! `scipy.ndimage.generic_filter(g, numpy.nanmedian, footprint=fp, mode="constant", cval=nan)`
//! everywhere, and to `median_filter(g, footprint=fp)` away from edges on NaN-free grids.
//!
//! Algorithm: gather the window into a reused buffer. A full window of 9, 21, 25, 37 or 49
//! values goes through a branch-free selection network ([`super::median_network`]); any
//! other window (edges, NaN, larger sizes) through Wirth's selection. Both return the same exact order statistic.
//! Under wasm SIMD (`simd128`) interior cells go two at a time: one unaligned 16-byte load
//! per footprint offset holds the values of both neighbouring windows, and the network runs
//! on both lanes (`f64x2.pmin`/`pmax`); a pair with a NaN falls back to the scalar path.
//! The result does not depend on the path (same order statistic; on ties between `0.0` and
//! `-0.0` either zero may be returned, equal as numbers).

use ndarray::{Array2, ArrayView2};

use super::{check_band, median_network::median_full, FilterError};

/// Wirth's selection (Wirth 1976, "Algorithms + Data Structures = Programs"): returns the
/// `k`-th smallest value of a NaN-free, non-empty buffer and leaves `a[..k] <= a[k] <=
/// a[k+1..]`. Fast for the small windows of a median filter.
fn wirth_select(a: &mut [f64], k: usize) -> f64 {
    let (mut l, mut m) = (0isize, a.len() as isize - 1);
    let k = k as isize;
    while l < m {
        let x = a[k as usize];
        let (mut i, mut j) = (l, m);
        loop {
            while a[i as usize] < x {
                i += 1;
            }
            while x < a[j as usize] {
                j -= 1;
            }
            if i <= j {
                a.swap(i as usize, j as usize);
                i += 1;
                j -= 1;
            }
            if i > j {
                break;
            }
        }
        if j < k {
            l = i;
        }
        if k < i {
            m = j;
        }
    }
    a[k as usize]
}

/// Median of a NaN-free buffer (mean of the two middle values for an even count; NaN when
/// empty), reordering it.
fn small_median(a: &mut [f64]) -> f64 {
    let n = a.len();
    if n == 0 {
        return f64::NAN;
    }
    let m = wirth_select(a, n / 2);
    if n % 2 == 1 {
        m
    } else {
        let below = a[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + m)
    }
}

/// Footprint offsets `(di, dj)` for `size` (odd) and shape.
pub fn footprint(size: usize, circular: bool) -> Vec<(isize, isize)> {
    let h = (size / 2) as isize;
    let r2 = (size as f64 / 2.0).powi(2);
    let mut fp = Vec::new();
    for di in -h..=h {
        for dj in -h..=h {
            if !circular || ((di * di + dj * dj) as f64) <= r2 {
                fp.push((di, dj));
            }
        }
    }
    fp
}

/// Median-filters rows `row0..row1` of `grid` (`ny` rows by `nx` columns, NaN = nodata)
/// with an odd `size` footprint, square or circular. Returns the `(row1 - row0, nx)`
/// filtered rows.
///
/// # Errors
/// [`FilterError`] for an empty grid, a bad row band, or an even / zero `size`.
///
/// # Example
/// ```
/// use gam_core::filters::median::median_filter;
/// use ndarray::array;
/// let g = array![[1.0, 2.0, 3.0], [4.0, 100.0, 6.0], [7.0, 8.0, 9.0]];
/// let out = median_filter(g.view(), 3, false, 1, 2).unwrap();
/// assert_eq!(out[[0, 1]], 6.0); // median of 1, 2, 3, 4, 6, 7, 8, 9, 100
/// ```
pub fn median_filter(
    grid: ArrayView2<'_, f64>,
    size: usize,
    circular: bool,
    row0: usize,
    row1: usize,
) -> Result<Array2<f64>, FilterError> {
    check_band(&grid, row0, row1)?;
    if size == 0 || size.is_multiple_of(2) {
        return Err(FilterError::BadSize { size });
    }
    let (ny, nx) = grid.dim();
    let h = size / 2;
    let fp = footprint(size, circular);
    // The SIMD pair path loads both neighbouring windows with one 16-byte load per footprint
    // offset: it needs the grid's memory as a row-major slice, with linear offsets
    // `di·nx + dj`. A view from the boundary is in standard layout, so this borrows; another
    // layout is copied once. The scalar path indexes the view: natively as fast as linear
    // offsets into the slice (median 5×5 on 2048², CPU 0.49 / 0.51 s square / circular
    // indexing the view, 0.50 / 0.43 s with offsets, 0.52 / 0.41 s again: noise;
    // `cargo test --release -- --ignored bench_median_5x5`).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let grid_std = grid.as_standard_layout();
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (flat, lin) = (
        grid_std.as_slice().expect("standard layout is contiguous"),
        fp.iter()
            .map(|&(di, dj)| di * nx as isize + dj)
            .collect::<Vec<isize>>(),
    );
    let mut buf: Vec<f64> = Vec::with_capacity(fp.len());
    let mut out = Array2::from_elem((row1 - row0, nx), f64::NAN);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let mut pair = pairs::PairWindow::new(&lin);
    for (i, mut dst) in (row0..row1).zip(out.rows_mut()) {
        crate::cancel::check()?;
        let interior_row = i >= h && i + h < ny;
        let mut j = 0;
        while j < nx {
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            if interior_row && j >= h && j + 1 + h < nx {
                if let Some((a, b)) = pair.median(flat, i * nx + j) {
                    dst[j] = a;
                    dst[j + 1] = b;
                    j += 2;
                    continue;
                }
            }
            j += 1;
            let j = j - 1; // the scalar path below takes cell `j` alone
            if grid[[i, j]].is_nan() {
                continue;
            }
            buf.clear();
            if interior_row && j >= h && j + h < nx {
                for &(di, dj) in &fp {
                    let v = grid[[(i as isize + di) as usize, (j as isize + dj) as usize]];
                    if !v.is_nan() {
                        buf.push(v);
                    }
                }
            } else {
                for &(di, dj) in &fp {
                    let (a, b) = (i as isize + di, j as isize + dj);
                    if a < 0 || b < 0 || a >= ny as isize || b >= nx as isize {
                        continue;
                    }
                    let v = grid[[a as usize, b as usize]];
                    if !v.is_nan() {
                        buf.push(v);
                    }
                }
            }
            let full = if buf.len() == fp.len() {
                median_full(&mut buf)
            } else {
                None
            };
            dst[j] = match full {
                Some(m) => m,
                None => small_median(&mut buf),
            };
        }
    }
    Ok(out)
}

/// Two neighbouring output cells at once with wasm SIMD: the windows of cells `c` and
/// `c + 1` are the same offsets shifted by one, so one unaligned 16-byte load per offset
/// gives both windows' values side by side, and the selection network runs on both lanes.
/// Only for interior cells whose two windows are full (no NaN); anything else returns
/// `None` and the scalar path takes the cell. Same order statistic as the scalar path.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod pairs {
    use core::arch::wasm32::{
        f64x2_extract_lane, f64x2_ne, f64x2_pmax, f64x2_pmin, f64x2_splat, v128, v128_any_true,
        v128_load, v128_or,
    };

    use super::super::median_network::{median_full, MinMax};

    /// Two `f64` lanes, one window each.
    #[derive(Clone, Copy)]
    struct F64x2(v128);

    impl MinMax for F64x2 {
        #[inline(always)]
        fn min(self, other: Self) -> Self {
            // pmin(a, b) = b < a ? b : a, lane-wise: one of the two on NaN-free values.
            F64x2(f64x2_pmin(self.0, other.0))
        }
        #[inline(always)]
        fn max(self, other: Self) -> Self {
            F64x2(f64x2_pmax(self.0, other.0))
        }
    }

    /// Window offsets and a reused buffer of lanes.
    pub(super) struct PairWindow<'a> {
        lin: &'a [isize],
        buf: Vec<F64x2>,
        network: bool,
    }

    impl<'a> PairWindow<'a> {
        pub(super) fn new(lin: &'a [isize]) -> Self {
            PairWindow {
                lin,
                buf: vec![F64x2(f64x2_splat(0.0)); lin.len()],
                network: matches!(lin.len(), 9 | 21 | 25 | 37 | 49),
            }
        }

        /// Medians of the full windows of cells `c` and `c + 1` of `grid`, or `None` when
        /// either window holds a NaN (or no network fits the footprint). The caller
        /// guarantees both windows lie inside the grid.
        #[inline]
        pub(super) fn median(&mut self, grid: &[f64], c: usize) -> Option<(f64, f64)> {
            if !self.network {
                return None;
            }
            let mut bad = f64x2_splat(0.0);
            for (slot, &o) in self.buf.iter_mut().zip(self.lin) {
                let k = (c as isize + o) as usize;
                let pair = &grid[k..k + 2];
                // SAFETY: `pair` is a bounds-checked slice of exactly two f64 (16 bytes),
                // and wasm `v128.load` has no alignment requirement.
                let v = unsafe { v128_load(pair.as_ptr().cast::<v128>()) };
                bad = v128_or(bad, f64x2_ne(v, v));
                *slot = F64x2(v);
            }
            if v128_any_true(bad) {
                return None;
            }
            let m = median_full(&mut self.buf)?;
            Some((f64x2_extract_lane::<0>(m.0), f64x2_extract_lane::<1>(m.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::{into_row_major, view2};

    /// [`median_filter`] on a flat row-major grid, as the boundary calls it.
    #[allow(clippy::too_many_arguments)]
    fn mf(
        g: &[f64],
        nx: usize,
        ny: usize,
        size: usize,
        circ: bool,
        r0: usize,
        r1: usize,
    ) -> Result<Vec<f64>, FilterError> {
        median_filter(view2(g, nx, ny).unwrap(), size, circ, r0, r1).map(into_row_major)
    }

    fn naive(g: &[f64], nx: usize, ny: usize, size: usize, circ: bool) -> Vec<f64> {
        let fp = footprint(size, circ);
        let mut out = vec![f64::NAN; nx * ny];
        for i in 0..ny {
            for j in 0..nx {
                if g[i * nx + j].is_nan() {
                    continue;
                }
                let mut v: Vec<f64> = fp
                    .iter()
                    .filter_map(|&(di, dj)| {
                        let (a, b) = (i as isize + di, j as isize + dj);
                        (a >= 0 && b >= 0 && a < ny as isize && b < nx as isize)
                            .then(|| g[a as usize * nx + b as usize])
                    })
                    .filter(|x| !x.is_nan())
                    .collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let n = v.len();
                out[i * nx + j] = if n % 2 == 1 {
                    v[n / 2]
                } else {
                    0.5 * (v[n / 2 - 1] + v[n / 2])
                };
            }
        }
        out
    }

    #[test]
    fn median_filter_matches_sorting_reference_with_nan_and_edges() {
        let (nx, ny) = (19, 13);
        let mut g: Vec<f64> = (0..nx * ny).map(|k| ((k * 7919) % 101) as f64).collect();
        for k in [0, 20, 21, 22, 100, 246] {
            g[k] = f64::NAN;
        }
        for (size, circ) in [(1, false), (3, false), (5, false), (5, true), (7, true)] {
            let got = mf(&g, nx, ny, size, circ, 0, ny).unwrap();
            let want = naive(&g, nx, ny, size, circ);
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!(a == b || (a.is_nan() && b.is_nan()), "size {size} cell {k}");
            }
        }
    }

    #[test]
    fn median_filter_circular_footprint_of_five_has_21_cells() {
        assert_eq!(footprint(5, true).len(), 21);
        assert_eq!(footprint(5, false).len(), 25);
    }

    #[test]
    fn median_filter_bands_are_bit_identical_to_the_whole_grid() {
        let (nx, ny) = (17, 20);
        let g: Vec<f64> = (0..nx * ny).map(|k| ((k * 31) % 17) as f64 * 0.5).collect();
        let whole = mf(&g, nx, ny, 5, true, 0, ny).unwrap();
        for (r0, r1) in [(0usize, 7usize), (7, 14), (14, 20)] {
            let (g0, g1) = (r0.saturating_sub(2), (r1 + 2).min(ny));
            let part = mf(&g[g0 * nx..g1 * nx], nx, g1 - g0, 5, true, r0 - g0, r1 - g0).unwrap();
            assert_eq!(part, whole[r0 * nx..r1 * nx].to_vec());
        }
    }

    #[test]
    fn small_median_matches_sorting_on_many_small_buffers() {
        let mut s = 99u64;
        for n in 1..60 {
            for _ in 0..50 {
                let mut v: Vec<f64> = (0..n)
                    .map(|_| {
                        s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((s >> 40) % 7) as f64 // many ties
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let want = if n % 2 == 1 {
                    sorted[n / 2]
                } else {
                    0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
                };
                assert_eq!(small_median(&mut v), want, "n {n}");
            }
        }
    }

    #[test]
    fn median_filter_rejects_even_size() {
        let e = mf(&[0.0; 4], 2, 2, 4, false, 0, 2).unwrap_err();
        assert!(e.to_string().contains("`size`"));
    }
}

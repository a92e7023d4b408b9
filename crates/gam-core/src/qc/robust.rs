//! Median and median absolute deviation of a residual grid read row by row
//! ([`super::residual::ResidualRows`]), NaN ignored: the same `(median, MAD)` as
//! [`crate::outliers::stats::nan_median_mad`], bit for bit, without a copy of the values.
//!
//! Each median is selected among the values whose `total_cmp` keys lie in a range that holds
//! rank `n / 2`: a sample of about 65,536 cells brackets it, and one pass counts the values,
//! copies those in the bracket (about 3% of them) and counts those below it, keeping their
//! largest, which with the bracket's values gives the lower middle value of an even count. If
//! the rank falls outside the bracket (a sample unlike the whole grid), the range is the
//! 16-bit bucket of the keys that holds it, from a histogram of the keys' top bits: two more
//! passes. The MAD repeats this on `|r - median|`, recomputed in each pass. `O(nx·ny)` per
//! pass, two passes in all (four at worst); memory: a row, the sample, the bracket's values
//! (two 256 KiB histograms at worst). Every pass is one call per row, so that V8 runs it in
//! optimised code (it runs a WebAssembly function's first call in its baseline code to its
//! end).

use super::residual::ResidualRows;

/// `(median, MAD)` of the non-NaN residuals of `src` (NaN, NaN when there are none).
///
/// # Example
/// ```
/// use gam_core::qc::{residual::StoredResidual, robust::median_mad};
/// let data = [1.0, 2.0, f64::NAN, 4.0, 9.0, 3.0];
/// assert_eq!(median_mad(&StoredResidual { data: &data, nx: 3 }), (3.0, 1.0));
/// ```
pub fn median_mad(src: &impl ResidualRows) -> (f64, f64) {
    let mut buf = vec![0.0; src.nx()];
    let med = median_by_select(src, &mut buf, |_| {});
    if med.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let mad = median_by_select(src, &mut buf, |row| abs_dev_row(row, med));
    (med, mad)
}

/// `|r - med|` in place (NaN stays NaN).
#[inline(always)]
fn abs_dev_row(row: &mut [f64], med: f64) {
    for v in row {
        *v = (*v - med).abs();
    }
}

/// A key whose unsigned order is `f64::total_cmp`'s.
#[inline(always)]
fn total_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Cells sampled (about) to bracket a median before its pass.
const SAMPLES: usize = 1 << 16;

/// `crate::outliers::stats::median_in_place` of the non-NaN values of `src`'s rows, each
/// row transformed by `map` after it is read; NaN when there are none.
fn median_by_select<R: ResidualRows>(
    src: &R,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]) + Copy,
) -> f64 {
    // An odd stride, so that the samples do not fall on the same columns row after row.
    let stride = ((src.nx() * src.ny()) / SAMPLES).max(1) | 1;
    median_by_select_with(src, buf, map, stride)
}

/// [`median_by_select`] with a sample of every `stride`-th cell. The sample's keys bracket
/// the middle rank (8 binomial standard deviations of a random sample each side); one pass
/// counts the values, counts those below the bracket and keeps their largest, and copies
/// those inside it (about 3% of them), in which the median is selected. When the middle rank
/// falls outside (a sample unlike the whole), the 16-bit key histogram finds its bucket in
/// two more passes.
fn median_by_select_with<R: ResidualRows>(
    src: &R,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]) + Copy,
    stride: usize,
) -> f64 {
    let (nx, ny) = (src.nx(), src.ny());
    let mut sample: Vec<u64> = (0..nx * ny)
        .step_by(stride)
        .filter_map(|k| {
            let mut v = [src.at(k / nx, k % nx)];
            map(&mut v);
            (!v[0].is_nan()).then(|| total_key(v[0]))
        })
        .collect();
    if !sample.is_empty() {
        sample.sort_unstable();
        let ns = sample.len();
        let margin = 4 * (ns as f64).sqrt() as usize + 1;
        let range = [
            sample[(ns / 2).saturating_sub(margin)],
            sample[(ns / 2 + margin).min(ns - 1)],
        ];
        let expected = (2 * margin).min(ns) * stride * 5 / 4;
        let mut pass = RangePass::new(range, expected);
        for i in 0..ny {
            range_row(src, i, buf, map, &mut pass);
        }
        let mid = pass.n / 2;
        if pass.lower_count <= mid && mid < pass.lower_count + pass.bucket.len() {
            return pass.median();
        }
    }
    // The 16-bit key histogram. Two histograms, for even and odd columns: neighbouring values
    // of a smooth field often fall in one bucket, and one histogram would chain each count on
    // the previous one.
    let mut hists = vec![0u32; 2 << 16];
    let mut n = 0usize;
    for i in 0..ny {
        n += hist_row(src, i, buf, map, &mut hists);
    }
    let (hist, odd) = hists.split_at_mut(1 << 16);
    for (h, o) in hist.iter_mut().zip(odd.iter()) {
        *h += o;
    }
    if n == 0 {
        return f64::NAN;
    }
    let (mut digit, mut rank) = (0usize, n / 2);
    while rank >= hist[digit] as usize {
        rank -= hist[digit] as usize;
        digit += 1;
    }
    let bucket_len = hist[digit] as usize;
    drop(hists);
    let low = (digit as u64) << 48;
    let mut pass = RangePass::new([low, low | ((1 << 48) - 1)], bucket_len);
    for i in 0..ny {
        range_row(src, i, buf, map, &mut pass);
    }
    pass.median()
}

/// One pass over the values for the keys in `range` (inclusive): how many values there are,
/// how many lie below the range and their largest, and the values inside it.
struct RangePass {
    range: [u64; 2],
    n: usize,
    lower_count: usize,
    lower_max: f64,
    bucket: Vec<f64>,
}

impl RangePass {
    fn new(range: [u64; 2], capacity: usize) -> Self {
        Self {
            range,
            n: 0,
            lower_count: 0,
            lower_max: f64::NEG_INFINITY,
            bucket: Vec::with_capacity(capacity),
        }
    }

    /// The median of all the values, whose middle rank `n / 2` lies in the bucket (NaN for no
    /// values).
    fn median(mut self) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let mid = self.n / 2;
        let (_, &mut m, _) = self
            .bucket
            .select_nth_unstable_by(mid - self.lower_count, f64::total_cmp);
        if self.n % 2 == 1 {
            return m;
        }
        // The lower middle value: `median_in_place` takes the largest (by `f64::max`) of the
        // values before rank `mid`, which are the values whose key is below `m`'s (those below
        // the range and those of the bucket) plus, when fewer than `mid` are, copies of `m`
        // itself. The largest of a set does not depend on the order it is taken in (the one
        // case where `f64::max` may answer either, -0 against +0, gives the same
        // `0.5 * (below + m)`).
        let key = total_key(m);
        let (mut below_count, mut below) = (self.lower_count, self.lower_max);
        for &v in self.bucket.iter().filter(|&&v| total_key(v) < key) {
            below_count += 1;
            below = below.max(v);
        }
        if below_count < mid {
            below = below.max(m);
        }
        0.5 * (below + m)
    }
}

/// Counts row `i`'s non-NaN values by the top 16 bits of their keys, even columns in the
/// first half of `hists`, odd ones in the second; returns how many.
#[inline(never)]
fn hist_row<R: ResidualRows>(
    src: &R,
    i: usize,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]),
    hists: &mut [u32],
) -> usize {
    src.row(i, buf);
    map(buf);
    let (even, odd) = hists.split_at_mut(1 << 16);
    let mut n = 0;
    let mut pairs = buf.chunks_exact(2);
    for p in &mut pairs {
        for (h, v) in [(&mut *even, p[0]), (&mut *odd, p[1])] {
            if !v.is_nan() {
                h[(total_key(v) >> 48) as usize] += 1;
                n += 1;
            }
        }
    }
    for &v in pairs.remainder() {
        if !v.is_nan() {
            even[(total_key(v) >> 48) as usize] += 1;
            n += 1;
        }
    }
    n
}

/// Row `i`'s non-NaN values into `pass`.
#[inline(never)]
fn range_row<R: ResidualRows>(
    src: &R,
    i: usize,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]),
    pass: &mut RangePass,
) {
    src.row(i, buf);
    map(buf);
    let [lo, hi] = pass.range;
    let (mut n, mut lower_count, mut lower_max) = (0, 0, pass.lower_max);
    for &v in buf.iter() {
        if v.is_nan() {
            continue;
        }
        n += 1;
        let key = total_key(v);
        // Below or above the bracket at random for a noisy field: no branch on it.
        let below = key < lo;
        lower_count += usize::from(below);
        lower_max = lower_max.max(if below { v } else { f64::NEG_INFINITY });
        if !below && key <= hi {
            pass.bucket.push(v);
        }
    }
    pass.n += n;
    pass.lower_count += lower_count;
    pass.lower_max = lower_max;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outliers::stats::nan_median_mad;
    use crate::qc::residual::StoredResidual;
    use crate::test_rng::Lcg;

    /// Compares with the copying reference on `data` cut into rows of `nx`.
    fn check(data: &[f64], nx: usize) {
        let got = median_mad(&StoredResidual { data, nx });
        let want = nan_median_mad(data);
        assert_eq!(
            (got.0.to_bits(), got.1.to_bits()),
            (want.0.to_bits(), want.1.to_bits()),
            "{data:?}"
        );
    }

    #[test]
    fn median_mad_gives_the_copying_reference_bit_for_bit() {
        let mut rng = Lcg(3);
        for n in [1usize, 2, 3, 4, 7, 64, 501, 1000, 4096] {
            for nx in [1, 4, 7] {
                let len = n.div_ceil(nx) * nx;
                // Spread values, NaN holes, and many repeats (values rounded to a grid).
                let spread: Vec<f64> = (0..len)
                    .map(|k| {
                        if k % 13 == 4 {
                            f64::NAN
                        } else {
                            (rng.unit() - 0.3) * 1e4
                        }
                    })
                    .collect();
                check(&spread, nx);
                let repeats: Vec<f64> = (0..len).map(|_| (rng.unit() * 5.0).floor()).collect();
                check(&repeats, nx);
                // One sign, close values: one bucket holds most of them.
                let close: Vec<f64> = (0..len).map(|_| 1.0 + rng.unit() * 1e-9).collect();
                check(&close, nx);
            }
        }
        // Ties with signed zeros, NaN and infinities; tiny numbers.
        for n in [1usize, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 4097] {
            let ties: Vec<f64> = (0..n)
                .map(|i| [0.0, -0.0, f64::NAN, 1.0, -1.0, f64::INFINITY][i % 6])
                .collect();
            check(&ties, 1);
            let tiny: Vec<f64> = (0..n).map(|_| (rng.unit() - 0.5) * 1e-300).collect();
            check(&tiny, 1);
        }
        check(&[0.0, -0.0, 0.0, -0.0], 2);
        check(
            &[f64::INFINITY, 1.0, f64::NEG_INFINITY, 2.0, 3.0, f64::NAN],
            3,
        );
    }

    #[test]
    fn a_sample_unlike_the_grid_falls_back_to_the_key_histogram() {
        let mut rng = Lcg(8);
        for len in [40usize, 45, 1000, 1005] {
            // Every fifth cell, the sample's, far above the others: the bracket misses the
            // middle rank.
            let data: Vec<f64> = (0..len)
                .map(|k| {
                    if k % 5 == 0 {
                        1e6 + rng.unit()
                    } else {
                        rng.unit() - 0.5
                    }
                })
                .collect();
            let src = StoredResidual { data: &data, nx: 5 };
            let mut buf = [0.0; 5];
            let got = median_by_select_with(&src, &mut buf, |_| {}, 5);
            let want = nan_median_mad(&data).0;
            assert_eq!(got.to_bits(), want.to_bits(), "{len}");
            // A stride that samples the whole grid, or every third cell: the bracket holds it.
            for stride in [1, 3] {
                let got = median_by_select_with(&src, &mut buf, |_| {}, stride);
                assert_eq!(got.to_bits(), want.to_bits(), "{len} {stride}");
            }
        }
    }

    #[test]
    fn median_mad_of_no_values_is_nan() {
        let (m, d) = median_mad(&StoredResidual {
            data: &[f64::NAN; 6],
            nx: 3,
        });
        assert!(m.is_nan() && d.is_nan());
    }
}

//! Median and median absolute deviation of a residual grid read row by row
//! ([`super::residual::ResidualRows`]), NaN ignored: the same `(median, MAD)` as
//! [`crate::outliers::stats::nan_median_mad`], bit for bit, without a copy of the values.
//!
//! Each median is selected among the values that share the top 16 bits of its `total_cmp` key:
//! one pass counts the keys' top bits (and the values), one copies the values of the bucket
//! that holds rank `n / 2` (a small fraction of them unless most values share their sign,
//! exponent and first mantissa bits) and selects in it, counting meanwhile the values of the
//! lower buckets and keeping their largest, which with the bucket gives the lower middle value
//! of an even count. The MAD repeats this on `|r - median|`, recomputed in each pass.
//! `O(nx·ny)` per pass, four passes; memory: a row, two 256 KiB histograms and the bucket. Every pass is one call per row, so that V8 runs it in optimised code (it runs a
//! WebAssembly function's first call in its baseline code to its end).

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

/// `crate::outliers::stats::median_in_place` of the non-NaN values of `src`'s rows, each
/// row transformed by `map` after it is read; NaN when there are none.
fn median_by_select<R: ResidualRows>(
    src: &R,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]) + Copy,
) -> f64 {
    let ny = src.ny();
    // Two histograms, for even and odd columns: neighbouring values of a smooth field often
    // fall in one bucket, and one histogram would chain each count on the previous one.
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
    let mid = n / 2;
    let (mut digit, mut rank) = (0usize, mid);
    while rank >= hist[digit] as usize {
        rank -= hist[digit] as usize;
        digit += 1;
    }
    let mut bucket = Vec::with_capacity(hist[digit] as usize);
    drop(hists);
    // The bucket, and the count and largest of the values in the buckets below it.
    let (mut lower_count, mut lower_max) = (0usize, f64::NEG_INFINITY);
    for i in 0..ny {
        bucket_row(
            src,
            i,
            buf,
            map,
            digit as u64,
            &mut bucket,
            &mut lower_count,
            &mut lower_max,
        );
    }
    let (_, &mut m, _) = bucket.select_nth_unstable_by(rank, f64::total_cmp);
    if n % 2 == 1 {
        return m;
    }
    // The lower middle value: `median_in_place` takes the largest (by `f64::max`) of the
    // values before rank `mid`, which are the values whose key is below `m`'s (those of the
    // lower buckets and those of `m`'s bucket) plus, when fewer than `mid` are, copies of `m`
    // itself. The largest of a set does not depend on the order it is taken in (the one case
    // where `f64::max` may answer either, -0 against +0, gives the same `0.5 * (below + m)`).
    let key = total_key(m);
    let (mut below_count, mut below) = (lower_count, lower_max);
    for &v in bucket.iter().filter(|&&v| total_key(v) < key) {
        below_count += 1;
        below = below.max(v);
    }
    if below_count < mid {
        below = below.max(m);
    }
    0.5 * (below + m)
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

/// Appends row `i`'s non-NaN values whose key's top 16 bits are `digit` to `bucket`, and counts
/// those below that digit into `lower_count`, keeping their largest in `lower_max`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn bucket_row<R: ResidualRows>(
    src: &R,
    i: usize,
    buf: &mut [f64],
    map: impl Fn(&mut [f64]),
    digit: u64,
    bucket: &mut Vec<f64>,
    lower_count: &mut usize,
    lower_max: &mut f64,
) {
    src.row(i, buf);
    map(buf);
    for &v in buf.iter() {
        if v.is_nan() {
            continue;
        }
        let d = total_key(v) >> 48;
        if d == digit {
            bucket.push(v);
        } else if d < digit {
            *lower_count += 1;
            *lower_max = lower_max.max(v);
        }
    }
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
        // Signed zeros and infinities.
        check(&[0.0, -0.0, 0.0, -0.0], 2);
        check(
            &[f64::INFINITY, 1.0, f64::NEG_INFINITY, 2.0, 3.0, f64::NAN],
            3,
        );
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

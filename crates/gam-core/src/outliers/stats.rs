//! Order statistics shared by the outlier rules and QC: median, MAD and numpy's default
//! ("linear", method 7 of Hyndman and Fan) quantile, all ignoring NaN.

/// Copies the non-NaN values of `values` (the input is never reordered). The buffer is
/// sized for all of them up front: growing it by doubling left a 4096² grid's WebAssembly
/// memory with the half-size buffer's 64 MiB besides the full one.
pub fn finite_copy(values: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    out.extend(values.iter().copied().filter(|v| !v.is_nan()));
    out
}

/// Median of a NaN-free buffer, reordering it in place; mean of the two middle values for
/// an even count (numpy's `median`). Returns NaN for an empty buffer.
pub fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lower, m, _) = buf.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + m)
    }
}

/// Median of the non-NaN values (NaN if there are none).
pub fn nan_median(values: &[f64]) -> f64 {
    median_in_place(&mut finite_copy(values))
}

/// Median and unscaled median absolute deviation of the non-NaN values.
pub fn nan_median_mad(values: &[f64]) -> (f64, f64) {
    let mut buf = finite_copy(values);
    let med = median_in_place(&mut buf);
    for v in buf.iter_mut() {
        *v = (*v - med).abs();
    }
    (med, median_in_place(&mut buf))
}

/// The same `(median, MAD)` as [`nan_median_mad`], bit for bit, without copying `values`:
/// each median is selected among the values that share the top 16 bits of its `total_cmp`
/// key (one counting pass, one pass copying that bucket, one more for the lower middle value
/// of an even count), the absolute deviations recomputed in every pass. For large grids
/// (QC's anomaly search on 4096², where the copy was 128 MiB).
pub fn nan_median_mad_no_copy(values: &[f64]) -> (f64, f64) {
    let n = values.iter().filter(|v| !v.is_nan()).count();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let med = median_by_select(n, |f| {
        for &v in values {
            if !v.is_nan() {
                f(v);
            }
        }
    });
    let mad = median_by_select(n, |f| {
        for &v in values {
            if !v.is_nan() {
                f((v - med).abs());
            }
        }
    });
    (med, mad)
}

/// A key whose unsigned order is `f64::total_cmp`'s.
fn total_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// [`median_in_place`] of the `n` NaN-free values that `each` feeds to its callback (in any
/// order, the same values on every call): the top 16 bits of the keys are counted in one
/// pass, the values in the bucket that holds rank `n / 2` are copied (a fraction of them
/// unless most values share their sign, exponent and first mantissa bits) and selected in.
fn median_by_select(n: usize, each: impl Fn(&mut dyn FnMut(f64))) -> f64 {
    let mid = n / 2;
    let mut hist = vec![0u32; 1 << 16];
    each(&mut |v| hist[(total_key(v) >> 48) as usize] += 1);
    let (mut digit, mut rank) = (0usize, mid);
    while rank >= hist[digit] as usize {
        rank -= hist[digit] as usize;
        digit += 1;
    }
    let mut bucket = Vec::with_capacity(hist[digit] as usize);
    drop(hist);
    each(&mut |v| {
        if (total_key(v) >> 48) as usize == digit {
            bucket.push(v);
        }
    });
    let (_, &mut m, _) = bucket.select_nth_unstable_by(rank, f64::total_cmp);
    if n % 2 == 1 {
        return m;
    }
    // The lower middle value: `median_in_place` takes the largest (by `f64::max`) of the values
    // before rank `mid`, which are the values whose key is below `m`'s plus, when fewer than
    // `mid` are, copies of `m` itself.
    let key = total_key(m);
    let mut below_count = 0usize;
    let mut below = f64::NEG_INFINITY;
    each(&mut |v| {
        if total_key(v) < key {
            below_count += 1;
            below = below.max(v);
        }
    });
    if below_count < mid {
        below = below.max(m);
    }
    0.5 * (below + m)
}

/// numpy's `_lerp(a, b, t)`: `a + (b - a)·t`, computed from `b` when `t >= 0.5` so that
/// `t = 1` returns `b` exactly.
pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Quantile `p` in [0, 1] of an ascending, NaN-free slice with numpy's default linear
/// interpolation (`h = (n - 1)·p`). NaN for an empty slice.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor();
    let i = (lo as usize).min(n - 1);
    let j = (i + 1).min(n - 1);
    lerp(sorted[i], sorted[j], h - lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_mad_without_a_copy_equals_the_copying_one_bit_for_bit() {
        let mut rng = crate::test_rng::Lcg(12345);
        let mut next = || rng.unit();
        for n in [1usize, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 4097] {
            for kind in 0..4 {
                let v: Vec<f64> = (0..n)
                    .map(|i| match kind {
                        0 => next() * 100.0 - 50.0,
                        // many ties
                        1 => (next() * 5.0).floor() - 2.0,
                        // signed zeros, NaN and infinities among ties
                        2 => [0.0, -0.0, f64::NAN, 1.0, -1.0, f64::INFINITY][i % 6],
                        _ => (next() - 0.5) * 1e-300,
                    })
                    .collect();
                let (a, b) = nan_median_mad(&v);
                let (c, d) = nan_median_mad_no_copy(&v);
                assert_eq!(
                    (a.to_bits(), b.to_bits()),
                    (c.to_bits(), d.to_bits()),
                    "n {n} kind {kind}: {a} {b} vs {c} {d}"
                );
            }
        }
        assert!(nan_median_mad_no_copy(&[f64::NAN]).0.is_nan());
    }

    #[test]
    fn median_matches_sorting_for_odd_and_even_counts() {
        let mut a = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median_in_place(&mut a), 3.0);
        let mut b = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(median_in_place(&mut b), 2.5);
        assert!(median_in_place(&mut []).is_nan());
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 4, 8, 16], [0.25, 0.5, 0.75, 0.9]) = [2, 4, 8, 12.8]
        let s = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert_eq!(quantile_sorted(&s, 0.25), 2.0);
        assert_eq!(quantile_sorted(&s, 0.5), 4.0);
        assert_eq!(quantile_sorted(&s, 0.75), 8.0);
        assert!((quantile_sorted(&s, 0.9) - 12.8).abs() < 1e-12);
        assert_eq!(quantile_sorted(&s, 1.0), 16.0);
    }

    #[test]
    fn nan_median_mad_ignores_nan() {
        let (m, mad) = nan_median_mad(&[1.0, f64::NAN, 2.0, 3.0, 100.0, f64::NAN]);
        assert_eq!(m, 2.5);
        // deviations 1.5, 0.5, 0.5, 97.5 -> median 1.0
        assert_eq!(mad, 1.0);
    }
}

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

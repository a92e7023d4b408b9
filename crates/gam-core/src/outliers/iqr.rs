//! Tukey fences: flag `x < q1 - k·IQR` or `x > q3 + k·IQR` (Tukey 1977, `k = 1.5` by
//! default), quantiles of the non-NaN values with numpy's default linear interpolation
//! (`numpy.quantile(x, [0.25, 0.75])`).

use super::{check_threshold, stats, OutlierError};

/// Tukey's customary fence factor.
pub const DEFAULT_K: f64 = 1.5;

/// Returns the IQR outlier mask (`1` = outlier) aligned with `values`; NaN gets `0`.
///
/// # Errors
/// [`OutlierError::BadThreshold`] naming `k` when `k` is negative or not finite.
///
/// # Example
/// ```
/// use gam_core::outliers::iqr::iqr_mask;
/// let m = iqr_mask(&[1.0, 2.0, 3.0, 4.0, 100.0], 1.5).unwrap();
/// assert_eq!(m, vec![0, 0, 0, 0, 1]);
/// ```
pub fn iqr_mask(values: &[f64], k: f64) -> Result<Vec<u8>, OutlierError> {
    check_threshold("k", k)?;
    let mut sorted = stats::finite_copy(values);
    if sorted.is_empty() {
        return Ok(vec![0; values.len()]);
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let q1 = stats::quantile_sorted(&sorted, 0.25);
    let q3 = stats::quantile_sorted(&sorted, 0.75);
    let iqr = q3 - q1;
    let (lo, hi) = (q1 - k * iqr, q3 + k * iqr);
    Ok(values
        .iter()
        .map(|&x| u8::from(!x.is_nan() && (x < lo || x > hi)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iqr_mask_keeps_indices_with_interleaved_nan() {
        // Non-NaN values 1..=8 plus 50 and -40; numpy: q1 = 2.25, q3 = 7.75, IQR 5.5,
        // fences -6.0 and 16.0.
        let v = [
            1.0,
            f64::NAN,
            2.0,
            50.0,
            3.0,
            f64::NAN,
            4.0,
            5.0,
            -40.0,
            6.0,
            f64::NAN,
            7.0,
            8.0,
        ];
        let m = iqr_mask(&v, 1.5).unwrap();
        assert_eq!(m, vec![0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn iqr_mask_with_k_zero_flags_outside_the_quartiles() {
        // 1, 2, 3, 4: numpy q1 = 1.75, q3 = 3.25.
        assert_eq!(
            iqr_mask(&[1.0, 2.0, 3.0, 4.0], 0.0).unwrap(),
            vec![1, 0, 0, 1]
        );
        // k = 1: fences 0.25 and 4.75 (exclusive).
        let m = iqr_mask(&[1.0, 2.0, 3.0, 4.0, 2.5], 1.0).unwrap();
        assert_eq!(m, vec![0, 0, 0, 0, 0]);
    }

    #[test]
    fn iqr_mask_rejects_nan_k() {
        assert!(iqr_mask(&[1.0], f64::NAN)
            .unwrap_err()
            .to_string()
            .contains("`k`"));
    }
}

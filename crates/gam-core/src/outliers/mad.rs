//! Robust MAD rule: flag `|x - median| / (1.4826·MAD) > threshold` (Hampel 1974; Leys et
//! al. 2013). 1.4826 makes the MAD a consistent estimator of the standard deviation of a
//! normal distribution.

use super::{check_threshold, mask_by_scale, stats, OutlierError};

/// Consistency constant relating MAD to the standard deviation of a normal distribution.
pub const MAD_SCALE: f64 = 1.4826;

/// Returns the MAD outlier mask (`1` = outlier) aligned with `values`; NaN gets `0`.
///
/// # Errors
/// [`OutlierError::BadThreshold`] when `threshold` is negative or not finite.
///
/// # Example
/// ```
/// use gam_core::outliers::mad::mad_mask;
/// let m = mad_mask(&[1.0, 2.0, f64::NAN, 3.0, 2.5, 40.0], 3.5).unwrap();
/// assert_eq!(m, vec![0, 0, 0, 0, 0, 1]);
/// ```
pub fn mad_mask(values: &[f64], threshold: f64) -> Result<Vec<u8>, OutlierError> {
    check_threshold("threshold", threshold)?;
    let (med, mad) = stats::nan_median_mad(values);
    if med.is_nan() {
        return Ok(vec![0; values.len()]);
    }
    Ok(mask_by_scale(values, med, MAD_SCALE * mad, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mad_mask_keeps_indices_with_interleaved_nan() {
        let mut v: Vec<f64> = (0..25).map(|i| (i % 5) as f64).collect();
        for i in [0, 3, 7, 8, 20] {
            v[i] = f64::NAN;
        }
        v[9] = 30.0;
        v[21] = -30.0;
        let m = mad_mask(&v, 3.0).unwrap();
        // Reference written index by index from the NaN-free statistics.
        let (med, mad) = stats::nan_median_mad(&v);
        for (i, &x) in v.iter().enumerate() {
            let want = !x.is_nan() && ((x - med) / (MAD_SCALE * mad)).abs() > 3.0;
            assert_eq!(m[i], u8::from(want), "index {i}");
        }
        assert_eq!((m[9], m[21], m[8], m[20]), (1, 1, 0, 0));
    }

    #[test]
    fn mad_mask_rejects_infinite_threshold() {
        assert!(mad_mask(&[1.0], f64::INFINITY).is_err());
    }
}

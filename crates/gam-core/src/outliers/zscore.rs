//! Global z-score rule: flag `|x - mean| / std > threshold`, with the population standard
//! deviation (numpy `x.std()`, `ddof = 0`) of the non-NaN values.

use super::{check_threshold, mask_by_scale, OutlierError};

/// Returns the z-score outlier mask (`1` = outlier) aligned with `values`.
///
/// NaN samples are ignored by the mean and standard deviation and get `0`.
///
/// # Errors
/// [`OutlierError::BadThreshold`] when `threshold` is negative or not finite.
///
/// # Example
/// ```
/// use gam_core::outliers::zscore::zscore_mask;
/// let mut v = vec![0.0; 20];
/// v[3] = 10.0;
/// assert_eq!(zscore_mask(&v, 3.0).unwrap()[3], 1);
/// ```
pub fn zscore_mask(values: &[f64], threshold: f64) -> Result<Vec<u8>, OutlierError> {
    check_threshold("threshold", threshold)?;
    let (mut n, mut sum) = (0usize, 0.0);
    for &v in values.iter().filter(|v| !v.is_nan()) {
        n += 1;
        sum += v;
    }
    if n == 0 {
        return Ok(vec![0; values.len()]);
    }
    let mean = sum / n as f64;
    let ss: f64 = values
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| (v - mean) * (v - mean))
        .sum();
    let std = (ss / n as f64).sqrt();
    Ok(mask_by_scale(values, mean, std, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: z-scores on the NaN-free values, written back through indices.
    fn naive(values: &[f64], t: f64) -> Vec<u8> {
        let idx: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
        let n = idx.len() as f64;
        let mean = idx.iter().map(|&i| values[i]).sum::<f64>() / n;
        let std = (idx.iter().map(|&i| (values[i] - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut m = vec![0u8; values.len()];
        for &i in &idx {
            m[i] = u8::from(((values[i] - mean) / std).abs() > t);
        }
        m
    }

    #[test]
    fn zscore_mask_keeps_indices_with_interleaved_nan() {
        let mut v: Vec<f64> = (0..40).map(|i| ((i * 7919) % 13) as f64).collect();
        v[5] = 80.0; // outlier after a NaN
        v[2] = f64::NAN;
        v[4] = f64::NAN;
        v[30] = -70.0;
        v[31] = f64::NAN;
        let m = zscore_mask(&v, 2.5).unwrap();
        assert_eq!(m, naive(&v, 2.5));
        assert_eq!(m[5], 1);
        assert_eq!(m[30], 1);
        assert_eq!((m[2], m[4], m[31]), (0, 0, 0));
        assert_eq!(m.iter().map(|&x| x as usize).sum::<usize>(), 2);
    }

    #[test]
    fn zscore_mask_rejects_negative_threshold() {
        let e = zscore_mask(&[1.0], -1.0).unwrap_err();
        assert!(e.to_string().contains("`threshold`"));
    }

    #[test]
    fn zscore_mask_of_all_nan_flags_nothing() {
        assert_eq!(zscore_mask(&[f64::NAN; 3], 1.0).unwrap(), vec![0, 0, 0]);
    }
}

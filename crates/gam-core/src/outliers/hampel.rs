//! Rolling Hampel filter along flight lines (Hampel 1974; as MATLAB's `hampel` and
//! Pearson et al. 2016): for each sample, the window of `half_window` samples either side
//! along the same line gives a median `m` and a scale `S = 1.4826·MAD`; the sample is an
//! outlier when `|x - m| > threshold·S`.
//!
//! Samples belong to the line given by their line id and are taken in input order within
//! each line (lines may be interleaved in the input). NaN values are skipped inside each
//! window and are never flagged; windows are truncated at the ends of a line.
//! Complexity `O(n·w)` with two selections per window on a reused buffer.

use std::collections::HashMap;

use super::{check_threshold, mad::MAD_SCALE, stats::median_in_place, OutlierError};

/// Output of [`hampel`].
#[derive(Debug, Clone, PartialEq)]
pub struct HampelResult {
    /// `1` where the sample is an outlier, aligned with the input.
    pub mask: Vec<u8>,
    /// Median of the sample's window (NaN when the window holds no valid value).
    pub medians: Vec<f64>,
}

/// Runs the Hampel filter on `values` grouped by `line_ids`.
///
/// # Errors
/// [`OutlierError`] when lengths differ, a line id is NaN, or `threshold` is negative or
/// not finite.
///
/// # Example
/// ```
/// use gam_core::outliers::hampel::hampel;
/// let v = [1.0, 1.1, 0.9, 9.0, 1.0, 1.2, 0.8];
/// let r = hampel(&v, &[7.0; 7], 2, 3.0).unwrap();
/// assert_eq!(r.mask, vec![0, 0, 0, 1, 0, 0, 0]);
/// ```
pub fn hampel(
    values: &[f64],
    line_ids: &[f64],
    half_window: usize,
    threshold: f64,
) -> Result<HampelResult, OutlierError> {
    check_threshold("threshold", threshold)?;
    if values.len() != line_ids.len() {
        return Err(OutlierError::LengthMismatch {
            values: values.len(),
            line_ids: line_ids.len(),
        });
    }
    let mut order: Vec<Vec<usize>> = Vec::new();
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    for (i, &id) in line_ids.iter().enumerate() {
        if id.is_nan() {
            return Err(OutlierError::NanLineId { index: i });
        }
        let key = (id + 0.0).to_bits(); // -0.0 and 0.0 are the same line
        let slot = *by_id.entry(key).or_insert_with(|| {
            order.push(Vec::new());
            order.len() - 1
        });
        order[slot].push(i);
    }
    let mut mask = vec![0u8; values.len()];
    let mut medians = vec![f64::NAN; values.len()];
    let mut buf = Vec::with_capacity(2 * half_window + 1);
    for line in &order {
        let n = line.len();
        for (p, &i) in line.iter().enumerate() {
            let lo = p.saturating_sub(half_window);
            let hi = (p + half_window + 1).min(n);
            buf.clear();
            buf.extend(
                line[lo..hi]
                    .iter()
                    .map(|&j| values[j])
                    .filter(|v| !v.is_nan()),
            );
            let med = median_in_place(&mut buf);
            medians[i] = med;
            let x = values[i];
            if x.is_nan() || med.is_nan() {
                continue;
            }
            for v in buf.iter_mut() {
                *v = (*v - med).abs();
            }
            let s = MAD_SCALE * median_in_place(&mut buf);
            mask[i] = u8::from((x - med).abs() > threshold * s);
        }
    }
    Ok(HampelResult { mask, medians })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: per line, sort each window fully.
    fn naive(values: &[f64], ids: &[f64], w: usize, t: f64) -> (Vec<u8>, Vec<f64>) {
        let med = |mut v: Vec<f64>| -> f64 {
            if v.is_empty() {
                return f64::NAN;
            }
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                0.5 * (v[n / 2 - 1] + v[n / 2])
            }
        };
        let mut mask = vec![0; values.len()];
        let mut meds = vec![f64::NAN; values.len()];
        let mut seen: Vec<f64> = Vec::new();
        for &id in ids {
            if !seen.contains(&id) {
                seen.push(id);
            }
        }
        for id in seen {
            let line: Vec<usize> = (0..ids.len()).filter(|&i| ids[i] == id).collect();
            for p in 0..line.len() {
                let lo = p.saturating_sub(w);
                let hi = (p + w + 1).min(line.len());
                let win: Vec<f64> = line[lo..hi]
                    .iter()
                    .map(|&j| values[j])
                    .filter(|v| !v.is_nan())
                    .collect();
                let m = med(win.clone());
                let s = 1.4826 * med(win.iter().map(|v| (v - m).abs()).collect());
                let i = line[p];
                meds[i] = m;
                if !values[i].is_nan() && !m.is_nan() {
                    mask[i] = u8::from((values[i] - m).abs() > t * s);
                }
            }
        }
        (mask, meds)
    }

    #[test]
    fn hampel_matches_naive_on_interleaved_lines_with_nan() {
        let n = 200;
        let mut v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin() * 10.0).collect();
        let ids: Vec<f64> = (0..n).map(|i| ((i / 7) % 3) as f64 + 100.0).collect();
        for i in [3, 50, 51, 120, 199] {
            v[i] = f64::NAN;
        }
        for i in [10, 52, 121, 150] {
            v[i] += 60.0;
        }
        let r = hampel(&v, &ids, 3, 3.0).unwrap();
        let (m, meds) = naive(&v, &ids, 3, 3.0);
        assert_eq!(r.mask, m);
        for (a, b) in r.medians.iter().zip(&meds) {
            assert!(a == b || (a.is_nan() && b.is_nan()));
        }
        for i in [10, 52, 121, 150] {
            assert_eq!(r.mask[i], 1, "spike at {i}");
        }
        for i in [3, 50, 51, 120, 199] {
            assert_eq!(r.mask[i], 0, "NaN at {i}");
        }
    }

    #[test]
    fn hampel_rejects_mismatched_lengths_and_nan_ids() {
        assert!(hampel(&[1.0, 2.0], &[1.0], 2, 3.0)
            .unwrap_err()
            .to_string()
            .contains("`line_ids`"));
        assert_eq!(
            hampel(&[1.0, 2.0], &[1.0, f64::NAN], 2, 3.0).unwrap_err(),
            OutlierError::NanLineId { index: 1 }
        );
    }
}

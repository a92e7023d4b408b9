//! Outlier rules for point surveys and grids.
//!
//! Every rule returns a `u8` mask aligned with its input: `1` = outlier, `0` = kept.
//! NaN inputs are ignored by the statistics and always get `0` in the mask, and every
//! other sample keeps its own index (the statistics are computed on a NaN-free copy,
//! but the mask is written through the original indices, never on the stripped array).
//!
//! - [`zscore::zscore_mask`]: `|x - mean| / std > t` (population std, numpy's `ddof=0`).
//! - [`iqr::iqr_mask`]: Tukey fences `q1 - k·IQR`, `q3 + k·IQR` with numpy's default
//!   linear quantiles.
//! - [`mad::mad_mask`]: `|x - median| / (1.4826·MAD) > t`.
//! - [`hampel::hampel`]: rolling Hampel filter along each flight line.
//!
//! All rules compare `|x - centre| > t · scale`, so a zero scale flags every value that
//! differs from the centre (what numpy's division by zero gives, and MATLAB's `hampel`).

pub mod hampel;
pub mod iqr;
pub mod mad;
pub mod stats;
pub mod zscore;

use std::fmt;

/// Why an outlier rule refused its input. `Display` names the parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum OutlierError {
    /// A threshold (`threshold` or `k`) was negative or not finite.
    BadThreshold {
        /// Parameter name.
        name: &'static str,
        /// Value received.
        value: f64,
    },
    /// `line_ids` and `values` have different lengths.
    LengthMismatch {
        /// Length of `values`.
        values: usize,
        /// Length of `line_ids`.
        line_ids: usize,
    },
    /// A line id was NaN.
    NanLineId {
        /// Index of the offending sample.
        index: usize,
    },
}

impl fmt::Display for OutlierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadThreshold { name, value } => write!(
                f,
                "Parameter `{name}` must be a finite number >= 0, received {value}"
            ),
            Self::LengthMismatch { values, line_ids } => write!(
                f,
                "Parameter `line_ids` must have one id per value ({values}), received {line_ids}"
            ),
            Self::NanLineId { index } => write!(
                f,
                "Parameter `line_ids` must not contain NaN, received NaN at index {index}"
            ),
        }
    }
}

impl std::error::Error for OutlierError {}

/// Checks that a threshold is finite and non-negative.
pub(crate) fn check_threshold(name: &'static str, value: f64) -> Result<(), OutlierError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(OutlierError::BadThreshold { name, value })
    }
}

/// Marks `|x - centre| > t * scale` for finite `x`; NaN gets 0 at its own index.
pub(crate) fn mask_by_scale(values: &[f64], centre: f64, scale: f64, t: f64) -> Vec<u8> {
    let limit = t * scale;
    values
        .iter()
        .map(|&x| u8::from(!x.is_nan() && (x - centre).abs() > limit))
        .collect()
}

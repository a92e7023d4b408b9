//! Quality-control kernels on gridded surveys (row-major `[lat][lon]`, row 0 south, NaN =
//! nodata), with the grid spec `[west, south, dx, dy, nx, ny]` of
//! [`crate::grid::GridSpec`] (node `(row j, col i)` at `lon = west + i·dx`,
//! `lat = south + j·dy`, degrees).
//!
//! - [`completeness`]: share of nodes with a datum within a distance.
//! - [`seams`]: level offset and gradient jump between adjacent surveys.
//! - [`anomalies`]: regional removal, robust z-score, connected components, scored records,
//!   over the residual as [`residual`] reads it row by row and its median and MAD from
//!   [`robust`].

pub mod anomalies;
pub mod completeness;
pub mod labels;
pub mod regional;
pub mod residual;
pub mod robust;
pub mod seams;

use std::fmt;

use ndarray::ArrayView2;

use crate::arrays::view2;
use crate::grid::GridError;

/// Kilometres per degree of latitude on the mean Earth sphere (R = 6371.0088 km).
pub const KM_PER_DEG: f64 = 6371.0088 * std::f64::consts::PI / 180.0;

/// A grid value type the QC kernels read: `f64`, or `f32` (a float32 file's values, half the
/// memory), widened exactly to `f64` as they are read, so either gives the same results bit
/// for bit on the same numbers.
pub trait GridValue: Copy {
    /// The value as `f64` (exact for both types).
    fn get(self) -> f64;
    /// `values` themselves when they are `f64` (no copy needed), else `None`.
    fn as_f64(values: &[Self]) -> Option<&[f64]>;
}

impl GridValue for f64 {
    #[inline(always)]
    fn get(self) -> f64 {
        self
    }
    fn as_f64(values: &[Self]) -> Option<&[f64]> {
        Some(values)
    }
}

impl GridValue for f32 {
    #[inline(always)]
    fn get(self) -> f64 {
        f64::from(self)
    }
    fn as_f64(_: &[Self]) -> Option<&[f64]> {
        None
    }
}

/// Why a QC kernel refused its input. `Display` names the parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum QcError {
    /// The grid spec or point arrays were rejected (message from [`GridError`]).
    Grid(GridError),
    /// An array does not hold `nx * ny` values.
    BadLength {
        /// Parameter name.
        name: &'static str,
        /// Expected length.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// A scalar parameter is out of range.
    BadParam {
        /// Parameter name.
        name: &'static str,
        /// Value received.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
}

impl fmt::Display for QcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Grid(e) => write!(f, "Parameter `spec` or points rejected: {e}"),
            Self::BadLength {
                name,
                expected,
                got,
            } => write!(
                f,
                "Parameter `{name}` must hold nx * ny = {expected} values, received {got}"
            ),
            Self::BadParam {
                name,
                value,
                expected,
            } => write!(f, "Parameter `{name}` must be {expected}, received {value}"),
        }
    }
}

impl std::error::Error for QcError {}

impl From<GridError> for QcError {
    fn from(e: GridError) -> Self {
        QcError::Grid(e)
    }
}

/// `data` (row-major, one value per node) as the `ny × nx` view the QC kernels take, or
/// [`QcError::BadLength`] naming the parameter.
///
/// # Example
/// ```
/// use gam_core::qc::grid_view;
/// assert_eq!(grid_view("values", &[0.0; 6], 3, 2).unwrap().dim(), (2, 3));
/// assert!(grid_view("ids", &[0.0; 5], 3, 2).unwrap_err().to_string().contains("`ids`"));
/// ```
pub fn grid_view<'a>(
    name: &'static str,
    data: &'a [f64],
    nx: usize,
    ny: usize,
) -> Result<ArrayView2<'a, f64>, QcError> {
    view2(data, nx, ny).ok_or(QcError::BadLength {
        name,
        expected: nx * ny,
        got: data.len(),
    })
}

//! NaN-aware noise filters on `[lat][lon]` grids (row 0 south, NaN = nodata), given as
//! `ndarray` views of shape `(ny, nx)` (see [`crate::arrays`]).
//!
//! Both filters are *banded* for the worker pool: they take the whole grid they are given
//! (`nx` columns, `ny` rows) and return only rows `row0..row1` as a `(row1 - row0, nx)` array, computed exactly as if the
//! whole grid had been filtered. The TypeScript side passes a band plus a halo of rows
//! (at least the filter radius, see [`gaussian::gaussian_radius`] and the median `size / 2`)
//! and shifts `row0`/`row1` accordingly; results are bit-identical whatever the banding
//! because every output cell is computed by the same arithmetic in the same order.
//!
//! - [`gaussian::gaussian_filter`]: separable Gaussian by normalised convolution.
//! - [`median::median_filter`]: square or circular footprint, NaN ignored.

pub mod gaussian;
pub mod median;
pub mod median_network;

#[cfg(test)]
mod bench;
#[cfg(test)]
pub(crate) mod fixture_tests;

use std::fmt;

use ndarray::ArrayView2;

/// Why a grid filter refused its input. `Display` names the parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterError {
    /// `grid.len()` is not `nx * ny`, or a dimension is zero.
    BadShape {
        /// Columns received.
        nx: usize,
        /// Rows received.
        ny: usize,
        /// Length of `grid`.
        len: usize,
    },
    /// `row0..row1` is empty or not inside `0..ny`.
    BadRows {
        /// First row requested.
        row0: usize,
        /// One past the last row requested.
        row1: usize,
        /// Rows in the grid.
        ny: usize,
    },
    /// A sigma was negative or not finite.
    BadSigma {
        /// Parameter name (`sigma_x` or `sigma_y`).
        name: &'static str,
        /// Value received.
        value: f64,
    },
    /// Median footprint size was even or zero.
    BadSize {
        /// Value received.
        size: usize,
    },
    /// The caller cancelled the job (see [`crate::cancel`]).
    Cancelled,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadShape { nx, ny, len } => write!(
                f,
                "Parameter `grid` must hold nx * ny = {nx} * {ny} values with nx, ny >= 1, received {len}"
            ),
            Self::BadRows { row0, row1, ny } => write!(
                f,
                "Parameters `row0`/`row1` must satisfy row0 < row1 <= ny ({ny}), received {row0}..{row1}"
            ),
            Self::BadSigma { name, value } => write!(
                f,
                "Parameter `{name}` must be a finite number of cells >= 0, received {value}"
            ),
            Self::BadSize { size } => write!(
                f,
                "Parameter `size` must be an odd number of cells >= 1, received {size}"
            ),
            Self::Cancelled => write!(f, "{}", crate::cancel::Cancelled),
        }
    }
}

impl std::error::Error for FilterError {}

impl From<crate::cancel::Cancelled> for FilterError {
    fn from(_: crate::cancel::Cancelled) -> FilterError {
        FilterError::Cancelled
    }
}

/// Validates the grid (at least one row and one column) and the requested row band.
pub(crate) fn check_band(
    grid: &ArrayView2<'_, f64>,
    row0: usize,
    row1: usize,
) -> Result<(), FilterError> {
    let (ny, nx) = grid.dim();
    if nx == 0 || ny == 0 {
        return Err(FilterError::BadShape {
            nx,
            ny,
            len: grid.len(),
        });
    }
    if row0 >= row1 || row1 > ny {
        return Err(FilterError::BadRows { row0, row1, ny });
    }
    Ok(())
}

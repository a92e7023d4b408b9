//! Frequency-domain filters and potential-field transforms on regular grids, following
//! GMT `grdfft` (Smith and Wessel): detrend, extend and taper to a fast FFT size, real 2-D
//! FFT, multiply by a transfer function, inverse, crop.
//!
//! Pipeline of [`apply::fft_filter`] (whole grid per job, no banding):
//! 1. [`detrend`]: remove the least-squares plane of the valid cells (GMT `-N+d`).
//! 2. [`fill`]: fill NaN cells of the residual by Laplace interpolation (SOR), restored as
//!    NaN at the end.
//! 3. [`pad`]: extend to a 2·3·5-smooth size with GMT's edge-point symmetry (`-N+e`) and a
//!    cosine taper over the whole extension (`+t100`).
//! 4. [`fft2`]: real FFT along rows (`realfft`) of padded rows made on demand, then
//!    column blocks gathered, transformed along y (`rustfft`, wasm SIMD kernels in the
//!    bundle), multiplied and transformed back in cache, then c2r of the kept rows only.
//!    Neither the padded grid nor a transposed spectrum is ever materialised: one
//!    `ny2 × (nx2/2 + 1)` complex buffer per output (three for total gradient and tilt).
//! 5. [`transfer`]: the operator's transfer function `H(kx, ky)`, wavenumbers in rad/km
//!    from `dx_km`, `dy_km` (numpy `fftfreq` layout, so the Nyquist row has negative `ky`).
//! 6. Crop, add the plane back only when `H(0, 0) = 1` (low-pass, upward continuation),
//!    since then the operator passes the plane unchanged. GMT `grdfft` itself never adds the
//!    trend back (its output is the filtered residual); we do the same whenever the operator
//!    removes DC (band-pass with a long-wavelength cut, derivatives, RTP, tilt...).

pub mod apply;
pub mod detrend;
pub mod fft2;
pub mod fill;
pub mod fill_band;
#[cfg(test)]
mod fixture_tests;
pub mod pad;
pub mod split;
pub mod transfer;

use std::fmt;

/// Why a spectral operation refused its input. `Display` names the parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SpectralError {
    /// `grid.len()` is not `nx * ny`, or a dimension is below 2.
    BadShape {
        /// Columns received.
        nx: usize,
        /// Rows received.
        ny: usize,
        /// Length of `grid`.
        len: usize,
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
    /// Wrong number of operator parameters.
    BadParamCount {
        /// Operator name.
        op: String,
        /// Number received.
        got: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// Unknown operator name.
    UnknownOp {
        /// Name received.
        op: String,
    },
    /// The grid has no valid cell.
    AllNan,
    /// The holes counted per row are not one count from 0 to `nx` per row, or not the
    /// grid's holes.
    BadCounts {
        /// Rows of the grid (the counts expected).
        ny: usize,
    },
    /// The caller cancelled the job (see [`crate::cancel`]).
    Cancelled,
}

impl fmt::Display for SpectralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadShape { nx, ny, len } => write!(
                f,
                "Parameter `grid` must hold nx * ny = {nx} * {ny} values with nx, ny >= 2, received {len}"
            ),
            Self::BadParam {
                name,
                value,
                expected,
            } => write!(f, "Parameter `{name}` must be {expected}, received {value}"),
            Self::BadParamCount { op, got, expected } => write!(
                f,
                "Parameter `params` for op \"{op}\" must hold {expected}, received {got} values"
            ),
            Self::UnknownOp { op } => write!(
                f,
                "Parameter `op` must be one of bandpass-gaussian, bandpass-butterworth, \
                 bandpass-cosine, upward, vertical-derivative, derivative-x, derivative-y, \
                 total-gradient, tilt, rtp; received \"{op}\""
            ),
            Self::AllNan => write!(f, "Parameter `grid` has no valid (non-NaN) cell"),
            Self::BadCounts { ny } => write!(
                f,
                "Parameter `counts` must hold the number of NaN cells of each of the grid's {ny} rows"
            ),
            Self::Cancelled => write!(f, "{}", crate::cancel::Cancelled),
        }
    }
}

impl std::error::Error for SpectralError {}

impl From<crate::cancel::Cancelled> for SpectralError {
    fn from(_: crate::cancel::Cancelled) -> SpectralError {
        SpectralError::Cancelled
    }
}

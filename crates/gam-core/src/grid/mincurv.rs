//! Minimum curvature with tension (work in progress).

use super::{GridError, GridSpec};

/// Parameters of [`grid_mincurv`].
#[derive(Debug, Clone, Copy)]
pub struct MincurvParams {
    /// Tension in [0, 1].
    pub tension: f64,
    /// Convergence limit (data units, <= 0 for automatic).
    pub convergence: f64,
    /// Maximum iterations per grid level.
    pub max_iterations: u32,
}

/// Minimum-curvature grid (full grid).
pub fn grid_mincurv(
    _lon: &[f64],
    _lat: &[f64],
    _z: &[f64],
    _spec: &GridSpec,
    _params: MincurvParams,
) -> Result<Vec<f64>, GridError> {
    Err(GridError::Parameter("mincurv: not implemented yet".into()))
}

//! Completeness: the share of grid nodes with a datum within `max_distance` (degrees of
//! latitude under the grid module's `cos(latitude)`-scaled metric), from the distance grid
//! of [`crate::grid::distance::distance_to_nearest`] (like Verde's `distance_mask`).

use ndarray::{Array2, ArrayView2};

use super::QcError;
use crate::grid::{distance::distance_to_nearest, GridSpec};

/// Completeness of a survey on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Completeness {
    /// Share of nodes with a datum within the distance, in [0, 1].
    pub fraction: f64,
    /// Distance (degrees) from each node to the nearest datum (NaN without points),
    /// `ny` rows by `nx` columns.
    pub distance: Array2<f64>,
}

/// Share of finite distances `<= max_distance` (NaN = no support).
pub fn fraction_within(distance: ArrayView2<'_, f64>, max_distance: f64) -> f64 {
    if distance.is_empty() {
        return 0.0;
    }
    let n = distance.iter().filter(|&&d| d <= max_distance).count();
    n as f64 / distance.len() as f64
}

/// Distance grid and completeness of the points `(lon, lat)` on `spec`.
///
/// # Errors
/// [`QcError`] for a bad spec or points, or `max_distance` not finite and >= 0.
///
/// # Example
/// ```
/// use gam_core::{grid::GridSpec, qc::completeness::completeness};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 4.0, 1.0]).unwrap();
/// let c = completeness(&[0.0], &[0.0], &spec, 1.5).unwrap();
/// assert_eq!(c.fraction, 0.5);
/// ```
pub fn completeness(
    lon: &[f64],
    lat: &[f64],
    spec: &GridSpec,
    max_distance: f64,
) -> Result<Completeness, QcError> {
    if !(max_distance.is_finite() && max_distance >= 0.0) {
        return Err(QcError::BadParam {
            name: "max_distance",
            value: max_distance,
            expected: "a finite distance in degrees >= 0",
        });
    }
    let distance = distance_to_nearest(lon, lat, spec, 0, spec.ny as u32)?;
    let distance = Array2::from_shape_vec((spec.ny, spec.nx), distance)
        .expect("the distance grid has one value per node");
    Ok(Completeness {
        fraction: fraction_within(distance.view(), max_distance),
        distance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_counts_nodes_near_points_and_nan_as_unsupported() {
        let d = ndarray::array![[0.1, f64::NAN], [0.5, 2.0]];
        assert_eq!(fraction_within(d.view(), 0.5), 0.5);
        let spec = GridSpec::from_slice(&[10.0, 0.0, 0.1, 0.1, 11.0, 11.0]).unwrap();
        // One point in the south-west corner: nodes within 0.25 deg (equator, cos ~ 1).
        let c = completeness(&[10.0], &[0.0], &spec, 0.25).unwrap();
        let want = (0..11 * 11)
            .filter(|k| {
                let (i, j) = (k % 11, k / 11);
                ((i * i + j * j) as f64).sqrt() * 0.1 <= 0.25 + 1e-9
            })
            .count() as f64
            / 121.0;
        assert!(
            (c.fraction - want).abs() < 1e-12,
            "{} vs {want}",
            c.fraction
        );
        assert!(completeness(&[], &[], &spec, -1.0)
            .unwrap_err()
            .to_string()
            .contains("`max_distance`"));
    }
}

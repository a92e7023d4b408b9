//! The data footprint's distance transform at the boundary (see [`crate::grid::footprint`]).
//!
//! Same conventions as the gridding entry points ([`crate::boundary::grid`]): flat `lon`,
//! `lat`, the grid spec `[west, south, dx, dy, nx, ny]` (here with `dx == dy`, the node
//! spacing), errors as the [`GridError`] text naming the parameter. The TypeScript side calls
//! it through the typed kernel boundary with the same names (`{ lon, lat, spec, rowCos }`).

use wasm_bindgen::prelude::*;

use crate::grid::footprint::{footprint_distance as footprint_kernel, FootprintLayout};
use crate::grid::{GridError, GridSpec};

use super::Exported;

/// Distance from every node to the nearest point, degrees of latitude, row-major, south
/// first (`nx * ny` values; infinite everywhere without points). `spec` is
/// `[west, south, dx, dy, nx, ny]` with `dx == dy`, `row_cos` the cosine of each row's
/// latitude (the caller's, so that it is JavaScript's `Math.cos`).
#[wasm_bindgen]
pub fn footprint_distance(
    lon: &[f64],
    lat: &[f64],
    spec: &[f64],
    row_cos: &[f64],
) -> Exported<Box<[f64]>> {
    let spec = GridSpec::from_slice(spec)?;
    if spec.dx != spec.dy {
        return Err(GridError::Spec(format!(
            "dx and dy must be equal (one node spacing), got {} and {}",
            spec.dx, spec.dy
        ))
        .into());
    }
    if lon.len() != lat.len() {
        return Err(GridError::LengthMismatch {
            names: "lon and lat",
            first: lon.len(),
            second: lat.len(),
        }
        .into());
    }
    if row_cos.len() != spec.ny {
        return Err(GridError::Parameter(format!(
            "row_cos must have one value a row ({}), got {}",
            spec.ny,
            row_cos.len()
        ))
        .into());
    }
    let layout = FootprintLayout {
        west: spec.west,
        south: spec.south,
        spacing: spec.dx,
        nx: spec.nx,
        ny: spec.ny,
    };
    Ok(footprint_kernel(lon, lat, &layout, row_cos).into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(lon: &[f64], lat: &[f64], spec: &[f64], row_cos: &[f64]) -> String {
        footprint_distance(lon, lat, spec, row_cos)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn rejects_bad_arguments_naming_them() {
        let e = err(&[], &[], &[0.0, 0.0, 1.0, 1.0, 3.0], &[]);
        assert!(e.contains("spec"), "{e}");
        let e = err(&[], &[], &[0.0, 0.0, 1.0, 1.0, 2.5, 1.0], &[1.0]);
        assert!(e.contains("nx"), "{e}");
        let e = err(&[], &[], &[0.0, 0.0, 1.0, 0.5, 2.0, 1.0], &[1.0]);
        assert!(e.contains("dx and dy"), "{e}");
        let e = err(&[0.0], &[], &[0.0, 0.0, 1.0, 1.0, 2.0, 1.0], &[1.0]);
        assert!(e.contains("lon and lat"), "{e}");
        let e = err(&[], &[], &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], &[1.0]);
        assert!(e.contains("row_cos"), "{e}");
    }

    #[test]
    fn distances_along_a_row() {
        let d =
            footprint_distance(&[1.0], &[0.0], &[0.0, 0.0, 1.0, 1.0, 3.0, 1.0], &[1.0]).unwrap();
        assert_eq!(&*d, &[1.0, 0.0, 1.0]);
    }
}

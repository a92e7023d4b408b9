//! The data footprint's distance transform at the boundary (see [`crate::grid::footprint`]).

use wasm_bindgen::prelude::*;

use crate::grid::footprint::{footprint_distance as footprint_kernel, FootprintLayout};

/// Logic of [`footprint_distance`].
pub fn footprint_distance_impl(
    lon: &[f64],
    lat: &[f64],
    layout: &[f64],
    cos: &[f64],
) -> Result<Vec<f64>, String> {
    let [west, south, spacing, nx, ny] = layout else {
        return Err(format!(
            "layout must be [west, south, spacing, nx, ny], got {} values",
            layout.len()
        ));
    };
    let whole = |v: f64| v >= 1.0 && v.fract() == 0.0 && v <= u32::MAX as f64;
    if !whole(*nx) || !whole(*ny) {
        return Err(format!(
            "nx and ny must be integers >= 1, got {nx} and {ny}"
        ));
    }
    if !(spacing.is_finite() && *spacing > 0.0 && west.is_finite() && south.is_finite()) {
        return Err(format!(
            "west and south must be finite and spacing > 0, got {west}, {south}, {spacing}"
        ));
    }
    if lon.len() != lat.len() {
        return Err(format!(
            "lon and lat must have the same length, got {} and {}",
            lon.len(),
            lat.len()
        ));
    }
    let l = FootprintLayout {
        west: *west,
        south: *south,
        spacing: *spacing,
        nx: *nx as usize,
        ny: *ny as usize,
    };
    if cos.len() != l.ny {
        return Err(format!(
            "cos must have one value a row ({}), got {}",
            l.ny,
            cos.len()
        ));
    }
    Ok(footprint_kernel(lon, lat, &l, cos))
}

/// Distance from every node to the nearest point, degrees of latitude, row-major, south
/// first (`nx * ny` values; infinite everywhere without points). `layout` is
/// `[west, south, spacing, nx, ny]`, `cos` the cosine of each row's latitude.
#[wasm_bindgen]
pub fn footprint_distance(
    lon: &[f64],
    lat: &[f64],
    layout: &[f64],
    cos: &[f64],
) -> Result<Box<[f64]>, JsError> {
    footprint_distance_impl(lon, lat, layout, cos)
        .map(Vec::into_boxed_slice)
        .map_err(|e| JsError::new(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_layouts_naming_them() {
        let e = footprint_distance_impl(&[], &[], &[0.0, 0.0, 1.0, 3.0], &[]).unwrap_err();
        assert!(e.contains("layout"), "{e}");
        let e = footprint_distance_impl(&[], &[], &[0.0, 0.0, 1.0, 2.5, 1.0], &[1.0]).unwrap_err();
        assert!(e.contains("nx"), "{e}");
        let e =
            footprint_distance_impl(&[0.0], &[], &[0.0, 0.0, 1.0, 2.0, 1.0], &[1.0]).unwrap_err();
        assert!(e.contains("same length"), "{e}");
        let e = footprint_distance_impl(&[], &[], &[0.0, 0.0, 1.0, 2.0, 2.0], &[1.0]).unwrap_err();
        assert!(e.contains("cos"), "{e}");
        let d =
            footprint_distance_impl(&[1.0], &[0.0], &[0.0, 0.0, 1.0, 3.0, 1.0], &[1.0]).unwrap();
        assert_eq!(d, vec![1.0, 0.0, 1.0]);
    }
}

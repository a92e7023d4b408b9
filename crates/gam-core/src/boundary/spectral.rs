//! The spectral pipeline in parts across workers ([`crate::spectral::split`]): one export per
//! step (and the padded layout), stateless (every input travels with the call), so the worker pool can run each
//! step's parts on different workers and move the intermediate spectra between them. The
//! parts' result equals `fft_filter`'s bit for bit. Complex values are interleaved `re, im`
//! pairs; a plane is `[a, b, c, xc, yc]` (see [`Plane`]).

use ndarray::Array2;
use wasm_bindgen::prelude::*;

use crate::spectral::{
    apply::check_args,
    detrend::Plane,
    pad::Layout,
    split::{columns_part, inverse_part, part},
    transfer::Op,
    SpectralError,
};

fn js<T>(r: Result<T, String>) -> Result<T, JsError> {
    r.map_err(|e| JsError::new(&e))
}

fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The layout of an `nx × ny` grid split in `parts`, checking the shape and `parts`.
fn layout(nx: u32, ny: u32, parts: u32, part_index: u32) -> Result<(Layout, usize, usize), String> {
    let (nx, ny) = (nx as usize, ny as usize);
    if nx < 2 || ny < 2 {
        return Err(msg(SpectralError::BadShape {
            nx,
            ny,
            len: nx * ny,
        }));
    }
    if parts < 1 || part_index >= parts {
        return Err(format!(
            "Parameter `part` must be in 0..parts with parts >= 1, received part {part_index} of {parts}"
        ));
    }
    Ok((Layout::new(nx, ny), part_index as usize, parts as usize))
}

fn plane_of(v: &[f64]) -> Result<Plane, String> {
    match *v {
        [a, b, c, xc, yc] => Ok(Plane { a, b, c, xc, yc }),
        _ => Err(format!(
            "Parameter `plane` must hold 5 values [a, b, c, xc, yc], received {}",
            v.len()
        )),
    }
}

fn check_len(name: &str, got: usize, want: usize, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "Parameter `{name}` must hold {want} values ({what}), received {got}"
        ))
    }
}

/// Logic of [`fft_split_layout`].
pub fn fft_split_layout_impl(nx: u32, ny: u32) -> Result<Vec<f64>, String> {
    let (l, _, _) = layout(nx, ny, 1, 0)?;
    Ok(vec![
        l.nx2 as f64,
        l.ny2 as f64,
        (l.nx2 / 2 + 1) as f64,
        l.left as f64,
        l.bottom as f64,
    ])
}

/// The padded layout of an `nx × ny` grid for the FFT: `[nx2, ny2, nc, left, bottom]`
/// (`nc = nx2 / 2 + 1` columns of the half spectrum).
#[wasm_bindgen]
pub fn fft_split_layout(nx: u32, ny: u32) -> Result<Box<[f64]>, JsError> {
    js(fft_split_layout_impl(nx, ny).map(Vec::into_boxed_slice))
}

/// Logic of [`fft_split_columns`].
#[allow(clippy::too_many_arguments)]
pub fn fft_split_columns_impl(
    grid: Vec<f64>,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    part_index: u32,
    parts: u32,
) -> Result<Vec<f64>, String> {
    let op = Op::parse(op, params).map_err(msg)?;
    let (l, p, parts) = layout(nx, ny, parts, part_index)?;
    check_args(l.nx, l.ny, grid.len(), dx_km, dy_km).map_err(msg)?;
    let g = Array2::from_shape_vec((l.ny, l.nx), grid).map_err(msg)?;
    let (plane, holes, pieces) = columns_part(g, dx_km, dy_km, &op, p, parts).map_err(msg)?;
    let Plane { a, b, c, xc, yc } = plane;
    let mut out = Vec::with_capacity(6 + pieces.len());
    out.extend([a, b, c, xc, yc, holes as f64]);
    out.extend_from_slice(&pieces);
    Ok(out)
}

/// Step 1, column part `part` of `parts`, from the whole grid (`nx * ny` values, NaN =
/// hole): `[a, b, c, xc, yc, holes]` (the plane and the number of holes), then one row
/// piece per part, one after the other (see `spectral::split::columns_part`).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_columns(
    grid: Vec<f64>,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    part: u32,
    parts: u32,
) -> Result<Box<[f64]>, JsError> {
    js(
        fft_split_columns_impl(grid, nx, ny, dx_km, dy_km, op, params, part, parts)
            .map(Vec::into_boxed_slice),
    )
}

/// Logic of [`fft_split_inverse`].
#[allow(clippy::too_many_arguments)]
pub fn fft_split_inverse_impl(
    pieces: &[f64],
    nx: u32,
    ny: u32,
    op: &str,
    params: &[f64],
    plane: &[f64],
    part_index: u32,
    parts: u32,
) -> Result<Vec<f64>, String> {
    let op = Op::parse(op, params).map_err(msg)?;
    let (l, q, parts) = layout(nx, ny, parts, part_index)?;
    let plane = plane_of(plane)?;
    let outputs = if matches!(op, Op::TotalGradient | Op::Tilt) {
        3
    } else {
        1
    };
    let want = 2 * outputs * part(l.ny, parts, q).len() * (l.nx2 / 2 + 1);
    check_len(
        "pieces",
        pieces.len(),
        want,
        "the part's rows of every column part, complex",
    )?;
    Ok(inverse_part(pieces, &l, &op, &plane, q, parts))
}

/// Step 2, row part `part` of `parts`: the row piece `part` of every column part in column
/// order (`pieces`) to data rows `n·part/parts .. n·(part+1)/parts` of the result (`nx`
/// values per row; the caller restores the holes as NaN).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_inverse(
    pieces: &[f64],
    nx: u32,
    ny: u32,
    op: &str,
    params: &[f64],
    plane: &[f64],
    part: u32,
    parts: u32,
) -> Result<Box<[f64]>, JsError> {
    js(
        fft_split_inverse_impl(pieces, nx, ny, op, params, plane, part, parts)
            .map(Vec::into_boxed_slice),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_refuse_bad_parts_and_lengths_by_name() {
        let e = fft_split_layout_impl(1, 8).unwrap_err();
        assert!(e.contains("`grid`"), "{e}");
        let e =
            fft_split_columns_impl(vec![0.0; 8], 8, 8, 1.0, 1.0, "tilt", &[], 2, 2).unwrap_err();
        assert!(e.contains("`part`"), "{e}");
        let e =
            fft_split_columns_impl(vec![0.0; 8], 8, 8, 1.0, 1.0, "tilt", &[], 1, 2).unwrap_err();
        assert!(e.contains("`grid`"), "{e}");
        let e = fft_split_inverse_impl(&[0.0; 4], 8, 8, "tilt", &[], &[1.0], 0, 2).unwrap_err();
        assert!(e.contains("`plane`"), "{e}");
        let e = fft_split_inverse_impl(&[0.0; 4], 8, 8, "tilt", &[], &[0.0; 5], 0, 2).unwrap_err();
        assert!(e.contains("`pieces`"), "{e}");
        let e = fft_split_columns_impl(vec![f64::NAN; 4], 2, 2, 1.0, 1.0, "tilt", &[], 0, 1)
            .unwrap_err();
        assert!(e.contains("no valid"), "{e}");
    }

    #[test]
    fn the_exports_chained_equal_fft_filter() {
        let (nx, ny, parts) = (21u32, 17u32, 2usize);
        let mut g: Vec<f64> = (0..nx * ny)
            .map(|k| ((k % nx) as f64 * 0.4).sin() + (k / nx) as f64 * 0.1)
            .collect();
        g[30] = f64::NAN;
        for (op, params) in [("upward", vec![500.0]), ("tilt", vec![])] {
            let want = crate::boundary::filters::fft_filter_impl(&g, nx, ny, 1.0, 2.0, op, &params)
                .unwrap();
            let nc = fft_split_layout_impl(nx, ny).unwrap()[2] as usize;
            let cols: Vec<Vec<f64>> = (0..parts)
                .map(|p| {
                    fft_split_columns_impl(
                        g.clone(),
                        nx,
                        ny,
                        1.0,
                        2.0,
                        op,
                        &params,
                        p as u32,
                        parts as u32,
                    )
                    .unwrap()
                })
                .collect();
            assert_eq!(cols[0][5], 1.0, "one hole");
            let t = if op == "tilt" { 3 } else { 1 };
            let mut out = Vec::new();
            for q in 0..parts {
                let r = part(ny as usize, parts, q);
                let pieces: Vec<f64> = (0..parts)
                    .flat_map(|p| {
                        let w = part(nc, parts, p).len();
                        cols[p][6 + 2 * t * w * r.start..6 + 2 * t * w * r.end].to_vec()
                    })
                    .collect();
                out.extend(
                    fft_split_inverse_impl(
                        &pieces,
                        nx,
                        ny,
                        op,
                        &params,
                        &cols[0][..5],
                        q as u32,
                        parts as u32,
                    )
                    .unwrap(),
                );
            }
            out[30] = f64::NAN;
            for (a, b) in out.iter().zip(want.iter()) {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{op}"
                );
            }
        }
    }
}

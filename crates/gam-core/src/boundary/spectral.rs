//! The spectral pipeline in parts across workers ([`crate::spectral::split`]): one export per
//! step (and the padded layout), stateless (every input travels with the call), so the worker pool can run each
//! step's parts on different workers and move the intermediate spectra between them. The
//! parts' result equals `fft_filter`'s bit for bit. Complex values are interleaved `re, im`
//! pairs; a plane is `[a, b, c, xc, yc]` (see [`Plane`]).

use ndarray::Array2;
use wasm_bindgen::{prelude::*, JsCast};

use super::{BoundaryError, Exported};
use crate::spectral::{
    apply::check_args,
    detrend::Plane,
    pad::Layout,
    split::{columns_part, inverse_part, part, rows_part},
    transfer::Op,
    SpectralError,
};

#[wasm_bindgen]
extern "C" {
    /// A JavaScript `Float64Array`.
    #[wasm_bindgen(js_name = Float64Array)]
    type F64Array;
    #[wasm_bindgen(constructor, js_class = "Float64Array")]
    fn new(buffer: &JsValue, byte_offset: u32, length: u32) -> F64Array;
    /// This instance's `WebAssembly.Memory`.
    #[wasm_bindgen(js_namespace = WebAssembly, js_name = Memory)]
    type WasmMemory;
    #[wasm_bindgen(method, getter, js_class = "Memory", js_namespace = WebAssembly)]
    fn buffer(this: &WasmMemory) -> JsValue;
}

thread_local! {
    /// The last result handed out by [`result_view`].
    static RESULT: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keeps `v` until the next call and returns a `Float64Array` view of `v[range]` in this instance's
/// memory: the caller (the worker's `scatter`) copies it where it goes, once, instead of
/// wasm-bindgen copying it into a fresh array first. Valid until the next allocation in the
/// instance (which may grow, and so detach, the memory).
fn result_view(v: Vec<f64>, range: std::ops::Range<usize>) -> JsValue {
    RESULT.with(|r| {
        let mut r = r.borrow_mut();
        *r = v;
        let values = &r[range];
        let memory: WasmMemory = wasm_bindgen::memory().unchecked_into();
        F64Array::new(
            &memory.buffer(),
            values.as_ptr() as u32,
            values.len() as u32,
        )
        .into()
    })
}

/// The layout of an `nx × ny` grid split in `parts`, checking the shape and `parts`.
fn layout(nx: u32, ny: u32, parts: u32, part_index: u32) -> Exported<(Layout, usize, usize)> {
    let (nx, ny) = (nx as usize, ny as usize);
    if nx < 2 || ny < 2 {
        return Err(SpectralError::BadShape {
            nx,
            ny,
            len: nx * ny,
        }
        .into());
    }
    if parts < 1 || part_index >= parts {
        return Err(BoundaryError::new(format!(
            "Parameter `part` must be in 0..parts with parts >= 1, received part {part_index} of {parts}"
        )));
    }
    Ok((Layout::new(nx, ny), part_index as usize, parts as usize))
}

fn plane_of(v: &[f64]) -> Exported<Plane> {
    match *v {
        [a, b, c, xc, yc] => Ok(Plane { a, b, c, xc, yc }),
        _ => Err(BoundaryError::new(format!(
            "Parameter `plane` must hold 5 values [a, b, c, xc, yc], received {}",
            v.len()
        ))),
    }
}

fn check_len(name: &str, got: usize, want: usize, what: &str) -> Exported<()> {
    if got == want {
        Ok(())
    } else {
        Err(BoundaryError::new(format!(
            "Parameter `{name}` must hold {want} values ({what}), received {got}"
        )))
    }
}

/// The padded layout of an `nx × ny` grid for the FFT: `[nx2, ny2, nc, left, bottom]`
/// (`nc = nx2 / 2 + 1` columns of the half spectrum).
#[wasm_bindgen]
pub fn fft_split_layout(nx: u32, ny: u32) -> Exported<Box<[f64]>> {
    let (l, _, _) = layout(nx, ny, 1, 0)?;
    Ok(Box::new([
        l.nx2 as f64,
        l.ny2 as f64,
        (l.nx2 / 2 + 1) as f64,
        l.left as f64,
        l.bottom as f64,
    ]))
}

/// The values of [`fft_split_rows`] (natively callable: no JS view): `[a, b, c, xc, yc,
/// holes]`, then the column slabs.
fn split_rows(grid: Vec<f64>, nx: u32, ny: u32, part_index: u32, parts: u32) -> Exported<Vec<f64>> {
    let (l, k, parts) = layout(nx, ny, parts, part_index)?;
    check_args(l.nx, l.ny, grid.len(), 1.0, 1.0)?;
    let g = Array2::from_shape_vec((l.ny, l.nx), grid)?;
    let (plane, holes, slabs) = rows_part(g, k, parts)?;
    let Plane { a, b, c, xc, yc } = plane;
    let mut out = Vec::with_capacity(6 + slabs.len());
    out.extend([a, b, c, xc, yc, holes as f64]);
    out.extend_from_slice(&slabs);
    Ok(out)
}

/// Step 1, row part `part` of `parts`, from the whole grid (`nx * ny` values, NaN = hole):
/// `[a, b, c, xc, yc, holes]` (the plane and the number of holes), then one column slab per
/// part, one after the other (see `spectral::split::rows_part`). The result is a view into
/// this instance's memory, valid until its next call: for `WorkerPool.runInto` only.
#[wasm_bindgen(unchecked_return_type = "Float64Array")]
pub fn fft_split_rows(
    grid: Vec<f64>,
    nx: u32,
    ny: u32,
    part: u32,
    parts: u32,
) -> Exported<JsValue> {
    let v = split_rows(grid, nx, ny, part, parts)?;
    let n = v.len();
    Ok(result_view(v, 0..n))
}

/// The values of [`fft_split_columns`] (natively callable: no JS view): the buffer and the
/// range of it that is the result.
#[allow(clippy::too_many_arguments)]
fn split_columns(
    slab: Vec<f64>,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    part_index: u32,
    parts: u32,
) -> Exported<(Vec<f64>, std::ops::Range<usize>)> {
    let op = Op::parse(op, params)?;
    let (l, p, parts) = layout(nx, ny, parts, part_index)?;
    check_args(l.nx, l.ny, l.nx * l.ny, dx_km, dy_km)?;
    let w = part(l.nx2 / 2 + 1, parts, p).len();
    check_len(
        "slab",
        slab.len(),
        2 * l.ny2 * w,
        "ny2 rows of the part's columns, complex",
    )?;
    Ok(columns_part(slab, &l, dx_km, dy_km, &op, p, parts)?)
}

/// Step 2, column part `part` of `parts`: the column slab `part` of every row part in row
/// order (`slab`), through the column transforms and `op`'s transfer function; returns one
/// row piece per part, one after the other, as a view into this instance's memory, valid
/// until its next call: for `WorkerPool.runInto` only.
#[wasm_bindgen(unchecked_return_type = "Float64Array")]
#[allow(clippy::too_many_arguments)]
pub fn fft_split_columns(
    slab: Vec<f64>,
    nx: u32,
    ny: u32,
    dx_km: f64,
    dy_km: f64,
    op: &str,
    params: &[f64],
    part: u32,
    parts: u32,
) -> Exported<JsValue> {
    let (buf, range) = split_columns(slab, nx, ny, dx_km, dy_km, op, params, part, parts)?;
    Ok(result_view(buf, range))
}

/// Step 3, row part `part` of `parts`: the row piece `part` of every column part in column
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
) -> Exported<Box<[f64]>> {
    let op = Op::parse(op, params)?;
    let (l, q, parts) = layout(nx, ny, parts, part)?;
    let plane = plane_of(plane)?;
    let outputs = if matches!(op, Op::TotalGradient | Op::Tilt) {
        3
    } else {
        1
    };
    let want = 2 * outputs * self::part(l.ny, parts, q).len() * (l.nx2 / 2 + 1);
    check_len(
        "pieces",
        pieces.len(),
        want,
        "the part's rows of every column part, complex",
    )?;
    Ok(inverse_part(pieces, &l, &op, &plane, q, parts)?.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_refuse_bad_parts_and_lengths_by_name() {
        let e = fft_split_layout(1, 8).unwrap_err().to_string();
        assert!(e.contains("`grid`"), "{e}");
        let e = split_rows(vec![0.0; 64], 8, 8, 2, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`part`"), "{e}");
        let e = split_rows(vec![0.0; 8], 8, 8, 1, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`grid`"), "{e}");
        let e = split_columns(vec![0.0; 4], 8, 8, 1.0, 1.0, "tilt", &[], 1, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`slab`"), "{e}");
        let e = fft_split_inverse(&[0.0; 4], 8, 8, "tilt", &[], &[1.0], 0, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`plane`"), "{e}");
        let e = fft_split_inverse(&[0.0; 4], 8, 8, "tilt", &[], &[0.0; 5], 0, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`pieces`"), "{e}");
        let e = split_rows(vec![f64::NAN; 4], 2, 2, 0, 1)
            .unwrap_err()
            .to_string();
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
            let want =
                crate::boundary::filters::fft_filter(&g, nx, ny, 1.0, 2.0, op, &params).unwrap();
            let lay = fft_split_layout(nx, ny).unwrap();
            let (ny2, nc) = (lay[1] as usize, lay[2] as usize);
            let rows: Vec<Vec<f64>> = (0..parts)
                .map(|k| split_rows(g.clone(), nx, ny, k as u32, parts as u32).unwrap())
                .collect();
            assert_eq!(rows[0][5], 1.0, "one hole");
            let cols: Vec<Vec<f64>> = (0..parts)
                .map(|p| {
                    let c = part(nc, parts, p);
                    let slab: Vec<f64> = (0..parts)
                        .flat_map(|k| {
                            let nr = part(ny2, parts, k).len();
                            rows[k][6 + 2 * nr * c.start..6 + 2 * nr * c.end].to_vec()
                        })
                        .collect();
                    let (p, n) = (p as u32, parts as u32);
                    let (buf, range) =
                        split_columns(slab, nx, ny, 1.0, 2.0, op, &params, p, n).unwrap();
                    buf[range].to_vec()
                })
                .collect();
            let t = if op == "tilt" { 3 } else { 1 };
            let mut out = Vec::new();
            for q in 0..parts {
                let r = part(ny as usize, parts, q);
                let pieces: Vec<f64> = (0..parts)
                    .flat_map(|p| {
                        let w = part(nc, parts, p).len();
                        cols[p][2 * t * w * r.start..2 * t * w * r.end].to_vec()
                    })
                    .collect();
                let (q, n) = (q as u32, parts as u32);
                let plane = &rows[0][..5];
                out.extend(fft_split_inverse(&pieces, nx, ny, op, &params, plane, q, n).unwrap());
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

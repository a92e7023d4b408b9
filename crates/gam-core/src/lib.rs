//! GeoAnomalyMapper numeric core.
//!
//! Kernels are plain Rust functions with native `cargo test`s beside them, each checked
//! against a naive or analytic reference. Their 2-D grids are `ndarray` arrays of shape
//! `(ny, nx)` (row 0 south, NaN = nodata): the filters ([`filters::gaussian`],
//! [`filters::median`]), the spectral pipeline ([`spectral::apply::fft_filter`] and its
//! steps), minimum curvature ([`grid::mincurv`]) and the QC kernels ([`qc`]) take
//! [`ndarray::ArrayView2`] / [`ndarray::ArrayViewMut2`] and return [`ndarray::Array2`],
//! working by rows, `Zip` and slicing. A raw slice appears inside a hot loop only where
//! the code says why with a measurement (the minimum-curvature sweep, the plane fit's row
//! sums, the median's SIMD pair loads). Point inputs (gridding, outliers, tables) are
//! slices.
//!
//! The [`boundary`] module is the thin `wasm-bindgen` layer that the Deno worker pool
//! calls: typed slices in, boxed slices out, errors as JS `Error`s naming the parameter.
//! It builds the views over the slices it receives with [`arrays::view2`] (no copy) and
//! returns a result's row-major buffer with [`arrays::into_row_major`] (no copy).
//!
//! # Features
//! - `test-hooks`: also exports `debug_trap` (a deliberate panic, i.e. a wasm trap) for
//!   tests. Off by default; the committed bundle is built without it.
#![warn(missing_docs)]

pub mod arrays;
pub mod block_statistics;
pub mod boundary;
pub mod cancel;
pub mod codecs;
pub mod filters;
pub mod grid;
pub mod outliers;
pub mod qc;
pub mod spectral;
pub mod table;
pub mod tiering;

#[cfg(test)]
mod test_bits;
#[cfg(test)]
mod test_rng;

//! GeoAnomalyMapper numeric core.
//!
//! Kernels are plain Rust functions over slices and `ndarray` arrays with native
//! `cargo test`s beside them; the `boundary` module is the thin `wasm-bindgen`
//! layer that the Deno worker pool calls (typed slices in, boxed slices out,
//! errors as JS `Error`s naming the parameter).
#![warn(missing_docs)]

pub mod arrays;
pub mod boundary;
pub mod filters;
pub mod grid;
pub mod outliers;
pub mod qc;
pub mod spectral;
pub mod table;
pub mod tiering;

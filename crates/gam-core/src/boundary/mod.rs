//! The `wasm-bindgen` boundary: validates arguments, calls kernels, maps errors.

pub mod grid;

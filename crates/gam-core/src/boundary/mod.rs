//! The `wasm-bindgen` boundary: validates arguments, calls kernels, maps errors.
//!
//! The parameter names here are the API: TypeScript calls every export with one options object
//! whose fields are these names in camelCase (`min_points` is `minPoints`), typed from the
//! generated declarations (`src/compute/kernels.ts`; `deno task build:wasm` writes the names in
//! call order to `src/compute/wasm/gam_core_params.ts`). Renaming a parameter renames that field:
//! name each as the TypeScript wrapper names the same quantity (`high_km`/`low_km` for the
//! long- and short-wavelength limits, `threshold`, `survey`, `value`, ...), so that one quantity
//! has one name on both sides.
//!
//! Every export returns `Result<_, `[`BoundaryError`]`>`: the kernels' own errors convert into
//! it with `?` (their `Display` text, which names the parameter, what was received and what was
//! expected, is the message), and wasm-bindgen turns it into a thrown JS `Error`. Natively it
//! is a plain value, so `cargo test` calls the exports themselves.

pub mod codecs;
pub mod filters;
pub mod footprint;
pub mod grid;
pub mod spectral;
pub mod table;

use std::fmt;

use wasm_bindgen::prelude::*;

/// An export's refusal: the message of a thrown JS `Error` (see the [module docs](self)).
///
/// Any `std::error::Error` (the kernels' `GridError`, `FilterError`, `SpectralError`,
/// `QcError`, ...) converts into it with its `Display` text; [`BoundaryError::new`] takes a
/// message of the boundary's own.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryError(String);

impl BoundaryError {
    /// A refusal with this message (name the parameter, what was received and what was
    /// expected).
    pub fn new(message: impl Into<String>) -> BoundaryError {
        BoundaryError(message.into())
    }
}

impl fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for BoundaryError {
    fn from(e: E) -> BoundaryError {
        BoundaryError(e.to_string())
    }
}

impl From<BoundaryError> for JsValue {
    /// A JS `Error` with the message (what wasm-bindgen throws for an `Err`).
    fn from(e: BoundaryError) -> JsValue {
        JsError::new(&e.0).into()
    }
}

/// An export's result: a value, or a [`BoundaryError`] thrown as a JS `Error`.
pub type Exported<T> = Result<T, BoundaryError>;

/// The crate version (e.g. `"0.1.0"`); the worker pool's health check.
#[wasm_bindgen]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Watches `flag` (an `Int32Array` over a `SharedArrayBuffer`) for the kernels this worker
/// runs next, or nothing with `undefined`: they stop with a "cancelled" error once element 0
/// is non-zero (see [`crate::cancel`]). The worker calls `watch_cancel(flag)` before the
/// kernel of every job that carries a flag and `watch_cancel(undefined)` after it; the pool
/// stores 1 into the flag (`Atomics.store`) when the job's `AbortSignal` fires. WebAssembly
/// only.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn watch_cancel(flag: Option<js_sys::Int32Array>) {
    crate::cancel::watch(flag);
}

/// Deliberately traps: a Rust panic, which under `panic = "abort"` becomes a WebAssembly
/// `unreachable` trap. Exported only with the `test-hooks` cargo feature, which the committed
/// bundle never enables (the worker pool's trap test uses a real failure instead: an input
/// too large for the 32-bit wasm memory, on which the allocator aborts).
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
#[wasm_bindgen]
pub fn debug_trap() {
    panic!("debug_trap called");
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_version_is_the_crate_version() {
        assert_eq!(super::core_version(), env!("CARGO_PKG_VERSION"));
    }

    #[cfg(feature = "test-hooks")]
    #[test]
    #[should_panic(expected = "debug_trap called")]
    fn debug_trap_panics_with_test_hooks() {
        super::debug_trap();
    }
}

//! Cooperative cancellation of long kernels.
//!
//! A kernel cannot be stopped from outside: Deno's `Worker.terminate()` stops a worker's event
//! loop, which a running kernel never returns to (denoland/deno#35657), so a kernel cancelled
//! that way used to run to its end. Instead the long kernels call [`check`] between units of
//! work (a sweep of minimum curvature, a row of a filter or gridder, a row or a block of
//! columns of a 2-D FFT) and return [`Cancelled`] once their caller has asked them to stop,
//! dropping what they allocated.
//!
//! The request travels through shared memory, since the worker's own event loop is blocked
//! while the kernel runs: the worker pool gives each job an `Int32Array` over a
//! `SharedArrayBuffer`, the worker hands it to the export `watch_cancel` (in
//! [`crate::boundary`], WebAssembly only) before the kernel, and the pool stores 1 into it when
//! the job's `AbortSignal` fires. On the calling thread (no pool) nothing is watched and
//! [`check`] never fails.
//!
//! Natively (`cargo test`), a thread-local flag set with [`request`] plays the shared memory's
//! part, so that each kernel's test can check that it stops.

use std::fmt;

/// A kernel stopped because its caller cancelled the job.
///
/// # Example
/// ```
/// use gam_core::cancel::Cancelled;
/// assert_eq!(Cancelled.to_string(), "cancelled: the job was aborted by its caller");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cancelled: the job was aborted by its caller")
    }
}

impl std::error::Error for Cancelled {}

#[cfg(target_arch = "wasm32")]
mod flag {
    use std::cell::RefCell;

    thread_local! {
        /// The running job's flag (element 0 of an `Int32Array` over a `SharedArrayBuffer`).
        static FLAG: RefCell<Option<js_sys::Int32Array>> = const { RefCell::new(None) };
    }

    pub(super) fn watch(flag: Option<js_sys::Int32Array>) {
        FLAG.with(|f| *f.borrow_mut() = flag);
    }

    pub(super) fn requested() -> bool {
        FLAG.with(|f| {
            f.borrow()
                .as_ref()
                .is_some_and(|a| js_sys::Atomics::load(a, 0).is_ok_and(|v| v != 0))
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod flag {
    use std::cell::Cell;

    thread_local! {
        static REQUESTED: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) fn set(on: bool) {
        REQUESTED.with(|r| r.set(on));
    }

    pub(super) fn requested() -> bool {
        REQUESTED.with(Cell::get)
    }
}

/// Watches `flag` (element 0 of an `Int32Array` over a `SharedArrayBuffer`; non-zero means
/// stop) for the kernels this thread runs next, or nothing with `None`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn watch(flag: Option<js_sys::Int32Array>) {
    flag::watch(flag);
}

/// Asks (natively: this thread's) kernels to stop at their next [`check`], or clears the
/// request. Native builds only: in WebAssembly the request comes from the worker pool.
///
/// # Example
/// ```
/// use gam_core::cancel;
/// cancel::request(true);
/// assert_eq!(cancel::check(), Err(cancel::Cancelled));
/// cancel::request(false);
/// assert_eq!(cancel::check(), Ok(()));
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub fn request(on: bool) {
    flag::set(on);
}

/// `Err(Cancelled)` once the running job has been cancelled, `Ok(())` otherwise. Cheap (one
/// atomic load through JavaScript when a flag is watched, none otherwise): kernels call it
/// every few milliseconds of work, not per value.
///
/// # Example
/// ```
/// use gam_core::cancel::{check, Cancelled};
/// fn sweeps(n: u32) -> Result<u32, Cancelled> {
///     for _ in 0..n {
///         check()?;
///     }
///     Ok(n)
/// }
/// assert_eq!(sweeps(3), Ok(3));
/// ```
pub fn check() -> Result<(), Cancelled> {
    if flag::requested() {
        Err(Cancelled)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::filters::{gaussian::gaussian_filter, median::median_filter, FilterError};
    use crate::grid::{
        distance::distance_to_nearest,
        idw::{grid_idw, IdwParams},
        linear::grid_linear,
        mincurv::{grid_mincurv, MincurvParams},
        nearest::grid_nearest,
        GridError, GridSpec,
    };
    use crate::spectral::SpectralError;
    use crate::spectral::{apply::fft_filter, split::fft_filter_in_parts, transfer::Op};

    /// `run` succeeds, and fails with `cancelled` when a cancel request is pending.
    fn stops<E: PartialEq + fmt::Debug>(name: &str, run: impl Fn() -> Result<(), E>, cancelled: E) {
        assert_eq!(run(), Ok(()), "{name}");
        request(true);
        let out = run();
        request(false);
        assert_eq!(out, Err(cancelled), "{name}");
    }

    #[test]
    fn the_long_kernels_stop_when_cancelled_and_run_when_not() {
        let mut rng = crate::test_rng::Lcg(3);
        let n = 400;
        let lon: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
        let lat: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
        let z: Vec<f64> = lon.iter().zip(&lat).map(|(x, y)| x * x - y).collect();
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.05, 0.05, 21.0, 21.0]).unwrap();
        let mincurv = || {
            let p = MincurvParams {
                tension: 0.25,
                convergence: 0.0,
                max_iterations: 100,
            };
            grid_mincurv(&lon, &lat, &z, &spec, p).map(|_| ())
        };
        let idw = || {
            let p = IdwParams {
                k: 4,
                power: 2.0,
                radius: 0.3,
                min_points: 1,
            };
            grid_idw(&lon, &lat, &z, &spec, 0, 21, p).map(|_| ())
        };
        let nearest = || grid_nearest(&lon, &lat, &z, &spec, 0, 21, 0.3).map(|_| ());
        let linear = || grid_linear(&lon, &lat, &z, &spec, 0, 21).map(|_| ());
        let distance = || distance_to_nearest(&lon, &lat, &spec, 0, 21).map(|_| ());
        stops("mincurv", mincurv, GridError::Cancelled);
        stops("idw", idw, GridError::Cancelled);
        stops("nearest", nearest, GridError::Cancelled);
        stops("linear", linear, GridError::Cancelled);
        stops("distance", distance, GridError::Cancelled);

        let g = Array2::from_shape_fn((30, 40), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let gaussian = || gaussian_filter(g.view(), 2.0, 2.0, 0, 30).map(|_| ());
        let median = || median_filter(g.view(), 5, false, 0, 30).map(|_| ());
        stops("gaussian", gaussian, FilterError::Cancelled);
        stops("median", median, FilterError::Cancelled);

        let whole = || fft_filter(g.view(), 1.0, 1.0, &Op::Tilt).map(|_| ());
        let parts = || fft_filter_in_parts(g.view(), 1.0, 1.0, &Op::Tilt, 2).map(|_| ());
        stops("fft_filter", whole, SpectralError::Cancelled);
        stops("fft_filter_in_parts", parts, SpectralError::Cancelled);
        assert_eq!(
            GridError::Cancelled.to_string(),
            "cancelled: the job was aborted by its caller"
        );
    }
}

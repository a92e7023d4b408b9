//! Keeping hot loops in functions that V8 can optimise.
//!
//! V8 compiles a WebAssembly function lazily with its baseline compiler (Liftoff) and
//! recompiles it with its optimising compiler (TurboFan) once it has run enough; the new code
//! is used from the *next* call on, since there is no on-stack replacement for WebAssembly. A
//! kernel whose whole work is one loop in one function call, as every kernel call is the first
//! in a fresh worker, therefore runs its first call entirely in baseline code, two to three
//! times slower (measured on the gridding kernels: block median 146 ms vs 55 ms, minimum
//! curvature 551 ms vs 277 ms).
//!
//! The remedy is to run the hot loop body as many calls of a separate function: after the
//! first few calls V8 optimises it in the background and the rest run optimised. Such a
//! function must not be inlined back into its single caller, which LLVM (`#[inline(never)]`)
//! and wasm-opt (it inlines every function with one caller, however large) would otherwise do:
//! [`out_of_line`] passes the function pointer through [`std::hint::black_box`], so the call
//! stays an indirect call through the function table and wasm-opt leaves the function alone.

/// Returns `f` itself, opaque to the optimisers, so calls through it stay out of line (see the
/// [module docs](self)). Use for the per-row / per-sweep functions of long-running kernels.
///
/// ```
/// use gam_core::tiering::out_of_line;
/// fn square(x: f64) -> f64 { x * x }
/// let f = out_of_line(square as fn(f64) -> f64);
/// assert_eq!((0..4).map(|i| f(i as f64)).sum::<f64>(), 14.0);
/// ```
#[inline(always)]
pub fn out_of_line<F: Copy>(f: F) -> F {
    std::hint::black_box(f)
}

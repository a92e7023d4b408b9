//! Fills NaN cells before the FFT by Laplace interpolation: the filled values solve
//! `∇²z = 0` with the valid cells as fixed boundary values (Neumann at the grid edge: only
//! neighbours inside the grid are averaged), like GMT `grdfill -Ac`-style minimum-curvature
//! repairs of small holes but simpler. Solved by successive over-relaxation (Gauss-Seidel,
//! ω = 1.8) over the NaN cells in row-major order, starting from 0 (the detrended mean), for
//! at most [`MAX_ITER`] sweeps or until the largest update is below `1e-9` of the data range.
//! The filled cells are set back to NaN after the inverse transform.

use ndarray::ArrayViewMut2;

/// Maximum number of SOR sweeps.
pub const MAX_ITER: usize = 1000;

/// How a fill's SOR sweeps ended: how many ran, the largest update of the last one, and the
/// tolerance the sweeps stop below. When the update is not below it, the sweeps stopped at
/// [`MAX_ITER`] with the filled values still moving, and a transform's result near large
/// holes depends on that limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FillEnd {
    /// Sweeps run (1 to [`MAX_ITER`]).
    pub sweeps: usize,
    /// Largest change of a filled value in the last sweep (the data's units).
    pub update: f64,
    /// `1e-9` of the valid values' range.
    pub tolerance: f64,
}

impl FillEnd {
    /// Whether the last sweep's largest update was below the tolerance.
    pub fn converged(&self) -> bool {
        self.update < self.tolerance
    }

    /// `[sweeps, update, tolerance]`, as the wasm boundary reports it; zeros for no fill.
    pub fn report(end: Option<FillEnd>) -> [f64; 3] {
        end.map_or([0.0; 3], |e| [e.sweeps as f64, e.update, e.tolerance])
    }
}

/// Fills the NaN cells of `z` (`ny` rows by `nx` columns) in place; returns the `(row,
/// column)` of the cells that were NaN, in row-major order, and how the sweeps ended (`None`
/// when there was nothing to solve: no hole, or no valid cell).
///
/// # Example
/// ```
/// use gam_core::spectral::fill::laplace_fill;
/// use ndarray::array;
/// let mut z = array![[0.0, 1.0, 2.0], [0.0, f64::NAN, 2.0], [0.0, 1.0, 2.0]];
/// let (holes, end) = laplace_fill(z.view_mut());
/// assert_eq!(holes, vec![(1, 1)]);
/// assert!((z[[1, 1]] - 1.0).abs() < 1e-6);
/// assert!(end.unwrap().converged());
/// ```
pub fn laplace_fill(mut z: ArrayViewMut2<'_, f64>) -> (Vec<(usize, usize)>, Option<FillEnd>) {
    let (ny, nx) = z.dim();
    let (holes, tol) = holes_at_zero(z.view_mut());
    let Some(tol) = tol else {
        return (holes, None);
    };
    let end = match z.as_slice_mut() {
        Some(flat) => sor(flat, nx, ny, &holes, tol),
        None => {
            let mut copy = z.as_standard_layout().into_owned();
            let end = sor(
                copy.as_slice_mut().expect("a standard-layout array"),
                nx,
                ny,
                &holes,
                tol,
            );
            z.assign(&copy);
            end
        }
    };
    (holes, Some(end))
}

/// The NaN cells of `z` in row-major order, set to 0 (the detrended mean, where the sweeps
/// start), and the sweeps' stopping tolerance, `1e-9` of the valid values' range; no
/// tolerance when there is nothing to solve (no hole, or no valid cell).
fn holes_at_zero(mut z: ArrayViewMut2<'_, f64>) -> (Vec<(usize, usize)>, Option<f64>) {
    // Row by row: a row without NaN (most of them) costs one vectorised fold, no index
    // bookkeeping per cell.
    let mut holes: Vec<(usize, usize)> = Vec::new();
    for (i, row) in z.rows().into_iter().enumerate() {
        if row.fold(false, |acc, v| acc | v.is_nan()) {
            holes.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_nan())
                    .map(|(j, _)| (i, j)),
            );
        }
    }
    let solve = !holes.is_empty() && holes.len() < z.len();
    let tol = solve.then(|| {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in z.iter().filter(|v| !v.is_nan()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        tolerance(lo, hi)
    });
    for &k in &holes {
        z[k] = 0.0;
    }
    (holes, tol)
}

/// The sweeps' stopping tolerance for valid values from `lo` to `hi`: `1e-9` of their range.
pub(super) fn tolerance(lo: f64, hi: f64) -> f64 {
    1e-9 * (hi - lo).max(f64::MIN_POSITIVE)
}

/// Over-relaxation factor of [`sor`].
const OMEGA: f64 = 1.8;

/// The holes of [`sor`] in their visiting order: each one's index in the flat grid, and
/// which of its neighbours exist (bits [`LEFT`], [`RIGHT`], [`UP`], [`DOWN`]). Five bytes a
/// hole: a sweep streams them, and 40-byte records made it wait on memory.
pub(super) struct Holes {
    k: Vec<u32>,
    edges: Vec<u8>,
    /// One past the largest index a sweep reads or writes (a hole's own, or its right or
    /// down neighbour's): [`sweep`] checks it against the slice once, not every access.
    reach: usize,
}

const LEFT: u8 = 1;
const RIGHT: u8 = 2;
const UP: u8 = 4;
const DOWN: u8 = 8;

/// `1 / n` for the `n` neighbours of each edge mask whose count is 1, 2 or 4: `s / n` is then
/// `s · (1 / n)`, the same number (a power of two scales exactly) with a shorter latency than
/// a division; 3 neighbours divide (`NAN` here is never read).
const RECIPROCAL: [f64; 16] = {
    let mut r = [f64::NAN; 16];
    let mut m = 0;
    while m < 16 {
        r[m] = match (m as u8).count_ones() {
            1 => 1.0,
            2 => 0.5,
            4 => 0.25,
            _ => f64::NAN,
        };
        m += 1;
    }
    r
};

/// Rows whose holes one pass of [`sweep`] interleaves (see [`sor`]).
pub(super) const ROWS: usize = 8;

/// The SOR sweeps of [`laplace_fill`] over the row-major grid `z` (`ny` rows of `nx`),
/// `holes` in row-major order (set to 0 already), the same to the bit as the textbook
/// row-major sweep: each update is the same sequence of operations (the neighbours summed
/// left, right, up, down into `0.0`, their mean, `ω` times the change), and it sees the same
/// neighbours already updated in its sweep (left and up) or not yet (right and down).
///
/// The row-major order makes each update wait for the one before (its left neighbour), about
/// 40 cycles a hole. The updates are visited instead by blocks of [`ROWS`] rows, and within a
/// block by anti-diagonals (`j + r` for row `r` of the block, then `r`): cells on one
/// anti-diagonal are not neighbours, and every cell's left and up neighbours come before it,
/// its right and down ones after, so each update reads what it read in row-major order while
/// the processor overlaps up to [`ROWS`] independent chains (Lamport 1974, "The parallel
/// execution of DO loops", the hyperplane method).
fn sor(z: &mut [f64], nx: usize, ny: usize, holes: &[(usize, usize)], tol: f64) -> FillEnd {
    let prepared = prepare(holes, nx, ny, 0, 0);
    // A call per sweep, out of line: V8 optimises it after the first few (crate::tiering).
    let sweep = crate::tiering::out_of_line(sweep as fn(&mut [f64], usize, &Holes) -> f64);
    let mut end = FillEnd {
        sweeps: 0,
        update: f64::INFINITY,
        tolerance: tol,
    };
    while end.sweeps < MAX_ITER && !end.converged() {
        end.update = sweep(z, nx, &prepared);
        end.sweeps += 1;
    }
    end
}

/// `holes` (`(row, column)` of a grid of `ny` rows by `nx` columns) in [`sor`]'s visiting
/// order, blocks of [`ROWS`] rows counted from row `r0`, as indices into a row-major slice
/// whose first row is grid row `first` (a band's rows with the rows around it), with their
/// edges in the whole grid: a band's holes see the neighbouring bands' rows as neighbours.
pub(super) fn prepare(
    holes: &[(usize, usize)],
    nx: usize,
    ny: usize,
    first: usize,
    r0: usize,
) -> Holes {
    let mut order: Vec<(usize, usize, usize, usize, usize)> = holes
        .iter()
        .map(|&(i, j)| {
            let r = i - r0;
            (r / ROWS, j + r % ROWS, r % ROWS, i, j)
        })
        .collect();
    order.sort_unstable();
    let mut reach = 0;
    let (k, edges) = order
        .iter()
        .map(|&(_, _, _, i, j)| {
            // What `sweep`'s unchecked reads rely on: a hole with a row above has it in the
            // slice (the slice starts at row `first`).
            assert!(
                i > first || (i == first && i == 0),
                "hole row {i} before row {first}"
            );
            let edges = (if j > 0 { LEFT } else { 0 })
                | (if j + 1 < nx { RIGHT } else { 0 })
                | (if i > 0 { UP } else { 0 })
                | (if i + 1 < ny { DOWN } else { 0 });
            // Grids of the spectral kernels fit a WebAssembly memory: fewer than 2^32 cells.
            let k = (i - first) * nx + j;
            let last = if edges & DOWN != 0 {
                k + nx
            } else if edges & RIGHT != 0 {
                k + 1
            } else {
                k
            };
            reach = reach.max(last + 1);
            (u32::try_from(k).expect("fewer than 2^32 cells"), edges)
        })
        .unzip();
    Holes { k, edges, reach }
}

/// One SOR sweep over `holes`; returns the largest update's magnitude.
///
/// # Panics
/// When `z` is shorter than the holes reach ([`prepare`]'s `first` and `nx` must be `z`'s).
pub(super) fn sweep(z: &mut [f64], nx: usize, holes: &Holes) -> f64 {
    assert!(holes.reach <= z.len(), "the holes reach past the grid");
    let mut delta: f64 = 0.0;
    for (&k, &e) in holes.k.iter().zip(&holes.edges) {
        let k = k as usize;
        let mut s = 0.0;
        // SAFETY: every index below is in bounds. `prepare` sets LEFT only for j > 0 and UP
        // only for i > 0, and asserts i > first then (the slice starts at row `first`), so
        // `k - 1` and `k - nx` do not underflow; `k + 1` (RIGHT), `k + nx` (DOWN) and `k`
        // are below `holes.reach`, checked against `z.len()` above.
        unsafe {
            if e & LEFT != 0 {
                s += *z.get_unchecked(k - 1);
            }
            if e & RIGHT != 0 {
                s += *z.get_unchecked(k + 1);
            }
            if e & UP != 0 {
                s += *z.get_unchecked(k - nx);
            }
            if e & DOWN != 0 {
                s += *z.get_unchecked(k + nx);
            }
        }
        let mean = if e.count_ones() == 3 {
            s / 3.0
        } else {
            s * RECIPROCAL[usize::from(e & 15)]
        };
        // SAFETY: `k < holes.reach <= z.len()` (see above).
        let zk = unsafe { z.get_unchecked_mut(k) };
        let upd = OMEGA * (mean - *zk);
        *zk += upd;
        // Not `f64::max`, whose NaN rule costs a compare and a select more in WebAssembly.
        // The same result for every update: `delta` is never NaN, and a NaN update (an
        // infinite neighbour) leaves it as it is in both.
        let a = upd.abs();
        if a > delta {
            delta = a;
        }
    }
    delta
}

/// The fill's sweeps as first written (row-major, indexing `z[(i, j)]` with the edge tests
/// per cell): the reference [`laplace_fill`] must equal bit for bit.
#[cfg(test)]
fn laplace_fill_reference(mut z: ArrayViewMut2<'_, f64>) -> (Vec<(usize, usize)>, Option<FillEnd>) {
    let (ny, nx) = z.dim();
    let (holes, tol) = holes_at_zero(z.view_mut());
    let Some(tol) = tol else {
        return (holes, None);
    };
    let mut end = None;
    for sweep in 1..=MAX_ITER {
        let mut delta: f64 = 0.0;
        for &(i, j) in &holes {
            let (mut s, mut n) = (0.0, 0.0);
            if j > 0 {
                s += z[(i, j - 1)];
                n += 1.0;
            }
            if j + 1 < nx {
                s += z[(i, j + 1)];
                n += 1.0;
            }
            if i > 0 {
                s += z[(i - 1, j)];
                n += 1.0;
            }
            if i + 1 < ny {
                s += z[(i + 1, j)];
                n += 1.0;
            }
            let upd = OMEGA * (s / n - z[(i, j)]);
            z[(i, j)] += upd;
            delta = delta.max(upd.abs());
        }
        end = Some(FillEnd {
            sweeps: sweep,
            update: delta,
            tolerance: tol,
        });
        if delta < tol {
            break;
        }
    }
    (holes, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bits::same_bits;

    #[test]
    fn laplace_fill_equals_the_reference_sweep_bit_for_bit() {
        // Holes at every edge and corner, a ragged margin, a lake, single cells; square,
        // wide and tall grids; a transposed (not standard layout) view.
        for (nx, ny) in [(40usize, 30usize), (7, 61), (64, 3)] {
            let base: Vec<f64> = (0..nx * ny)
                .map(|k| ((k % nx) as f64 * 0.3).sin() * 5.0 + (k / nx) as f64 * 0.7 - 2.0)
                .collect();
            let mut z = base.clone();
            for (k, v) in z.iter_mut().enumerate() {
                let (i, j) = (k / nx, k % nx);
                let lake = (i as f64 - ny as f64 / 2.0).powi(2)
                    + (j as f64 - nx as f64 / 3.0).powi(2)
                    < 9.0;
                if j < 1 + (i * 7) % 3 || i == 0 || k % 17 == 0 || lake || k == nx * ny - 1 {
                    *v = f64::NAN;
                }
            }
            let mut want = z.clone();
            let a = laplace_fill(ArrayViewMut2::from_shape((ny, nx), &mut z).unwrap());
            let b = laplace_fill_reference(ArrayViewMut2::from_shape((ny, nx), &mut want).unwrap());
            assert_eq!(a, b);
            assert!(same_bits(&z, &want), "{nx} x {ny}");
            // The same grid seen transposed: the fill of a view that is not row-major.
            let mut t = ndarray::Array2::from_shape_vec((ny, nx), want.clone()).unwrap();
            for (k, v) in t.iter_mut().enumerate() {
                if base[k] != want[k] && (k % 5 == 0) {
                    *v = f64::NAN;
                }
            }
            let mut t2 = t.clone();
            let a = laplace_fill(t.view_mut().reversed_axes());
            let b = laplace_fill_reference(t2.view_mut().reversed_axes());
            assert_eq!(a, b);
            assert!(same_bits(t.iter(), t2.iter()));
        }
    }

    #[test]
    fn laplace_fill_reports_the_sweeps_and_whether_they_converged() {
        // No hole, and nothing valid: nothing to solve.
        let mut z = vec![1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            laplace_fill(ArrayViewMut2::from_shape((2, 2), &mut z).unwrap()).1,
            None
        );
        let mut z = vec![f64::NAN; 4];
        assert_eq!(
            laplace_fill(ArrayViewMut2::from_shape((2, 2), &mut z).unwrap()).1,
            None
        );
        // A 150 x 150 hole framed by a ramp: the sweeps stop at their limit with the values
        // still moving (SOR at ω = 1.8 needs thousands of sweeps across 150 cells).
        let n = 152;
        let mut z: Vec<f64> = (0..n * n).map(|k| (k % n) as f64).collect();
        for i in 1..n - 1 {
            z[i * n + 1..(i + 1) * n - 1].fill(f64::NAN);
        }
        let end = laplace_fill(ArrayViewMut2::from_shape((n, n), &mut z).unwrap()).1;
        let end = end.unwrap();
        assert_eq!(end.sweeps, MAX_ITER);
        assert!(
            !end.converged() && end.update > 1e3 * end.tolerance,
            "{end:?}"
        );
        assert_eq!(end.tolerance, 1e-9 * (n - 1) as f64);
        assert_eq!(
            FillEnd::report(Some(end)),
            [MAX_ITER as f64, end.update, end.tolerance]
        );
        assert_eq!(FillEnd::report(None), [0.0; 3]);
    }

    #[test]
    fn laplace_fill_reproduces_a_plane_in_a_hole() {
        let (nx, ny) = (12, 10);
        let mut z: Vec<f64> = (0..nx * ny)
            .map(|k| 3.0 * (k % nx) as f64 - 2.0 * (k / nx) as f64)
            .collect();
        let want = z.clone();
        for i in 3..7 {
            for j in 4..9 {
                z[i * nx + j] = f64::NAN;
            }
        }
        let (holes, end) = laplace_fill(ArrayViewMut2::from_shape((ny, nx), &mut z).unwrap());
        assert_eq!(holes.len(), 20);
        let end = end.unwrap();
        assert!(end.converged() && end.sweeps < MAX_ITER, "{end:?}");
        for &(i, j) in &holes {
            let k = i * nx + j;
            assert!((z[k] - want[k]).abs() < 1e-6, "cell {k}");
        }
    }
}

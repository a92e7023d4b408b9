//! The Laplace fill of [`super::fill`] in bands of rows, one per worker, the same to the bit.
//!
//! On a survey grid with holes (masked margins, lakes, gaps between flight blocks) the fill's
//! SOR sweeps (up to [`MAX_ITER`]) are most of a 2-D FFT's time, and one worker ran them
//! while the others waited. Here each of `bands` workers sweeps its own band of rows, and
//! the bands run at the same time as a pipeline (the wavefront of Lamport 1974, "The
//! parallel execution of DO loops", over bands instead of cells):
//!
//! - An update reads its up neighbour as updated in the same sweep and its down neighbour
//!   as left by the sweep before (row-major Gauss-Seidel). So band `b` starts sweep `s`
//!   once band `b - 1` has finished sweep `s` (its last row, the row above band `b`), and
//!   reads band `b + 1`'s first row as sweep `s - 1` left it, which band `b + 1` publishes
//!   after the first block of its sweep (its first [`ROWS`] rows), just before its own last
//!   block (the only one that reads it). So band `b` runs sweep `s + 1` while band `b + 1`
//!   runs sweep `s`, and neither waits for more than a wake-up.
//! - Each update therefore reads exactly the values it reads in one sweep over the whole
//!   grid, in the same order of operations ([`sweep`]): the filled values are the same bits.
//! - The sweeps stop when the largest update of a sweep over the whole grid is below the
//!   tolerance: the largest of the bands' largest. A band whose own update was at least the
//!   tolerance knows the sweep did not converge and goes on; one whose update was below it
//!   waits for every band's, so every band stops after the same sweep.
//! - The rows are split where the holes are, so that each band sweeps about as many.
//!
//! The bands share rows and numbers through an [`Exchange`]: `f64` slots and `i32` counters
//! in memory every band reaches (a `SharedArrayBuffer` between workers; atomics in the native
//! tests). A row is published into one of two slots by the parity of its sweep: the
//! neighbour reads the previous sweep's slot while the next one is written.

use std::ops::Range;

use super::{
    fill::{prepare, sweep, tolerance, FillEnd, Holes, MAX_ITER, ROWS},
    SpectralError,
};
use crate::cancel::Cancelled;

/// Memory the bands of [`fill_band`] share: `f64` slots and `i32` counters (all 0 at the
/// start), reached by every band's thread.
pub trait Exchange {
    /// Writes `values` into the slots from `at`.
    fn put(&self, at: usize, values: &[f64]);
    /// Reads `out.len()` slots from `at`.
    fn get(&self, at: usize, out: &mut [f64]);
    /// Stores `value` into counter `i` after the `put`s before it, and wakes its waiters.
    fn set(&self, i: usize, value: i32);
    /// Blocks until counter `i` is at least `value` (the `put`s before the `set` that made
    /// it so are then seen).
    ///
    /// # Errors
    /// [`Cancelled`] when the job is cancelled while it waits.
    fn wait(&self, i: usize, value: i32) -> Result<(), Cancelled>;
}

/// The [`Exchange`] of a fill in one band: nothing to share, nobody to wait for.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneBand;

impl Exchange for OneBand {
    fn put(&self, _: usize, _: &[f64]) {}
    fn get(&self, _: usize, _: &mut [f64]) {}
    fn set(&self, _: usize, _: i32) {}
    fn wait(&self, _: usize, _: i32) -> Result<(), Cancelled> {
        Ok(())
    }
}

/// The `f64` slots and `i32` counters the [`Exchange`] of `bands` bands of `nx` columns
/// needs: per band, its valid values' range, its largest update per sweep, and two copies
/// each of its first and last row; three counters per band.
///
/// # Example
/// ```
/// use gam_core::spectral::fill_band::exchange_size;
/// assert_eq!(exchange_size(10, 2), (2 * (2 + 1000 + 40), 6));
/// ```
pub fn exchange_size(nx: usize, bands: usize) -> (usize, usize) {
    (bands * (2 + MAX_ITER + 4 * nx), 3 * bands)
}

/// Where each band's numbers sit in the exchange (see [`exchange_size`]).
struct Slots {
    nx: usize,
    bands: usize,
}

impl Slots {
    /// `[lo, hi]` of band `b`'s valid values.
    fn range(&self, b: usize) -> usize {
        2 * b
    }
    /// Band `b`'s largest update in sweep `s`.
    fn delta(&self, b: usize, s: usize) -> usize {
        2 * self.bands + b * MAX_ITER + s
    }
    /// Band `b`'s first row after sweep `s`.
    fn first(&self, b: usize, s: usize) -> usize {
        self.bands * (2 + MAX_ITER) + (2 * b + s % 2) * self.nx
    }
    /// Band `b`'s last row after sweep `s`.
    fn last(&self, b: usize, s: usize) -> usize {
        self.first(self.bands + b, s)
    }
    /// Counter: 1 once band `b`'s range is published.
    fn ranged(&self, b: usize) -> usize {
        b
    }
    /// Counter: the sweeps whose first block band `b` has finished (its first row out).
    fn head(&self, b: usize) -> usize {
        self.bands + b
    }
    /// Counter: the sweeps band `b` has finished (its last row and largest update out).
    fn done(&self, b: usize) -> usize {
        2 * self.bands + b
    }
}

/// The rows of band `band` of `bands` for a grid whose row `i` has `counts[i]` holes: cut
/// where the holes above reach `band / bands` of them, each band at least one row
/// (`bands <= counts.len()`).
///
/// # Example
/// ```
/// use gam_core::spectral::fill_band::band_rows;
/// // All the holes in the first two rows of six: a band each.
/// assert_eq!(band_rows(&[3, 3, 0, 0, 0, 0], 2, 0), 0..1);
/// assert_eq!(band_rows(&[3, 3, 0, 0, 0, 0], 2, 1), 1..6);
/// ```
pub fn band_rows(counts: &[usize], bands: usize, band: usize) -> Range<usize> {
    let ny = counts.len();
    let total: usize = counts.iter().sum();
    let mut cuts = vec![0; bands + 1];
    cuts[bands] = ny;
    let (mut i, mut above) = (0, 0);
    for b in 1..bands {
        // The first row with at least b/bands of the holes above it.
        while i < ny && above * bands < b * total {
            above += counts[i];
            i += 1;
        }
        cuts[b] = i.clamp(cuts[b - 1] + 1, ny - (bands - b));
    }
    cuts[band]..cuts[band + 1]
}

/// Band `band` of `bands` of the Laplace fill of an `nx × ny` grid (the same values as
/// [`super::fill::laplace_fill`] on the whole grid): `counts[i]` holes in row `i`, and
/// `rows(i, row)` copying data row `i` out (`nx` values, NaN = hole; called for the band's
/// rows and the one above and below it). Every band runs at the same time, on its own
/// thread, over one `exchange` ([`exchange_size`]). Returns the filled values of the band's
/// holes in row-major order (the bands' results one after another are the whole grid's),
/// and how the sweeps ended (`None` without holes): the sweeps every band ran, this band's
/// largest update in the last one (the whole grid's is the largest of the bands') and the
/// tolerance.
///
/// # Errors
/// [`SpectralError::AllNan`] when every cell is a hole; `Cancelled` when the job is
/// cancelled (checked every sweep and while waiting for another band).
///
/// # Panics
/// When `bands` is 0 or more than `ny`, `band >= bands` or `counts` is not `ny` long.
pub fn fill_band(
    nx: usize,
    ny: usize,
    counts: &[usize],
    band: usize,
    bands: usize,
    mut rows: impl FnMut(usize, &mut [f64]),
    exchange: &impl Exchange,
) -> Result<(Vec<f64>, Option<FillEnd>), SpectralError> {
    assert!(band < bands && bands <= ny && counts.len() == ny);
    let total: usize = counts.iter().sum();
    if total == 0 {
        return Ok((Vec::new(), None));
    }
    if total == nx * ny {
        return Err(SpectralError::AllNan);
    }
    let own = band_rows(counts, bands, band);
    // The band's rows with the row above and below (the neighbours' rows it reads).
    let first = own.start.saturating_sub(1);
    let end = (own.end + 1).min(ny);
    let mut z = vec![0.0; (end - first) * nx];
    let mut holes = Vec::with_capacity(counts[own.clone()].iter().sum());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, dst) in (first..end).zip(z.chunks_exact_mut(nx)) {
        rows(i, dst);
        let mine = own.contains(&i);
        for (j, v) in dst.iter_mut().enumerate() {
            if v.is_nan() {
                // Where the sweeps start, as in the whole grid's fill.
                *v = 0.0;
                if mine {
                    holes.push((i, j));
                }
            } else if mine {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
        }
    }
    let x = Slots { nx, bands };
    // The tolerance of the whole grid's valid values (a minimum and a maximum: exact).
    exchange.put(x.range(band), &[lo, hi]);
    exchange.set(x.ranged(band), 1);
    for c in (0..bands).filter(|&c| c != band) {
        exchange.wait(x.ranged(c), 1)?;
        let mut r = [0.0; 2];
        exchange.get(x.range(c), &mut r);
        lo = lo.min(r[0]);
        hi = hi.max(r[1]);
    }
    let tol = tolerance(lo, hi);
    // The first block (the band's first ROWS rows) apart, so that its first row is out
    // early; and the last block, the only one that reads the row below the band: waiting
    // for that row just before it, not at the start of the sweep, gives the band below the
    // whole sweep to publish it.
    let last_block = own.start + (own.len() - 1) / ROWS * ROWS;
    let single = last_block == own.start;
    let split = |row: usize| holes.partition_point(|&(i, _)| i < row);
    let (a, b) = if single {
        (holes.len(), holes.len())
    } else {
        (split(own.start + ROWS), split(last_block))
    };
    let [head, body, tail] =
        [&holes[..a], &holes[a..b], &holes[b..]].map(|h| prepare(h, nx, ny, first, own.start));
    let (up, down) = (own.start > 0, own.end < ny);
    let top = (own.start - first) * nx;
    let bottom = (own.end - 1 - first) * nx;
    let below = (own.end - first) * nx;
    // The row below the band as sweep `s - 1` left it (the band below's first row).
    let row_below = |z: &mut [f64], s: usize| -> Result<(), Cancelled> {
        if down && s > 0 {
            exchange.wait(x.head(band + 1), s as i32)?;
            exchange.get(x.first(band + 1, s - 1), &mut z[below..below + nx]);
        }
        Ok(())
    };
    // A call per sweep, out of line: V8 optimises it after the first few (crate::tiering).
    let sweep = crate::tiering::out_of_line(sweep as fn(&mut [f64], usize, &Holes) -> f64);
    let mut last = f64::INFINITY;
    let mut sweeps = 0;
    for s in 0..MAX_ITER {
        crate::cancel::check()?;
        if s > 0 && last < tol && converged(exchange, &x, band, s - 1, tol)? {
            break;
        }
        if up {
            exchange.wait(x.done(band - 1), s as i32 + 1)?;
            exchange.get(x.last(band - 1, s), &mut z[..nx]);
        }
        if single {
            row_below(&mut z, s)?;
        }
        let mut d = sweep(&mut z, nx, &head);
        exchange.put(x.first(band, s), &z[top..top + nx]);
        exchange.set(x.head(band), s as i32 + 1);
        d = d.max(sweep(&mut z, nx, &body));
        if !single {
            row_below(&mut z, s)?;
        }
        d = d.max(sweep(&mut z, nx, &tail));
        exchange.put(x.delta(band, s), &[d]);
        exchange.put(x.last(band, s), &z[bottom..bottom + nx]);
        exchange.set(x.done(band), s as i32 + 1);
        last = d;
        sweeps = s + 1;
    }
    let values = holes
        .iter()
        .map(|&(i, j)| z[(i - first) * nx + j])
        .collect();
    let end = FillEnd {
        sweeps,
        update: last,
        tolerance: tol,
    };
    Ok((values, Some(end)))
}

/// Whether sweep `s` converged over the whole grid, for a band whose own largest update in
/// it was below `tol`: every other band's was too (waiting for them to finish it).
fn converged(
    exchange: &impl Exchange,
    x: &Slots,
    band: usize,
    s: usize,
    tol: f64,
) -> Result<bool, Cancelled> {
    let mut all = true;
    for c in (0..x.bands).filter(|&c| c != band) {
        exchange.wait(x.done(c), s as i32 + 1)?;
        let mut d = [0.0];
        exchange.get(x.delta(c, s), &mut d);
        all &= d[0] < tol;
    }
    Ok(all)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::spectral::fill::laplace_fill;
    use crate::test_bits::same_bits;
    use ndarray::ArrayViewMut2;
    use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

    /// An [`Exchange`] between threads: values as bits in atomics, counters spun on.
    pub(crate) struct Atomics {
        slots: Vec<AtomicU64>,
        counters: Vec<AtomicI32>,
    }

    impl Atomics {
        pub(crate) fn new(nx: usize, bands: usize) -> Self {
            let (slots, counters) = exchange_size(nx, bands);
            Atomics {
                slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
                counters: (0..counters).map(|_| AtomicI32::new(0)).collect(),
            }
        }
    }

    impl Exchange for Atomics {
        fn put(&self, at: usize, values: &[f64]) {
            for (s, v) in self.slots[at..].iter().zip(values) {
                s.store(v.to_bits(), Ordering::Relaxed);
            }
        }
        fn get(&self, at: usize, out: &mut [f64]) {
            for (o, s) in out.iter_mut().zip(&self.slots[at..]) {
                *o = f64::from_bits(s.load(Ordering::Relaxed));
            }
        }
        fn set(&self, i: usize, value: i32) {
            self.counters[i].store(value, Ordering::Release);
        }
        fn wait(&self, i: usize, value: i32) -> Result<(), Cancelled> {
            while self.counters[i].load(Ordering::Acquire) < value {
                crate::cancel::check()?;
                std::thread::yield_now();
            }
            Ok(())
        }
    }

    /// The bands' fills, each on its own thread, one after another, and how the sweeps
    /// ended over the whole grid (every band's sweeps, which must agree, and the largest of
    /// their last updates).
    fn in_bands(z: &[f64], nx: usize, ny: usize, bands: usize) -> (Vec<f64>, Option<FillEnd>) {
        let counts: Vec<usize> = z
            .chunks_exact(nx)
            .map(|r| r.iter().filter(|v| v.is_nan()).count())
            .collect();
        let x = Atomics::new(nx, bands);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..bands)
                .map(|b| {
                    let (x, counts) = (&x, &counts);
                    scope.spawn(move || {
                        fill_band(
                            nx,
                            ny,
                            counts,
                            b,
                            bands,
                            |i, out| out.copy_from_slice(&z[i * nx..(i + 1) * nx]),
                            x,
                        )
                    })
                })
                .collect();
            let mut values = Vec::new();
            let mut end: Option<FillEnd> = None;
            for h in handles {
                let (v, e) = h.join().unwrap().unwrap();
                values.extend(v);
                end = match (end, e) {
                    (Some(a), Some(b)) => {
                        assert_eq!((a.sweeps, a.tolerance), (b.sweeps, b.tolerance));
                        Some(FillEnd {
                            update: a.update.max(b.update),
                            ..a
                        })
                    }
                    (a, b) => a.or(b),
                };
            }
            (values, end)
        })
    }

    /// A field with holes: a ragged left margin, masked rows, a lake, single cells.
    fn holed(nx: usize, ny: usize, lake: f64) -> Vec<f64> {
        (0..nx * ny)
            .map(|k| {
                let (i, j) = (k / nx, k % nx);
                let (di, dj) = (i as f64 - ny as f64 * 0.55, j as f64 - nx as f64 / 2.0);
                if j < 1 + (i * 7) % 4 || i == 2 || k % 23 == 0 || di * di + dj * dj < lake {
                    f64::NAN
                } else {
                    (j as f64 * 0.3).sin() * 5.0 + i as f64 * 0.7 - 2.0
                }
            })
            .collect()
    }

    #[test]
    fn the_bands_equal_the_whole_grid_fill_bit_for_bit() {
        // Converging after 106 and 113 sweeps (small holes, a lake across the bands' cuts),
        // and running all MAX_ITER (the 150 x 120 grid's lake); 1 to 4 bands, some narrower
        // than a block.
        for (nx, ny, lake) in [
            (40, 30, 0.0),
            (37, 64, 150.0),
            (64, 9, 4.0),
            (150, 120, 3000.0),
        ] {
            let z = holed(nx, ny, lake);
            let mut want = z.clone();
            let (holes, want_end) =
                laplace_fill(ArrayViewMut2::from_shape((ny, nx), &mut want).unwrap());
            let want: Vec<f64> = holes.iter().map(|&(i, j)| want[i * nx + j]).collect();
            let want_end = want_end.unwrap();
            // The sweeps' end as the whole grid's: the same count, update and tolerance.
            // The 150 x 120 grid's lake stops at the limit unconverged, the others converge.
            let stops = lake == 3000.0;
            assert_eq!(want_end.converged(), !stops, "{want_end:?}");
            assert_eq!(want_end.sweeps == MAX_ITER, stops, "{want_end:?}");
            for bands in 1..=4 {
                let (got, end) = in_bands(&z, nx, ny, bands);
                assert!(same_bits(&got, &want), "{nx} x {ny}, {bands} bands");
                let end = end.unwrap();
                assert_eq!(end.sweeps, want_end.sweeps, "{nx} x {ny}, {bands} bands");
                assert!(
                    same_bits(
                        &[end.update, end.tolerance],
                        &[want_end.update, want_end.tolerance]
                    ),
                    "{nx} x {ny}, {bands} bands: {end:?} against {want_end:?}"
                );
            }
        }
    }

    #[test]
    fn a_grid_without_holes_or_without_data() {
        let z = vec![1.0; 12];
        assert_eq!(in_bands(&z, 4, 3, 2), (Vec::new(), None));
        let x = Atomics::new(4, 1);
        let nan = [f64::NAN; 4];
        let all = fill_band(4, 3, &[4, 4, 4], 0, 1, |_, o| o.copy_from_slice(&nan), &x);
        assert_eq!(all, Err(SpectralError::AllNan));
    }

    #[test]
    fn the_cuts_balance_the_holes_and_keep_a_row_per_band() {
        assert_eq!(band_rows(&[0, 4, 4, 0], 2, 0), 0..2);
        assert_eq!(band_rows(&[0, 4, 4, 0], 2, 1), 2..4);
        // Every hole in the last row: the bands before it keep one row each.
        let counts = [0, 0, 0, 0, 9];
        let cuts: Vec<_> = (0..3).map(|b| band_rows(&counts, 3, b)).collect();
        assert_eq!(cuts, vec![0..3, 3..4, 4..5]);
        assert_eq!(band_rows(&[0, 0], 2, 1), 1..2);
    }

    #[test]
    fn a_band_waiting_for_a_cancelled_neighbour_stops() {
        let (nx, ny) = (16, 12);
        let z = holed(nx, ny, 9.0);
        let counts: Vec<usize> = z
            .chunks_exact(nx)
            .map(|r| r.iter().filter(|v| v.is_nan()).count())
            .collect();
        let x = Atomics::new(nx, 2);
        // Band 1 alone: band 0 never publishes; the cancel request ends the wait.
        crate::cancel::request(true);
        let r = fill_band(
            nx,
            ny,
            &counts,
            1,
            2,
            |i, o| o.copy_from_slice(&z[i * nx..(i + 1) * nx]),
            &x,
        );
        crate::cancel::request(false);
        assert_eq!(r, Err(SpectralError::Cancelled));
    }
}

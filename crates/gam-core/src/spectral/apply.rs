//! The spectral pipeline (see the module docs of [`crate::spectral`]): detrend, fill,
//! extend and taper, FFT, transfer function, inverse, crop, plane and NaN restored.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use rustfft::num_complex::Complex64;

use super::{
    detrend::{fit_plane, Plane, PlaneSums},
    fft2::Fft2,
    fill::{laplace_fill, FillEnd},
    pad::{Layout, PaddedRows},
    transfer::{gauss_lp, Op, Transfer},
    SpectralError,
};

/// numpy `fftfreq(n, d)·2π`: angular wavenumber of index `i` (rad per unit of `d`).
pub fn fftfreq_k(i: usize, n: usize, d: f64) -> f64 {
    let half = (n - 1) / 2 + 1;
    let f = if i < half {
        i as f64
    } else {
        i as f64 - n as f64
    };
    std::f64::consts::TAU * f / (n as f64 * d)
}

/// Multiplies spectrum columns (index `c`, `ny2` rows) by `H(kx, ky)·scale`.
///
/// - Gaussian band-pass: `H = gauss_lp(kx, low)·gauss_lp(ky, low) - gauss_lp(kx, high)·
///   gauss_lp(ky, high)` with the `ky` factors computed once per row and the `kx` ones once
///   per column (the Gaussian of `|k|` is the product of the per-axis Gaussians; this
///   differs from evaluating `exp` at `|k|` by rounding only, ~1e-16 relative).
/// - Other radial transfers depend on `ky²` only, and `ky` of rows `r` and `ny2 - r` are
///   exact negatives (`fftfreq_k`), so `H` is evaluated on rows `0..=ny2/2` (into `cache`)
///   and mirrored: the same values, half the work.
/// - Anything else: `H` at every cell.
pub(crate) struct Multiplier<'a> {
    kys: Vec<f64>,
    cache: Vec<Complex64>,
    kx_step: f64,
    scale: f64,
    transfers: &'a [Transfer],
    /// Per transfer, the row factors of a Gaussian band-pass.
    gauss: Vec<Option<GaussRows>>,
}

/// Row factors of a Gaussian band-pass `(high, low)`: `gauss_lp(ky, low)` per row (1 when
/// `low` is disabled) and `gauss_lp(ky, high)` (0 when `high` is disabled).
struct GaussRows {
    high: f64,
    low: f64,
    hy: Vec<f64>,
    ly: Vec<f64>,
}

impl<'a> Multiplier<'a> {
    pub(crate) fn new(transfers: &'a [Transfer], l: &Layout, dx: f64, dy: f64) -> Self {
        let kys: Vec<f64> = (0..l.ny2).map(|r| fftfreq_k(r, l.ny2, dy)).collect();
        let gauss = transfers
            .iter()
            .map(|t| {
                t.gaussian_band().map(|(high, low)| {
                    let hy = kys
                        .iter()
                        .map(|&ky| if low > 0.0 { gauss_lp(ky, low) } else { 1.0 })
                        .collect();
                    let ly = kys
                        .iter()
                        .map(|&ky| if high > 0.0 { gauss_lp(ky, high) } else { 0.0 })
                        .collect();
                    GaussRows { high, low, hy, ly }
                })
            })
            .collect();
        Multiplier {
            kys,
            cache: vec![Complex64::new(0.0, 0.0); l.ny2 / 2 + 1],
            kx_step: l.nx2 as f64 * dx,
            scale: 1.0 / (l.nx2 as f64 * l.ny2 as f64),
            transfers,
            gauss,
        }
    }

    #[inline(never)]
    pub(crate) fn apply(&mut self, t: usize, c: usize, col: &mut [Complex64]) {
        let h = &self.transfers[t];
        let n = col.len();
        let kx = std::f64::consts::TAU * c as f64 / self.kx_step;
        if let Some(g) = &self.gauss[t] {
            let hx = if g.low > 0.0 {
                gauss_lp(kx, g.low)
            } else {
                1.0
            };
            let lx = if g.high > 0.0 {
                gauss_lp(kx, g.high)
            } else {
                1.0
            };
            for ((v, &a), &b) in col.iter_mut().zip(&g.hy).zip(&g.ly) {
                *v *= Complex64::new(hx * a - lx * b, 0.0) * self.scale;
            }
        } else if h.is_radial() {
            for (r, slot) in self.cache.iter_mut().enumerate() {
                *slot = h.at(kx, self.kys[r]) * self.scale;
            }
            for (r, v) in col.iter_mut().enumerate() {
                *v *= self.cache[r.min(n - r)];
            }
        } else {
            for (v, &ky) in col.iter_mut().zip(&self.kys) {
                *v *= h.at(kx, ky) * self.scale;
            }
        }
    }
}

/// `z - plane.at(i, j)` in place over every row `i` of `z` (standard layout), one call per
/// row (not inlined: see the note in `fft2.rs` on V8's first calls).
pub(crate) fn detrend_rows(mut z: ndarray::ArrayViewMut2<'_, f64>, plane: &Plane) {
    for (i, row) in z.rows_mut().into_iter().enumerate() {
        detrend_row(
            row.into_slice().expect("rows of a standard-layout array"),
            i,
            plane,
        );
    }
}

#[inline(never)]
pub(crate) fn detrend_row(row: &mut [f64], i: usize, plane: &Plane) {
    for (j, z) in row.iter_mut().enumerate() {
        *z -= plane.at(i, j);
    }
}

/// `o + plane.at(i, j)` over row `i` (not inlined, as [`detrend_rows`]).
#[inline(never)]
pub(crate) fn add_plane_row(row: &mut [f64], i: usize, plane: &Plane) {
    for (j, o) in row.iter_mut().enumerate() {
        *o += plane.at(i, j);
    }
}

/// Checks the shape (`nx`, `ny` >= 2, `len = nx * ny`) and the cell sizes (finite, > 0).
pub(crate) fn check_args(
    nx: usize,
    ny: usize,
    len: usize,
    dx_km: f64,
    dy_km: f64,
) -> Result<(), SpectralError> {
    if nx < 2 || ny < 2 || len != nx * ny {
        return Err(SpectralError::BadShape { nx, ny, len });
    }
    for (name, v) in [("dx_km", dx_km), ("dy_km", dy_km)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(SpectralError::BadParam {
                name,
                value: v,
                expected: "a finite cell size in km > 0",
            });
        }
    }
    Ok(())
}

/// The one transfer function of `op`, or `None` for total gradient and tilt, which combine
/// the three derivatives [`THREE`] cell by cell (`gradient_combination`).
pub(crate) fn single_transfer(op: &Op) -> Option<Transfer> {
    match *op {
        Op::Bandpass(b) => Some(Transfer::Band(b)),
        Op::Upward(h) => Some(Transfer::Upward(h)),
        Op::VerticalDerivative => Some(Transfer::Dz),
        Op::DerivativeX => Some(Transfer::Dx),
        Op::DerivativeY => Some(Transfer::Dy),
        Op::Rtp {
            inclination,
            declination,
            min_inclination,
        } => Some(Transfer::rtp(inclination, declination, min_inclination)),
        Op::TotalGradient | Op::Tilt => None,
    }
}

/// The derivatives total gradient and tilt are made of, in the order of
/// `gradient_combination`'s arguments.
pub(crate) const THREE: [Transfer; 3] = [Transfer::Dx, Transfer::Dy, Transfer::Dz];

/// Tilt angle `atan2(z, √(x² + y²))` or total gradient `√(x² + y² + z²)` of one cell's
/// derivatives: what [`fold_derivative`] computes in three passes (the test's reference).
#[cfg(test)]
pub(crate) fn gradient_combination(tilt: bool, x: f64, y: f64, z: f64) -> f64 {
    from_horizontal(tilt, horizontal_gradient(x, y), z)
}

/// The horizontal gradient `√(x² + y²)` of `gradient_combination`.
#[inline]
fn horizontal_gradient(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt()
}

/// `gradient_combination` from the horizontal gradient `h`: the tilt `atan2(z, h)` or the
/// total gradient `√(h² + z²)`.
#[inline]
fn from_horizontal(tilt: bool, h: f64, z: f64) -> f64 {
    if tilt {
        z.atan2(h)
    } else {
        (h * h + z * z).sqrt()
    }
}

/// Applies a spectral operator to a grid of `ny` rows by `nx` columns (NaN = nodata) with
/// cell sizes `dx_km` (east) and `dy_km` (north). Returns the filtered grid, same shape
/// (NaN cells stay NaN), and how the fill of its holes ended ([`fft_filter_in_place`]).
///
/// # Errors
/// [`SpectralError`] for a bad shape, non-positive cell size, or an all-NaN grid.
///
/// # Example
/// ```
/// use gam_core::spectral::{apply::fft_filter, transfer::Op};
/// use ndarray::Array2;
/// let g = Array2::from_shape_fn((24, 32), |(_, j)| (j as f64 * 0.4).sin());
/// let op = Op::parse("upward", &[1000.0]).unwrap();
/// let (out, fill) = fft_filter(g.view(), 1.0, 1.0, &op).unwrap();
/// assert_eq!(out.dim(), (24, 32));
/// assert_eq!(fill, None); // no hole
/// ```
pub fn fft_filter(
    grid: ArrayView2<'_, f64>,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
) -> Result<(Array2<f64>, Option<FillEnd>), SpectralError> {
    let (ny, nx) = grid.dim();
    check_args(nx, ny, grid.len(), dx_km, dy_km)?;
    let mut out = grid.as_standard_layout().into_owned();
    let end = fft_filter_in_place(out.view_mut(), dx_km, dy_km, op)?;
    Ok((out, end))
}

/// [`fft_filter`] writing its result over `grid` (standard layout), the same values bit for
/// bit: the grid is detrended and filled in place, and the result rows are written over it
/// as the inverse transform produces them, so besides the grid only the padded half
/// spectrum is held (on 4096 × 4096: 128 MB + 170 MB instead of 554 MB), and for total
/// gradient and tilt one buffer of its kept rows besides (151 MB), their three derivatives
/// computed one after the other. Returns how the fill of the grid's holes ended (`None`
/// without holes): its sweeps may stop at their limit before converging on large holes.
///
/// # Errors
/// As [`fft_filter`].
///
/// # Panics
/// When `grid` is not in standard (row-major, contiguous) layout.
pub fn fft_filter_in_place(
    mut grid: ArrayViewMut2<'_, f64>,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
) -> Result<Option<FillEnd>, SpectralError> {
    let (ny, nx) = grid.dim();
    check_args(nx, ny, grid.len(), dx_km, dy_km)?;
    let plane = fit_plane(grid.view()).ok_or(SpectralError::AllNan)?;
    detrend_rows(grid.view_mut(), &plane);
    let (holes, end) = laplace_fill(grid.view_mut());
    // The grid is its own store: read by the forward transform (already detrended), written
    // by the inverse.
    transform::<SpectralError>(
        dx_km,
        dy_km,
        op,
        &plane,
        false,
        &mut GridRows(grid.view_mut()),
        || Ok(()),
    )?;
    for &k in &holes {
        grid[k] = f64::NAN;
    }
    Ok(end)
}

/// [`fft_filter_in_place`] over a grid this kernel does not hold, the same values bit for
/// bit: `read_row(i, out)` gives row `i` of the grid (`nx` values), `write_row(i, row)`
/// writes row `i` of it. For the worker's shared input (`fft_filter_shared`): the rows are
/// copied in as they are needed and the result rows copied out as they are made, so the
/// kernel holds the padded half spectrum (and for total gradient and tilt one buffer of its
/// kept rows), not a copy of the grid as well (on 4096 × 4096, 128 MB less).
///
/// The input rows are read twice (the plane's sums, then the forward transform), and no row
/// is written before `before_writing` returns `Ok` (it runs once the last input row has been
/// read). A one-output transform then writes each result row once, without cancel checks,
/// so that a cancelled job leaves either the input or the whole result. Total gradient and
/// tilt fold their three derivatives into the grid's rows as [`fft_filter_in_place`] folds
/// them (written after the first, read back and written again after the second and third:
/// `last` is true for the final writes); they may be cancelled between the derivatives,
/// leaving the grid part-written. Returns `Ok(None)` without writing anything when a cell is
/// NaN (the holes are filled over the whole grid): the caller then runs
/// [`fft_filter_in_place`] on a copy.
///
/// # Errors
/// As [`fft_filter`], the error of `before_writing`, and `Cancelled`.
///
/// # Example
/// ```
/// use gam_core::spectral::{apply::{fft_filter, fft_filter_streamed}, transfer::Op};
/// use ndarray::Array2;
/// let g = Array2::from_shape_fn((24, 32), |(i, j)| (j as f64 * 0.4).sin() + i as f64);
/// let op = Op::parse("vertical-derivative", &[]).unwrap();
/// let out = std::cell::RefCell::new(g.clone());
/// let done = fft_filter_streamed::<gam_core::spectral::SpectralError>(
///     32, 24, 1.0, 1.0, &op,
///     |i, row| row.copy_from_slice(out.borrow().row(i).as_slice().unwrap()),
///     || Ok(()),
///     |i, row, _last| out.borrow_mut().row_mut(i).as_slice_mut().unwrap().copy_from_slice(row),
/// ).unwrap();
/// assert!(done.is_some());
/// assert_eq!(out.into_inner(), fft_filter(g.view(), 1.0, 1.0, &op).unwrap().0);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn fft_filter_streamed<E: From<SpectralError>>(
    nx: usize,
    ny: usize,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    mut read_row: impl FnMut(usize, &mut [f64]),
    before_writing: impl FnOnce() -> Result<(), E>,
    write_row: impl FnMut(usize, &[f64], bool),
) -> Result<Option<()>, E> {
    check_args(nx, ny, nx * ny, dx_km, dy_km)?;
    let mut row = vec![0.0; nx];
    let mut sums = PlaneSums::new(nx, ny);
    for i in 0..ny {
        crate::cancel::check().map_err(SpectralError::from)?;
        read_row(i, &mut row);
        if row.iter().any(|v| v.is_nan()) {
            return Ok(None);
        }
        sums.add_row(i, ArrayView1::from(&row));
    }
    let (plane, _) = sums.finish().ok_or(SpectralError::AllNan)?;
    let mut store = FnRows {
        nx,
        ny,
        read: read_row,
        write: write_row,
    };
    transform(dx_km, dy_km, op, &plane, true, &mut store, before_writing)?;
    Ok(Some(()))
}

/// Where [`transform`] reads the grid's rows and writes its result rows (`last`: the row's
/// final value; total gradient and tilt write each row three times).
trait RowStore {
    /// Columns and rows of the grid.
    fn shape(&self) -> (usize, usize);
    fn read(&mut self, i: usize, out: &mut [f64]);
    fn write(&mut self, i: usize, row: &[f64], last: bool);
}

/// The rows of a grid in memory (standard layout), of [`fft_filter_in_place`].
struct GridRows<'a>(ArrayViewMut2<'a, f64>);

impl RowStore for GridRows<'_> {
    fn shape(&self) -> (usize, usize) {
        (self.0.ncols(), self.0.nrows())
    }
    fn read(&mut self, i: usize, out: &mut [f64]) {
        out.copy_from_slice(
            self.0
                .row(i)
                .to_slice()
                .expect("rows of a standard-layout array"),
        );
    }
    fn write(&mut self, i: usize, row: &[f64], _last: bool) {
        self.0
            .row_mut(i)
            .into_slice()
            .expect("rows of a standard-layout array")
            .copy_from_slice(row);
    }
}

/// The caller's row functions, of [`fft_filter_streamed`].
struct FnRows<R, W> {
    nx: usize,
    ny: usize,
    read: R,
    write: W,
}

impl<R: FnMut(usize, &mut [f64]), W: FnMut(usize, &[f64], bool)> RowStore for FnRows<R, W> {
    fn shape(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }
    fn read(&mut self, i: usize, out: &mut [f64]) {
        (self.read)(i, out)
    }
    fn write(&mut self, i: usize, row: &[f64], last: bool) {
        (self.write)(i, row, last)
    }
}

/// The transform of [`fft_filter_in_place`] and [`fft_filter_streamed`] from the grid's rows
/// (NaN-free; detrended by `plane` as they are read when `detrend`, else already) to the
/// result rows: padded rows forward, columns and transfer function, rows back, cropped, the
/// plane added back when the operator passes DC. No row is written before `before_writing`
/// returns; a one-output transform then writes each row once without cancel checks, total
/// gradient and tilt fold their three derivatives into the rows one after the other (x, then
/// `h = √(x² + y²)`, then the result, as `gradient_combination` does): the spectrum and one
/// buffer of its kept rows in memory rather than three spectra (on 4096 × 4096, 321 MB
/// instead of 510), the same arithmetic per value.
fn transform<E: From<SpectralError>>(
    dx_km: f64,
    dy_km: f64,
    op: &Op,
    plane: &Plane,
    detrend: bool,
    store: &mut impl RowStore,
    before_writing: impl FnOnce() -> Result<(), E>,
) -> Result<(), E> {
    let (nx, ny) = store.shape();
    let l = Layout::new(nx, ny);
    let fft = Fft2::new(l.nx2, l.ny2);
    let mut spec = {
        let source = |i: usize, out: &mut [f64]| {
            store.read(i, out);
            if detrend {
                detrend_row(out, i, plane);
            }
        };
        let mut rows = PaddedRows::with_rows(source, &l);
        fft.forward_rows(|r, row| rows.fill(r, row))
            .map_err(SpectralError::from)?
    };
    let keep = l.bottom..l.bottom + ny;
    let crop = l.left..l.left + nx;
    let nc = fft.nc();
    let mut back = vec![0.0; l.nx2];
    let mut scratch = fft.inverse_scratch();
    if let Some(single) = single_transfer(op) {
        let transfers = [single];
        let mut mult = Multiplier::new(&transfers, &l, dx_km, dy_km);
        fft.columns(&mut spec, keep.clone(), |c, col| mult.apply(0, c, col))
            .map_err(SpectralError::from)?;
        before_writing()?;
        for i in 0..ny {
            let r = keep.start + i;
            fft.inverse_row(&mut spec[r * nc..(r + 1) * nc], &mut back, &mut scratch);
            let out = &mut back[crop.clone()];
            if single.passes_dc() {
                add_plane_row(out, i, plane);
            }
            store.write(i, out, true);
        }
    } else {
        fft.columns_forward(&mut spec)
            .map_err(SpectralError::from)?;
        let mut kept = vec![Complex64::new(0.0, 0.0); ny * nc];
        let mut mult = Multiplier::new(&THREE, &l, dx_km, dy_km);
        let tilt = matches!(op, Op::Tilt);
        let mut row = vec![0.0; nx];
        let mut before_writing = Some(before_writing);
        for t in 0..THREE.len() {
            fft.columns_inverse(&spec, &mut kept, keep.clone(), |c, col| {
                mult.apply(t, c, col)
            })
            .map_err(SpectralError::from)?;
            if let Some(gate) = before_writing.take() {
                gate()?;
            }
            for i in 0..ny {
                fft.inverse_row(&mut kept[i * nc..(i + 1) * nc], &mut back, &mut scratch);
                if t > 0 {
                    store.read(i, &mut row);
                }
                fold_derivative(t, tilt, &back[crop.clone()], &mut row);
                store.write(i, &row, t + 1 == THREE.len());
            }
        }
    }
    Ok(())
}

/// Folds derivative `t` of [`THREE`] (a row `d`) into `acc`, so that after the three
/// `acc` holds `gradient_combination` of them, bit for bit: `x`, then `√(x² + y²)`, then
/// the tilt or the total gradient (not inlined, as [`detrend_rows`]).
#[inline(never)]
pub(crate) fn fold_derivative(t: usize, tilt: bool, d: &[f64], acc: &mut [f64]) {
    match t {
        0 => acc.copy_from_slice(d),
        1 => {
            for (x, &y) in acc.iter_mut().zip(d) {
                *x = horizontal_gradient(*x, y);
            }
        }
        _ => {
            for (h, &z) in acc.iter_mut().zip(d) {
                *h = from_horizontal(tilt, *h, z);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::{into_row_major, view2, view2_mut};
    use crate::test_bits::same_bits;

    /// [`fft_filter`] on a flat row-major grid, as the boundary calls it.
    fn fft_filter_flat(
        g: &[f64],
        nx: usize,
        ny: usize,
        dx: f64,
        dy: f64,
        op: &Op,
    ) -> Result<Vec<f64>, SpectralError> {
        fft_filter(view2(g, nx, ny).unwrap(), dx, dy, op).map(|(out, _)| into_row_major(out))
    }

    fn grid_of(nx: usize, ny: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        (0..nx * ny)
            .map(|k| f((k % nx) as f64, (k / nx) as f64))
            .collect()
    }

    fn interior(v: &[f64], nx: usize, ny: usize, m: usize) -> Vec<(usize, f64)> {
        (m..ny - m)
            .flat_map(|i| (m..nx - m).map(move |j| (i * nx + j, v[i * nx + j])))
            .collect()
    }

    /// [`fft_filter_streamed`] over a flat grid: the result (the input where nothing was
    /// written), whether it ran, and the calls in order (`r` read, `g` gate, `w` write).
    fn streamed(
        g: &[f64],
        nx: usize,
        ny: usize,
        op: &Op,
        gate: Result<(), SpectralError>,
    ) -> (Vec<f64>, Result<Option<()>, SpectralError>, String) {
        let calls = std::cell::RefCell::new(String::new());
        let out = std::cell::RefCell::new(g.to_vec());
        let done = fft_filter_streamed(
            nx,
            ny,
            1.3,
            0.9,
            op,
            |i, row| {
                calls.borrow_mut().push('r');
                row.copy_from_slice(&out.borrow()[i * nx..(i + 1) * nx]);
            },
            || {
                calls.borrow_mut().push('g');
                gate
            },
            |i, row, last| {
                calls.borrow_mut().push(if last { 'w' } else { 'p' });
                out.borrow_mut()[i * nx..(i + 1) * nx].copy_from_slice(row);
            },
        );
        (out.into_inner(), done, calls.into_inner())
    }

    #[test]
    fn the_streamed_kernel_equals_the_in_place_one_bit_for_bit() {
        let ops = [
            Op::parse("bandpass-gaussian", &[40.0, 4.0]).unwrap(),
            Op::parse("bandpass-butterworth", &[30.0, 5.0, 3.0]).unwrap(),
            Op::parse("upward", &[2000.0]).unwrap(),
            Op::parse("vertical-derivative", &[]).unwrap(),
            Op::parse("derivative-x", &[]).unwrap(),
            Op::parse("rtp", &[35.0, -12.0]).unwrap(),
            Op::parse("total-gradient", &[]).unwrap(),
            Op::parse("tilt", &[]).unwrap(),
        ];
        for (nx, ny) in [(2, 2), (37, 29), (64, 48), (17, 90)] {
            let g = grid_of(nx, ny, |x, y| {
                (x * 0.31).sin() * 40.0 + y * 0.7 + x * y * 0.01
            });
            for op in &ops {
                let mut want = g.clone();
                fft_filter_in_place(view2_mut(&mut want, nx, ny).unwrap(), 1.3, 0.9, op).unwrap();
                let (got, done, calls) = streamed(&g, nx, ny, op, Ok(()));
                assert_eq!(done, Ok(Some(())), "{nx} x {ny} {op:?}");
                assert!(same_bits(&got, &want), "{nx} x {ny} {op:?}");
                // No write before the gate, each row's final write once after it; a
                // one-output transform reads nothing after the gate, a three-output one its
                // own first and second folds.
                let gate = calls.find('g').unwrap();
                let after = &calls[gate + 1..];
                assert!(!calls[..gate].contains(['w', 'p']), "{op:?}");
                assert_eq!(after.matches('w').count(), ny, "{op:?}");
                let three = matches!(op, Op::Tilt | Op::TotalGradient);
                let pattern = if three {
                    "p".repeat(ny) + &"rp".repeat(ny) + &"rw".repeat(ny)
                } else {
                    "w".repeat(ny)
                };
                assert_eq!(after, pattern, "{op:?}");
            }
        }
    }

    #[test]
    fn three_folded_derivatives_equal_their_combination_bit_for_bit() {
        let d: Vec<Vec<f64>> = (0..3)
            .map(|t| {
                (0..50)
                    .map(|j| ((j * (t + 3)) as f64 * 0.37).sin() * 1e3)
                    .collect()
            })
            .collect();
        for tilt in [false, true] {
            let mut acc = vec![0.0; 50];
            for (t, row) in d.iter().enumerate() {
                fold_derivative(t, tilt, row, &mut acc);
            }
            for j in 0..50 {
                let want = gradient_combination(tilt, d[0][j], d[1][j], d[2][j]);
                assert_eq!(acc[j].to_bits(), want.to_bits(), "tilt {tilt}, cell {j}");
            }
        }
    }

    #[test]
    fn the_streamed_kernel_declines_holes_and_writes_nothing() {
        let (nx, ny) = (20, 16);
        let mut g = grid_of(nx, ny, |x, y| x + 2.0 * y);
        let band = Op::parse("bandpass-gaussian", &[40.0, 4.0]).unwrap();
        g[7 * nx + 3] = f64::NAN;
        let (out, done, calls) = streamed(&g, nx, ny, &band, Ok(()));
        assert_eq!(done, Ok(None));
        assert!(!calls.contains('g') && !calls.contains('w'));
        assert!(out.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits()));
        // A gate that refuses (a cancelled job): nothing written either.
        g[7 * nx + 3] = 1.0;
        for op in [band, Op::parse("tilt", &[]).unwrap()] {
            let (out, done, calls) = streamed(&g, nx, ny, &op, Err(SpectralError::Cancelled));
            assert_eq!(done, Err(SpectralError::Cancelled));
            assert!(calls.ends_with('g') && !calls.contains(['w', 'p']));
            assert_eq!(out, g);
        }
    }

    #[test]
    fn upward_continuation_of_a_point_mass_matches_the_analytic_field() {
        // g_z of a point mass at depth d below the plane z = 0: d / (r² + d²)^{3/2}.
        let (nx, ny, d, h_km) = (160usize, 140usize, 8.0, 4.0);
        let field = |depth: f64| {
            grid_of(nx, ny, move |x, y| {
                let r2 = (x - 80.0).powi(2) + (y - 66.0).powi(2);
                1e3 * depth / (r2 + depth * depth).powf(1.5)
            })
        };
        let g0 = field(d);
        let want = field(d + h_km);
        let op = Op::parse("upward", &[h_km * 1000.0]).unwrap();
        let got = fft_filter_flat(&g0, nx, ny, 1.0, 1.0, &op).unwrap();
        let m = 30;
        let (mut se, mut ss) = (0.0, 0.0);
        for (k, w) in interior(&want, nx, ny, m) {
            se += (got[k] - w).powi(2);
            ss += w * w;
        }
        let rel = (se / ss).sqrt();
        assert!(rel < 0.01, "relative RMS error {rel}");
    }

    fn sinusoid(nx: usize, ny: usize, l_km: f64) -> Vec<f64> {
        grid_of(nx, ny, |x, y| {
            (std::f64::consts::TAU * x / l_km).sin() + 0.02 * x - 0.03 * y + 5.0
        })
    }

    /// Amplitude of the wavelength-`l_km` sinusoid along x in the interior: least-squares
    /// fit of `a·sin + b·cos + c` (3×3 normal equations), returns `√(a² + b²)`.
    fn amplitude(v: &[f64], nx: usize, ny: usize, l_km: f64) -> f64 {
        let k = std::f64::consts::TAU / l_km;
        let mut m = [[0.0f64; 4]; 3];
        for (idx, z) in interior(v, nx, ny, 24) {
            let x = (idx % nx) as f64;
            let f = [(k * x).sin(), (k * x).cos(), 1.0];
            for r in 0..3 {
                for c in 0..3 {
                    m[r][c] += f[r] * f[c];
                }
                m[r][3] += f[r] * z;
            }
        }
        // Gauss-Jordan elimination on the augmented 3x4 matrix.
        for p in 0..3 {
            let d = m[p][p];
            for x in m[p].iter_mut() {
                *x /= d;
            }
            let pivot_row = m[p];
            for (r, row) in m.iter_mut().enumerate() {
                if r != p {
                    let f = row[p];
                    for (x, &y) in row.iter_mut().zip(&pivot_row) {
                        *x -= f * y;
                    }
                }
            }
        }
        m[0][3].hypot(m[1][3])
    }

    #[test]
    fn bandpass_keeps_a_sinusoid_inside_the_band_and_removes_it_outside() {
        let (nx, ny, l) = (128, 96, 16.0);
        let g = sinusoid(nx, ny, l);
        let cases: [(&str, &[f64], &[f64]); 3] = [
            ("bandpass-gaussian", &[400.0, 1.0], &[512.0, 128.0]),
            (
                "bandpass-butterworth",
                &[64.0, 4.0, 4.0],
                &[512.0, 128.0, 4.0],
            ),
            ("bandpass-cosine", &[64.0, 4.0], &[512.0, 128.0]),
        ];
        for (name, keep, cut) in cases {
            let kept =
                fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::parse(name, keep).unwrap()).unwrap();
            let a = amplitude(&kept, nx, ny, l);
            assert!((a - 1.0).abs() < 0.01, "{name} keep: amplitude {a}");
            let gone =
                fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::parse(name, cut).unwrap()).unwrap();
            let a = amplitude(&gone, nx, ny, l);
            assert!(a < 0.01, "{name} cut: amplitude {a}");
        }
    }

    #[test]
    fn detrend_removes_a_plane_from_a_highpass() {
        let (nx, ny) = (50, 40);
        let g = grid_of(nx, ny, |x, y| 100.0 + 3.0 * x - 2.0 * y);
        let op = Op::parse("bandpass-gaussian", &[20.0, 0.0]).unwrap();
        let out = fft_filter_flat(&g, nx, ny, 1.0, 1.0, &op).unwrap();
        let worst = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(worst < 1e-9, "plane leaked: {worst}");
        // A low-pass passes DC, so the plane comes back unchanged.
        let op = Op::parse("bandpass-gaussian", &[0.0, 5.0]).unwrap();
        let out = fft_filter_flat(&g, nx, ny, 1.0, 1.0, &op).unwrap();
        for (a, b) in out.iter().zip(&g) {
            assert!((a - b).abs() < 1e-9);
        }
    }

    #[test]
    fn nan_cells_are_filled_for_the_transform_and_restored() {
        let (nx, ny) = (40, 30);
        let mut g = grid_of(nx, ny, |x, y| (x * 0.3).sin() + (y * 0.2).cos());
        for k in [0, 41, 42, 43, 81, 82, 600, nx * ny - 1] {
            g[k] = f64::NAN;
        }
        for name in ["tilt", "total-gradient", "vertical-derivative"] {
            let out =
                fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::parse(name, &[]).unwrap()).unwrap();
            for (a, b) in out.iter().zip(&g) {
                assert_eq!(a.is_nan(), b.is_nan(), "{name}");
            }
        }
    }

    #[test]
    fn derivatives_of_a_sinusoid_match_the_analytic_derivative() {
        let (nx, ny, l) = (128, 100, 20.0);
        let k = std::f64::consts::TAU / l;
        let g = grid_of(nx, ny, |x, _| (k * x).sin());
        let dx = fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::DerivativeX).unwrap();
        let dz = fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::VerticalDerivative).unwrap();
        let tilt = fft_filter_flat(&g, nx, ny, 1.0, 1.0, &Op::Tilt).unwrap();
        for (idx, _) in interior(&g, nx, ny, 24) {
            let x = (idx % nx) as f64;
            assert!(
                (dx[idx] - k * (k * x).cos()).abs() < 0.01 * k,
                "dx at {idx}"
            );
            assert!(
                (dz[idx] - k * (k * x).sin()).abs() < 0.01 * k,
                "dz at {idx}"
            );
            assert!(tilt[idx].abs() <= std::f64::consts::FRAC_PI_2 + 1e-12);
        }
    }

    #[test]
    fn rtp_at_the_pole_is_the_identity_and_round_trips_elsewhere() {
        let (nx, ny) = (64, 64);
        let g = grid_of(nx, ny, |x, y| {
            (-((x - 30.0).powi(2) + (y - 34.0).powi(2)) / 40.0).exp()
        });
        let pole = fft_filter_flat(
            &g,
            nx,
            ny,
            1.0,
            1.0,
            &Op::parse("rtp", &[90.0, 0.0]).unwrap(),
        )
        .unwrap();
        let hp = fft_filter_flat(
            &g,
            nx,
            ny,
            1.0,
            1.0,
            &Op::parse("bandpass-gaussian", &[1e6, 0.0]).unwrap(),
        )
        .unwrap();
        for (a, b) in pole.iter().zip(&hp) {
            assert!((a - b).abs() < 1e-6);
        }
        // RTP's transfer times θ² is 1 wherever the amplitude correction is inactive.
        let t = Transfer::rtp(60.0, 10.0, 20.0);
        let (si, ci) = 60f64.to_radians().sin_cos();
        let (sd, cd) = 10f64.to_radians().sin_cos();
        for (kx, ky) in [(0.3, 0.1), (-0.2, 0.5), (0.0, -1.0)] {
            let k = f64::hypot(kx, ky);
            let theta = Complex64::new(si, ci * (kx * sd + ky * cd) / k);
            assert!((t.at(kx, ky) * theta * theta - 1.0).norm() < 1e-12);
        }
    }

    #[test]
    fn fft_filter_rejects_bad_arguments() {
        let g = vec![0.0; 12];
        let e = fft_filter_flat(&g, 4, 3, 0.0, 1.0, &Op::Tilt).unwrap_err();
        assert!(e.to_string().contains("`dx_km`"));
        assert!(fft_filter_flat(&[f64::NAN; 4], 2, 2, 1.0, 1.0, &Op::Tilt).is_err());
        assert!(matches!(
            fft_filter_flat(&[0.0; 3], 3, 1, 1.0, 1.0, &Op::Tilt),
            Err(SpectralError::BadShape { .. })
        ));
        assert!(Op::parse("bandpass-gaussian", &[5.0, 10.0])
            .unwrap_err()
            .to_string()
            .contains("`high_km`"));
        assert!(Op::parse("sharpen", &[])
            .unwrap_err()
            .to_string()
            .contains("`op`"));
        assert!(Op::parse("upward", &[])
            .unwrap_err()
            .to_string()
            .contains("upward"));
    }
}

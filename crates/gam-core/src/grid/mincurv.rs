//! Minimum curvature with tension: continuous curvature splines in tension
//! (Smith & Wessel 1990, *Geophysics* 55, 293-305; GMT `surface`).
//!
//! The grid `u` solves `(1 - T) ∇⁴u - T ∇²u = 0` away from the data, with the
//! data as constraints, `T` the interior tension (0 = minimum curvature,
//! 1 = harmonic surface). Outline, following GMT `surface`:
//!
//! 1. **Block median.** Points are reduced to one datum per node with GMT's
//!    block rule ([`super::block`], `rint`, half-to-even): the median `z` and the
//!    median `lon`/`lat` of the block (like `gmt blockmedian` without `-C`), as
//!    GMT advises before `surface`. Points outside the grid's blocks are dropped.
//! 2. **Trend removal and scaling.** A least-squares plane is removed and the
//!    residuals are divided by their RMS; both are restored at the end. Data
//!    on a plane (to rounding) give the plane.
//! 3. **Multigrid, coarse to fine.** Grids of stride `s = 2^L, ..., 2, 1`
//!    nodes, each with `ceil((n - 1) / s) + 1` nodes per axis (coarse grids may
//!    reach slightly beyond the east/north edge, so any `nx`, `ny` works, not
//!    only sizes with common factors as in GMT). Each level starts from the
//!    bilinear interpolation of the previous one.
//! 4. **Iteration.** Gauss-Seidel with over-relaxation `ω = 1.4` (GMT's
//!    default) over the 13-point finite-difference stencil of the equation
//!    above, with grid anisotropy `a = (dx · cos(lat_c)) / dy` (`lat_c` the
//!    grid's centre latitude, the metric of the [module docs](super)). Boundary
//!    conditions as in GMT: `(1 - T_b) ∂²u/∂n² + T_b ∂u/∂n = 0`,
//!    `∂(∇²u)/∂n = 0` on edges and `∂²u/∂x∂y = 0` at corners, through two rows
//!    of ghost nodes refreshed before every sweep (`T_b = T`; lengths in x
//!    spacings, so the aspect ratio enters across the south and north edges).
//! 5. **Data constraints.** At each level every node keeps the datum nearest
//!    to it within its block (as GMT does). A datum within 0.05 node spacings
//!    of its node (along both axes) fixes the node's value (moved along the
//!    removed plane); any other enters its node's equation through Briggs'
//!    (1974) estimate of the Laplacian from the datum and four nodes (Smith &
//!    Wessel 1990, eqs. A-6 and A-7; see `Update::briggs`).
//! 6. **Convergence.** A level stops when the largest change of a sweep is below
//!    the convergence limit, divided by the level's stride on the coarse levels
//!    (as GMT), or after `max_iterations` sweeps (times the stride on the coarse
//!    levels). The limit is in data units; its default is [`AUTO_LIMIT`] (`1e-3`)
//!    of the RMS of the data about the plane, ten times GMT's `1e-4`: see there
//!    why, measured on flight lines and random points.
//!
//! The output is the full grid (no banding, no NaN), or all NaN when no point
//! falls in the grid's blocks; masks are applied by the caller (see
//! [`super::distance`]). The sweep is written so that the just-updated west
//! neighbour enters the update last (one dependent multiply-add per node),
//! which made it 3.6x faster than the textbook form, and every node reads its
//! weights from a table (the common ones for nodes without a datum) instead of
//! branching on its kind.

use ndarray::{s, Array2, ArrayView1, ArrayViewMut1, ArrayViewMut2, Axis, Zip};

use super::block::{group_by_node, NodeGroups};
use super::{check_points, cos_lat, GridError, GridSpec};
use crate::cancel::{self, Cancelled};
use crate::tiering::out_of_line;

/// Parameters of [`grid_mincurv`].
#[derive(Debug, Clone, Copy)]
pub struct MincurvParams {
    /// Tension `T` in `[0, 1]` (GMT `-T`; 0.25 recommended for potential fields).
    pub tension: f64,
    /// Convergence limit in data units; `<= 0` for the default
    /// ([`AUTO_LIMIT`] × RMS of the data about the best-fit plane).
    pub convergence: f64,
    /// Maximum number of sweeps per grid level (>= 1; GMT's default is 500).
    pub max_iterations: u32,
}

/// Over-relaxation factor (GMT `surface -Z` default).
const OMEGA: f64 = 1.4;

/// The automatic convergence limit, as a fraction of the RMS of the data about the best-fit
/// plane: a level stops once no node changes by more than this in a sweep (divided by the
/// stride on the coarse levels). GMT `surface` uses `1e-4`.
///
/// Why `1e-3` (measured with the native kernel on the Rio aeromagnetic lines at 0.001°, 701 x
/// 501 nodes, and on synthetic flight lines with a known field; README, "Why minimum curvature
/// converges as it does on flight lines"): the sweeps that GMT's limit adds are spent on modes
/// that decay by a fraction of a percent a sweep: the nearly planar surface where the grid
/// extrapolates beyond the data (the corners and edges past the ends of the lines, and on the
/// coarse levels the nodes past the grid's east and north edges), and the long-wavelength
/// correction in the gaps between lines. On the Rio lines with `1e-4` the levels of stride 8
/// to 1 stop at their caps, the node changing most sitting at the north-east corner or the
/// north edge at every level. Stopping at `1e-3` takes 2-5x fewer sweeps per level and gave
/// equal or smaller errors everywhere it was measured: Rio, 10% of the readings held back,
/// 11.605 nT (11.607 with `1e-4`; GMT 11.607); Rio, every fourth flight line held back,
/// 40.098 nT (40.141; GMT 40.114); synthetic lines 10 and 20 nodes apart, RMS against the field
/// between lines 0.318 and 2.306 (0.469 and 3.001; GMT 0.470 and 3.064; `deno task
/// bench:grid-holdout`); 500,000 random points,
/// against the field, 0.00441 (0.00448); the interpolation fixture 0.4555 (0.4564; GMT 0.4563).
/// A limit of `3e-3` is faster again but was worse than GMT on the cross-line hold-out
/// (40.131 nT), so `1e-3` it is. The sweeps it drops change the surface by less than the data
/// resolve: between lines the error against the truth or the held-back lines (tens of nT on
/// Rio) is set by the line spacing, not by the last `1e-3` of the data's RMS.
pub const AUTO_LIMIT: f64 = 1e-3;

/// Minimum-curvature grid of the whole spec: `ny` rows (south first) by `nx` columns.
///
/// ```
/// use gam_core::grid::{GridSpec, mincurv::{grid_mincurv, MincurvParams}};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 0.1, 0.1, 11.0, 11.0]).unwrap();
/// let (lon, lat) = (vec![0.0, 1.0, 0.0, 1.0, 0.5], vec![0.0, 0.0, 1.0, 1.0, 0.5]);
/// let z: Vec<f64> = lon.iter().zip(&lat).map(|(x, y)| 2.0 * x - y).collect();
/// let p = MincurvParams { tension: 0.25, convergence: 0.0, max_iterations: 500 };
/// let g = grid_mincurv(&lon, &lat, &z, &spec, p).unwrap();
/// assert!((g[[5, 5]] - 0.5).abs() < 1e-9);
/// ```
pub fn grid_mincurv(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    params: MincurvParams,
) -> Result<Array2<f64>, GridError> {
    check_params(lon, lat, z, spec, params)?;
    let data = block_median_xy(lon, lat, z, spec);
    Ok(solve(data, spec, params, &mut Vec::new())?)
}

/// [`grid_mincurv`] taking its inputs by value: they are freed right after the block median,
/// before the grid levels are allocated, which lowers the peak memory by the input's size.
/// Same result bit for bit.
///
/// ```
/// use gam_core::grid::{GridSpec, mincurv::{grid_mincurv, grid_mincurv_owned, MincurvParams}};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 0.25, 0.25, 5.0, 5.0]).unwrap();
/// let (lon, lat, z) = (vec![0.0, 1.0, 0.3], vec![0.0, 1.0, 0.6], vec![1.0, 2.0, 4.0]);
/// let p = MincurvParams { tension: 0.25, convergence: 0.0, max_iterations: 100 };
/// let a = grid_mincurv(&lon, &lat, &z, &spec, p).unwrap();
/// assert_eq!(a, grid_mincurv_owned(lon, lat, z, &spec, p).unwrap());
/// ```
pub fn grid_mincurv_owned(
    lon: Vec<f64>,
    lat: Vec<f64>,
    z: Vec<f64>,
    spec: &GridSpec,
    params: MincurvParams,
) -> Result<Array2<f64>, GridError> {
    check_params(&lon, &lat, &z, spec, params)?;
    let data = block_median_xy(&lon, &lat, &z, spec);
    drop((lon, lat, z));
    Ok(solve(data, spec, params, &mut Vec::new())?)
}

fn check_params(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    params: MincurvParams,
) -> Result<(), GridError> {
    check_points(lon, lat, Some(z))?;
    let t = params.tension;
    if !(0.0..=1.0).contains(&t) {
        return Err(GridError::Parameter(format!(
            "tension must be within [0, 1], got {t}"
        )));
    }
    if params.convergence.is_nan() || params.convergence.is_infinite() {
        return Err(GridError::Parameter(format!(
            "convergence must be a finite number (<= 0 for automatic), got {}",
            params.convergence
        )));
    }
    if params.max_iterations < 1 {
        return Err(GridError::Parameter(
            "max_iterations must be >= 1, got 0".to_string(),
        ));
    }
    if spec.nx < 4 || spec.ny < 4 {
        return Err(GridError::Spec(format!(
            "mincurv needs nx >= 4 and ny >= 4, got {} x {}",
            spec.nx, spec.ny
        )));
    }
    Ok(())
}

/// Steps 2 and 3 from the block-median data (consumed: the residuals are computed in place);
/// `sweeps` receives each level's stride and number of sweeps, coarsest first. Fails only
/// when the job is cancelled (checked before each sweep).
fn solve(
    mut data: Vec<Datum>,
    spec: &GridSpec,
    params: MincurvParams,
    sweeps: &mut Vec<(usize, u32)>,
) -> Result<Array2<f64>, Cancelled> {
    let (nx, ny) = (spec.nx, spec.ny);
    let t = params.tension;
    if data.is_empty() {
        return Ok(Array2::from_elem((ny, nx), f64::NAN));
    }
    // 2. plane and scale
    let plane = fit_plane(&data);
    let z_max = data.iter().fold(0.0f64, |m, d| m.max(d.z.abs()));
    let eval_plane = |x: f64, y: f64| plane[0] + plane[1] * x + plane[2] * y;
    for d in &mut data {
        d.z -= eval_plane(d.x, d.y);
    }
    let resid = data;
    let rms = (resid.iter().map(|d| d.z * d.z).sum::<f64>() / resid.len() as f64).sqrt();
    // Data on a plane (to rounding) give the plane, as in GMT: dividing rounding noise by its
    // RMS would blow the plane's slope up in the scaled problem.
    let mut out = if rms > 1e-12 * z_max && rms.is_finite() {
        let mut resid = resid;
        for d in &mut resid {
            d.z /= rms;
        }
        let limit = if params.convergence > 0.0 {
            params.convergence / rms
        } else {
            AUTO_LIMIT
        };
        let aspect =
            spec.dx * cos_lat(spec.lat(0) + 0.5 * (ny - 1) as f64 * spec.dy).abs() / spec.dy;
        let mut u = solve_multigrid(
            resid,
            [plane[1] / rms, plane[2] / rms],
            (nx, ny),
            t,
            aspect,
            (limit, params.max_iterations),
            sweeps,
        )?;
        u.mapv_inplace(|v| v * rms);
        u
    } else {
        Array2::zeros((ny, nx))
    };
    let add_row = out_of_line(add_plane_row as PlaneRowFn);
    for (j, row) in out.rows_mut().into_iter().enumerate() {
        add_row(row, plane, j as f64);
    }
    Ok(out)
}

type PlaneRowFn = fn(ArrayViewMut1<'_, f64>, [f64; 3], f64);

/// Adds the plane `a + b i + c j` to grid row `j`; called per row, out of line (see
/// [`crate::tiering`]).
fn add_plane_row(row: ArrayViewMut1<'_, f64>, [a, b, c]: [f64; 3], j: f64) {
    Zip::indexed(row).for_each(|i, v| *v += a + b * i as f64 + c * j);
}

/// A datum in grid-index coordinates of the finest grid.
#[derive(Debug, Clone, Copy)]
struct Datum {
    x: f64,
    y: f64,
    z: f64,
}

/// The median of `v` (non-empty; reordered), without sorting for one or two values.
fn median_of(v: &mut [f64]) -> f64 {
    match v.len() {
        1 => v[0],
        2 => 0.5 * (v[0] + v[1]),
        n => {
            v.sort_unstable_by(f64::total_cmp);
            let h = n / 2;
            if n % 2 == 1 {
                v[h]
            } else {
                0.5 * (v[h - 1] + v[h])
            }
        }
    }
}

/// One datum per occupied node: median x, median y, median z of its block.
fn block_median_xy(lon: &[f64], lat: &[f64], z: &[f64], spec: &GridSpec) -> Vec<Datum> {
    let groups = group_by_node(lon, lat, spec, 0, spec.ny);
    let occupied = groups.start.windows(2).filter(|w| w[1] > w[0]).count();
    let mut out = Vec::with_capacity(occupied);
    let median_row = out_of_line(block_median_row as MedianRowFn);
    let mut scratch = [Vec::new(), Vec::new(), Vec::new()];
    for j in 0..spec.ny {
        median_row(&groups, [lon, lat, z], spec, j, &mut out, &mut scratch);
    }
    out
}

type MedianRowFn =
    fn(&NodeGroups, [&[f64]; 3], &GridSpec, usize, &mut Vec<Datum>, &mut [Vec<f64>; 3]);

/// The data of grid row `j`'s blocks, appended to `out`; called per row, out of line (see
/// [`crate::tiering`]).
fn block_median_row(
    g: &NodeGroups,
    [lon, lat, z]: [&[f64]; 3],
    spec: &GridSpec,
    j: usize,
    out: &mut Vec<Datum>,
    [xs, ys, zs]: &mut [Vec<f64>; 3],
) {
    for n in j * spec.nx..(j + 1) * spec.nx {
        let members = &g.order[g.start[n] as usize..g.start[n + 1] as usize];
        let at = |p: u32| {
            let p = p as usize;
            Datum {
                x: (lon[p] - spec.west) / spec.dx,
                y: (lat[p] - spec.south) / spec.dy,
                z: z[p],
            }
        };
        // most blocks hold one or two points: their medians without the buffers
        match *members {
            [] => continue,
            [p] => {
                out.push(at(p));
                continue;
            }
            [p, q] => {
                let (a, b) = (at(p), at(q));
                out.push(Datum {
                    x: 0.5 * (a.x + b.x),
                    y: 0.5 * (a.y + b.y),
                    z: 0.5 * (a.z + b.z),
                });
                continue;
            }
            _ => {}
        }
        xs.clear();
        ys.clear();
        zs.clear();
        for &p in members {
            let p = p as usize;
            xs.push((lon[p] - spec.west) / spec.dx);
            ys.push((lat[p] - spec.south) / spec.dy);
            zs.push(z[p]);
        }
        out.push(Datum {
            x: median_of(xs),
            y: median_of(ys),
            z: median_of(zs),
        });
    }
}

/// Least-squares plane `z = a + b x + c y` (constant or mean if degenerate).
fn fit_plane(d: &[Datum]) -> [f64; 3] {
    let n = d.len() as f64;
    let (mx, my, mz) = d
        .iter()
        .fold((0.0, 0.0, 0.0), |a, p| (a.0 + p.x, a.1 + p.y, a.2 + p.z));
    let (mx, my, mz) = (mx / n, my / n, mz / n);
    let (mut sxx, mut sxy, mut syy, mut sxz, mut syz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in d {
        let (x, y, z) = (p.x - mx, p.y - my, p.z - mz);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        sxz += x * z;
        syz += y * z;
    }
    let det = sxx * syy - sxy * sxy;
    let (b, c) = if det.abs() > 1e-12 * (sxx * syy).max(1e-300) {
        ((sxz * syy - syz * sxy) / det, (syz * sxx - sxz * sxy) / det)
    } else if sxx > 0.0 && sxx >= syy {
        (sxz / sxx, 0.0)
    } else if syy > 0.0 {
        (0.0, syz / syy)
    } else {
        (0.0, 0.0)
    };
    [mz - b * mx - c * my, b, c]
}

/// Solves on the finest grid (nx × ny) from coarse to fine, each level stopping at `limit` or
/// `max_iter` sweeps (see [`MincurvParams`]); returns `u` and logs the sweeps in `sweeps`.
fn solve_multigrid(
    data: Vec<Datum>,
    slope: [f64; 2],
    (nx, ny): (usize, usize),
    t: f64,
    aspect: f64,
    (limit, max_iter): (f64, u32),
    sweeps: &mut Vec<(usize, u32)>,
) -> Result<Array2<f64>, Cancelled> {
    let mut s = 1usize;
    while (nx.min(ny) - 1).div_ceil(2 * s) >= 3 && (nx.max(ny) - 1) / (2 * s) >= 8 {
        s *= 2;
    }
    let mut prev: Option<Level> = None;
    // Both buffers pass from level to level: a fresh one per level costs its page faults again
    // (a third of the finest level's set-up).
    let mut nearest = Vec::with_capacity(data.len());
    loop {
        let mut level = Level::new(nx, ny, s, aspect, t);
        let con = match prev.as_mut() {
            None => Vec::with_capacity(data.len() + 2),
            Some(c) => {
                level.interpolate_from(c);
                std::mem::take(&mut c.con)
            }
        };
        level.set_data(&data, slope, &mut nearest, con);
        if s == 1 {
            // the finest level holds what it needs of the data; the coarser one is done with
            drop((data, nearest, prev));
            sweeps.push((1, level.iterate(limit, max_iter)?));
            return Ok(level.into_interior());
        }
        // Coarse levels converge further (GMT surface: limit / stride, iterations x stride):
        // their sweeps are cheap, and a better start saves sweeps on the finest grid.
        sweeps.push((
            s,
            level.iterate(limit / s as f64, max_iter.saturating_mul(s as u32))?,
        ));
        prev = Some(level);
        s /= 2;
    }
}

/// One grid level with two ghost rows/columns on every side: node `(i, j)` (column, row) is
/// element `[j + 2, i + 2]` of the `(n_y + 4) × (n_x + 4)` arrays.
struct Level {
    n_x: usize,
    n_y: usize,
    stride: usize,
    u: Array2<f64>,
    /// Each node's index into `con`: [`FREE`], [`FIXED`] or its datum's update.
    con_of: Array2<u32>,
    /// The nodes' updates: [`FREE`] and [`FIXED`] first, then one per datum off its node.
    con: Vec<Update>,
    a2: f64,
    t: f64,
}

impl Level {
    fn new(nx: usize, ny: usize, stride: usize, aspect: f64, t: f64) -> Level {
        let n_x = (nx - 1).div_ceil(stride) + 1;
        let n_y = (ny - 1).div_ceil(stride) + 1;
        let shape = (n_y + 4, n_x + 4);
        Level {
            n_x,
            n_y,
            stride,
            u: Array2::zeros(shape),
            con_of: Array2::from_elem(shape, FREE),
            con: Vec::new(),
            a2: aspect * aspect,
            t,
        }
    }

    /// The array index of node `(i, j)` (column, row; ghosts at -2, -1, n, n + 1).
    #[inline(always)]
    fn at(&self, i: isize, j: isize) -> [usize; 2] {
        [(j + 2) as usize, (i + 2) as usize]
    }

    /// Bilinear interpolation from the level of twice the stride.
    fn interpolate_from(&mut self, c: &Level) {
        let row = out_of_line(interpolate_row as InterpolateRowFn);
        let (n_x, n_y) = (self.n_x, self.n_y);
        let coarse = c.u.slice(s![2..2 + c.n_y, 2..2 + c.n_x]);
        let mut fine = self.u.slice_mut(s![2..2 + n_y, 2..2 + n_x]);
        for (j, dst) in fine.rows_mut().into_iter().enumerate() {
            let (cj, fy) = (j / 2, (j % 2) as f64 * 0.5);
            let (below, above) = (coarse.row(cj), coarse.row((cj + 1).min(c.n_y - 1)));
            row(dst, below, above, fy);
        }
    }

    /// Keeps, per node, the datum nearest to it (GMT `surface`), then turns each into a
    /// constraint: a datum within [`CLOSE`] of its node fixes the node's value; any other enters
    /// the node's equation through Briggs' Laplacian ([`briggs_laplacian`]). Both passes run in
    /// chunks, out of line (see [`crate::tiering`]).
    fn set_data(
        &mut self,
        data: &[Datum],
        slope: [f64; 2],
        nearest: &mut Vec<Nearest>,
        mut con: Vec<Update>,
    ) {
        let s = self.stride as f64;
        nearest.clear();
        let keep = out_of_line(keep_nearest as KeepNearestFn);
        for chunk in data.chunks(CHUNK) {
            keep(
                chunk,
                self.stride,
                [self.n_x, self.n_y],
                self.con_of.view_mut(),
                nearest,
            );
        }
        let equation = Equation::new(self.t, self.a2);
        con.clear();
        con.push(Update::free(self.t, self.a2));
        con.push(Update::fixed());
        let constrain = out_of_line(constrain_nodes as ConstrainFn);
        let moved = [s * slope[0], s * slope[1]];
        for chunk in nearest.chunks(CHUNK) {
            constrain(
                chunk,
                moved,
                &equation,
                self.u.view_mut(),
                self.con_of.view_mut(),
                &mut con,
            );
        }
        self.con = con;
    }

    /// Refreshes the ghost nodes from the boundary conditions.
    fn fill_ghosts(&mut self) {
        let (nx, ny) = (self.n_x as isize, self.n_y as isize);
        let tb = self.t;
        // Lengths in x spacings: across the west and east edges the condition reads
        // (1 - T)(u₁ - 2u₀ + u₋₁) + T (u₋₁ - u₁)/2 = 0, across the south and north edges, where a
        // node spacing is 1/α of it, (1 - T) α (u₁ - 2u₀ + u₋₁) + T (u₋₁ - u₁)/2 = 0 (as GMT).
        let (c0, c1, cd) = (2.0 * (1.0 - tb), 1.0 - 1.5 * tb, 1.0 - 0.5 * tb);
        let alpha = self.a2.sqrt();
        let (c0y, c1y, cdy) = (
            2.0 * alpha * (1.0 - tb),
            alpha * (1.0 - tb) - 0.5 * tb,
            alpha * (1.0 - tb) + 0.5 * tb,
        );
        let a2 = self.a2;
        // first ring on edges: (1 - T) d2u/dn2 + T du/dn = 0
        for j in 0..ny {
            let (w0, w1) = (self.u[self.at(0, j)], self.u[self.at(1, j)]);
            let k = self.at(-1, j);
            self.u[k] = (c0 * w0 - c1 * w1) / cd;
            let (e0, e1) = (self.u[self.at(nx - 1, j)], self.u[self.at(nx - 2, j)]);
            let k = self.at(nx, j);
            self.u[k] = (c0 * e0 - c1 * e1) / cd;
        }
        for i in 0..nx {
            let (s0, s1) = (self.u[self.at(i, 0)], self.u[self.at(i, 1)]);
            let k = self.at(i, -1);
            self.u[k] = (c0y * s0 - c1y * s1) / cdy;
            let (n0, n1) = (self.u[self.at(i, ny - 1)], self.u[self.at(i, ny - 2)]);
            let k = self.at(i, ny);
            self.u[k] = (c0y * n0 - c1y * n1) / cdy;
        }
        // corners: d2u/dxdy = 0
        for (ci, cj, di, dj) in [
            (-1, -1, 1, 1),
            (nx, -1, -1, 1),
            (-1, ny, 1, -1),
            (nx, ny, -1, -1),
        ] {
            let (i0, j0) = (ci + di, cj + dj); // the boundary corner node
            let v = self.u[self.at(ci, j0 + dj)] + self.u[self.at(i0 + di, cj)]
                - self.u[self.at(i0 + di, j0 + dj)];
            let k = self.at(ci, cj);
            self.u[k] = v;
        }
        // second ring: d(laplacian)/dn = 0
        let u = |s: &Level, i: isize, j: isize| s.u[s.at(i, j)];
        for j in 0..ny {
            for (b, o, g, gg) in [(0, 1, -1, -2), (nx - 1, nx - 2, nx, nx + 1)] {
                let in2 = o + (o - b); // two nodes inside
                let lap_in = u(self, b, j) + u(self, in2, j) - 2.0 * u(self, o, j)
                    + a2 * (u(self, o, j + 1) + u(self, o, j - 1) - 2.0 * u(self, o, j));
                let v = lap_in - u(self, b, j) + 2.0 * u(self, g, j)
                    - a2 * (u(self, g, j + 1) + u(self, g, j - 1) - 2.0 * u(self, g, j));
                let k = self.at(gg, j);
                self.u[k] = v;
            }
        }
        for i in 0..nx {
            for (b, o, g, gg) in [(0, 1, -1, -2), (ny - 1, ny - 2, ny, ny + 1)] {
                let in2 = o + (o - b);
                let lap_in = u(self, i - 1, o) + u(self, i + 1, o) - 2.0 * u(self, i, o)
                    + a2 * (u(self, i, b) + u(self, i, in2) - 2.0 * u(self, i, o));
                let xpart = u(self, i - 1, g) + u(self, i + 1, g) - 2.0 * u(self, i, g);
                let v = (lap_in - xpart) / a2 - u(self, i, b) + 2.0 * u(self, i, g);
                let k = self.at(i, gg);
                self.u[k] = v;
            }
        }
    }

    /// Gauss-Seidel / SOR sweeps until the largest change is below `limit`; returns the number
    /// of sweeps, or [`Cancelled`] (checked before each sweep).
    fn iterate(&mut self, limit: f64, max_iter: u32) -> Result<u32, Cancelled> {
        let n_x = self.n_x;
        let sweep = out_of_line(sweep_row as SweepFn);
        for done in 1..=max_iter {
            cancel::check()?;
            self.fill_ghosts();
            let mut max_change: f64 = 0.0;
            for j in 0..self.n_y {
                let r = j + 2;
                // Rows r-2, r-1 (read), r (read/write), r+1, r+2 (read), split off the level
                // as views and handed to the sweep as slices: the sweep is the hot loop of
                // mincurv, and on slices cut to the row's length the compiler drops its
                // bounds checks (0.47 to 0.44 s for `gam grid --method mincurv` in
                // `deno task bench:grid`); indexing views keeps a check per access.
                let (before, rest) = self.u.view_mut().split_at(Axis(0), r);
                let (far_s, s1) = before.split_at(Axis(0), r - 1);
                let (cur, after) = rest.split_at(Axis(0), 1);
                let (n1, n2) = after.split_at(Axis(0), 1);
                let (s2, s1) = (row_slice(far_s, r - 2), row_slice(s1, 0));
                let (cur, n1, n2) = (row_slice(cur, 0), row_slice(n1, 0), row_slice(n2, 0));
                let con_row = self.con_of.row(r);
                let con_row = con_row
                    .to_slice()
                    .expect("a row of a standard-layout array");
                let change = sweep(cur, [s2, s1, n1, n2], con_row, &self.con, n_x);
                max_change = max_change.max(change);
            }
            if max_change < limit {
                return Ok(done);
            }
        }
        Ok(max_iter)
    }

    /// The `n_y × n_x` interior (only used at stride 1, where it is the grid), compacted in
    /// place in the buffer of `u`: `slice(..).to_owned()` would hold a second grid-sized
    /// buffer at the peak, which `deno task bench:grid` reports as peak memory.
    fn into_interior(self) -> Array2<f64> {
        let (n_x, n_y, w) = (self.n_x, self.n_y, self.u.ncols());
        drop((self.con_of, self.con));
        let (mut u, offset) = self.u.into_raw_vec_and_offset();
        debug_assert_eq!(offset.unwrap_or(0), 0);
        for j in 0..n_y {
            let k = (j + 2) * w + 2;
            u.copy_within(k..k + n_x, j * n_x);
        }
        u.truncate(n_x * n_y);
        u.shrink_to_fit();
        Array2::from_shape_vec((n_y, n_x), u).expect("n_y rows of n_x nodes")
    }
}

/// Row `k` of `v` as the slice the sweep takes (the rows of a standard-layout array are
/// contiguous).
fn row_slice<'a>(v: ArrayViewMut2<'a, f64>, k: usize) -> &'a mut [f64] {
    v.index_axis_move(Axis(0), k)
        .into_slice()
        .expect("a row of a standard-layout array")
}

/// Data per call of the chunked set-up passes of [`Level::set_data`].
const CHUNK: usize = 4096;

/// A node's nearest datum so far: (array index of the node, `xi`, `eta`, `z`).
type Nearest = ([u32; 2], f64, f64, f64);

type InterpolateRowFn = fn(ArrayViewMut1<'_, f64>, ArrayView1<'_, f64>, ArrayView1<'_, f64>, f64);

/// One row of [`Level::interpolate_from`]: bilinear between the coarse rows `below` and `above`
/// (`fy` of the way), the coarse nodes on the even columns; called per row, out of line.
fn interpolate_row(
    dst: ArrayViewMut1<'_, f64>,
    below: ArrayView1<'_, f64>,
    above: ArrayView1<'_, f64>,
    fy: f64,
) {
    let last = below.len() - 1;
    for (i, d) in dst.into_iter().enumerate() {
        let (ci, fx) = (i / 2, (i % 2) as f64 * 0.5);
        let (c0, c1) = (ci.min(last), (ci + 1).min(last));
        *d = (1.0 - fx) * (1.0 - fy) * below[c0]
            + fx * (1.0 - fy) * below[c1]
            + (1.0 - fx) * fy * above[c0]
            + fx * fy * above[c1];
    }
}

type KeepNearestFn = fn(&[Datum], usize, [usize; 2], ArrayViewMut2<'_, u32>, &mut Vec<Nearest>);

/// First pass of [`Level::set_data`] over a chunk of data: keeps each node's nearest datum in
/// `nearest` (in the order first met), `con_of` meanwhile holding 1 + its index there. `dims`
/// is the level's `[n_x, n_y, row width]`.
fn keep_nearest(
    data: &[Datum],
    stride: usize,
    [n_x, n_y]: [usize; 2],
    mut con_of: ArrayViewMut2<'_, u32>,
    nearest: &mut Vec<Nearest>,
) {
    // the stride is a power of two: multiplying by its reciprocal is exact, and cheaper
    let inv = 1.0 / stride as f64;
    for d in data {
        let (x, y) = (d.x * inv, d.y * inv);
        let (i, j) = (x.round_ties_even(), y.round_ties_even());
        if i < 0.0 || j < 0.0 || i >= n_x as f64 || j >= n_y as f64 {
            continue;
        }
        let (xi, eta) = (x - i, y - j);
        let k = [j as u32 + 2, i as u32 + 2];
        let slot = con_of[k.map(|v| v as usize)] as usize;
        if slot == 0 {
            nearest.push((k, xi, eta, d.z));
            con_of[k.map(|v| v as usize)] = nearest.len() as u32;
        } else {
            // the distance² of the held datum, recomputed exactly as it was
            let (_, hx, he, _) = nearest[slot - 1];
            if xi * xi + eta * eta < hx * hx + he * he {
                nearest[slot - 1] = (k, xi, eta, d.z);
            }
        }
    }
}

type ConstrainFn = fn(
    &[Nearest],
    [f64; 2],
    &Equation,
    ArrayViewMut2<'_, f64>,
    ArrayViewMut2<'_, u32>,
    &mut Vec<Update>,
);

/// Second pass of [`Level::set_data`] over a chunk of nearest data: a datum within [`CLOSE`]
/// fixes its node (its value moved along the removed plane, `moved` = the plane's slope per
/// node of this level), any other gets its [`Update::briggs`].
fn constrain_nodes(
    nearest: &[Nearest],
    moved: [f64; 2],
    equation: &Equation,
    mut u: ArrayViewMut2<'_, f64>,
    mut con_of: ArrayViewMut2<'_, u32>,
    con: &mut Vec<Update>,
) {
    for &(k, xi, eta, z) in nearest {
        let k = k.map(|v| v as usize);
        if xi.abs() < CLOSE && eta.abs() < CLOSE {
            u[k] = z + (moved[0] * xi + moved[1] * eta);
            con_of[k] = FIXED;
        } else {
            con_of[k] = con.len() as u32;
            con.push(Update::briggs(xi, eta, z, equation));
        }
    }
}

/// The update of a node without a datum (its index in `con_of`).
const FREE: u32 = 0;
/// The update of a node whose value a datum fixes.
const FIXED: u32 = 1;

/// A datum closer than this to its node (in node spacings, along both axes) is moved onto the
/// node and fixes its value, as in GMT `surface`; Briggs' system ([`briggs_laplacian`]) is
/// singular for a datum on the node.
const CLOSE: f64 = 0.05;

/// Coefficients of the finite-difference equation at a node whose Laplacian is estimated with
/// a datum (Smith & Wessel 1990, eq. A-7).
///
/// The operator is `(1 - T) D4 u - T D2 u` with `D2 = δxx + α² δyy` and `D4 = D2 D2`. Writing
/// `D4 u` at the node as `D2` of the field `w = D2 u`, the neighbours' `w` are finite differences
/// of `u`, while the node's own `w₀` comes from Briggs' estimate ([`briggs_laplacian`]),
/// `w₀ = Σₖ βₖ uₖ + β_E z - (Σβ) u₀`. Collecting the terms in `u₀` gives
/// `u₀ = (Q + A₂ (Σₖ βₖ uₖ + β_E z)) / (A₁ + A₂ Σβ)` with `A₁ = 2 (1 - T)(1 + α⁴)`,
/// `A₂ = 2 (1 - T)(1 + α²) + T` and `Q` the 12-neighbour sum with the coefficients here.
struct Equation {
    a1: f64,
    a2: f64,
    /// `Q`'s coefficients (see [`Equation::neighbours`]).
    q: [f64; 5],
}

impl Equation {
    fn new(t: f64, alpha2: f64) -> Equation {
        let l = 1.0 - t;
        Equation {
            a1: 2.0 * l * (1.0 + alpha2 * alpha2),
            a2: 2.0 * l * (1.0 + alpha2) + t,
            q: Equation::neighbours(t, alpha2),
        }
    }

    /// `Q`'s coefficients: (E/W, N/S, EE/WW, NN/SS, diagonals).
    fn neighbours(t: f64, alpha2: f64) -> [f64; 5] {
        let l = 1.0 - t;
        [
            2.0 * l * (1.0 + alpha2),
            2.0 * l * (1.0 + alpha2) * alpha2,
            -l,
            -l * alpha2 * alpha2,
            -2.0 * l * alpha2,
        ]
    }
}

/// One node's SOR update `u₀ ← keep u₀ + Σ wₖ uₖ + far · (pairs) + bz`, all factors (ω, the
/// normalisation) folded in at set-up. The neighbours' weights are stored as `f32` (as GMT
/// stores its coefficients), which makes a sweep 13% faster (48 instead of 96 bytes per
/// datum); `keep` absorbs their rounding so that the weights still sum exactly as before
/// (a constant field stays a solution). Every node reads its update from a table, the common
/// [`Update::free`] for nodes without a datum: a branch on the node's kind would be taken at
/// random (a third of the nodes hold a datum) and mispredicted often.
#[derive(Debug, Clone, Copy)]
struct Update {
    /// Weights of the 8 nodes around the node, in [`NEAR`] order.
    w: [f32; 8],
    /// Weights of the node pairs two nodes away: EE + WW, NN + SS.
    far: [f32; 2],
    /// Weight of the node's own value, `1 - ω` (1 for a fixed node) less what rounding the
    /// weights to `f32` changed their sum by.
    keep: f64,
    /// The constant term (the datum's).
    bz: f64,
}

/// The 8 nodes around a node as (east, north) offsets: the order of [`Update::w`].
const NEAR: [(isize, isize); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// The nodes `A`-`D` of [`briggs_laplacian`] per quadrant, as indices into [`NEAR`].
const QUADRANT_NODES: [[usize; 4]; 4] = [
    [5, 3, 1, 2], // 1: datum north-east: NW, W, S, SE
    [0, 1, 4, 7], // 2: north-west (quadrant 1 turned 90° left): SW, S, E, NE
    [2, 4, 6, 5], // 3: south-west (turned 180°): SE, E, N, NW
    [7, 6, 3, 0], // 4: south-east (turned 270°): NE, N, W, SW
];

impl Update {
    /// A node without a datum: SOR of the 13-point stencil of `(1 - T) D4 u - T D2 u = 0`,
    /// `u ← (1 - ω) u + ω Σ cₖ uₖ / a₀`.
    fn free(t: f64, a2: f64) -> Update {
        let a4 = a2 * a2;
        let l = 1.0 - t;
        let k = OMEGA / (l * (6.0 + 6.0 * a4 + 8.0 * a2) + t * (2.0 + 2.0 * a2));
        let ew = k * (l * (4.0 + 4.0 * a2) + t);
        let ns = k * (l * (4.0 * a4 + 4.0 * a2) + t * a2);
        let d = k * (-2.0 * l * a2);
        let w = NEAR.map(|(di, dj)| match (di, dj) {
            (0, _) => ns,
            (_, 0) => ew,
            _ => d,
        });
        Update::rounded(w, [k * -l, k * (-l * a4)], 0.0, 0.0)
    }

    /// The update with weights `w` and `far` rounded to `f32`, the datum's term `bz = g z`,
    /// and `keep = 1 - (Σ w + 2 Σ far + g)` from the rounded weights: the consistency of the
    /// exact update (`1 - ω` + the neighbours' weights + `g` = 1).
    fn rounded(w: [f64; 8], far: [f64; 2], g: f64, z: f64) -> Update {
        let (w, far) = (w.map(|v| v as f32), far.map(|v| v as f32));
        let sum = w.iter().map(|&v| f64::from(v)).sum::<f64>()
            + 2.0 * (f64::from(far[0]) + f64::from(far[1]));
        Update {
            w,
            far,
            keep: 1.0 - sum - g,
            bz: g * z,
        }
    }

    /// A node fixed by its datum: keeps its value.
    fn fixed() -> Update {
        Update {
            w: [0.0; 8],
            far: [0.0; 2],
            keep: 1.0,
            bz: 0.0,
        }
    }

    /// A node with a datum `z` at `(xi, eta)` off it: the update solves [`Equation`] for `u₀`
    /// with Briggs' Laplacian ([`briggs_laplacian`]), with SOR. With every factor folded in, the
    /// quadrant's nodes and `Q`'s near neighbours merge into one 3 × 3 set of weights.
    fn briggs(xi: f64, eta: f64, z: f64, e: &Equation) -> Update {
        // The Laplacian estimate in grid units, `H_xx + H_yy`, as GMT: on the interpolation
        // fixture (aspect 1.08, a field isotropic in distance) it gives GMT's error (0.4564
        // against 0.4563), the aspect-weighted `H_xx + α² H_yy` 2% more (0.4648); on the
        // benchmark's field the two differ by 0.5% the other way (0.00822 against 0.00818).
        let (beta, beta_e) = briggs_laplacian(xi, eta, 1.0);
        let sum = beta.iter().sum::<f64>() + beta_e;
        let f = OMEGA / (e.a1 + e.a2 * sum);
        let [q_ew, q_ns, q_ee, q_nn, q_d] = e.q;
        let w: [f64; 8] = std::array::from_fn(|k| {
            let q = match NEAR[k] {
                (0, _) => q_ns,
                (_, 0) => q_ew,
                _ => q_d,
            };
            f * (q + e.a2 * beta[k])
        });
        Update::rounded(w, [f * q_ee, f * q_nn], f * e.a2 * beta_e, z)
    }
}

/// Briggs' (1974, *Geophysics* 39, 39-48) estimate of the Laplacian `H_xx + α² H_yy` at a node
/// from a datum `E` at `(xi, eta)` off it (node spacings, not both within [`CLOSE`]) and four
/// nodes, as GMT `surface` uses it: returns `β` over the [`NEAR`] nodes (zero for the four not
/// used) and `β_E`, with Laplacian `= Σ βₖ uₖ + β_E z - (Σβ + β_E) u₀`.
///
/// For a datum in the first quadrant at `(x, y)` the nodes are `A` = NW, `B` = W, `C` = S,
/// `D` = SE; the other quadrants are rotations of it. Solving the five equations
/// `u_P - u₀ = g·P + ½ Pᵀ H P` (exact for quadratics) gives `H_xx` and `H_yy` as sums
/// `Σ hₖ (uₖ - u₀)` with `s = x + y`, `q = s (1 + s)`:
///
/// | point | `h_xx` | `h_yy` |
/// |---|---|---|
/// | A | `-y (y + 1) / q` | `x (x + 2y + 1) / q` |
/// | B | `2 (y + 1) / (1 + s)` | `-2x / (1 + s)` |
/// | C | `-2y / (1 + s)` | `2 (x + 1) / (1 + s)` |
/// | D | `y (2x + y + 1) / q` | `-x (x + 1) / q` |
/// | E | `2 / q` | `2 / q` |
///
/// In the rotated quadrants 2 and 4, whose local x axis is the grid's y axis, `α²` weights
/// `h_xx` instead of `h_yy`. [`Update::briggs`] uses `α² = 1`, as GMT does for every aspect
/// ratio (see there why).
fn briggs_laplacian(xi: f64, eta: f64, alpha2: f64) -> ([f64; 8], f64) {
    // the datum in its quadrant's frame, and the weights of h_xx and h_yy
    let (quadrant, x, y) = match (xi >= 0.0, eta >= 0.0) {
        (true, true) => (0, xi, eta),
        (false, true) => (1, eta, -xi),
        (false, false) => (2, -xi, -eta),
        (true, false) => (3, -eta, xi),
    };
    let (wx, wy) = if quadrant % 2 == 0 {
        (1.0, alpha2)
    } else {
        (alpha2, 1.0)
    };
    let s = x + y;
    let (r, q) = (1.0 / (1.0 + s), 1.0 / (s * (1.0 + s)));
    let hxx = [
        -y * (y + 1.0) * q,
        2.0 * (y + 1.0) * r,
        -2.0 * y * r,
        y * (2.0 * x + y + 1.0) * q,
    ];
    let hyy = [
        x * (x + 2.0 * y + 1.0) * q,
        -2.0 * x * r,
        2.0 * (x + 1.0) * r,
        -x * (x + 1.0) * q,
    ];
    let mut beta = [0.0; 8];
    for (p, k) in QUADRANT_NODES[quadrant].into_iter().enumerate() {
        beta[k] = wx * hxx[p] + wy * hyy[p];
    }
    (beta, (wx + wy) * 2.0 * q)
}

type SweepFn = fn(&mut [f64], [&[f64]; 4], &[u32], &[Update], usize) -> f64;

/// One Gauss-Seidel / SOR sweep over the interior of row `cur` (nodes `2..n_x + 2`), with the
/// rows two and one below and one and two above in `[s2, s1, n1, n2]`; returns the largest
/// change. Called per row, out of line (see [`crate::tiering`]).
fn sweep_row(
    cur: &mut [f64],
    [s2, s1, n1, n2]: [&[f64]; 4],
    con_row: &[u32],
    con: &[Update],
    n_x: usize,
) -> f64 {
    // Rows of exactly n_x + 4 nodes: the compiler drops the bounds checks of the loop below.
    let len = n_x + 4;
    let (cur, con_row) = (&mut cur[..len], &con_row[..len]);
    let (s2, s1, n1, n2) = (&s2[..len], &s1[..len], &n1[..len], &n2[..len]);
    let mut max_change: f64 = 0.0;
    let mut west = cur[1];
    for i in 2..n_x + 2 {
        // Every node reads its update's weights, the common ones of a node without a datum
        // included: a branch on the node's kind here is taken at random (a third of the nodes
        // hold a datum) and mispredicted often.
        let b = &con[con_row[i] as usize];
        let w = b.w.map(f64::from);
        let old = cur[i];
        let rest = b.keep * old
            + b.bz
            + f64::from(b.far[0]) * (cur[i + 2] + cur[i - 2])
            + f64::from(b.far[1]) * (n2[i] + s2[i])
            + w[0] * s1[i - 1]
            + w[1] * s1[i]
            + w[2] * s1[i + 1]
            + w[4] * cur[i + 1]
            + w[5] * n1[i - 1]
            + w[6] * n1[i]
            + w[7] * n1[i + 1];
        // the just-updated west neighbour enters last: one dependent multiply-add per node
        let new = rest + w[3] * west;
        cur[i] = new;
        west = new;
        max_change = max_change.max((new - old).abs());
    }
    max_change
}

#[cfg(test)]
mod tests {
    use super::super::test_util::Rng;
    use super::*;

    fn params(t: f64) -> MincurvParams {
        MincurvParams {
            tension: t,
            convergence: 0.0,
            max_iterations: 2000,
        }
    }

    #[test]
    fn reproduces_a_plane() {
        let mut rng = Rng(8);
        let spec = GridSpec::from_slice(&[-70.0, -20.0, 0.05, 0.04, 41.0, 37.0]).unwrap();
        let (mut lon, mut lat) = (vec![], vec![]);
        for _ in 0..150 {
            lon.push(rng.uniform(-70.0, -68.0));
            lat.push(rng.uniform(-20.0, -18.56));
        }
        let z: Vec<f64> = lon
            .iter()
            .zip(&lat)
            .map(|(x, y)| 5.0 * x - 3.0 * y + 2.0)
            .collect();
        for t in [0.0, 0.25, 1.0] {
            let g = grid_mincurv(&lon, &lat, &z, &spec, params(t)).unwrap();
            for j in 0..spec.ny {
                for i in 0..spec.nx {
                    let want = 5.0 * spec.lon(i) - 3.0 * spec.lat(j) + 2.0;
                    assert!(
                        (g[[j, i]] - want).abs() < 1e-8,
                        "T={t} {i},{j} {} {want}",
                        g[[j, i]]
                    );
                }
            }
        }
    }

    #[test]
    fn passes_through_data_on_nodes() {
        let mut rng = Rng(9);
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.02, 0.02, 51.0, 51.0]).unwrap();
        let f = |x: f64, y: f64| (4.0 * x).sin() + (3.0 * y).cos() * x;
        let (mut lon, mut lat, mut z) = (vec![], vec![], vec![]);
        for _ in 0..300 {
            let (i, j) = (
                (rng.next_u64() % 51) as usize,
                (rng.next_u64() % 51) as usize,
            );
            lon.push(spec.lon(i));
            lat.push(spec.lat(j));
            z.push(f(spec.lon(i), spec.lat(j)));
        }
        let g = grid_mincurv(&lon, &lat, &z, &spec, params(0.25)).unwrap();
        for p in 0..lon.len() {
            let i = (lon[p] / 0.02).round() as usize;
            let j = (lat[p] / 0.02).round() as usize;
            assert!((g[[j, i]] - z[p]).abs() < 1e-3, "datum {p}");
        }
    }

    #[test]
    fn briggs_laplacian_is_exact_for_quadratics() {
        // u = a + b x + c y + d x² + e x y + f y²: Laplacian H_xx + α² H_yy = 2d + 2α² f
        let mut rng = Rng(11);
        for case in 0..400 {
            let [a, b, c, d, e, f] = std::array::from_fn(|_| rng.uniform(-3.0, 3.0));
            let u = |x: f64, y: f64| a + b * x + c * y + d * x * x + e * x * y + f * y * y;
            let alpha2 = [1.0, 0.85, 1.3][case % 3];
            // every quadrant, signs of zero included, never both offsets within CLOSE
            let (mut xi, mut eta) = (rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5));
            if case % 7 == 0 {
                xi = [0.0, -0.0, 0.3, -0.3][case % 4];
            }
            if xi.abs() < CLOSE && eta.abs() < CLOSE {
                eta = 0.2f64.copysign(eta);
            }
            let (beta, beta_e) = briggs_laplacian(xi, eta, alpha2);
            let u0 = u(0.0, 0.0);
            let mut lap = beta_e * (u(xi, eta) - u0);
            for (k, (di, dj)) in NEAR.iter().enumerate() {
                lap += beta[k] * (u(*di as f64, *dj as f64) - u0);
            }
            let want = 2.0 * d + 2.0 * alpha2 * f;
            assert!(
                (lap - want).abs() < 1e-9,
                "case {case}: {lap} vs {want} at ({xi}, {eta})"
            );
            assert!(beta.iter().filter(|b| **b != 0.0).count() <= 4);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 5.0, 5.0]).unwrap();
        let e = grid_mincurv(&[0.0], &[0.0], &[1.0], &spec, params(1.5)).unwrap_err();
        assert_eq!(e.to_string(), "tension must be within [0, 1], got 1.5");
        let small = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 5.0]).unwrap();
        assert!(grid_mincurv(&[0.0], &[0.0], &[1.0], &small, params(0.0)).is_err());
        let mut p = params(0.0);
        p.max_iterations = 0;
        assert!(grid_mincurv(&[0.0], &[0.0], &[1.0], &spec, p).is_err());
    }

    /// Readings on flight lines: parallel north-south lines `gap` nodes apart, slightly wavy,
    /// sampled every 0.2 node, and east-west tie lines 5 gaps apart, of the smooth field `f`.
    fn flight_lines(spec: &GridSpec, gap: f64, f: impl Fn(f64, f64) -> f64) -> [Vec<f64>; 3] {
        let (w, e) = (spec.lon(0), spec.lon(spec.nx - 1));
        let (so, n) = (spec.lat(0), spec.lat(spec.ny - 1));
        let (mut lon, mut lat) = (vec![], vec![]);
        let step = 0.2 * spec.dy;
        let mut x = w + 0.3 * gap * spec.dx;
        while x <= e {
            let mut y = so;
            while y <= n {
                lon.push(x + 0.3 * spec.dx * (y * 40.0).sin());
                lat.push(y);
                y += step;
            }
            x += gap * spec.dx;
        }
        let mut y = so + 0.5 * gap * spec.dy;
        while y <= n {
            let mut x = w;
            while x <= e {
                lon.push(x);
                lat.push(y + 0.2 * spec.dy * (x * 30.0).cos());
                x += step;
            }
            y += 5.0 * gap * spec.dy;
        }
        let z = lon.iter().zip(&lat).map(|(&x, &y)| f(x, y)).collect();
        [lon, lat, z]
    }

    #[test]
    fn flight_lines_stop_on_the_limit_without_losing_accuracy() {
        // The reference is the same surface iterated to a limit 100 times tighter with caps
        // that are never reached: the converged solution of the same equations.
        let spec = GridSpec::from_slice(&[0.0, 0.0, 0.01, 0.01, 81.0, 57.0]).unwrap();
        let f = |x: f64, y: f64| 100.0 * (2.5 * x + 0.3).sin() * (3.1 * y).cos() + 30.0 * x * y;
        for gap in [6.0, 12.0] {
            let [lon, lat, z] = flight_lines(&spec, gap, f);
            let mean = z.iter().sum::<f64>() / z.len() as f64;
            let sd = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / z.len() as f64).sqrt();
            let run = |convergence: f64, max_iterations: u32| {
                let p = MincurvParams {
                    tension: 0.25,
                    convergence,
                    max_iterations,
                };
                let mut sweeps = vec![];
                let data = block_median_xy(&lon, &lat, &z, &spec);
                (solve(data, &spec, p, &mut sweeps).unwrap(), sweeps)
            };
            let (ours, sweeps) = run(0.0, 500);
            let (converged, tight) = run(1e-5 * sd, 100_000);
            // between the lines: nodes more than a node away from every reading
            let mut between = vec![true; spec.nx * spec.ny];
            for (&x, &y) in lon.iter().zip(&lat) {
                let (fi, fj) = (x / spec.dx, y / spec.dy);
                for j in (fj - 1.0).ceil().max(0.0) as usize
                    ..=((fj + 1.0).floor() as usize).min(spec.ny - 1)
                {
                    for i in (fi - 1.0).ceil().max(0.0) as usize
                        ..=((fi + 1.0).floor() as usize).min(spec.nx - 1)
                    {
                        between[j * spec.nx + i] = false;
                    }
                }
            }
            let err = |g: &Array2<f64>| {
                let (mut sum, mut n) = (0.0, 0);
                for j in 0..spec.ny {
                    for i in 0..spec.nx {
                        if between[j * spec.nx + i] {
                            sum += (g[[j, i]] - f(spec.lon(i), spec.lat(j))).powi(2);
                            n += 1;
                        }
                    }
                }
                assert!(
                    n > spec.nx * spec.ny / 4,
                    "gap {gap}: {n} nodes between lines"
                );
                (sum / n as f64).sqrt()
            };
            let (e_ours, e_ref) = (err(&ours), err(&converged));
            println!("gap {gap}: rms between lines {e_ours} (converged {e_ref}); sweeps {sweeps:?}, converged {tight:?}");
            assert!(
                e_ours <= 1.02 * e_ref,
                "gap {gap}: {e_ours} vs converged {e_ref}"
            );
            assert!(
                e_ref < 0.1 * sd,
                "gap {gap}: the converged surface is off: {e_ref}"
            );
            // every level stopped on the limit, not on its cap
            for &(s, n) in &sweeps {
                assert!(n < 500 * s as u32, "gap {gap}: stride {s} ran to its cap");
            }
            assert!(tight.iter().all(|&(s, n)| n < 100_000 * s as u32));
        }
    }

    #[test]
    fn rms_within_ten_percent_of_gmt_surface() {
        use super::super::test_util::{interp_refs, rms};
        let f = interp_refs("gmt_surface_t025");
        let g = grid_mincurv(&f.lon, &f.lat, &f.z, &f.spec, params(0.25)).unwrap();
        let (ours, n) = rms(g.as_slice().unwrap(), &f.truth);
        let (theirs, m) = rms(&f.reference, &f.truth);
        println!("mincurv rms {ours} (gmt surface {theirs})");
        assert_eq!((n, m), (f.truth.len(), f.truth.len()));
        // the issue asks for 10%; GMT's own scheme gives 0.02% here
        assert!(ours <= 1.01 * theirs, "rms {ours} vs gmt {theirs}");
    }
}

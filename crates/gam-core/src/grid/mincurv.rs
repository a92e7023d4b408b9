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
//!    residuals are divided by their RMS; both are restored at the end.
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
//!    of ghost nodes refreshed before every sweep (`T_b = T`).
//! 5. **Data constraints.** At each level every node keeps the datum nearest
//!    to it within its block (as GMT does). A datum at offset `(ξ, η)` (in node
//!    spacings, |ξ|, |η| <= 0.5) constrains its node through the first-order
//!    Taylor expansion `z = u₀ + ξ ∂u/∂x + η ∂u/∂y` with centred differences,
//!    i.e. `u₀ = z - ξ (u_E - u_W)/2 - η (u_N - u_S)/2` (a simplification of
//!    GMT's Briggs coefficients that drops the second-order terms); a datum on
//!    the node is reproduced exactly.
//! 6. **Convergence.** A level stops when the largest change of a sweep is below
//!    the convergence limit (data units; default `1e-4` of the RMS of the
//!    data about the plane, GMT's default) or after `max_iterations` sweeps.
//!
//! The output is the full grid (no banding, no NaN), or all NaN when no point
//! falls in the grid's blocks; masks are applied by the caller (see
//! [`super::distance`]). The sweep is written so that the just-updated west
//! neighbour enters the update last (one dependent multiply-add per node),
//! which made it 3.6x faster than the textbook form.

use super::{check_points, cos_lat, GridError, GridSpec};
use crate::tiering::out_of_line;

/// Parameters of [`grid_mincurv`].
#[derive(Debug, Clone, Copy)]
pub struct MincurvParams {
    /// Tension `T` in `[0, 1]` (GMT `-T`; 0.25 recommended for potential fields).
    pub tension: f64,
    /// Convergence limit in data units; `<= 0` for the default
    /// (`1e-4` × RMS of the data about the best-fit plane).
    pub convergence: f64,
    /// Maximum number of sweeps per grid level (>= 1; GMT's default is 500).
    pub max_iterations: u32,
}

/// Over-relaxation factor (GMT `surface -Z` default).
const OMEGA: f64 = 1.4;

/// Minimum-curvature grid of the whole spec (row-major, south first).
///
/// ```
/// use gam_core::grid::{GridSpec, mincurv::{grid_mincurv, MincurvParams}};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 0.1, 0.1, 11.0, 11.0]).unwrap();
/// let (lon, lat) = (vec![0.0, 1.0, 0.0, 1.0, 0.5], vec![0.0, 0.0, 1.0, 1.0, 0.5]);
/// let z: Vec<f64> = lon.iter().zip(&lat).map(|(x, y)| 2.0 * x - y).collect();
/// let p = MincurvParams { tension: 0.25, convergence: 0.0, max_iterations: 500 };
/// let g = grid_mincurv(&lon, &lat, &z, &spec, p).unwrap();
/// assert!((g[5 * 11 + 5] - 0.5).abs() < 1e-9);
/// ```
pub fn grid_mincurv(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    spec: &GridSpec,
    params: MincurvParams,
) -> Result<Vec<f64>, GridError> {
    check_params(lon, lat, z, spec, params)?;
    let data = block_median_xy(lon, lat, z, spec);
    Ok(solve(data, spec, params))
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
) -> Result<Vec<f64>, GridError> {
    check_params(&lon, &lat, &z, spec, params)?;
    let data = block_median_xy(&lon, &lat, &z, spec);
    drop((lon, lat, z));
    Ok(solve(data, spec, params))
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

/// Steps 2 and 3 from the block-median data (consumed: the residuals are computed in place).
fn solve(mut data: Vec<Datum>, spec: &GridSpec, params: MincurvParams) -> Vec<f64> {
    let (nx, ny) = (spec.nx, spec.ny);
    let t = params.tension;
    if data.is_empty() {
        return vec![f64::NAN; nx * ny];
    }
    // 2. plane and scale
    let plane = fit_plane(&data);
    let eval_plane = |x: f64, y: f64| plane[0] + plane[1] * x + plane[2] * y;
    for d in &mut data {
        d.z -= eval_plane(d.x, d.y);
    }
    let resid = data;
    let rms = (resid.iter().map(|d| d.z * d.z).sum::<f64>() / resid.len() as f64).sqrt();
    let mut out = if rms > 0.0 && rms.is_finite() {
        let mut resid = resid;
        for d in &mut resid {
            d.z /= rms;
        }
        let limit = if params.convergence > 0.0 {
            params.convergence / rms
        } else {
            1e-4
        };
        let aspect =
            spec.dx * cos_lat(spec.lat(0) + 0.5 * (ny - 1) as f64 * spec.dy).abs() / spec.dy;
        let mut u = solve_multigrid(resid, nx, ny, t, aspect, limit, params.max_iterations);
        for v in &mut u {
            *v *= rms;
        }
        u
    } else {
        vec![0.0; nx * ny]
    };
    for j in 0..ny {
        for i in 0..nx {
            out[j * nx + i] += eval_plane(i as f64, j as f64);
        }
    }
    out
}

/// A datum in grid-index coordinates of the finest grid.
#[derive(Debug, Clone, Copy)]
struct Datum {
    x: f64,
    y: f64,
    z: f64,
}

fn median_of(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let h = v.len() / 2;
    if v.len() % 2 == 1 {
        v[h]
    } else {
        0.5 * (v[h - 1] + v[h])
    }
}

/// One datum per occupied node: median x, median y, median z of its block.
fn block_median_xy(lon: &[f64], lat: &[f64], z: &[f64], spec: &GridSpec) -> Vec<Datum> {
    let (nx, ny) = (spec.nx, spec.ny);
    let mut keyed: Vec<(u32, u32)> = Vec::with_capacity(lon.len());
    for p in 0..lon.len() {
        let fi = ((lon[p] - spec.west) / spec.dx).round_ties_even();
        let fj = ((lat[p] - spec.south) / spec.dy).round_ties_even();
        if fi >= 0.0 && fi < nx as f64 && fj >= 0.0 && fj < ny as f64 {
            keyed.push(((fj as usize * nx + fi as usize) as u32, p as u32));
        }
    }
    keyed.sort_unstable();
    let mut out = Vec::new();
    let (mut xs, mut ys, mut zs) = (Vec::new(), Vec::new(), Vec::new());
    let mut k = 0;
    while k < keyed.len() {
        let node = keyed[k].0;
        xs.clear();
        ys.clear();
        zs.clear();
        while k < keyed.len() && keyed[k].0 == node {
            let p = keyed[k].1 as usize;
            xs.push((lon[p] - spec.west) / spec.dx);
            ys.push((lat[p] - spec.south) / spec.dy);
            zs.push(z[p]);
            k += 1;
        }
        out.push(Datum {
            x: median_of(&mut xs),
            y: median_of(&mut ys),
            z: median_of(&mut zs),
        });
    }
    out
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

/// Solves on the finest grid (nx × ny) from coarse to fine; returns `u`.
fn solve_multigrid(
    data: Vec<Datum>,
    nx: usize,
    ny: usize,
    t: f64,
    aspect: f64,
    limit: f64,
    max_iter: u32,
) -> Vec<f64> {
    let mut s = 1usize;
    while (nx.min(ny) - 1).div_ceil(2 * s) >= 3 && (nx.max(ny) - 1) / (2 * s) >= 8 {
        s *= 2;
    }
    let mut prev: Option<Level> = None;
    loop {
        let mut level = Level::new(nx, ny, s, aspect, t);
        match &prev {
            None => {}
            Some(c) => level.interpolate_from(c),
        }
        level.set_data(&data);
        if s == 1 {
            // the finest level holds what it needs of the data; the coarser one is done with
            drop(data);
            drop(prev);
            level.iterate(limit, max_iter);
            return level.into_interior();
        }
        // Coarse levels converge further (GMT surface: limit / stride, iterations x stride):
        // their sweeps are cheap, and a better start saves sweeps on the finest grid.
        level.iterate(limit / s as f64, max_iter.saturating_mul(s as u32));
        prev = Some(level);
        s /= 2;
    }
}

/// One grid level with two ghost rows/columns on every side.
struct Level {
    n_x: usize,
    n_y: usize,
    stride: usize,
    w: usize,
    u: Vec<f64>,
    /// For constrained nodes: index into `con`, else `u32::MAX`.
    con_of: Vec<u32>,
    /// Constraints: (xi, eta, z).
    con: Vec<Constraint>,
    a2: f64,
    t: f64,
}

impl Level {
    fn new(nx: usize, ny: usize, stride: usize, aspect: f64, t: f64) -> Level {
        let n_x = (nx - 1).div_ceil(stride) + 1;
        let n_y = (ny - 1).div_ceil(stride) + 1;
        let w = n_x + 4;
        Level {
            n_x,
            n_y,
            stride,
            w,
            u: vec![0.0; w * (n_y + 4)],
            con_of: vec![u32::MAX; w * (n_y + 4)],
            con: Vec::new(),
            a2: aspect * aspect,
            t,
        }
    }

    #[inline(always)]
    fn at(&self, i: isize, j: isize) -> usize {
        ((j + 2) as usize) * self.w + (i + 2) as usize
    }

    /// Bilinear interpolation from the level of twice the stride.
    fn interpolate_from(&mut self, c: &Level) {
        for j in 0..self.n_y {
            let (cj, fy) = (j / 2, (j % 2) as f64 * 0.5);
            for i in 0..self.n_x {
                let (ci, fx) = (i / 2, (i % 2) as f64 * 0.5);
                let g = |di: usize, dj: usize| {
                    let (ii, jj) = ((ci + di).min(c.n_x - 1), (cj + dj).min(c.n_y - 1));
                    c.u[c.at(ii as isize, jj as isize)]
                };
                let v = (1.0 - fx) * (1.0 - fy) * g(0, 0)
                    + fx * (1.0 - fy) * g(1, 0)
                    + (1.0 - fx) * fy * g(0, 1)
                    + fx * fy * g(1, 1);
                let k = self.at(i as isize, j as isize);
                self.u[k] = v;
            }
        }
    }

    /// Keeps, per node, the datum nearest to it.
    fn set_data(&mut self, data: &[Datum]) {
        let s = self.stride as f64;
        for d in data {
            let (x, y) = (d.x / s, d.y / s);
            let (i, j) = (x.round_ties_even(), y.round_ties_even());
            if i < 0.0 || j < 0.0 || i >= self.n_x as f64 || j >= self.n_y as f64 {
                continue;
            }
            let (xi, eta) = (x - i, y - j);
            let r2 = xi * xi + eta * eta;
            let k = self.at(i as isize, j as isize);
            let slot = self.con_of[k];
            if slot == u32::MAX {
                self.con_of[k] = self.con.len() as u32;
                self.con.push((xi, eta, d.z));
            } else {
                // the distance² of the held datum, recomputed exactly as it was
                let (hx, he, _) = self.con[slot as usize];
                if r2 < hx * hx + he * he {
                    self.con[slot as usize] = (xi, eta, d.z);
                }
            }
        }
    }

    /// Refreshes the ghost nodes from the boundary conditions.
    fn fill_ghosts(&mut self) {
        let (nx, ny) = (self.n_x as isize, self.n_y as isize);
        let tb = self.t;
        let (c0, c1, cd) = (2.0 * (1.0 - tb), 1.0 - 1.5 * tb, 1.0 - 0.5 * tb);
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
            self.u[k] = (c0 * s0 - c1 * s1) / cd;
            let (n0, n1) = (self.u[self.at(i, ny - 1)], self.u[self.at(i, ny - 2)]);
            let k = self.at(i, ny);
            self.u[k] = (c0 * n0 - c1 * n1) / cd;
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

    /// Gauss-Seidel / SOR sweeps until the largest change is below `limit`.
    fn iterate(&mut self, limit: f64, max_iter: u32) {
        let (t, a2) = (self.t, self.a2);
        let a4 = a2 * a2;
        let l = 1.0 - t;
        let a0 = l * (6.0 + 6.0 * a4 + 8.0 * a2) + t * (2.0 + 2.0 * a2);
        let inv_a0 = 1.0 / a0;
        // coefficients of the neighbours
        let c_ew = l * (4.0 + 4.0 * a2) + t; // E, W
        let c_ns = l * (4.0 * a4 + 4.0 * a2) + t * a2; // N, S
        let c_ee = -l; // EE, WW
        let c_nn = -l * a4; // NN, SS
        let c_d = -2.0 * l * a2; // diagonals
        let w = self.w;
        let n_x = self.n_x;
        // SOR update u = (1 - ω) u + ω Σ cₖ uₖ / a₀, coefficients pre-scaled
        let keep = 1.0 - OMEGA;
        let (k_ew, k_ns) = (OMEGA * inv_a0 * c_ew, OMEGA * inv_a0 * c_ns);
        let (k_ee, k_nn, k_d) = (
            OMEGA * inv_a0 * c_ee,
            OMEGA * inv_a0 * c_nn,
            OMEGA * inv_a0 * c_d,
        );
        let coef = Coefficients {
            keep,
            k_ew,
            k_ns,
            k_ee,
            k_nn,
            k_d,
        };
        let sweep = out_of_line(sweep_row as SweepFn);
        for _ in 0..max_iter {
            self.fill_ghosts();
            let mut max_change: f64 = 0.0;
            for j in 0..self.n_y {
                let row = (j + 2) * w;
                // rows j-2, j-1 (read), j (read/write), j+1, j+2 (read)
                let (before, rest) = self.u.split_at_mut(row);
                let (cur, after) = rest.split_at_mut(w);
                let s2 = &before[row - 2 * w..row - w];
                let s1 = &before[row - w..row];
                let n1 = &after[..w];
                let n2 = &after[w..2 * w];
                let con_row = &self.con_of[row..row + w];
                let change = sweep(cur, [s2, s1, n1, n2], con_row, &self.con, &coef, n_x);
                max_change = max_change.max(change);
            }
            if max_change < limit {
                break;
            }
        }
    }

    /// The `n_x × n_y` interior (only used at stride 1, where it is the grid), compacted in
    /// place in `u` (no second grid-sized buffer).
    fn into_interior(mut self) -> Vec<f64> {
        drop(std::mem::take(&mut self.con_of));
        drop(std::mem::take(&mut self.con));
        let n_x = self.n_x;
        for j in 0..self.n_y {
            let k = self.at(0, j as isize);
            self.u.copy_within(k..k + n_x, j * n_x);
        }
        self.u.truncate(n_x * self.n_y);
        self.u.shrink_to_fit();
        self.u
    }
}

/// Pre-scaled SOR coefficients of [`sweep_row`].
struct Coefficients {
    keep: f64,
    k_ew: f64,
    k_ns: f64,
    k_ee: f64,
    k_nn: f64,
    k_d: f64,
}

/// A constraint: offsets `(xi, eta)` of the datum from its node (in cells) and its value.
type Constraint = (f64, f64, f64);

type SweepFn = fn(&mut [f64], [&[f64]; 4], &[u32], &[Constraint], &Coefficients, usize) -> f64;

/// One Gauss-Seidel / SOR sweep over the interior of row `cur` (nodes `2..n_x + 2`), with the
/// rows two and one below and one and two above in `[s2, s1, n1, n2]`; returns the largest
/// change. Called per row, out of line (see [`crate::tiering`]).
fn sweep_row(
    cur: &mut [f64],
    [s2, s1, n1, n2]: [&[f64]; 4],
    con_row: &[u32],
    con: &[Constraint],
    c: &Coefficients,
    n_x: usize,
) -> f64 {
    let mut max_change: f64 = 0.0;
    for i in 2..n_x + 2 {
        let old = cur[i];
        let new = if con_row[i] != u32::MAX {
            let (xi, eta, z) = con[con_row[i] as usize];
            z - 0.5 * xi * (cur[i + 1] - cur[i - 1]) - 0.5 * eta * (n1[i] - s1[i])
        } else {
            // u_W (just updated) enters last: a one-step dependency chain
            let rest = c.keep * old
                + c.k_ew * cur[i + 1]
                + c.k_ns * (n1[i] + s1[i])
                + c.k_ee * (cur[i + 2] + cur[i - 2])
                + c.k_nn * (n2[i] + s2[i])
                + c.k_d * (n1[i + 1] + n1[i - 1] + s1[i + 1] + s1[i - 1]);
            rest + c.k_ew * cur[i - 1]
        };
        cur[i] = new;
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
                    assert!((g[j * spec.nx + i] - want).abs() < 1e-8, "T={t} {i},{j}");
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
            assert!((g[j * 51 + i] - z[p]).abs() < 1e-3, "datum {p}");
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

    #[test]
    fn rms_within_ten_percent_of_gmt_surface() {
        use super::super::test_util::{col, interp_refs, rms};
        let fx = interp_refs();
        let spec = GridSpec::from_slice(&col(&fx, "spec")).unwrap();
        let (lon, lat, z) = (col(&fx, "lon"), col(&fx, "lat"), col(&fx, "z"));
        let truth = col(&fx, "truth");
        let gmt = col(&fx, "gmt_surface_t025");
        let g = grid_mincurv(&lon, &lat, &z, &spec, params(0.25)).unwrap();
        let (ours, n) = rms(&g, &truth);
        let (theirs, m) = rms(&gmt, &truth);
        println!("mincurv rms {ours} (gmt surface {theirs})");
        assert_eq!((n, m), (truth.len(), truth.len()));
        assert!(ours <= 1.1 * theirs, "rms {ours} vs gmt {theirs}");
    }
}

//! The data footprint of a grid: the distance from every node to the nearest point, by a
//! Euclidean distance transform of a sampled function (Felzenszwalb and Huttenlocher 2012,
//! "Distance transforms of sampled functions", Theory of Computing 8): linear passes over the
//! nodes, whatever the number of points, with no k-d tree.
//!
//! Each point is assigned to its nearest node (points beyond the grid to the nearest edge
//! node), whose seed is its closest assigned point; the transform finds for every node the
//! seed node `q` minimising `|node - q|² + |q - point(q)|²` in the gridding metric (longitude
//! differences scaled by the cosine of the node's latitude, degrees of latitude), and the
//! result is the distance from the node to the nearest of the points of `q` and its 8
//! neighbours: a distance to a real point, never shorter than the truth (to `f32` rounding of
//! the stored offsets), longer only when the nearest point belongs to none of those 9 nodes,
//! by less than one cell.
//!
//! This is the TypeScript transform of `src/compute/footprint.ts` moved into the core, the
//! same operations in the same order, so its distances are bit-identical to it; the cosines
//! of the rows' latitudes are the caller's (JavaScript's `Math.cos` and Rust's `cos` may
//! differ in the last bit).

/// Grid nodes of the transform: column 0 at `west`, row 0 at `south`, `spacing` degrees.
#[derive(Debug, Clone, Copy)]
pub struct FootprintLayout {
    /// Longitude of column 0, degrees.
    pub west: f64,
    /// Latitude of row 0, degrees.
    pub south: f64,
    /// Node spacing, degrees (both axes).
    pub spacing: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

/// Scratch of the 1-D transforms, `n` = the longer axis.
struct Envelope {
    f: Vec<f64>,
    v: Vec<usize>,
    z: Vec<f64>,
}

impl Envelope {
    fn new(n: usize) -> Self {
        Envelope {
            f: vec![0.0; n],
            v: vec![0; n],
            z: vec![0.0; n + 1],
        }
    }

    /// Lower envelope of the parabolas `w2 (q - p)² + f[p]` over `f[..n]`; returns the number
    /// of parabolas, 0 when every value is infinite.
    fn build(&mut self, n: usize, w2: f64) -> usize {
        let (f, v, z) = (&self.f, &mut self.v, &mut self.z);
        let mut k: isize = -1;
        for q in 0..n {
            let fq = f[q];
            if fq == f64::INFINITY {
                continue;
            }
            let qf = q as f64;
            let hq = fq + w2 * qf * qf;
            let mut s = f64::NEG_INFINITY;
            while k >= 0 {
                let p = v[k as usize];
                let pf = p as f64;
                s = (hq - (f[p] + w2 * pf * pf)) / (2.0 * w2 * (qf - pf));
                if s > z[k as usize] {
                    break;
                }
                k -= 1;
            }
            k += 1;
            v[k as usize] = q;
            z[k as usize] = if k == 0 { f64::NEG_INFINITY } else { s };
        }
        if k < 0 {
            return 0;
        }
        z[k as usize + 1] = f64::INFINITY;
        k as usize + 1
    }
}

/// Distance from every node to the nearest point, degrees of latitude, row-major (south
/// first); infinite everywhere when there are no points. `row_cos[j]` is the cosine of row `j`'s
/// latitude. Points must be finite.
///
/// ```
/// use gam_core::grid::footprint::{footprint_distance, FootprintLayout};
/// let layout = FootprintLayout { west: 0.0, south: 0.0, spacing: 1.0, nx: 3, ny: 1 };
/// assert_eq!(footprint_distance(&[0.0], &[0.0], &layout, &[1.0]), vec![0.0, 1.0, 2.0]);
/// ```
pub fn footprint_distance(
    lon: &[f64],
    lat: &[f64],
    layout: &FootprintLayout,
    row_cos: &[f64],
) -> Vec<f64> {
    let FootprintLayout {
        west,
        south,
        spacing,
        nx,
        ny,
    } = *layout;
    let cells = nx * ny;
    let mut d = vec![f64::INFINITY; cells];
    // Offsets of each seed node's closest point from the node, degrees, longitude and
    // latitude side by side (NaN: no point).
    let mut off = vec![f32::NAN; 2 * cells];
    if cells == 0 {
        return d;
    }
    let inv = 1.0 / spacing;
    for (&x, &y) in lon.iter().zip(lat) {
        let fi = ((x - west) * inv + 0.5).floor();
        let fj = ((y - south) * inv + 0.5).floor();
        let i = if fi < 0.0 {
            0
        } else if fi >= nx as f64 {
            nx - 1
        } else {
            fi as usize
        };
        let j = if fj < 0.0 {
            0
        } else if fj >= ny as f64 {
            ny - 1
        } else {
            fj as usize
        };
        let ox = x - (west + i as f64 * spacing);
        let oy = y - (south + j as f64 * spacing);
        let dx = ox * row_cos[j];
        let d2 = dx * dx + oy * oy;
        let k = j * nx + i;
        if d2 < d[k] {
            d[k] = d2;
            off[2 * k] = ox as f32;
            off[2 * k + 1] = oy as f32;
        }
    }
    let mut env = Envelope::new(nx.max(ny));
    // Columns (north-south, spacing in degrees of latitude): values and argmin rows. Columns
    // are taken `BLOCK` at a time through a column-major copy, so that each grid row is read
    // and written in runs of `BLOCK` values instead of one value per cache line.
    const BLOCK: usize = 16;
    let mut row = vec![0i32; cells];
    let mut tile = vec![0.0f64; BLOCK * ny];
    let mut tile_arg = vec![0i32; BLOCK * ny];
    let w2 = spacing * spacing;
    for i0 in (0..nx).step_by(BLOCK) {
        let width = BLOCK.min(nx - i0);
        for q in 0..ny {
            let src = &d[q * nx + i0..q * nx + i0 + width];
            for (b, &x) in src.iter().enumerate() {
                tile[b * ny + q] = x;
            }
        }
        for b in 0..width {
            let column = &mut tile[b * ny..(b + 1) * ny];
            let args = &mut tile_arg[b * ny..(b + 1) * ny];
            env.f[..ny].copy_from_slice(column);
            if env.build(ny, w2) == 0 {
                args.fill(-1);
                continue;
            }
            let mut j = 0;
            for (q, (value, arg)) in column.iter_mut().zip(args.iter_mut()).enumerate() {
                let qf = q as f64;
                while env.z[j + 1] < qf {
                    j += 1;
                }
                let p = env.v[j];
                let pf = p as f64;
                *value = w2 * (qf - pf) * (qf - pf) + env.f[p];
                *arg = p as i32;
            }
        }
        for q in 0..ny {
            for b in 0..width {
                d[q * nx + i0 + b] = tile[b * ny + q];
                row[q * nx + i0 + b] = tile_arg[b * ny + q];
            }
        }
    }
    // Rows with each row's own longitude scale, keeping the argmin columns, then the distance
    // to the nearest point of the chosen seed and its 8 neighbours.
    let mut col = vec![0usize; nx];
    for (j, &c2) in row_cos.iter().enumerate().take(ny) {
        let w = spacing * c2;
        let w2 = (w * w).max(1e-300);
        let base = j * nx;
        env.f[..nx].copy_from_slice(&d[base..base + nx]);
        if env.build(nx, w2) == 0 {
            d[base..base + nx].fill(f64::INFINITY); // no point at all
            continue;
        }
        let mut m = 0;
        for (q, c) in col.iter_mut().enumerate() {
            while env.z[m + 1] < q as f64 {
                m += 1;
            }
            *c = env.v[m];
        }
        distance_row(&mut d[base..base + nx], &row, &col, &off, j, layout, c2);
    }
    d
}

/// The distances of row `j` (see [`footprint_distance`]); `c2` is the cosine of its latitude.
fn distance_row(
    d: &mut [f64],
    row: &[i32],
    col: &[usize],
    off: &[f32],
    j: usize,
    layout: &FootprintLayout,
    c2: f64,
) {
    let FootprintLayout {
        spacing, nx, ny, ..
    } = *layout;
    let base = j * nx;
    let jf = j as f64;
    for (i, out) in d.iter_mut().enumerate() {
        let c = col[i];
        let r = row[base + c] as isize;
        let fi = i as f64;
        let mut best = f64::INFINITY;
        let (r_lo, r_hi) = ((r - 1).max(0) as usize, ((r + 1) as usize).min(ny - 1));
        let (c_lo, c_hi) = (c.saturating_sub(1), (c + 1).min(nx - 1));
        for rr in r_lo..=r_hi {
            let dy_node = (rr as f64 - jf) * spacing;
            for cc in c_lo..=c_hi {
                let q = 2 * (rr * nx + cc);
                let ox = off[q];
                if ox.is_nan() {
                    continue;
                }
                let dx = ((cc as f64 - fi) * spacing + ox as f64) * c2;
                let dy = dy_node + off[q + 1] as f64;
                let e = dx * dx + dy * dy;
                if e < best {
                    best = e;
                }
            }
        }
        *out = best.sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(lon: &[f64], lat: &[f64], l: &FootprintLayout) -> Vec<f64> {
        let mut out = vec![f64::INFINITY; l.nx * l.ny];
        for j in 0..l.ny {
            let y = l.south + j as f64 * l.spacing;
            let c = y.to_radians().cos();
            for i in 0..l.nx {
                let x = l.west + i as f64 * l.spacing;
                for (&px, &py) in lon.iter().zip(lat) {
                    let e = ((px - x) * c).hypot(py - y);
                    if e < out[j * l.nx + i] {
                        out[j * l.nx + i] = e;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn within_one_cell_of_brute_force_and_never_shorter() {
        let l = FootprintLayout {
            west: 10.0,
            south: 60.0,
            spacing: 0.02,
            nx: 51,
            ny: 41,
        };
        let mut rng = crate::test_rng::Lcg(13);
        let mut r = || rng.unit();
        let (mut lon, mut lat) = (Vec::new(), Vec::new());
        for k in 0..300 {
            lon.push(if k % 2 == 1 { 10.1 } else { 10.8 } + 0.15 * r());
            lat.push(if k % 2 == 1 { 60.05 } else { 60.7 } + 0.4 * r());
        }
        let cos: Vec<f64> = (0..l.ny)
            .map(|j| (l.south + j as f64 * l.spacing).to_radians().cos())
            .collect();
        let got = footprint_distance(&lon, &lat, &l, &cos);
        let want = brute(&lon, &lat, &l);
        let mut sum = 0.0;
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < l.spacing, "{g} vs {w}");
            assert!(*g >= w - 1e-6 * l.spacing, "{g} shorter than {w}");
            sum += (g - w).abs();
        }
        assert!(sum / (got.len() as f64) < 0.1 * l.spacing);
    }

    #[test]
    fn no_points_is_infinite_everywhere() {
        let l = FootprintLayout {
            west: 0.0,
            south: 0.0,
            spacing: 1.0,
            nx: 3,
            ny: 2,
        };
        let d = footprint_distance(&[], &[], &l, &[1.0, 1.0]);
        assert!(d.iter().all(|x| *x == f64::INFINITY));
    }
}

//! Regional fields for anomaly detection: a least-squares polynomial trend of order 1
//! (plane) or 2 (quadric) over the valid cells (as `grdtrend -N3` / `-N6`), in centred
//! coordinates scaled to [-1, 1], solved from the normal equations by Gaussian elimination
//! with partial pivoting; or a Gaussian low-pass ([`crate::filters::gaussian`]).

/// Polynomial trend of `order` 1 or 2 evaluated at every cell (NaN cells get the trend
/// value too). Returns `None` when there are fewer valid cells than terms or the system is
/// singular.
pub fn poly_trend(grid: &[f64], nx: usize, ny: usize, order: u32) -> Option<Vec<f64>> {
    let nt = if order >= 2 { 6 } else { 3 };
    let sx = ((nx as f64 - 1.0) / 2.0).max(1.0);
    let sy = ((ny as f64 - 1.0) / 2.0).max(1.0);
    let terms = |i: usize, j: usize| -> [f64; 6] {
        let x = (j as f64 - (nx as f64 - 1.0) / 2.0) / sx;
        let y = (i as f64 - (ny as f64 - 1.0) / 2.0) / sy;
        [1.0, x, y, x * x, x * y, y * y]
    };
    let mut a = [[0.0f64; 7]; 6];
    let mut count = 0;
    for i in 0..ny {
        for j in 0..nx {
            let z = grid[i * nx + j];
            if z.is_nan() {
                continue;
            }
            count += 1;
            let t = terms(i, j);
            for r in 0..nt {
                for c in 0..nt {
                    a[r][c] += t[r] * t[c];
                }
                a[r][6] += t[r] * z;
            }
        }
    }
    if count < nt {
        return None;
    }
    // Gaussian elimination with partial pivoting on the nt x nt system.
    for p in 0..nt {
        let piv = (p..nt).max_by(|&u, &v| a[u][p].abs().total_cmp(&a[v][p].abs()))?;
        if a[piv][p].abs() < 1e-12 * count as f64 {
            return None;
        }
        a.swap(p, piv);
        let pivot_row = a[p];
        for row in a.iter_mut().take(nt).skip(p + 1) {
            let f = row[p] / pivot_row[p];
            for (x, &y) in row.iter_mut().zip(&pivot_row).skip(p) {
                *x -= f * y;
            }
        }
    }
    let mut coef = [0.0f64; 6];
    for p in (0..nt).rev() {
        let mut s = a[p][6];
        for c in p + 1..nt {
            s -= a[p][c] * coef[c];
        }
        coef[p] = s / a[p][p];
    }
    let mut out = vec![0.0; nx * ny];
    for i in 0..ny {
        for j in 0..nx {
            let t = terms(i, j);
            out[i * nx + j] = (0..nt).map(|k| coef[k] * t[k]).sum();
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poly_trend_recovers_a_quadric_and_a_plane() {
        let (nx, ny) = (15, 11);
        let q = |i: usize, j: usize| {
            let (x, y) = (j as f64, i as f64);
            3.0 + 0.5 * x - 0.2 * y + 0.01 * x * x - 0.03 * x * y + 0.02 * y * y
        };
        let mut g: Vec<f64> = (0..nx * ny).map(|k| q(k / nx, k % nx)).collect();
        g[7] = f64::NAN;
        let t = poly_trend(&g, nx, ny, 2).unwrap();
        for (k, &tk) in t.iter().enumerate() {
            assert!((tk - q(k / nx, k % nx)).abs() < 1e-9);
        }
        let p: Vec<f64> = (0..nx * ny).map(|k| 1.0 + (k % nx) as f64).collect();
        let t = poly_trend(&p, nx, ny, 1).unwrap();
        assert!(t.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-9));
        assert!(poly_trend(&[f64::NAN; 4], 2, 2, 1).is_none());
    }
}

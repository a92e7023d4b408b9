//! The spectral pipeline (see the module docs of [`crate::spectral`]): detrend, fill,
//! extend and taper, FFT, transfer function, inverse, crop, plane and NaN restored.

use rustfft::num_complex::Complex64;

use super::{
    detrend::fit_plane,
    fft2::Fft2,
    fill::laplace_fill,
    pad::{crop, extend, Layout},
    transfer::{Op, Transfer},
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

/// Detrended, filled, padded grid and its spectrum.
struct Prepared {
    layout: Layout,
    fft: Fft2,
    spec: Vec<Complex64>,
    plane: Vec<f64>,
    holes: Vec<usize>,
}

fn prepare(grid: &[f64], nx: usize, ny: usize) -> Result<Prepared, SpectralError> {
    let plane = fit_plane(grid, nx, ny).ok_or(SpectralError::AllNan)?;
    let mut plane_grid = vec![0.0; nx * ny];
    let mut resid = vec![0.0; nx * ny];
    for i in 0..ny {
        for j in 0..nx {
            let k = i * nx + j;
            plane_grid[k] = plane.at(i, j);
            resid[k] = grid[k] - plane_grid[k];
        }
    }
    let holes = laplace_fill(&mut resid, nx, ny);
    let layout = Layout::new(nx, ny);
    let padded = extend(&resid, &layout);
    drop(resid);
    let fft = Fft2::new(layout.nx2, layout.ny2);
    let spec = fft.forward(padded);
    Ok(Prepared {
        layout,
        fft,
        spec,
        plane: plane_grid,
        holes,
    })
}

/// Multiplies `spec` (`nc × ny2`, transposed) by `H·scale` and inverts; returns the crop.
fn apply_one(p: &Prepared, mut spec: Vec<Complex64>, h: &Transfer, dx: f64, dy: f64) -> Vec<f64> {
    let l = &p.layout;
    let scale = 1.0 / (l.nx2 as f64 * l.ny2 as f64);
    let kys: Vec<f64> = (0..l.ny2).map(|r| fftfreq_k(r, l.ny2, dy)).collect();
    for (c, col) in spec.chunks_exact_mut(l.ny2).enumerate() {
        let kx = std::f64::consts::TAU * c as f64 / (l.nx2 as f64 * dx);
        for (v, &ky) in col.iter_mut().zip(&kys) {
            *v *= h.at(kx, ky) * scale;
        }
    }
    crop(&p.fft.inverse(spec), l)
}

/// Applies a spectral operator to a row-major `nx` by `ny` grid (NaN = nodata) with cell
/// sizes `dx_km` (east) and `dy_km` (north). Returns `nx * ny` values; NaN cells stay NaN.
///
/// # Errors
/// [`SpectralError`] for a bad shape, non-positive cell size, or an all-NaN grid.
///
/// # Example
/// ```
/// use gam_core::spectral::{apply::fft_filter, transfer::Op};
/// let g: Vec<f64> = (0..32 * 24).map(|k| ((k % 32) as f64 * 0.4).sin()).collect();
/// let op = Op::parse("upward", &[1000.0]).unwrap();
/// let out = fft_filter(&g, 32, 24, 1.0, 1.0, &op).unwrap();
/// assert_eq!(out.len(), g.len());
/// ```
pub fn fft_filter(
    grid: &[f64],
    nx: usize,
    ny: usize,
    dx_km: f64,
    dy_km: f64,
    op: &Op,
) -> Result<Vec<f64>, SpectralError> {
    if nx < 2 || ny < 2 || nx.checked_mul(ny) != Some(grid.len()) {
        return Err(SpectralError::BadShape {
            nx,
            ny,
            len: grid.len(),
        });
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
    let mut p = prepare(grid, nx, ny)?;
    let single = |t: Transfer| Some(t);
    let one = match *op {
        Op::Bandpass(b) => single(Transfer::Band(b)),
        Op::Upward(h) => single(Transfer::Upward(h)),
        Op::VerticalDerivative => single(Transfer::Dz),
        Op::DerivativeX => single(Transfer::Dx),
        Op::DerivativeY => single(Transfer::Dy),
        Op::Rtp {
            inclination,
            declination,
            min_inclination,
        } => single(Transfer::rtp(inclination, declination, min_inclination)),
        Op::TotalGradient | Op::Tilt => None,
    };
    let mut out = match one {
        Some(t) => {
            let spec = std::mem::take(&mut p.spec);
            let mut out = apply_one(&p, spec, &t, dx_km, dy_km);
            if t.passes_dc() {
                for (o, pl) in out.iter_mut().zip(&p.plane) {
                    *o += pl;
                }
            }
            out
        }
        None => {
            let gx = apply_one(&p, p.spec.clone(), &Transfer::Dx, dx_km, dy_km);
            let gy = apply_one(&p, p.spec.clone(), &Transfer::Dy, dx_km, dy_km);
            let spec = std::mem::take(&mut p.spec);
            let gz = apply_one(&p, spec, &Transfer::Dz, dx_km, dy_km);
            let tilt = matches!(op, Op::Tilt);
            gx.iter()
                .zip(&gy)
                .zip(&gz)
                .map(|((&x, &y), &z)| {
                    let h = (x * x + y * y).sqrt();
                    if tilt {
                        z.atan2(h)
                    } else {
                        (h * h + z * z).sqrt()
                    }
                })
                .collect()
        }
    };
    for &k in &p.holes {
        out[k] = f64::NAN;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let got = fft_filter(&g0, nx, ny, 1.0, 1.0, &op).unwrap();
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
            let kept = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::parse(name, keep).unwrap()).unwrap();
            let a = amplitude(&kept, nx, ny, l);
            assert!((a - 1.0).abs() < 0.01, "{name} keep: amplitude {a}");
            let gone = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::parse(name, cut).unwrap()).unwrap();
            let a = amplitude(&gone, nx, ny, l);
            assert!(a < 0.01, "{name} cut: amplitude {a}");
        }
    }

    #[test]
    fn detrend_removes_a_plane_from_a_highpass() {
        let (nx, ny) = (50, 40);
        let g = grid_of(nx, ny, |x, y| 100.0 + 3.0 * x - 2.0 * y);
        let op = Op::parse("bandpass-gaussian", &[20.0, 0.0]).unwrap();
        let out = fft_filter(&g, nx, ny, 1.0, 1.0, &op).unwrap();
        let worst = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(worst < 1e-9, "plane leaked: {worst}");
        // A low-pass passes DC, so the plane comes back unchanged.
        let op = Op::parse("bandpass-gaussian", &[0.0, 5.0]).unwrap();
        let out = fft_filter(&g, nx, ny, 1.0, 1.0, &op).unwrap();
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
            let out = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::parse(name, &[]).unwrap()).unwrap();
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
        let dx = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::DerivativeX).unwrap();
        let dz = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::VerticalDerivative).unwrap();
        let tilt = fft_filter(&g, nx, ny, 1.0, 1.0, &Op::Tilt).unwrap();
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
        let pole = fft_filter(
            &g,
            nx,
            ny,
            1.0,
            1.0,
            &Op::parse("rtp", &[90.0, 0.0]).unwrap(),
        )
        .unwrap();
        let hp = fft_filter(
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
        let e = fft_filter(&g, 4, 3, 0.0, 1.0, &Op::Tilt).unwrap_err();
        assert!(e.to_string().contains("`dx_km`"));
        assert!(fft_filter(&[f64::NAN; 4], 2, 2, 1.0, 1.0, &Op::Tilt).is_err());
        assert!(Op::parse("bandpass-gaussian", &[5.0, 10.0])
            .unwrap_err()
            .to_string()
            .contains("`lo_km`"));
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

//! Transfer functions `H(kx, ky)` of the spectral operators, wavenumbers in rad/km
//! (`k = 2π·f`, `f` from numpy's `fftfreq(n, d_km)`), `x` east, `y` north, `z` down.
//!
//! Band-pass shapes follow GMT `grdfft -F` with wavelengths in km; `high_km` is the long
//! wavelength limit (GMT's first value; 0 = no long-wavelength cut, i.e. low-pass) and
//! `low_km` the short one (0 = no short-wavelength cut, i.e. high-pass):
//! - Gaussian: `H = L(low) - L(high)`, `L(λ) = exp(-ln2·(kλ/2π)²)`: weight ½ at each wavelength
//!   (GMT `-F high/low`).
//! - Butterworth of order `n`: `H = B(low) - B(high)`, `B(λ) = 1/√(1 + (kλ/2π)^(2n))`: the
//!   standard order-n amplitude response, ½ power at the cut-off. GMT's code uses the
//!   exponent `order` instead of `2n`, so our `n` is GMT's order / 2.
//! - Cosine taper with four wavelengths `lc >= lp > hp >= hc` (GMT `-F lc/lp/hp/hc`): 0 for
//!   wavelengths longer than `lc` or shorter than `hc`, 1 between `lp` and `hp`,
//!   `½(1 + cos(π(k - k_lp)/(k_lp - k_lc)))` and `½(1 + cos(π(k - k_hp)/(k_hc - k_hp)))` in
//!   the tapers (GMT's `cosine_weight_grdfft`). Zeros disable a side. The two-value form
//!   `high/low` means weight ½ at `high` and `low` with tapers spanning `[⅔k, ⁴⁄₃k]` around each:
//!   `lc = 1.5·high, lp = 0.75·high, hp = 1.5·low, hc = 0.75·low`.
//!
//! Potential-field operators (Blakely 1995, ch. 12):
//! - upward continuation by `h` km: `exp(-|k|·h)` (GMT `-C`);
//! - first vertical derivative (z down): `|k|` (GMT `-D`), units per km;
//! - horizontal derivatives: `i·kx`, `i·ky`, units per km;
//! - reduction to the pole for induced magnetisation along the field (inclination `I`,
//!   declination `D`): with `θ = sin I + i·cos I·cos(D - φ)`, `cos(D - φ) = (kx sin D +
//!   ky cos D)/|k|`, `H = conj(θ)² / (|θa|²·|θ|²)` where `|θa|² = sin²Ia + cos²Ia·cos²(D - φ)`
//!   and `Ia = max(|I|, min_inclination)`. For `Ia = |I|` this is exactly `1/θ²`; for low
//!   inclinations the amplitude-correction inclination `Ia` (Geosoft MAGMAP's "inclination
//!   for amplitude correction") bounds the gain `1/(|θa|·|θ|)` near `D - φ = ±90°`, where
//!   `1/θ²` would blow up. `H(0) = 0` (the detrended mean is not reduced).

use rustfft::num_complex::Complex64;

use super::SpectralError;

/// Band-pass shape and wavelengths (km, 0 = side disabled).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    /// GMT Gaussian band-pass `high/low`.
    Gaussian {
        /// Long-wavelength limit (km).
        high: f64,
        /// Short-wavelength limit (km).
        low: f64,
    },
    /// Butterworth band-pass of order `order`.
    Butterworth {
        /// Long-wavelength limit (km).
        high: f64,
        /// Short-wavelength limit (km).
        low: f64,
        /// Order `n` (amplitude falls as `(λ/λc)^n`).
        order: f64,
    },
    /// GMT cosine-taper band-pass `lc/lp/hp/hc`.
    Cosine {
        /// Longest wavelength passed with weight > 0.
        lc: f64,
        /// Longest wavelength passed fully.
        lp: f64,
        /// Shortest wavelength passed fully.
        hp: f64,
        /// Shortest wavelength passed with weight > 0.
        hc: f64,
    },
}

/// A spectral operator with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// Band-pass (see [`Band`]).
    Bandpass(Band),
    /// Upward continuation by this height (km).
    Upward(f64),
    /// First vertical derivative.
    VerticalDerivative,
    /// Derivative along x (east).
    DerivativeX,
    /// Derivative along y (north).
    DerivativeY,
    /// `√(dx² + dy² + dz²)`.
    TotalGradient,
    /// `atan2(dz, √(dx² + dy²))`, radians.
    Tilt,
    /// Reduction to the pole.
    Rtp {
        /// Field inclination (degrees).
        inclination: f64,
        /// Field declination (degrees).
        declination: f64,
        /// Amplitude-correction inclination used is `max(|I|, this)` (degrees).
        min_inclination: f64,
    },
}

/// Default minimum amplitude-correction inclination for RTP (degrees).
pub const RTP_MIN_INCLINATION: f64 = 20.0;

fn bad(name: &'static str, value: f64, expected: &'static str) -> SpectralError {
    SpectralError::BadParam {
        name,
        value,
        expected,
    }
}

fn wavelength(name: &'static str, v: f64) -> Result<f64, SpectralError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(bad(
            name,
            v,
            "a wavelength in km >= 0 (0 disables that side)",
        ))
    }
}

impl Op {
    /// Parses an operator name and its parameter list (the wasm boundary's `op`, `params`):
    /// - `bandpass-gaussian`: `[high_km, low_km]`
    /// - `bandpass-butterworth`: `[high_km, low_km, order]`
    /// - `bandpass-cosine`: `[high_km, low_km]` or `[lc_km, lp_km, hp_km, hc_km]`
    /// - `upward`: `[height_m]`
    /// - `vertical-derivative`, `derivative-x`, `derivative-y`, `total-gradient`, `tilt`: `[]`
    /// - `rtp`: `[inclination_deg, declination_deg]` or with `min_inclination_deg` third
    ///   (default [`RTP_MIN_INCLINATION`]).
    ///
    /// # Errors
    /// [`SpectralError`] naming the operator or parameter.
    pub fn parse(op: &str, p: &[f64]) -> Result<Op, SpectralError> {
        let count = |expected: &'static str| SpectralError::BadParamCount {
            op: op.to_string(),
            got: p.len(),
            expected,
        };
        let two_sided = |high: f64, low: f64| -> Result<(f64, f64), SpectralError> {
            let (high, low) = (wavelength("high_km", high)?, wavelength("low_km", low)?);
            if high == 0.0 && low == 0.0 {
                return Err(bad(
                    "high_km",
                    high,
                    "> 0 when low_km is 0 (one side must be set)",
                ));
            }
            if high > 0.0 && low > 0.0 && high <= low {
                return Err(bad(
                    "high_km",
                    high,
                    "longer than low_km (high_km > low_km)",
                ));
            }
            Ok((high, low))
        };
        let none = |o: Op| {
            if p.is_empty() {
                Ok(o)
            } else {
                Err(count("no values"))
            }
        };
        match op {
            "bandpass-gaussian" => match p {
                [high, low] => {
                    let (high, low) = two_sided(*high, *low)?;
                    Ok(Op::Bandpass(Band::Gaussian { high, low }))
                }
                _ => Err(count("[high_km, low_km]")),
            },
            "bandpass-butterworth" => match p {
                [high, low, order] => {
                    let (high, low) = two_sided(*high, *low)?;
                    if !(order.is_finite() && *order >= 1.0) {
                        return Err(bad("order", *order, "a number >= 1"));
                    }
                    Ok(Op::Bandpass(Band::Butterworth {
                        high,
                        low,
                        order: *order,
                    }))
                }
                _ => Err(count("[high_km, low_km, order]")),
            },
            "bandpass-cosine" => {
                let (lc, lp, hp, hc) = match p {
                    [high, low] => {
                        let (high, low) = two_sided(*high, *low)?;
                        (1.5 * high, 0.75 * high, 1.5 * low, 0.75 * low)
                    }
                    [a, b, c, d] => (
                        wavelength("lc_km", *a)?,
                        wavelength("lp_km", *b)?,
                        wavelength("hp_km", *c)?,
                        wavelength("hc_km", *d)?,
                    ),
                    _ => return Err(count("[high_km, low_km] or [lc_km, lp_km, hp_km, hc_km]")),
                };
                if (lc == 0.0) != (lp == 0.0) || (hp == 0.0) != (hc == 0.0) {
                    return Err(bad(
                        "lc_km",
                        lc,
                        "0 together with lp_km (and hp_km with hc_km)",
                    ));
                }
                if lc == 0.0 && hp == 0.0 {
                    return Err(bad(
                        "lc_km",
                        lc,
                        "> 0 when hp_km is 0 (one side must be set)",
                    ));
                }
                if lc > 0.0 && lc < lp {
                    return Err(bad("lc_km", lc, ">= lp_km"));
                }
                if hp > 0.0 && hp < hc {
                    return Err(bad("hp_km", hp, ">= hc_km"));
                }
                if lp > 0.0 && hp > 0.0 && lp <= hp {
                    return Err(bad(
                        "lp_km",
                        lp,
                        "> hp_km (the pass band must not be empty)",
                    ));
                }
                Ok(Op::Bandpass(Band::Cosine { lc, lp, hp, hc }))
            }
            "upward" => match p {
                [h] if h.is_finite() && *h >= 0.0 => Ok(Op::Upward(h / 1000.0)),
                [h] => Err(bad("height_m", *h, "a finite height in metres >= 0")),
                _ => Err(count("[height_m]")),
            },
            "vertical-derivative" => none(Op::VerticalDerivative),
            "derivative-x" => none(Op::DerivativeX),
            "derivative-y" => none(Op::DerivativeY),
            "total-gradient" => none(Op::TotalGradient),
            "tilt" => none(Op::Tilt),
            "rtp" => {
                let (inc, dec, min) = match p {
                    [i, d] => (*i, *d, RTP_MIN_INCLINATION),
                    [i, d, m] => (*i, *d, *m),
                    _ => {
                        return Err(count(
                            "[inclination_deg, declination_deg] or with min_inclination_deg",
                        ))
                    }
                };
                if !(inc.is_finite() && (-90.0..=90.0).contains(&inc)) {
                    return Err(bad("inclination_deg", inc, "in [-90, 90]"));
                }
                if !dec.is_finite() {
                    return Err(bad("declination_deg", dec, "finite"));
                }
                if !(min.is_finite() && (0.0..=90.0).contains(&min)) || inc.abs().max(min) == 0.0 {
                    return Err(bad(
                        "min_inclination_deg",
                        min,
                        "in [0, 90], and > 0 when the inclination is 0",
                    ));
                }
                Ok(Op::Rtp {
                    inclination: inc,
                    declination: dec,
                    min_inclination: min,
                })
            }
            _ => Err(SpectralError::UnknownOp { op: op.to_string() }),
        }
    }
}

/// Gaussian low-pass with weight ½ at wavelength `lambda` (km), `exp(-ln2·(k·λ/2π)²)`.
/// Separable: `gauss_lp(√(kx² + ky²), λ) = gauss_lp(kx, λ)·gauss_lp(ky, λ)` up to rounding.
pub fn gauss_lp(k: f64, lambda: f64) -> f64 {
    let x = k * lambda / std::f64::consts::TAU;
    let e = -std::f64::consts::LN_2 * x * x;
    // exp underflows to 0 below -745; skipping the call avoids libm's slow underflow path.
    if e < -745.0 {
        0.0
    } else {
        e.exp()
    }
}

fn butter_lp(k: f64, lambda: f64, n: f64) -> f64 {
    let x = k * lambda / std::f64::consts::TAU;
    1.0 / (1.0 + x.powf(2.0 * n)).sqrt()
}

impl Band {
    /// Real weight at radial wavenumber `k` (rad/km).
    pub fn weight(&self, k: f64) -> f64 {
        match *self {
            Band::Gaussian { high, low } => {
                let h = if low > 0.0 { gauss_lp(k, low) } else { 1.0 };
                let l = if high > 0.0 { gauss_lp(k, high) } else { 0.0 };
                h - l
            }
            Band::Butterworth { high, low, order } => {
                let h = if low > 0.0 {
                    butter_lp(k, low, order)
                } else {
                    1.0
                };
                let l = if high > 0.0 {
                    butter_lp(k, high, order)
                } else {
                    0.0
                };
                h - l
            }
            Band::Cosine { lc, lp, hp, hc } => {
                let tau = std::f64::consts::TAU;
                let pi = std::f64::consts::PI;
                let mut w = 1.0;
                if lc > 0.0 {
                    let (klc, klp) = (tau / lc, tau / lp);
                    if k <= klc {
                        w = 0.0;
                    } else if k < klp {
                        w *= 0.5 * (1.0 + (pi * (k - klp) / (klp - klc)).cos());
                    }
                }
                if hp > 0.0 {
                    let (khp, khc) = (tau / hp, tau / hc);
                    if k >= khc {
                        w = 0.0;
                    } else if k > khp {
                        w *= 0.5 * (1.0 + (pi * (k - khp) / (khc - khp)).cos());
                    }
                }
                w
            }
        }
    }
}

/// Single-output transfer functions (total gradient and tilt combine three of these).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transfer {
    /// Real radial weight of a band-pass.
    Band(Band),
    /// `exp(-|k| h)`, `h` in km.
    Upward(f64),
    /// `|k|`.
    Dz,
    /// `i kx`.
    Dx,
    /// `i ky`.
    Dy,
    /// RTP with `(sin I, cos I, sin D, cos D, sin²Ia, cos²Ia)`.
    Rtp([f64; 6]),
}

impl Transfer {
    /// RTP transfer from degrees.
    pub fn rtp(inclination: f64, declination: f64, min_inclination: f64) -> Self {
        let (si, ci) = inclination.to_radians().sin_cos();
        let (sd, cd) = declination.to_radians().sin_cos();
        let ia = inclination.abs().max(min_inclination).to_radians();
        Transfer::Rtp([si, ci, sd, cd, ia.sin().powi(2), ia.cos().powi(2)])
    }

    /// `H(kx, ky)` (rad/km).
    pub fn at(&self, kx: f64, ky: f64) -> Complex64 {
        let k = (kx * kx + ky * ky).sqrt();
        match *self {
            Transfer::Band(b) => Complex64::new(b.weight(k), 0.0),
            Transfer::Upward(h) => Complex64::new((-k * h).exp(), 0.0),
            Transfer::Dz => Complex64::new(k, 0.0),
            Transfer::Dx => Complex64::new(0.0, kx),
            Transfer::Dy => Complex64::new(0.0, ky),
            Transfer::Rtp([si, ci, sd, cd, sa2, ca2]) => {
                if k == 0.0 {
                    return Complex64::new(0.0, 0.0);
                }
                let c = (kx * sd + ky * cd) / k;
                let theta = Complex64::new(si, ci * c);
                let ta2 = sa2 + ca2 * c * c;
                let t2 = theta.norm_sqr();
                theta.conj() * theta.conj() / (ta2 * t2)
            }
        }
    }

    /// Whether `H` depends on `|k|` only (band-pass, upward continuation, vertical
    /// derivative), so `H(kx, ky) = H(kx, -ky)` bit for bit.
    pub fn is_radial(&self) -> bool {
        matches!(self, Transfer::Band(_) | Transfer::Upward(_) | Transfer::Dz)
    }

    /// The `(high, low)` wavelengths (km, 0 = side disabled) of a Gaussian band-pass, whose
    /// weight `gauss_lp(k, low) - gauss_lp(k, high)` factors into per-axis terms.
    pub fn gaussian_band(&self) -> Option<(f64, f64)> {
        match *self {
            Transfer::Band(Band::Gaussian { high, low }) => Some((high, low)),
            _ => None,
        }
    }

    /// Whether `H(0, 0) = 1`, i.e. the plane removed before the transform passes unchanged
    /// and is added back.
    pub fn passes_dc(&self) -> bool {
        self.at(0.0, 0.0) == Complex64::new(1.0, 0.0)
    }
}

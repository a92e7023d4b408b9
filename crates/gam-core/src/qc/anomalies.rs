//! Anomaly flagging: remove a regional field (a least-squares plane plus the Gaussian
//! low-pass of `sigma` cells of the data minus that plane — removing the plane first keeps
//! the edge-truncated kernel from bending a regional gradient near the edges — or a
//! polynomial trend of order 1 or 2), take the robust z-score of the residual
//! `z = (r - median(r)) / (1.4826·MAD(r))`, keep cells with `|z| > threshold`, label
//! positive and negative cells separately into 8-connected components, drop components of
//! fewer than `min_cells` cells, and describe each one:
//! - centroid lon/lat weighted by `|r - median(r)|`;
//! - peak: the cell of largest `|z|`; its residual (signed) and `z`;
//! - cell count and area in km²: each node stands for `dx·cos(lat)·K × dy·K`,
//!   `K` = [`super::KM_PER_DEG`];
//! - confidence `= (1 - exp(-(|peak z| - threshold))) · (1 - exp(-cells / 4))`, in [0, 1):
//!   rises with how far the peak clears the threshold (1 sigma above it gives 0.63) and
//!   with size (a single cell is damped to 0.22, 9 cells to 0.89).
//!
//! Records are sorted by decreasing confidence.

use ndarray::ArrayView2;

use super::{
    labels::{components8, BitMask},
    regional::{poly_trend, PolyTrend},
    residual::{ResidualRows, StoredResidual, TrendResidual},
    robust::median_mad,
    GridValue, QcError, KM_PER_DEG,
};
use crate::filters::gaussian::gaussian_filter;
use crate::grid::GridSpec;
use crate::outliers::mad::MAD_SCALE;

/// How the regional field is estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regional {
    /// Plane plus NaN-aware Gaussian low-pass (this sigma, cells) of the data minus the plane.
    Gaussian(f64),
    /// Least-squares polynomial trend of order 1 or 2.
    Polynomial(u32),
}

/// One flagged anomaly.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    /// Weighted centroid longitude (degrees).
    pub lon: f64,
    /// Weighted centroid latitude (degrees).
    pub lat: f64,
    /// Residual at the peak cell (data units, signed).
    pub peak_value: f64,
    /// Robust z-score at the peak cell (signed).
    pub peak_z: f64,
    /// Number of cells.
    pub cells: usize,
    /// Area in km².
    pub area_km2: f64,
    /// Confidence in [0, 1).
    pub confidence: f64,
    /// Row-major index of the peak cell.
    pub peak_index: usize,
}

/// Numbers per anomaly in [`Anomaly::to_record`].
pub const ANOMALY_RECORD_LEN: usize = 8;

impl Anomaly {
    /// `[lon, lat, peak_value, peak_z, cells, area_km2, confidence, peak_index]`.
    pub fn to_record(&self) -> [f64; ANOMALY_RECORD_LEN] {
        [
            self.lon,
            self.lat,
            self.peak_value,
            self.peak_z,
            self.cells as f64,
            self.area_km2,
            self.confidence,
            self.peak_index as f64,
        ]
    }
}

/// Flags anomalies in `values` on `spec` (see [`find_anomalies_of`]).
///
/// # Errors
/// [`QcError`] for a length mismatch, a bad regional parameter, `threshold` not finite
/// and > 0, or a residual with zero spread (MAD = 0).
pub fn find_anomalies(
    values: ArrayView2<'_, f64>,
    spec: &GridSpec,
    regional: Regional,
    threshold: f64,
    min_cells: usize,
) -> Result<Vec<Anomaly>, QcError> {
    check_dim(values, spec)?;
    match values.as_slice() {
        Some(v) => find_anomalies_of(v, spec, regional, threshold, min_cells),
        None => {
            let own: Vec<f64> = values.iter().copied().collect();
            find_anomalies_of(&own, spec, regional, threshold, min_cells)
        }
    }
}

/// Flags anomalies in row-major `values` (`f64`, or `f32` for half the memory: the same
/// records, bit for bit, as their `f64` widening) on `spec`, reading them without writing.
/// With a polynomial regional nothing of the grid's size is allocated: the residual is
/// evaluated row by row as each pass reads it ([`super::residual::TrendResidual`]), the
/// median and MAD are selected without a copy ([`super::robust`]), and the thresholded cells
/// are one bit each, labelled without a label grid ([`components8`]); on 4096² that is the
/// values and 4 MiB. The low-pass regional needs its own grids: the plane, the detrended
/// values and their low-pass at once (float32 values also widened), then the residual.
///
/// # Errors
/// As [`find_anomalies`].
pub fn find_anomalies_of<T: GridValue>(
    values: &[T],
    spec: &GridSpec,
    regional: Regional,
    threshold: f64,
    min_cells: usize,
) -> Result<Vec<Anomaly>, QcError> {
    let (nx, ny) = (spec.nx, spec.ny);
    check_args(values.len(), spec, regional, threshold)?;
    match regional {
        Regional::Gaussian(s) => {
            // Float64 values are read where they are; float32 ones widened once.
            let widened: Vec<f64>;
            let v = match T::as_f64(values) {
                Some(v) => v,
                None => {
                    widened = values.iter().map(|v| v.get()).collect();
                    &widened
                }
            };
            let view = ArrayView2::from_shape((ny, nx), v).expect("length checked");
            // Plane first, so the edge-truncated kernel does not bend a regional gradient.
            let Some(plane) = poly_trend(view, 1) else {
                return Ok(Vec::new());
            };
            let detrended = &view - &plane;
            let smooth =
                gaussian_filter(detrended.view(), s, s, 0, ny).map_err(|_| bad_sigma(s))?;
            drop(detrended);
            let reg = plane + smooth;
            let own: Vec<f64> = v.iter().zip(reg.iter()).map(|(v, r)| v - r).collect();
            drop(reg);
            let resid = StoredResidual { data: &own, nx };
            anomalies_of_residual(&resid, spec, threshold, min_cells)
        }
        Regional::Polynomial(o) => {
            let Some(trend) = PolyTrend::fit_rows(values, nx, ny, o) else {
                return Ok(Vec::new());
            };
            let resid = TrendResidual {
                values,
                nx,
                trend: trend.table(),
            };
            anomalies_of_residual(&resid, spec, threshold, min_cells)
        }
    }
}

/// Refuses `values` whose shape is not `(ny, nx)` (a transposed view of the right length too).
fn check_dim(values: ArrayView2<'_, f64>, spec: &GridSpec) -> Result<(), QcError> {
    if values.dim() == (spec.ny, spec.nx) {
        return Ok(());
    }
    Err(QcError::BadLength {
        name: "values",
        expected: spec.nx * spec.ny,
        got: values.len(),
    })
}

/// Refuses a `values` length that is not `nx * ny`, a `threshold` that is not finite and
/// > 0, and a regional parameter out of range (sigma finite and > 0, order 1 or 2).
fn check_args(
    len: usize,
    spec: &GridSpec,
    regional: Regional,
    threshold: f64,
) -> Result<(), QcError> {
    if len != spec.nx * spec.ny {
        return Err(QcError::BadLength {
            name: "values",
            expected: spec.nx * spec.ny,
            got: len,
        });
    }
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(QcError::BadParam {
            name: "threshold",
            value: threshold,
            expected: "a finite robust z-score > 0",
        });
    }
    match regional {
        Regional::Gaussian(s) if !(s.is_finite() && s > 0.0) => Err(bad_sigma(s)),
        Regional::Polynomial(o) if !(1..=2).contains(&o) => Err(QcError::BadParam {
            name: "order",
            value: o as f64,
            expected: "1 or 2",
        }),
        _ => Ok(()),
    }
}

fn bad_sigma(s: f64) -> QcError {
    QcError::BadParam {
        name: "sigma",
        value: s,
        expected: "a finite number of cells > 0",
    }
}

/// The anomalies of the residual `resid` (no anomaly when its median is NaN, an error when
/// its spread is zero): the 8-connected components of cells with `|z| > threshold`, positive
/// then negative, of at least `min_cells` cells, sorted by decreasing confidence. The robust
/// z-score `(r - median) / (MAD_SCALE · MAD)` is evaluated cell by cell: no z grid.
fn anomalies_of_residual<R: ResidualRows>(
    resid: &R,
    spec: &GridSpec,
    threshold: f64,
    min_cells: usize,
) -> Result<Vec<Anomaly>, QcError> {
    let (med, mad) = median_mad(resid);
    if med.is_nan() {
        return Ok(Vec::new());
    }
    let scale = MAD_SCALE * mad;
    if scale <= 0.0 {
        return Err(QcError::BadParam {
            name: "values",
            value: mad,
            expected: "a residual with non-zero spread (MAD > 0)",
        });
    }
    let nx = spec.nx;
    let (mut positive, mut negative) = (BitMask::new(nx, spec.ny), BitMask::new(nx, spec.ny));
    let mut row = vec![0.0; nx];
    for i in 0..spec.ny {
        threshold_row(
            resid,
            i,
            &mut row,
            [med, scale, threshold],
            [&mut positive, &mut negative],
        );
    }
    drop(row);
    let mut out = Vec::new();
    for mask in [&mut positive, &mut negative] {
        // Each component's cells come in row-major order (the order of the sums below).
        components8(mask, |cells| {
            if cells.len() >= min_cells.max(1) {
                out.push(describe(resid, spec, cells, [med, scale, threshold]));
            }
        });
    }
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    Ok(out)
}

/// The anomaly of the component `cells` (row-major indices, ascending) of the residual `resid`
/// whose median is `med` and robust scale `scale`: weighted centroid, peak, area, confidence.
/// One call per component, optimised by V8 after a few.
#[inline(never)]
fn describe<R: ResidualRows>(
    resid: &R,
    spec: &GridSpec,
    cells: &[usize],
    [med, scale, threshold]: [f64; 3],
) -> Anomaly {
    let nx = spec.nx;
    let z = |k: usize| (resid.at(k / nx, k % nx) - med) / scale;
    let (mut sw, mut slon, mut slat, mut area) = (0.0, 0.0, 0.0, 0.0);
    let mut peak = cells[0];
    for &k in cells {
        let (lon, lat) = (spec.lon(k % nx), spec.lat(k / nx));
        let w = (resid.at(k / nx, k % nx) - med).abs();
        sw += w;
        slon += w * lon;
        slat += w * lat;
        area += spec.dx * KM_PER_DEG * lat.to_radians().cos() * spec.dy * KM_PER_DEG;
        if z(k).abs() > z(peak).abs() {
            peak = k;
        }
    }
    let conf =
        (1.0 - (-(z(peak).abs() - threshold)).exp()) * (1.0 - (-(cells.len() as f64) / 4.0).exp());
    Anomaly {
        lon: slon / sw,
        lat: slat / sw,
        peak_value: resid.at(peak / nx, peak % nx),
        peak_z: z(peak),
        cells: cells.len(),
        area_km2: area,
        confidence: conf.clamp(0.0, 1.0),
        peak_index: peak,
    }
}

/// Marks row `i`'s cells whose robust z-score `(r - med) / scale` exceeds `threshold` in
/// `masks[0]`, and those whose negated score does in `masks[1]`.
#[inline(never)]
fn threshold_row<R: ResidualRows>(
    resid: &R,
    i: usize,
    row: &mut [f64],
    [med, scale, threshold]: [f64; 3],
    [positive, negative]: [&mut BitMask; 2],
) {
    resid.row(i, row);
    let k0 = i * row.len();
    for (j, &r) in row.iter().enumerate() {
        let z = (r - med) / scale;
        if z > threshold {
            positive.set(k0 + j);
        }
        if -z > threshold {
            negative.set(k0 + j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::view2;
    use crate::outliers::stats::nan_median_mad;
    use crate::qc::labels::label8;
    use crate::test_rng::Lcg;

    fn bodies() -> (GridSpec, Vec<f64>, [(f64, f64, f64); 3]) {
        let spec = GridSpec::from_slice(&[20.0, -30.0, 0.05, 0.05, 90.0, 70.0]).unwrap();
        // (lon, lat, amplitude): two positive, one negative body.
        let b = [
            (21.0, -29.0, 40.0),
            (23.5, -28.0, 25.0),
            (22.0, -27.3, -30.0),
        ];
        let mut rng = Lcg(7);
        let v = (0..spec.nx * spec.ny)
            .map(|k| {
                let (lon, lat) = (spec.lon(k % spec.nx), spec.lat(k / spec.nx));
                let noise = (rng.unit() - 0.5) * 2.0;
                let mut f = 500.0 + 30.0 * (lon - 20.0) - 12.0 * (lat + 30.0) + noise;
                for (bx, by, a) in b {
                    f += a
                        * (-((lon - bx).powi(2) + (lat - by).powi(2)) / (2.0 * 0.12f64.powi(2)))
                            .exp();
                }
                f
            })
            .collect();
        (spec, v, b)
    }

    /// The former anomalies of the residual `resid` whose median and MAD are `med`, `mad` (no
    /// anomaly when the median is NaN, an error when the spread is zero): the 8-connected
    /// components of cells with `|z| > threshold`, positive then negative, of at least
    /// `min_cells` cells, sorted by decreasing confidence. The robust z-score
    /// `(resid - med) / (MAD_SCALE · mad)` is evaluated cell by cell: no z grid.
    pub(super) fn collect_anomalies(
        resid: ArrayView2<'_, f64>,
        spec: &GridSpec,
        med: f64,
        mad: f64,
        threshold: f64,
        min_cells: usize,
    ) -> Result<Vec<Anomaly>, QcError> {
        if med.is_nan() {
            return Ok(Vec::new());
        }
        let scale = MAD_SCALE * mad;
        if scale <= 0.0 {
            return Err(QcError::BadParam {
                name: "values",
                value: mad,
                expected: "a residual with non-zero spread (MAD > 0)",
            });
        }
        let z = |k: [usize; 2]| (resid[k] - med) / scale;
        let mut out = Vec::new();
        for sign in [1.0, -1.0] {
            let mask = resid.mapv(|r| sign * ((r - med) / scale) > threshold);
            let (labels, count) = label8(mask.view());
            drop(mask);
            // Each component's cells in row-major order (the order of the sums below).
            let mut comps: Vec<Vec<[usize; 2]>> = vec![Vec::new(); count as usize];
            for ((i, j), &l) in labels.indexed_iter() {
                if l > 0 {
                    comps[l as usize - 1].push([i, j]);
                }
            }
            drop(labels);
            for cells in comps.into_iter().filter(|c| c.len() >= min_cells.max(1)) {
                let (mut sw, mut slon, mut slat, mut area) = (0.0, 0.0, 0.0, 0.0);
                let mut peak = cells[0];
                for &k in &cells {
                    let (lon, lat) = (spec.lon(k[1]), spec.lat(k[0]));
                    let w = (resid[k] - med).abs();
                    sw += w;
                    slon += w * lon;
                    slat += w * lat;
                    area += spec.dx * KM_PER_DEG * lat.to_radians().cos() * spec.dy * KM_PER_DEG;
                    if z(k).abs() > z(peak).abs() {
                        peak = k;
                    }
                }
                let conf = (1.0 - (-(z(peak).abs() - threshold)).exp())
                    * (1.0 - (-(cells.len() as f64) / 4.0).exp());
                out.push(Anomaly {
                    lon: slon / sw,
                    lat: slat / sw,
                    peak_value: resid[peak],
                    peak_z: z(peak),
                    cells: cells.len(),
                    area_km2: area,
                    confidence: conf.clamp(0.0, 1.0),
                    peak_index: peak[0] * spec.nx + peak[1],
                });
            }
        }
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        Ok(out)
    }

    /// The first implementation (its own regional field and residual grids, the median and MAD
    /// of a copy, a `bool` mask and a label grid per sign: [`collect_anomalies`]), kept as the
    /// naive reference of [`find_anomalies_of`].
    ///
    /// # Errors
    /// [`QcError`] for a length mismatch, a bad regional parameter, `threshold` not finite
    /// and > 0, or a residual with zero spread (MAD = 0).
    fn find_anomalies_reference(
        values: ArrayView2<'_, f64>,
        spec: &GridSpec,
        regional: Regional,
        threshold: f64,
        min_cells: usize,
    ) -> Result<Vec<Anomaly>, QcError> {
        check_dim(values, spec)?;
        check_args(values.len(), spec, regional, threshold)?;
        let reg = match regional {
            Regional::Gaussian(s) => {
                // Plane first, so the edge-truncated kernel does not bend a regional gradient.
                let Some(plane) = poly_trend(values, 1) else {
                    return Ok(Vec::new());
                };
                let detrended = &values - &plane;
                let smooth = gaussian_filter(detrended.view(), s, s, 0, spec.ny)
                    .map_err(|_| bad_sigma(s))?;
                plane + smooth
            }
            Regional::Polynomial(o) => match poly_trend(values, o) {
                Some(t) => t,
                None => return Ok(Vec::new()),
            },
        };
        let resid = &values - &reg;
        // The median and MAD do not depend on the order of the cells.
        let (med, mad) = nan_median_mad(resid.as_slice_memory_order().expect("a new array"));
        collect_anomalies(resid.view(), spec, med, mad, threshold, min_cells)
    }

    #[test]
    fn find_anomalies_of_gives_the_reference_records_bit_for_bit() {
        let (spec, mut v, _) = bodies();
        v[17] = f64::NAN;
        v[spec.nx * 30 + 40] = f64::NAN;
        // Float32 values: the records of their float64 widening.
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let w32: Vec<f64> = v32.iter().map(|&x| f64::from(x)).collect();
        for regional in [
            Regional::Polynomial(1),
            Regional::Polynomial(2),
            Regional::Gaussian(12.0),
        ] {
            for (threshold, min_cells) in [(2.0, 2), (3.0, 1), (4.0, 2), (2.5, 9)] {
                let view = || view2(&v, spec.nx, spec.ny).unwrap();
                let want = find_anomalies_reference(view(), &spec, regional, threshold, min_cells)
                    .unwrap();
                assert!(!want.is_empty());
                let got = find_anomalies_of(&v, &spec, regional, threshold, min_cells).unwrap();
                assert_eq!(got, want, "{regional:?} {threshold}");
                let via_view = find_anomalies(view(), &spec, regional, threshold, min_cells);
                assert_eq!(via_view.unwrap(), want);
                let want32 = find_anomalies_reference(
                    view2(&w32, spec.nx, spec.ny).unwrap(),
                    &spec,
                    regional,
                    threshold,
                    min_cells,
                )
                .unwrap();
                let got32 = find_anomalies_of(&v32, &spec, regional, threshold, min_cells).unwrap();
                assert_eq!(got32, want32, "f32 {regional:?} {threshold}");
            }
        }
    }

    #[test]
    fn find_anomalies_of_noise_gives_the_reference_records() {
        // Many small components, touching the edges and each other diagonally.
        let spec = GridSpec::from_slice(&[-40.0, 10.0, 0.01, 0.02, 131.0, 77.0]).unwrap();
        let mut rng = Lcg(99);
        let v: Vec<f64> = (0..spec.nx * spec.ny)
            .map(|k| {
                if k % 211 == 0 {
                    f64::NAN
                } else {
                    (rng.unit() - 0.5).powi(3) * 100.0 + 0.01 * (k % spec.nx) as f64
                }
            })
            .collect();
        for regional in [Regional::Polynomial(1), Regional::Polynomial(2)] {
            let want = find_anomalies_reference(
                view2(&v, spec.nx, spec.ny).unwrap(),
                &spec,
                regional,
                1.5,
                1,
            )
            .unwrap();
            assert!(want.len() > 50, "{}", want.len());
            assert_eq!(
                find_anomalies_of(&v, &spec, regional, 1.5, 1).unwrap(),
                want
            );
        }
    }

    #[test]
    fn three_synthetic_bodies_give_three_anomalies_at_their_positions() {
        let (spec, v, b) = bodies();
        for regional in [
            Regional::Polynomial(1),
            Regional::Polynomial(2),
            Regional::Gaussian(12.0),
        ] {
            let a = find_anomalies(
                view2(&v, spec.nx, spec.ny).unwrap(),
                &spec,
                regional,
                4.0,
                4,
            )
            .unwrap();
            assert_eq!(a.len(), 3, "{regional:?}: {a:?}");
            for (bx, by, amp) in b {
                let hit = a
                    .iter()
                    .find(|x| (x.lon - bx).abs() < 0.06 && (x.lat - by).abs() < 0.06)
                    .unwrap_or_else(|| panic!("{regional:?}: no anomaly near {bx}, {by}: {a:?}"));
                assert_eq!(hit.peak_z.signum(), amp.signum());
                assert!(hit.confidence > 0.5 && hit.confidence < 1.0);
                let cell_km2 = (0.05 * KM_PER_DEG).powi(2) * by.to_radians().cos();
                assert!((hit.area_km2 / (hit.cells as f64 * cell_km2) - 1.0).abs() < 0.02);
            }
        }
    }

    #[test]
    fn find_anomalies_rejects_bad_order_and_threshold() {
        let (spec, v, _) = bodies();
        let err = |regional, threshold| {
            let values = view2(&v, spec.nx, spec.ny).unwrap();
            find_anomalies(values, &spec, regional, threshold, 1)
                .unwrap_err()
                .to_string()
        };
        assert!(err(Regional::Polynomial(3), 3.0).contains("`order`"));
        assert!(err(Regional::Gaussian(0.0), 3.0).contains("`sigma`"));
        assert!(err(Regional::Polynomial(1), 0.0).contains("`threshold`"));
    }
}

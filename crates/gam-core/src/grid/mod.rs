//! Gridding of scattered points onto regular lon/lat grids.
//!
//! # Grid geometry
//!
//! A grid is described by a [`GridSpec`] built from the six numbers
//! `[west, south, dx, dy, nx, ny]` (degrees, degrees, degrees, degrees, count,
//! count). Node `(i, j)` sits at `lon = west + i * dx`, `lat = south + j * dy`
//! (computed exactly like that, never by accumulation), `i in 0..nx`,
//! `j in 0..ny`. Output arrays are row-major with row `j` = latitude index,
//! southernmost row first, and NaN where a method has no support. Kernels only
//! know nodes: pixel registration is obtained by the caller shifting `west` and
//! `south` by half a cell.
//!
//! # Banding
//!
//! Local kernels take a row range `row0..row1` and return only those rows
//! (`(row1 - row0) * nx` values) computed with the global spec. A node's value
//! does not depend on the banding, nor on far-away points, provided every point
//! within the method's reach is passed and points keep their original relative
//! order: ties between equal distances are always broken by the points' index
//! in the input, so a band computed from a latitude-filtered subset of the
//! points is bit-identical to the same rows computed from all points.
//!
//! # Distance metric
//!
//! All distances use the local equirectangular metric in degrees,
//! `d² = ((lon_p - lon_node) * cos(lat_node))² + (lat_p - lat_node)²`: longitude
//! differences are scaled by the cosine of the *node's* latitude, and radii and
//! distances are expressed in degrees of latitude (1° ≈ 111.2 km). See [`dist2`].
//!
//! # Methods
//!
//! | module | method |
//! |---|---|
//! | [`block`] | block mean / median with spread and count (GMT `blockmean`, `blockmedian`) |
//! | [`nearest`] | nearest neighbour within a radius |
//! | [`idw`] | inverse distance weighting over k nearest (GDAL `invdistnn`) |
//! | [`linear`] | Delaunay + barycentric (scipy `griddata(method="linear")`) |
//! | [`mincurv`] | continuous curvature splines in tension (GMT `surface`) |
//! | [`distance`] | distance from each node to the nearest point |
//!
//! All neighbour searches go through [`index`] (a bucket grid backed by a k-d
//! tree; exact k-nearest with index tie-breaking).

use std::fmt;

pub mod block;
pub mod distance;
pub mod footprint;
pub mod idw;
pub mod index;
pub mod linear;
pub mod mincurv;
pub mod nearest;

/// Largest number of nodes a single grid may have (2^31 - 1).
pub const MAX_NODES: usize = i32::MAX as usize;

/// Errors raised by the gridding kernels; the `Display` text names the
/// offending parameter and is what crosses the wasm boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum GridError {
    /// The grid spec is malformed; the message names the field.
    Spec(String),
    /// Two input arrays that must have equal lengths do not.
    LengthMismatch {
        /// Names of the two arrays, e.g. `"lon and lat"`.
        names: &'static str,
        /// Length of the first array.
        first: usize,
        /// Length of the second array.
        second: usize,
    },
    /// An input value is NaN or infinite.
    NonFinite {
        /// Array name.
        name: &'static str,
        /// Index of the first bad value.
        index: usize,
    },
    /// A scalar parameter is out of range; the message says what was expected.
    Parameter(String),
    /// `row0..row1` does not lie within `0..ny`.
    Band {
        /// First requested row.
        row0: u32,
        /// One past the last requested row.
        row1: u32,
        /// Number of grid rows.
        ny: usize,
    },
    /// The caller cancelled the job (see [`crate::cancel`]).
    Cancelled,
}

impl fmt::Display for GridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GridError::Spec(m) => write!(f, "spec: {m}"),
            GridError::LengthMismatch {
                names,
                first,
                second,
            } => write!(
                f,
                "{names} must have equal lengths (got {first} and {second})"
            ),
            GridError::NonFinite { name, index } => {
                write!(f, "{name}[{index}] must be a finite number")
            }
            GridError::Parameter(m) => write!(f, "{m}"),
            GridError::Band { row0, row1, ny } => write!(
                f,
                "row0..row1 must lie within 0..ny with row0 < row1 (got {row0}..{row1}, ny = {ny})"
            ),
            GridError::Cancelled => write!(f, "{}", crate::cancel::Cancelled),
        }
    }
}

impl std::error::Error for GridError {}

impl From<crate::cancel::Cancelled> for GridError {
    fn from(_: crate::cancel::Cancelled) -> GridError {
        GridError::Cancelled
    }
}

/// A regular lon/lat grid of nodes (gridline registration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridSpec {
    /// Longitude of column 0 (degrees).
    pub west: f64,
    /// Latitude of row 0 (degrees).
    pub south: f64,
    /// Node spacing in longitude (degrees, > 0).
    pub dx: f64,
    /// Node spacing in latitude (degrees, > 0).
    pub dy: f64,
    /// Number of columns (>= 1).
    pub nx: usize,
    /// Number of rows (>= 1).
    pub ny: usize,
}

impl GridSpec {
    /// Parses and validates `[west, south, dx, dy, nx, ny]`.
    ///
    /// ```
    /// use gam_core::grid::GridSpec;
    /// let g = GridSpec::from_slice(&[10.0, -5.0, 0.5, 0.25, 3.0, 2.0]).unwrap();
    /// assert_eq!((g.nx, g.ny), (3, 2));
    /// assert_eq!(g.lon(2), 11.0);
    /// assert!(GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 0.0, 1.0]).is_err());
    /// ```
    pub fn from_slice(spec: &[f64]) -> Result<GridSpec, GridError> {
        if spec.len() != 6 {
            return Err(GridError::Spec(format!(
                "expected 6 values [west, south, dx, dy, nx, ny], got {}",
                spec.len()
            )));
        }
        let names = ["west", "south", "dx", "dy", "nx", "ny"];
        for (v, n) in spec.iter().zip(names) {
            if !v.is_finite() {
                return Err(GridError::Spec(format!("{n} must be finite, got {v}")));
            }
        }
        for (k, n) in [(2, "dx"), (3, "dy")] {
            if spec[k] <= 0.0 {
                return Err(GridError::Spec(format!("{n} must be > 0, got {}", spec[k])));
            }
        }
        let mut counts = [0usize; 2];
        for (slot, (k, n)) in [(4, "nx"), (5, "ny")].into_iter().enumerate() {
            let v = spec[k];
            if v < 1.0 || v.fract() != 0.0 || v > MAX_NODES as f64 {
                return Err(GridError::Spec(format!(
                    "{n} must be an integer >= 1, got {v}"
                )));
            }
            counts[slot] = v as usize;
        }
        if counts[0].saturating_mul(counts[1]) > MAX_NODES {
            return Err(GridError::Spec(format!(
                "nx * ny must be <= {MAX_NODES}, got {} * {}",
                counts[0], counts[1]
            )));
        }
        Ok(GridSpec {
            west: spec[0],
            south: spec[1],
            dx: spec[2],
            dy: spec[3],
            nx: counts[0],
            ny: counts[1],
        })
    }

    /// Longitude of column `i`: `west + i * dx`.
    #[inline]
    pub fn lon(&self, i: usize) -> f64 {
        self.west + i as f64 * self.dx
    }

    /// Latitude of row `j`: `south + j * dy`.
    #[inline]
    pub fn lat(&self, j: usize) -> f64 {
        self.south + j as f64 * self.dy
    }

    /// Checks a row band and returns it as `usize`s.
    pub fn band(&self, row0: u32, row1: u32) -> Result<(usize, usize), GridError> {
        if row0 >= row1 || row1 as usize > self.ny {
            return Err(GridError::Band {
                row0,
                row1,
                ny: self.ny,
            });
        }
        Ok((row0 as usize, row1 as usize))
    }
}

/// Squared distance of the metric used by every kernel (degrees²):
/// `((plon - nlon) * cos_node)² + (plat - nlat)²` where `cos_node` is the
/// cosine of the node's latitude.
#[inline(always)]
pub fn dist2(plon: f64, plat: f64, nlon: f64, nlat: f64, cos_node: f64) -> f64 {
    let a = (plon - nlon) * cos_node;
    let b = plat - nlat;
    a * a + b * b
}

/// Cosine of a latitude in degrees, the longitude scale of the metric.
#[inline]
pub fn cos_lat(lat_deg: f64) -> f64 {
    lat_deg.to_radians().cos()
}

/// The set-up of every banded kernel: checks the points ([`check_points`]) and the band
/// ([`GridSpec::band`]), in that order, and returns the band as `usize`s.
pub fn check_banded(
    lon: &[f64],
    lat: &[f64],
    z: Option<&[f64]>,
    spec: &GridSpec,
    row0: u32,
    row1: u32,
) -> Result<(usize, usize), GridError> {
    check_points(lon, lat, z)?;
    spec.band(row0, row1)
}

/// Checks that `lon`, `lat` (and `z` when given) have equal lengths and hold
/// only finite numbers.
pub fn check_points(lon: &[f64], lat: &[f64], z: Option<&[f64]>) -> Result<(), GridError> {
    if lon.len() != lat.len() {
        return Err(GridError::LengthMismatch {
            names: "lon and lat",
            first: lon.len(),
            second: lat.len(),
        });
    }
    if let Some(z) = z {
        if z.len() != lon.len() {
            return Err(GridError::LengthMismatch {
                names: "lon and z",
                first: lon.len(),
                second: z.len(),
            });
        }
    }
    if lon.len() > u32::MAX as usize - 1 {
        return Err(GridError::Parameter(format!(
            "lon: at most {} points are supported, got {}",
            u32::MAX - 1,
            lon.len()
        )));
    }
    let arrays: [(&'static str, Option<&[f64]>); 3] =
        [("lon", Some(lon)), ("lat", Some(lat)), ("z", z)];
    for (name, a) in arrays {
        if let Some(a) = a {
            if let Some(index) = a.iter().position(|v| !v.is_finite()) {
                return Err(GridError::NonFinite { name, index });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Deterministic pseudo-random numbers for tests (SplitMix64).

    /// SplitMix64 generator.
    pub struct Rng(pub u64);

    impl Rng {
        /// Next 64 random bits.
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [a, b).
        pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    /// The interpolation reference fixture (scripts/fixtures/interp_refs.py): its grid,
    /// points, true field and one reference tool's grid.
    pub struct InterpRefs {
        pub spec: super::GridSpec,
        pub lon: Vec<f64>,
        pub lat: Vec<f64>,
        pub z: Vec<f64>,
        pub truth: Vec<f64>,
        /// The reference tool's grid (the fixture's field `reference`).
        pub reference: Vec<f64>,
    }

    /// The fixture with the reference grid `reference` (`"scipy_linear"`, ...).
    pub fn interp_refs(reference: &str) -> InterpRefs {
        let fx: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/interp_refs.json")).unwrap();
        InterpRefs {
            spec: super::GridSpec::from_slice(&col(&fx, "spec")).unwrap(),
            lon: col(&fx, "lon"),
            lat: col(&fx, "lat"),
            z: col(&fx, "z"),
            truth: col(&fx, "truth"),
            reference: col(&fx, reference),
        }
    }

    /// A numeric array of a fixture (`null` becomes NaN).
    pub fn col(v: &serde_json::Value, key: &str) -> Vec<f64> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect()
    }

    /// RMS of `a - b` over nodes where both are finite, and that node count.
    pub fn rms(a: &[f64], b: &[f64]) -> (f64, usize) {
        let (mut s, mut n) = (0.0, 0usize);
        for (x, y) in a.iter().zip(b) {
            if x.is_finite() && y.is_finite() {
                s += (x - y) * (x - y);
                n += 1;
            }
        }
        ((s / n.max(1) as f64).sqrt(), n)
    }

    /// `n` random points in a box, with some duplicated coordinates.
    pub fn points(seed: u64, n: usize, bbox: [f64; 4]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut r = Rng(seed);
        let mut lon = Vec::with_capacity(n);
        let mut lat = Vec::with_capacity(n);
        let mut z = Vec::with_capacity(n);
        for k in 0..n {
            if k > 3 && k % 17 == 0 {
                // exact duplicate location of an earlier point, different value
                let m = (r.next_u64() % k as u64) as usize;
                lon.push(lon[m]);
                lat.push(lat[m]);
            } else {
                lon.push(r.uniform(bbox[0], bbox[2]));
                lat.push(r.uniform(bbox[1], bbox[3]));
            }
            z.push(r.uniform(-100.0, 100.0));
        }
        (lon, lat, z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_rejects_bad_values_naming_the_field() {
        let e = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 0.0, 1.0]).unwrap_err();
        assert_eq!(e.to_string(), "spec: nx must be an integer >= 1, got 0");
        let e = GridSpec::from_slice(&[0.0, 0.0, -1.0, 1.0, 2.0, 1.0]).unwrap_err();
        assert_eq!(e.to_string(), "spec: dx must be > 0, got -1");
        let e = GridSpec::from_slice(&[0.0, f64::NAN, 1.0, 1.0, 2.0, 1.0]).unwrap_err();
        assert_eq!(e.to_string(), "spec: south must be finite, got NaN");
        assert!(GridSpec::from_slice(&[0.0; 5]).is_err());
        assert!(GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.5, 1.0]).is_err());
        assert!(GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 1e5, 1e5]).is_err());
    }

    #[test]
    fn band_and_points_validation_messages() {
        let g = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 4.0]).unwrap();
        assert_eq!(g.band(0, 4).unwrap(), (0, 4));
        assert!(g.band(2, 2).is_err());
        assert!(g.band(0, 5).unwrap_err().to_string().contains("row0..row1"));
        let e = check_points(&[0.0; 10], &[0.0; 9], None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lon and lat must have equal lengths (got 10 and 9)"
        );
        let e = check_points(&[0.0, 1.0], &[0.0, f64::INFINITY], None).unwrap_err();
        assert_eq!(e.to_string(), "lat[1] must be a finite number");
    }
}

/// Timings on 500,000 random points onto 1,000 x 1,000 nodes:
/// `cargo test --release bench_ -- --ignored --nocapture`.
#[cfg(test)]
mod bench {
    use super::test_util::points;
    use super::*;
    use std::time::Instant;

    fn setup() -> (Vec<f64>, Vec<f64>, Vec<f64>, GridSpec) {
        let n = std::env::var("GAM_BENCH_N").map_or(500_000, |v| v.parse().unwrap());
        let (lon, lat, mut z) = points(99, n, [10.0, 40.0, 12.0, 42.0]);
        for k in 0..z.len() {
            z[k] = (3.0 * lon[k]).sin() * (2.0 * lat[k]).cos() * 100.0;
        }
        let spec = GridSpec::from_slice(&[10.0, 40.0, 0.002, 0.002, 1001.0, 1001.0]).unwrap();
        (lon, lat, z, spec)
    }

    fn time<T>(name: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        println!("{name:<28} {:>8.3} s", t.elapsed().as_secs_f64());
        r
    }

    /// The benchmarks' mincurv parameters (GMT `surface -T0.25`, automatic convergence).
    const MINCURV_T025: mincurv::MincurvParams = mincurv::MincurvParams {
        tension: 0.25,
        convergence: 0.0,
        max_iterations: 500,
    };

    #[test]
    #[ignore]
    fn bench_local_methods() {
        let (lon, lat, z, spec) = setup();
        let ny = spec.ny as u32;
        time("index build", || index::PointIndex::new(&lon, &lat));
        time("block mean", || {
            block::grid_block(&lon, &lat, &z, &[], &spec, 0, ny, false, true).unwrap()
        });
        time("block median", || {
            block::grid_block(&lon, &lat, &z, &[], &spec, 0, ny, true, true).unwrap()
        });
        time("nearest r=0.05", || {
            nearest::grid_nearest(&lon, &lat, &z, &spec, 0, ny, 0.05).unwrap()
        });
        let p = idw::IdwParams {
            k: 12,
            power: 2.0,
            radius: 0.05,
            min_points: 1,
        };
        time("idw k=12 r=0.05", || {
            idw::grid_idw(&lon, &lat, &z, &spec, 0, ny, p).unwrap()
        });
        time("distance", || {
            distance::distance_to_nearest(&lon, &lat, &spec, 0, ny).unwrap()
        });
        time("linear", || {
            linear::grid_linear(&lon, &lat, &z, &spec, 0, ny).unwrap()
        });
    }

    #[test]
    #[ignore]
    fn bench_mincurv() {
        let (lon, lat, z, spec) = setup();
        if let Ok(path) = std::env::var("GAM_BENCH_DUMP") {
            // xyz text for running the reference tools on the same points
            use std::io::Write;
            let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
            for k in 0..lon.len() {
                writeln!(f, "{:?} {:?} {:?}", lon[k], lat[k], z[k]).unwrap();
            }
        }
        let p = MINCURV_T025;
        let g = time("mincurv T=0.25", || {
            mincurv::grid_mincurv(&lon, &lat, &z, &spec, p).unwrap()
        });
        let truth: Vec<f64> = (0..g.len())
            .map(|k| {
                let (x, y) = (spec.lon(k % spec.nx), spec.lat(k / spec.nx));
                (3.0 * x).sin() * (2.0 * y).cos() * 100.0
            })
            .collect();
        let g = g.as_slice().expect("standard layout");
        println!("mincurv rms vs field {:.6}", test_util::rms(g, &truth).0);
    }

    #[test]
    #[ignore]
    fn bench_idw() {
        let (lon, lat, z, spec) = setup();
        let p = idw::IdwParams {
            k: 12,
            power: 2.0,
            radius: 0.05,
            min_points: 1,
        };
        for _ in 0..3 {
            time("idw k=12 r=0.05", || {
                idw::grid_idw(&lon, &lat, &z, &spec, 0, spec.ny as u32, p).unwrap()
            });
        }
    }

    /// Grids `GAM_XYZ` (lon lat z text) with mincurv onto `GAM_SPEC`
    /// (comma-separated) and writes the grid to `GAM_OUT` (little-endian `f64`, south row first).
    #[test]
    #[ignore]
    fn bench_mincurv_file() {
        let (Ok(xyz), Ok(spec), Ok(out)) = (
            std::env::var("GAM_XYZ"),
            std::env::var("GAM_SPEC"),
            std::env::var("GAM_OUT"),
        ) else {
            return;
        };
        let spec: Vec<f64> = spec.split(',').map(|v| v.parse().unwrap()).collect();
        let spec = GridSpec::from_slice(&spec).unwrap();
        let text = std::fs::read_to_string(xyz).unwrap();
        let (mut lon, mut lat, mut z) = (vec![], vec![], vec![]);
        for line in text.lines() {
            let v: Vec<f64> = line
                .split_whitespace()
                .map(|t| t.parse().unwrap())
                .collect();
            lon.push(v[0]);
            lat.push(v[1]);
            z.push(v[2]);
        }
        let p = MINCURV_T025;
        let g = time("mincurv file", || {
            mincurv::grid_mincurv(&lon, &lat, &z, &spec, p).unwrap()
        });
        let body: Vec<u8> = g.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(out, body).unwrap();
    }
}

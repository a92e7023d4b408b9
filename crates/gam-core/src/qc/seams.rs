//! Seams between surveys merged into one grid. For every pair of 4-adjacent valid cells
//! `p → q` (one step east or north) whose survey ids differ, with `d` the step:
//! - step across the seam `v(q) - v(p)`, corrected for the field's own gradient by
//!   subtracting the mean of the one-sided differences `gp = v(p) - v(p - d)` (inside p's
//!   survey) and `gq = v(q + d) - v(q)` (inside q's survey) where available; oriented so that
//!   the offset is `survey b - survey a` with `a < b` by id;
//! - gradient jump `|gq - gp|` (value per cell) where both sides exist.
//!
//! Per pair of surveys: level offset = median of the corrected steps, its robust spread
//! (1.4826·MAD), gradient jump = median of the jumps; flagged when
//! `|offset| > offset_threshold` or `gradient_jump > gradient_threshold`. A linear field with
//! a constant offset between surveys gives exactly that offset.

use ndarray::ArrayView2;

use super::QcError;
use crate::outliers::{mad::MAD_SCALE, stats::median_in_place};

/// `((id_a, id_b), per-pair offsets, per-pair gradient jumps)` while scanning.
type PairSamples = ((f64, f64), Vec<f64>, Vec<f64>);

/// One seam between two surveys.
#[derive(Debug, Clone, PartialEq)]
pub struct Seam {
    /// Lower survey id.
    pub id_a: f64,
    /// Higher survey id.
    pub id_b: f64,
    /// Adjacent cell pairs across the seam.
    pub pairs: usize,
    /// Median level offset, survey b minus survey a.
    pub offset: f64,
    /// 1.4826·MAD of the per-pair offsets.
    pub offset_spread: f64,
    /// Median gradient jump (value per cell; NaN if no pair had both one-sided gradients).
    pub gradient_jump: f64,
    /// Whether a threshold was exceeded.
    pub flagged: bool,
}

/// Numbers per seam in [`Seam::to_record`].
pub const SEAM_RECORD_LEN: usize = 7;

impl Seam {
    /// `[id_a, id_b, pairs, offset, offset_spread, gradient_jump, flagged (0/1)]`.
    pub fn to_record(&self) -> [f64; SEAM_RECORD_LEN] {
        [
            self.id_a,
            self.id_b,
            self.pairs as f64,
            self.offset,
            self.offset_spread,
            self.gradient_jump,
            f64::from(u8::from(self.flagged)),
        ]
    }
}

/// Finds the seams of a grid whose cells carry survey ids (`ids`, NaN = none); `values`
/// and `ids` are `ny` rows by `nx` columns.
///
/// # Errors
/// [`QcError`] when the shapes of `values` and `ids` differ or a threshold is negative /
/// NaN.
///
/// # Example
/// ```
/// use gam_core::qc::seams::find_seams;
/// use ndarray::array;
/// let values = array![[1.0, 2.0, 13.0, 14.0]];
/// let ids = array![[1.0, 1.0, 2.0, 2.0]];
/// let s = find_seams(values.view(), ids.view(), 5.0, 1.0).unwrap();
/// assert_eq!((s.len(), s[0].offset, s[0].flagged), (1, 10.0, true));
/// ```
pub fn find_seams(
    values: ArrayView2<'_, f64>,
    ids: ArrayView2<'_, f64>,
    offset_threshold: f64,
    gradient_threshold: f64,
) -> Result<Vec<Seam>, QcError> {
    let (ny, nx) = values.dim();
    if ids.dim() != (ny, nx) {
        return Err(QcError::BadLength {
            name: "ids",
            expected: nx * ny,
            got: ids.len(),
        });
    }
    for (name, v) in [
        ("offset_threshold", offset_threshold),
        ("gradient_threshold", gradient_threshold),
    ] {
        if v.is_nan() || v < 0.0 {
            return Err(QcError::BadParam {
                name,
                value: v,
                expected: "a number >= 0 (Infinity disables the test)",
            });
        }
    }
    let ok = |k: [usize; 2]| !values[k].is_nan() && !ids[k].is_nan();
    let add = |[i, j]: [usize; 2], [di, dj]: [usize; 2]| [i + di, j + dj];
    let mut pairs: Vec<PairSamples> = Vec::new();
    for i in 0..ny {
        for j in 0..nx {
            let p = [i, j];
            if !ok(p) {
                continue;
            }
            // east and north neighbours
            let dirs = [
                (j + 1 < nx, [0, 1], j >= 1, j + 2 < nx),
                (i + 1 < ny, [1, 0], i >= 1, i + 2 < ny),
            ];
            for (has_q, d, has_back, has_fwd) in dirs {
                if !has_q {
                    continue;
                }
                let q = add(p, d);
                if !ok(q) || ids[q] == ids[p] {
                    continue;
                }
                let back = [
                    i - d[0] * usize::from(has_back),
                    j - d[1] * usize::from(has_back),
                ];
                let fwd = add(q, d);
                let gp =
                    (has_back && ok(back) && ids[back] == ids[p]).then(|| values[p] - values[back]);
                let gq =
                    (has_fwd && ok(fwd) && ids[fwd] == ids[q]).then(|| values[fwd] - values[q]);
                let corr = match (gp, gq) {
                    (Some(a), Some(b)) => 0.5 * (a + b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => 0.0,
                };
                let step = values[q] - values[p] - corr;
                let (key, sign) = if ids[p] < ids[q] {
                    ((ids[p], ids[q]), 1.0)
                } else {
                    ((ids[q], ids[p]), -1.0)
                };
                let slot = match pairs.iter().position(|e| e.0 == key) {
                    Some(s) => s,
                    None => {
                        pairs.push((key, Vec::new(), Vec::new()));
                        pairs.len() - 1
                    }
                };
                pairs[slot].1.push(sign * step);
                if let (Some(a), Some(b)) = (gp, gq) {
                    pairs[slot].2.push((b - a).abs());
                }
            }
        }
    }
    pairs.sort_by(|a, b| a.0 .0.total_cmp(&b.0 .0).then(a.0 .1.total_cmp(&b.0 .1)));
    Ok(pairs
        .into_iter()
        .map(|((id_a, id_b), mut steps, mut jumps)| {
            let count = steps.len();
            let offset = median_in_place(&mut steps);
            for s in steps.iter_mut() {
                *s = (*s - offset).abs();
            }
            let offset_spread = MAD_SCALE * median_in_place(&mut steps);
            let gradient_jump = median_in_place(&mut jumps);
            Seam {
                id_a,
                id_b,
                pairs: count,
                offset,
                offset_spread,
                gradient_jump,
                flagged: offset.abs() > offset_threshold || gradient_jump > gradient_threshold,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrays::view2;

    #[test]
    fn seam_with_a_known_offset_is_found_with_that_offset() {
        // Survey 1 west, survey 2 east (+7.5), survey 3 north strip (no offset), sloping field.
        let (nx, ny) = (30, 20);
        let mut values = vec![0.0; nx * ny];
        let mut ids = vec![0.0; nx * ny];
        for i in 0..ny {
            for j in 0..nx {
                let k = i * nx + j;
                let base = 100.0 + 0.8 * j as f64 - 0.3 * i as f64;
                let (id, off) = if i >= 15 {
                    (3.0, 0.0)
                } else if j >= 12 {
                    (2.0, 7.5)
                } else {
                    (1.0, 0.0)
                };
                ids[k] = id;
                values[k] = base + off;
            }
        }
        values[5 * nx + 11] = f64::NAN;
        ids[8 * nx + 12] = f64::NAN;
        let s = find_seams(
            view2(&values, nx, ny).unwrap(),
            view2(&ids, nx, ny).unwrap(),
            1.0,
            0.5,
        )
        .unwrap();
        assert_eq!(s.len(), 3);
        let by = |a: f64, b: f64| s.iter().find(|x| x.id_a == a && x.id_b == b).unwrap();
        let s12 = by(1.0, 2.0);
        assert!((s12.offset - 7.5).abs() < 1e-9, "offset {}", s12.offset);
        assert!(s12.flagged && s12.gradient_jump < 1e-9);
        let s13 = by(1.0, 3.0);
        assert!(s13.offset.abs() < 1e-9 && !s13.flagged);
        let s23 = by(2.0, 3.0);
        assert!((s23.offset + 7.5).abs() < 1e-9 && s23.flagged);
    }

    #[test]
    fn find_seams_rejects_mismatched_ids() {
        let e = find_seams(
            view2(&[0.0; 4], 2, 2).unwrap(),
            view2(&[0.0; 3], 3, 1).unwrap(),
            1.0,
            1.0,
        )
        .unwrap_err();
        assert!(e.to_string().contains("`ids`"));
    }
}

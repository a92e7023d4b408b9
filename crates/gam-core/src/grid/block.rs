//! Block reduction (GMT `blockmean` / `blockmedian` in gridline registration).
//!
//! Every point belongs to the block of the node nearest to it:
//! `i = rint((lon - west) / dx)`, `j = rint((lat - south) / dy)` with `rint`
//! rounding half to even, exactly as GMT 6 (`gmt_M_x_to_col` / `gmt_M_y_to_row`
//! use `irint`, i.e. `lrint` under the default rounding mode). A point exactly
//! on a block edge therefore goes to the even-numbered node. Blocks extend half
//! a cell beyond the outer nodes (GMT keeps such points too); points whose
//! block index falls outside `0..nx`, `0..ny` are ignored.
//!
//! Per block, with weights `w` (all 1 when no weights are given) and `n` points:
//! - mean: `m = Σ w z / Σ w`; spread: the standard deviation GMT
//!   `blockmean -E` reports, `sqrt(n / (n - 1) · Σ w (z - m)² / Σ w)`
//!   (the sample standard deviation when unweighted), NaN when `n == 1`;
//! - median: GMT's weighted median: with `z` sorted ascending, the first `z`
//!   at which the cumulative weight reaches half the total, or the average of it
//!   and the next one when the cumulative weight equals half exactly (the usual
//!   median for unit weights); spread: GMT `blockmedian -E`'s L1 scale,
//!   `1.4826 · median(|z - median|)` (unweighted median of the absolute
//!   deviations, as GMT computes it), NaN when `n == 1`;
//! - count: `n` (number of points, not the weight sum).
//!
//! Blocks without points are NaN in all three planes.

use super::{check_banded, GridError, GridSpec};
use crate::tiering::out_of_line;

/// GMT's normalisation of the median absolute deviation (`MAD_NORMALIZE`).
pub const MAD_NORMALIZE: f64 = 1.4826;

/// Output of [`grid_block`]: three planes of `(row1 - row0) * nx` values.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockGrids {
    /// Mean or median per block.
    pub value: Vec<f64>,
    /// Standard deviation (mean) or L1 scale (median).
    pub spread: Vec<f64>,
    /// Number of points per block.
    pub count: Vec<f64>,
}

/// Block mean or median of rows `row0..row1`; with `statistics`, the spread and count planes
/// too, else those two are empty (the value plane is the same bit for bit, and the others are
/// neither computed nor allocated).
///
/// `weight` is empty (unweighted) or one positive finite weight per point.
///
/// ```
/// use gam_core::grid::{GridSpec, block::grid_block};
/// let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.0, 1.0]).unwrap();
/// let b = grid_block(&[0.1, -0.2, 0.4], &[0.0; 3], &[1.0, 2.0, 6.0], &[], &spec, 0, 1, false, true).unwrap();
/// assert_eq!(b.value[0], 3.0);
/// assert_eq!(b.count[0], 3.0);
/// assert!(b.value[1].is_nan());
/// let v = grid_block(&[0.1, 0.9], &[0.0; 2], &[1.0, 2.0], &[], &spec, 0, 1, true, false).unwrap();
/// assert_eq!((v.value, v.spread.len(), v.count.len()), (vec![1.0, 2.0], 0, 0));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn grid_block(
    lon: &[f64],
    lat: &[f64],
    z: &[f64],
    weight: &[f64],
    spec: &GridSpec,
    row0: u32,
    row1: u32,
    median: bool,
    statistics: bool,
) -> Result<BlockGrids, GridError> {
    let (r0, r1) = check_banded(lon, lat, Some(z), spec, row0, row1)?;
    let weighted = !weight.is_empty();
    if weighted {
        if weight.len() != lon.len() {
            return Err(GridError::LengthMismatch {
                names: "lon and weight",
                first: lon.len(),
                second: weight.len(),
            });
        }
        if let Some(k) = weight.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(GridError::Parameter(format!(
                "weight[{k}] must be a finite number > 0, got {}",
                weight[k]
            )));
        }
    }
    let nx = spec.nx;
    let nodes = (r1 - r0) * nx;
    let NodeGroups { order, start } = group_by_node(lon, lat, spec, r0, r1);

    let planes = if statistics { nodes } else { 0 };
    let mut out = BlockGrids {
        // zeroed (fresh pages, no fill pass); empty blocks get their NaN in `reduce_row`
        value: vec![0.0; nodes],
        spread: vec![f64::NAN; planes],
        count: vec![f64::NAN; planes],
    };
    let blocks = Blocks {
        order: &order,
        start: &start,
        z,
        weight,
        median,
    };
    let reduce = out_of_line(reduce_row as RowFn);
    let mut scratch = Scratch::default();
    for r in 0..r1 - r0 {
        let row = r * nx..(r + 1) * nx;
        let (spread, count) = if statistics {
            (&mut out.spread[row.clone()], &mut out.count[row.clone()])
        } else {
            (&mut [][..], &mut [][..])
        };
        reduce(
            &blocks,
            r * nx,
            &mut out.value[row],
            spread,
            count,
            &mut scratch,
        );
    }
    Ok(out)
}

/// The blocks of a band: the points of node `n` are `order[start[n]..start[n + 1]]`.
struct Blocks<'a> {
    order: &'a [u32],
    start: &'a [u32],
    z: &'a [f64],
    /// Empty when unweighted.
    weight: &'a [f64],
    median: bool,
}

/// Scratch buffers of [`reduce_row`].
#[derive(Default)]
struct Scratch {
    zw: Vec<(f64, f64)>,
    dev: Vec<f64>,
}

type RowFn = fn(&Blocks, usize, &mut [f64], &mut [f64], &mut [f64], &mut Scratch);

/// The points of each node of a band of grid rows: the points of band node `n` (node
/// `(r0 + n / nx) * nx + n % nx` of the grid) are `order[start[n]..start[n + 1]]`, in input order.
pub(super) struct NodeGroups {
    pub order: Vec<u32>,
    pub start: Vec<u32>,
}

/// Groups the points by the node of rows `r0..r1` they fall on (GMT's block rule, see the
/// [module docs](self)), dropping the others: a counting sort, O(points + nodes).
pub(super) fn group_by_node(
    lon: &[f64],
    lat: &[f64],
    spec: &GridSpec,
    r0: usize,
    r1: usize,
) -> NodeGroups {
    let nodes = (r1 - r0) * spec.nx;
    // node of each point (u32::MAX outside the band), then counting sort by node
    let mut node_idx = vec![0u32; lon.len()];
    let assign = out_of_line(assign_nodes as AssignFn);
    const CHUNK: usize = 4096;
    for (c, out) in node_idx.chunks_mut(CHUNK).enumerate() {
        let p0 = c * CHUNK;
        let p1 = p0 + out.len();
        assign(&lon[p0..p1], &lat[p0..p1], spec, r0, r1, out);
    }
    // The counting, prefix and scatter passes run per chunk, out of line, like the assignment:
    // as one loop each they ran in V8's baseline tier (see crate::tiering).
    let mut start = vec![0u32; nodes + 1];
    let count = out_of_line(count_nodes as CountFn);
    for chunk in node_idx.chunks(CHUNK) {
        count(chunk, &mut start);
    }
    let prefix = out_of_line(prefix_sum as PrefixFn);
    let mut carry = 0;
    for chunk in start.chunks_mut(CHUNK) {
        carry = prefix(chunk, carry);
    }
    // start[n] is now the end of node n - 1's points, i.e. node n's first slot
    let mut order = vec![0u32; start[nodes] as usize];
    // fill: start[n] is node n's next free slot, so it ends as the old start[n + 1]
    let scatter = out_of_line(scatter_points as ScatterFn);
    for (c, chunk) in node_idx.chunks(CHUNK).enumerate() {
        scatter(chunk, (c * CHUNK) as u32, &mut start, &mut order);
    }
    start.copy_within(0..nodes, 1);
    start[0] = 0;
    NodeGroups { order, start }
}

type CountFn = fn(&[u32], &mut [u32]);

/// Counts the points of each node into `start[node + 1]`.
fn count_nodes(node_idx: &[u32], start: &mut [u32]) {
    for &n in node_idx {
        if n != u32::MAX {
            start[n as usize + 1] += 1;
        }
    }
}

type PrefixFn = fn(&mut [u32], u32) -> u32;

/// Running sum of `v` in place, starting from `carry`; returns the last sum.
fn prefix_sum(v: &mut [u32], mut carry: u32) -> u32 {
    for x in v {
        carry += *x;
        *x = carry;
    }
    carry
}

type ScatterFn = fn(&[u32], u32, &mut [u32], &mut [u32]);

/// Puts each point `p0 + k` of the chunk at its node's next free slot `start[node]`.
fn scatter_points(node_idx: &[u32], p0: u32, start: &mut [u32], order: &mut [u32]) {
    for (k, &n) in node_idx.iter().enumerate() {
        if n != u32::MAX {
            let f = &mut start[n as usize];
            order[*f as usize] = p0 + k as u32;
            *f += 1;
        }
    }
}

type AssignFn = fn(&[f64], &[f64], &GridSpec, usize, usize, &mut [u32]);

/// Node index within the band `r0..r1` of each point (`u32::MAX` outside); called per chunk of
/// points, out of line (see [`crate::tiering`]).
fn assign_nodes(lon: &[f64], lat: &[f64], spec: &GridSpec, r0: usize, r1: usize, out: &mut [u32]) {
    let nx = spec.nx;
    for ((o, &x), &y) in out.iter_mut().zip(lon).zip(lat) {
        let fi = ((x - spec.west) / spec.dx).round_ties_even();
        let fj = ((y - spec.south) / spec.dy).round_ties_even();
        *o = if fi < 0.0 || fi >= nx as f64 || fj < r0 as f64 || fj >= r1 as f64 {
            u32::MAX
        } else {
            ((fj as usize - r0) * nx + fi as usize) as u32
        };
    }
}

/// Reduces the blocks of one grid row starting at node `n0` into `value` (and `spread` and
/// `count` when they are not empty); called per row, out of line (see [`crate::tiering`]).
fn reduce_row(
    b: &Blocks,
    n0: usize,
    value: &mut [f64],
    spread: &mut [f64],
    count_out: &mut [f64],
    scratch: &mut Scratch,
) {
    let statistics = !spread.is_empty();
    let weighted = !b.weight.is_empty();
    let w_of = |p: usize| if weighted { b.weight[p] } else { 1.0 };
    let z = b.z;
    for i in 0..value.len() {
        let n = n0 + i;
        let members = &b.order[b.start[n] as usize..b.start[n + 1] as usize];
        let count = members.len();
        if count == 0 {
            value[i] = f64::NAN;
            continue;
        }
        if statistics {
            count_out[i] = count as f64;
        }
        if !b.median {
            let (mut sw, mut swz) = (0.0, 0.0);
            for &p in members {
                let w = w_of(p as usize);
                sw += w;
                swz += w * z[p as usize];
            }
            let m = swz / sw;
            value[i] = m;
            if statistics && count > 1 {
                let mut s2 = 0.0;
                for &p in members {
                    let d = z[p as usize] - m;
                    s2 += w_of(p as usize) * d * d;
                }
                let nf = count as f64;
                spread[i] = (nf / (nf - 1.0) * s2 / sw).sqrt();
            }
        } else if count == 1 {
            // Most blocks hold one or two points (0.5 points per block in the benchmark):
            // these shortcuts give exactly what the general path below gives.
            value[i] = z[members[0] as usize];
        } else if count == 2 && !weighted && !statistics {
            // GMT's rule for two equal weights: cumulative weight equals half the total after
            // the first, so the mean of the two (the sum does not depend on their order).
            value[i] = 0.5 * (z[members[0] as usize] + z[members[1] as usize]);
        } else {
            let zw = &mut scratch.zw;
            zw.clear();
            zw.extend(members.iter().map(|&p| (z[p as usize], w_of(p as usize))));
            zw.sort_by(|a, b| a.0.total_cmp(&b.0));
            let med = weighted_median(zw);
            value[i] = med;
            if statistics && count > 1 {
                let dev = &mut scratch.dev;
                dev.clear();
                dev.extend(zw.iter().map(|&(v, _)| (v - med).abs()));
                dev.sort_by(f64::total_cmp);
                let h = count / 2;
                let mad = if count % 2 == 1 {
                    dev[h]
                } else {
                    0.5 * (dev[h - 1] + dev[h])
                };
                spread[i] = MAD_NORMALIZE * mad;
            }
        }
    }
}

/// GMT's weighted median of `(z, w)` pairs sorted by `z` (non-empty).
fn weighted_median(zw: &[(f64, f64)]) -> f64 {
    let total: f64 = zw.iter().map(|p| p.1).sum();
    let half = 0.5 * total;
    let mut k = 0;
    let mut cum = zw[0].1;
    while cum < half && k + 1 < zw.len() {
        k += 1;
        cum += zw[k].1;
    }
    if cum == half && k + 1 < zw.len() {
        0.5 * (zw[k].0 + zw[k + 1].0)
    } else {
        zw[k].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bits::same_bits;

    #[test]
    fn edges_round_half_to_even_like_gmt() {
        // same points as checked by hand against gmt blockmean -R0/2/0/2 -I1 -C -E
        let pts = [
            (0.0, 0.0, 1.0),
            (0.5, 0.0, 2.0),
            (1.0, 0.5, 3.0),
            (-0.5, 0.0, 4.0),
            (2.5, 2.0, 5.0),
            (2.0, 2.5, 6.0),
            (2.6, 0.0, 7.0),
            (0.0, -0.5, 8.0),
            (1.5, 1.5, 9.0),
            (1.5, 1.5, 10.0),
            (0.9, 1.1, 11.0),
            (1.1, 0.9, 12.0),
            (1.0, 1.0, 14.0),
        ];
        let lon: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let lat: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let z: Vec<f64> = pts.iter().map(|p| p.2).collect();
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 3.0, 3.0]).unwrap();
        let b = grid_block(&lon, &lat, &z, &[], &spec, 0, 3, false, true).unwrap();
        assert_eq!(b.value[0], 3.75);
        assert_eq!(b.count[0], 4.0);
        assert_eq!(b.value[1], 3.0);
        assert!(b.spread[1].is_nan());
        assert_eq!(b.value[8], 7.5);
        assert!((b.spread[0] - 3.09569593683).abs() < 1e-10);
        let m = grid_block(&lon, &lat, &z, &[], &spec, 0, 3, true, true).unwrap();
        assert_eq!(m.value[0], 3.0);
        assert!((m.spread[0] - 2.2239).abs() < 1e-12);
        assert_eq!(m.value[4], 12.0);
        // band 1..3 equals rows 1..3 of the full grid
        let band = grid_block(&lon, &lat, &z, &[], &spec, 1, 3, true, true).unwrap();
        assert!(same_bits(band.count.iter(), &m.count[3..]));
    }

    #[test]
    fn values_plane_equals_full_planes_bit_for_bit() {
        // 1 to 4 points per block: exercises the one- and two-point shortcuts of the values
        // plane against the general sort-based path that the statistics planes take.
        use super::super::test_util::Rng;
        let mut rng = Rng(21);
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 40.0, 30.0]).unwrap();
        let (mut lon, mut lat, mut z, mut w) = (vec![], vec![], vec![], vec![]);
        for j in 0..30 {
            for i in 0..40 {
                for _ in 0..(rng.next_u64() % 5) {
                    lon.push(i as f64 + rng.uniform(-0.49, 0.49));
                    lat.push(j as f64 + rng.uniform(-0.49, 0.49));
                    z.push(rng.uniform(-100.0, 100.0));
                    w.push(rng.uniform(0.1, 2.0));
                }
            }
        }
        for median in [false, true] {
            for weight in [&[][..], &w[..]] {
                let full = grid_block(&lon, &lat, &z, weight, &spec, 0, 30, median, true).unwrap();
                let values = grid_block(&lon, &lat, &z, weight, &spec, 0, 30, median, false)
                    .unwrap()
                    .value;
                let same = same_bits(full.value.iter(), &values);
                assert!(same, "median={median} weighted={}", !weight.is_empty());
            }
        }
    }

    #[test]
    fn weighted_median_matches_gmt_definition() {
        assert_eq!(
            weighted_median(&[(1.0, 1.0), (2.0, 3.0), (4.0, 0.5), (8.0, 2.0)]),
            2.0
        );
        assert_eq!(
            weighted_median(&[(1.0, 1.0), (2.0, 1.0), (4.0, 1.0), (8.0, 1.0)]),
            3.0
        );
        assert_eq!(weighted_median(&[(5.0, 2.0)]), 5.0);
    }

    #[test]
    fn rejects_bad_weights() {
        let spec = GridSpec::from_slice(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let e = grid_block(&[0.0], &[0.0], &[1.0], &[0.0], &spec, 0, 2, false, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "weight[0] must be a finite number > 0, got 0"
        );
        let e = grid_block(
            &[0.0],
            &[0.0],
            &[1.0],
            &[1.0, 2.0],
            &spec,
            0,
            2,
            false,
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "lon and weight must have equal lengths (got 1 and 2)"
        );
    }

    fn col(v: &serde_json::Value, key: &str) -> Vec<f64> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    /// Compares every node with GMT's output (tests/fixtures/block_gmt.json,
    /// written by scripts/fixtures/block_gmt.py with the real GMT 6).
    #[test]
    fn equals_gmt_blockmean_and_blockmedian_fixture() {
        let text = include_str!("../../tests/fixtures/block_gmt.json");
        let fx: serde_json::Value = serde_json::from_str(text).unwrap();
        let spec = GridSpec::from_slice(&col(&fx, "spec")).unwrap();
        let (lon, lat, z, w) = (
            col(&fx, "lon"),
            col(&fx, "lat"),
            col(&fx, "z"),
            col(&fx, "w"),
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300);
        let ny = spec.ny as u32;
        let counts = grid_block(&lon, &lat, &z, &[], &spec, 0, ny, false, true)
            .unwrap()
            .count;
        for (key, median, weights) in [
            ("mean", false, &[][..]),
            ("median", true, &[][..]),
            ("mean_weighted", false, &w[..]),
            ("median_weighted", true, &w[..]),
        ] {
            let got = grid_block(&lon, &lat, &z, weights, &spec, 0, ny, median, true).unwrap();
            let rows = fx[key].as_array().unwrap();
            let mut seen = 0;
            for r in rows {
                let r: Vec<f64> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(f64::NAN))
                    .collect();
                let i = ((r[0] - spec.west) / spec.dx).round() as usize;
                let j = ((r[1] - spec.south) / spec.dy).round() as usize;
                let n = j * spec.nx + i;
                assert!(
                    close(got.value[n], r[2]),
                    "{key} value at {i},{j}: {} vs {}",
                    got.value[n],
                    r[2]
                );
                if r[3].is_nan() {
                    assert!(got.spread[n].is_nan(), "{key} spread at {i},{j}");
                } else {
                    assert!(
                        close(got.spread[n], r[3]),
                        "{key} spread at {i},{j}: {} vs {}",
                        got.spread[n],
                        r[3]
                    );
                }
                seen += 1;
            }
            // nodes GMT does not report are empty here too
            assert_eq!(
                got.count.iter().filter(|c| !c.is_nan()).count(),
                seen,
                "{key}"
            );
            assert!(same_bits(got.count.iter(), &counts));
        }
        for r in fx["count"].as_array().unwrap() {
            let r: Vec<f64> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let i = ((r[0] - spec.west) / spec.dx).round() as usize;
            let j = ((r[1] - spec.south) / spec.dy).round() as usize;
            assert_eq!(counts[j * spec.nx + i], r[2], "count at {i},{j}");
        }
    }
}

//! Exact k-nearest-neighbour search under the node-latitude metric.
//!
//! A static k-d tree over `(lon, lat)` (median splits along the axis of larger
//! metric extent, leaves of at most [`LEAF_SIZE`] points, every node storing the
//! bounding box of its points). A query at a node with latitude cosine `c`
//! visits children nearer-first and prunes a subtree when the squared box
//! distance `((gap_lon) * c)² + (gap_lat)²` is *strictly* greater than the
//! current k-th best, so candidates tying with the k-th best are still seen.
//! The box distance is computed with the same floating-point operations as the
//! point distance ([`super::dist2`]), and rounding is monotone, so it is an
//! exact lower bound and the search is exact.
//!
//! Results are ordered by `(d², original index)`: equal distances are broken by
//! the index of the point in the input, which makes results independent of the
//! tree shape and hence of which far-away points were passed. Unlike a bucket
//! grid, the cost of a query does not grow with the empty area around the
//! query (a grid node far from the data still costs O(log n)).
//!
//! Build is O(n log n), a query O(log n + k) on average.
//!
//! For speed on dense data a bucket grid (cells roughly square under the
//! metric, about [`BUCKET_FILL`] points each, points stored bucket by bucket)
//! answers most queries first: rings of buckets around the query's bucket are
//! scanned until the distance from the query to the outside of the scanned
//! rectangle (scaled by `c` in longitude, shrunk by a margin against rounding)
//! exceeds the k-th best, which proves the result exact. A query that needs
//! more than [`MAX_RINGS`] rings falls back to the tree, seeded with what the
//! rings found, so sparse regions and far-away nodes stay O(log n). The tree is
//! built on the first such query: with a search radius within the rings (the
//! usual nearest and IDW settings on dense data) it is never needed, and its
//! O(n log n) build was a fifth of a nearest-neighbour grid's time.

use super::{cos_lat, dist2, GridSpec};
use std::cell::OnceCell;

/// Maximum number of points in a leaf.
pub const LEAF_SIZE: usize = 12;

const NONE: u32 = u32::MAX;

/// Target mean number of points per bucket of the bucket grid.
pub const BUCKET_FILL: usize = 3;

/// Rings of buckets scanned before falling back to the tree.
pub const MAX_RINGS: usize = 3;

/// Bucket grid over the points.
#[derive(Debug, Clone)]
struct Buckets {
    x0: f64,
    y0: f64,
    bw: f64,
    bh: f64,
    nbx: usize,
    nby: usize,
    /// `start[b]..start[b + 1]` are bucket `b`'s entries.
    start: Vec<u32>,
    /// `(lon, lat)` bucket by bucket.
    pts: Vec<(f64, f64)>,
    /// Input index of each entry.
    pos: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
    /// Children (`NONE` for a leaf).
    left: u32,
    right: u32,
    /// Range of points in the tree's permuted arrays.
    lo: u32,
    hi: u32,
}

/// The k-d tree: nodes, and the points in tree order with their input indices.
#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
    pts: Vec<(f64, f64)>,
    pos: Vec<u32>,
}

impl Tree {
    #[inline(always)]
    fn box_dist2(&self, ni: u32, qx: f64, qy: f64, c: f64) -> f64 {
        let b = &self.nodes[ni as usize];
        let gx = if qx < b.min_x {
            (b.min_x - qx) * c
        } else if qx > b.max_x {
            (qx - b.max_x) * c
        } else {
            0.0
        };
        let gy = if qy < b.min_y {
            b.min_y - qy
        } else if qy > b.max_y {
            qy - b.max_y
        } else {
            0.0
        };
        gx * gx + gy * gy
    }

    fn new(pts: &[(f64, f64)]) -> Tree {
        let mut items: Vec<(f64, f64, u32)> = pts
            .iter()
            .enumerate()
            .map(|(p, &(x, y))| (x, y, p as u32))
            .collect();
        let mut nodes = Vec::with_capacity(2 * pts.len() / LEAF_SIZE + 2);
        if !pts.is_empty() {
            let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
            for &(_, y) in pts {
                ymin = ymin.min(y);
                ymax = ymax.max(y);
            }
            let c = super::cos_lat(0.5 * (ymin + ymax)).abs().max(1e-3);
            build(&mut items, 0, c, &mut nodes);
        }
        Tree {
            nodes,
            pts: items.iter().map(|t| (t.0, t.1)).collect(),
            pos: items.iter().map(|t| t.2).collect(),
        }
    }
}

/// A point index (bucket grid, k-d tree) over points given as longitude / latitude slices.
#[derive(Debug, Clone)]
pub struct PointIndex {
    /// `(lon, lat)` in input order.
    pts: Vec<(f64, f64)>,
    buckets: Option<Buckets>,
    /// Built on the first query the buckets cannot answer.
    tree: OnceCell<Tree>,
}

/// The k best candidates found so far, sorted by `(d², id)`.
#[derive(Debug, Clone)]
pub struct KBest {
    k: usize,
    limit: f64,
    d2: Vec<f64>,
    id: Vec<u32>,
    /// Input indices again (the re-offer of [`PointIndex::knn`] reads them), parallel to `id`.
    pos: Vec<u32>,
    /// Scratch: positions of the previous query's neighbours.
    prev: Vec<u32>,
}

impl KBest {
    /// A buffer for up to `k` (>= 1) neighbours with squared distance `<= limit2`.
    pub fn new(k: usize, limit2: f64) -> KBest {
        KBest {
            k: k.max(1),
            limit: limit2,
            d2: Vec::with_capacity(k.max(1) + 1),
            id: Vec::with_capacity(k.max(1) + 1),
            pos: Vec::with_capacity(k.max(1) + 1),
            prev: Vec::with_capacity(k.max(1) + 1),
        }
    }

    /// Empties the buffer, keeping its capacity.
    #[inline]
    pub fn clear(&mut self) {
        self.d2.clear();
        self.id.clear();
        self.pos.clear();
    }

    /// Largest squared distance still worth looking at.
    #[inline(always)]
    fn bound(&self) -> f64 {
        if self.d2.len() < self.k {
            self.limit
        } else {
            self.d2[self.k - 1]
        }
    }

    /// Offers a candidate; a candidate already held is ignored.
    #[inline(always)]
    fn offer(&mut self, d2: f64, id: u32, at: u32) {
        if d2 > self.bound() {
            return;
        }
        let n = self.d2.len();
        if n == self.k {
            let (wd, wi) = (self.d2[n - 1], self.id[n - 1]);
            if d2 > wd || (d2 == wd && id > wi) {
                return;
            }
        }
        // insertion position: after the last element smaller than (d2, id)
        let mut pos = n;
        while pos > 0 {
            let (pd, pi) = (self.d2[pos - 1], self.id[pos - 1]);
            if pd < d2 || (pd == d2 && pi < id) {
                break;
            }
            if pd == d2 && pi == id {
                return;
            }
            pos -= 1;
        }
        // shift the tail by one (dropping the last element when full)
        let mut q = if n < self.k {
            self.d2.push(d2);
            self.id.push(id);
            self.pos.push(at);
            n
        } else {
            n - 1
        };
        while q > pos {
            self.d2[q] = self.d2[q - 1];
            self.id[q] = self.id[q - 1];
            self.pos[q] = self.pos[q - 1];
            q -= 1;
        }
        self.d2[pos] = d2;
        self.id[pos] = id;
        self.pos[pos] = at;
    }

    /// Number of neighbours found.
    #[inline]
    pub fn len(&self) -> usize {
        self.d2.len()
    }

    /// True when no neighbour was found.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.d2.is_empty()
    }

    /// Squared distances, ascending.
    #[inline]
    pub fn dist2(&self) -> &[f64] {
        &self.d2
    }

    /// Original indices of the neighbours, in the order of [`KBest::dist2`].
    #[inline]
    pub fn ids(&self) -> &[u32] {
        &self.id
    }
}

impl PointIndex {
    /// Builds the index. `lon` and `lat` must have equal lengths (< 2^32 - 1)
    /// and finite values (see [`super::check_points`]).
    pub fn new(lon: &[f64], lat: &[f64]) -> PointIndex {
        PointIndex::with_bucket_fill(lon, lat, BUCKET_FILL)
    }

    /// Like [`PointIndex::new`] with about `fill` points per bucket (use about
    /// `k / 2` for k-nearest queries with larger `k`).
    pub fn with_bucket_fill(lon: &[f64], lat: &[f64], fill: usize) -> PointIndex {
        let n = lon.len().min(lat.len());
        let pts: Vec<(f64, f64)> = (0..n).map(|p| (lon[p], lat[p])).collect();
        let buckets = Buckets::new(&pts, fill.max(1));
        PointIndex {
            pts,
            buckets,
            tree: OnceCell::new(),
        }
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// True when no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// Rows `r0..r1` of `spec`'s nodes, row-major, south first: for each node the query
    /// [`PointIndex::knn`] into `best`, then `node(best, value)` sets the node's value
    /// (NaN unless it does). Rows run south to north and columns west to east, so successive
    /// queries are neighbours (see `knn`'s re-offer). The loop of every k-nearest kernel;
    /// [`Cancelled`](crate::cancel::Cancelled) when the job is cancelled (checked per row).
    pub fn query_band(
        &self,
        spec: &GridSpec,
        (r0, r1): (usize, usize),
        best: &mut KBest,
        mut node: impl FnMut(&KBest, &mut f64),
    ) -> Result<Vec<f64>, crate::cancel::Cancelled> {
        let mut out = vec![f64::NAN; (r1 - r0) * spec.nx];
        for (row, j) in out.chunks_exact_mut(spec.nx).zip(r0..r1) {
            crate::cancel::check()?;
            let y = spec.lat(j);
            let c = cos_lat(y);
            for (i, v) in row.iter_mut().enumerate() {
                self.knn(spec.lon(i), y, c, best);
                node(best, v);
            }
        }
        Ok(out)
    }

    /// Fills `best` (cleared first) with the nearest points to `(qx, qy)` under
    /// the metric with longitude scale `c` (the cosine of `qy`).
    ///
    /// The previous contents of `best` (the neighbours of the previous query)
    /// are re-offered first with their distances to the new query: for nearby
    /// successive queries (grid rows) this gives a tight pruning bound at once.
    /// The result does not depend on it.
    pub fn knn(&self, qx: f64, qy: f64, c: f64, best: &mut KBest) {
        std::mem::swap(&mut best.prev, &mut best.pos);
        best.d2.clear();
        best.id.clear();
        best.pos.clear();
        if self.pts.is_empty() {
            return;
        }
        for k in 0..best.prev.len() {
            let p = best.prev[k] as usize;
            if p < self.pts.len() {
                let d = dist2(self.pts[p].0, self.pts[p].1, qx, qy, c);
                best.offer(d, p as u32, p as u32);
            }
        }
        if let Some(b) = &self.buckets {
            if b.rings(qx, qy, c, best) {
                return;
            }
        }
        let tree = self.tree.get_or_init(|| Tree::new(&self.pts));
        // explicit stack of (node, lower bound)
        let mut stack: [(u32, f64); 96] = [(0, 0.0); 96];
        let mut sp = 1usize;
        stack[0] = (0, tree.box_dist2(0, qx, qy, c));
        while sp > 0 {
            sp -= 1;
            let (ni, lb) = stack[sp];
            if lb > best.bound() {
                continue;
            }
            let node = &tree.nodes[ni as usize];
            if node.left == NONE {
                for q in node.lo as usize..node.hi as usize {
                    let d = dist2(tree.pts[q].0, tree.pts[q].1, qx, qy, c);
                    best.offer(d, tree.pos[q], tree.pos[q]);
                }
                continue;
            }
            let dl = tree.box_dist2(node.left, qx, qy, c);
            let dr = tree.box_dist2(node.right, qx, qy, c);
            // push the farther child first so the nearer is popped first
            let (far, dfar, near, dnear) = if dl <= dr {
                (node.right, dr, node.left, dl)
            } else {
                (node.left, dl, node.right, dr)
            };
            let bound = best.bound();
            if dfar <= bound {
                stack[sp] = (far, dfar);
                sp += 1;
            }
            if dnear <= bound {
                stack[sp] = (near, dnear);
                sp += 1;
            }
        }
    }
}

impl Buckets {
    fn new(pts: &[(f64, f64)], fill: usize) -> Option<Buckets> {
        let n = pts.len();
        if n < 64 {
            return None;
        }
        let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y) in pts {
            x_lo = x_lo.min(x);
            x_hi = x_hi.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
        let cm = super::cos_lat(0.5 * (y_lo + y_hi)).abs().max(1e-3);
        let (wm, hm) = ((x_hi - x_lo) * cm, y_hi - y_lo);
        let nb = (n / fill).max(1) as f64;
        let side = if wm > 0.0 && hm > 0.0 {
            (wm * hm / nb).sqrt()
        } else if wm.max(hm) > 0.0 {
            wm.max(hm) / nb
        } else {
            return None;
        };
        let (bw, bh) = (side / cm, side);
        let (fx, fy) = ((x_hi - x_lo) / bw + 1.0, (y_hi - y_lo) / bh + 1.0);
        // no clamping of coordinates into edge buckets beyond rounding: give
        // up on the bucket grid rather than cap its size
        if !(fx < 65536.0 && fy < 65536.0 && fx * fy <= (4 * n + 64) as f64) {
            return None;
        }
        let (nbx, nby) = (fx as usize, fy as usize);
        let cell = |x: f64, y: f64| -> usize {
            let i = (((x - x_lo) / bw) as usize).min(nbx - 1);
            let j = (((y - y_lo) / bh) as usize).min(nby - 1);
            j * nbx + i
        };
        let mut start = vec![0u32; nbx * nby + 1];
        for &(x, y) in pts {
            start[cell(x, y) + 1] += 1;
        }
        for b in 0..nbx * nby {
            start[b + 1] += start[b];
        }
        let mut fill = start.clone();
        let mut bpts = vec![(0.0, 0.0); n];
        let mut pos = vec![0u32; n];
        for (p, &(x, y)) in pts.iter().enumerate() {
            let b = cell(x, y);
            bpts[fill[b] as usize] = (x, y);
            pos[fill[b] as usize] = p as u32;
            fill[b] += 1;
        }
        Some(Buckets {
            x0: x_lo,
            y0: y_lo,
            bw,
            bh,
            nbx,
            nby,
            start,
            pts: bpts,
            pos,
        })
    }

    /// Ring search; returns true when the result in `best` is proven exact.
    #[inline]
    fn rings(&self, qx: f64, qy: f64, c: f64, best: &mut KBest) -> bool {
        let (nbx, nby) = (self.nbx as isize, self.nby as isize);
        let bx = (((qx - self.x0) / self.bw).floor() as isize).clamp(0, nbx - 1);
        let by = (((qy - self.y0) / self.bh).floor() as isize).clamp(0, nby - 1);
        // margins against rounding in the bucket assignment
        let (mx, my) = (self.bw * 1e-9, self.bh * 1e-9);
        for r in 0..=MAX_RINGS as isize {
            let (j0, j1) = ((by - r).max(0), (by + r).min(nby - 1));
            let (i0, i1) = ((bx - r).max(0), (bx + r).min(nbx - 1));
            for j in j0..=j1 {
                // latitude gap from the query to this bucket row
                let (ylo, yhi) = (
                    self.y0 + j as f64 * self.bh,
                    self.y0 + (j + 1) as f64 * self.bh,
                );
                let gy = (ylo - qy - my).max(qy - yhi - my).max(0.0);
                let gy2 = gy * gy;
                if gy2 > best.bound() {
                    continue;
                }
                let edge = (j - by).abs() == r;
                let mut i = i0;
                while i <= i1 {
                    if !edge && i != bx - r && i != bx + r {
                        // interior of the ring rectangle: jump to its right edge
                        i = bx + r;
                        continue;
                    }
                    let (xlo, xhi) = (
                        self.x0 + i as f64 * self.bw,
                        self.x0 + (i + 1) as f64 * self.bw,
                    );
                    let gx = ((xlo - qx - mx).max(qx - xhi - mx).max(0.0)) * c;
                    if gx * gx + gy2 <= best.bound() {
                        let b = j * nbx + i;
                        self.scan(b, b, qx, qy, c, best);
                    }
                    i += 1;
                }
            }
            // lower bound of the distance to any bucket outside the rectangle
            let mut lb = f64::INFINITY;
            if i0 > 0 {
                let g = ((qx - (self.x0 + i0 as f64 * self.bw) - mx) * c).max(0.0);
                lb = lb.min(g * g);
            }
            if i1 < nbx - 1 {
                let g = (((self.x0 + (i1 + 1) as f64 * self.bw) - qx - mx) * c).max(0.0);
                lb = lb.min(g * g);
            }
            if j0 > 0 {
                let g = (qy - (self.y0 + j0 as f64 * self.bh) - my).max(0.0);
                lb = lb.min(g * g);
            }
            if j1 < nby - 1 {
                let g = ((self.y0 + (j1 + 1) as f64 * self.bh) - qy - my).max(0.0);
                lb = lb.min(g * g);
            }
            if lb > best.bound() {
                return true;
            }
        }
        false
    }

    /// Offers the points of buckets `b0..=b1` (consecutive in memory).
    #[inline(always)]
    fn scan(&self, b0: isize, b1: isize, qx: f64, qy: f64, c: f64, best: &mut KBest) {
        let (lo, hi) = (
            self.start[b0 as usize] as usize,
            self.start[b1 as usize + 1] as usize,
        );
        for e in lo..hi {
            let (x, y) = self.pts[e];
            let d = dist2(x, y, qx, qy, c);
            if d <= best.bound() {
                let p = self.pos[e];
                best.offer(d, p, p);
            }
        }
    }
}

/// Recursively builds the subtree over `items` (which start at position
/// `offset` of the whole array), returns its node id.
fn build(items: &mut [(f64, f64, u32)], offset: usize, c: f64, nodes: &mut Vec<Node>) -> u32 {
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y, _) in items.iter() {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    let id = nodes.len() as u32;
    nodes.push(Node {
        min_x,
        max_x,
        min_y,
        max_y,
        left: NONE,
        right: NONE,
        lo: offset as u32,
        hi: (offset + items.len()) as u32,
    });
    let spread_x = (max_x - min_x) * c;
    let spread_y = max_y - min_y;
    if items.len() <= LEAF_SIZE || (spread_x == 0.0 && spread_y == 0.0) {
        return id;
    }
    let mid = items.len() / 2;
    if spread_x >= spread_y {
        items.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0));
    } else {
        items.select_nth_unstable_by(mid, |a, b| a.1.total_cmp(&b.1));
    }
    let (l, r) = items.split_at_mut(mid);
    let left = build(l, offset, c, nodes);
    let right = build(r, offset + mid, c, nodes);
    nodes[id as usize].left = left;
    nodes[id as usize].right = right;
    id
}

#[cfg(test)]
mod tests {
    use super::super::test_util::points;
    use super::super::{cos_lat, dist2};
    use super::*;

    fn brute(lon: &[f64], lat: &[f64], qx: f64, qy: f64, k: usize, r2: f64) -> Vec<(f64, u32)> {
        let c = cos_lat(qy);
        let mut all: Vec<(f64, u32)> = (0..lon.len())
            .map(|p| (dist2(lon[p], lat[p], qx, qy, c), p as u32))
            .filter(|&(d, _)| d <= r2)
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    }

    #[test]
    fn knn_equals_brute_force_including_ties() {
        // integer coordinates give many exact ties
        let (mut lon, mut lat, _) = points(7, 3000, [-10.0, 40.0, 10.0, 60.0]);
        for k in 0..lon.len() / 2 {
            lon[k] = lon[k].round();
            lat[k] = lat[k].round();
        }
        let idx = PointIndex::new(&lon, &lat);
        let mut rng = super::super::test_util::Rng(3);
        for q in 0..600 {
            let (qx, qy) = if q % 3 == 0 {
                (
                    rng.uniform(-10.0, 10.0).round(),
                    rng.uniform(40.0, 60.0).round(),
                )
            } else {
                (rng.uniform(-14.0, 14.0), rng.uniform(35.0, 65.0))
            };
            for &(k, r2) in &[
                (1usize, f64::INFINITY),
                (12, f64::INFINITY),
                (5, 0.04),
                (40, 1.0),
            ] {
                let mut best = KBest::new(k, r2);
                idx.knn(qx, qy, cos_lat(qy), &mut best);
                let want = brute(&lon, &lat, qx, qy, k, r2);
                let got: Vec<(f64, u32)> = best
                    .dist2()
                    .iter()
                    .copied()
                    .zip(best.ids().iter().copied())
                    .collect();
                assert_eq!(got, want, "query {q} ({qx}, {qy}) k={k}");
            }
        }
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        let idx = PointIndex::new(&[], &[]);
        let mut best = KBest::new(3, f64::INFINITY);
        idx.knn(0.0, 0.0, 1.0, &mut best);
        assert!(best.is_empty());
        // all points at one location: ties resolved by index
        let lon = vec![1.0; 50];
        let lat = vec![2.0; 50];
        let idx = PointIndex::new(&lon, &lat);
        idx.knn(0.0, 0.0, 1.0, &mut best);
        assert_eq!(best.ids(), &[0, 1, 2]);
    }
}

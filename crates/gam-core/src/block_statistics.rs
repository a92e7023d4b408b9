//! Per-block summaries of a run of values: the pass behind the pipeline's recorded statistics
//! (count, min, max, mean, standard deviation before and after every stage), done by the worker
//! that already holds a band instead of by the main thread.
//!
//! Method: the values are cut into blocks of [`BLOCK`] by their position in the whole
//! sequence; within a block, the sums of `v - K` and `(v - K)²` about the block's first valid
//! value `K` (shifted data: Chan, Golub and LeVeque 1983, "Algorithms for computing the sample
//! variance: analysis and recommendations", The American Statistician 37(3)). The blocks are
//! merged by the caller with the pairwise update (`StatisticsAccumulator` in
//! `src/preprocessing/statistics.ts`), which also sums the partial blocks at a run's two ends.
//!
//! The arithmetic is the TypeScript accumulator's, operation for operation (the same shift, the
//! same sums in the same order, no fused multiply-add: Rust does not contract `a + b * c`), so a
//! block summarised here merges to the very bits the accumulator gives when it reads the
//! values itself. Several blocks are summed side by side only to overlap their independent
//! addition chains; each block's own sums keep their order.

/// Values per block; equal to the TypeScript accumulator's `BLOCK`.
pub const BLOCK: usize = 4096;

/// Numbers per block summary: `[valid count, shift K, Σ(v-K), Σ(v-K)², min, max]` (min `+∞`
/// and max `-∞` for a block without a valid value, whose other fields are 0).
pub const FIELDS: usize = 6;

/// Blocks summed side by side (independent addition chains for the CPU to overlap).
const LANES: usize = 4;

/// Summaries of the whole blocks inside `values`, whose first value sits at `position` in the
/// whole sequence: blocks `ceil(position / BLOCK) ..` while they end within `values`,
/// [`FIELDS`] numbers each, in order. The partial blocks at both ends are the caller's to sum.
/// NaN is skipped; the shift of a block whose first valid value is infinite is 0 (the
/// accumulator's rule).
///
/// ```
/// use gam_core::block_statistics::{block_summaries, BLOCK, FIELDS};
/// let values = vec![2.0; 3 * BLOCK];
/// let s = block_summaries(&values, 10); // blocks 1 and 2 are whole
/// assert_eq!(s.len(), 2 * FIELDS);
/// assert_eq!(&s[..FIELDS], &[BLOCK as f64, 2.0, 0.0, 0.0, 2.0, 2.0]);
/// ```
pub fn block_summaries(values: &[f64], position: usize) -> Vec<f64> {
    let head = (BLOCK - position % BLOCK) % BLOCK;
    if head >= values.len() {
        return Vec::new();
    }
    let whole = &values[head..];
    let blocks = whole.len() / BLOCK;
    let mut out = vec![0.0; blocks * FIELDS];
    let mut b = 0;
    while b + LANES <= blocks {
        let chunk: [&[f64]; LANES] =
            std::array::from_fn(|l| &whole[(b + l) * BLOCK..(b + l + 1) * BLOCK]);
        let sums = summarise4(chunk);
        for (l, s) in sums.iter().enumerate() {
            out[(b + l) * FIELDS..(b + l + 1) * FIELDS].copy_from_slice(s);
        }
        b += LANES;
    }
    for b in b..blocks {
        let [s] = summarise_lanes([&whole[b * BLOCK..(b + 1) * BLOCK]]);
        out[b * FIELDS..(b + 1) * FIELDS].copy_from_slice(&s);
    }
    out
}

/// [`block_summaries`] of a sequence handed over in pieces (the rows a kernel produces one
/// by one), from position 0: each piece is appended to a staging buffer whose whole blocks
/// are summarised as it fills, so the summaries are those of the whole sequence, bit for bit,
/// without holding it.
///
/// ```
/// use gam_core::block_statistics::{block_summaries, BlockSummaries, BLOCK};
/// let values: Vec<f64> = (0..3 * BLOCK + 7).map(|i| i as f64).collect();
/// let mut s = BlockSummaries::default();
/// for row in values.chunks(1000) {
///     s.push(row);
/// }
/// assert_eq!(s.finish(), block_summaries(&values, 0));
/// ```
#[derive(Debug, Default)]
pub struct BlockSummaries {
    /// Values still to skip: the partial block before the first whole one.
    skip: usize,
    staged: Vec<f64>,
    out: Vec<f64>,
}

/// Blocks staged before they are summarised.
const STAGED_BLOCKS: usize = 16;

impl BlockSummaries {
    /// [`BlockSummaries`] of a run of the sequence that starts at `position` (as
    /// [`block_summaries`]'s `position`): the values before the first whole block are the
    /// caller's to sum.
    ///
    /// ```
    /// use gam_core::block_statistics::{block_summaries, BlockSummaries, BLOCK};
    /// let values: Vec<f64> = (0..3 * BLOCK).map(|i| (i % 7) as f64).collect();
    /// let mut s = BlockSummaries::at(100);
    /// s.push(&values[..5000]);
    /// s.push(&values[5000..]);
    /// assert_eq!(s.finish(), block_summaries(&values, 100));
    /// ```
    pub fn at(position: usize) -> Self {
        BlockSummaries {
            skip: (BLOCK - position % BLOCK) % BLOCK,
            ..Self::default()
        }
    }

    /// Appends the next values of the sequence.
    pub fn push(&mut self, mut values: &[f64]) {
        let skipped = self.skip.min(values.len());
        self.skip -= skipped;
        values = &values[skipped..];
        let cap = STAGED_BLOCKS * BLOCK;
        while !values.is_empty() {
            let take = values.len().min(cap - self.staged.len());
            self.staged.extend_from_slice(&values[..take]);
            values = &values[take..];
            if self.staged.len() == cap {
                self.out.extend(block_summaries(&self.staged, 0));
                self.staged.clear();
            }
        }
    }

    /// The summaries of the whole blocks pushed (the partial last block is the caller's, as
    /// for [`block_summaries`]).
    pub fn finish(mut self) -> Vec<f64> {
        self.out.extend(block_summaries(&self.staged, 0));
        self.out
    }
}

/// The shift of a block: its first valid value, or 0 when that is infinite (an infinite
/// shift would make every `v - K` NaN).
fn shift(block: &[f64]) -> f64 {
    match block.iter().find(|v| !v.is_nan()) {
        Some(&v) if v.is_finite() => v,
        _ => 0.0,
    }
}

/// Four blocks at once: wasm SIMD, two blocks per `f64x2` (a NaN lane adds `+0.0`, which
/// leaves the sums' bits as skipping it does: the sums start at `+0.0` and, rounding to
/// nearest, never become `-0.0`); elsewhere the scalar lanes.
fn summarise4(blocks: [&[f64]; 4]) -> [[f64; FIELDS]; 4] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd::summarise4(blocks);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    summarise_lanes(blocks)
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::{
        f64x2, f64x2_add, f64x2_eq, f64x2_extract_lane, f64x2_gt, f64x2_lt, f64x2_mul, f64x2_splat,
        f64x2_sub, i64x2_extract_lane, i64x2_splat, i64x2_sub, v128, v128_and, v128_bitselect,
    };

    use super::{shift, FIELDS};

    /// The running sums of two blocks, one per lane.
    struct Pair {
        k: v128,
        n: v128,
        s1: v128,
        s2: v128,
        min: v128,
        max: v128,
    }

    impl Pair {
        fn new(a: &[f64], b: &[f64]) -> Pair {
            Pair {
                k: f64x2(shift(a), shift(b)),
                n: i64x2_splat(0),
                s1: f64x2_splat(0.0),
                s2: f64x2_splat(0.0),
                min: f64x2_splat(f64::INFINITY),
                max: f64x2_splat(f64::NEG_INFINITY),
            }
        }

        /// The scalar loop's step on both lanes: `d = v - K` where `v` is valid, else `+0`.
        #[inline(always)]
        fn add(&mut self, v: v128) {
            let valid = f64x2_eq(v, v);
            let d = v128_and(f64x2_sub(v, self.k), valid);
            self.s1 = f64x2_add(self.s1, d);
            self.s2 = f64x2_add(self.s2, f64x2_mul(d, d));
            self.n = i64x2_sub(self.n, valid); // all ones is -1
            self.min = v128_bitselect(v, self.min, f64x2_lt(v, self.min));
            self.max = v128_bitselect(v, self.max, f64x2_gt(v, self.max));
        }

        fn lanes(&self) -> [[f64; FIELDS]; 2] {
            [
                [
                    i64x2_extract_lane::<0>(self.n) as f64,
                    f64x2_extract_lane::<0>(self.k),
                    f64x2_extract_lane::<0>(self.s1),
                    f64x2_extract_lane::<0>(self.s2),
                    f64x2_extract_lane::<0>(self.min),
                    f64x2_extract_lane::<0>(self.max),
                ],
                [
                    i64x2_extract_lane::<1>(self.n) as f64,
                    f64x2_extract_lane::<1>(self.k),
                    f64x2_extract_lane::<1>(self.s1),
                    f64x2_extract_lane::<1>(self.s2),
                    f64x2_extract_lane::<1>(self.min),
                    f64x2_extract_lane::<1>(self.max),
                ],
            ]
        }
    }

    pub(super) fn summarise4([a, b, c, d]: [&[f64]; 4]) -> [[f64; FIELDS]; 4] {
        let (mut p, mut q) = (Pair::new(a, b), Pair::new(c, d));
        for (((&va, &vb), &vc), &vd) in a.iter().zip(b).zip(c).zip(d) {
            p.add(f64x2(va, vb));
            q.add(f64x2(vc, vd));
        }
        let ([a, b], [c, d]) = (p.lanes(), q.lanes());
        [a, b, c, d]
    }
}

/// Summaries of `N` equal-length blocks, summed in lockstep.
fn summarise_lanes<const N: usize>(blocks: [&[f64]; N]) -> [[f64; FIELDS]; N] {
    let k: [f64; N] = std::array::from_fn(|l| shift(blocks[l]));
    let mut n = [0u32; N];
    let mut s1 = [0.0f64; N];
    let mut s2 = [0.0f64; N];
    let mut min = [f64::INFINITY; N];
    let mut max = [f64::NEG_INFINITY; N];
    // Index i of every lane in turn: the lanes' chains interleave (what the lockstep is for).
    #[allow(clippy::needless_range_loop)]
    for i in 0..blocks[0].len() {
        for l in 0..N {
            let v = blocks[l][i];
            if v.is_nan() {
                continue;
            }
            let d = v - k[l];
            n[l] += 1;
            s1[l] += d;
            s2[l] += d * d;
            // `<`/`>` as the accumulator compares: the first of equal extremes (0 and -0) stays.
            if v < min[l] {
                min[l] = v;
            }
            if v > max[l] {
                max[l] = v;
            }
        }
    }
    std::array::from_fn(|l| [f64::from(n[l]), k[l], s1[l], s2[l], min[l], max[l]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bits::same_bits;
    use crate::test_rng::Lcg;

    /// The accumulator's loop, value by value, over one block (the reference).
    fn naive(block: &[f64]) -> [f64; FIELDS] {
        let (mut bn, mut k, mut s1, mut s2) = (0u32, 0.0f64, 0.0f64, 0.0f64);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in block {
            if v.is_nan() {
                continue;
            }
            if bn == 0 {
                k = if v.is_finite() { v } else { 0.0 };
            }
            let d = v - k;
            bn += 1;
            s1 += d;
            s2 += d * d;
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        }
        [f64::from(bn), k, s1, s2, min, max]
    }

    fn sample(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Lcg(seed);
        (0..n)
            .map(|i| match i % 97 {
                0 => f64::NAN,
                13 => f64::INFINITY,
                _ => 1e6 + rng.unit() * 50.0 - 25.0,
            })
            .collect()
    }

    #[test]
    fn every_whole_block_equals_the_value_by_value_loop_bit_for_bit() {
        let v = sample(11 * BLOCK + 123, 7);
        for position in [0, 1, 4095, 4096, 5000, 3 * BLOCK - 1] {
            let s = block_summaries(&v, position);
            let head = (BLOCK - position % BLOCK) % BLOCK;
            let blocks = (v.len() - head) / BLOCK;
            assert_eq!(s.len(), blocks * FIELDS, "position {position}");
            for b in 0..blocks {
                let want = naive(&v[head + b * BLOCK..head + (b + 1) * BLOCK]);
                let got = &s[b * FIELDS..(b + 1) * FIELDS];
                for (g, w) in got.iter().zip(want) {
                    assert_eq!(g.to_bits(), w.to_bits(), "position {position} block {b}");
                }
            }
        }
    }

    #[test]
    fn summaries_pushed_in_pieces_equal_the_whole_sequence_s() {
        let v = sample(40 * BLOCK + 321, 9);
        let whole = block_summaries(&v, 0);
        for piece in [1, 777, BLOCK, 4608, 3 * BLOCK + 5, v.len()] {
            let mut s = BlockSummaries::default();
            for chunk in v.chunks(piece) {
                s.push(chunk);
            }
            let got = s.finish();
            assert!(same_bits(&got, &whole), "pieces of {piece}");
        }
    }

    #[test]
    fn blocks_without_valid_values_and_with_infinite_first_values() {
        let mut v = vec![f64::NAN; 2 * BLOCK];
        v[BLOCK + 3] = f64::NEG_INFINITY;
        v[BLOCK + 4] = 5.0;
        let s = block_summaries(&v, 0);
        assert_eq!(&s[..2], &[0.0, 0.0]);
        assert_eq!(s[4], f64::INFINITY);
        assert_eq!(s[5], f64::NEG_INFINITY);
        // Shift 0 (first valid value infinite), min -inf, max 5.
        assert_eq!(&s[FIELDS..FIELDS + 2], &[2.0, 0.0]);
        assert_eq!(s[FIELDS + 4], f64::NEG_INFINITY);
        assert_eq!(s[FIELDS + 5], 5.0);
    }

    #[test]
    fn runs_shorter_than_their_head_have_no_whole_block() {
        assert!(block_summaries(&[1.0; 100], 10).is_empty());
        assert!(block_summaries(&[1.0; BLOCK - 1], 0).is_empty());
        assert!(block_summaries(&[], 0).is_empty());
        assert_eq!(block_summaries(&[1.0; BLOCK], 0).len(), FIELDS);
    }

    #[test]
    fn zero_signs_keep_the_first_extreme() {
        let mut v = vec![1.0; BLOCK];
        v[5] = 0.0;
        v[9] = -0.0;
        let s = block_summaries(&v, 0);
        assert!(s[4] == 0.0 && s[4].is_sign_positive());
    }
}

//! 8-connected component labelling of a boolean grid (flood fill with an explicit stack,
//! `O(nx·ny)`), as `scipy.ndimage.label(mask, structure=ones((3, 3)))`: labels are numbered
//! 1.. in row-major order of each component's first cell, 0 is background. [`label8`] returns
//! the label grid; [`components8`] hands each component's cells over in label order from a
//! one-bit-per-cell mask ([`BitMask`]) and keeps no label grid (on 4096² that is 2 MiB against
//! 16 MiB of `bool` and 64 MiB of labels).

use ndarray::{Array2, ArrayView2};

/// One bit per cell of an `ny × nx` grid, row-major (cell `k` is bit `k % 64` of word `k / 64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitMask {
    words: Vec<u64>,
    nx: usize,
    ny: usize,
}

impl BitMask {
    /// An empty mask of `ny` rows by `nx` columns.
    pub fn new(nx: usize, ny: usize) -> Self {
        Self {
            words: vec![0; (nx * ny).div_ceil(64)],
            nx,
            ny,
        }
    }

    /// Sets cell `k` (row-major index).
    #[inline(always)]
    pub fn set(&mut self, k: usize) {
        self.words[k / 64] |= 1 << (k % 64);
    }

    /// Whether cell `k` is set.
    #[inline(always)]
    pub fn get(&self, k: usize) -> bool {
        (self.words[k / 64] >> (k % 64)) & 1 == 1
    }

    /// Clears cell `k`; returns whether it was set.
    #[inline(always)]
    fn take(&mut self, k: usize) -> bool {
        let (w, b) = (k / 64, 1u64 << (k % 64));
        let was = self.words[w] & b != 0;
        self.words[w] &= !b;
        was
    }
}

/// Calls `visit` with the cells (row-major indices, ascending) of each 8-connected component of
/// `mask`, in [`label8`]'s order of labels (row-major order of each component's first cell),
/// clearing the mask as it goes.
///
/// # Example
/// ```
/// use gam_core::qc::labels::{components8, BitMask};
/// let mut mask = BitMask::new(3, 3);
/// for k in [0, 4, 8, 2] {
///     mask.set(k);
/// }
/// let mut found = Vec::new();
/// components8(&mut mask, |cells| found.push(cells.to_vec()));
/// assert_eq!(found, [vec![0, 2, 4, 8]]); // diagonal cells touch
/// ```
pub fn components8(mask: &mut BitMask, mut visit: impl FnMut(&[usize])) {
    let mut stack = Vec::new();
    let mut cells = Vec::new();
    for w in 0..mask.words.len() {
        // The lowest set bit left is the first cell, in row-major order, of a new component.
        while mask.words[w] != 0 {
            let first = w * 64 + mask.words[w].trailing_zeros() as usize;
            flood(mask, first, &mut stack, &mut cells);
            visit(&cells);
        }
    }
}

/// The component of set cell `first` into `cells` (ascending), cleared from `mask`. One call
/// per component, so that V8 runs it in optimised code after a few (it runs a WebAssembly
/// function's first call in its baseline code to its end).
#[inline(never)]
fn flood(mask: &mut BitMask, first: usize, stack: &mut Vec<usize>, cells: &mut Vec<usize>) {
    let (nx, ny) = (mask.nx, mask.ny);
    mask.take(first);
    cells.clear();
    stack.push(first);
    while let Some(k) = stack.pop() {
        cells.push(k);
        let (i, j) = (k / nx, k % nx);
        for a in i.saturating_sub(1)..=(i + 1).min(ny - 1) {
            for b in j.saturating_sub(1)..=(j + 1).min(nx - 1) {
                let n = a * nx + b;
                if mask.take(n) {
                    stack.push(n);
                }
            }
        }
    }
    cells.sort_unstable();
}

/// Labels the 8-connected components of `mask` (`ny` rows by `nx` columns); returns the
/// labels (same shape) and their count.
///
/// # Example
/// ```
/// use gam_core::qc::labels::label8;
/// use ndarray::array;
/// let mask = array![[true, false, false], [false, true, false], [false, false, true]];
/// let (l, n) = label8(mask.view());
/// assert_eq!((n, l[[2, 2]]), (1, 1)); // diagonal cells touch
/// ```
pub fn label8(mask: ArrayView2<'_, bool>) -> (Array2<u32>, u32) {
    let (ny, nx) = mask.dim();
    let mut labels = Array2::zeros((ny, nx));
    let mut count = 0u32;
    let mut stack = Vec::new();
    for i in 0..ny {
        for j in 0..nx {
            if !mask[[i, j]] || labels[[i, j]] != 0 {
                continue;
            }
            count += 1;
            labels[[i, j]] = count;
            stack.push((i, j));
            while let Some((i, j)) = stack.pop() {
                for a in i.saturating_sub(1)..=(i + 1).min(ny - 1) {
                    for b in j.saturating_sub(1)..=(j + 1).min(nx - 1) {
                        if mask[[a, b]] && labels[[a, b]] == 0 {
                            labels[[a, b]] = count;
                            stack.push((a, b));
                        }
                    }
                }
            }
        }
    }
    (labels, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label8_separates_components_and_joins_diagonals() {
        #[rustfmt::skip]
        let m = [
            1, 1, 0, 0, 1,
            0, 0, 0, 1, 0,
            1, 0, 0, 0, 0,
            1, 0, 1, 1, 0,
        ].map(|v| v == 1);
        let (l, n) = label8(ArrayView2::from_shape((4, 5), &m).unwrap());
        assert_eq!(n, 4);
        assert_eq!(l[[0, 4]], l[[1, 3]]);
        assert_eq!(l[[2, 0]], l[[3, 0]]);
        assert_eq!(l[[3, 2]], l[[3, 3]]);
        assert_ne!(l[[0, 0]], l[[0, 4]]);
        assert_eq!(l.iter().filter(|&&v| v > 0).count(), 8);
    }

    #[test]
    fn components8_gives_label8s_components_in_label_order() {
        let mut rng = crate::test_rng::Lcg(5);
        for (nx, ny, density) in [
            (1, 1, 0.5),
            (7, 5, 0.5),
            (64, 3, 0.4),
            (65, 40, 0.45),
            (1, 90, 0.6),
        ] {
            let m: Vec<bool> = (0..nx * ny).map(|_| rng.unit() < density).collect();
            let (labels, count) = label8(ArrayView2::from_shape((ny, nx), &m).unwrap());
            let mut want = vec![Vec::new(); count as usize];
            for (k, &l) in labels.iter().enumerate() {
                if l > 0 {
                    want[l as usize - 1].push(k);
                }
            }
            let mut mask = BitMask::new(nx, ny);
            for (k, _) in m.iter().enumerate().filter(|(_, &b)| b) {
                mask.set(k);
            }
            let mut got = Vec::new();
            components8(&mut mask, |cells| got.push(cells.to_vec()));
            assert_eq!(got, want, "{nx} x {ny}");
            assert!((0..nx * ny).all(|k| !mask.get(k)), "the mask is cleared");
        }
    }
}

//! 8-connected component labelling of a boolean grid (flood fill with an explicit stack,
//! `O(nx·ny)`), as `scipy.ndimage.label(mask, structure=ones((3, 3)))`: labels are numbered
//! 1.. in row-major order of each component's first cell, 0 is background.

use ndarray::{Array2, ArrayView2};

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
}

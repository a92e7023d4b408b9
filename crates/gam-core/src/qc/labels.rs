//! 8-connected component labelling of a boolean grid (flood fill with an explicit stack,
//! `O(nx·ny)`), as `scipy.ndimage.label(mask, structure=ones((3, 3)))`: labels are numbered
//! 1.. in row-major order of each component's first cell, 0 is background.

/// Labels the 8-connected components of `mask` (`nx` by `ny`); returns labels and count.
///
/// # Example
/// ```
/// use gam_core::qc::labels::label8;
/// let (l, n) = label8(&[true, false, false, false, true, false, false, false, true], 3, 3);
/// assert_eq!((n, l[8]), (1, 1)); // diagonal cells touch
/// ```
pub fn label8(mask: &[bool], nx: usize, ny: usize) -> (Vec<u32>, u32) {
    let mut labels = vec![0u32; mask.len()];
    let mut count = 0u32;
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        count += 1;
        labels[start] = count;
        stack.push(start);
        while let Some(k) = stack.pop() {
            let (i, j) = ((k / nx) as isize, (k % nx) as isize);
            for di in -1..=1 {
                for dj in -1..=1 {
                    let (a, b) = (i + di, j + dj);
                    if a < 0 || b < 0 || a >= ny as isize || b >= nx as isize {
                        continue;
                    }
                    let q = a as usize * nx + b as usize;
                    if mask[q] && labels[q] == 0 {
                        labels[q] = count;
                        stack.push(q);
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
        let (l, n) = label8(&m, 5, 4);
        assert_eq!(n, 4);
        assert_eq!(l[4], l[8]);
        assert_eq!(l[10], l[15]);
        assert_eq!(l[17], l[18]);
        assert_ne!(l[0], l[4]);
    }
}

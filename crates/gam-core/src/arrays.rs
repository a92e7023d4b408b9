//! The one place where flat row-major buffers become `ndarray` arrays and back.
//!
//! The kernels' 2-D grids are `ndarray` arrays of shape `(ny, nx)`: row `i` is latitude row
//! `i` (row 0 south), column `j` longitude column `j`, NaN = nodata. They take
//! [`ArrayView2`] / [`ArrayViewMut2`] and return [`Array2`]. The wasm boundary receives typed
//! slices and returns boxed slices: it builds the views with [`view2`] (no copy) and turns a
//! result back into its row-major buffer with [`into_row_major`] (no copy for an array in
//! standard layout, which is what every kernel returns).

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// `data` (row-major: `ny` rows of `nx` values) as an `ny × nx` view, or `None` when its
/// length is not `nx * ny`. Zero-sized shapes are allowed here; each kernel says which it
/// refuses.
///
/// # Example
/// ```
/// use gam_core::arrays::view2;
/// let v = view2(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2).unwrap();
/// assert_eq!(v.dim(), (2, 3));
/// assert_eq!(v[[1, 0]], 4.0); // row 1, column 0
/// assert!(view2(&[1.0; 5], 3, 2).is_none());
/// ```
pub fn view2(data: &[f64], nx: usize, ny: usize) -> Option<ArrayView2<'_, f64>> {
    if nx.checked_mul(ny) != Some(data.len()) {
        return None;
    }
    ArrayView2::from_shape((ny, nx), data).ok()
}

/// Mutable twin of [`view2`].
///
/// # Example
/// ```
/// use gam_core::arrays::view2_mut;
/// let mut data = [0.0; 6];
/// view2_mut(&mut data, 3, 2).unwrap()[[1, 2]] = 7.0;
/// assert_eq!(data[5], 7.0);
/// ```
pub fn view2_mut(data: &mut [f64], nx: usize, ny: usize) -> Option<ArrayViewMut2<'_, f64>> {
    if nx.checked_mul(ny) != Some(data.len()) {
        return None;
    }
    ArrayViewMut2::from_shape((ny, nx), data).ok()
}

/// The values of `a` in row-major order: its own buffer when `a` is in standard layout and
/// owns exactly its elements (every kernel's result), else a copy.
///
/// # Example
/// ```
/// use gam_core::arrays::into_row_major;
/// use ndarray::array;
/// assert_eq!(into_row_major(array![[1.0, 2.0], [3.0, 4.0]]), vec![1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(into_row_major(array![[1.0, 2.0], [3.0, 4.0]].reversed_axes()), vec![1.0, 3.0, 2.0, 4.0]);
/// ```
pub fn into_row_major(a: Array2<f64>) -> Vec<f64> {
    if a.is_standard_layout() {
        let n = a.len();
        let (v, offset) = a.into_raw_vec_and_offset();
        if v.len() == n && offset.unwrap_or(0) == 0 {
            return v;
        }
        return v[offset.unwrap_or(0)..offset.unwrap_or(0) + n].to_vec();
    }
    a.iter().copied().collect()
}

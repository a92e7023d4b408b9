//! Bit-for-bit comparison of `f64` results in the crate's tests: kernels that promise the
//! same bits as a reference (split into parts or bands, streamed, vectorised) are checked
//! with these. The lengths are compared too, where a bare `zip` would stop at the shorter.

/// Whether `a` and `b` hold as many values and the same ones bit for bit (NaN payloads and
/// the sign of zero included).
pub(crate) fn same_bits<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> bool {
    pairwise(a, b, |x, y| x.to_bits() == y.to_bits())
}

/// As [`same_bits`], but any NaN equals any NaN (kernels that write NaN for nodata do not
/// promise its payload).
pub(crate) fn same_bits_or_nan<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> bool {
    pairwise(a, b, |x, y| {
        x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
    })
}

fn pairwise<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
    same: impl Fn(f64, f64) -> bool,
) -> bool {
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(&x), Some(&y)) if same(x, y) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_nan_payloads_and_signed_zeros_count() {
        assert!(same_bits(&[1.0, f64::NAN], &[1.0, f64::NAN]));
        assert!(!same_bits(&[1.0, 2.0], &[1.0]), "a shorter slice");
        assert!(!same_bits(&[1.0], &[1.0, 2.0]), "a longer slice");
        assert!(!same_bits(&[0.0], &[-0.0]), "the sign of zero");
        let other_nan = f64::from_bits(f64::NAN.to_bits() ^ 1);
        assert!(!same_bits(&[f64::NAN], &[other_nan]), "a NaN payload");
        assert!(same_bits_or_nan(&[f64::NAN, 1.0], &[other_nan, 1.0]));
        assert!(!same_bits_or_nan(&[f64::NAN], &[1.0]));
        assert!(!same_bits_or_nan(&[1.0, 2.0], &[1.0]));
    }
}

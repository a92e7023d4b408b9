//! Undoing the TIFF predictors on 32-bit float samples, row by row (TIFF 6.0 section 14 for
//! the horizontal predictor; Adobe Photoshop TIFF Technical Note 3 for the floating-point one,
//! as libtiff's `fpAcc` implements it, which is what GDAL writes with `PREDICTOR=3`).
//!
//! Both work on the inflated bytes of one block, `rows` rows of `width` samples, in the
//! file's byte order, which [`crate::boundary::codecs`] only accepts little-endian.

/// The predictor of a TIFF block (tag 317).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predictor {
    /// 1: none.
    None,
    /// 2: horizontal differencing of the samples, here 32-bit words added as unsigned
    /// integers, wrapping.
    Horizontal,
    /// 3: floating point: the row's samples split into byte planes, most significant first,
    /// then each byte differenced from the one before it.
    FloatingPoint,
}

/// The float32 samples of `rows` rows of `width` samples each, from their inflated bytes
/// (`bytes.len() == rows * width * 4`, little-endian), with `predictor` undone, into `out`
/// (`rows * width` values).
///
/// # Panics
/// When the lengths disagree (the boundary checks them first).
///
/// ```
/// use gam_core::codecs::predictor::{decode_f32_rows, Predictor};
/// // One row of two samples, 1.0 (0x3f800000) and 2.0 (0x40000000), as `PREDICTOR=3`
/// // stores it: byte planes [3f 40] [80 00] [00 00] [00 00], each differenced.
/// let planes: [u8; 8] = [0x3f, 0x40, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00];
/// let mut bytes = planes;
/// for i in (1..bytes.len()).rev() {
///     bytes[i] = bytes[i].wrapping_sub(bytes[i - 1]);
/// }
/// let mut out = [0f32; 2];
/// decode_f32_rows(&mut bytes, 2, Predictor::FloatingPoint, &mut out);
/// assert_eq!(out, [1.0, 2.0]);
/// ```
pub fn decode_f32_rows(bytes: &mut [u8], width: usize, predictor: Predictor, out: &mut [f32]) {
    assert_eq!(bytes.len(), out.len() * 4, "bytes and samples disagree");
    if width == 0 {
        return;
    }
    for (row, dst) in bytes
        .chunks_exact_mut(width * 4)
        .zip(out.chunks_exact_mut(width))
    {
        match predictor {
            Predictor::None => words_to_f32(row, dst),
            Predictor::Horizontal => horizontal_row(row, dst),
            Predictor::FloatingPoint => floating_point_row(row, dst),
        }
    }
}

fn words_to_f32(row: &[u8], dst: &mut [f32]) {
    for (d, w) in dst.iter_mut().zip(row.chunks_exact(4)) {
        *d = f32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    }
}

fn horizontal_row(row: &[u8], dst: &mut [f32]) {
    let mut acc = 0u32;
    for (d, w) in dst.iter_mut().zip(row.chunks_exact(4)) {
        acc = acc.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        *d = f32::from_bits(acc);
    }
}

fn floating_point_row(row: &mut [u8], dst: &mut [f32]) {
    let mut acc = 0u8;
    for b in row.iter_mut() {
        acc = acc.wrapping_add(*b);
        *b = acc;
    }
    let w = dst.len();
    let (p0, rest) = row.split_at(w);
    let (p1, rest) = rest.split_at(w);
    let (p2, p3) = rest.split_at(w);
    for (i, d) in dst.iter_mut().enumerate() {
        *d = f32::from_bits(u32::from_be_bytes([p0[i], p1[i], p2[i], p3[i]]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// What GDAL (libtiff's `horDiff32` and `fpDiff`) writes for one row: the encoders, kept
    /// naive, as the reference the decoders must invert.
    fn encode(samples: &[f32], width: usize, predictor: Predictor) -> Vec<u8> {
        let mut out = Vec::with_capacity(samples.len() * 4);
        for row in samples.chunks_exact(width) {
            match predictor {
                Predictor::None => row.iter().for_each(|v| out.extend(v.to_le_bytes())),
                Predictor::Horizontal => {
                    let mut prev = 0u32;
                    for v in row {
                        out.extend(v.to_bits().wrapping_sub(prev).to_le_bytes());
                        prev = v.to_bits();
                    }
                }
                Predictor::FloatingPoint => {
                    let mut planes = vec![0u8; width * 4];
                    for (i, v) in row.iter().enumerate() {
                        for (b, byte) in v.to_bits().to_be_bytes().into_iter().enumerate() {
                            planes[b * width + i] = byte;
                        }
                    }
                    let mut prev = 0u8;
                    for p in planes {
                        out.push(p.wrapping_sub(prev));
                        prev = p;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_predictor_inverts_its_encoder_bit_for_bit() {
        let mut rng = Lcg(7);
        let (width, rows) = (37, 5);
        let mut samples: Vec<f32> = (0..width * rows)
            .map(|_| ((rng.unit() - 0.5) * 2e4) as f32)
            .collect();
        samples[3] = f32::NAN;
        samples[40] = f32::NEG_INFINITY;
        samples[41] = -0.0;
        samples[42] = f32::from_bits(1); // a subnormal
        for p in [
            Predictor::None,
            Predictor::Horizontal,
            Predictor::FloatingPoint,
        ] {
            let mut bytes = encode(&samples, width, p);
            let mut out = vec![0f32; samples.len()];
            decode_f32_rows(&mut bytes, width, p, &mut out);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out), bits(&samples), "{p:?}");
        }
    }
}

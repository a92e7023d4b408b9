//! Block decoding entry point (see [`crate::codecs`]).

use wasm_bindgen::prelude::*;

use crate::codecs::inflate::{inflate_run, Wrapper};
use crate::codecs::predictor::{decode_f32_rows, Predictor};

use super::{BoundaryError, Exported};

/// Largest result [`inflate_blocks`] and [`inflate_float32_blocks`] build: 1 GiB of samples (the caller reads a
/// file in runs of a few MiB; a larger request is a caller's error, refused before anything
/// is allocated).
const MAX_RUN_BYTES: u64 = 1 << 30;

/// Inflates a run of consecutive compressed blocks and returns their bytes, block after
/// block: block `k` is `lengths[k]` bytes of `run` and inflates to `sizes[k]` bytes. `gzip`
/// selects gzip streams (Zarr's `gzip` codec) instead of zlib ones. Throws, naming the block's
/// index in the run, for a block that is damaged, fails its checksum or does not inflate to
/// its size.
#[wasm_bindgen]
pub fn inflate_blocks(
    run: &[u8],
    lengths: &[u32],
    sizes: &[u32],
    gzip: bool,
) -> Exported<Box<[u8]>> {
    let total: u64 = sizes.iter().map(|&n| u64::from(n)).sum();
    if total > MAX_RUN_BYTES {
        return Err(BoundaryError::new(format!(
            "a run must inflate to at most {MAX_RUN_BYTES} bytes, got {total}"
        )));
    }
    let mut bytes = vec![0u8; total as usize];
    let wrapper = if gzip { Wrapper::Gzip } else { Wrapper::Zlib };
    inflate_run(run, lengths, sizes, &mut bytes, wrapper)?;
    Ok(bytes.into_boxed_slice())
}

/// Inflates a run of consecutive compressed blocks of little-endian float32 samples and
/// returns their samples, block after block: block `k` is `lengths[k]` bytes of `run` and
/// holds `rows[k]` rows of `width` samples. `predictor` is the TIFF predictor (1 none, 2
/// horizontal, 3 floating point); `gzip` selects gzip streams (Zarr's `gzip` codec) instead of
/// zlib ones (TIFF deflate). Throws, naming the block's index in the run, for a block that
/// is damaged, fails its checksum or does not inflate to `rows[k] * width * 4` bytes.
#[wasm_bindgen]
pub fn inflate_float32_blocks(
    run: &[u8],
    lengths: &[u32],
    rows: &[u32],
    width: u32,
    predictor: u8,
    gzip: bool,
) -> Exported<Box<[f32]>> {
    let predictor = match predictor {
        1 => Predictor::None,
        2 => Predictor::Horizontal,
        3 => Predictor::FloatingPoint,
        p => {
            return Err(BoundaryError::new(format!(
                "predictor must be 1, 2 or 3, got {p}"
            )))
        }
    };
    if lengths.len() != rows.len() {
        return Err(BoundaryError::new(format!(
            "lengths and rows must have one entry per block, got {} and {}",
            lengths.len(),
            rows.len()
        )));
    }
    let row_bytes = u64::from(width) * 4;
    let total: u64 = rows.iter().map(|&r| u64::from(r) * row_bytes).sum();
    // Checked before the sizes are narrowed to u32 (each then fits: at most the bound).
    if total > MAX_RUN_BYTES {
        return Err(BoundaryError::new(format!(
            "a run must inflate to at most {MAX_RUN_BYTES} bytes, got {total}"
        )));
    }
    let sizes: Vec<u32> = rows
        .iter()
        .map(|&r| (u64::from(r) * row_bytes) as u32)
        .collect();
    let mut bytes = inflate_blocks(run, lengths, &sizes, gzip)?;
    let mut samples = vec![0f32; bytes.len() / 4];
    decode_f32_rows(&mut bytes, width as usize, predictor, &mut samples);
    Ok(samples.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zlib_rs::{compress_bound, compress_slice, DeflateConfig};

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; compress_bound(data.len())];
        let (z, _) = compress_slice(&mut out, data, DeflateConfig::default());
        z.to_vec()
    }

    #[test]
    fn blocks_of_different_heights_come_back_in_order() {
        let a: Vec<f32> = (0..6).map(|i| i as f32).collect(); // 2 rows of 3
        let b: Vec<f32> = (0..3).map(|i| -(i as f32)).collect(); // 1 row
        let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (za, zb) = (zlib(&bytes(&a)), zlib(&bytes(&b)));
        let run = [za.clone(), zb.clone()].concat();
        let out = inflate_float32_blocks(
            &run,
            &[za.len() as u32, zb.len() as u32],
            &[2, 1],
            3,
            1,
            false,
        )
        .unwrap();
        assert_eq!(&*out, &[a, b].concat()[..]);
    }

    #[test]
    fn raw_blocks_come_back_as_they_were() {
        let (a, b) = (b"hello".to_vec(), vec![7u8; 300]);
        let (za, zb) = (zlib(&a), zlib(&b));
        let run = [za.clone(), zb.clone()].concat();
        let out = inflate_blocks(&run, &[za.len() as u32, zb.len() as u32], &[5, 300], false);
        assert_eq!(&*out.unwrap(), &[a, b].concat()[..]);
        let e = inflate_blocks(&run, &[0], &[u32::MAX, u32::MAX], false).unwrap_err();
        assert!(e.to_string().contains("at most 1073741824 bytes"), "{e}");
    }

    #[test]
    fn bad_arguments_are_named() {
        let e = inflate_float32_blocks(&[], &[], &[], 3, 4, false).unwrap_err();
        assert_eq!(e.to_string(), "predictor must be 1, 2 or 3, got 4");
        let e = inflate_float32_blocks(&[], &[1], &[], 3, 1, false).unwrap_err();
        assert!(e.to_string().contains("one entry per block"), "{e}");
        let e = inflate_float32_blocks(&[], &[0], &[u32::MAX], 4096, 1, false).unwrap_err();
        assert!(e.to_string().contains("at most 1073741824 bytes"), "{e}");
        let e = inflate_float32_blocks(&[1, 2, 3], &[3], &[1], 1, 1, false).unwrap_err();
        assert!(e.to_string().starts_with("block 0 of the run"), "{e}");
    }
}

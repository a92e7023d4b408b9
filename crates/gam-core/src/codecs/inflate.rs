//! Inflating zlib (RFC 1950) and gzip (RFC 1952) streams into buffers of a known size, with
//! `zlib-rs` (a Rust port of zlib-ng; the checksums, Adler-32 or CRC-32 and the gzip size, are
//! verified as zlib verifies them).
//!
//! Every block of a TIFF (and every chunk of a Zarr array) decodes to a size the file's
//! header fixes, so the output is allocated by the caller at that size and a stream that
//! would write past it, stops short of it, or fails its checksum is refused: a damaged or
//! hostile file can neither make us allocate more than its header declares nor yield a
//! partly filled block.

use std::fmt;

use zlib_rs::{decompress_slice, InflateConfig, ReturnCode};

/// The stream wrapper of a compressed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// zlib (RFC 1950): TIFF compression 8 (Adobe deflate) and 32946 (old deflate).
    Zlib,
    /// gzip (RFC 1952): the Zarr `gzip` codec.
    Gzip,
}

impl Wrapper {
    /// zlib's `windowBits` for the wrapper: 15 (32 KiB window) plus 16 for gzip.
    fn window_bits(self) -> i32 {
        match self {
            Wrapper::Zlib => 15,
            Wrapper::Gzip => 15 + 16,
        }
    }
}

/// A block that did not inflate to its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InflateError {
    /// Index of the block in the run (0-based).
    pub block: usize,
    /// What went wrong, for the user.
    pub reason: String,
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {} of the run {}", self.block, self.reason)
    }
}

impl std::error::Error for InflateError {}

/// Inflates one stream into `out`, which it must fill exactly.
///
/// # Errors
/// [`InflateError`] (with `block` 0) when the stream is damaged, fails its checksum, or
/// inflates to more or fewer bytes than `out.len()`.
///
/// ```
/// use gam_core::codecs::inflate::{inflate_exact, Wrapper};
/// // zlib's stream of the 5 bytes "hello".
/// let z = [120, 156, 203, 72, 205, 201, 201, 7, 0, 6, 44, 2, 21];
/// let mut out = [0u8; 5];
/// inflate_exact(&z, &mut out, Wrapper::Zlib).unwrap();
/// assert_eq!(&out, b"hello");
/// assert!(inflate_exact(&z, &mut [0u8; 4], Wrapper::Zlib).is_err());
/// ```
pub fn inflate_exact(input: &[u8], out: &mut [u8], wrapper: Wrapper) -> Result<(), InflateError> {
    let expected = out.len();
    let config = InflateConfig {
        window_bits: wrapper.window_bits(),
    };
    let (written, code) = decompress_slice(out, input, config);
    let written = written.len();
    let reason = match code {
        ReturnCode::Ok if written == expected => return Ok(()),
        ReturnCode::Ok => format!("inflates to {written} bytes, expected {expected}"),
        ReturnCode::BufError if written == expected => {
            format!("inflates to more than the {expected} bytes expected")
        }
        ReturnCode::BufError => format!("ends after {written} of the {expected} bytes expected"),
        ReturnCode::DataError => "is damaged or cut short, or fails its checksum".to_string(),
        other => format!("does not inflate ({other:?})"),
    };
    Err(InflateError { block: 0, reason })
}

/// Inflates the consecutive streams of `run` (`lengths[k]` bytes each, in order) into `out`,
/// stream `k` filling the next `sizes[k]` bytes.
///
/// # Errors
/// [`InflateError`] naming the first stream that fails (see [`inflate_exact`]), or block 0
/// when `lengths` and `sizes` do not describe `run` and `out`.
///
/// ```
/// use gam_core::codecs::inflate::{inflate_run, Wrapper};
/// let z = [120, 156, 203, 72, 205, 201, 201, 7, 0, 6, 44, 2, 21];
/// let run = [z, z].concat();
/// let mut out = [0u8; 10];
/// inflate_run(&run, &[13, 13], &[5, 5], &mut out, Wrapper::Zlib).unwrap();
/// assert_eq!(&out, b"hellohello");
/// ```
pub fn inflate_run(
    run: &[u8],
    lengths: &[u32],
    sizes: &[u32],
    out: &mut [u8],
    wrapper: Wrapper,
) -> Result<(), InflateError> {
    let total_in: u64 = lengths.iter().map(|&n| u64::from(n)).sum();
    let total_out: u64 = sizes.iter().map(|&n| u64::from(n)).sum();
    if lengths.len() != sizes.len() || total_in != run.len() as u64 || total_out != out.len() as u64
    {
        return Err(InflateError {
            block: 0,
            reason: format!(
                "is not described by its lengths and sizes: {} lengths summing to {total_in} \
                 bytes for {} bytes in, {} sizes summing to {total_out} bytes for {} bytes out",
                lengths.len(),
                run.len(),
                sizes.len(),
                out.len()
            ),
        });
    }
    let (mut at_in, mut at_out) = (0usize, 0usize);
    for (k, (&len, &size)) in lengths.iter().zip(sizes).enumerate() {
        let (len, size) = (len as usize, size as usize);
        inflate_exact(
            &run[at_in..at_in + len],
            &mut out[at_out..at_out + size],
            wrapper,
        )
        .map_err(|e| InflateError { block: k, ..e })?;
        at_in += len;
        at_out += size;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;
    use zlib_rs::{compress_slice, DeflateConfig};

    fn compress(data: &[u8], wrapper: Wrapper) -> Vec<u8> {
        let mut out = vec![0u8; zlib_rs::compress_bound(data.len())];
        let config = DeflateConfig {
            window_bits: wrapper.window_bits(),
            ..DeflateConfig::default()
        };
        let (z, code) = compress_slice(&mut out, data, config);
        assert_eq!(code, ReturnCode::Ok);
        z.to_vec()
    }

    fn sample(n: usize, seed: u64) -> Vec<u8> {
        let mut rng = Lcg(seed);
        // Runs and noise, as float grids compress.
        (0..n)
            .map(|i| {
                if i % 7 < 4 {
                    (i / 97) as u8
                } else {
                    (rng.unit() * 256.0) as u8
                }
            })
            .collect()
    }

    #[test]
    fn a_run_round_trips_with_both_wrappers() {
        for wrapper in [Wrapper::Zlib, Wrapper::Gzip] {
            let blocks: Vec<Vec<u8>> = (0..5).map(|k| sample(1000 + 313 * k, k as u64)).collect();
            let streams: Vec<Vec<u8>> = blocks.iter().map(|b| compress(b, wrapper)).collect();
            let run = streams.concat();
            let lengths: Vec<u32> = streams.iter().map(|s| s.len() as u32).collect();
            let sizes: Vec<u32> = blocks.iter().map(|b| b.len() as u32).collect();
            let mut out = vec![0u8; sizes.iter().sum::<u32>() as usize];
            inflate_run(&run, &lengths, &sizes, &mut out, wrapper).unwrap();
            assert_eq!(out, blocks.concat());
        }
    }

    #[test]
    fn a_damaged_or_wrongly_sized_block_is_named() {
        let blocks: Vec<Vec<u8>> = (0..3).map(|k| sample(4000, 10 + k)).collect();
        let streams: Vec<Vec<u8>> = blocks.iter().map(|b| compress(b, Wrapper::Zlib)).collect();
        let lengths: Vec<u32> = streams.iter().map(|s| s.len() as u32).collect();
        let sizes = [4000u32; 3];
        let mut out = vec![0u8; 12000];
        // A flipped byte in the middle of block 1's stream: bad data or a failed Adler-32.
        let mut run = streams.concat();
        run[streams[0].len() + streams[1].len() / 2] ^= 0x5a;
        let e = inflate_run(&run, &lengths, &sizes, &mut out, Wrapper::Zlib).unwrap_err();
        assert_eq!(e.block, 1, "{e}");
        // Block 2 declared one byte short: it would write past its size.
        let run = streams.concat();
        let mut out = vec![0u8; 11999];
        let e =
            inflate_run(&run, &lengths, &[4000, 4000, 3999], &mut out, Wrapper::Zlib).unwrap_err();
        assert_eq!(e.block, 2);
        assert!(e.reason.contains("more than the 3999 bytes"), "{e}");
        // Block 0 declared one byte long: it stops short.
        let mut out = vec![0u8; 12001];
        let e =
            inflate_run(&run, &lengths, &[4001, 4000, 4000], &mut out, Wrapper::Zlib).unwrap_err();
        assert_eq!(e.block, 0);
        assert_eq!(e.reason, "inflates to 4000 bytes, expected 4001");
        // A stream cut short (a truncated file).
        let e = inflate_exact(
            &streams[0][..streams[0].len() / 2],
            &mut [0u8; 4000],
            Wrapper::Zlib,
        )
        .unwrap_err();
        assert!(e.reason.contains("cut short"), "{e}");
        // A gzip stream read as zlib.
        let g = compress(&blocks[0], Wrapper::Gzip);
        let e = inflate_exact(&g, &mut [0u8; 4000], Wrapper::Zlib).unwrap_err();
        assert!(e.reason.contains("damaged"), "{e}");
    }

    #[test]
    fn lengths_that_do_not_cover_the_run_are_refused() {
        let z = compress(b"hello", Wrapper::Zlib);
        let mut out = [0u8; 5];
        let e = inflate_run(&z, &[z.len() as u32 - 1], &[5], &mut out, Wrapper::Zlib).unwrap_err();
        assert!(e.reason.contains("not described"), "{e}");
        let e = inflate_run(&z, &[z.len() as u32], &[5, 0], &mut out, Wrapper::Zlib).unwrap_err();
        assert!(e.reason.contains("not described"), "{e}");
    }

    #[test]
    fn a_gzip_size_or_crc_mismatch_is_refused() {
        let data = sample(3000, 3);
        let mut g = compress(&data, Wrapper::Gzip);
        let n = g.len();
        g[n - 6] ^= 1; // a CRC-32 byte of the trailer
        let e = inflate_exact(&g, &mut vec![0u8; 3000], Wrapper::Gzip).unwrap_err();
        assert!(e.reason.contains("checksum"), "{e}");
    }
}

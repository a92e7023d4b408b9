//! Decoding the compressed blocks of grid files: the zlib and gzip streams of GeoTIFF
//! strips and tiles and of Zarr chunks ([`inflate`]), and the TIFF predictors that GDAL's
//! `PREDICTOR=2` and `PREDICTOR=3` apply before compressing ([`predictor`]).
//!
//! The Deno side (`src/formats/geotiff_read.ts`) owns the file's layout and its messages: it
//! reads the tags, checks every block against the file's size and the image's dimensions,
//! and hands runs of consecutive compressed blocks, with the size each must inflate to, to
//! [`crate::boundary::codecs`], on its own thread or on the worker pool's. A block that
//! does not inflate to its size is reported by its index in the run, which the caller turns
//! into the strip or tile number.

pub mod inflate;
pub mod predictor;

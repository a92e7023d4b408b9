//! Table parsing entry point (see [`crate::table`]).

use wasm_bindgen::prelude::*;

use crate::table::{parse_columns, Separator};

use super::Exported;

/// Parses the data rows of a delimited text table (the bytes after its header line):
/// `delimiter` is the separator byte, or 0 for runs of spaces and tabs; `comment` the comment
/// byte, or -1 for none; `fields` the distinct 0-based field indexes to read. Returns the
/// columns concatenated (`fields.length * rows` values, column `k` at `k * rows`). Throws when
/// the fast path declines the input (the caller then uses its reference parser, which reports
/// the precise error).
#[wasm_bindgen]
pub fn parse_table_columns(
    bytes: &[u8],
    delimiter: u8,
    comment: i32,
    fields: &[u32],
) -> Exported<Box<[f64]>> {
    let sep = if delimiter == 0 {
        Separator::Whitespace
    } else {
        Separator::Byte(delimiter)
    };
    let comment = u8::try_from(comment).ok();
    let (v, _) = parse_columns(bytes, sep, comment, fields)?;
    Ok(v.into_boxed_slice())
}

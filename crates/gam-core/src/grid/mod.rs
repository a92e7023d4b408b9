//! Gridding of scattered points onto regular lon/lat grids.

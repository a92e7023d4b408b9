/**
 * Stitching tiles back into the run's grid: each tile's halo is cropped and its core nodes are
 * copied into the run grid's layout. Tiles grid with the run's bbox as their frame, so their
 * node coordinates are the run grid's own, bit for bit; node ownership at tile edges follows
 * {@linkcode ownedRange}. A tile that is missing (dead-lettered) leaves NaN.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import type { ProcessedGrid } from "../contracts/mod.ts";
import { gridLayout } from "../compute/gridding.ts";
import { ownedRange, type Tile } from "./tiles.ts";

/** A tile's grid (its core plus halo) and the tile it belongs to. */
export interface TileGrid {
  tile: Tile;
  grid: ProcessedGrid;
}

/** The grid data stitching reads from a tile and the run's geometry. */
export interface StitchOptions {
  /** The run's bbox (the frame of every tile). */
  bbox: Bbox;
  /** Node spacing, degrees, and registration of the tiles' grids. */
  spacing: number;
  registration: "gridline" | "pixel";
}

/**
 * Index of `x` in the strictly increasing `axis` (exact: the tiles' coordinates are copies).
 */
function indexOf(axis: Float64Array, x: number, spacing: number): number {
  let lo = 0, hi = axis.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Math.abs(axis[mid] - x) <= spacing * 1e-6) return mid;
    if (axis[mid] < x) lo = mid + 1;
    else hi = mid - 1;
  }
  throw new RangeError(
    `a tile node at ${x}° is not a node of the run's grid (spacing ${spacing}°): the tile was ` +
      "not gridded with the run's bbox as its frame",
  );
}

/**
 * Crops each tile's halo and stitches the cores into one grid over `options.bbox`.
 *
 * @param tiles The tiles' grids (any order; missing tiles leave NaN).
 * @param options The run's bbox, spacing and registration.
 * @returns The stitched grid: the run's axes, values (Float64), the data footprint when every
 *   tile has one, metadata and provenance of the first tile with a `mosaic` step added.
 * @throws {RangeError} When no tile is given or a tile's nodes are not the run's nodes.
 *
 * @example Usage
 * ```ts
 * import { stitchTiles } from "./stitch.ts";
 * import { planTiles } from "./tiles.ts";
 * import { gridLayout } from "../compute/gridding.ts";
 * import type { Bbox } from "../contracts/mod.ts";
 * const bbox: Bbox = [10, 45, 10.4, 45.4];
 * const frame = gridLayout(bbox, 0.1, "gridline", Infinity); // the run's nodes
 * // Each tile gridded over its halo with the run's bbox as frame (here: its tile number).
 * const tiles = planTiles(bbox, { size: 0.2, halo: { lat: 0.1, lon: 0.1 } });
 * const tileGrids = tiles.map((tile, k) => {
 *   const within = (a: Float64Array, lo: number, hi: number) =>
 *     a.filter((x) => x >= lo - 1e-9 && x <= hi + 1e-9);
 *   const lon = within(frame.lon, tile.halo[0], tile.halo[2]);
 *   const lat = within(frame.lat, tile.halo[1], tile.halo[3]);
 *   const values = new Float64Array(lon.length * lat.length).fill(k);
 *   return { tile, grid: { lon, lat, values, resolution: { lon: 0.1, lat: 0.1 }, units: "mGal",
 *     crs: "EPSG:4326", registration: "gridline" as const, bbox: tile.halo, provenance: [] } };
 * });
 * const grid = stitchTiles(tileGrids, { bbox, spacing: 0.1, registration: "gridline" });
 * console.log(grid.values); // 5 x 5 nodes, each from the tile that owns it
 * ```
 */
export function stitchTiles(tiles: readonly TileGrid[], options: StitchOptions): ProcessedGrid {
  if (tiles.length === 0) throw new RangeError("no tile to stitch: every tile failed");
  const { bbox, spacing, registration } = options;
  const frame = gridLayout(bbox, spacing, registration, Infinity);
  const nx = frame.nx, ny = frame.ny;
  const values = new Float64Array(nx * ny).fill(NaN);
  const withFootprint = tiles.every((t) => t.grid.dataDistanceKm !== undefined);
  const footprint = withFootprint ? new Float32Array(nx * ny).fill(Infinity) : undefined;
  for (const { tile, grid } of tiles) {
    const [c0, c1] = ownedRange(frame.lon, tile.core[0], tile.core[2], tile.east, spacing);
    const [r0, r1] = ownedRange(frame.lat, tile.core[1], tile.core[3], tile.north, spacing);
    if (c1 <= c0 || r1 <= r0) continue; // a core narrower than a cell owns no node
    const tnx = grid.lon.length;
    const dc = indexOf(frame.lon, grid.lon[0], spacing);
    const dr = indexOf(frame.lat, grid.lat[0], spacing);
    if (c0 < dc || c1 > dc + tnx || r0 < dr || r1 > dr + grid.lat.length) {
      throw new RangeError(
        `tile ${tile.key}'s grid does not cover its core (its nodes are columns ${dc}..` +
          `${dc + tnx - 1}, rows ${dr}..${dr + grid.lat.length - 1} of the run's grid; its core ` +
          `needs columns ${c0}..${c1 - 1}, rows ${r0}..${r1 - 1})`,
      );
    }
    for (let r = r0; r < r1; r++) {
      const from = (r - dr) * tnx + (c0 - dc);
      const to = r * nx + c0;
      // set() copies the bytes (an element-wise copy may change a NaN's payload).
      values.set(grid.values.subarray(from, from + c1 - c0), to);
      if (footprint) footprint.set(grid.dataDistanceKm!.subarray(from, from + c1 - c0), to);
    }
  }
  const first = tiles[0].grid;
  return {
    ...(first.modality !== undefined ? { modality: first.modality } : {}),
    lat: frame.lat,
    lon: frame.lon,
    values,
    units: first.units,
    crs: first.crs,
    resolution: first.resolution,
    registration: first.registration,
    bbox,
    ...(footprint ? { dataDistanceKm: footprint } : {}),
    provenance: [
      ...first.provenance.map((p) =>
        p.step === "grid" ? { ...p, params: { ...p.params, bbox: [...bbox] } } : p
      ),
      { step: "mosaic", version: "1.0.0", params: { tiles: tiles.length } },
    ],
  };
}

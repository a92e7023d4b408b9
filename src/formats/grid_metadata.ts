/**
 * The metadata every grid file we write carries, in one place: `units`, `modality`,
 * `registration`, `resolution`, `crs`, `bbox` and `provenance`. Zarr stores it as group
 * attributes, GeoTIFF as JSON in the `ImageDescription` tag plus the `GDAL_METADATA` items GDAL
 * shows (`units`, `registration`, band unit types); `readGrid` reads both back. No imports, so
 * `gam grid` can use it without loading the contracts.
 *
 * @module
 */

/** The grid fields the metadata is made of (a `ProcessedGrid` has them all). */
export interface GridMetadataSource {
  /** Units of the values, e.g. `"nT"`. */
  units: string;
  /** Modality, e.g. `"magnetic"`. */
  modality?: string;
  /** Node registration. */
  registration: "gridline" | "pixel";
  /** Node spacing, degrees. */
  resolution: { lon: number; lat: number };
  /** Coordinate reference system. */
  crs: string;
  /** The bbox the grid was made for. */
  bbox?: readonly number[];
  /** Provenance entries. */
  provenance: unknown[];
  /** The data footprint, if the grid has one (only its presence is recorded here). */
  dataDistanceKm?: ArrayLike<number>;
}

/**
 * The metadata object of `grid` (JSON-serialisable).
 *
 * @example Usage
 * ```ts
 * import { gridMetadata } from "./grid_metadata.ts";
 * const meta = gridMetadata({
 *   units: "nT", registration: "gridline", resolution: { lon: 0.01, lat: 0.01 },
 *   crs: "EPSG:4326", provenance: [],
 * });
 * meta.units; // "nT"
 * ```
 */
export function gridMetadata(grid: GridMetadataSource): Record<string, unknown> {
  return {
    units: grid.units,
    ...(grid.modality ? { modality: grid.modality } : {}),
    registration: grid.registration,
    resolution: grid.resolution,
    crs: grid.crs,
    ...(grid.bbox ? { bbox: [...grid.bbox] } : {}),
    ...(grid.dataDistanceKm ? { footprint: "data_distance (km to the nearest datum)" } : {}),
    provenance: grid.provenance,
  };
}

/**
 * `meta` as the ASCII JSON of a GeoTIFF `ImageDescription` (non-ASCII characters escaped).
 *
 * @example Usage
 * ```ts
 * import { geoTiffDescription } from "./grid_metadata.ts";
 * geoTiffDescription({ units: "µGal" }); // '{"units":"\\u00b5Gal"}'
 * ```
 */
export function geoTiffDescription(meta: Record<string, unknown>): string {
  return JSON.stringify(meta).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * The contracts' zod schemas (the single source of each type of `./mod.ts`) and the
 * validators and helpers built on them. Loads zod (about 50 ms of start-up): import it where
 * data is validated, `./mod.ts` where only the types, the bbox rule or checksums are needed.
 *
 * @example Validate a grid
 * ```ts
 * import { validateProcessedGrid } from "./schemas.ts";
 * const grid = validateProcessedGrid({
 *   lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float64Array([1, 2, 3, 4]), resolution: { lon: 1, lat: 1 }, units: "mGal",
 *   crs: "EPSG:4326", registration: "gridline", bbox: [0, 0, 1, 1], provenance: [],
 * });
 * console.assert(grid.values.length === 4);
 * ```
 *
 * @module
 */
export * from "./bbox_schema.ts";
export * from "./raw_data.ts";
export * from "./processed_grid.ts";
export * from "./anomaly.ts";

/**
 * GAM data contracts: the bbox convention, `RawData`, `ProcessedGrid`, `Anomaly`,
 * `InversionResult`, canonical checksums and the `ContractError` they raise. zod schemas
 * are the single source of each type.
 *
 * @example Usage
 * ```ts
 * import { checkBbox } from "./mod.ts";
 * checkBbox([16, -35, 33, -22], "--bbox");
 * ```
 *
 * @module
 */
export * from "./bbox.ts";
export * from "./bbox_schema.ts";
export * from "./errors.ts";
export * from "./raw_data.ts";
export * from "./processed_grid.ts";
export * from "./anomaly.ts";
export * from "./checksum.ts";

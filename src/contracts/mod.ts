/**
 * GAM data contracts: the bbox convention, the types `RawData`, `ProcessedGrid`, `Anomaly`,
 * `InversionResult`, canonical checksums and the `ContractError` they raise. Light: it loads
 * no schema library, so entry points (`gam grid`) import it at no start-up cost.
 *
 * The zod schemas, the single source of each type, and the validators that use them are the
 * heavier sub-surface `./schemas.ts` (`RawDataSchema`, `validateRawData`,
 * `validateProcessedGrid`, `isEdgeAnomaly`, ...).
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
export * from "./errors.ts";
export * from "./checksum.ts";
export type { RawData, RawGrid, RawPoints, ValidateRawDataOptions } from "./raw_data.ts";
export type { ProcessedGrid, ProvenanceEntry } from "./processed_grid.ts";
export type { Anomaly, InversionResult } from "./anomaly.ts";

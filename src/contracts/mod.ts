/**
 * GAM data contracts: the bbox convention, the types `RawData`, `ProcessedGrid`, `Anomaly`,
 * `InversionResult` and the `ContractError` they raise. Light: it loads no schema library and
 * no hashing, so every command's entry (the CLI's error reporting included) imports it at no
 * start-up cost.
 *
 * Two heavier sub-surfaces: the zod schemas, the single source of each type, and the validators
 * that use them are `./schemas.ts` (`RawDataSchema`, `validateRawData`, `validateProcessedGrid`,
 * `isEdgeAnomaly`, ...); the canonical checksums (`rawDataChecksum`, `gridChecksum`, ...) are
 * `./checksum.ts`, which loads `node:crypto`.
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
export type { LineKind, RawData, RawGrid, RawPoints, ValidateRawDataOptions } from "./raw_data.ts";
export type { ProcessedGrid, ProvenanceEntry } from "./processed_grid.ts";
export type { Anomaly, InversionResult } from "./anomaly.ts";

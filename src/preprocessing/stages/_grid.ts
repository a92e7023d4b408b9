/**
 * Helpers of the grid stages: taking a grid input, and attaching a stage's report (outlier
 * counts, QC results) to its output.
 *
 * Reports travel with the data so that the main job can find them after the run:
 * - on a `ProcessedGrid`, as a provenance entry `{ step: "<stage>.report", version, params: {},
 *   report }` (provenance entries accept extra fields; checksums ignore provenance);
 * - on `RawData`, under `metadata.extra.reports["<stage>"]`.
 * {@linkcode stageReport} reads either.
 *
 * @module
 */
import type { ProcessedGrid, RawData } from "../../contracts/mod.ts";
import {
  cellSizeKm,
  fftFilter,
  type FftOperation,
  type GridArray,
  type HoleFillEnd,
} from "../../compute/mod.ts";
import { GridChecksumStream } from "../../contracts/checksum.ts";
import { StatisticsAccumulator } from "../statistics.ts";
import { isProcessedGrid, type StageContext, type StageData } from "../stage.ts";
import { StageInputError } from "./_internal.ts";

/**
 * `input` as a `ProcessedGrid` with Float64 values: a processed grid as is, a source grid
 * (`RawData` of kind `grid`) with its resolution taken from its axes and gridline registration.
 * Survey points are refused, naming the stage.
 */
export function requireGrid(input: StageData, stage: string): ProcessedGrid {
  if (isProcessedGrid(input)) {
    return input.values instanceof Float64Array
      ? input
      : { ...input, values: Float64Array.from(input.values) };
  }
  if (input.kind !== "grid") {
    throw new StageInputError(
      stage,
      'expects a grid, got survey points (place "grid" before it)',
    );
  }
  const { lat, lon, values } = input.grid;
  const step = (a: Float64Array) => a.length > 1 ? (a[a.length - 1] - a[0]) / (a.length - 1) : 1;
  return {
    modality: input.modality,
    lat,
    lon,
    values: values instanceof Float64Array ? values : Float64Array.from(values),
    units: input.units,
    crs: input.crs,
    resolution: { lon: step(lon), lat: step(lat) },
    registration: "gridline",
    bbox: input.bbox,
    provenance: [{
      step: `source:${input.source.plugin}`,
      version: input.source.version,
      params: {},
    }],
  };
}

/** The `GridArray` view of a grid (no copy). */
export function gridArray(grid: ProcessedGrid): GridArray {
  return { values: grid.values as Float64Array, nx: grid.lon.length, ny: grid.lat.length };
}

/** Attaches `report` to `data` under the stage id (see the module docs). */
export function attachReport<T extends StageData>(
  data: T,
  stage: string,
  version: string,
  report: Record<string, unknown>,
): T {
  if (isProcessedGrid(data)) {
    return {
      ...data,
      provenance: [...data.provenance, { step: `${stage}.report`, version, params: {}, report }],
    };
  }
  const raw = data as RawData;
  const extra = raw.metadata.extra ?? {};
  const reports = (extra.reports ?? {}) as Record<string, unknown>;
  return {
    ...raw,
    metadata: { ...raw.metadata, extra: { ...extra, reports: { ...reports, [stage]: report } } },
  } as unknown as T;
}

/**
 * The report the stage `stage` attached to `data` (the last one when it ran more than once),
 * or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { stageReport } from "./_grid.ts";
 * // const qc = stageReport(output, "qc") as QcReport | undefined;
 * ```
 */
export function stageReport(data: StageData, stage: string): unknown {
  if (isProcessedGrid(data)) {
    for (let i = data.provenance.length - 1; i >= 0; i--) {
      const entry = data.provenance[i] as { step: string; report?: unknown };
      if (entry.step === `${stage}.report`) return entry.report;
    }
    return undefined;
  }
  const reports = data.metadata.extra?.reports as Record<string, unknown> | undefined;
  return reports?.[stage];
}

/**
 * Runs a frequency-domain operation on a grid input (see `fftFilter`), keeping its axes. When the
 * runner lets the stage consume its input (`ctx.consumeInput`, float64 values), the input's own
 * buffer goes to the worker and the result comes back in it: no grid-sized copy. The input's
 * checksum and statistics are taken (`ctx.measureInput`, for stages that declare
 * `measuresInput`) while the worker transforms it when its values are shared
 * (`readGrid(path, { shared: true })`), just before it is handed over otherwise.
 */
export async function runFft(
  input: StageData,
  stage: string,
  ctx: StageContext,
  operation: FftOperation,
  units?: string,
): Promise<ProcessedGrid> {
  const grid = requireGrid(input, stage);
  const { dxKm, dyKm } = cellSizeKm(grid);
  // The result's statistics blocks, one run per part of the transform, in order.
  const blocks: { summaries: Float64Array; from: number; to: number }[] = [];
  // Over shared values the result is written over the input's array, rows in order: hashed
  // as they come (the runner takes the digest for the returned grid, whose head this is).
  const head = { ...grid, units: units ?? grid.units };
  let checksum: GridChecksumStream | undefined;
  // The input's statistics from the workers' blocks when the transform runs in parts (the
  // partial blocks at the parts' ends read here, before the result is written over them).
  const pre = new StatisticsAccumulator();
  const cells = grid.values.length; // before the call, which may detach the caller's array
  let measuredTo = 0;
  // The hole fills (one, three for the two-band RTP) that stopped at their sweep limit.
  const unconverged: HoleFillEnd[] = [];
  let values: Float64Array<ArrayBuffer>;
  try {
    values = await fftFilter(ctx.pool, gridArray(grid), {
      dxKm,
      dyKm,
      operation,
      signal: ctx.signal,
      inPlace: ctx.consumeInput === true && grid.values instanceof Float64Array,
      onPosted: (inputBlocks) => ctx.measureInput?.({ statistics: !inputBlocks }),
      onInputBlocks: (summaries, from, to) => {
        pre.addSummarised(grid.values, from, to, summaries);
        measuredTo = to;
      },
      // The result's statistics from the workers' blocks: no pass of the main thread over it.
      onResultBlocks: (summaries, from, to) => blocks.push({ summaries, from, to }),
      onResultRows: (rows) => {
        checksum ??= new GridChecksumStream(head, grid.values);
        checksum.update(checksum.hashed, rows * grid.lon.length);
      },
      onFill: (end) => {
        if (!end.converged) unconverged.push(end);
      },
    });
  } finally {
    // Every input block arrives before the result is written over the input: until then
    // the input is intact, and measured here if the call failed first.
    if (measuredTo === cells) ctx.knownInputStatistics?.(pre.result(cells));
    else ctx.measureInput?.();
  }
  if (blocks.length > 0) {
    const post = new StatisticsAccumulator();
    for (const b of blocks) post.addSummarised(values, b.from, b.to, b.summaries);
    ctx.knownStatistics?.(values, post.result(values.length));
  }
  if (checksum?.hashed === values.length) ctx.knownChecksum?.(checksum);
  warnUnconverged(unconverged, stage, grid.units, ctx);
  return { ...head, values };
}

/**
 * Warns when a fill of the grid's NaN cells before the transform stopped at its sweep limit
 * with the filled values still moving (the one that moved most, for the two-band RTP's three):
 * its result next to large gaps depends on that limit, which a user should know before reading
 * anomalies there. The values are not changed: the fill is what it always was.
 */
function warnUnconverged(
  ends: HoleFillEnd[],
  stage: string,
  units: string | undefined,
  ctx: StageContext,
): void {
  if (ends.length === 0) return;
  const worst = ends.reduce((a, b) => b.update / b.tolerance > a.update / a.tolerance ? b : a);
  const { sweeps, update, tolerance } = worst;
  const unit = units ? ` ${units}` : "";
  ctx.logger.warn(
    `stage "${stage}": the fill of the grid's NaN cells before the transform stopped at its ` +
      `limit of ${sweeps} sweeps without converging (the last sweep still moved a filled value ` +
      `by ${update.toPrecision(3)}${unit}, ${Math.round(update / tolerance)} times the ` +
      `tolerance of ${tolerance.toPrecision(3)}${unit}): values next to large gaps depend on ` +
      `that limit`,
    { stage, sweeps, update, tolerance },
  );
}

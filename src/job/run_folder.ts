/**
 * The run folder, `<outputDir>/runs/<run-id>/`: its layout, and the files the run writes into
 * it, every one through `src/fs` (whole or not at all).
 *
 * ```
 * runs/<run-id>/
 *   manifest.json          the summary, configuration, code and plugin versions, provenance
 *   anomalies.geojson      every grid's anomalies, as points
 *   report.html            the report (rendered by src/report)
 *   log.jsonl              the run's log (written by `gam run`)
 *   grids/<modality>-<branch>.zarr, .tif
 * ```
 *
 * @module
 */
import type { Anomaly, ProcessedGrid } from "../contracts/mod.ts";
import { isEdgeAnomaly } from "../contracts/schemas.ts";
import type { LoadedConfig } from "../config/mod.ts";
import type { BuildInfo } from "../compute/mod.ts";
import { writeGrid } from "../formats/mod.ts";
import { fileSafeName, writeFileAtomic } from "../fs/mod.ts";
import { renderReport, type ReportModality } from "../report/mod.ts";
import type { ModalityJobResult } from "./modality_job.ts";
import { modalitySummary, runStatus, type RunSummary, sortResults } from "./summary.ts";

/**
 * The run's folder.
 *
 * @param outputDir `defaults.outputDir` of the configuration.
 * @param runId The run's id.
 * @returns `<outputDir>/runs/<runId>`.
 *
 * @example Usage
 * ```ts
 * import { runFolderPath } from "./run_folder.ts";
 * console.assert(runFolderPath("out", "run-1") === "out/runs/run-1");
 * ```
 */
export function runFolderPath(outputDir: string, runId: string): string {
  return `${outputDir}/runs/${runId}`;
}

/** Where a grid of the run was written. */
export interface GridOutputPaths {
  zarrPath: string;
  tifPath: string;
}

/**
 * Writes a modality's grids into the run folder, each as Zarr v3 and as GeoTIFF:
 * `<runDir>/grids/<modality>-<branch>.zarr` and `.tif` (names made file-safe).
 *
 * @param runDir The run folder ({@linkcode runFolderPath}).
 * @param modality The modality.
 * @param grids Its grids, by branch.
 * @returns Where each grid was written, in the order given.
 *
 * @example Usage
 * ```ts
 * import { writeRunGrids } from "./run_folder.ts";
 * import type { ProcessedGrid } from "../contracts/mod.ts";
 * const grid: ProcessedGrid = {
 *   lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float64Array([1, 2, 3, 4]), resolution: { lon: 1, lat: 1 }, units: "mGal",
 *   crs: "EPSG:4326", registration: "gridline", bbox: [0, 0, 1, 1], provenance: [],
 * };
 * const dir = await Deno.makeTempDir();
 * const [paths] = await writeRunGrids(dir, "gravity", [{ branch: "main", grid }]);
 * console.assert(paths.tifPath === `${dir}/grids/gravity-main.tif`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeRunGrids(
  runDir: string,
  modality: string,
  grids: readonly { branch: string; grid: ProcessedGrid }[],
): Promise<GridOutputPaths[]> {
  await Deno.mkdir(`${runDir}/grids`, { recursive: true });
  const paths: GridOutputPaths[] = [];
  for (const o of grids) {
    const base = `${runDir}/grids/${fileSafeName(modality)}-${fileSafeName(o.branch)}`;
    await writeGrid(`${base}.zarr`, o.grid);
    await writeGrid(`${base}.tif`, o.grid);
    paths.push({ zarrPath: `${base}.zarr`, tifPath: `${base}.tif` });
  }
  return paths;
}

/** The run folder's files, as text. */
export interface RunFolderFiles {
  manifest: string;
  anomalies: string;
  report: string;
}

/**
 * The run folder's files for a finished run: the manifest (the summary with the configuration,
 * code, numeric core, plugins, stages, ingestion and grid provenance), the anomalies as GeoJSON
 * and the HTML report.
 *
 * @param summary The run's summary.
 * @param results The modalities' results, in configuration order.
 * @param loaded The configuration the run used.
 * @param build The code and numeric core that ran.
 * @returns The files' text.
 *
 * A run with modalities needs their results: exercised by tests/job/run_test.ts (`gam run`).
 *
 * @example A finished run without modalities
 * ```ts
 * import { renderRunFolder } from "./run_folder.ts";
 * import { buildInfo } from "../compute/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const loaded = await loadConfig({ configPath, env: {} });
 * const now = new Date().toISOString();
 * const summary = { runId: "run-1", status: "succeeded", runDir: "out/runs/run-1", startedAt: now,
 *   finishedAt: now, bbox: [10, 45, 11, 46], configHash: loaded.hash, modalities: [] } as const;
 * const files = renderRunFolder({ ...summary, modalities: [] }, [], loaded, await buildInfo());
 * console.assert(JSON.parse(files.manifest).config.hash === loaded.hash);
 * console.assert(files.report.includes("run-1"));
 * ```
 */
export function renderRunFolder(
  summary: RunSummary,
  results: readonly ModalityJobResult[],
  loaded: LoadedConfig,
  build: BuildInfo,
): RunFolderFiles {
  const manifest = {
    ...summary,
    config: { hash: loaded.hash, sources: loaded.sources, profile: loaded.profile ?? null },
    code: build.code,
    wasm: build.wasm,
    plugins: Object.fromEntries(
      results.filter((r) => r.manifest).map((r) => [r.modality, {
        id: r.manifest!.pluginId,
        version: r.manifest!.pluginVersion,
        module: r.plugin?.identity?.module ?? null,
        graphHash: r.plugin?.identity?.graphHash ?? null,
        npmIntegrity: r.plugin?.identity?.npmIntegrity ?? null,
        checksum: r.manifest!.checksumSha256,
        licence: r.manifest!.licence,
        citation: r.manifest!.citation,
        ...(typeof r.manifest!.extra?.doi === "string" ? { doi: r.manifest!.extra.doi } : {}),
      }]),
    ),
    stages: Object.fromEntries(results.map((r) => [r.modality, r.stages])),
    // Cache entries per modality: what `gam storage rehydrate <run-id>` brings back.
    cacheEntries: Object.fromEntries(results.map((r) => [r.modality, r.cacheEntries ?? []])),
    ingestion: Object.fromEntries(results.map((r) => [r.modality, r.ingestion ?? null])),
    provenance: Object.fromEntries(
      results.map((
        r,
      ) => [r.modality, Object.fromEntries(r.grids.map((g) => [g.branch, g.grid.provenance]))]),
    ),
  };
  const features = results.flatMap((r) =>
    r.grids.flatMap((g) =>
      g.anomalies.map((a: Anomaly) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [a.lon, a.lat, -a.depth] },
        properties: {
          modality: r.modality,
          branch: g.branch,
          type: a.type,
          confidence: a.confidence,
          ...a.attributes,
          edge: isEdgeAnomaly(a),
        },
      }))
    )
  );
  return {
    manifest: JSON.stringify(manifest, null, 2),
    anomalies: JSON.stringify({ type: "FeatureCollection", features }, null, 1),
    report: renderReport({
      runId: summary.runId,
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      bbox: summary.bbox,
      modalities: results.map(reportModality),
      provenance: manifest,
      labelTop: loaded.config.report.labelTop,
      tableRows: loaded.config.report.tableRows,
    }),
  };
}

/** A modality's result as the report shows it. */
function reportModality(r: ModalityJobResult): ReportModality {
  return {
    modality: r.modality,
    outcome: r.outcome,
    error: r.error,
    pointsIn: r.pointsIn,
    outliersRemoved: r.outliersRemoved,
    cache: r.cache,
    durationSeconds: r.durationSeconds,
    ...(r.survey ? { lines: r.survey.lines, sourceCrs: r.survey.sourceCrs } : {}),
    stages: r.stages.map((s) => ({
      branch: s.branch,
      stage: s.stage,
      version: s.version,
      durationSeconds: s.durationSeconds,
      outcome: s.outcome,
      error: s.error,
    })),
    grids: r.grids.map((g) => ({
      title: `${r.modality} / ${g.branch}`,
      grid: g.grid,
      anomalies: g.anomalies,
      qc: g.qc
        ? {
          completeness: g.qc.completeness.fraction,
          ...(g.qc.completeness.footprint === "input points"
            ? {
              supportKm: g.qc.completeness.supportKm,
              extrapolated: g.qc.completeness.extrapolated,
              maxDistanceKm: g.qc.completeness.maxDistanceKm ?? undefined,
            }
            : {}),
          seams: g.qc.seams.map((s) => ({
            between: `${s.surveyA}|${s.surveyB}`,
            offset: s.offset,
            gradientJump: s.gradientJump ?? undefined,
            flagged: s.flagged,
          })),
        }
        : undefined,
    })),
  };
}

/**
 * Writes the run folder's files, each atomically.
 *
 * @param runDir The run folder ({@linkcode runFolderPath}).
 * @param files What {@linkcode renderRunFolder} rendered.
 *
 * @example Usage
 * ```ts
 * import { writeRunFolder } from "./run_folder.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRunFolder(dir, { manifest: "{}", anomalies: "{}", report: "<html></html>" });
 * console.assert((await Deno.readTextFile(`${dir}/manifest.json`)) === "{}");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeRunFolder(runDir: string, files: RunFolderFiles): Promise<void> {
  await writeFileAtomic(`${runDir}/manifest.json`, files.manifest);
  await writeFileAtomic(`${runDir}/anomalies.geojson`, files.anomalies);
  await writeFileAtomic(`${runDir}/report.html`, files.report);
}

/** A run folder rendered before the run ended; see {@linkcode draftRunFolder}. */
export interface RunFolderDraft {
  /** The files for `summary` when it is the one drafted (finish time aside), else `undefined`. */
  matches(summary: RunSummary): RunFolderFiles | undefined;
}

/**
 * Renders the run folder (the report's images take a while) while the results are still being
 * stored, for the summary the run will have if storing them changes no outcome. The finish time
 * is not known yet: a unique placeholder stands for it and is replaced when the draft is used;
 * ISO times are the same text in JSON and HTML, so the files are byte for byte those rendered
 * afterwards. A summary that differs in anything else (a modality failed to persist, the run was
 * interrupted, the database did not open) gets no files, and the caller renders them anew.
 *
 * @param summary The run's summary so far.
 * @param results The modalities' results, in any order (not modified).
 * @param modalities The run's modalities, in configuration order.
 * @param o `interrupted`: whether the run was stopped; `database`: where the database will say
 *   it is; `loaded`, `build`: as for {@linkcode renderRunFolder}.
 * @returns The draft.
 *
 * A run with modalities needs their results: exercised by tests/job/run_test.ts (`gam run`).
 *
 * @example A run without modalities, drafted before it finishes
 * ```ts
 * import { draftRunFolder } from "./run_folder.ts";
 * import type { RunSummary } from "./summary.ts";
 * import { buildInfo } from "../compute/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const loaded = await loadConfig({ configPath, env: {} });
 * const summary: RunSummary = { runId: "run-1", status: "succeeded", runDir: "out/runs/run-1",
 *   startedAt: new Date().toISOString(), finishedAt: "", bbox: [10, 45, 11, 46],
 *   configHash: loaded.hash, modalities: [] };
 * const draft = await draftRunFolder(summary, [], [], {
 *   interrupted: false, database: "embedded", loaded, build: buildInfo() });
 * const finished = { ...summary, database: "embedded", finishedAt: new Date().toISOString() };
 * console.assert(draft.matches(finished) !== undefined); // the drafted files are used
 * console.assert(draft.matches({ ...finished, database: "none" }) === undefined); // rendered anew
 * ```
 */
export async function draftRunFolder(
  summary: RunSummary,
  results: readonly ModalityJobResult[],
  modalities: readonly string[],
  o: { interrupted: boolean; database: string; loaded: LoadedConfig; build: Promise<BuildInfo> },
): Promise<RunFolderDraft> {
  const build = await o.build;
  const placeholder = `@@gam-finished-at-${crypto.randomUUID()}@@`;
  const ordered = sortResults([...results], modalities);
  const interrupted = o.interrupted || ordered.some((r) => r.outcome === "interrupted");
  const expected: RunSummary = {
    ...summary,
    status: runStatus(ordered, interrupted),
    finishedAt: placeholder,
    database: o.database,
    modalities: ordered.map(modalitySummary),
  };
  const key = JSON.stringify(expected);
  const files = renderRunFolder(expected, ordered, o.loaded, build);
  return {
    matches(actual) {
      if (JSON.stringify({ ...actual, finishedAt: placeholder }) !== key) return undefined;
      const at = actual.finishedAt;
      return {
        manifest: files.manifest.replaceAll(placeholder, at),
        anomalies: files.anomalies.replaceAll(placeholder, at),
        report: files.report.replaceAll(placeholder, at),
      };
    },
  };
}

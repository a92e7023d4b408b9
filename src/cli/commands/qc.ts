/**
 * `gam qc`: quality control of a grid file: completeness, seams and anomalies.
 *
 * @module
 */
import { type Command, EXIT_OK, numberFlag, parseFlags, UsageError } from "../command.ts";
import { warmUpFilter, WorkerPool } from "../../compute/mod.ts";
import { gridInput } from "../grid_input.ts";
import { readGrid } from "../../formats/mod.ts";
import { type QcReport, qcStage, qualityControl } from "../../preprocessing/mod.ts";

const HELP = `Usage: gam qc [--input] GRID [--json] [options]

Reads a grid (.tif, .zarr as written by gam grid, .nc netCDF classic) and prints its quality
control: completeness measured from the grid's data footprint (band 2 of a GeoTIFF, the
data_distance array of a Zarr group: distance from each node to the nearest input point) when
it has one: nodes with a value and a datum within the support distance, nodes with a value but
none (extrapolated), masked or empty nodes; without a footprint (a foreign file), the distance
is to the nearest node with a value. Then seams between tiles (with --tile-deg) and anomalies
(robust z-score of the residual after a regional trend, connected components with centroid,
peak, area and confidence; on a grid made by an FFT transform, anomalies in the transform's
edge band are labelled edge and not counted).

Options:
  --input GRID          Grid file (or give it as the one positional argument); an s3://
                        URI (s3://bucket/key.tif[?versionId=...], .nc, .zarr prefix) is read
                        from the bucket of the configuration's storage: section
  --config FILE         Configuration (only for s3:// inputs: endpoint and credentials)
  --profile NAME        Configuration profile
  --json                Print the report as JSON on stdout
  --support-km KM       Support distance for completeness (default 0: with a footprint 3 node
                        spacings, the default mask of mincurv and linear; without one, the
                        node itself)
  --tile-deg DEG        Check seams between square tiles of DEG degrees (default: no seams)
  --seam-threshold V    Flag seams with a level offset above V data units (default 1)
  --z-threshold Z       Robust z-score threshold for anomalies (default 3)
  --min-cells N         Smallest anomaly, cells (default 4)
  --workers N           Worker pool size (default: number of cores)
  -h, --help            Show this help

Exit status: 0 success, 1 runtime failure, 2 usage error.`;

const s = { type: "string" } as const;

/**
 * `gam qc`.
 *
 * @example Usage
 * ```ts
 * import { qcCommand } from "./qc.ts";
 * import { writeRunGrids } from "../../job/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-cli-" });
 * try {
 *   const n = 16, values = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i / 7));
 *   const axis = Float64Array.from({ length: n }, (_, i) => i * 0.01);
 *   const [{ tifPath }] = await writeRunGrids(dir, "gravity", [{ branch: "main", grid: {
 *     lon: axis, lat: axis, values, resolution: { lon: 0.01, lat: 0.01 }, units: "mGal",
 *     crs: "EPSG:4326", registration: "gridline", bbox: [0, 0, 0.15, 0.15], provenance: [],
 *   } }]);
 *   const status = await qcCommand.run(["--input", tifPath, "--json", "--workers", "1"]);
 *   if (status !== 0) throw new Error(`gam qc exited with ${status}`); // the report is on stdout
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export const qcCommand: Command = {
  name: "qc",
  help: HELP,
  async run(args) {
    const { values: v, positionals, help } = parseFlags(args, {
      input: s,
      json: { type: "boolean" },
      "support-km": s,
      "tile-deg": s,
      "seam-threshold": s,
      "z-threshold": s,
      "min-cells": s,
      workers: s,
      config: s,
      profile: s,
    }, { positionalInput: { flag: "input", command: "qc" } });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}" (see gam qc --help)`);
    }
    if (typeof v.input !== "string" || v.input === "") throw new UsageError("--input is required");
    const positive = (x: number) => x > 0 || "must be > 0";
    const int = (x: number) => (Number.isInteger(x) && x >= 1) || "must be an integer >= 1";
    const params = qcStage.paramsSchema.parse({
      supportKm: numberFlag(v["support-km"], "--support-km", (x) => x >= 0 || "must be >= 0"),
      tileDeg: numberFlag(v["tile-deg"], "--tile-deg", positive),
      seamThreshold: numberFlag(v["seam-threshold"], "--seam-threshold", positive),
      zThreshold: numberFlag(v["z-threshold"], "--z-threshold", positive),
      minCells: numberFlag(v["min-cells"], "--min-cells", int),
    });
    const workers = numberFlag(v.workers, "--workers", int);
    // The workers start and warm the anomaly search up while the main thread reads the file
    // (a kernel's first call in a fresh worker would run V8's baseline code to its end).
    await using pool = new WorkerPool({ size: workers });
    const warm = warmUpFilter(pool, "qc");
    await using local = await gridInput(v.input, v);
    // Float32 values stay float32 (the anomaly search works in float32; nothing to narrow).
    const grid = await readGrid(local.path, { float32: true, pool });
    await warm;
    // Read once, used once: the anomaly search may take the values' buffer.
    const report = await qualityControl(pool, grid, params, { consumeValues: true });
    console.log(
      v.json ? JSON.stringify(report, null, 2) : formatReport(v.input, grid.units, report),
    );
    return EXIT_OK;
  },
};

function formatReport(file: string, units: string, r: QcReport): string {
  const c = r.completeness;
  const km = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)} km`);
  const pct = (k: number) => `${(100 * k / Math.max(1, c.cells)).toFixed(1)}%`;
  const lines = [`QC of ${file}`];
  if (c.footprint === "input points") {
    lines.push(
      `completeness: ${pct(c.supported)} (${c.supported} of ${c.cells} nodes have a value and ` +
        `a datum within ${c.supportKm.toFixed(2)} km); ${c.withValues} with values, ` +
        `${c.extrapolated} extrapolated (value, no datum within ${c.supportKm.toFixed(2)} km), ` +
        `${c.cells - c.withValues} masked or empty`,
      `distance to data (input points): max ${km(c.maxDistanceKm)}, mean ${km(c.meanDistanceKm)}`,
    );
  } else {
    lines.push(
      `completeness: ${pct(c.supported)} (${c.supported} of ${c.cells} nodes with data` +
        (c.supportKm > 0 ? ` within ${c.supportKm} km` : "") + ")",
      `distance to data: max ${km(c.maxDistanceKm)}, mean ${km(c.meanDistanceKm)} ` +
        `(to the nearest node with a value: this file has no data footprint, so ` +
        `extrapolated nodes cannot be told apart)`,
    );
  }
  if (!r.seamsChecked) lines.push("seams: not checked (single survey; use --tile-deg for tiles)");
  else {
    const flagged = r.seams.filter((x) => x.flagged).length;
    lines.push(`seams: ${r.seams.length} (${flagged} flagged)`);
    for (const x of r.seams) {
      lines.push(
        `  ${x.surveyA} | ${x.surveyB}: offset ${x.offset.toFixed(3)} ${units}, gradient jump ` +
          `${x.gradientJump === null ? "n/a" : `${x.gradientJump.toFixed(3)} ${units}/cell`} ` +
          `over ${x.pairs} pairs` +
          (x.flagged ? "  FLAGGED" : ""),
      );
    }
  }
  const band = r.edgeBand;
  lines.push(
    `anomalies: ${r.anomalies.length - r.edgeAnomalies}` +
      (band
        ? ` (+${r.edgeAnomalies} in the FFT edge band of ${band.lonCells} x ${band.latCells} ` +
          `cells, labelled edge)`
        : ""),
  );
  for (const a of r.anomalies) {
    const at = a.attributes as { peak: number; areaKm2: number; edge?: boolean };
    lines.push(
      `  ${a.type} at ${a.lon.toFixed(4)}, ${a.lat.toFixed(4)}: peak ${
        at.peak.toFixed(3)
      } ${units}, ` +
        `area ${at.areaKm2.toFixed(1)} km², confidence ${a.confidence.toFixed(2)}` +
        (at.edge ? "  edge" : ""),
    );
  }
  return lines.join("\n");
}

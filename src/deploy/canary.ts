/**
 * Canary comparison of two colors: the same canary bbox run by each color's `gam run`, compared
 * grid by grid. A change that claims to be neutral must reproduce every grid's canonical
 * checksum; any other change must keep each grid's RMS difference (over the nodes valued in both)
 * and each modality's anomaly count within the configured tolerances.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import { readGrid } from "../formats/mod.ts";
import type { Color } from "./colors.ts";

/** What a canary run reports (the parts of `gam run --json` used here). */
export interface CanaryRunSummary {
  runId: string;
  modalities: {
    modality: string;
    outcome: string;
    error?: string;
    anomalies: number;
    grids: { branch: string; tif: string; checksum: string }[];
  }[];
}

/** The tolerances of a comparison (configuration `deployment.canary`). */
export interface CanaryRules {
  /** Checksums must be equal. */
  neutral: boolean;
  /** Largest RMS difference of a grid, in its units (not neutral). */
  rms: number;
  /** Largest anomaly-count difference of a modality (not neutral). */
  anomalyCount: number;
}

/** One compared item: a grid (`branch` set) or a modality's anomaly count. */
export interface CanaryCheck {
  bbox: Bbox;
  modality: string;
  /** The grid's branch; absent for the anomaly-count check. */
  branch?: string;
  passed: boolean;
  /** Why, in words (e.g. `rms 0.41 > 0.05`). */
  detail: string;
  /** RMS difference, grid units (grids, not neutral). */
  rms?: number;
}

/** The result of a canary comparison, as recorded on the new color. */
export interface CanaryResult {
  passed: boolean;
  /** The color compared with (the schedule owner). */
  against: Color;
  /** ISO 8601 time of the comparison. */
  at: string;
  neutral: boolean;
  /** The runs: `{ bbox, owner run id, new color's run id }`. */
  runs: { bbox: Bbox; owner: string; candidate: string }[];
  checks: CanaryCheck[];
}

/**
 * RMS of `b - a` over the nodes finite in both, and how many nodes were finite in only one.
 *
 * @example Usage
 * ```ts
 * import { rmsDifference } from "./canary.ts";
 * rmsDifference(new Float64Array([1, 2, NaN]), new Float64Array([1, 4, NaN])); // { rms: 1.414..., nodes: 2, mismatched: 0 }
 * ```
 */
export function rmsDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { rms: number; nodes: number; mismatched: number } {
  if (a.length !== b.length) {
    throw new RangeError(`Grids differ in size: ${a.length} and ${b.length} nodes`);
  }
  let sum = 0, nodes = 0, mismatched = 0;
  for (let i = 0; i < a.length; i++) {
    const fa = Number.isFinite(a[i]), fb = Number.isFinite(b[i]);
    if (fa && fb) {
      const d = b[i] - a[i];
      sum += d * d;
      nodes++;
    } else if (fa !== fb) mismatched++;
  }
  return { rms: nodes === 0 ? 0 : Math.sqrt(sum / nodes), nodes, mismatched };
}

/**
 * Compares the owner's and the candidate's runs of one canary bbox.
 *
 * @param bbox The canary bbox.
 * @param owner The schedule owner's run.
 * @param candidate The new color's run.
 * @param rules Neutral or tolerances.
 * @returns One check per grid of the owner's run and per modality's anomaly count (not neutral).
 *
 * Comparing grids by value (not neutral) reads the runs' GeoTIFFs: exercised by
 * src/deploy/canary_test.ts.
 *
 * @example A neutral change: grids compared by checksum (no file is read)
 * ```ts
 * import { compareCanaryRuns } from "./canary.ts";
 * const run = (runId: string, checksum: string) => ({
 *   runId,
 *   modalities: [{ modality: "gravity", outcome: "ok", anomalies: 3,
 *     grids: [{ branch: "fine", checksum, tif: "/nonexistent.tif" }] }],
 * });
 * const rules = { neutral: true, rms: 0, anomalyCount: 0 };
 * const bbox = [10, 45, 10.1, 45.1] as const;
 * const same = await compareCanaryRuns(bbox, run("a", "sha256:1"), run("b", "sha256:1"), rules);
 * console.assert(same[0]?.passed === true);
 * const changed = await compareCanaryRuns(bbox, run("a", "sha256:1"), run("b", "sha256:9"), rules);
 * console.assert(changed[0]?.passed === false);
 * ```
 */
export async function compareCanaryRuns(
  bbox: Bbox,
  owner: CanaryRunSummary,
  candidate: CanaryRunSummary,
  rules: CanaryRules,
): Promise<CanaryCheck[]> {
  const checks: CanaryCheck[] = [];
  for (const m of owner.modalities) {
    const c = candidate.modalities.find((x) => x.modality === m.modality);
    const base = { bbox, modality: m.modality };
    if (m.outcome !== "ok") {
      checks.push({
        ...base,
        passed: false,
        detail: `the owner's run did not succeed (${m.outcome}${m.error ? `: ${m.error}` : ""})`,
      });
      continue;
    }
    if (!c || c.outcome !== "ok") {
      checks.push({
        ...base,
        passed: false,
        detail: `the new color's run did not succeed (${c?.outcome ?? "modality missing"}${
          c?.error ? `: ${c.error}` : ""
        })`,
      });
      continue;
    }
    for (const g of m.grids) {
      const h = c.grids.find((x) => x.branch === g.branch);
      const at = { ...base, branch: g.branch };
      if (!h) {
        checks.push({ ...at, passed: false, detail: "grid missing in the new color's run" });
        continue;
      }
      if (rules.neutral) {
        const same = g.checksum === h.checksum;
        checks.push({
          ...at,
          passed: same,
          detail: same ? `checksum equal` : `checksum ${h.checksum} differs from ${g.checksum}`,
        });
        continue;
      }
      const [ga, gb] = await Promise.all([readGrid(g.tif), readGrid(h.tif)]);
      if (ga.lat.length !== gb.lat.length || ga.lon.length !== gb.lon.length) {
        checks.push({
          ...at,
          passed: false,
          detail:
            `grid shape ${gb.lat.length} x ${gb.lon.length} differs from ${ga.lat.length} x ${ga.lon.length}`,
        });
        continue;
      }
      const d = rmsDifference(ga.values, gb.values);
      const passed = d.rms <= rules.rms && d.mismatched === 0;
      checks.push({
        ...at,
        passed,
        rms: d.rms,
        detail:
          `rms ${d.rms.toPrecision(4)} ${d.rms <= rules.rms ? "<=" : ">"} ${rules.rms} ${
            ga.units ?? ""
          }`.trim() + (d.mismatched ? `; ${d.mismatched} node(s) valued in only one grid` : ""),
      });
    }
    if (!rules.neutral) {
      const diff = Math.abs(c.anomalies - m.anomalies);
      checks.push({
        ...base,
        passed: diff <= rules.anomalyCount,
        detail: `anomalies ${c.anomalies} vs ${m.anomalies} (difference ${diff} ${
          diff <= rules.anomalyCount ? "<=" : ">"
        } ${rules.anomalyCount})`,
      });
    }
  }
  if (owner.modalities.length === 0) {
    checks.push({ bbox, modality: "-", passed: false, detail: "the owner's run had no modality" });
  }
  return checks;
}

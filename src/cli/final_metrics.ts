/**
 * Final metrics of one-shot commands (internal to the CLI): written for node_exporter's
 * textfile collector (`--metrics-file`) and/or pushed to a Pushgateway, after the command's
 * work is done. A failure to export is reported on stderr and does not change the command's
 * exit status: the missing metrics then trip the alerts that watch them.
 *
 * @module
 */
import {
  type MetricsRegistry,
  pushMetrics,
  writeMetricsFile,
} from "../observability/metrics/mod.ts";
import { errorMessage } from "../observability/mod.ts";

/** Where and what to export. */
export interface FinalMetricsOptions {
  /** The command's registry. */
  registry: MetricsRegistry;
  /** The command name, for messages (`gam run`). */
  command: string;
  /** `--metrics-file PATH` (a `.prom` file in the textfile collector's folder). */
  file?: string;
  /** The Pushgateway, when configured. */
  push?: { url: string; job: string };
  /**
   * Metric families pushed to their own group per modality,
   * `job/<job>/instance/<host>/modality/<m>` (PUT), and left out of the command's group: a later
   * run that fails replaces the command's group but leaves these (the last success time) alone.
   * @default undefined
   */
  perModality?: { families: readonly string[]; groups: Record<string, MetricsRegistry> };
}

/**
 * Writes and pushes the final metrics. Returns the problems met (already printed).
 *
 * @example Usage
 * ```ts
 * import { exportFinalMetrics } from "./final_metrics.ts";
 * import { defaultRegistry as registry } from "../observability/metrics/mod.ts";
 * const dir = await Deno.makeTempDir(); // in production: node_exporter's textfile folder
 * try {
 *   await exportFinalMetrics({ registry, command: "gam run", file: `${dir}/gam.prom` }); // []
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function exportFinalMetrics(options: FinalMetricsOptions): Promise<string[]> {
  const problems: string[] = [];
  const fail = (e: unknown) => {
    const text = `${options.command}: metrics not exported: ${errorMessage(e)}`;
    console.error(text);
    problems.push(text);
  };
  if (options.file) await writeMetricsFile(options.registry, options.file).catch(fail);
  if (options.push) {
    const instance = Deno.hostname();
    const base = { url: options.push.url, job: options.push.job };
    await pushMetrics(options.registry, {
      ...base,
      grouping: { instance },
      exclude: options.perModality?.families,
    }).catch(fail);
    for (const [modality, reg] of Object.entries(options.perModality?.groups ?? {})) {
      await pushMetrics(reg, { ...base, grouping: { instance, modality } }).catch(fail);
    }
  }
  return problems;
}

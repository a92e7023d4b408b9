/**
 * The metrics of `gam run`: per modality its outcome, duration, throughput and last success,
 * per stage its duration, and the process's peak memory. The cache and ingestion layers count
 * their own.
 *
 * @module
 */
import type { Gauge, MetricsRegistry } from "./registry.ts";

/** What the run metrics need of one modality's run (a job result has these fields). */
export interface ModalityRunRecord {
  modality: string;
  outcome: string;
  /** Wall time of the modality's run, ingest to write, in seconds. */
  durationSeconds: number;
  /** Points ingested. */
  pointsIn: number;
  /** The cache decision: `"hit"` means the stage timings are an earlier run's. */
  cache: string;
  /** The stages run, with their wall time in seconds. */
  stages: readonly { stage: string; durationSeconds: number }[];
}

/**
 * `gam_run_modality_last_success_timestamp_seconds{modality}`, registered on `registry`: what
 * the "scheduled modality overdue" alert watches (monitoring/prometheus/rules/alerts.yml).
 *
 * @param registry Where to register (idempotent).
 * @returns The gauge.
 *
 * @example Usage
 * ```ts
 * import { lastSuccessGauge } from "./run_metrics.ts";
 * import { MetricsRegistry } from "./registry.ts";
 * lastSuccessGauge(new MetricsRegistry()).set({ modality: "gravity" }, Date.now() / 1000);
 * ```
 */
export function lastSuccessGauge(registry: MetricsRegistry): Gauge<"modality"> {
  return registry.gauge({
    name: "gam_run_modality_last_success_timestamp_seconds",
    help: "Unix time at which the last successful run of the modality finished.",
    labelNames: ["modality"],
  });
}

/**
 * Records a run's modalities on `registry`: outcomes (`gam_run_modalities_total`), durations,
 * last success and throughput of the successful ones, stage durations (not for cache hits,
 * whose timings are an earlier run's) and the process's peak resident memory.
 *
 * @param registry Where to record (the instruments are registered idempotently).
 * @param runs The modalities' runs.
 *
 * @example Usage
 * ```ts
 * import { recordRunMetrics } from "./run_metrics.ts";
 * import { MetricsRegistry } from "./registry.ts";
 * const registry = new MetricsRegistry();
 * recordRunMetrics(registry, [{
 *   modality: "gravity",
 *   outcome: "ok",
 *   durationSeconds: 2,
 *   pointsIn: 1000,
 *   cache: "miss",
 *   stages: [{ stage: "grid", durationSeconds: 1.5 }],
 * }]);
 * console.assert((await registry.render()).includes("gam_run_modality_points_per_second"));
 * ```
 */
export function recordRunMetrics(
  registry: MetricsRegistry,
  runs: readonly ModalityRunRecord[],
): void {
  const stageSeconds = registry.histogram({
    name: "gam_pipeline_stage_duration_seconds",
    help: "Wall time of preprocessing stages.",
    labelNames: ["modality", "stage"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  });
  const outcomes = registry.counter({
    name: "gam_run_modalities_total",
    help: "Modality runs of gam run by outcome.",
    labelNames: ["modality", "outcome"],
  });
  const seconds = registry.histogram({
    name: "gam_run_modality_duration_seconds",
    help: "Wall time of one modality's run (ingest, preprocess, write).",
    labelNames: ["modality"],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
  });
  const lastSuccess = lastSuccessGauge(registry);
  const throughput = registry.gauge({
    name: "gam_run_modality_points_per_second",
    help: "Points ingested per second of wall time of the modality's last run (ingest to write).",
    labelNames: ["modality"],
  });
  registry.gauge({
    name: "gam_process_peak_resident_memory_bytes",
    help: "Peak resident memory of this process so far (Linux VmHWM; current RSS elsewhere).",
    labelNames: [],
  }).set(peakResidentBytes());
  const now = Date.now() / 1000;
  for (const r of runs) {
    outcomes.inc({ modality: r.modality, outcome: r.outcome });
    if (r.outcome === "ok") lastSuccess.set({ modality: r.modality }, now);
    if (r.outcome === "ok" && r.durationSeconds > 0) {
      throughput.set({ modality: r.modality }, r.pointsIn / r.durationSeconds);
    }
    seconds.observe({ modality: r.modality }, r.durationSeconds);
    if (r.cache === "hit") continue; // cached records are the earlier run's timings
    for (const s of r.stages) {
      stageSeconds.observe({ modality: r.modality, stage: s.stage }, s.durationSeconds);
    }
  }
}

/**
 * Peak resident set of the process in bytes: `VmHWM` of /proc/self/status on Linux (worker
 * threads included, as they share the process), the current RSS where that file is missing.
 *
 * @returns Bytes.
 *
 * @example Usage
 * ```ts
 * import { peakResidentBytes } from "./run_metrics.ts";
 * console.assert(peakResidentBytes() > 0);
 * ```
 */
export function peakResidentBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux, or /proc not readable
  }
  return Deno.memoryUsage().rss;
}

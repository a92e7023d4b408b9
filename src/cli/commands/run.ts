/**
 * `gam run`: the main job (what `deno task run` runs).
 *
 * The embedded database's worker is started first thing (it loads PGlite on the other core),
 * and the configuration and the job's modules are loaded meanwhile: they are imported when the
 * command runs, not with this module.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseFlags, UsageError } from "../command.ts";
import {
  createLogger,
  errorMessage,
  escapeControlChars,
  newCorrelationId,
  runTraceparent,
  stderrSink,
} from "../../observability/mod.ts";
import { type PgliteEngineStart, prestartPglite } from "../../persistence/pglite_engine.ts";
import type { RunSummary } from "../../job/mod.ts";
import { openRunLog, type RunLog } from "../../observability/mod.ts";
import type { GamConfig } from "../../config/mod.ts";

const HELP = `Usage: gam run [options]

For every enabled modality: ingest (through the cache) for the bbox, run the preprocessing
pipeline, persist surveys, grids, anomalies, manifests and run metadata, and write
<output-dir>/runs/<run-id>/ (manifest.json, grids as Zarr and GeoTIFF, anomalies.geojson,
report.html). Modalities run concurrently (defaults.maxConcurrentModalities).

Options:
  --config FILE        Configuration file (default config/ingestion.yaml)
  --profile NAME       Profile from config/profiles/ (or GAM_PROFILE)
  --bbox B             minLon,minLat,maxLon,maxLat in degrees (default: defaults.bbox)
  --modality M         Only this modality; repeat for several (default: every enabled one)
  --workers N          Numeric worker threads, 1 to 32 (default: defaults.workers, the CPU
                       count, at most 32)
  --no-cache           Neither read nor write the cache
  --output-dir DIR     Where runs, manifests and the embedded database go (default: out)
  --json               Print a machine-readable summary on stdout
  --log-level LEVEL    debug | info | warn | error (default: defaults.logLevel)
  --mode MODE          local (this process) or queue (tiled jobs for gam worker processes;
                       needs DATABASE_URL) (default: execution.mode)
  --detach             With queue mode: print the run id and exit 0 without waiting
  --dry-run            Validate the configuration, plugins and pipelines; fetch nothing
  --metrics-file PATH  After the run, write its metrics for node_exporter's textfile collector
                       (PATH ends in .prom; written to a temporary file, then renamed). With
                       observability.pushgateway.url set, they are also pushed there.
  -h, --help           Show this help

A server database (DATABASE_URL) must be migrated first with gam db migrate: with pending or
changed migrations the run does not start (status 2, naming them).

Queued runs: gam run status RUN_ID [--json] shows each tile's progress; gam run cancel RUN_ID
cancels the run's queued jobs.

Exit status: 0 every modality done; 1 at least one failed (the others' results are kept);
2 usage or configuration error, or an unmigrated server database, before anything ran.
Ctrl-C stops cleanly (status 130).`;

/** `gam run`. */
export const runCommand: Command = {
  name: "run",
  help: HELP,
  async run(args) {
    if (args[0] === "status" || args[0] === "cancel") {
      return (await import("./run_queue.ts")).runSubcommand(args[0], args.slice(1));
    }
    // No embedded database for a dry run, nor (most likely) with a server: openDatabase stops
    // the worker when the configuration names a server after all.
    const engine = Deno.env.get("DATABASE_URL") || args.includes("--dry-run")
      ? undefined
      : prestartPglite();
    try {
      return await run(args, engine);
    } finally {
      engine?.cancel(); // unless the run's database took it
    }
  },
};

/** `gam run` itself, once the embedded database's worker is loading. */
async function run(args: string[], engine: PgliteEngineStart | undefined): Promise<number> {
  const [{ CONFIG_FLAGS, loadConfigFromFlags }, { runJob }] = await Promise.all([
    import("../config_flags.ts"),
    import("../../job/mod.ts"),
  ]);
  const { values, positionals } = parseFlags(args, {
    ...CONFIG_FLAGS,
    modality: { type: "string", multiple: true },
    "no-cache": { type: "boolean" },
    json: { type: "boolean" },
    "dry-run": { type: "boolean" },
    "metrics-file": { type: "string" },
    mode: { type: "string" },
    detach: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const loaded = await loadConfigFromFlags(values);
  const { config } = loaded;
  const wanted = values.modality as string[] | undefined;
  for (const m of wanted ?? []) {
    if (!config.modalities[m]) {
      throw new UsageError(
        `--modality "${m}" is not configured (configured: ${
          Object.keys(config.modalities).join(", ")
        })`,
      );
    }
  }
  const dryRun = values["dry-run"] === true;
  if (config.execution.mode === "queue" && !dryRun) return await runQueuedCli(loaded, values);
  if (values.detach) throw new UsageError("--detach needs --mode queue (execution.mode)");
  const runId = newCorrelationId("run");
  const log = dryRun
    ? undefined
    : await openTerminalRunLog(`${config.defaults.outputDir}/runs/${runId}`);
  const logger = createLogger({
    level: config.defaults.logLevel,
    format: "json",
    component: "cli",
    sink: log?.sink ?? stderrSink,
  });
  const controller = new AbortController();
  const onSignal = () => {
    console.error(
      "\ngam run: interrupted; stopping workers and cleaning up (Ctrl-C again to force)",
    );
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort(new Error("interrupted by the user"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let summary: RunSummary;
  try {
    summary = await runJob({
      loaded,
      modalities: wanted,
      noCache: values["no-cache"] === true,
      dryRun,
      signal: controller.signal,
      logger,
      runId,
      engine,
    });
  } finally {
    log?.close();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  if (values.json) console.log(JSON.stringify(summary));
  else printSummary(summary);
  if (!dryRun) {
    await exportRunMetrics(summary, values["metrics-file"] as string | undefined, config);
  }
  if (summary.status === "validated") return EXIT_OK;
  if (summary.problems && summary.problems.length > 0) return EXIT_USAGE;
  if (summary.status === "interrupted") return 130;
  return summary.status === "succeeded" ? EXIT_OK : EXIT_FAILURE;
}

/** `gam run` in queue mode: submit, then wait and print as a local run does (or detach). */
async function runQueuedCli(
  loaded: Awaited<ReturnType<typeof import("../config_flags.ts").loadConfigFromFlags>>,
  values: Record<string, unknown>,
): Promise<number> {
  const { runQueued } = await import("./run_queue.ts");
  // The submitter's lines go to the run folder too (gam logs), with the run's trace, which the
  // workers' lines of its jobs carry as well.
  const runId = newCorrelationId("run");
  const traceparent = runTraceparent();
  const runLog = await openRunLog(`${loaded.config.defaults.outputDir}/runs/${runId}`, stderrSink);
  const logger = createLogger({
    level: loaded.config.defaults.logLevel,
    format: "json",
    component: "cli",
    correlationId: runId,
    fields: { traceparent },
    sink: runLog.sink,
  });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const { summary } = await runQueued({
      loaded,
      runId,
      traceparent,
      modalities: values.modality as string[] | undefined,
      detach: values.detach === true,
      logger,
      signal: controller.signal,
    });
    if (!summary) {
      if (values.detach) console.log(runId);
      else {console.error(
          `gam run: stopped waiting; run ${runId} goes on (gam run status ${runId})`,
        );}
      return values.detach ? EXIT_OK : 130;
    }
    if (values.json) console.log(JSON.stringify({ ...summary, traceparent }));
    else printSummary(summary);
    return summary.status === "succeeded" ? EXIT_OK : EXIT_FAILURE;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    runLog.close();
  }
}

/** The run's final metrics to the textfile collector and/or the Pushgateway (when set). */
async function exportRunMetrics(
  summary: RunSummary,
  file: string | undefined,
  config: GamConfig,
): Promise<void> {
  const push = config.observability.pushgateway;
  if (!file && !push) return;
  const [{ defaultRegistry, lastSuccessGauge, MetricsRegistry }, { exportFinalMetrics }] =
    await Promise.all([
      import("../../observability/metrics/mod.ts"),
      import("../final_metrics.ts"),
    ]);
  const at = Date.parse(summary.finishedAt) / 1000;
  const groups: Record<string, InstanceType<typeof MetricsRegistry>> = {};
  for (const m of summary.modalities) {
    if (m.outcome !== "ok") continue;
    groups[m.modality] = new MetricsRegistry();
    lastSuccessGauge(groups[m.modality]).set({ modality: m.modality }, at);
  }
  await exportFinalMetrics({
    registry: defaultRegistry,
    command: "gam run",
    file,
    push,
    perModality: {
      families: ["gam_run_modality_last_success_timestamp_seconds"],
      groups,
    },
  });
}

function printSummary(s: RunSummary): void {
  const out = (line = "") => console.error(line);
  if (s.status === "validated" || s.problems) {
    if (s.problems && s.problems.length > 0) {
      out(`gam run --dry-run: ${s.problems.length} problem(s):`);
      for (const p of s.problems) out(`  ${p}`);
    } else {
      out("gam run --dry-run: configuration, plugins and pipelines are valid; nothing was fetched");
    }
    return;
  }
  const head = [
    "modality",
    "outcome",
    "points in",
    "outliers",
    "grid",
    "NaN ratio",
    "anomalies",
    "cache",
    "time",
  ];
  const rows = s.modalities.map((m) => [
    m.modality,
    m.outcome,
    m.pointsIn.toLocaleString("en"),
    m.outliersRemoved.toLocaleString("en"),
    m.gridSize,
    m.nanRatio === null ? "-" : m.nanRatio.toFixed(3),
    String(m.anomalies),
    m.cache,
    `${m.durationSeconds.toFixed(2)}s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  out();
  out(fmt(head));
  out(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) out(fmt(r));
  out();
  for (const m of s.modalities) {
    if (m.error) out(escapeControlChars(`${m.modality}: ${m.error}`));
  }
  const seconds = (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000;
  out(`run ${s.runId}: ${s.status} in ${seconds.toFixed(1)}s`);
  out(`outputs: ${s.runDir}/ (report.html, manifest.json, anomalies.geojson, grids/)`);
  if (s.database) out(`database: ${s.database}`);
  if (s.storage) {
    out(
      s.storage.status === "uploaded"
        ? `bucket: ${s.storage.manifest ?? "uploaded"}`
        : escapeControlChars(
          `bucket: upload pending (${s.storage.error ?? "unknown error"}); resume with ` +
            `gam storage push ${s.runId}`,
        ),
    );
  }
}

const encoder = new TextEncoder();

/**
 * The run's log: every line goes to `<runDir>/log.jsonl`. Outside a terminal (CI, services)
 * the JSON lines also go to stderr, as the structured log stream. On a terminal stderr shows
 * the progress bars instead, plus one readable line per warning or error.
 */
async function openTerminalRunLog(runDir: string): Promise<RunLog> {
  const tty = Deno.stderr.isTerminal() && !Deno.env.get("CI");
  return await openRunLog(runDir, (line) => {
    if (!tty) return stderrSink(line);
    const record = JSON.parse(line) as {
      level?: string;
      msg?: string;
      modality?: string;
      error?: unknown;
    };
    if (record.level === "warn" || record.level === "error") {
      const where = record.modality ? ` [${record.modality}]` : "";
      // The error's message too ("could not cache a processed grid: Not a directory ..."),
      // never the object itself; input may be quoted, so control characters are escaped.
      const why = record.error === undefined ? "" : `: ${errorMessage(record.error)}`;
      const text = escapeControlChars(`${record.level}${where}: ${record.msg}${why}`);
      Deno.stderr.writeSync(encoder.encode(`${text}\n`));
    }
  });
}

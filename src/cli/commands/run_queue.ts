/**
 * The queue side of `gam run`: `gam run --mode queue` (submit, then wait with progress and the
 * same final table as a local run, or `--detach`), `gam run status RUN_ID [--json]` and
 * `gam run cancel RUN_ID`.
 *
 * @module
 */
import { EXIT_FAILURE, EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { type LoadedConfig, resolveDatabaseUrl } from "../../config/mod.ts";
import type { Logger } from "../../observability/mod.ts";
import { newCorrelationId } from "../../observability/mod.ts";
import { createProgress, type RunSummary } from "../../job/mod.ts";
import { openDatabase } from "../../persistence/mod.ts";
import {
  cancelQueuedRun,
  openBoss,
  queuedRunStatus,
  queuedRunSummary,
  submitRun,
} from "../../queue/mod.ts";

/** How often a waiting `gam run --mode queue` reads the run's progress, milliseconds. */
const POLL_MS = 500;

/** Options of {@linkcode runQueued}. */
export interface RunQueuedOptions {
  loaded: LoadedConfig;
  modalities?: readonly string[];
  detach: boolean;
  logger: Logger;
  /** Stops waiting (the run goes on in the workers). */
  signal: AbortSignal;
  /** The run id. @default a new correlation id */
  runId?: string;
  /** The run's W3C `traceparent`, stored with the run for its jobs. @default see submitRun */
  traceparent?: string;
}

/**
 * Submits a queued run and, unless detached, waits for it with progress; resolves to the run's
 * summary (or just its id when detached).
 */
export async function runQueued(
  options: RunQueuedOptions,
): Promise<{ runId: string; summary?: RunSummary }> {
  const { config, hash } = options.loaded;
  const url = resolveDatabaseUrl(config)!; // the loader refuses queue mode without one
  // One client for the submission and the wait: it replaces itself when the server restarts
  // (see postgres_engine.ts in src/persistence), so a restart while waiting ends nothing.
  const db = await openDatabase({ url, logger: options.logger });
  try {
    const boss = await openBoss({ url, settings: config.execution.queue, instanceName: "run" });
    const runId = options.runId ?? newCorrelationId("run");
    const modalities = Object.entries(config.modalities)
      .filter(([n, m]) => (options.modalities ? options.modalities.includes(n) : m.enabled))
      .map(([n]) => n);
    try {
      await submitRun({
        boss,
        db,
        config,
        configHash: hash,
        runId,
        modalities,
        logger: options.logger,
        ...(options.traceparent ? { traceparent: options.traceparent } : {}),
      });
    } finally {
      await boss.stop({ graceful: false, timeout: 2_000 });
    }
    if (options.detach) return { runId };
    const progress = createProgress({});
    try {
      const finished = new Set<string>();
      while (!options.signal.aborted) {
        // The database may be briefly away (a restart): a poll that fails (after the client's
        // bounded wait for a new connection) is logged, and the next one tries again.
        const s = await queuedRunStatus(db, runId).catch((error) => {
          options.logger.warn("cannot read the run's progress; retrying", { error });
          return { status: "running", modalities: [] };
        });
        for (const m of s?.modalities ?? []) {
          if (finished.has(m.modality)) continue;
          if (m.persist !== "pending") {
            finished.add(m.modality);
            progress.finish(m.modality, m.persist === "ok" ? "done" : `failed`);
            continue;
          }
          const task = m.done < m.total ? "tiles" : m.mosaic === "pending" ? "mosaic" : "persist";
          progress.update({
            modality: m.modality,
            task,
            done: task === "tiles" ? m.done : 0,
            total: task === "tiles" ? m.total : 0,
            unit: task === "tiles" ? "tiles" : "",
          });
        }
        if (s?.status !== "running") break;
        await abortableSleep(POLL_MS, options.signal);
      }
    } finally {
      progress.close();
    }
    if (options.signal.aborted) return { runId };
    return { runId, summary: await queuedRunSummary(db, runId) };
  } finally {
    await db.close();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * `gam run status RUN_ID [--json]` and `gam run cancel RUN_ID`.
 *
 * @param verb `status` or `cancel`.
 * @param args The arguments after the verb.
 */
export async function runSubcommand(verb: "status" | "cancel", args: string[]): Promise<number> {
  const [{ CONFIG_FLAGS, loadConfigFromFlags }] = await Promise.all([import("../config_flags.ts")]);
  const { values, positionals } = parseFlags(args, { ...CONFIG_FLAGS, json: { type: "boolean" } });
  if (positionals.length !== 1) {
    throw new UsageError(`gam run ${verb} takes one run id, got ${positionals.length} arguments`);
  }
  const runId = positionals[0];
  const { config } = await loadConfigFromFlags(values);
  const url = resolveDatabaseUrl(config);
  if (!url) {
    throw new UsageError(
      `gam run ${verb}: queued runs live in a PostgreSQL server: set DATABASE_URL`,
    );
  }
  const db = await openDatabase({ url });
  try {
    if (verb === "status") {
      const s = await queuedRunStatus(db, runId);
      if (!s) throw new UsageError(`no queued run "${runId}" in ${db.location}`);
      if (values.json) {
        console.log(JSON.stringify(s));
        return EXIT_OK;
      }
      console.log(
        `run ${s.runId}: ${s.status} (started ${s.startedAt}` +
          (s.finishedAt ? `, finished ${s.finishedAt})` : ")"),
      );
      for (const m of s.modalities) {
        console.log(
          `  ${m.modality}: tiles ${m.done}/${m.total}, mosaic ${m.mosaic}, persist ${m.persist}`,
        );
        for (const t of m.tiles) {
          console.log(
            `    ${t.key.padEnd(8)} ${t.state}${t.empty ? " (no data)" : ""}` +
              (t.error ? `: ${t.error}` : ""),
          );
        }
      }
      return EXIT_OK;
    }
    const boss = await openBoss({ url, settings: config.execution.queue, instanceName: "run" });
    try {
      const r = await cancelQueuedRun(db, boss, runId);
      console.log(
        r.wasRunning
          ? `run ${runId}: cancelled (${r.cancelledJobs} queued jobs cancelled; jobs already ` +
            "running finish their step)"
          : `run ${runId} was not running; ${r.cancelledJobs} queued jobs cancelled`,
      );
      return r.wasRunning ? EXIT_OK : EXIT_FAILURE;
    } finally {
      await boss.stop({ graceful: false, timeout: 2_000 });
    }
  } finally {
    await db.close();
  }
}

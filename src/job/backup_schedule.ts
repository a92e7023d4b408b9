/**
 * The scheduled database backup of `gam serve`: on a cron schedule (weekly by default, from the
 * config), a backup runs; each success sets `gam_db_backup_last_success_timestamp_seconds`
 * (which the `GamDatabaseBackupStale` alert watches) and `gam_db_backup_size_bytes`, each
 * failure counts in `gam_db_backup_failures_total` and is logged. Two backups never overlap: a
 * time that comes while one is running is skipped. The schedule follows configuration reloads.
 *
 * @module
 */
import { Cron } from "croner";
import type { Logger } from "../observability/mod.ts";
import { defaultRegistry, type MetricsRegistry } from "../observability/metrics/mod.ts";

/** What one backup reports. */
export interface BackupRunResult {
  /** Bytes written (the data dump). */
  bytes: number;
  /** Where it went, for the log. */
  uri: string;
}

/** Options of {@linkcode startBackupSchedule}. */
export interface BackupScheduleOptions {
  /** The cron expression now in force (read at each (re)scheduling); `undefined`: no backups. */
  schedule: () => string | undefined;
  /** Makes one backup. */
  run: (signal: AbortSignal) => Promise<BackupRunResult>;
  /** Logger. */
  logger: Logger;
  /** @default the process-wide registry */
  registry?: MetricsRegistry;
}

/** A running schedule. */
export interface BackupSchedule {
  /** Re-reads the schedule (after a configuration change). */
  reschedule(): void;
  /** Runs a backup now (skipped, resolving to `undefined`, when one is running). */
  runNow(): Promise<BackupRunResult | undefined>;
  /** Stops the schedule and waits for (then aborts) a backup in progress. */
  stop(): Promise<void>;
}

/**
 * The metric handles the backups set, registered once per registry.
 *
 * @example Usage
 * ```ts
 * import { backupMetrics } from "./backup_schedule.ts";
 * import { MetricsRegistry } from "../observability/metrics/mod.ts";
 * backupMetrics(new MetricsRegistry()).lastSuccess.set(Date.now() / 1000);
 * ```
 */
export function backupMetrics(registry: MetricsRegistry = defaultRegistry) {
  return {
    lastSuccess: registry.gauge({
      name: "gam_db_backup_last_success_timestamp_seconds",
      help: "Unix time at which the last successful gam db backup finished.",
      labelNames: [],
    }),
    size: registry.gauge({
      name: "gam_db_backup_size_bytes",
      help: "Size of the last backup file written by gam db backup.",
      labelNames: [],
    }),
    period: registry.gauge({
      name: "gam_db_backup_schedule_period_seconds",
      help: "Longest gap between two of the next scheduled database backups, seconds " +
        "(GamDatabaseBackupStale allows this plus 2 hours).",
      labelNames: [],
    }),
    failures: registry.counter({
      name: "gam_db_backup_failures_total",
      help: "Scheduled database backups that failed.",
      labelNames: [],
    }),
  };
}

/**
 * Starts the backup schedule.
 *
 * @example Usage
 * ```ts
 * import { startBackupSchedule } from "./backup_schedule.ts";
 * import { createLogger } from "../observability/mod.ts";
 * import { MetricsRegistry } from "../observability/metrics/mod.ts";
 * const schedule = startBackupSchedule({
 *   schedule: () => "@weekly",
 *   run: () => Promise.resolve({ bytes: 0, uri: "file:///dev/null" }), // e.g. gam db backup
 *   logger: createLogger({ level: "error" }),
 *   registry: new MetricsRegistry(),
 * });
 * await schedule.runNow(); // { bytes: 0, uri: "file:///dev/null" }
 * await schedule.stop();
 * ```
 */
export function startBackupSchedule(options: BackupScheduleOptions): BackupSchedule {
  const metrics = backupMetrics(options.registry);
  let job: Cron | undefined;
  let current: Promise<BackupRunResult | undefined> | undefined;
  const controller = new AbortController();
  let stopped = false;

  const runNow = (): Promise<BackupRunResult | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    if (current !== undefined) {
      options.logger.warn("the previous database backup is still running; skipping this one");
      return Promise.resolve(undefined);
    }
    const started = performance.now();
    current = options.run(controller.signal).then((result) => {
      metrics.lastSuccess.set(Date.now() / 1000);
      metrics.size.set(result.bytes);
      options.logger.info("database backup written", {
        uri: result.uri,
        bytes: result.bytes,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      });
      return result;
    }, (error) => {
      metrics.failures.inc();
      options.logger.error("scheduled database backup failed", { error });
      return undefined;
    }).finally(() => (current = undefined));
    return current;
  };

  const reschedule = () => {
    job?.stop();
    job = undefined;
    if (stopped) return;
    const pattern = options.schedule();
    if (pattern === undefined) return;
    // The config allows 5-field expressions (checked by `cronProblem`); croner also takes a
    // leading seconds field, which the tests use.
    job = new Cron(pattern, { unref: true }, () => {
      runNow();
    });
    // The longest gap among the next few firings (a weekday schedule's weekend counts).
    const next = job.nextRuns(8);
    const gaps = next.slice(1).map((d, i) => d.getTime() - next[i].getTime());
    if (gaps.length > 0) metrics.period.set(Math.max(...gaps) / 1000);
  };
  reschedule();
  return {
    reschedule,
    runNow,
    async stop() {
      stopped = true;
      job?.stop();
      if (current !== undefined) {
        controller.abort(new Error("service stopping"));
        await current;
      }
    },
  };
}

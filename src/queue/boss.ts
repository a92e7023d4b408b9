/**
 * The job queue engine: pg-boss on the same PostgreSQL server as the schema, in its own
 * database schema (`execution.queue.schema`, default `pgboss`). One queue per kind of job
 * (`gam-ingest`, `gam-preprocess`, `gam-mosaic`, `gam-persist`), a dead-letter queue
 * (`gam-dead`) where jobs land after their last retry, and `gam-schedule` for the cron ticks of
 * `gam serve` / `gam worker` in queue mode.
 *
 * @module
 */
import { PgBoss } from "pg-boss";
import type { ExecutionConfig, QueueName } from "../config/mod.ts";

/** The pg-boss queue of each job kind. */
export const QUEUES: Readonly<Record<QueueName, string>> = Object.freeze({
  ingest: "gam-ingest",
  preprocess: "gam-preprocess",
  mosaic: "gam-mosaic",
  persist: "gam-persist",
});

/** Where jobs go after their last retry. */
export const DEAD_LETTER_QUEUE = "gam-dead";

/** The queue of cron ticks (one job per schedule tick, processed by any worker). */
export const SCHEDULE_QUEUE = "gam-schedule";

/** Options of {@linkcode openBoss}. */
export interface OpenBossOptions {
  /** The server's URL (`DATABASE_URL`). */
  url: string;
  /** `execution.queue` of the configuration. */
  settings: ExecutionConfig["queue"];
  /**
   * Whether this process runs pg-boss's cron scheduler and maintenance (workers and `gam serve`
   * do; a submitting `gam run` does not). @default false
   */
  supervise?: boolean;
  /** Name of this process in pg-boss's instance registry, e.g. `worker-cpu`. */
  instanceName?: string;
}

/**
 * Starts pg-boss against `url` (installing or migrating its schema when needed) and makes sure
 * every GAM queue exists with the configured retry, expiry and dead-letter settings.
 *
 * @returns The started engine; `stop()` it when done.
 *
 * It needs a PostgreSQL server for pg-boss: exercised by tests/queue/queue_run_test.ts.
 */
export async function openBoss(options: OpenBossOptions): Promise<PgBoss> {
  const { settings } = options;
  const supervise = options.supervise ?? false;
  const boss = new PgBoss({
    connectionString: options.url,
    schema: settings.schema,
    application_name: `gam-${options.instanceName ?? "client"}`,
    supervise,
    schedule: supervise,
    // Dependent jobs are released by pg-boss's flow resolver; once a second keeps a tile's
    // preprocess from waiting long after its ingest.
    flowIntervalSeconds: 1,
    // Expired jobs (a worker killed while holding one) are found by the supervisor's pass:
    // several passes per expiry period, so a job is retried soon after its expiry.
    superviseIntervalSeconds: checkInterval(settings.expireIn),
    monitorIntervalSeconds: checkInterval(settings.expireIn),
    // Schedules are checked every few seconds, so a tick is sent within seconds of its time.
    cronWorkerIntervalSeconds: 5,
    useListenNotify: true,
    ...(options.instanceName ? { instanceName: options.instanceName } : {}),
  });
  // pg-boss reports connection trouble as events; the caller logs them (see worker.ts).
  boss.on("error", () => {});
  await boss.start({ attempts: 5 });
  await ensureQueues(boss, settings);
  return boss;
}

/**
 * The retry and expiry options of a run's jobs, from the run's own configuration (a queue keeps
 * the options it was created with; each job carries its run's).
 *
 * @example Usage
 * ```ts
 * import { jobOptions } from "./boss.ts";
 * jobOptions({ retryLimit: 2, retryDelay: 5, retryBackoff: true, expireIn: 900, keepFinished: 604800, schema: "pgboss" })
 *   .expireInSeconds; // 900
 * ```
 */
export function jobOptions(settings: ExecutionConfig["queue"]): {
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  deleteAfterSeconds: number;
} {
  return {
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelay,
    retryBackoff: settings.retryBackoff,
    expireInSeconds: settings.expireIn,
    deleteAfterSeconds: settings.keepFinished,
  };
}

/** Seconds between supervisor passes: a quarter of the expiry, 1 to 60. */
function checkInterval(expireInSeconds: number): number {
  return Math.min(60, Math.max(1, Math.floor(expireInSeconds / 4)));
}

/** Creates the GAM queues that do not exist yet (concurrent callers are fine). */
async function ensureQueues(boss: PgBoss, settings: ExecutionConfig["queue"]): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  const common = {
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelay,
    retryBackoff: settings.retryBackoff,
    expireInSeconds: settings.expireIn,
    deleteAfterSeconds: settings.keepFinished,
    notify: true,
  };
  const create = async (name: string, options: Parameters<PgBoss["createQueue"]>[1]) => {
    if (existing.has(name)) return;
    try {
      await boss.createQueue(name, options);
    } catch (e) {
      // Another process created it meanwhile.
      if (!(await boss.getQueue(name))) throw e;
    }
  };
  await create(DEAD_LETTER_QUEUE, { ...common, retryLimit: settings.retryLimit });
  await create(SCHEDULE_QUEUE, { ...common, retryLimit: 1 });
  for (const name of Object.values(QUEUES)) {
    await create(name, { ...common, deadLetter: DEAD_LETTER_QUEUE });
  }
}

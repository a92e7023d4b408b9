/**
 * `gam worker`: pulls jobs of its profile's queues until stopped. One process keeps, for its
 * whole life: the database connection, the queue engine, the numeric worker pool (sized by the
 * profile's `wasmPool`), and per run configuration one plugin pool, one ingestion service
 * (circuit breakers and rate-limit buckets hold across jobs and runs) and the caches. It serves
 * `/metrics`, `/healthz` and `/readyz` like `gam serve`.
 *
 * Stopping (SIGTERM): no new job is taken; jobs in hand may finish for
 * `service.shutdownTimeoutMs`, then they are aborted, which fails their attempt so another
 * worker retries them (released, not lost); a worker killed outright (SIGKILL) leaves its jobs
 * active until they expire (`execution.queue.expireIn`), when the engine retries them.
 *
 * @module
 */
import type { Job, JobWithMetadata, PgBoss } from "pg-boss";
import { ConfigError, type LoadedConfig, resolveDatabaseUrl } from "../config/mod.ts";
import { WorkerPool } from "../compute/mod.ts";
import { FsCacheStore, GridCache, IngestionCache } from "../cache/mod.ts";
import { IngestionService, PluginPool } from "../ingestion/mod.ts";
import { type Database, openDatabase } from "../persistence/mod.ts";
import type { Logger } from "../observability/mod.ts";
import { defaultRegistry, type MetricsRegistry } from "../observability/metrics/mod.ts";
import { parseListen, serveProbes } from "../observability/metrics/mod.ts";
import { databaseCacheLock } from "../job/mod.ts";
import { DEAD_LETTER_QUEUE, openBoss, QUEUES, SCHEDULE_QUEUE } from "./boss.ts";
import { registerSchedules, scheduledRunId, type ScheduleTick, scheduleTick } from "./schedules.ts";
import { submitRun } from "./submit.ts";
import { type ModalityJob, ModalityJobSchema, type TileJob, TileJobSchema } from "./job_data.ts";
import {
  deadLetter,
  type HandlerContext,
  ingestTile,
  mosaicModality,
  persistQueuedModality,
  preprocessTile,
  type Runtime,
} from "./handlers.ts";
import { loadQueuedRun, type QueuedRun } from "./run_record.ts";
import { queueMetrics, WORKER_INSTANCE_PREFIX } from "./metrics.ts";
import type { QueueName } from "../config/mod.ts";

/** Options of {@linkcode runWorker}. */
export interface WorkerOptions {
  loaded: LoadedConfig;
  /** A profile of `execution.profiles`, or `all` (every profile's queues). */
  profile: string;
  /** Jobs at once per queue. @default the profile's `concurrency` */
  concurrency?: number;
  /** Address of the probes. @default service.listen */
  listen?: string;
  logger: Logger;
  /** @default the process-wide registry */
  registry?: MetricsRegistry;
  /** Stops the worker (SIGTERM). */
  signal: AbortSignal;
  /** Told the probes' address once the worker pulls jobs. */
  onReady?: (address: { hostname: string; port: number }) => void;
}

/** The queues, concurrency and pool size of a worker's profile(s). */
export interface WorkerPlan {
  queues: Map<QueueName, number>;
  wasmPool: number;
  profiles: string[];
}

/**
 * What a worker of `profile` pulls: each queue with its concurrency (the largest among the
 * profiles serving it, or `concurrency`), and the wasm pool size.
 *
 * @throws {RangeError} For an unknown profile (the message lists the configured ones).
 *
 * @example Usage
 * ```ts
 * import { workerPlan } from "./worker.ts";
 * import { shippedProfiles } from "../config/mod.ts";
 * const plan = workerPlan(shippedProfiles(), "io");
 * [...plan.queues.keys()]; // ["ingest", "persist"]
 * ```
 */
export function workerPlan(
  profiles: Record<string, { queues: QueueName[]; concurrency: number; wasmPool: number }>,
  profile: string,
  concurrency?: number,
): WorkerPlan {
  const names = profile === "all" ? Object.keys(profiles) : [profile];
  const queues = new Map<QueueName, number>();
  let wasmPool = 0;
  for (const name of names) {
    const p = profiles[name];
    if (!p) {
      throw new RangeError(
        `--profile "${profile}" is not configured: use all or one of ${
          Object.keys(profiles).join(", ")
        } (execution.profiles)`,
      );
    }
    for (const q of p.queues) queues.set(q, Math.max(queues.get(q) ?? 0, p.concurrency));
    wasmPool = Math.max(wasmPool, p.wasmPool);
  }
  if (concurrency !== undefined) { for (const q of queues.keys()) queues.set(q, concurrency); }
  const needsPool = queues.has("preprocess") || queues.has("mosaic");
  return { queues, wasmPool: needsPool ? Math.max(1, wasmPool) : 0, profiles: names };
}

/**
 * Runs a worker until `options.signal` aborts.
 *
 * @throws {ConfigError} Without a PostgreSQL server (`DATABASE_URL`).
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { config } = options.loaded;
  const logger = options.logger.child({ component: "worker", profile: options.profile });
  const registry = options.registry ?? defaultRegistry;
  const url = resolveDatabaseUrl(config);
  if (url === undefined) {
    throw new ConfigError([{
      file: "environment",
      path: "DATABASE_URL",
      message: "gam worker takes its jobs from the queue in a PostgreSQL server: set " +
        "DATABASE_URL to the server's URL (postgres://user@host:5432/gam)",
    }]);
  }
  const plan = workerPlan(config.execution.profiles, options.profile, options.concurrency);
  // The client replaces itself when the server goes away (a restart): see postgres_engine.ts in
  // src/persistence. Jobs whose queries were in hand then fail and their jobs retry.
  const db = await openDatabase({ url, logger });
  let boss: PgBoss;
  try {
    boss = await openBoss({
      url,
      settings: config.execution.queue,
      supervise: true,
      instanceName: `${WORKER_INSTANCE_PREFIX}${options.profile}`,
    });
  } catch (e) {
    await db.close();
    throw e;
  }
  const metrics = queueMetrics(registry, boss, config.execution.queue.schema);
  // The engine's pool polls, so it often sees the server go away first: our client checks its
  // own connections then (a query handed to a connection as it closes can be lost without any
  // error, and a handler waiting on it would hang with its cache locks).
  boss.on("error", (error) => {
    logger.warn("queue engine error (it retries)", { error });
    db.reportConnectionLoss(error);
  });

  let stopping = false;
  // Aborted after the shutdown grace period: jobs still running then fail their attempt.
  const abort = new AbortController();
  let pool: WorkerPool | undefined;
  const runtimes = new Map<string, Promise<Runtime & { close(): Promise<void> }>>();
  const runs = new Map<string, Promise<QueuedRun>>();
  const ctx: HandlerContext = {
    boss,
    db,
    logger,
    signal: abort.signal,
    pool: () => pool ??= new WorkerPool({ size: Math.max(1, plan.wasmPool) }),
    run(runId) {
      let r = runs.get(runId);
      if (!r) {
        r = loadQueuedRun(db, runId).then((run) => {
          if (!run) throw new RangeError(`no queued run "${runId}" in the database`);
          return run;
        });
        r.catch(() => runs.delete(runId));
        runs.set(runId, r);
      }
      return r;
    },
    runtime(run) {
      let rt = runtimes.get(run.configHash);
      if (!rt) {
        rt = createRuntime(run, db, logger, registry);
        rt.catch(() => runtimes.delete(run.configHash));
        runtimes.set(run.configHash, rt);
      }
      return rt;
    },
  };

  const handlers: Record<QueueName, (data: unknown) => Promise<object>> = {
    ingest: (d) => ingestTile(ctx, TileJobSchema.parse(d)),
    preprocess: (d) => preprocessTile(ctx, TileJobSchema.parse(d)),
    mosaic: (d) => mosaicModality(ctx, ModalityJobSchema.parse(d)),
    persist: (d) => persistQueuedModality(ctx, ModalityJobSchema.parse(d)),
  };
  const timed = async (queue: string, fn: () => Promise<object>) => {
    const stop = metrics.duration.startTimer({ queue });
    try {
      const out = await fn();
      metrics.jobs.inc({ queue, outcome: "skipped" in out ? "skipped" : "completed" });
      return out;
    } catch (error) {
      // A job failed on a lost connection (ours or the engine's): the client checks its own.
      db.reportConnectionLoss(error);
      metrics.jobs.inc({ queue, outcome: "failed" });
      logger.warn("job failed (the queue retries it)", { queue, error });
      throw error;
    } finally {
      stop();
    }
  };
  /**
   * A tile's preprocess waits on its ingest in a pg-boss flow, and pg-boss releases dependents in
   * its flow resolver, which polls at most once a second (`flowIntervalSeconds` >= 1): about 1 s
   * per tile. So after an ingest handler returns, this process settles the job itself
   * (`boss.complete` with the job's attempt: a no-op when pg-boss's own completion got there
   * first), asks the engine for a resolution pass now (`boss.resolveFlow()`), and wakes its own
   * preprocess worker (`boss.notifyWorker`); workers of other processes take the released job at
   * their next poll (0.5 s). This runs beside the handler, never in it: a pass waits for the
   * engine's background resolver, which a database outage can hold, and the job's outcome must
   * not. One pass at a time (a completion during a pass asks for one more); a failure leaves the
   * release to the resolver's poll.
   */
  let preprocessWorker: string | undefined;
  let releasing: Promise<void> | undefined, again = false;
  const completing = new Set<Promise<unknown>>();
  const releaseDependents = (job: Job<unknown>, out: object): void => {
    const done: Promise<unknown> = boss.complete(QUEUES.ingest, job, out).catch(() => {})
      .finally(() => completing.delete(done));
    completing.add(done);
    if (releasing) {
      again = true;
      return;
    }
    releasing = (async () => {
      do {
        again = false;
        await Promise.all(completing);
        await boss.resolveFlow();
        if (preprocessWorker) boss.notifyWorker(preprocessWorker);
      } while (again && !stopping);
    })().catch((error) => {
      logger.debug("flow release after an ingest left to the resolver's poll", { error });
    }).finally(() => releasing = undefined);
  };
  for (const [queue, concurrency] of plan.queues) {
    const name = QUEUES[queue];
    const id = await boss.work<unknown>(
      name,
      {
        localConcurrency: concurrency,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 0.5,
      },
      ([job]) =>
        timed(name, async () => {
          const out = await handlers[queue](job.data);
          if (queue === "ingest") releaseDependents(job, out);
          return out;
        }),
    );
    if (queue === "preprocess") preprocessWorker = id;
  }
  await boss.work(
    DEAD_LETTER_QUEUE,
    {
      localConcurrency: 1,
      pollingIntervalSeconds: 0.5,
      notifyPollingIntervalSeconds: 0.5,
      includeMetadata: true as const,
    },
    ([job]: JobWithMetadata<TileJob | ModalityJob>[]) =>
      timed(
        DEAD_LETTER_QUEUE,
        () => deadLetter(ctx, job.sourceName ?? "", job.data, job.sourceOutput),
      ),
  );

  // Cron schedules live in the queue: one tick, one run, whatever the number of processes.
  if (config.execution.mode === "queue") {
    const scheduled = await registerSchedules(boss, config);
    if (scheduled.length > 0) logger.info("schedules registered in the queue", { scheduled });
  }
  await boss.work(
    SCHEDULE_QUEUE,
    {
      localConcurrency: 1,
      pollingIntervalSeconds: 0.5,
      notifyPollingIntervalSeconds: 0.5,
      includeMetadata: true as const,
    },
    ([job]: JobWithMetadata<ScheduleTick>[]) =>
      timed(SCHEDULE_QUEUE, async () => {
        const { modality } = job.data;
        // One run per tick however often the tick is delivered: the id is the tick's.
        const tick = scheduleTick(config.modalities[modality]?.schedule, new Date(job.createdOn));
        const runId = scheduledRunId(modality, tick);
        const plan = await submitRun({
          boss,
          db,
          config,
          configHash: options.loaded.hash,
          runId,
          modalities: [modality],
          logger,
        });
        return { runId, tick: tick.toISOString(), submitted: plan !== undefined };
      }),
  );

  const { hostname, port } = parseListen(options.listen ?? config.service.listen);
  const server = serveProbes({ hostname, port, registry, ready: () => !stopping });
  logger.info("worker started", {
    queues: Object.fromEntries(plan.queues),
    wasmPool: plan.wasmPool,
    listen: `${server.addr.hostname}:${server.addr.port}`,
  });
  options.onReady?.({ hostname: server.addr.hostname, port: server.addr.port });

  if (!options.signal.aborted) {
    await new Promise((resolve) =>
      options.signal.addEventListener("abort", resolve, { once: true })
    );
  }
  stopping = true;
  logger.info("stopping: finishing the jobs in hand", {
    graceMs: config.service.shutdownTimeoutMs,
  });
  const grace = setTimeout(
    () => abort.abort(new Error("the worker is stopping: job released for another worker")),
    config.service.shutdownTimeoutMs,
  );
  try {
    await boss.stop({ graceful: true, timeout: config.service.shutdownTimeoutMs + 5_000 });
  } finally {
    clearTimeout(grace);
    await pool?.close();
    for (const rt of runtimes.values()) await rt.then((r) => r.close(), () => {});
    await db.close();
    await server.shutdown();
    logger.info("worker stopped");
  }
}

/** The plugins, ingestion service and caches for one run configuration. */
async function createRuntime(
  run: QueuedRun,
  db: Database,
  logger: Logger,
  registry: MetricsRegistry,
): Promise<Runtime & { close(): Promise<void> }> {
  const { config } = run;
  const modalities = Object.keys(run.plan.modalities);
  const plugins = new PluginPool();
  const { providers, failures } = await plugins.load(config, { modalities });
  const ingestion = new IngestionService({
    providers,
    resilience: Object.fromEntries(modalities.map((m) => [m, config.modalities[m]])),
    logger: logger.child({ component: "ingestion" }),
    metrics: registry,
  });
  const cacheOptions = {
    store: new FsCacheStore(config.defaults.cacheDir),
    policy: (m: string) => config.modalities[m]?.cache,
    outputDir: config.defaults.outputDir,
    metrics: registry,
    logger,
    // Workers on other hosts fetch the same entry once: the PostgreSQL advisory lock.
    extraLock: databaseCacheLock(Promise.resolve(db)),
  };
  return {
    ingestion,
    ingestionCache: new IngestionCache(cacheOptions),
    gridCache: new GridCache(cacheOptions),
    plugins: new Map([...providers].map(([m, p]) => [m, {
      id: p.id,
      version: p.version,
      identity: p.identity,
    }])),
    failures,
    async close() {
      await ingestion.close().catch(() => {});
      await plugins.close().catch(() => {});
    },
  };
}

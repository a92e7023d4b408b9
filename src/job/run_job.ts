/**
 * `gam run`: every enabled modality of the configuration through ingestion, cache,
 * preprocessing and persistence, concurrently up to `defaults.maxConcurrentModalities`, with
 * progress, a run folder (manifest, grids, `anomalies.geojson`, `report.html`) and a summary.
 *
 * Failure semantics: a modality that fails is reported and the others go on; what finished is
 * persisted (one transaction per modality) and never rolled back. Cancelling (Ctrl-C) aborts
 * the stages in flight, terminates the workers, marks the run `interrupted` in the database
 * and removes the run's partial temporary files.
 *
 * The embedded database (PGlite) takes seconds to start, so it is opened first, in a worker of
 * its own, concurrently with plugin loading and ingestion, and awaited only when the first
 * modality is ready to persist.
 *
 * This file orchestrates only: the final table is `summary.ts`, the run folder's layout and
 * files `run_folder.ts` (the report itself `src/report`), the build information
 * `src/compute/build_info.ts`, the run's metrics `src/observability/metrics/run_metrics.ts`.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import { type LoadedConfig, resolveDatabaseUrl } from "../config/mod.ts";
import { buildInfo, WorkerPool } from "../compute/mod.ts";
import { GridCache, IngestionCache } from "../cache/mod.ts";
import { openCacheStore } from "../storage/mod.ts";
import {
  IngestionService,
  loadProviders,
  type PluginPool,
  type SourceProvider,
} from "../ingestion/mod.ts";
import {
  type Database,
  openDatabase,
  type PgliteEngineStart,
  redactUrl,
} from "../persistence/mod.ts";
import { type Logger, newCorrelationId, runTraceparent } from "../observability/mod.ts";
import {
  defaultRegistry,
  type MetricsRegistry,
  recordRunMetrics,
} from "../observability/metrics/mod.ts";
import {
  type IngestionProvenance,
  type ModalityJobResult,
  planFor,
  runModalityJob,
} from "./modality_job.ts";
import { persistModalityAtomically } from "./persist.ts";
import { databaseCacheLock } from "./cache_lock.ts";
import type { IngestionServices } from "./ingestion_services.ts";
import { uploadRunFolder } from "./upload.ts";
import { currentProcess, HEARTBEAT_SECONDS, reconcileRuns } from "./run_lease.ts";
import { createProgress, type ProgressSink } from "./progress.ts";
import {
  failedResult,
  modalitySummary,
  runStatus,
  type RunSummary,
  sortResults,
} from "./summary.ts";
import {
  draftRunFolder,
  renderRunFolder,
  type RunFolderDraft,
  runFolderPath,
  writeRunFolder,
} from "./run_folder.ts";

/** Options of {@linkcode runJob}. */
export interface RunJobOptions {
  loaded: LoadedConfig;
  /** Only these modalities (`--modality`, repeatable). @default every enabled one */
  modalities?: readonly string[];
  /** Bypass the cache for reading and writing (`--no-cache`). @default false */
  noCache?: boolean;
  /** Validate config, plugins and pipelines; fetch nothing (`--dry-run`). @default false */
  dryRun?: boolean;
  signal?: AbortSignal;
  logger: Logger;
  progress?: ProgressSink;
  /** @default the process-wide registry */
  registry?: MetricsRegistry;
  /** Environment for `DATABASE_URL`. @default Deno.env */
  getEnv?: (name: string) => string | undefined;
  /** Run id. @default a new correlation id */
  runId?: string;
  /**
   * The run's W3C `traceparent`, on every log line of the run, in the manifest and (as a child
   * span per fetch) in the plugin's request and its HTTP requests.
   * @default a child span of `TRACEPARENT` from the environment when set, else a new trace
   */
  traceparent?: string;
  /** The tile this run covers (a queued job's tile), as the `tile` tag of every log line. */
  tile?: string;
  /**
   * An open database to use (and leave open), as `gam serve` passes its one connection.
   * @default a database opened for this run and closed at its end
   */
  database?: Database;
  /**
   * Plugin processes kept warm between runs (`gam serve`); the run neither starts nor stops
   * processes the pool already has.
   * @default plugins loaded for this run and stopped at its end
   */
  plugins?: PluginPool;
  /**
   * Ingestion services kept between runs (`gam serve`): circuit breakers and rate-limit buckets
   * hold across runs.
   * @default a service made for this run and closed at its end
   */
  ingestionServices?: IngestionServices;
  /**
   * An embedded engine started ahead (`prestartPglite()`), for the database this run opens.
   * @default a worker started when the database is opened
   */
  engine?: PgliteEngineStart;
}

/**
 * Runs the main job.
 *
 * @example Usage
 * ```ts
 * import { runJob } from "./run_job.ts";
 * // const summary = await runJob({ loaded: await loadConfig(), logger });
 * ```
 */
export async function runJob(options: RunJobOptions): Promise<RunSummary> {
  const { config, hash } = options.loaded;
  const startedAt = new Date().toISOString();
  const runId = options.runId ?? newCorrelationId("run");
  const traceparent = options.traceparent ??
    runTraceparent(options.getEnv ?? ((n) => Deno.env.get(n)));
  const logger = options.logger.child({
    correlationId: runId,
    component: "run",
    traceparent,
    ...(options.tile === undefined ? {} : { tile: options.tile }),
  });
  const registry = options.registry ?? defaultRegistry;
  const progress = options.progress ?? createProgress({ logger });
  const bbox = config.defaults.bbox as Bbox;
  const modalities = Object.entries(config.modalities)
    .filter(([name, m]) => (options.modalities ? options.modalities.includes(name) : m.enabled))
    .map(([name]) => name);
  const runDir = runFolderPath(config.defaults.outputDir, runId);
  const summary: RunSummary = {
    runId,
    traceparent,
    status: "succeeded",
    runDir,
    startedAt,
    finishedAt: startedAt,
    bbox,
    configHash: hash,
    modalities: [],
  };

  // Pipelines are built first: a bad definition is a configuration error (exit 2).
  for (const m of modalities) planFor(config, m);

  // The database starts first (the embedded engine takes about a second to reopen, seconds to
  // create, in a worker of its own) and is awaited when the first modality is ready to persist.
  const ownDatabase = options.database === undefined;
  const databaseUrl = options.dryRun || options.database
    ? undefined
    : resolveDatabaseUrl(config, { getEnv: options.getEnv });
  const dbPromise: Promise<Database> | undefined = options.dryRun
    ? undefined
    : options.database
    ? Promise.resolve(options.database)
    : openDatabase({
      url: databaseUrl,
      dataDir: `${config.defaults.outputDir}/db`,
      engine: options.engine,
      logger,
    });
  dbPromise?.catch(() => {}); // reported where it is awaited
  // Where the database will say it is (checked against the real one before use).
  const expectedLocation = options.database?.location ??
    (databaseUrl ? redactUrl(databaseUrl) : `${config.defaults.outputDir}/db`);
  // The code and numeric-core versions the run manifest records (git, a file hash): meanwhile.
  const build = dbPromise ? buildInfo() : undefined;
  build?.catch(() => {});
  const closeOwnDatabase = async () => {
    if (ownDatabase) await dbPromise?.then((db) => db.close(), () => {});
  };

  let loaded: {
    providers: Map<string, SourceProvider>;
    failures: Map<string, Error>;
  };
  try {
    // A server database must be at this version's schema before anything runs (exit 2 with
    // the pending migrations named); the embedded one migrates itself meanwhile.
    if (databaseUrl) await dbPromise;
    loaded = options.plugins
      ? await options.plugins.load(config, { modalities })
      : await loadProviders(config, { modalities });
    if (dbPromise) await Deno.mkdir(runDir, { recursive: true });
  } catch (error) {
    await closeOwnDatabase();
    throw error;
  }
  const { providers, failures } = loaded;
  if (!dbPromise) {
    await Promise.all([...providers.values()].map((p) => p.close?.()));
    summary.status = failures.size === 0 ? "validated" : "failed";
    summary.problems = [...failures].map(([m, e]) => `${m}: ${e.message}`);
    return summary;
  }

  const controller = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, controller.signal])
    : controller.signal;
  // The run's row is written as soon as the database is open, with this process as its owner
  // and a heartbeat renewed until it ends (its lease): a process killed mid-run leaves a row
  // the next start finds and marks interrupted. That next start is this one for earlier runs.
  let runRow: Promise<unknown> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const ensureRun = (db: Database) =>
    runRow ??= (async () => {
      const owner = currentProcess();
      for (const ended of await reconcileRuns(db.repo, { self: owner })) {
        logger.warn("an earlier run's process is gone: run marked interrupted", {
          run: ended.id,
          reason: ended.verdict.reason,
        });
      }
      await db.repo.createRun({
        id: runId,
        configHash: hash,
        startedAt: new Date(startedAt),
        owner,
      });
      logger.info("run lease taken", { host: owner.host, pid: owner.pid });
      const timer = setInterval(() => {
        db.repo.heartbeatRun(runId).then((running) => {
          if (running) return;
          clearInterval(timer);
          logger.warn("the run is no longer running in the database (another process ended it)");
        }, (error) => logger.warn("heartbeat failed", { error }));
      }, HEARTBEAT_SECONDS * 1000);
      Deno.unrefTimer(timer);
      heartbeat = timer;
    })();
  dbPromise.then(ensureRun).catch(() => {}); // failures are reported where the row is needed

  // Started when a modality first needs it: a run served from the cache computes nothing.
  let pool: WorkerPool | undefined;
  const getPool = () => pool ??= new WorkerPool({ size: config.defaults.workers });
  // With storage configured the bucket is the cache's second layer: uploads left pending by an
  // earlier process (crash, bucket outage) are resumed now, in the background.
  const { store, mirror, bucket: mirrorBucket } = openCacheStore(config, {
    logger,
    metrics: registry,
  });
  if (mirror && !options.noCache) {
    mirror.resume().catch((error) =>
      logger.warn("could not read the cache replication journal", { error })
    );
  }
  const policy = (m: string) => config.modalities[m]?.cache;
  const cacheOptions = {
    store,
    policy,
    outputDir: config.defaults.outputDir,
    metrics: registry,
    logger,
    // A server database also excludes other hosts' runs from fetching the same entry.
    ...(databaseUrl !== undefined || options.database?.engine === "postgres"
      ? { extraLock: databaseCacheLock(dbPromise) }
      : {}),
  };
  const ingestionCache = options.noCache ? undefined : new IngestionCache(cacheOptions);
  const gridCache = options.noCache ? undefined : new GridCache(cacheOptions);
  const newService = () =>
    new IngestionService({
      providers,
      resilience: Object.fromEntries(modalities.map((m) => [m, config.modalities[m]])),
      logger: (options.ingestionServices?.logger ?? logger).child({ component: "ingestion" }),
      metrics: registry,
    });
  // A long-running process passes its services: breakers and rate limits outlive the run.
  const ingestion = options.ingestionServices
    ? options.ingestionServices.get(hash, modalities, newService)
    : newService();

  // Provenance of every plugin fetch, from the service's hooks (a cache hit makes none).
  const fetches = new Map<string, IngestionProvenance["fetches"]>();
  const offPostFetch = ingestion.on("postFetch", (e) => {
    const list = fetches.get(e.modality) ?? [];
    list.push({
      traceId: e.correlationId,
      traceparent: e.traceparent ?? null,
      outcome: e.outcome,
      attempts: e.attempts,
      durationSeconds: e.durationSeconds,
      bytes: e.bytes ?? null,
      checksum: e.checksum ?? null,
      error: e.error ?? null,
    });
    fetches.set(e.modality, list);
  });
  const provenanceOf = (r: ModalityJobResult): IngestionProvenance => ({
    request: {
      bbox: [...bbox],
      params: config.modalities[r.modality].source.params as Record<string, unknown>,
    },
    plugin: {
      id: r.plugin?.id ?? config.modalities[r.modality].source.plugin,
      version: r.plugin?.version ?? "",
      module: r.plugin?.identity?.module ?? null,
      graphHash: r.plugin?.identity?.graphHash ?? null,
      npmIntegrity: r.plugin?.identity?.npmIntegrity ?? null,
    },
    cache: r.cache,
    fetches: fetches.get(r.modality) ?? [],
  });

  const results: ModalityJobResult[] = [];
  const persisted: Promise<void>[] = [];
  let draft: RunFolderDraft | undefined;
  let database: Database | undefined;
  try {
    const persist = async (r: ModalityJobResult) => {
      if (r.manifest === undefined) return; // nothing was ingested
      try {
        const db = database = await dbPromise;
        await ensureRun(db);
        const ids = await persistModalityAtomically(db, {
          runId,
          modality: r.modality,
          bbox,
          manifest: r.manifest,
          pipelineVersion: r.pipelineVersion,
          grids: r.grids.map((g) => ({
            branch: g.branch,
            grid: g.grid,
            storageUri: g.zarrPath,
            anomalies: g.anomalies,
            checksum: g.checksum,
          })),
          stages: r.stages,
          ingestion: r.ingestion,
          lines: r.survey?.lines,
          sourceCrs: r.survey?.sourceCrs,
        });
        logger.info("persisted", { modality: r.modality, ...ids });
      } catch (error) {
        r.outcome = r.outcome === "ok" ? "failed" : r.outcome;
        r.error = [r.error, `persistence: ${(error as Error).message}`].filter(Boolean).join("; ");
        logger.error("persistence failed", { modality: r.modality, error });
      }
    };
    const queue = [...modalities];
    const workers = Array.from(
      { length: Math.min(queue.length, config.defaults.maxConcurrentModalities) },
      async () => {
        for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
          const failure = failures.get(m);
          const provider = providers.get(m) as SourceProvider | undefined;
          const result = failure || !provider
            ? failedResult(
              m,
              config.modalities[m].pipeline.version,
              failure?.message ?? "no plugin",
            )
            : await runModalityJob({
              runId,
              traceparent,
              config,
              modality: m,
              bbox,
              pool: getPool,
              ingestion,
              plugin: { id: provider.id, version: provider.version, identity: provider.identity },
              ingestionCache,
              gridCache,
              runDir,
              logger,
              progress,
              signal,
            });
          if (failure) progress.finish(m, `failed: ${failure.message}`);
          result.ingestion = provenanceOf(result);
          results.push(result);
          persisted.push(persist(result));
        }
      },
    );
    await Promise.all(workers);
    // While the database (in its own worker) starts and stores the results, render the run
    // folder as it will be if storing changes no outcome; it is used only if that holds.
    draft = await draftRunFolder(summary, results, modalities, {
      interrupted: signal.aborted,
      database: expectedLocation,
      loaded: options.loaded,
      build: build!,
    }).catch(() => undefined); // no draft: the files are rendered at the end, as before
    await Promise.all(persisted);
  } catch (error) {
    // The run ends here: its heartbeat stops and its row says how (a live owner, as gam serve
    // is, would otherwise keep it "running" for as long as the process lives).
    if (runRow) {
      await runRow.then(() => {
        clearInterval(heartbeat);
        return dbPromise;
      }).then((db) => db.repo.finishRun(runId, signal.aborted ? "interrupted" : "failed"))
        .catch(() => {});
    }
    await closeOwnDatabase();
    await mirror?.close(); // what was not uploaded stays pending in the journal
    mirrorBucket?.close?.();
    throw error;
  } finally {
    await pool?.close();
    offPostFetch();
    if (!options.ingestionServices) await ingestion.close().catch(() => {});
    progress.close();
  }

  sortResults(results, modalities);
  recordRunMetrics(registry, results);
  const interrupted = signal.aborted || results.some((r) => r.outcome === "interrupted");
  const status = runStatus(results, interrupted);
  summary.status = status;
  summary.finishedAt = new Date().toISOString();
  summary.modalities = results.map(modalitySummary);
  database ??= await dbPromise.catch((e) => {
    logger.error("database unavailable", { error: e });
    return undefined;
  });
  if (database) {
    summary.database = database.location;
    try {
      await ensureRun(database);
      clearInterval(heartbeat);
      await database.repo.finishRun(runId, status);
    } catch (error) {
      logger.error("could not record the run's status", { error });
    }
  }
  try {
    const files = draft?.matches(summary) ??
      renderRunFolder(summary, results, options.loaded, await build!);
    await writeRunFolder(summary.runDir, files);
    // A stopped run's half-written cache entries go; other processes' writes (their lock is
    // held) are left alone.
    if (interrupted) await store.cleanLeftovers().catch(() => {});
    if (config.storage?.uploadAtRunEnd && !interrupted) {
      summary.storage = await uploadRunFolder(config, summary.runDir, database, logger);
    }
  } finally {
    clearInterval(heartbeat);
    if (mirror) {
      // Replication is asynchronous, but a one-shot run waits for it before it exits (one try
      // per entry: what fails stays pending in the journal for the next start).
      const flushed = await mirror.flush().catch((error) => {
        logger.warn("cache replication to the bucket failed", { error });
        return undefined;
      });
      if (flushed && flushed.pending > 0) {
        logger.warn("cache entries not yet in the bucket stay pending", { ...flushed });
      }
      await mirror.close();
      mirrorBucket?.close?.();
    }
    if (ownDatabase) await database?.close();
  }
  return summary;
}

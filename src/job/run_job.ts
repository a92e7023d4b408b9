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
 * @module
 */
import { type Anomaly, type Bbox, isEdgeAnomaly } from "../contracts/mod.ts";
import { type LoadedConfig, resolveDatabaseUrl } from "../config/mod.ts";
import { WorkerPool } from "../compute/mod.ts";
import { GridCache, IngestionCache } from "../cache/mod.ts";
import { openCacheStore } from "../storage/cache_store_for.ts";
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
import {
  defaultRegistry,
  type Gauge,
  type Logger,
  type MetricsRegistry,
  newCorrelationId,
} from "../observability/mod.ts";
import { renderReport, type ReportModality } from "../report/mod.ts";
import { nanCount } from "../preprocessing/mod.ts";
import {
  type IngestionProvenance,
  type ModalityJobResult,
  planFor,
  runModalityJob,
} from "./modality_job.ts";
import { persistModalityAtomically } from "./persist.ts";
import { databaseCacheLock } from "./cache_lock.ts";
import { writeFileAtomic } from "../fs/mod.ts";
import { uploadRunFolder } from "./upload.ts";
import { currentProcess, HEARTBEAT_SECONDS, reconcileRuns } from "./run_lease.ts";
import { createProgress, type ProgressSink } from "./progress.ts";

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
   * An embedded engine started ahead (`prestartPglite()`), for the database this run opens.
   * @default a worker started when the database is opened
   */
  engine?: PgliteEngineStart;
}

/** One row of the final table. */
export interface ModalitySummary {
  modality: string;
  outcome: "ok" | "failed" | "interrupted";
  error?: string;
  pointsIn: number;
  outliersRemoved: number;
  /** `ny x nx` of the first grid. */
  gridSize: string;
  nanRatio: number | null;
  anomalies: number;
  cache: string;
  durationSeconds: number;
  grids: { branch: string; zarr: string; tif: string; checksum: string }[];
}

/** What {@linkcode runJob} returns. */
export interface RunSummary {
  runId: string;
  status: "succeeded" | "partial" | "failed" | "interrupted" | "validated";
  runDir: string;
  startedAt: string;
  finishedAt: string;
  bbox: Bbox;
  configHash: string;
  database?: string;
  modalities: ModalitySummary[];
  /** Problems found by `--dry-run` (empty when valid). */
  problems?: string[];
  /**
   * The upload of the run folder to the bucket (with a `storage:` section): `uploaded`, or
   * `pending` (the bucket failed; the run still succeeded, `gam storage push` resumes).
   */
  storage?: {
    status: "uploaded" | "pending";
    manifest?: string;
    error?: string;
    /** Wall time of the upload, seconds. */
    seconds?: number;
  };
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
  const logger = options.logger.child({ correlationId: runId, component: "run" });
  const registry = options.registry ?? defaultRegistry;
  const progress = options.progress ?? createProgress({ logger });
  const bbox = config.defaults.bbox as Bbox;
  const modalities = Object.entries(config.modalities)
    .filter(([name, m]) => (options.modalities ? options.modalities.includes(name) : m.enabled))
    .map(([name]) => name);
  const runDir = `${config.defaults.outputDir}/runs/${runId}`;
  const summary: RunSummary = {
    runId,
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
  const ingestion = new IngestionService({
    providers,
    resilience: Object.fromEntries(modalities.map((m) => [m, config.modalities[m]])),
    logger: logger.child({ component: "ingestion" }),
    metrics: registry,
  });

  // Provenance of every plugin fetch, from the service's hooks (a cache hit makes none).
  const fetches = new Map<string, IngestionProvenance["fetches"]>();
  ingestion.on("postFetch", (e) => {
    const list = fetches.get(e.modality) ?? [];
    list.push({
      traceId: e.correlationId,
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
    await ingestion.close().catch(() => {});
    progress.close();
  }

  sortResults(results, modalities);
  recordMetrics(registry, results);
  const interrupted = signal.aborted || results.some((r) => r.outcome === "interrupted");
  const status = runStatus(results, interrupted);
  summary.status = status;
  summary.finishedAt = new Date().toISOString();
  summary.modalities = results.map(toSummary);
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

function failedResult(modality: string, pipelineVersion: string, error: string): ModalityJobResult {
  return {
    modality,
    outcome: "failed",
    error,
    pointsIn: 0,
    outliersRemoved: 0,
    cache: "off",
    durationSeconds: 0,
    grids: [],
    branchFailures: [],
    stages: [],
    pipelineVersion,
  };
}

function toSummary(r: ModalityJobResult): ModalitySummary {
  const first = r.grids[0]?.grid;
  return {
    modality: r.modality,
    outcome: r.outcome,
    ...(r.error ? { error: r.error } : {}),
    pointsIn: r.pointsIn,
    outliersRemoved: r.outliersRemoved,
    gridSize: first ? `${first.lat.length} x ${first.lon.length}` : "-",
    nanRatio: first && first.values.length > 0
      ? nanCount(first.values) / first.values.length
      : null,
    anomalies: r.grids.reduce((n, g) => n + g.anomalies.filter((a) => !isEdgeAnomaly(a)).length, 0),
    cache: r.cache,
    durationSeconds: r.durationSeconds,
    grids: r.grids.map((g) => ({
      branch: g.branch,
      zarr: g.zarrPath,
      tif: g.tifPath,
      checksum: g.checksum,
    })),
  };
}

/** The run folder's files, as text. */
interface RunFolderFiles {
  manifest: string;
  anomalies: string;
  report: string;
}

/** Code version and numeric-core build, as the run manifest records them. */
interface BuildInfo {
  code: string;
  wasm: { sourceHash: string | null; wasmSha256: string };
}

async function buildInfo(): Promise<BuildInfo> {
  const [code, wasm] = await Promise.all([codeVersion(), wasmBuild()]);
  return { code, wasm };
}

function renderRunFolder(
  summary: RunSummary,
  results: ModalityJobResult[],
  loaded: LoadedConfig,
  build: BuildInfo,
): RunFolderFiles {
  const manifest = {
    ...summary,
    config: { hash: loaded.hash, sources: loaded.sources, profile: loaded.profile ?? null },
    code: build.code,
    wasm: build.wasm,
    plugins: Object.fromEntries(
      results.filter((r) => r.manifest).map((r) => [r.modality, {
        id: r.manifest!.pluginId,
        version: r.manifest!.pluginVersion,
        module: r.plugin?.identity?.module ?? null,
        graphHash: r.plugin?.identity?.graphHash ?? null,
        npmIntegrity: r.plugin?.identity?.npmIntegrity ?? null,
        checksum: r.manifest!.checksumSha256,
        licence: r.manifest!.licence,
        citation: r.manifest!.citation,
        ...(typeof r.manifest!.extra?.doi === "string" ? { doi: r.manifest!.extra.doi } : {}),
      }]),
    ),
    stages: Object.fromEntries(results.map((r) => [r.modality, r.stages])),
    // Cache entries per modality: what `gam storage rehydrate <run-id>` brings back.
    cacheEntries: Object.fromEntries(results.map((r) => [r.modality, r.cacheEntries ?? []])),
    ingestion: Object.fromEntries(results.map((r) => [r.modality, r.ingestion ?? null])),
    provenance: Object.fromEntries(
      results.map((
        r,
      ) => [r.modality, Object.fromEntries(r.grids.map((g) => [g.branch, g.grid.provenance]))]),
    ),
  };
  const features = results.flatMap((r) =>
    r.grids.flatMap((g) =>
      g.anomalies.map((a: Anomaly) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [a.lon, a.lat, -a.depth] },
        properties: {
          modality: r.modality,
          branch: g.branch,
          type: a.type,
          confidence: a.confidence,
          ...a.attributes,
          edge: isEdgeAnomaly(a),
        },
      }))
    )
  );
  const report: ReportModality[] = results.map((r) => ({
    modality: r.modality,
    outcome: r.outcome,
    error: r.error,
    pointsIn: r.pointsIn,
    outliersRemoved: r.outliersRemoved,
    cache: r.cache,
    durationSeconds: r.durationSeconds,
    stages: r.stages.map((s) => ({
      branch: s.branch,
      stage: s.stage,
      version: s.version,
      durationSeconds: s.durationSeconds,
      outcome: s.outcome,
      error: s.error,
    })),
    grids: r.grids.map((g) => ({
      title: `${r.modality} / ${g.branch}`,
      grid: g.grid,
      anomalies: g.anomalies,
      qc: g.qc
        ? {
          completeness: g.qc.completeness.fraction,
          ...(g.qc.completeness.footprint === "input points"
            ? {
              supportKm: g.qc.completeness.supportKm,
              extrapolated: g.qc.completeness.extrapolated,
              maxDistanceKm: g.qc.completeness.maxDistanceKm ?? undefined,
            }
            : {}),
          seams: g.qc.seams.map((s) => ({
            between: `${s.surveyA}|${s.surveyB}`,
            offset: s.offset,
            gradientJump: s.gradientJump ?? undefined,
            flagged: s.flagged,
          })),
        }
        : undefined,
    })),
  }));
  return {
    manifest: JSON.stringify(manifest, null, 2),
    anomalies: JSON.stringify({ type: "FeatureCollection", features }, null, 1),
    report: renderReport({
      runId: summary.runId,
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      bbox: summary.bbox,
      modalities: report,
      provenance: manifest,
    }),
  };
}

async function writeRunFolder(runDir: string, files: RunFolderFiles): Promise<void> {
  await writeFileAtomic(`${runDir}/manifest.json`, files.manifest);
  await writeFileAtomic(`${runDir}/anomalies.geojson`, files.anomalies);
  await writeFileAtomic(`${runDir}/report.html`, files.report);
}

/** A run folder rendered before the run ended; see {@linkcode draftRunFolder}. */
interface RunFolderDraft {
  /** The files for `summary` when it is the one drafted (finish time aside), else `undefined`. */
  matches(summary: RunSummary): RunFolderFiles | undefined;
}

/**
 * Renders the run folder (the report's images take a while) while the results are still being
 * stored, for the summary the run will have if storing them changes no outcome. The finish time
 * is not known yet: a unique placeholder stands for it and is replaced when the draft is used;
 * ISO times are the same text in JSON and HTML, so the files are byte for byte those rendered
 * afterwards. A summary that differs in anything else (a modality failed to persist, the run was
 * interrupted, the database did not open) gets no files, and the caller renders them anew.
 */
async function draftRunFolder(
  summary: RunSummary,
  results: ModalityJobResult[],
  modalities: string[],
  o: { interrupted: boolean; database: string; loaded: LoadedConfig; build: Promise<BuildInfo> },
): Promise<RunFolderDraft> {
  const build = await o.build;
  const placeholder = `@@gam-finished-at-${crypto.randomUUID()}@@`;
  const ordered = sortResults([...results], modalities);
  const interrupted = o.interrupted || ordered.some((r) => r.outcome === "interrupted");
  const expected: RunSummary = {
    ...summary,
    status: runStatus(ordered, interrupted),
    finishedAt: placeholder,
    database: o.database,
    modalities: ordered.map(toSummary),
  };
  const key = JSON.stringify(expected);
  const files = renderRunFolder(expected, ordered, o.loaded, build);
  return {
    matches(actual) {
      if (JSON.stringify({ ...actual, finishedAt: placeholder }) !== key) return undefined;
      const at = actual.finishedAt;
      return {
        manifest: files.manifest.replaceAll(placeholder, at),
        anomalies: files.anomalies.replaceAll(placeholder, at),
        report: files.report.replaceAll(placeholder, at),
      };
    },
  };
}

/** Results in configuration order, not in the order modalities finished. */
function sortResults(results: ModalityJobResult[], modalities: string[]): ModalityJobResult[] {
  return results.sort((a, b) => modalities.indexOf(a.modality) - modalities.indexOf(b.modality));
}

function runStatus(
  results: ModalityJobResult[],
  interrupted: boolean,
): "succeeded" | "partial" | "failed" | "interrupted" {
  const ok = results.filter((r) => r.outcome === "ok").length;
  return interrupted
    ? "interrupted"
    : ok === results.length
    ? "succeeded"
    : ok > 0
    ? "partial"
    : "failed";
}

async function codeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["describe", "--always", "--dirty", "--tags"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/** The numeric core's build: its source hash and the sha256 of the `.wasm` actually loaded. */
async function wasmBuild(): Promise<{ sourceHash: string | null; wasmSha256: string }> {
  const dir = new URL("../compute/wasm/", import.meta.url);
  const js = await Deno.readTextFile(new URL("gam_core.js", dir));
  const bytes = await Deno.readFile(new URL("gam_core_bg.wasm", dir));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return {
    sourceHash: /source-hash: ([0-9a-f]{64})/.exec(js)?.[1] ?? null,
    wasmSha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  };
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
 * import { lastSuccessGauge } from "./run_job.ts";
 * import { MetricsRegistry } from "../observability/mod.ts";
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

/** Stage durations and modality outcomes as metrics (the cache and ingestion layers count their own). */
function recordMetrics(registry: MetricsRegistry, results: ModalityJobResult[]): void {
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
  for (const r of results) {
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
 */
function peakResidentBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux, or /proc not readable
  }
  return Deno.memoryUsage().rss;
}

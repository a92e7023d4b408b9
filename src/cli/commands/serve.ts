/**
 * `gam serve`: the long-running service.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { ConfigService } from "../../config/mod.ts";
import { createLogger, newCorrelationId, stderrSink } from "../../observability/mod.ts";
import { defaultRegistry } from "../../observability/metrics/mod.ts";
import { FsCacheStore, startSweeper } from "../../cache/mod.ts";
import { parseColor, scheduleOwner } from "../../deploy/mod.ts";
import {
  createProgress,
  IngestionServices,
  PipelineServer,
  reconcileRuns,
  runJob,
  startBackupSchedule,
} from "../../job/mod.ts";
import { openRunLog } from "../../observability/mod.ts";
import { openDatabase } from "../../persistence/mod.ts";
import { resolveDatabaseUrl } from "../../config/mod.ts";
import { PluginPool } from "../../ingestion/mod.ts";
import { openObjectStore, phaseRoot, runScheduledBackup } from "../../storage/mod.ts";

/** `gam serve`. */
export const serveCommand: Command = {
  name: "serve",
  help: `Usage: gam serve [options]

Runs each enabled modality on its cron schedule (modalities.<name>.schedule), reloads the
configuration when the file changes (runs in flight finish on the configuration they started
with; an invalid edit keeps the old one), sweeps the cache every service.cacheSweepInterval, backs the
database up to the bucket on storage.backup.schedule (weekly by default, when storage: is set),
and serves on service.listen (loopback by default):
  /metrics  Prometheus text (stage durations, run outcomes, cache hit ratio, queue depth, ...)
  /healthz  200 while the process is alive
  /readyz   200 once the configuration is loaded and the database open, and not stopping
Stops cleanly on SIGTERM or Ctrl-C (running jobs get service.shutdownTimeoutMs to finish).
A server database (DATABASE_URL) must be migrated first with gam db migrate: with pending or
changed migrations serve exits with status 2 and names them.

Options:
  --config FILE   Configuration file (default config/ingestion.yaml)
  --profile NAME  Profile from config/profiles/ (or GAM_PROFILE)
  --run-now       Also run every enabled modality once at start
  --backup-now    Also back the database up to the bucket once at start (needs storage:)
  --color C       This service is blue/green color C (blue | green; set by gam deploy up
                  --color): it fires the schedules only while C owns them in the database
                  (gam deploy promote / rollback); needs a server database
  -h, --help      Show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(args, {
      config: { type: "string" },
      profile: { type: "string" },
      "run-now": { type: "boolean" },
      "backup-now": { type: "boolean" },
      color: { type: "string" },
    });
    const color = values.color === undefined ? undefined : parseColor(values.color);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const config = await ConfigService.start({
      configPath: values.config as string | undefined,
      profile: values.profile as string | undefined,
    });
    const cfg = config.current().config;
    const logger = createLogger({
      level: cfg.defaults.logLevel,
      format: cfg.defaults.logFormat,
      component: "serve",
    });
    const sweeper = startSweeper(
      new FsCacheStore(cfg.defaults.cacheDir),
      cfg.service.cacheSweepInterval,
      {
        policy: (m: string) => config.current().config.modalities[m]?.cache,
        metrics: defaultRegistry,
        logger,
      },
    );
    // One database for the life of the service: runs share it (an embedded data folder may be
    // open in one place only). Opening is slow for the embedded engine, so /readyz waits for it.
    // A server client replaces itself when the server restarts (see postgres_engine.ts in
    // src/persistence): statements in hand then fail after a short grace, new ones wait for it.
    let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
    const opening = openDatabase({
      url: resolveDatabaseUrl(cfg),
      dataDir: `${cfg.defaults.outputDir}/db`,
      logger,
    }).then(async (db) => {
      // Runs of processes that died since the last start are marked interrupted now, not at
      // the first scheduled run (which may be hours away).
      try {
        for (const ended of await reconcileRuns(db.repo)) {
          logger.warn("an earlier run's process is gone: run marked interrupted", {
            run: ended.id,
            reason: ended.verdict.reason,
          });
        }
      } catch (error) {
        logger.error("could not reconcile earlier runs", { error });
      }
      database = db;
      // /readyz answers 200 from here on; the line is the event a supervisor (or a test) awaits.
      logger.info("database open: ready", { event: "service.ready" });
      return db;
    });
    opening.catch((error) => logger.error("database unavailable", { error }));
    // A server database not migrated to this version stops the start (exit 2): it is migrated
    // by `gam db migrate`, the deployment step before the services.
    if (resolveDatabaseUrl(cfg)) {
      await opening.catch(async (error) => {
        await sweeper.stop();
        config.close();
        throw error;
      });
    }
    // One process per plugin for the life of the service: a scheduled run pays no start.
    const plugins = new PluginPool();
    // One ingestion service per configuration for the life of the service: circuit breakers and
    // rate-limit buckets hold across scheduled runs (a new service per run could never open).
    const ingestionServices = new IngestionServices({ logger });
    const stopDropped = config.onChange((next) =>
      plugins.retain(
        Object.entries(next.config.modalities).filter(([, m]) => m.enabled).map(([n]) => n),
      ).catch((error) => logger.error("stopping plugins of dropped modalities failed", { error }))
    );
    if (color && !resolveDatabaseUrl(cfg)) {
      await sweeper.stop();
      config.close();
      throw new UsageError(
        `--color ${color} needs a server database shared by both colors (set DATABASE_URL)`,
      );
    }
    // Database backups to the bucket on storage.backup.schedule (data dump + schema snapshot);
    // each success sets gam_db_backup_last_success_timestamp_seconds on /metrics.
    const backups = startBackupSchedule({
      schedule: () => {
        const s = config.current().config.storage;
        return s === undefined || s.backup.schedule === "off" ? undefined : s.backup.schedule;
      },
      run: async () => {
        const c = config.current().config;
        if (c.storage === undefined) throw new Error("no storage: section in the configuration");
        const store = openObjectStore(c)!;
        try {
          await store.ensureBucket();
          const info = await runScheduledBackup(await opening, store, {
            base: `${phaseRoot(c.storage)}${c.storage.backup.prefix}`,
            schema: c.storage.backup.schemaSnapshot,
          });
          return { bytes: info.bytes, uri: info.uri };
        } finally {
          store.close();
        }
      },
      logger,
      registry: defaultRegistry,
    });
    const stopBackupWatch = config.onChange(() => backups.reschedule());
    const server = new PipelineServer({
      config,
      logger,
      ...(color
        ? {
          mayFire: async () => (await scheduleOwner((await opening).sql))?.color === color,
        }
        : {}),
      ready: () => database !== undefined,
      runModality: async (snapshot, modality, signal) => {
        // Every line of the run also goes to its run folder's log.jsonl (`gam logs <run-id>`).
        const runId = newCorrelationId("run");
        const runLog = await openRunLog(
          `${snapshot.config.defaults.outputDir}/runs/${runId}`,
          cfg.defaults.logFormat === "json" ? stderrSink : (line) => {
            const { time: _t, level, msg, ...fields } = JSON.parse(line);
            logger.log(level, msg, fields);
          },
        );
        try {
          const summary = await runJob({
            loaded: snapshot,
            modalities: [modality],
            signal,
            runId,
            logger: createLogger({
              level: snapshot.config.defaults.logLevel,
              format: "json",
              component: "serve",
              sink: runLog.sink,
            }),
            progress: createProgress({ tty: false }),
            database: await opening,
            plugins,
            ingestionServices,
          });
          return { outcome: summary.modalities[0]?.outcome ?? "failed" };
        } finally {
          runLog.close();
        }
      },
    });
    await server.start();
    const addr = server.address!;
    console.error(
      `gam serve: listening on http://${addr.hostname}:${addr.port} (/metrics, /healthz, /readyz)`,
    );
    if (values["backup-now"]) {
      if (cfg.storage === undefined) {
        logger.error("--backup-now needs the storage: section of the configuration");
      } else backups.runNow();
    }
    if (values["run-now"]) {
      for (const [name, m] of Object.entries(cfg.modalities)) if (m.enabled) server.trigger(name);
    }
    const stopped = Promise.withResolvers<void>();
    const stop = () => stopped.resolve();
    Deno.addSignalListener("SIGTERM", stop);
    Deno.addSignalListener("SIGINT", stop);
    await stopped.promise;
    console.error("gam serve: stopping (waiting for running jobs)");
    await server.stop();
    stopBackupWatch();
    await backups.stop();
    stopDropped();
    await ingestionServices.close();
    await plugins.close();
    await sweeper.stop();
    await opening.then((db) => db.close(), () => {});
    config.close();
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGINT", stop);
    return EXIT_OK;
  },
};

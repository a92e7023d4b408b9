/**
 * `gam storage <subcommand>`: the object store of the configuration's `storage:` section.
 * Each subcommand is one entry of {@linkcode STORAGE_SUBCOMMANDS} (name, usage line, handler).
 *
 * @module
 */
import {
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  type FlagSpec,
  parseFlags,
  UsageError,
} from "../command.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { type LoadedConfig, resolveDatabaseUrl } from "../../config/mod.ts";
import { createLogger, type Logger } from "../../observability/mod.ts";
import { type Database, openDatabase } from "../../persistence/mod.ts";
import { FsCacheStore } from "../../cache/mod.ts";
import {
  applyLifecycle,
  applyPrune,
  CacheMirror,
  cacheMirrorPrefix,
  diffLifecycle,
  gatherPruneInputs,
  type LifecycleRuleView,
  openObjectStore,
  phaseRoot,
  planPrune,
  type PruneItem,
  pushRun,
  readLifecycle,
  rehydrateRun,
  renderLifecycle,
  RunNotInBucketError,
  type S3ObjectStore,
} from "../../storage/mod.ts";

/** What a subcommand handler receives. */
export interface StorageContext {
  /** Arguments after the subcommand name. */
  args: string[];
  /** Parsed flags (the shared ones below plus the subcommand's). */
  values: Record<string, unknown>;
  /** The loaded configuration. */
  loaded: LoadedConfig;
  /** The configured bucket (versioning switched on). */
  store: S3ObjectStore;
  /** `--json`. */
  json: boolean;
  /** Logger on stderr. */
  logger: Logger;
  /** Opens the run database as `gam run` does (closed by the command when it ends). */
  database(): Promise<Database>;
}

/** One `gam storage` subcommand. */
export interface StorageSubcommand {
  /** Usage line(s) for the help. */
  usage: string;
  /** Runs it; resolves to the exit status. */
  run(ctx: StorageContext): Promise<number>;
}

const FLAGS = {
  ...CONFIG_FLAGS,
  json: { type: "boolean" },
  "dry-run": { type: "boolean" },
  all: { type: "boolean" },
} satisfies FlagSpec;

/**
 * The subcommands, in the order the help lists them. Other modules add theirs here.
 *
 * @example Usage
 * ```ts
 * import { STORAGE_SUBCOMMANDS } from "./storage.ts";
 * Object.keys(STORAGE_SUBCOMMANDS).includes("push"); // true
 * ```
 */
export const STORAGE_SUBCOMMANDS: Record<string, StorageSubcommand> = {
  push: {
    usage: "push RUN_ID        Upload a run folder (<outputDir>/runs/RUN_ID) to the bucket; " +
      "resumes a pending upload (only missing objects are sent)",
    async run(ctx) {
      if (ctx.args.length !== 1) {
        throw new UsageError(`gam storage push needs exactly one RUN_ID, got ${ctx.args.length}`);
      }
      const config = ctx.loaded.config;
      const runDir = `${config.defaults.outputDir}/runs/${ctx.args[0]}`;
      let db: Database | undefined;
      try {
        db = await ctx.database();
      } catch (error) {
        ctx.logger.warn("database unavailable: grid rows keep their local paths", { error });
      }
      const result = await pushRun(runDir, {
        store: ctx.store,
        root: config.storage!,
        endpoint: config.storage!.endpoint,
        region: config.storage!.region,
        repo: db?.repo,
        logger: ctx.logger,
      });
      const manifest = result.journal.manifests?.preprocessing ??
        Object.values(result.journal.manifests ?? {})[0];
      if (ctx.json) console.log(JSON.stringify(result));
      else {
        console.log(
          `run ${result.runId}: ${result.uploaded} objects uploaded ` +
            `(${result.bytesUploaded} bytes), ${result.unchanged} already there; ` +
            `manifest ${manifest?.uri ?? "-"}`,
        );
      }
      return EXIT_OK;
    },
  },
  lifecycle: {
    usage: "lifecycle show|apply Show the rules rendered from storage.lifecycle beside the " +
      "bucket's, or apply them (then read back and compare)",
    async run(ctx) {
      const [action, ...extra] = ctx.args;
      if ((action !== "show" && action !== "apply") || extra.length > 0) {
        throw new UsageError(
          `gam storage lifecycle needs "show" or "apply", got "${ctx.args.join(" ")}"`,
        );
      }
      const wanted = renderLifecycle(ctx.loaded.config.storage!);
      let actual: LifecycleRuleView[];
      try {
        actual = action === "apply"
          ? await applyLifecycle(ctx.store, wanted)
          : await readLifecycle(ctx.store);
      } catch (error) {
        if (error instanceof Error && error.name === "NotImplemented") {
          ctx.logger.error(
            `the storage server does not implement the bucket lifecycle API (it answered ` +
              `NotImplemented to ${
                action === "apply" ? "Put" : "Get"
              }BucketLifecycleConfiguration); ` +
              "versitygw 1.8.0 is such a server: apply the rules on the production store",
          );
          return EXIT_FAILURE;
        }
        throw error;
      }
      const differences = diffLifecycle(wanted, actual);
      if (ctx.json) {
        console.log(JSON.stringify({ bucket: ctx.store.bucket, wanted, actual, differences }));
      } else {
        console.log(`bucket ${ctx.store.bucket}: ${wanted.length} rule(s) from the configuration`);
        for (const r of wanted) {
          const steps = r.transitions.map((t) => `${t.storageClass} after ${t.days} d`);
          if (r.expireDays !== undefined) steps.push(`expire after ${r.expireDays} d`);
          console.log(`  ${r.id}  ${r.prefix}  ${steps.join(", ")}`);
        }
        console.log(
          differences.length === 0
            ? action === "apply" ? "applied, read back and equal" : "the bucket is in sync"
            : `the bucket differs:\n  ${differences.join("\n  ")}`,
        );
      }
      return EXIT_OK;
    },
  },
  prune: {
    usage: "prune [--dry-run]   Remove (with --dry-run: list) what the retention: ages let go " +
      "(run folders, cache entries, bucket object versions, database rows); never what is " +
      "pinned, recent or referenced by a kept run",
    async run(ctx) {
      const dryRun = ctx.values["dry-run"] === true;
      if (ctx.args.length > 0) {
        throw new UsageError(`gam storage prune takes no arguments, got "${ctx.args.join(" ")}"`);
      }
      const config = ctx.loaded.config;
      const retention = config.retention ?? { keepLastRuns: 5 };
      let sql;
      try {
        sql = (await ctx.database()).sql;
      } catch (error) {
        ctx.logger.warn("database unavailable: its rows are not considered", { error });
      }
      const cache = new FsCacheStore(config.defaults.cacheDir, { recordAccess: false });
      const plan = planPrune(
        await gatherPruneInputs({
          retention,
          outputDir: config.defaults.outputDir,
          cache,
          sql,
          store: ctx.store,
          root: phaseRoot(config.storage!),
        }),
      );
      const removed = dryRun ? undefined : await applyPrune(plan, { cache, store: ctx.store, sql });
      if (ctx.json) {
        console.log(JSON.stringify({ dryRun, ...plan, ...(removed ? { removed } : {}) }));
        return EXIT_OK;
      }
      const section = (title: string, items: PruneItem[]) => {
        console.log(`${title}: ${items.length}`);
        for (const i of items) {
          console.log(`  ${i.id}${i.versionId ? ` (version ${i.versionId})` : ""}  ${i.reason}`);
        }
      };
      const fate = dryRun ? "would go" : "were removed";
      if (dryRun) console.log("dry run: nothing is removed");
      section(`run folders that ${fate}`, plan.runFolders);
      section(`cache entries that ${fate}`, plan.cacheEntries);
      section(`bucket object versions that ${fate}`, plan.objects);
      section(`database runs whose rows ${fate}`, plan.databaseRuns);
      section("kept although old enough", plan.protected);
      if (removed) console.log(`${removed.bytes} bytes freed`);
      return EXIT_OK;
    },
  },
  rehydrate: {
    usage: "rehydrate RUN_ID...|--all Rebuild the local cache from the bucket: every entry " +
      "the runs' manifests list and the cache folder lacks is downloaded (checksum checked); " +
      "--all: every run in the database",
    run: (ctx) => rehydrateCommand(ctx),
  },
};

/** `gam storage rehydrate`: see its usage line. */
async function rehydrateCommand(ctx: StorageContext): Promise<number> {
  const all = ctx.values.all === true;
  if (all === (ctx.args.length > 0)) {
    throw new UsageError("gam storage rehydrate needs RUN_ID... or --all (not both)");
  }
  const config = ctx.loaded.config;
  const storage = config.storage!;
  let db: Database | undefined;
  try {
    db = await ctx.database();
  } catch (error) {
    if (all) throw error; // --all lists the runs of the database
    ctx.logger.warn("database unavailable: manifests are looked up by listing the bucket", {
      error,
    });
  }
  const runIds = all
    ? (await db!.sql.query<{ id: string }>(
      "SELECT id FROM runs ORDER BY started_at, id",
      [],
      "rehydrate",
    )).map((r) => r.id)
    : ctx.args;
  const mirror = new CacheMirror(config.defaults.cacheDir, {
    bucket: ctx.store,
    prefix: cacheMirrorPrefix(storage),
    logger: ctx.logger,
  });
  const reports = [];
  let failed = false;
  try {
    for (const runId of runIds) {
      try {
        const r = await rehydrateRun(mirror, ctx.store, {
          root: phaseRoot(storage),
          runId,
          repo: db?.repo,
        });
        reports.push({ runId, ...r });
        if (r.missing.length > 0) failed = true;
        if (!ctx.json) {
          console.log(
            `run ${runId}: ${r.fetched.length} entries downloaded, ${r.present.length} already ` +
              `local, ${r.missing.length} missing from the bucket (manifest ${r.manifest})`,
          );
          for (const m of r.missing) console.log(`  missing: ${m}`);
        }
      } catch (error) {
        // --all goes over every run, some of which were never pushed (failed runs).
        if (!(all && error instanceof RunNotInBucketError)) throw error;
        reports.push({ runId, skipped: error.message });
        if (!ctx.json) console.log(`run ${runId}: skipped (${error.message})`);
      }
    }
  } finally {
    await mirror.close();
  }
  if (ctx.json) console.log(JSON.stringify({ runs: reports }));
  return failed ? EXIT_FAILURE : EXIT_OK;
}

function help(): string {
  const lines = Object.values(STORAGE_SUBCOMMANDS).map((s) => `  ${s.usage}`);
  return `Usage: gam storage <subcommand> [options]

The object store of the configuration's storage: section (an S3-compatible bucket, versioned).
Layout: s3://<bucket>/[<prefix>/]<phase>/{ingestion|preprocessing|models}/<date>/<run-id>/

Subcommands:
${lines.join("\n")}

Options:
  --config FILE     Configuration file
  --profile NAME    Configuration profile
  --output-dir DIR  Output folder (runs are in DIR/runs)
  --json            Machine-readable output on stdout
  -h, --help        Show this help

Exit status: 0 success, 1 runtime failure (bucket unreachable, checksum), 2 usage error.`;
}

/** `gam storage`. */
export const storageCommand: Command = {
  name: "storage",
  get help() {
    return help();
  },
  async run(args) {
    const { values, positionals, help: wantHelp } = parseFlags(args, FLAGS);
    if (wantHelp) {
      console.log(help());
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    const names = Object.keys(STORAGE_SUBCOMMANDS);
    if (sub === undefined) {
      throw new UsageError(`gam storage needs a subcommand: one of ${names.join(", ")}`);
    }
    const handler = Object.hasOwn(STORAGE_SUBCOMMANDS, sub) ? STORAGE_SUBCOMMANDS[sub] : undefined;
    if (handler === undefined) {
      throw new UsageError(
        `unknown subcommand "${sub}" for gam storage; expected one of ${names.join(", ")}`,
      );
    }
    const loaded = await loadConfigFromFlags(values);
    const json = values.json === true;
    const logger = createLogger({
      level: json ? "warn" : loaded.config.defaults.logLevel,
      format: "pretty",
      component: "storage",
    });
    const store = openObjectStore(loaded.config);
    if (store === undefined) {
      throw new UsageError(
        "gam storage needs a storage: section in the configuration (endpoint, bucket, " +
          "credentials); see README, Object storage",
      );
    }
    let db: Promise<Database> | undefined;
    try {
      await store.ensureBucket();
      return await handler.run({
        args: rest,
        values,
        loaded,
        store,
        json,
        logger,
        database: () =>
          db ??= openDatabase({
            url: resolveDatabaseUrl(loaded.config),
            dataDir: `${loaded.config.defaults.outputDir}/db`,
          }),
      });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      logger.error(`gam storage ${sub} failed`, { error });
      return EXIT_FAILURE;
    } finally {
      store.close();
      if (db) await db.then((d) => d.close(), () => {});
    }
  },
};

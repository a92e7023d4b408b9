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
import {
  CacheMirror,
  cacheMirrorPrefix,
  openObjectStore,
  phaseRoot,
  pushRun,
  rehydrateRun,
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
  rehydrate: {
    usage: "rehydrate RUN_ID...|--all\n" +
      "                   Rebuild the local cache from the bucket: every cache entry the runs'\n" +
      "                   manifests list and the cache folder lacks is downloaded (checksum\n" +
      "                   checked); --all: every run in the database",
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

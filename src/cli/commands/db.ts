/**
 * `gam db`: migrations, status, backup and restore of the GAM database.
 *
 * @module
 */
import { join } from "node:path";
import { type Command, EXIT_FAILURE, EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { type Database, openDatabase } from "../../persistence/mod.ts";
import { backupMetrics, judgeRun } from "../../job/mod.ts";
import { MetricsRegistry } from "../../observability/metrics/mod.ts";
import { exportFinalMetrics } from "../final_metrics.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../config/mod.ts";
import {
  backupKeys,
  backupToBucket,
  isS3Uri,
  latestBackup,
  type ObjectStore,
  openObjectStore,
  parseS3Uri,
  restoreFromBucket,
} from "../../storage/mod.ts";

/** The configured bucket for an `s3://` backup target, checked against the URI's bucket. */
async function bucketFor(
  uri: string,
  configPath: string | undefined,
  profile: string | undefined,
): Promise<{ store: ObjectStore; key: string }> {
  const { bucket, key, versionId } = parseS3Uri(uri);
  if (versionId !== undefined) {
    throw new UsageError(`give the version with --version-id, not in the URI ("${uri}")`);
  }
  const { config } = await loadConfig({ configPath, profile });
  const store = openObjectStore(config);
  if (store === undefined) {
    throw new UsageError(
      `"${uri}" needs the storage: section of the configuration (endpoint, bucket, credentials); ` +
        `${configPath ?? DEFAULT_CONFIG_PATH} has none`,
    );
  }
  if (store.bucket !== bucket) {
    throw new UsageError(
      `"${uri}" names bucket "${bucket}", but the configured storage bucket is "${store.bucket}"`,
    );
  }
  return { store, key };
}

/** A run left `running`, as `gam db status` reports it. */
interface RunningReport {
  id: string;
  startedAt: string;
  owner: { host: string; pid: number } | null;
  silentSeconds: number;
  verdict: "alive" | "fresh" | "dead" | "stale";
  reason: string;
}

async function runningWithVerdicts(db: Database): Promise<RunningReport[]> {
  return (await db.repo.runningRuns()).map((r) => {
    const v = judgeRun(r);
    return {
      id: r.id,
      startedAt: r.startedAt.toISOString(),
      owner: r.owner ? { host: r.owner.host, pid: r.owner.pid } : null,
      silentSeconds: Math.round(r.silentSeconds),
      verdict: v.state,
      reason: v.reason,
    };
  });
}

const HELP = `Usage: gam db <migrate|status|backup TARGET|restore SOURCE> [options]

Manages the database: PostgreSQL + PostGIS when DATABASE_URL (or --database-url) is set, otherwise
the embedded PGlite database in <output-dir>/db.

Subcommands:
  migrate        Apply pending migrations (in order, each in a transaction, under an advisory lock)
  status         List applied and pending migrations, and runs left 'running' with a verdict on
                 each (alive, fresh, dead, stale: dead and stale ones are marked interrupted by
                 the next gam run or gam serve); exit 1 when a migration is pending or an
                 applied file has changed (a deploy script can gate on it)
  backup TARGET  Write a backup: pg_dump custom format (server) or PGlite data-dir dump (embedded),
                 to a FILE or to s3://BUCKET/KEY (the configured storage bucket; the backup's
                 SHA-256 goes in the object's metadata; a KEY ending in / is a folder, where a
                 time-named dump is written); also --to TARGET
  restore SOURCE Replace the database's contents with a backup made by 'gam db backup', from a
                 FILE or from s3://BUCKET/KEY (its SHA-256 is checked before the database is
                 touched; a KEY ending in / is a folder: its newest dump of this engine, e.g.
                 the scheduled backups' s3://BUCKET/phase1/backups/); also --from SOURCE

Options:
  --database-url URL     Server to use (default: the DATABASE_URL environment variable)
  --output-dir DIR       Output folder; the embedded database lives in DIR/db (default out, as
                         for gam run)
  --data-dir DIR         Embedded database folder (overrides --output-dir)
  --migrations-dir DIR   Migrations folder (default: the project's migrations/)
  --json                 Machine-readable result on stdout
  --to TARGET            backup: where to (a file or s3://BUCKET/KEY), instead of the argument
  --from SOURCE          restore: where from (a file or s3://BUCKET/KEY), instead of the argument
  --version-id ID        restore: that version of the s3:// object (default: the current one)
  --config FILE          Configuration with the storage: section, for s3:// targets (default
                         ${DEFAULT_CONFIG_PATH})
  --profile NAME         Configuration profile
  --metrics-file PATH    backup: write gam_db_backup_last_success_timestamp_seconds and the
                         backup's size for node_exporter's textfile collector (PATH ends in .prom)
  --pushgateway URL      backup: push the same metrics to a Prometheus Pushgateway (job
                         gam-backup), which the GamDatabaseBackupStale alert watches
  -h, --help             Show this help

Exit status: 0 success, 1 runtime failure (database, changed migration, tool), 2 usage error.`;

/** `gam db`. */
export const dbCommand: Command = {
  name: "db",
  help: HELP,
  async run(args) {
    const { values, positionals, help } = parseFlags(args, {
      "database-url": { type: "string" },
      "output-dir": { type: "string" },
      "data-dir": { type: "string" },
      "migrations-dir": { type: "string" },
      json: { type: "boolean" },
      "metrics-file": { type: "string" },
      pushgateway: { type: "string" },
      to: { type: "string" },
      from: { type: "string" },
      "version-id": { type: "string" },
      config: { type: "string" },
      profile: { type: "string" },
    });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    const subs = ["migrate", "status", "backup", "restore"];
    if (sub === undefined) {
      throw new UsageError(`gam db needs a subcommand: one of ${subs.join(", ")}`);
    }
    if (!subs.includes(sub)) {
      throw new UsageError(`unknown subcommand "${sub}"; expected one of ${subs.join(", ")}`);
    }
    const needsFile = sub === "backup" || sub === "restore";
    const flagName = sub === "backup" ? "to" : "from";
    const flagged = values[flagName] as string | undefined;
    const targets = [...rest, ...(needsFile && flagged !== undefined ? [flagged] : [])];
    if (needsFile && targets.length !== 1) {
      throw new UsageError(
        `gam db ${sub} needs exactly one ${sub === "backup" ? "TARGET" : "SOURCE"} (a file or ` +
          `s3://BUCKET/KEY, as the argument or --${flagName}), got ${targets.length}`,
      );
    }
    if (!needsFile && flagged !== undefined) {
      throw new UsageError(
        `--${flagName} is for gam db ${sub === "migrate" ? "backup" : "restore"}`,
      );
    }
    if (values["version-id"] !== undefined && !(sub === "restore" && isS3Uri(targets[0]))) {
      throw new UsageError("--version-id is for gam db restore from an s3:// object");
    }
    if (!needsFile && rest.length > 0) {
      throw new UsageError(`gam db ${sub} takes no arguments, got "${rest.join(" ")}"`);
    }
    const json = values.json === true;
    const migrationsDir = values["migrations-dir"] as string | undefined;
    const dataDir = (values["data-dir"] as string | undefined) ??
      join((values["output-dir"] as string | undefined) ?? "out", "db");
    const url = (values["database-url"] as string | undefined) ?? undefined;

    // An s3:// target needs the configured bucket (endpoint, credentials): opened before the
    // database, so a configuration problem changes nothing.
    const target = needsFile ? targets[0] : undefined;
    const bucket = target !== undefined && isS3Uri(target)
      ? await bucketFor(
        target,
        values.config as string | undefined,
        values.profile as string | undefined,
      )
      : undefined;
    const db: Database = await openDatabase({
      url,
      dataDir,
      migrationsDir,
      migrate: false,
    });
    const say = (line: string) => {
      if (!json) console.log(line);
    };
    try {
      say(`database: ${db.engine} ${db.location}`);
      if (sub === "migrate") {
        const report = await db.migrate({
          onApplied: (m) =>
            say(
              `applied ${String(m.version).padStart(4, "0")}_${m.name} (${
                m.milliseconds.toFixed(0)
              } ms)`,
            ),
        });
        if (json) console.log(JSON.stringify({ engine: db.engine, ...report }));
        else say(`${report.applied.length} applied, ${report.alreadyApplied} already applied`);
        return EXIT_OK;
      }
      if (sub === "status") {
        const st = await db.migrationStatus();
        const bad = st.applied.filter((a) => a.changed || a.missing);
        // Leases need migration 0003; an older schema has no owners to judge.
        const leases = st.applied.some((a) => a.version === 3 && !a.missing);
        const running = leases ? await runningWithVerdicts(db) : undefined;
        if (json) {
          console.log(JSON.stringify({
            engine: db.engine,
            applied: st.applied,
            pending: st.pending.map((p) => ({
              version: p.version,
              name: p.name,
              checksum: p.checksum,
            })),
            running: running ?? null,
          }));
        } else {
          for (const a of st.applied) {
            const flag = a.missing ? "  MISSING FILE" : a.changed ? "  CHANGED SINCE APPLIED" : "";
            say(
              `applied  ${
                String(a.version).padStart(4, "0")
              }_${a.name}  ${a.appliedAt.toISOString()}${flag}`,
            );
          }
          for (const p of st.pending) {
            say(`pending  ${String(p.version).padStart(4, "0")}_${p.name}`);
          }
          say(`${st.applied.length} applied, ${st.pending.length} pending`);
          if (running === undefined) {
            say("runs: not listed until migration 0003 is applied (gam db migrate)");
          } else {
            for (const r of running) {
              say(
                `running  ${r.id}  started ${r.startedAt}  ${r.verdict}: ${r.reason}` +
                  (r.verdict === "dead" || r.verdict === "stale"
                    ? " (marked interrupted at the next gam run or gam serve)"
                    : ""),
              );
            }
            const left = running.filter((r) => r.verdict === "dead" || r.verdict === "stale");
            say(`${running.length} run(s) left running, ${left.length} of them dead or stale`);
          }
        }
        if (bad.length) {
          console.error(
            `gam db status: ${bad.length} applied migration(s) changed or missing: ${
              bad.map((b) => `${String(b.version).padStart(4, "0")}_${b.name}`).join(", ")
            }`,
          );
          return EXIT_FAILURE;
        }
        if (st.pending.length > 0) {
          console.error(
            `gam db status: ${st.pending.length} migration(s) pending: ${
              st.pending.map((p) => `${String(p.version).padStart(4, "0")}_${p.name}`).join(", ")
            } (apply with gam db migrate)`,
          );
          return EXIT_FAILURE;
        }
        return EXIT_OK;
      }
      const file = target!;
      if (sub === "backup") {
        let info: { bytes: number; format: string; rows: Record<string, number> };
        if (bucket !== undefined) {
          // A folder (`.../`): a time-named dump in it, as the scheduled backups are named.
          const key = bucket.key.endsWith("/")
            ? backupKeys(bucket.key, db.engine, new Date()).data
            : bucket.key;
          const up = await backupToBucket(db, bucket.store, key);
          info = up;
          if (json) console.log(JSON.stringify({ engine: db.engine, ...up }));
          else say(`wrote ${up.uri} (${up.bytes} bytes, ${up.format}, ${up.sha256})`);
        } else {
          const local = await db.backup(file);
          info = local;
          if (json) console.log(JSON.stringify({ engine: db.engine, ...local }));
          else say(`wrote ${local.file} (${local.bytes} bytes, ${local.format})`);
        }
        if (!json) { for (const [t, r] of Object.entries(info.rows)) say(`  ${t}: ${r} rows`); }
        const metricsFile = values["metrics-file"] as string | undefined;
        const pushUrl = values.pushgateway as string | undefined;
        if (metricsFile || pushUrl) {
          const registry = new MetricsRegistry();
          const metrics = backupMetrics(registry);
          metrics.lastSuccess.set(Date.now() / 1000);
          metrics.size.set(info.bytes);
          await exportFinalMetrics({
            registry,
            command: "gam db backup",
            file: metricsFile,
            push: pushUrl ? { url: pushUrl, job: "gam-backup" } : undefined,
          });
        }
        return EXIT_OK;
      }
      if (bucket !== undefined) {
        // A folder (`.../`): its newest dump of this engine (keys sort by time).
        const key = bucket.key.endsWith("/")
          ? await latestBackup(bucket.store, bucket.key, db.engine)
          : bucket.key;
        const r = await restoreFromBucket(db, bucket.store, key, {
          versionId: values["version-id"] as string | undefined,
        });
        if (json) console.log(JSON.stringify({ engine: db.engine, restored: r.uri, ...r }));
        else say(`restored ${r.uri} (${r.sha256} checked)`);
        return EXIT_OK;
      }
      await db.restore(file);
      if (json) console.log(JSON.stringify({ engine: db.engine, restored: file }));
      else say(`restored ${file}`);
      return EXIT_OK;
    } finally {
      await db.close();
    }
  },
};

import assert from "node:assert/strict";
import { contentChecksums, openDatabase } from "../persistence/mod.ts";
import { scratchDatabase, SERVER_URL } from "../persistence/_testing.ts";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { gam } from "../../tests/_gam_cli.ts";
import { storageConfig } from "../../tests/storage/_storage_config.ts";
import { withTestS3Server } from "./_testing.ts";
import { startBackupSchedule } from "../job/mod.ts";
import { backupKeys, runScheduledBackup } from "./scheduled_backup.ts";
import { BACKUP_META } from "./db_backup.ts";

/** Both engines: the embedded one always, the server one when DATABASE_URL is set (CI). */
const ENGINES = ["pglite", ...(SERVER_URL ? ["postgres"] : [])] as const;
if (Deno.env.get("CI") && !SERVER_URL) {
  throw new Error("src/storage/db_backup_test.ts: DATABASE_URL must be set in CI");
}

for (const engine of ENGINES) {
  Deno.test({
    name: `gam db backup --to s3:// and restore --from s3:// (${engine}): SHA-256 in the ` +
      `metadata, checked on restore; a damaged object is refused and the database untouched`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await withTestS3Server(async (server) => {
        const dir = await moduleTempDir({ prefix: "gam-dbbackup-" });
        const bucketName = "gam-backups";
        const bucket = await server.store(bucketName);
        const { path: config, env } = await storageConfig(dir, server, bucketName);
        const scratch = engine === "postgres" ? await scratchDatabase("gam_dr_backup") : undefined;
        const dbFlags = scratch ? ["--database-url", scratch.url] : ["--data-dir", `${dir}/db`];
        const envFor = { ...env, ...(scratch ? {} : { DATABASE_URL: "" }) };
        const open = () =>
          openDatabase(
            scratch ? { url: scratch.url, migrate: true } : { url: null, dataDir: `${dir}/db` },
          );
        try {
          const db = await open();
          await db.repo.createRun({ id: "before-backup" });
          const before = await contentChecksums(db.sql);
          await db.close();

          const uri = `s3://${bucketName}/backups/test/${engine}.bin`;
          const up = await gam(
            ["db", "backup", "--to", uri, "--config", config, "--json", ...dbFlags],
            envFor,
          );
          assert.equal(up.code, 0, up.stderr);
          const info = JSON.parse(up.stdout);
          assert.match(info.sha256, /^sha256:[0-9a-f]{64}$/);
          assert.equal(info.rows.runs, 1);
          const head = await bucket.head(`backups/test/${engine}.bin`);
          assert.equal(head?.sha256, info.sha256, "the SHA-256 is in the object's metadata");
          assert.equal(head?.metadata?.[BACKUP_META.engine], engine);
          assert.equal(head?.versionId, info.versionId);

          // Changes after the backup are undone by the restore.
          const db2 = await open();
          await db2.repo.createRun({ id: "after-backup" });
          await db2.close();
          const down = await gam(
            ["db", "restore", "--from", uri, "--config", config, ...dbFlags],
            envFor,
          );
          assert.equal(down.code, 0, down.stderr + down.stdout);
          assert.match(down.stdout, /checked/);
          const db3 = await open();
          assert.deepEqual(await contentChecksums(db3.sql), before);
          await db3.repo.createRun({ id: "after-restore" });
          const changed = await contentChecksums(db3.sql);
          await db3.close();

          // A second backup to the same key is a new version; --version-id restores the first.
          const up2 = await gam(
            ["db", "backup", "--to", uri, "--config", config, "--json", ...dbFlags],
            envFor,
          );
          assert.equal(up2.code, 0, up2.stderr);
          assert.notEqual(JSON.parse(up2.stdout).versionId, info.versionId);
          const older = await gam(
            [
              "db",
              "restore",
              "--from",
              uri,
              "--version-id",
              info.versionId,
              "--config",
              config,
              ...dbFlags,
            ],
            envFor,
          );
          assert.equal(older.code, 0, older.stderr + older.stdout);
          const db5 = await open();
          assert.deepEqual(await contentChecksums(db5.sql), before, "the first version's data");
          await db5.close();
          // Back to the newest version before the damage test below.
          const newest = await gam(
            ["db", "restore", "--from", uri, "--config", config, ...dbFlags],
            envFor,
          );
          assert.equal(newest.code, 0, newest.stderr);

          // The object is damaged on the server's disk: the restore refuses it before touching
          // the database.
          const onDisk = `${server.dataDir}/${bucketName}/backups/test/${engine}.bin`;
          const bytes = await Deno.readFile(onDisk);
          bytes[bytes.length >> 1] ^= 0xff;
          await Deno.writeFile(onDisk, bytes);
          const refused = await gam(
            ["db", "restore", "--from", uri, "--config", config, ...dbFlags],
            envFor,
          );
          assert.equal(refused.code, 1, refused.stderr);
          assert.match(refused.stderr, /sha256|checksum/i);
          const db4 = await open();
          assert.deepEqual(await contentChecksums(db4.sql), changed, "the database is untouched");
          await db4.close();

          // A URI naming another bucket than the configured one is a usage error.
          const other = await gam(
            ["db", "backup", "s3://other-bucket/x.bin", "--config", config, ...dbFlags],
            envFor,
          );
          assert.equal(other.code, 2, other.stderr);
          assert.match(other.stderr, /configured storage bucket is "gam-backups"/);
        } finally {
          await scratch?.drop();
        }
      });
    },
  });
}

Deno.test({
  name: "the backup schedule writes a data dump and a schema snapshot and records the success time",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTestS3Server(async (server) => {
      const dir = await moduleTempDir({ prefix: "gam-dbbackup-" });
      const store = await server.store("gam-sched");
      const db = await openDatabase({ url: null, dataDir: `${dir}/db` });
      const registry = new MetricsRegistry();
      try {
        await db.repo.createRun({ id: "scheduled" });
        const startedAt = Date.now() / 1000;
        const done = Promise.withResolvers<string>();
        // Every second (croner's seconds field): the first firing is awaited, no sleep.
        const schedule = startBackupSchedule({
          schedule: () => "* * * * * *",
          run: async () => {
            const info = await runScheduledBackup(db, store, {
              base: "phase1/backups",
              schema: true,
            });
            done.resolve(info.schemaUri ?? "");
            return { bytes: info.bytes, uri: info.uri };
          },
          logger: createLogger({ level: "error", sink: () => {} }),
          registry,
        });
        const schemaUri = await done.promise;
        await schedule.stop();
        const metrics = await registry.render();
        const stamp = Number(
          /^gam_db_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1],
        );
        // Set after the backup finished (the gauge is printed to the millisecond).
        assert.ok(stamp >= startedAt - 0.001 && stamp <= Date.now() / 1000 + 0.001, metrics);
        assert.match(metrics, /gam_db_backup_size_bytes [1-9]/);
        assert.match(metrics, /gam_db_backup_schedule_period_seconds 1\n/, "every second");
        const keys: string[] = [];
        for await (const o of store.list("phase1/backups/")) keys.push(o.key);
        assert.equal(keys.length, 2, keys.join(", "));
        assert.ok(keys.some((k) => k.endsWith("-pglite-data.tar.gz")));
        const schemaKey = keys.find((k) => k.endsWith("-pglite-schema.json"))!;
        assert.ok(schemaUri.includes(schemaKey));
        const snapshot = JSON.parse(
          new TextDecoder().decode((await store.getBytes(schemaKey)).bytes),
        );
        assert.ok(snapshot.tables.runs.columns.some((c: { name: string }) => c.name === "id"));
        assert.ok(snapshot.migrations.length >= 3);
        // Keys sort by time within the date folder.
        const k = backupKeys("p", "postgres", new Date("2026-12-04T22:00:00.5Z"));
        assert.equal(k.data, "p/2026-12-04/20261204T220000Z-postgres-data.dump");
      } finally {
        await db.close();
      }
    });
  },
});

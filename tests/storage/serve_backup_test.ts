/**
 * `gam serve` with `storage:` configured backs the database up to the bucket (here at start,
 * `--backup-now`; otherwise on `storage.backup.schedule`) and exposes the success time and the
 * schedule's period on /metrics, where the GamDatabaseBackupStale alert reads them.
 */
import assert from "node:assert/strict";
import { startTestS3Server } from "../../src/storage/_testing.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { gam, ROOT } from "../_gam_cli.ts";
import { contentChecksums, openDatabase } from "../../src/persistence/mod.ts";
import { storageConfig } from "./_storage_config.ts";

Deno.test({
  name: "gam serve --backup-now writes a data dump and a schema snapshot to the bucket and " +
    "records the success on /metrics",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startTestS3Server();
    try {
      const dir = await moduleTempDir({ prefix: "gam-serve-backup-" });
      const { path, env } = await storageConfig(dir, server, "gam-serve", (c) => {
        c.defaults.logLevel = "info";
        c.service.listen = "127.0.0.1:0";
      });
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-worker-options",
          `${ROOT}src/cli/main.ts`,
          "serve",
          "--config",
          path,
          "--backup-now",
        ],
        cwd: ROOT,
        env: { ...env, DATABASE_URL: "", NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      let base: string | undefined;
      // The log line of the finished backup is the event awaited (no polling).
      while (!/database backup (written|failed)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        base ??= /listening on (http:\/\/[^ ]+)/.exec(text)?.[1];
      }
      const drained = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += value;
        }
      })();
      try {
        assert.match(text, /database backup written/, text);
        assert.ok(base, text);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        const stamp = Number(
          /^gam_db_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1],
        );
        assert.ok(stamp > 0 && stamp <= Date.now() / 1000 + 0.001, metrics);
        // The default schedule is weekly: the alert allows a week plus 2 hours.
        assert.match(metrics, /gam_db_backup_schedule_period_seconds 604800\n/);
        const store = await server.store("gam-serve");
        const keys: string[] = [];
        for await (const o of store.list("phase1/backups/")) keys.push(o.key);
        assert.equal(keys.length, 2, keys.join(", "));
        assert.ok(keys.some((k) => /-pglite-data\.tar\.gz$/.test(k)), keys.join(", "));
        assert.ok(keys.some((k) => /-pglite-schema\.json$/.test(k)), keys.join(", "));
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await drained;
      }

      // With the service stopped: a manual backup into the same folder (a time-named key),
      // then a restore from the folder takes the newest one, into a fresh data folder.
      const cli = { ...env, DATABASE_URL: "" };
      const folder = "s3://gam-serve/phase1/backups/";
      const manual = await gam(
        ["db", "backup", "--to", folder, "--config", path, "--data-dir", `${dir}/out/db`, "--json"],
        cli,
      );
      assert.equal(manual.code, 0, manual.stderr);
      const written = JSON.parse(manual.stdout).uri as string;
      assert.match(
        written,
        /^s3:\/\/gam-serve\/phase1\/backups\/\d{4}-\d\d-\d\d\/\d{8}T\d{6}Z-pglite-data\.tar\.gz/,
      );
      const restored = await gam(
        ["db", "restore", "--from", folder, "--config", path, "--data-dir", `${dir}/restored`],
        cli,
      );
      assert.equal(restored.code, 0, restored.stderr + restored.stdout);
      assert.ok(
        restored.stdout.includes(written.replace(/\?versionId=.*$/, "")),
        `the newest backup was restored: ${restored.stdout}`,
      );
      const db = await openDatabase({ url: null, dataDir: `${dir}/restored`, migrate: false });
      try {
        assert.ok((await contentChecksums(db.sql)).schema_migrations.rows >= 3);
      } finally {
        await db.close();
      }
    } finally {
      await server.stop();
    }
  },
});

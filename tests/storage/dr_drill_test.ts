/**
 * The disaster-recovery drill of the README ("Backups and disaster recovery"), run as a user
 * runs it, on the server database (DATABASE_URL, as in CI) and on the embedded one: real `gam`
 * child processes, a loopback S3 server (versitygw), real plugins and data.
 *
 * 1. `gam run` both modalities with `storage:` configured (artefacts uploaded, cache mirrored);
 * 2. `gam db backup --to s3://...`;
 * 3. the disaster: the database, the cache folder and the output folder are destroyed;
 * 4. `gam db restore --from s3://...`: every table's row count and checksum equal the ones
 *    before the disaster;
 * 5. `gam storage rehydrate --all`: the cache entries the runs' manifests list come back;
 * 6. `gam run` the same bbox again: served from the cache (no fetch, no recomputation), the
 *    grids' checksums equal the first run's.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { contentChecksums, openDatabase } from "../../src/persistence/mod.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";
import { startTestS3Server } from "../../src/storage/_testing.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { gam } from "../_gam_cli.ts";
import { storageConfig } from "./_storage_config.ts";

if (Deno.env.get("CI") && !SERVER_URL) {
  throw new Error("tests/storage/dr_drill_test.ts: DATABASE_URL must be set in CI");
}
const ENGINES = ["pglite", ...(SERVER_URL ? ["postgres"] : [])] as const;

interface GridSummary {
  branch: string;
  checksum: string;
}
interface ModalitySummary {
  modality: string;
  outcome: string;
  cache: string;
  grids: GridSummary[];
}

function gridChecksums(summary: { modalities: ModalitySummary[] }): Record<string, string> {
  return Object.fromEntries(
    summary.modalities.flatMap((m) =>
      m.grids.map((g) => [`${m.modality}/${g.branch}`, g.checksum])
    ),
  );
}

/** Empties a server database: dropped and created again, empty (no extension, no table). */
async function recreateDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = postgres(SERVER_URL!, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

for (const engine of ENGINES) {
  Deno.test({
    name: `disaster-recovery drill (${engine}): restore from the bucket, rehydrate, rerun from ` +
      `the cache with equal tables and grids`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const server = await startTestS3Server();
      const scratch = engine === "postgres" ? await scratchDatabase("gam_dr_drill") : undefined;
      try {
        const dir = await moduleTempDir({ prefix: "gam-dr-" });
        const bucket = "gam-dr";
        const { path: config, env: s3env } = await storageConfig(dir, server, bucket);
        const env = { ...s3env, DATABASE_URL: scratch?.url ?? "" };
        const dbFlags = scratch ? ["--database-url", scratch.url] : ["--data-dir", `${dir}/out/db`];
        const open = () =>
          openDatabase(
            scratch ? { url: scratch.url } : { url: null, dataDir: `${dir}/out/db` },
          );
        if (scratch) {
          const m = await gam(["db", "migrate", ...dbFlags], env);
          assert.equal(m.code, 0, m.stderr);
        }

        // 1. Both modalities with storage configured.
        const first = await gam(["run", "--config", config, "--json"], env);
        assert.equal(first.code, 0, first.stderr);
        const before = JSON.parse(first.stdout);
        assert.deepEqual(
          before.modalities.map((m: ModalitySummary) => [m.modality, m.outcome, m.cache]),
          [["gravity", "ok", "miss"], ["magnetic", "ok", "miss"]],
        );
        assert.equal(before.storage?.status, "uploaded", JSON.stringify(before.storage));
        const grids = gridChecksums(before);
        assert.ok(Object.keys(grids).length >= 2);
        const db1 = await open();
        const tables = await contentChecksums(db1.sql);
        await db1.close();
        assert.ok(tables.grids.rows >= 2 && tables.runs.rows === 1, JSON.stringify(tables));
        const ls = await gam(["cache", "ls", "--config", config, "--json"], env);
        const entries = JSON.parse(ls.stdout).entries as {
          path: string;
          replication: { state: string };
        }[];
        assert.ok(entries.length >= 4, ls.stdout);
        assert.ok(
          entries.every((e) => e.replication.state === "replicated"),
          "gam run waited for its cache replications: " + ls.stdout,
        );

        // 2. Backup to the bucket.
        const uri = `s3://${bucket}/phase1/backups/drill/${engine}.backup`;
        const backup = await gam(
          ["db", "backup", "--to", uri, "--config", config, ...dbFlags, "--json"],
          env,
        );
        assert.equal(backup.code, 0, backup.stderr);

        // 3. The disaster.
        await Deno.remove(`${dir}/cache`, { recursive: true });
        await Deno.remove(`${dir}/out`, { recursive: true });
        if (scratch) await recreateDatabase(scratch.url);

        // 4. Restore: every table as before the disaster.
        if (!scratch) await Deno.mkdir(`${dir}/out/db`, { recursive: true });
        const restore = await gam(
          ["db", "restore", "--from", uri, "--config", config, ...dbFlags],
          env,
        );
        assert.equal(restore.code, 0, restore.stderr + restore.stdout);
        const db2 = await open();
        assert.deepEqual(await contentChecksums(db2.sql), tables);
        await db2.close();

        // 5. Rehydrate the cache from the bucket, using the runs' manifests.
        const rehydrate = await gam(
          ["storage", "rehydrate", "--all", "--config", config, "--json"],
          env,
        );
        assert.equal(rehydrate.code, 0, rehydrate.stderr + rehydrate.stdout);
        const [report] = JSON.parse(rehydrate.stdout).runs;
        assert.equal(report.runId, before.runId);
        assert.deepEqual(report.missing, []);
        assert.deepEqual(
          [...report.fetched].sort(),
          entries.map((e) => e.path).sort(),
          "every entry the run used came back",
        );

        // One run by its id: everything is already local now.
        const byId = await gam(
          ["storage", "rehydrate", before.runId, "--config", config, "--json"],
          env,
        );
        assert.equal(byId.code, 0, byId.stderr + byId.stdout);
        const [again] = JSON.parse(byId.stdout).runs;
        assert.deepEqual([again.fetched, again.missing], [[], []]);
        assert.equal(again.present.length, entries.length);
        const usage = await gam(["storage", "rehydrate", "--config", config], env);
        assert.equal(usage.code, 2, usage.stderr);

        // 6. Rerun the same bbox: from the cache, same grids.
        const second = await gam(
          ["run", "--config", config, "--json", "--metrics-file", `${dir}/run.prom`],
          env,
        );
        assert.equal(second.code, 0, second.stderr);
        const after = JSON.parse(second.stdout);
        assert.deepEqual(
          after.modalities.map((m: ModalitySummary) => [m.modality, m.outcome, m.cache]),
          [["gravity", "ok", "hit"], ["magnetic", "ok", "hit"]],
        );
        assert.deepEqual(gridChecksums(after), grids);
        const manifest = JSON.parse(await Deno.readTextFile(`${after.runDir}/manifest.json`));
        for (const m of ["gravity", "magnetic"]) {
          assert.deepEqual(manifest.ingestion[m].fetches, [], `${m}: no fetch from the source`);
        }
        const prom = await Deno.readTextFile(`${dir}/run.prom`);
        assert.doesNotMatch(prom, /gam_cache_requests_total\{[^}]*outcome="miss"[^}]*\} [1-9]/);
        assert.match(
          prom,
          /gam_cache_requests_total\{layer="preprocessing",outcome="hit"\} [1-9]/,
          "the grids came from the cache, not recomputed",
        );
      } finally {
        await server.stop();
        await scratch?.drop();
      }
    },
  });
}

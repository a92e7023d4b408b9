/**
 * Deployment gating on a PostgreSQL server (DATABASE_URL): migrations are applied only by
 * `gam db migrate`; `gam run` and `gam serve` refuse a database with pending or changed
 * migrations (exit 2, naming them) and do nothing else; `gam db status` exits 1 while any is
 * pending. Each step runs the real CLI against a scratch database of the server.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { exists, gam, ROOT } from "../_gam_cli.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";

const MIGRATIONS = `${ROOT}migrations/`;

async function quickConfig(dir: string): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<string, any>;
  c.defaults.bbox = [10.0, 45.0, 10.2, 45.2];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  c.modalities.magnetic.enabled = false;
  c.service.listen = "127.0.0.1:0";
  await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
  return `${dir}/ingestion.yaml`;
}

/** A copy of migrations/ with only the files `keep` accepts, and `edit` applied to their text. */
async function migrationsCopy(
  dir: string,
  keep: (name: string) => boolean,
  edit: (name: string, sql: string) => string = (_n, s) => s,
): Promise<string> {
  const out = `${dir}/migrations-${crypto.randomUUID().slice(0, 6)}`;
  await Deno.mkdir(out);
  for (const e of Deno.readDirSync(MIGRATIONS)) {
    if (!e.name.endsWith(".sql") || !keep(e.name)) continue;
    await Deno.writeTextFile(
      `${out}/${e.name}`,
      edit(e.name, await Deno.readTextFile(`${MIGRATIONS}${e.name}`)),
    );
  }
  return out;
}

const all = [...Deno.readDirSync(MIGRATIONS)].map((e) => e.name).filter((n) => n.endsWith(".sql"))
  .sort();
const last = all[all.length - 1].replace(/\.sql$/, "");

Deno.test({
  name: "a server database is migrated only by gam db migrate; run and serve refuse it until then",
  ignore: !SERVER_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "gam-gate-" });
    const scratch = await scratchDatabase("gam_gate");
    const env = { DATABASE_URL: scratch.url };
    try {
      const config = await quickConfig(dir);

      await t.step("on an empty database: status 1, run and serve 2, nothing created", async () => {
        const st = await gam(["db", "status"], env);
        assert.equal(st.code, 1, st.stderr);
        assert.match(st.stderr, new RegExp(`${all.length} migration\\(s\\) pending: .*${last}`));
        const run = await gam(["run", "--config", config], env);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`${all.length} pending migration\\(s\\): 0001_`));
        assert.match(run.stderr, /gam db migrate/);
        // Only the refused run's log (it says why), no outputs.
        for (const r of Deno.readDirSync(`${dir}/out/runs`)) {
          const files = [...Deno.readDirSync(`${dir}/out/runs/${r.name}`)].map((e) => e.name);
          assert.deepEqual(files, ["log.jsonl"]);
        }
        assert.equal(await exists(`${dir}/out/db`), false, "no embedded database either");
        const serve = await gam(["serve", "--config", config], env);
        assert.equal(serve.code, 2, serve.stderr);
        assert.match(serve.stderr, new RegExp(`pending migration\\(s\\): .*${last}`));
        // Refusing applied nothing.
        assert.equal((await gam(["db", "status"], env)).code, 1);
      });

      await t.step("one migration behind: named, and status still 1", async () => {
        const older = await migrationsCopy(dir, (n) => !n.startsWith(last));
        const m = await gam(["db", "migrate", "--migrations-dir", older], env);
        assert.equal(m.code, 0, m.stderr);
        const st = await gam(["db", "status", "--json"], env);
        assert.equal(st.code, 1);
        assert.deepEqual(
          JSON.parse(st.stdout).pending.map((p: { name: string }) => p.name),
          [last.slice(5)],
        );
        const run = await gam(["run", "--config", config], env);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`1 pending migration\\(s\\): ${last}\\b`));
      });

      await t.step("after gam db migrate: status 0 and the run goes", async () => {
        const m = await gam(["db", "migrate"], env);
        assert.equal(m.code, 0, m.stderr);
        assert.match(m.stdout, new RegExp(`applied ${last}`));
        assert.equal((await gam(["db", "status"], env)).code, 0);
        const run = await gam(["run", "--config", config, "--json"], env);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).status, "succeeded");
      });

      await t.step("a changed applied migration is named and refused", async () => {
        // The same versions, one file edited since it was applied (as a bad merge would).
        const changed = await migrationsCopy(
          dir,
          () => true,
          (n, sql) => n.startsWith(last) ? `${sql}\n-- edited after release\n` : sql,
        );
        const st = await gam(["db", "status", "--migrations-dir", changed], env);
        assert.equal(st.code, 1);
        assert.match(st.stderr, new RegExp(`changed or missing: ${last}`));
        // gam run reads the project's migrations/: make the database's record differ instead.
        const sql = (await import("postgres")).default(scratch.url, { max: 1, onnotice: () => {} });
        try {
          await sql`UPDATE schema_migrations SET checksum = ${"0".repeat(64)} WHERE version = ${
            Number(last.slice(0, 4))
          }`;
        } finally {
          await sql.end({ timeout: 1 });
        }
        const run = await gam(["run", "--config", config], env);
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`1 applied migration\\(s\\) changed or missing: ${last}`),
        );
      });
    } finally {
      await scratch.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * Attack 3 of issue 14 as a user meets it: a real `gam run` of two modalities where one
 * plugin exhausts its memory. The other modality's results are persisted, the summary is
 * printed, the run ends `partial` (exit 1) and nothing stays `running`.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { openDatabase } from "../../src/persistence/mod.ts";
import { gam, ROOT } from "../_gam_cli.ts";
import { pluginSource } from "./_attack.ts";

Deno.test({
  name:
    "gam run: a plugin running out of heap fails only its modality; the other is persisted and the summary printed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-sandbox-run-" }));
    try {
      await Deno.mkdir(`${dir}/hog`);
      await Deno.writeTextFile(
        `${dir}/hog/mod.ts`,
        pluginSource("hog", {
          fetch: "const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));",
        }),
      );
      // deno-lint-ignore no-explicit-any
      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as any;
      c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
      c.defaults.outputDir = `${dir}/out`;
      c.defaults.cacheDir = `${dir}/cache`;
      c.defaults.logLevel = "warn";
      c.modalities.magnetic.source = {
        type: "plugin",
        plugin: "hog",
        module: `${dir}/hog/mod.ts`,
        limits: { heapMb: 64 },
      };
      c.modalities.magnetic.retry = { maxAttempts: 1 };
      await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));

      const run = await gam(["run", "--config", `${dir}/ingestion.yaml`]);
      assert.equal(run.code, 1, run.stderr);
      const out = run.stdout + run.stderr;
      // The summary table: gravity ok, magnetic failed with the limit it hit.
      assert.match(out, /gravity\s+ok\s+[\d,]+/);
      assert.match(out, /magnetic\s+failed/);
      assert.match(
        out,
        /crashed: it exceeded its V8 heap limit of 64 MiB \(source.limits.heapMb\)/,
      );
      const m = /run (run-[\w-]+): partial/.exec(out);
      assert.ok(m, `the run line is printed:\n${out}`);

      const url = Deno.env.get("DATABASE_URL");
      const db = await openDatabase(url ? { url } : { dataDir: `${dir}/out/db` });
      try {
        const row = await db.repo.getRun(m[1]);
        assert.equal(row?.status, "partial");
        const grids = await db.repo.gridsInBbox([10.0, 45.0, 10.4, 45.4], { modality: "gravity" });
        assert.ok(grids.some((g) => g.storageUri.startsWith(`${dir}/out/runs/${m[1]}`)));
      } finally {
        await db.close();
      }
      const manifest = JSON.parse(
        await Deno.readTextFile(`${dir}/out/runs/${m[1]}/manifest.json`),
      );
      assert.match(manifest.plugins.gravity.graphHash, /^sha256:[0-9a-f]{64}$/);
      assert.match(manifest.plugins.gravity.module, /src\/plugins\/synthetic\/mod\.ts$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

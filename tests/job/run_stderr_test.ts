/**
 * `gam run` with stderr not a terminal (a pipe, as in CI and services): stderr carries JSON log
 * lines only, progress included as `"progress"` records, never plain progress text between them.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";

Deno.test({
  name: "gam run with stderr piped writes only JSON lines there, progress as records",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-run-stderr-" });
    try {
      // deno-lint-ignore no-explicit-any
      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as any;
      c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
      c.defaults.outputDir = `${dir}/out`;
      c.defaults.cacheDir = `${dir}/cache`;
      c.defaults.logLevel = "info";
      await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
      const r = await gam(
        ["run", "--config", `${dir}/ingestion.yaml`, "--modality", "magnetic", "--json"],
        { CI: "" },
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      assert.ok(lines.length > 0, "the run logs to stderr");
      const records = lines.map((l, i) => {
        try {
          return JSON.parse(l);
        } catch {
          throw new assert.AssertionError({ message: `stderr line ${i + 1} is not JSON: ${l}` });
        }
      });
      const progress = records.filter((x) => x.msg === "progress");
      assert.ok(progress.some((x) => x.task === "fetch"), "fetch progress is a record");
      assert.ok(
        progress.some((x) => /^grid \(/.test(x.task) && x.total === 0),
        "a grid stage is reported running (no fraction)",
      );
      assert.ok(progress.some((x) => x.outcome === "done"));
      assert.ok(records.some((x) => x.msg !== "progress"), "log lines share the stream");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

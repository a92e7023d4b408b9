/**
 * `deno task bench:regress --quick`, the regression gate the test task runs: every entry is
 * measured next to its reference tool (GMT, GDAL, scipy) and passes the committed baseline; the
 * same measurements judged against a baseline ten times better fail, naming the entries.
 */
import assert from "node:assert/strict";
import { ROOT } from "../_gam_cli.ts";

async function regress(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench:regress", "--quick", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "bench:regress --quick measures every entry beside its reference and passes the baseline",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-regress-test-" });
    try {
      const r = await regress("--out", `${dir}/record.json`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const record = JSON.parse(await Deno.readTextFile(`${dir}/record.json`));
      const names = record.entries.map((e: { name: string }) => e.name);
      assert.deepEqual(names, [
        "grid-blockmean",
        "grid-nearest",
        "grid-mincurv",
        "filter-gauss",
        "run-warm",
        "run-peak-mem",
        "ingest-gravity",
        "ingest-magnetic",
      ]);
      for (const e of record.entries) {
        const gated = !e.name.startsWith("ingest-");
        assert.equal(e.verdict, gated ? "ok" : "info", JSON.stringify(e));
        assert.ok(e.gam.seconds > 0 && e.gam.peakBytes > 0, JSON.stringify(e));
        if (e.name !== "run-peak-mem") {
          assert.ok(e.reference.seconds > 0, JSON.stringify(e));
          assert.equal(e.ratio, e.gam.seconds / e.reference.seconds);
        }
        assert.match(r.stdout, new RegExp(`^${e.name} .* ${e.verdict}$`, "m"));
      }

      // The same measurements against a baseline 10 times better: every entry regressed.
      const baseline = JSON.parse(await Deno.readTextFile(`${ROOT}bench/regress_baseline.json`));
      for (const k of Object.keys(baseline.quick)) baseline.quick[k] /= 10;
      await Deno.writeTextFile(`${dir}/baseline.json`, JSON.stringify(baseline));
      const judged = await regress(
        "--from-record",
        `${dir}/record.json`,
        "--baseline",
        `${dir}/baseline.json`,
        "--out",
        `${dir}/judged.json`,
      );
      assert.equal(judged.code, 1, judged.stdout + judged.stderr);
      assert.match(judged.stderr, /6 regression\(s\) beyond 100%: grid-blockmean \(ratio/);
      assert.match(judged.stderr, /run-peak-mem/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

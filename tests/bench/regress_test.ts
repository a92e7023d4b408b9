/**
 * `deno task bench:regress --quick`, the regression gate: every entry is measured next to its
 * reference tool (GMT, GDAL, scipy) and judged against a baseline. Tests never assert wall times
 * (or their ratios) on a shared machine: whether this machine's live ratios pass the committed
 * baseline is the gate's job when run on its own (`deno task bench:regress`, nightly), not this
 * test's. Here the same measurements judged against a baseline ten times better must fail
 * naming every gated entry, and against one a thousand times looser must pass.
 */
import assert from "node:assert/strict";
import { denoTask, ROOT } from "../_gam_cli.ts";

const regress = (...args: string[]) => denoTask("bench:regress", ["--quick", ...args]);

Deno.test({
  name: "bench:regress --quick measures every entry beside its reference and judges them",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-regress-test-" });
    try {
      const r = await regress("--out", `${dir}/record.json`);
      // 0: within the committed baseline; 1: a ratio beyond it (timing on a loaded machine).
      assert.ok(r.code === 0 || r.code === 1, r.stdout + r.stderr);
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
        if (gated) assert.ok(["ok", "regressed"].includes(e.verdict), JSON.stringify(e));
        else assert.equal(e.verdict, "info", JSON.stringify(e));
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

      // And against a baseline a thousand times looser: nothing regressed.
      for (const k of Object.keys(baseline.quick)) baseline.quick[k] *= 10_000;
      await Deno.writeTextFile(`${dir}/loose.json`, JSON.stringify(baseline));
      const loose = await regress(
        "--from-record",
        `${dir}/record.json`,
        "--baseline",
        `${dir}/loose.json`,
        "--out",
        `${dir}/loose-judged.json`,
      );
      assert.equal(loose.code, 0, loose.stdout + loose.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The committed Grafana dashboards are what monitoring/grafana/dashboards.ts generates. */
import assert from "node:assert/strict";
import { buildDashboards, panelQueries } from "../../monitoring/grafana/dashboards.ts";
import { ROOT } from "../_gam_cli.ts";

const DIR = `${ROOT}monitoring/grafana/dashboards/`;

Deno.test("the committed dashboards equal a fresh generation (deno task dashboards)", async () => {
  const fresh = buildDashboards();
  const committed = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".json"))
    .sort();
  assert.deepEqual(committed, Object.keys(fresh).sort());
  for (const [name, d] of Object.entries(fresh)) {
    assert.equal(
      await Deno.readTextFile(`${DIR}${name}`),
      JSON.stringify(d, null, 2) + "\n",
      `${name} is stale: run deno task dashboards`,
    );
  }
});

Deno.test("deno task dashboards --check fails on an edited or extra dashboard", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-dashboards-" });
  const task = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}scripts/dashboards.ts`, "--dir", dir, ...args],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
  try {
    assert.equal((await task()).code, 0); // writes a fresh set into dir
    assert.equal((await task("--check")).code, 0);
    const file = `${dir}/gam-queue.json`;
    const original = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, original.replace("Queue depth", "Queue length"));
    await Deno.writeTextFile(`${dir}/old.json`, "{}");
    const edited = await task("--check");
    assert.equal(edited.code, 1);
    const err = new TextDecoder().decode(edited.stderr);
    assert.match(err, /gam-queue\.json: differs/);
    assert.match(err, /old\.json: not generated/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every panel has a query, and each query has a unique panel title", () => {
  for (const [name, d] of Object.entries(buildDashboards())) {
    const panels = (d.panels ?? []).filter((p) => (p as { type?: string }).type !== "row");
    assert.equal(panelQueries(d).length >= panels.length, true, name);
    const titles = panels.map((p) => (p as { title?: string }).title);
    assert.equal(new Set(titles).size, titles.length, `${name}: duplicate titles`);
  }
});

/**
 * `gam plugin check` and `gam plugin ls` through the real CLI (a `deno run` of `main.ts`), with
 * real plugin processes.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { collect, ROOT, spawnGam } from "../../../tests/_gam_cli.ts";

const EXAMPLE = new URL("../../../examples/plugins/constant_field.ts", import.meta.url).pathname;

/** `gam <args>` from `cwd` through the tests' one runner. */
const gam = (args: string[], cwd = ROOT) => collect(spawnGam(args, { cwd }));

Deno.test("gam plugin check runs the example plugin in its sandbox and summarises what it returned", async () => {
  const r = await gam(["plugin", "check", EXAMPLE, "--bbox", "10,45,10.5,45.6", "--json"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.id, "constant-field");
  assert.equal(report.version, "1.1.0");
  assert.match(report.graphHash, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(report.requested, { net: [], read: [] });
  assert.equal(report.fetch.kind, "grid");
  // 0.1° spacing: 6 columns from 10 to 10.5, 7 rows from 45 to 45.6.
  assert.equal(report.fetch.size, "7 x 6");
  assert.equal(report.fetch.units, "mGal");
  assert.deepEqual(report.fetch.bbox, [10, 45, 10.5, 45.6]);
  assert.equal(report.fetch.bytes, (7 * 6 + 7 + 6) * 8);
  // The human summary says the same.
  const h = await gam([
    "plugin",
    "check",
    EXAMPLE,
    "--bbox",
    "10,45,10.5,45.6",
    "--modality",
    "magnetic",
  ]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /constant-field@1\.1\.0/);
  assert.match(h.stdout, /grid 7 x 6 in nT, 440 bytes/);
  assert.match(h.stdout, /result\s+ok/);
});

Deno.test("gam plugin check fails (exit 1) on a plugin that reaches host internals, and on one denied at fetch", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-check-" }));
  try {
    const errors = new URL("../../ingestion/errors.ts", import.meta.url).href;
    await Deno.writeTextFile(`${dir}/deno.json`, "{}\n");
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      `import { SourceHttpError } from ${JSON.stringify(errors)};\n` +
        `export const manifest = {}; export const x = SourceHttpError;\n`,
    );
    const r = await gam(["plugin", "check", `${dir}/mod.ts`, "--json"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.stage, "graph");
    assert.match(report.error, /errors\.ts, outside the plugin's package folder/);
    // A plugin that reads /etc/passwd in fetch() loads (it requests nothing) and is denied.
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      `import { type FetchRequest, type PluginManifest, pointsData } from "@gam/pipeline/plugin";
export const manifest: PluginManifest = { id: "peek", version: "0.1.0", apiVersion: "1.1.0",
  modalities: ["gravity"], description: "d", licence: "l", citation: "c",
  permissions: { net: [], read: [] } };
export function createPlugin() {
  return { async fetch(req: FetchRequest) {
    await Deno.readTextFile("/etc/passwd");
    return pointsData(req, { manifest, units: "mGal", lon: [], lat: [], value: [] });
  } };
}
`,
    );
    const p = await gam(["plugin", "check", `${dir}/mod.ts`, "--bbox", "10,45,11,46"]);
    assert.equal(p.code, 1, p.stderr + p.stdout);
    assert.match(p.stdout, /peek@0\.1\.0/);
    assert.match(p.stdout, /failed at fetch: .*denied read access.*\/etc\/passwd/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gam plugin check: usage errors exit 2", async () => {
  const bad = await gam(["plugin", "check", EXAMPLE, "--bbox", "10,45"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--bbox/);
  const none = await gam(["plugin", "check"]);
  assert.equal(none.code, 2);
  const sub = await gam(["plugin", "frobnicate"]);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /check, ls or init/);
});

Deno.test("gam plugin ls lists built-in and third-party plugins with versions, modules, graph hashes and grants", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-ls-" }));
  try {
    const config = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
    config.modalities.magnetic.source = {
      type: "plugin",
      plugin: "constant-field",
      module: EXAMPLE,
      params: { spacing: 0.1 },
      permissions: { net: [], read: [dir] },
    };
    await Deno.writeTextFile(`${dir}/gam.yaml`, stringify(config));
    const r = await gam(["plugin", "ls", "--config", `${dir}/gam.yaml`, "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const byModality = Object.fromEntries(rows.map((row) => [row.modality, row]));
    const g = byModality.gravity, m = byModality.magnetic;
    assert.equal(g.plugin, "synthetic");
    assert.equal(g.builtin, true);
    assert.match(String(g.module), /\/src\/plugins\/synthetic\/mod\.ts$/);
    assert.equal(m.plugin, "constant-field");
    assert.equal(m.builtin, false);
    assert.equal(m.version, "1.1.0");
    assert.equal(m.module, `file://${EXAMPLE}`);
    assert.deepEqual((m.granted as { read: string[] }).read, [dir]);
    // The graph hash is the one the sandbox computes (and check reports).
    const c = JSON.parse((await gam(["plugin", "check", EXAMPLE, "--json"])).stdout);
    assert.equal(m.graphHash, c.graphHash);
    assert.notEqual(g.graphHash, m.graphHash);
    // The human listing.
    const h = await gam(["plugin", "ls", "--config", `${dir}/gam.yaml`]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /magnetic: constant-field@1\.1\.0\n/);
    assert.match(h.stdout, /gravity: synthetic@1\.0\.0 \(built-in\)/);
    assert.ok(h.stdout.includes(`granted  read: ${dir}`), h.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

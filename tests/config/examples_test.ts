/**
 * The ready configs in `config/examples/`: each loads with the real loader and passes
 * `gam run --dry-run` offline; the real-data examples run end to end on the survey files in
 * `../shared/data/` (skipped, naming the file, where that folder is absent); the ICGEM example
 * runs against a loopback stand-in of the ICGEM Calculation Service serving the sample GDF
 * response from `../shared/data/icgem-sample.gdf`.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/mod.ts";
import { exists, gam, migrateServerDatabase, ROOT, SHARED_DATA } from "../_gam_cli.ts";

await migrateServerDatabase();

const EXAMPLES = `${ROOT}config/examples/`;
const NAMES = [
  "global-gravity-grid.yaml",
  "icgem.yaml",
  "rio-magnetic.yaml",
  "south-africa-gravity.yaml",
];

/** The `../shared/data` file an example reads, or a message naming it when it is missing. */
async function missing(file: string): Promise<string | undefined> {
  if (await exists(`${SHARED_DATA}${file}`)) return undefined;
  const message = `examples_test: skipped, ${SHARED_DATA}${file} is missing ` +
    `(the real data folder ../shared/data beside the checkout)`;
  console.log(message);
  return message;
}

// deno-lint-ignore no-explicit-any
type Summary = Record<string, any>;

/** `gam run --no-cache --json` of an example into a temp output folder. */
async function runExample(name: string, extra: string[] = []): Promise<Summary> {
  const out = await Deno.makeTempDir({ prefix: "gam-example-" });
  const r = await gam([
    "run",
    "--config",
    `config/examples/${name}`,
    "--no-cache",
    "--output-dir",
    out,
    "--json",
    ...extra,
  ]);
  assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.status, "succeeded");
  assert.ok(summary.runDir.startsWith(out), "outputs go to --output-dir");
  for (const f of ["manifest.json", "anomalies.geojson", "report.html"]) {
    assert.ok(await exists(`${summary.runDir}/${f}`), `${name}: ${f} is written`);
  }
  return summary;
}

Deno.test("config/examples holds the four documented examples, each valid with the real loader", async () => {
  const found = (await Array.fromAsync(Deno.readDir(EXAMPLES)))
    .map((e) => e.name).filter((n) => n.endsWith(".yaml")).sort();
  assert.deepEqual(found, NAMES);
  const readme = await Deno.readTextFile(`${EXAMPLES}README.md`);
  for (const name of NAMES) {
    assert.ok(readme.includes(`config/examples/${name}`), `README.md shows how to run ${name}`);
    const { config } = await loadConfig({ configPath: `${EXAMPLES}${name}`, env: {} });
    const enabled = Object.entries(config.modalities).filter(([, m]) => m.enabled);
    assert.equal(enabled.length, 1, `${name}: one modality runs`);
    const [, m] = enabled[0];
    const perms = m.source.permissions;
    if (name === "icgem.yaml") {
      assert.equal(m.source.plugin, "icgem");
      assert.deepEqual(perms.net, ["icgem.gfz-potsdam.de"], "only the ICGEM host");
      assert.deepEqual(perms.read, []);
    } else {
      assert.equal(m.source.plugin, "file");
      const path = m.source.params.path as string;
      assert.match(
        path,
        /^\.\.\/shared\/data\/[\w.-]+$/,
        `${name}: data path relative to the root`,
      );
      assert.deepEqual(perms.read, [path], `${name}: read permission for exactly its file`);
      assert.deepEqual(perms.net, [], `${name}: no network`);
      assert.ok(String(m.source.params.licence).length > 5, `${name}: licence`);
      assert.ok(String(m.source.params.citation).length > 20, `${name}: citation`);
    }
    for (const k of ["write", "env", "run", "ffi", "sys"] as const) {
      assert.deepEqual(perms[k], [], `${name}: no ${k} permission`);
    }
  }
});

Deno.test({
  name: "gam run --dry-run passes offline for every example and fetches nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    for (const name of NAMES) {
      const out = await Deno.makeTempDir({ prefix: "gam-example-dry-" });
      const r = await gam([
        "run",
        "--config",
        `config/examples/${name}`,
        "--dry-run",
        "--output-dir",
        out,
      ]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /valid; nothing was fetched/, name);
      assert.equal(await exists(`${out}/runs`), false, `${name}: a dry run writes no run folder`);
    }
  },
});

Deno.test({
  name: "south-africa-gravity.yaml grids a Bouguer anomaly of the NCEI stations end to end",
  ignore: Boolean(await missing("south-africa-gravity.ast.gz")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const summary = await runExample("south-africa-gravity.yaml");
    const s = summary.modalities[0];
    assert.equal(s.modality, "gravity");
    assert.equal(s.outcome, "ok", s.error);
    // 14,559 stations in the file; the Bushveld box holds about a quarter of them.
    assert.ok(s.pointsIn > 3000 && s.pointsIn < 5000, `${s.pointsIn} stations in the bbox`);
    assert.ok(s.outliersRemoved < s.pointsIn * 0.01, `${s.outliersRemoved} outliers`);
    assert.equal(s.gridSize, "81 x 101"); // 4° x 5° at 0.05°
    assert.ok(s.nanRatio < 0.1, `NaN ratio ${s.nanRatio}`);
    assert.ok(s.anomalies >= 1, "the Bushveld gravity highs are flagged");
    const manifest = await Deno.readTextFile(`${summary.runDir}/manifest.json`);
    assert.match(manifest, /NOAA National Centers for Environmental Information/, "citation");
  },
});

Deno.test({
  name:
    "rio-magnetic.yaml removes spikes along flight lines and grids anomaly, RTP and tilt end to end",
  ignore: Boolean(await missing("rio-magnetic.csv.gz")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = (await runExample("rio-magnetic.yaml")).modalities[0];
    assert.equal(s.modality, "magnetic");
    assert.equal(s.outcome, "ok", s.error);
    assert.equal(s.pointsIn, 37_718, "the bbox holds the whole sample");
    assert.ok(
      s.outliersRemoved > 0 && s.outliersRemoved < 377,
      `${s.outliersRemoved} spikes removed (expected some, under 1%)`,
    );
    assert.equal(s.gridSize, "101 x 121"); // 0.5° x 0.6° at 0.005°
    assert.ok(s.nanRatio < 0.05, `NaN ratio ${s.nanRatio}`);
    assert.deepEqual(s.grids.map((g: { branch: string }) => g.branch).sort(), [
      "anomaly",
      "rtp",
      "tilt",
    ]);
    assert.ok(s.anomalies >= 1);
  },
});

Deno.test({
  name: "global-gravity-grid.yaml filters a window of the netCDF grid end to end",
  ignore: Boolean(await missing("gravity-earth-0.5deg.nc")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = (await runExample("global-gravity-grid.yaml")).modalities[0];
    assert.equal(s.outcome, "ok", s.error);
    assert.equal(s.pointsIn, 61 * 51, "the grid nodes inside the bbox");
    assert.equal(s.outliersRemoved, 0, "a model grid has no spikes");
    assert.equal(s.gridSize, "51 x 61");
    assert.deepEqual(s.grids.map((g: { branch: string }) => g.branch).sort(), [
      "bandpass",
      "field",
    ]);
  },
});

Deno.test({
  name: "icgem.yaml runs end to end against a loopback stand-in of the ICGEM service",
  ignore: Boolean(await missing("icgem-sample.gdf")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The example, pointed at a loopback server that answers like calcgrid with the sample
    // GDF response (7 x 8 nodes, 150-164 °E, 16-28 °N); everything else as shipped.
    const body = await Deno.readFile(`${SHARED_DATA}icgem-sample.gdf`);
    const requests: URL[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      requests.push(new URL(req.url));
      return new Response(body, { headers: { "content-type": "text/plain" } });
    });
    try {
      const host = `127.0.0.1:${server.addr.port}`;
      const dir = await Deno.makeTempDir({ prefix: "gam-example-icgem-" });
      const c = parse(await Deno.readTextFile(`${EXAMPLES}icgem.yaml`));
      const src = c.modalities.gravity.source;
      src.params.baseUrl = `http://${host}/calcgrid`;
      src.permissions.net.push(host);
      src.allowInsecureHttp = [host];
      c.modalities.gravity.retry = { maxAttempts: 1 };
      const config = `${dir}/icgem.yaml`;
      await Deno.writeTextFile(config, stringify(c));
      const r = await gam([
        "run",
        "--config",
        config,
        "--bbox",
        "150,16,164,28",
        "--no-cache",
        "--output-dir",
        `${dir}/out`,
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).modalities[0];
      assert.equal(s.outcome, "ok", s.error);
      assert.equal(s.gridSize, "7 x 8");
      assert.deepEqual(s.grids.map((g: { branch: string }) => g.branch).sort(), [
        "disturbance",
        "gradient",
      ]);
      assert.equal(requests.length, 1);
      const q = requests[0].searchParams;
      assert.equal(requests[0].pathname, "/calcgrid");
      assert.equal(q.get("model"), "EIGEN-6C4");
      assert.equal(q.get("functional"), "gravity_disturbance");
      assert.equal(q.get("gridstep"), "0.1");
      assert.equal(q.get("longitude_from"), "150");
      assert.equal(q.get("latitude_to"), "28");
    } finally {
      await server.shutdown();
    }
  },
});

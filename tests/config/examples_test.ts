/**
 * The ready configs in `config/examples/`: each loads with the real loader and passes
 * `gam run --dry-run` offline; the real-data examples run end to end on the registered survey
 * files (src/datasets: `../shared/data/`, the user cache folder or a download; a test fails with
 * the fetcher's message naming the file and its source when none has it); the ICGEM example
 * runs against a loopback stand-in of the ICGEM Calculation Service serving the sample GDF
 * response `icgem-sample.gdf`.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/mod.ts";
import { exists, gam, migrateServerDatabase, ROOT } from "../_gam_cli.ts";
import { fetchDataset, SHARED_DATA_DIR } from "../../src/datasets/mod.ts";

await migrateServerDatabase();

const EXAMPLES = `${ROOT}config/examples/`;
const NAMES = [
  "global-gravity-grid.yaml",
  "icgem.yaml",
  "rio-magnetic.yaml",
  "south-africa-gravity.yaml",
];

/**
 * The config to run for example `name` reading data file `file`: the shipped one when the file
 * is where it says (`../shared/data/`), else a copy in `dir` pointing at the fetched file.
 */
async function exampleConfig(name: string, file: string, dir: string): Promise<string> {
  const path = await fetchDataset(file);
  if (path === `${SHARED_DATA_DIR}${file}`) return `config/examples/${name}`;
  const c = parse(await Deno.readTextFile(`${EXAMPLES}${name}`));
  for (
    const m of Object.values(c.modalities) as {
      enabled: boolean;
      source: { params: Record<string, unknown>; permissions: { read: string[] } };
    }[]
  ) {
    if (!m.enabled) continue;
    m.source.params.path = path;
    m.source.permissions.read = [path];
  }
  await Deno.writeTextFile(`${dir}/${name}`, stringify(c));
  return `${dir}/${name}`;
}

// deno-lint-ignore no-explicit-any
type Summary = Record<string, any>;

/**
 * `gam run --no-cache --json` of an example (reading data file `file`) into a temp output
 * folder; `check` looks at the summary before the folder is removed.
 */
async function runExample(
  name: string,
  file: string,
  check: (summary: Summary) => Promise<void> | void,
): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "gam-example-" });
  try {
    const r = await gam([
      "run",
      "--config",
      await exampleConfig(name, file, out),
      "--no-cache",
      "--output-dir",
      out,
      "--json",
    ]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.status, "succeeded");
    assert.ok(summary.runDir.startsWith(out), "outputs go to --output-dir");
    for (const f of ["manifest.json", "anomalies.geojson", "report.html"]) {
      assert.ok(await exists(`${summary.runDir}/${f}`), `${name}: ${f} is written`);
    }
    await check(summary);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
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
    // The examples that read a survey file name it by its path beside the checkout; where the
    // file is only in the user cache, the run gets a copy pointing there (as the runs below).
    const DATA_OF: Record<string, string> = {
      "global-gravity-grid.yaml": "gravity-earth-0.5deg.nc",
      "rio-magnetic.yaml": "rio-magnetic.csv.gz",
      "south-africa-gravity.yaml": "south-africa-gravity.ast.gz",
    };
    for (const name of NAMES) {
      const out = await Deno.makeTempDir({ prefix: "gam-example-dry-" });
      try {
        const config = DATA_OF[name]
          ? await exampleConfig(name, DATA_OF[name], out)
          : `config/examples/${name}`;
        const r = await gam([
          "run",
          "--config",
          config,
          "--dry-run",
          "--output-dir",
          out,
        ]);
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        assert.match(r.stderr, /valid; nothing was fetched/, name);
        assert.equal(await exists(`${out}/runs`), false, `${name}: a dry run writes no run folder`);
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    }
  },
});

Deno.test({
  name: "south-africa-gravity.yaml grids a Bouguer anomaly of the NCEI stations end to end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    runExample("south-africa-gravity.yaml", "south-africa-gravity.ast.gz", async (summary) => {
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
    }),
});

Deno.test({
  name:
    "rio-magnetic.yaml removes spikes along flight lines and grids anomaly, RTP and tilt end to end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    runExample("rio-magnetic.yaml", "rio-magnetic.csv.gz", (summary) => {
      const s = summary.modalities[0];
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
    }),
});

Deno.test({
  name: "global-gravity-grid.yaml filters a window of the netCDF grid end to end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    runExample("global-gravity-grid.yaml", "gravity-earth-0.5deg.nc", (summary) => {
      const s = summary.modalities[0];
      assert.equal(s.outcome, "ok", s.error);
      assert.equal(s.pointsIn, 61 * 51, "the grid nodes inside the bbox");
      assert.equal(s.outliersRemoved, 0, "a model grid has no spikes");
      assert.equal(s.gridSize, "51 x 61");
      assert.deepEqual(s.grids.map((g: { branch: string }) => g.branch).sort(), [
        "bandpass",
        "field",
      ]);
    }),
});

Deno.test({
  name: "icgem.yaml runs end to end against a loopback stand-in of the ICGEM service",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The example, pointed at a loopback server that answers like calcgrid with the sample
    // GDF response (7 x 8 nodes, 150-164 °E, 16-28 °N); everything else as shipped.
    const body = await Deno.readFile(await fetchDataset("icgem-sample.gdf"));
    const requests: URL[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      requests.push(new URL(req.url));
      return new Response(body, { headers: { "content-type": "text/plain" } });
    });
    const dir = await Deno.makeTempDir({ prefix: "gam-example-icgem-" });
    try {
      const host = `127.0.0.1:${server.addr.port}`;
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
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * The built-in plugins in the process sandbox, as `gam run` loads them: synthetic with no grant,
 * file with a read grant, http downloading into its scratch folder over a loopback server (icgem:
 * `fault_server_test.ts`). And attack 4 end to end: an impostor configured as `synthetic` is
 * refused, and the next run with the shipped plugin is served by the real one.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parse, stringify } from "yaml";
import { IngestionService, resolvePluginModule, SandboxedPlugin } from "../../src/ingestion/mod.ts";
import { dirname } from "node:path";
import { gam, ROOT } from "../_gam_cli.ts";
import { fetchDataset } from "../../src/datasets/mod.ts";

const ICGEM = await fetchDataset("icgem-sample.gdf");
import { pluginSource } from "./_attack.ts";

const BBOX = [150, 16, 164, 28] as const;

function service(plugin: SandboxedPlugin) {
  return new IngestionService({ providers: { gravity: plugin } });
}

Deno.test("synthetic, file and http run in their sandboxes with only their grants", async () => {
  const synthetic = await SandboxedPlugin.load({
    plugin: "synthetic",
    module: resolvePluginModule("synthetic"),
    modality: "gravity",
  });
  const s1 = service(synthetic);
  const a = await s1.fetch("gravity", [10, 45, 10.5, 45.5], { params: { stations: 300 } });
  await s1.close();
  assert.ok(a.data.kind === "points" && a.data.points.value.length === 300);

  const file = await SandboxedPlugin.load({
    plugin: "file",
    module: resolvePluginModule("file"),
    modality: "gravity",
    permissions: { read: [dirname(ICGEM)] },
  });
  const s2 = service(file);
  const params = {
    path: ICGEM,
    licence: "GFZ",
    citation: "ICGEM sample",
  };
  const b = await s2.fetch("gravity", BBOX, { params });
  await s2.close();
  assert.equal(b.data.kind, "grid");
  // The registered dataset's DOI, from the dataset registry through the plugin API.
  assert.equal(b.data.metadata.doi, "10.5880/icgem.2015.1");

  const body = await Deno.readFile(ICGEM);
  const sha256 = createHash("sha256").update(body).digest("hex");
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    log.push(new URL(r.url).pathname);
    return new Response(body);
  });
  const host = `127.0.0.1:${server.addr.port}`;
  try {
    const http = await SandboxedPlugin.load({
      plugin: "http",
      module: resolvePluginModule("http"),
      modality: "gravity",
      permissions: { net: [host] },
      allowInsecureHttp: [host],
    });
    const s3 = service(http);
    const c = await s3.fetch("gravity", BBOX, {
      params: { url: `http://${host}/icgem-sample.gdf`, sha256, licence: "GFZ", citation: "x" },
    });
    // The second fetch finds the verified file in the process's scratch folder.
    await s3.fetch("gravity", BBOX, {
      params: { url: `http://${host}/icgem-sample.gdf`, sha256, licence: "GFZ", citation: "x" },
    });
    await s3.close();
    assert.equal(c.data.kind, "grid");
    assert.deepEqual(log, ["/icgem-sample.gdf"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name:
    "attack 4 end to end: an impostor configured as synthetic is refused and poisons nothing; the shipped plugin serves the next run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-impostor-" }));
    try {
      await Deno.mkdir(`${dir}/impostor`);
      await Deno.writeTextFile(
        `${dir}/impostor/mod.ts`,
        pluginSource("synthetic", {
          fetch: "const d = point(req, { citation: 'IMPOSTOR DATA' }); return d;",
        }),
      );
      const config = async (impostor: boolean) => {
        // deno-lint-ignore no-explicit-any
        const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as any;
        c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
        c.defaults.outputDir = `${dir}/out`;
        c.defaults.cacheDir = `${dir}/cache`;
        c.defaults.logLevel = "warn";
        c.modalities.magnetic.enabled = false;
        if (impostor) c.modalities.gravity.source.module = `${dir}/impostor/mod.ts`;
        const path = `${dir}/${impostor ? "impostor" : "shipped"}.yaml`;
        await Deno.writeTextFile(path, stringify(c));
        return path;
      };
      const bad = await gam(["run", "--config", await config(true), "--json"]);
      assert.equal(bad.code, 1, bad.stderr);
      const badSummary = JSON.parse(bad.stdout);
      assert.equal(badSummary.modalities[0].outcome, "failed");
      assert.match(
        badSummary.modalities[0].error,
        /"synthetic" is a built-in plugin id, and source.module .* may not claim it/,
      );
      const good = await gam(["run", "--config", await config(false), "--json"]);
      assert.equal(good.code, 0, good.stderr);
      const summary = JSON.parse(good.stdout);
      assert.equal(summary.modalities[0].cache, "miss", "nothing was cached by the impostor");
      const manifest = JSON.parse(await Deno.readTextFile(`${summary.runDir}/manifest.json`));
      assert.match(manifest.plugins.gravity.citation, /GAM synthetic survey/);
      assert.doesNotMatch(
        JSON.stringify(manifest) + await Deno.readTextFile(`${summary.runDir}/report.html`),
        /IMPOSTOR DATA/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * `deno task bench:sandbox`: what the plugin sandbox costs.
 *
 * - **Load** (once per plugin per run; once per service life under `gam serve`): vetting the
 *   module graph (`deno info`) and starting the child process up to `ready`, for the built-in
 *   `synthetic` plugin, and for the example plugin, which imports the plugin API at run time.
 * - **Fetch overhead**: a fetch of one point through the child, against the same call in
 *   process; then the transfer of 1,000,000 ready-made points (lon, lat, value: 24 MB) from a
 *   plugin that only returns them.
 *
 * Prints medians over `--runs` repetitions (default 10 loads, 200 small fetches, 10 large).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolvePluginModule, SandboxedPlugin, vetModuleGraph } from "../src/ingestion/mod.ts";
import { synthetic } from "../src/plugins/in_process.ts";
import type { FetchRequest } from "../src/ingestion/plugin_api.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Math.max(1, Number(values.runs));
const module = resolvePluginModule("synthetic");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const vet: number[] = [];
const load: number[] = [];
for (let i = 0; i < runs; i++) {
  let t = performance.now();
  await vetModuleGraph(module, { plugin: "synthetic", builtin: true });
  vet.push(performance.now() - t);
  t = performance.now();
  const p = await SandboxedPlugin.load({ plugin: "synthetic", module, modality: "gravity" });
  load.push(performance.now() - t);
  await p.close();
}

// A third-party plugin that imports the plugin API at run time (the example: gridData), whose
// graph therefore carries the API's modules and zod.
const example = new URL("../examples/plugins/constant_field.ts", import.meta.url).href;
const loadApi: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const p = await SandboxedPlugin.load({
    plugin: "constant-field",
    module: example,
    modality: "gravity",
  });
  loadApi.push(performance.now() - t);
  await p.close();
}

const request = (stations: number): FetchRequest => ({
  modality: "gravity",
  bbox: [10, 45, 11, 46],
  params: { stations },
  traceId: "bench",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  grantedHosts: [],
  correlationId: "bench",
  signal: new AbortController().signal,
});
const plugin = await SandboxedPlugin.load({ plugin: "synthetic", module, modality: "gravity" });
const local = synthetic.createPlugin();
async function time(f: () => Promise<unknown>, n: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
  return median(xs);
}
await time(() => plugin.fetch(request(1)), 20); // warm both sides
await time(() => local.fetch(request(1)), 20);
const smallChild = await time(() => plugin.fetch(request(1)), runs * 20);
const smallLocal = await time(() => local.fetch(request(1)), runs * 20);
await plugin.close();

// A plugin that returns the same ready-made million points every time: the fetch is transfer.
const dir = await Deno.makeTempDir({ prefix: "gam-bench-sandbox-" });
let bigChild: number;
try {
  await Deno.writeTextFile(
    `${dir}/mod.ts`,
    `export const manifest = { id: "big", version: "1.0.0", apiVersion: "1.0.0",
  modalities: ["gravity"], description: "bench", licence: "CC0-1.0", citation: "bench",
  permissions: { net: [], read: [] } };
const n = 1_000_000;
const lon = new Float64Array(n).fill(10.5), lat = new Float64Array(n).fill(45.5);
const value = new Float64Array(n).map((_, i) => i);
export function createPlugin() {
  return { fetch: (req) => Promise.resolve({ source: { plugin: "big", version: "1.0.0" },
    modality: req.modality, kind: "points", bbox: req.bbox, units: "mGal", crs: "EPSG:4326",
    metadata: { retrievedAt: "2026-01-01T00:00:00Z", licence: "CC0-1.0", citation: "bench" },
    points: { lon, lat, value } }) };
}
`,
  );
  const big = await SandboxedPlugin.load({
    plugin: "big",
    module: `file://${await Deno.realPath(dir)}/mod.ts`,
    modality: "gravity",
  });
  await time(() => big.fetch(request(1)), 2);
  bigChild = await time(() => big.fetch(request(1)), runs);
  await big.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}

console.log(
  `plugin sandbox costs (synthetic plugin, medians; ${Deno.build.os}, ${navigator.hardwareConcurrency} cores)`,
);
console.log(`  vet module graph (deno info)         ${ms(median(vet))}`);
console.log(`  load: vet + process start + ready    ${ms(median(load))}`);
console.log(`  load of a plugin importing the API   ${ms(median(loadApi))}`);
console.log(
  `  fetch, 1 point: child ${ms(smallChild)}, in process ${ms(smallLocal)}, ` +
    `overhead ${ms(smallChild - smallLocal)}`,
);
console.log(`  fetch returning 1e6 ready points (24 MB): ${ms(bigChild)}`);

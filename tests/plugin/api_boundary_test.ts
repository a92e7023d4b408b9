/**
 * The plugin API is the only part of GAM a plugin uses: every built-in plugin and the example
 * plugin import nothing of the host but `@gam/pipeline/plugin` (and its `readers` entry), type
 * imports included, and the sandbox's vetting refuses a plugin that reaches further.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  BUILTIN_PLUGINS,
  PLUGIN_API_ENTRIES,
  PLUGIN_API_SPECIFIERS,
  pluginImportMap,
  PluginLoadError,
  PROJECT_CONFIG,
  PROJECT_ROOT,
  resolvePluginModule,
  vetModuleGraph,
} from "../../src/ingestion/mod.ts";

interface InfoDep {
  specifier: string;
  code?: { specifier?: string };
  type?: { specifier?: string };
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDep[];
}

const EXAMPLE = new URL("../../examples/plugins/constant_field.ts", import.meta.url).href;
const BUILTIN_DIR = new URL("../../src/plugins/", import.meta.url).href;
const EXAMPLE_DIR = new URL("../../examples/plugins/", import.meta.url).href;
const API = PLUGIN_API_ENTRIES.map((p) => new URL(p, `file://${PROJECT_ROOT}`).href);

/** Every edge (code or type-only) from a module of `own` to a module outside it. */
async function outsideEdges(module: string, importMap: string, own: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-lock", "--no-config", `--import-map=${importMap}`, module],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const edges: { from: string; import: string; to: string }[] = [];
  for (const m of info.modules) {
    if (!m.specifier.startsWith(own)) continue;
    for (const d of m.dependencies ?? []) {
      for (const to of [d.code?.specifier, d.type?.specifier]) {
        if (to === undefined || to.startsWith(own) || to.startsWith("node:")) continue;
        edges.push({ from: fileURLToPath(m.specifier), import: d.specifier, to });
      }
    }
  }
  return edges;
}

Deno.test("built-in plugins import nothing of GAM but the plugin API, type imports included", async () => {
  let apiEdges = 0;
  for (const id of BUILTIN_PLUGINS) {
    const edges = await outsideEdges(resolvePluginModule(id), PROJECT_CONFIG, BUILTIN_DIR);
    const bad = edges.filter((e) => !API.includes(e.to));
    assert.deepEqual(bad, [], `${id} imports host modules besides the plugin API`);
    assert.ok(edges.every((e) => e.import in PLUGIN_API_SPECIFIERS), JSON.stringify(edges));
    apiEdges += edges.length;
  }
  assert.ok(apiEdges >= BUILTIN_PLUGINS.length, "every built-in uses the plugin API");
});

Deno.test("the example plugin imports only the plugin API, and its graph passes the vetting", async () => {
  const edges = await outsideEdges(EXAMPLE, pluginImportMap(undefined), EXAMPLE_DIR);
  assert.ok(edges.length > 0);
  assert.deepEqual(edges.filter((e) => !API.includes(e.to)), []);
  const g = await vetModuleGraph(EXAMPLE, { plugin: "constant-field", builtin: false });
  // The API's own npm package (zod, for the manifest schema) is the host's, not the plugin's.
  assert.deepEqual(g.pluginNpmPackages, []);
  assert.ok(g.npmPackages.some((p) => p.startsWith("zod@")), g.npmPackages.join(", "));
});

Deno.test("a plugin that imports a host module other than the plugin API is refused, naming the import", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-api-" }));
  try {
    const errors = new URL("../../src/ingestion/errors.ts", import.meta.url).href;
    await Deno.writeTextFile(`${dir}/deno.json`, "{}\n");
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      `import { SourceHttpError } from ${
        JSON.stringify(errors)
      };\nexport const x = SourceHttpError;\n`,
    );
    const e = await vetModuleGraph(`file://${dir}/mod.ts`, { plugin: "sneaky", builtin: false })
      .catch((e) => e);
    assert.ok(e instanceof PluginLoadError && e.reason === "import", String(e));
    assert.match(e.message, /src\/ingestion\/errors\.ts, outside the plugin's package folder/);
    assert.match(e.message, /@gam\/pipeline\/plugin/);
    // The same through the API is accepted.
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      `import { SourceHttpError } from "@gam/pipeline/plugin";\nexport const x = SourceHttpError;\n`,
    );
    const g = await vetModuleGraph(`file://${dir}/mod.ts`, { plugin: "sneaky", builtin: false });
    assert.match(g.graphHash, /^sha256:/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

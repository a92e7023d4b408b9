/**
 * `gam plugin init NAME`: scaffolds a plugin package that passes its own test as generated: a
 * module reading gravity stations from a CSV file over HTTPS, its manifest with the narrowest
 * permissions (none: the configuration grants the host of `params.url`), a `deno.json`, a
 * fixture, a test that runs the plugin in the real sandbox against the fixture on a loopback
 * server, and a README.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { PLUGIN_API_VERSION, PROJECT_CONFIG, PROJECT_ROOT } from "../../ingestion/mod.ts";

const ID = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

/** The files of a new plugin package, by path relative to its folder. */
export function scaffoldFiles(id: string): Record<string, string> {
  const project = pathToFileURL(resolve(PROJECT_ROOT) + "/");
  const gamImports = JSON.parse(Deno.readTextFileSync(PROJECT_CONFIG)).imports as Record<
    string,
    string
  >;
  const scoped = Object.fromEntries(
    Object.entries(gamImports).map(([k, v]) => [
      k,
      /^\.{0,2}\//.test(v) ? new URL(v, project).href : v,
    ]),
  );
  const denoJson = {
    name: `gam-plugin-${id}`,
    version: "0.1.0",
    exports: "./mod.ts",
    tasks: {
      test: "deno test -A",
      check: `deno run -A --unstable-worker-options ${MAIN_URL} plugin check ./mod.ts`,
    },
    imports: {
      "@gam/pipeline/plugin": new URL("src/plugin/mod.ts", project).href,
      "@gam/pipeline/plugin/testing": new URL("src/plugin/testing.ts", project).href,
    },
    // How GAM's own modules resolve their dependencies when your tests load them. The sandbox
    // ignores this scope and the two mappings above: it maps the plugin API to the host's own.
    scopes: { [project.href]: scoped },
  };
  return {
    "deno.json": JSON.stringify(denoJson, null, 2) + "\n",
    "mod.ts": MOD.replaceAll("__ID__", id).replaceAll("__API__", PLUGIN_API_VERSION),
    "mod_test.ts": TEST.replaceAll("__ID__", id),
    "fixtures/stations.csv": FIXTURE,
    "README.md": README.replaceAll("__ID__", id).replaceAll("__API__", PLUGIN_API_VERSION),
  };
}

const MAIN_URL = new URL("../main.ts", import.meta.url).href;

/**
 * Runs `gam plugin init` with the arguments after `init`.
 *
 * @example Usage
 * ```ts
 * import { initPlugin } from "./plugin_init.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await initPlugin([`${dir}/my-survey`]); // 0: the plugin folder is written
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function initPlugin(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: "boolean" } });
  if (positionals.length !== 1) {
    throw new UsageError(
      `gam plugin init needs one NAME (a folder to create), got ${positionals.length}`,
    );
  }
  const folder = resolve(positionals[0]);
  const id = basename(folder);
  if (!ID.test(id)) {
    throw new UsageError(
      `the plugin id is the folder name, "${id}": expected lower-case words joined by - or _ ` +
        `such as "my-survey"`,
    );
  }
  let entries = 0;
  try {
    for await (const _ of Deno.readDir(folder)) entries++;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (entries > 0) throw new UsageError(`${folder} exists and is not empty; choose a new folder`);
  const files = scaffoldFiles(id);
  for (const [path, text] of Object.entries(files)) {
    const target = `${folder}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(target, text, { createNew: true });
  }
  if (values.json) console.log(JSON.stringify({ id, folder, files: Object.keys(files) }));
  else {
    console.log(`created plugin "${id}" in ${folder}:`);
    for (const f of Object.keys(files)) console.log(`  ${f}`);
    console.log(`next: cd ${folder} && deno task test`);
  }
  return EXIT_OK;
}

const MOD = `/**
 * GAM source plugin "__ID__": gravity stations read from a CSV file (\`lon,lat,value\` with a
 * header line, value in mGal) at \`params.url\`, the stations inside the requested bbox.
 *
 * It imports nothing of GAM but the plugin API, \`@gam/pipeline/plugin\`.
 *
 * @module
 */
import {
  displayUrl,
  type FetchRequest,
  fetchBytes,
  type PluginManifest,
  type PluginOptions,
  pointsData,
  type RawData,
  type SourcePlugin,
} from "@gam/pipeline/plugin";

/** The manifest: what the plugin is, serves and needs. */
export const manifest: PluginManifest = {
  id: "__ID__",
  version: "0.1.0",
  apiVersion: "__API__",
  modalities: ["gravity"],
  description: "Gravity stations from a CSV file (lon,lat,value in mGal) at params.url",
  licence: "CC-BY-4.0",
  citation: "Replace with how to cite the data",
  // The narrowest permissions: none. The configuration grants the host of params.url
  // (source.permissions.net); list a host here only if the plugin cannot work without it.
  permissions: { net: [], read: [] },
};

/** The factory: no side effects at import time, all work in fetch(). */
export function createPlugin(options: PluginOptions): SourcePlugin {
  return {
    async fetch(req: FetchRequest): Promise<RawData> {
      const url = req.params.url;
      if (typeof url !== "string") {
        throw new TypeError(
          \`params.url must be the URL of a CSV file, got \${JSON.stringify(url)}\`,
        );
      }
      // HTTPS only (plain http for the hosts the configuration lists), granted hosts only;
      // 5xx, 429 and cut bodies become retryable errors. Never retry yourself.
      const { body } = await fetchBytes(url, {
        signal: req.signal,
        allowInsecureHttp: options.allowInsecureHttp,
      });
      const [w, s, e, n] = req.bbox;
      const lon: number[] = [], lat: number[] = [], value: number[] = [];
      const lines = new TextDecoder().decode(body).split("\\n");
      for (let i = 1; i < lines.length; i++) {
        if (lines[i].trim() === "") continue;
        const [x, y, v] = lines[i].split(",").map(Number);
        if (![x, y, v].every(Number.isFinite)) {
          throw new SyntaxError(
            \`line \${i + 1} of \${displayUrl(url)}: expected lon,lat,value numbers, got \` +
              JSON.stringify(lines[i].slice(0, 80)),
          );
        }
        if (x >= w && x <= e && y >= s && y <= n) {
          lon.push(x);
          lat.push(y);
          value.push(v);
        }
      }
      return pointsData(req, {
        manifest,
        units: "mGal",
        lon,
        lat,
        value,
        metadata: { sourceUrl: displayUrl(url) },
      });
    },
  };
}
`;

const TEST = `import assert from "node:assert/strict";
import { runPlugin } from "@gam/pipeline/plugin/testing";

const FIXTURE = await Deno.readFile(new URL("./fixtures/stations.csv", import.meta.url));

/** Serves the fixture on loopback while \`fn\` runs. */
async function withServer(body: Uint8Array<ArrayBuffer>, fn: (host: string) => Promise<void>) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body),
  );
  try {
    await fn(\`127.0.0.1:\${server.addr.port}\`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("__ID__ returns the fixture's stations inside the bbox, run in the GAM sandbox", async () => {
  await withServer(FIXTURE, async (host) => {
    const { data, manifest } = await runPlugin(new URL("./mod.ts", import.meta.url), {
      bbox: [10, 45, 11, 46],
      params: { url: \`http://\${host}/stations.csv\` },
      // Exactly the host of params.url; plain http only because the server is on loopback.
      permissions: { net: [host] },
      allowInsecureHttp: [host],
    });
    assert.equal(manifest.id, "__ID__");
    assert.equal(data.kind, "points");
    if (data.kind !== "points") return;
    // fixtures/stations.csv: 6 stations, 4 of them inside [10, 45, 11, 46].
    assert.deepEqual([...data.points.value], [12.5, -3.25, 0.5, 7]);
    assert.equal(data.units, "mGal");
  });
});

Deno.test("__ID__ reports a malformed line with its number", async () => {
  await withServer(new TextEncoder().encode("lon,lat,value\\n10.5,45.5,x\\n"), async (host) => {
    await assert.rejects(
      runPlugin(new URL("./mod.ts", import.meta.url), {
        bbox: [10, 45, 11, 46],
        params: { url: \`http://\${host}/bad.csv\` },
        permissions: { net: [host] },
        allowInsecureHttp: [host],
      }),
      (e: Error) => /line 2 of .*expected lon,lat,value numbers/.test(String(e.cause ?? e)),
    );
  });
});

Deno.test("__ID__ cannot reach a host it was not granted", async () => {
  await withServer(FIXTURE, async (host) => {
    await assert.rejects(
      runPlugin(new URL("./mod.ts", import.meta.url), {
        bbox: [10, 45, 11, 46],
        params: { url: \`http://\${host}/stations.csv\` },
        allowInsecureHttp: [host],
      }),
      (e: Error) => /denied net access/.test(String(e.cause ?? e)),
    );
  });
});
`;

const FIXTURE = `lon,lat,value
10.1,45.2,12.5
10.9,45.8,-3.25
9.5,45.5,100
10.5,45.5,0.5
10.25,46.5,-100
10.75,45.05,7
`;

const README = `# GAM source plugin \`__ID__\`

Gravity stations from a CSV file (\`lon,lat,value\`, value in mGal, one header line) at
\`params.url\`: the stations inside the requested bbox. Written against the GAM plugin API
__API__ (\`@gam/pipeline/plugin\`).

## Develop

\`\`\`sh
deno task test    # runs the plugin in the real GAM sandbox against fixtures/stations.csv
deno task check   # gam plugin check: vetting, handshake, createPlugin()
\`\`\`

\`mod.ts\` may import its own files and the plugin API, nothing else of GAM; npm packages and
remote modules need their host in \`source.permissions.import\`. The mappings in \`deno.json\` point
at the GAM installation that created this package, for your editor and tests; when GAM runs the
plugin it maps \`@gam/pipeline/plugin\` to its own copy of the API.

## Configure

\`\`\`yaml
modalities:
  gravity:
    source:
      plugin: __ID__
      module: ./path/to/__ID__/mod.ts   # or npm:gam-plugin-__ID__@0.1.0 once published
      params: { url: https://data.example.org/stations.csv }
      permissions: { net: [data.example.org] }
\`\`\`

The manifest requests no permissions; the configuration grants exactly the host of \`params.url\`.

## Publish

Bump \`version\` in \`deno.json\` and in the manifest together (it is part of every cache key),
then publish the package (see GAM's plugin guide, \`examples/plugins/README.md\`).
`;

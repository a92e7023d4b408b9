/**
 * A plugin installed from an npm registry, for real: Verdaccio 6.8.0 (installed by this set-up
 * into `~/.cache/gam/verdaccio` with npm, once) serves a registry on loopback, the test publishes
 * a plugin package to it with `npm publish`, and GAM loads `npm:@acme/gam-plugin-x@1.2.3` from
 * it (`source.registry`, given to Deno as `NPM_CONFIG_REGISTRY`), checks it, runs it in the
 * sandbox, and records its integrity in `plugins.lock` and the run manifest. A package whose
 * bytes no longer match the lock is refused.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { denoCacheDir } from "../../src/ingestion/mod.ts";
import { collect, ROOT, spawnGam } from "../_gam_cli.ts";

const VERDACCIO_VERSION = "6.8.0";
const VERDACCIO_DIR = join(Deno.env.get("HOME") ?? "/tmp", ".cache/gam/verdaccio");
const VERDACCIO_BIN = join(VERDACCIO_DIR, "node_modules/.bin/verdaccio");

async function run(cmd: string, args: string[], options: { cwd?: string } = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Installs Verdaccio into the cache folder outside the repository, unless it is there. */
async function ensureVerdaccio(): Promise<void> {
  try {
    const pkg = JSON.parse(
      await Deno.readTextFile(join(VERDACCIO_DIR, "node_modules/verdaccio/package.json")),
    );
    if (pkg.version === VERDACCIO_VERSION) return;
  } catch {
    // not installed yet
  }
  const r = await run("npm", [
    "install",
    "--prefix",
    VERDACCIO_DIR,
    `verdaccio@${VERDACCIO_VERSION}`,
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
  ]);
  assert.equal(r.code, 0, `npm install verdaccio failed: ${r.stderr}`);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts Verdaccio on loopback; resolves when it prints its address. */
async function startRegistry(dir: string) {
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    stringify({
      storage: `${dir}/storage`,
      auth: { htpasswd: { file: `${dir}/htpasswd`, max_users: 10 } },
      uplinks: {},
      packages: { "**": { access: "$all", publish: "$authenticated" } },
      log: { type: "stdout", format: "pretty", level: "warn" },
    }),
  );
  const child = new Deno.Command(VERDACCIO_BIN, {
    args: ["--config", `${dir}/config.yaml`, "--listen", `127.0.0.1:${port}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("http address")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`verdaccio exited before listening: ${seen}`);
    seen += value;
  }
  // Keep draining its output.
  (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })().catch(() => {});
  return { child, port, url: `http://127.0.0.1:${port}/` };
}

const PLUGIN_JS = `// A third-party GAM plugin published to npm: plain JavaScript, no dependencies.
export const manifest = {
  id: "acme-x", version: "1.2.3", apiVersion: "1.1.0", modalities: ["gravity"],
  description: "A smooth gravity field on a 25 x 25 station grid", licence: "CC0-1.0",
  citation: "ACME (2026)", permissions: { net: [], read: [] },
};
export function createPlugin() {
  return {
    fetch(req) {
      const [w, s, e, n] = req.bbox;
      const k = 25, lon = [], lat = [], value = [];
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const x = w + (e - w) * (j + 0.5) / k, y = s + (n - s) * (i + 0.5) / k;
          lon.push(x); lat.push(y);
          value.push(10 * Math.exp(-(((x - (w + e) / 2) ** 2 + (y - (s + n) / 2) ** 2) / 0.05)));
        }
      }
      return Promise.resolve({
        source: { plugin: manifest.id, version: manifest.version }, modality: req.modality,
        kind: "points", bbox: req.bbox, units: "mGal", crs: "EPSG:4326",
        metadata: { retrievedAt: new Date().toISOString(), licence: manifest.licence,
          citation: manifest.citation },
        points: { lon: Float64Array.from(lon), lat: Float64Array.from(lat),
          value: Float64Array.from(value) },
      });
    },
  };
}
`;

Deno.test("a plugin published to an npm registry is checked, run in the sandbox and locked by integrity", async () => {
  await ensureVerdaccio();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-npm-" }));
  const registry = await startRegistry(dir);
  const npmCache = join(await denoCacheDir(), "npm", String(registry.port));
  try {
    // Publish @acme/gam-plugin-x@1.2.3 with the npm client, as a third party would.
    const user = await fetch(`${registry.url}-/user/org.couchdb.user:acme`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "acme", password: "acme-test-password" }),
    });
    const { token } = await user.json();
    assert.ok(token, "verdaccio gave no token");
    await Deno.writeTextFile(`${dir}/npmrc`, `//127.0.0.1:${registry.port}/:_authToken=${token}\n`);
    await Deno.mkdir(`${dir}/pkg`);
    await Deno.writeTextFile(
      `${dir}/pkg/package.json`,
      JSON.stringify({
        name: "@acme/gam-plugin-x",
        version: "1.2.3",
        type: "module",
        exports: { ".": "./mod.js" },
      }),
    );
    await Deno.writeTextFile(`${dir}/pkg/mod.js`, PLUGIN_JS);
    const pub = await run("npm", [
      "publish",
      "--registry",
      registry.url,
      "--userconfig",
      `${dir}/npmrc`,
      "--cache",
      `${dir}/npm-cache`,
    ], { cwd: `${dir}/pkg` });
    assert.equal(pub.code, 0, pub.stderr);
    // The integrity of what the registry serves, computed here from the tarball's bytes.
    const meta = await (await fetch(`${registry.url}@acme%2fgam-plugin-x`)).json();
    const tgz = new Uint8Array(
      await (await fetch(meta.versions["1.2.3"].dist.tarball)).arrayBuffer(),
    );
    const integrity = `sha512-${createHash("sha512").update(tgz).digest("base64")}`;
    assert.equal(meta.versions["1.2.3"].dist.integrity, integrity);

    // gam plugin check on the specifier.
    const module = "npm:@acme/gam-plugin-x@1.2.3";
    const c = await collect(spawnGam([
      "plugin",
      "check",
      module,
      "--registry",
      registry.url,
      "--bbox",
      "10,45,11,46",
      "--json",
    ], { cwd: dir }));
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const report = JSON.parse(c.stdout);
    assert.equal(report.id, "acme-x");
    assert.equal(report.module, module);
    assert.deepEqual(report.npmIntegrity, { "@acme/gam-plugin-x@1.2.3": integrity });
    assert.equal(report.fetch.size, 625);

    // gam run with the plugin configured from the registry.
    const config = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
    config.modalities.gravity.source = {
      type: "plugin",
      plugin: "acme-x",
      module,
      registry: registry.url,
      permissions: { net: [], read: [], import: [`127.0.0.1:${registry.port}`] },
    };
    await Deno.writeTextFile(`${dir}/gam.yaml`, stringify(config));
    const gamRun = (args: string[]) => collect(spawnGam(args, { cwd: dir }));
    const r = await gamRun([
      "run",
      "--config",
      `${dir}/gam.yaml`,
      "--modality",
      "gravity",
      "--output-dir",
      `${dir}/out`,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lock = JSON.parse(await Deno.readTextFile(`${dir}/plugins.lock`));
    assert.equal(lock.npm["@acme/gam-plugin-x@1.2.3"].integrity, integrity);
    const runs = [...Deno.readDirSync(`${dir}/out/runs`)];
    assert.equal(runs.length, 1);
    const manifest = JSON.parse(
      await Deno.readTextFile(`${dir}/out/runs/${runs[0].name}/manifest.json`),
    );
    assert.equal(manifest.plugins.gravity.id, "acme-x");
    assert.equal(manifest.plugins.gravity.module, module);
    assert.deepEqual(manifest.plugins.gravity.npmIntegrity, {
      "@acme/gam-plugin-x@1.2.3": integrity,
    });

    // The lock holds: a package whose integrity no longer matches is refused.
    lock.npm["@acme/gam-plugin-x@1.2.3"].integrity = `sha512-${"A".repeat(86)}==`;
    await Deno.writeTextFile(`${dir}/plugins.lock`, JSON.stringify(lock, null, 2));
    const ls = await gamRun(["plugin", "ls", "--config", `${dir}/gam.yaml`, "--json"]);
    assert.equal(ls.code, 1, ls.stdout + ls.stderr);
    const row = JSON.parse(ls.stdout).find((x: { modality: string }) => x.modality === "gravity");
    assert.match(row.error, /integrity/i);
  } finally {
    registry.child.kill("SIGTERM");
    await registry.child.status;
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(npmCache, { recursive: true }).catch(() => {});
  }
});

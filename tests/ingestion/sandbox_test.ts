/**
 * Sandbox tests: malicious and broken plugins are contained with specific errors while the
 * other modality of the same run completes; secrets stay out of logs and errors.
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { createLogger } from "../../src/observability/mod.ts";
import {
  IngestionService,
  type LoadPluginOptions,
  loadProviders,
  ModalityFetchError,
  PluginError,
  PluginLoadError,
  PluginPermissionError,
  PluginTimeoutError,
  resolvePluginModule,
  SandboxedPlugin,
} from "../../src/ingestion/mod.ts";
import { PLUGIN_API_VERSION } from "../../src/plugin/mod.ts";
import { ContractError } from "../../src/contracts/mod.ts";

const BBOX = [10, 45, 11, 46] as const;
const here = new URL("./plugins/", import.meta.url);
const mod = (file: string) => new URL(`${file}.ts`, here).href;

function load(file: string, extra: Partial<LoadPluginOptions> = {}) {
  return SandboxedPlugin.load({
    plugin: file.replace(/_/g, "-"),
    module: mod(file),
    modality: "magnetic",
    ...extra,
  });
}

/**
 * Runs gravity (good plugin) and magnetic (the plugin under test) side by side. `timeoutMs` is
 * the magnetic attempt's timeout; gravity keeps 5 s, so a short timeout under test never cuts
 * the good plugin on a loaded machine.
 */
async function runBoth(
  bad: SandboxedPlugin,
  params: Record<string, unknown> = {},
  timeoutMs = 5000,
  settleMs = 0,
) {
  const good = await load("good", { modality: "gravity" });
  const fast = {
    timeoutMs: 5000,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    circuitBreaker: { threshold: 5, halfOpenAfterMs: 1000 },
    bulkhead: { maxConcurrent: 2, queue: 2 },
    rateLimit: { requestsPerSecond: 100, burst: 10 },
  };
  const service = new IngestionService({
    providers: { gravity: good, magnetic: bad },
    resilience: { gravity: fast, magnetic: { ...fast, timeoutMs } },
  });
  const [g, m] = await Promise.allSettled([
    service.fetch("gravity", BBOX),
    service.fetch("magnetic", BBOX, { params }),
  ]);
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  await service.close();
  assert.equal(g.status, "fulfilled", "the other modality must complete");
  assert.equal(m.status, "rejected");
  return (m as PromiseRejectedResult).reason as Error;
}

function causeOf(e: Error): unknown {
  assert.ok(e instanceof ModalityFetchError, `expected ModalityFetchError, got ${e}`);
  return e.cause;
}

Deno.test("a plugin reading /etc/passwd is denied read access and the other modality completes", async () => {
  const e = await runBoth(await load("read_passwd"));
  const c = causeOf(e);
  assert.ok(c instanceof PluginPermissionError, String(c));
  assert.equal(c.permission, "read");
  assert.match(c.message, /"read-passwd" was denied read access.*\/etc\/passwd/);
});

Deno.test("a plugin reading DATABASE_URL is denied env access", async () => {
  const c = causeOf(await runBoth(await load("read_env")));
  assert.ok(c instanceof PluginPermissionError, String(c));
  assert.equal(c.permission, "env");
  assert.match(c.message, /DATABASE_URL/);
});

Deno.test("a plugin writing a file is denied write access and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pwned.txt`;
  // Granting read of the folder does not grant write.
  const c = causeOf(
    await runBoth(await load("write_file", { permissions: { read: [dir] } }), { path }),
  );
  assert.ok(c instanceof PluginPermissionError, String(c));
  assert.equal(c.permission, "write");
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a plugin spawning a process is denied run access", async () => {
  const c = causeOf(await runBoth(await load("spawn")));
  assert.ok(c instanceof PluginPermissionError, String(c));
  assert.equal(c.permission, "run");
});

Deno.test("a plugin calling a host it was not granted is denied net access", async () => {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    hits++;
    return new Response("secret data");
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const c = causeOf(
    await runBoth(await load("ungranted_host", { permissions: { net: ["example.org"] } }), { url }),
  );
  await server.shutdown();
  assert.ok(c instanceof PluginPermissionError, String(c));
  assert.equal(c.permission, "net");
  assert.equal(hits, 0);
});

Deno.test("a plugin that never returns is cut by the timeout and its worker replaced", async () => {
  const plugin = await load("never_returns", { abortGraceMs: 20 });
  let restartsBeforeClose = -1;
  const closeSpy = plugin.close.bind(plugin);
  plugin.close = () => {
    restartsBeforeClose = plugin.restarts;
    return closeSpy();
  };
  const c = causeOf(await runBoth(plugin, {}, 300, 150));
  assert.ok(c instanceof PluginTimeoutError);
  assert.match(c.message, /"never-returns" did not answer within 300 ms/);
  assert.equal(restartsBeforeClose, 1);
  // The replacement worker answers.
  const again = await load("never_returns", { abortGraceMs: 20 });
  const data = await again.fetch({
    modality: "magnetic",
    bbox: BBOX,
    params: { hang: false },
    correlationId: "c",
    signal: new AbortController().signal,
  });
  assert.equal(data.kind, "points");
  await again.close();
});

Deno.test("a plugin returning points outside the bbox raises ContractError", async () => {
  const e = await runBoth(await load("outside_bbox"));
  assert.ok(e instanceof ContractError);
  assert.match(e.message, /outside the requested bbox/);
});

Deno.test("a plugin that throws at import is refused at load", async () => {
  await assert.rejects(
    load("throws_at_import"),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "import" &&
      /"throws-at-import" was refused: importing it failed.*boom at import/.test(e.message),
  );
});

Deno.test("a plugin touching the disk or the network at import time is refused saying so", async () => {
  await assert.rejects(
    load("disk_at_import"),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "side-effect" &&
      /touched the disk \(read\) at import time/.test(e.message),
  );
  await assert.rejects(
    load("net_at_import"),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "side-effect" &&
      /touched the network at import time/.test(e.message),
  );
});

Deno.test("handshake refuses a bad manifest, a future API, an unserved modality, ungranted permissions", async () => {
  await assert.rejects(
    load("bad_manifest"),
    /manifest is invalid: manifest.version: expected a semver/,
  );
  await assert.rejects(
    load("future_api"),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "api-version" &&
      e.message.includes(
        `plugin API 2.0.0 is not compatible with host API ${PLUGIN_API_VERSION}`,
      ),
  );
  await assert.rejects(
    load("good", { modality: "gravity_gradient" }),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "modality" &&
      /serves gravity, magnetic/.test(e.message),
  );
  await assert.rejects(
    load("greedy"),
    (e: Error) =>
      e instanceof PluginLoadError && e.reason === "permissions" &&
      /net "example.org", read "tests\/ingestion\/plugins"/.test(e.message),
  );
  const ok = await load("greedy", {
    permissions: { net: ["example.org"], read: ["tests/ingestion/plugins"] },
  });
  await ok.close();
  await assert.rejects(
    load("good", { plugin: "other" }),
    /manifest id is "good", but the configuration names plugin "other"/,
  );
  assert.throws(() => resolvePluginModule("nope"), /not a built-in plugin/);
  assert.throws(() => resolvePluginModule("x", "http://example.org/p.ts"), /must use https/);
  assert.equal(resolvePluginModule("x", "/abs/p.ts"), pathToFileURL("/abs/p.ts").href);
  assert.equal(resolvePluginModule("x", "npm:gam-plugin@1.0.0"), "npm:gam-plugin@1.0.0");
});

Deno.test("an auth secret never appears in errors or logs", async () => {
  const secret = "s3cr3t-token-4242";
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", sink: (l) => lines.push(l) });
  const config = {
    auth: { portal: { fromEnv: "GAM_TEST_PORTAL_TOKEN" } },
    modalities: {
      gravity: {
        enabled: true,
        source: {
          type: "plugin",
          plugin: "good",
          module: "tests/ingestion/plugins/good.ts",
          permissions: { net: [], read: [], write: [], env: [], run: [], ffi: [], sys: [] },
          params: { fail: true },
          auth: "portal",
          allowInsecureHttp: [],
        },
      },
      magnetic: {
        enabled: true,
        source: {
          type: "plugin",
          plugin: "nope",
          permissions: { net: [], read: [], write: [], env: [], run: [], ffi: [], sys: [] },
          params: {},
          allowInsecureHttp: [],
        },
      },
    },
  };
  const { providers, failures } = await loadProviders(config as never, {
    getEnv: (n) => (n === "GAM_TEST_PORTAL_TOKEN" ? secret : undefined),
  });
  assert.match(failures.get("magnetic")!.message, /"nope" was refused/);
  const gravity = providers.get("gravity")!;
  assert.ok(!JSON.stringify(gravity.manifest).includes(secret));
  const service = new IngestionService({ providers, logger });
  const e = await service.fetch("gravity", BBOX, { params: { fail: true } }).catch((e) => e);
  await service.close();
  assert.ok(e instanceof ModalityFetchError);
  assert.ok(e.cause instanceof PluginError);
  assert.match(e.message, /upstream refused token \[REDACTED\]/);
  assert.ok(!e.message.includes(secret) && !String(e.cause).includes(secret));
  assert.ok(lines.length >= 2);
  assert.ok(lines.every((l) => !l.includes(secret)), "no log line holds the secret");
  assert.ok(lines.some((l) => l.includes("[REDACTED]")));
});

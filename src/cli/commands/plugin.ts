/**
 * `gam plugin check|ls|init`: check a plugin before configuring it, list the plugins a
 * configuration loads, scaffold a new plugin package.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  type FlagSpec,
  parseFlags,
  UsageError,
} from "../command.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { describeError } from "../report_error.ts";
import { escapeControlChars } from "../../observability/mod.ts";
import { type Bbox, parseBbox } from "../../contracts/mod.ts";
import { rawDataBytes } from "../../contracts/schemas.ts";
import {
  BUILTIN_PLUGINS,
  DEFAULT_RESILIENCE,
  IngestionService,
  type PermissionGrant,
  PluginLoadError,
  probePlugin,
  type ResilienceSettings,
  resolvePluginModule,
  SandboxedPlugin,
} from "../../ingestion/mod.ts";
import { summariseRawData } from "./fetch.ts";
import { initPlugin } from "./plugin_init.ts";

const HELP = `Usage: gam plugin <subcommand> [options]

Subcommands:
  check PATH|SPECIFIER  Check a plugin as the sandbox loads it: module-graph vetting, handshake
                        (manifest, API version), createPlugin() holding exactly the permissions
                        its manifest requests, and with --bbox a sample fetch validated like a
                        run's. PATH is a module path; SPECIFIER a file:, https: or npm: URL, or
                        a built-in plugin id (${BUILTIN_PLUGINS.join(", ")}).
  ls                    The plugins the configuration loads (built-in and third party): id,
                        version, resolved module URL, graph hash, granted permissions
  init NAME             Scaffold a plugin package in the folder NAME (see --help of init)

Options of check:
  --bbox B            minLon,minLat,maxLon,maxLat of the sample fetch (none: no fetch)
  --modality M        Modality of the sample fetch (default: the manifest's first)
  --params JSON       Plugin params as a JSON object (default {})
  --import HOSTS      Hosts it may import from, comma-separated (source.permissions.import;
                      default: none, or for an npm: specifier the npm registry in use)
  --registry URL      npm registry of an npm: SPECIFIER (default: Deno's; its host is granted
                      for import)
  --net HOSTS         Hosts to grant besides those the manifest requests (comma-separated)
  --read PATHS        Paths to grant besides those the manifest requests (comma-separated)
  --allow-insecure-http HOSTS  Hosts it may reach over plain http (loopback test servers)
Options of ls:
  --config FILE       Configuration file (default config/ingestion.yaml)
  --profile NAME      Profile from config/profiles/ (or GAM_PROFILE)
Both:
  --json              Machine-readable output on stdout
  -h, --help          Show this help

Exit status: 0 the plugin passed every check (ls: every plugin loaded); 1 a check failed;
2 usage error.`;

const FLAGS = {
  ...CONFIG_FLAGS,
  modality: { type: "string" },
  params: { type: "string" },
  import: { type: "string" },
  net: { type: "string" },
  read: { type: "string" },
  registry: { type: "string" },
  "allow-insecure-http": { type: "string" },
  json: { type: "boolean" },
} satisfies FlagSpec;

/** The npm registry of an `npm:` plugin, as a host for the import grant. */
function npmRegistryHost(registry: string | undefined): string {
  const url = registry ?? Deno.env.get("NPM_CONFIG_REGISTRY") ?? "https://registry.npmjs.org/";
  try {
    return new URL(url).host;
  } catch {
    throw new UsageError(`--registry must be an http(s) URL, got ${url}`);
  }
}

const list = (v: unknown) =>
  typeof v === "string" ? v.split(",").map((h) => h.trim()).filter((h) => h !== "") : [];

/** The module URL of `target`: a built-in id, a specifier, or a path. */
function moduleOf(target: string): { plugin: string; module: string } {
  if ((BUILTIN_PLUGINS as readonly string[]).includes(target)) {
    return { plugin: target, module: resolvePluginModule(target) };
  }
  return { plugin: target, module: resolvePluginModule("plugin-under-check", target) };
}

interface CheckReport {
  ok: boolean;
  target: string;
  stage: "graph" | "handshake" | "load" | "fetch" | "done";
  error?: string;
  id?: string;
  version?: string;
  apiVersion?: string;
  modalities?: string[];
  module?: string;
  graphHash?: string;
  modules?: number;
  npmPackages?: string[];
  npmIntegrity?: Record<string, string>;
  requested?: { net: string[]; read: string[] };
  fetch?: Record<string, unknown>;
}

/**
 * Checks a plugin as a run in a fresh, empty working folder would load it (a plugin's package
 * may not be the working folder, and `gam plugin check` is often run from the package).
 */
async function check(target: string, values: Record<string, unknown>): Promise<CheckReport> {
  const baseDir = await Deno.makeTempDir({ prefix: "gam-plugin-check-" });
  try {
    return await checkIn(target, values, baseDir);
  } finally {
    await Deno.remove(baseDir, { recursive: true });
  }
}

async function checkIn(
  target: string,
  values: Record<string, unknown>,
  baseDir: string,
): Promise<CheckReport> {
  let bbox: Bbox | undefined;
  if (typeof values.bbox === "string") bbox = parseBbox(values.bbox, "--bbox");
  let params: Record<string, unknown> = {};
  if (typeof values.params === "string") {
    try {
      params = JSON.parse(values.params);
    } catch (e) {
      throw new UsageError(`--params must be a JSON object, got ${values.params}: ${e}`);
    }
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw new UsageError(`--params must be a JSON object, got ${values.params}`);
    }
  }
  const { plugin, module } = moduleOf(target);
  const registry = typeof values.registry === "string" ? values.registry : undefined;
  const importHosts = typeof values.import === "string"
    ? list(values.import)
    : module.startsWith("npm:")
    ? [npmRegistryHost(registry)]
    : [];
  const insecure = list(values["allow-insecure-http"]);
  const report: CheckReport = { ok: false, target, stage: "graph", module };
  let probe;
  try {
    probe = await probePlugin({
      plugin,
      module,
      permissions: { import: importHosts },
      baseDir,
      npmRegistry: registry,
    });
  } catch (e) {
    const graph =
      /module graph|reaches|cannot be read|import grant|cannot be (loaded|resolved)|scheme/;
    report.stage = e instanceof PluginLoadError && e.reason === "import" &&
        graph.test(e.message)
      ? "graph"
      : "handshake";
    report.error = describeError(e);
    return report;
  }
  const m = probe.manifest;
  Object.assign(report, {
    stage: "load",
    id: m.id,
    version: m.version,
    apiVersion: m.apiVersion,
    modalities: m.modalities,
    module: probe.graph.module,
    graphHash: probe.graph.graphHash,
    modules: probe.graph.moduleCount,
    npmPackages: probe.graph.npmPackages,
    npmIntegrity: probe.graph.npmIntegrity,
    requested: { net: [...m.permissions.net], read: [...m.permissions.read] },
  });
  const modality = typeof values.modality === "string" ? values.modality : m.modalities[0];
  if (!m.modalities.includes(modality)) {
    throw new UsageError(
      `--modality "${modality}" is not served by ${m.id} (serves ${m.modalities.join(", ")})`,
    );
  }
  const permissions: PermissionGrant = {
    net: [...m.permissions.net, ...list(values.net)],
    read: [...m.permissions.read, ...list(values.read).map((p) => resolve(p))],
    import: importHosts,
  };
  let loaded: SandboxedPlugin;
  try {
    loaded = await SandboxedPlugin.load({
      plugin: m.id,
      module,
      modality,
      permissions,
      params,
      allowInsecureHttp: insecure,
      baseDir,
      npmRegistry: registry,
    });
  } catch (e) {
    report.error = describeError(e);
    return report;
  }
  report.stage = "fetch";
  if (bbox === undefined) {
    await loaded.close();
    report.stage = "done";
    report.ok = true;
    return report;
  }
  const service = new IngestionService({
    providers: { [modality]: loaded },
    resilience: { [modality]: CHECK_RESILIENCE },
  });
  try {
    const started = performance.now();
    const r = await service.fetch(modality, bbox, { params });
    report.fetch = {
      ...summariseRawData(r.data),
      bytes: rawDataBytes(r.data),
      seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    };
    report.stage = "done";
    report.ok = true;
  } catch (e) {
    report.error = describeError(e);
  } finally {
    await service.close();
  }
  return report;
}

/** One attempt: a check reports the first failure as it is. */
const CHECK_RESILIENCE: ResilienceSettings = {
  ...DEFAULT_RESILIENCE,
  timeoutMs: 60_000,
  retry: { ...DEFAULT_RESILIENCE.retry, maxAttempts: 1 },
};

function printCheck(r: CheckReport): void {
  const line = (k: string, v: unknown) =>
    console.log(
      `${k.padEnd(12)} ${escapeControlChars(typeof v === "string" ? v : JSON.stringify(v))}`,
    );
  line("plugin", r.id ? `${r.id}@${r.version} (API ${r.apiVersion})` : r.target);
  line("module", r.module ?? "");
  if (r.graphHash) {
    line("graph", `${r.graphHash} (${r.modules} modules)`);
    if (r.npmPackages?.length) {
      line(
        "npm",
        r.npmPackages.map((p) => r.npmIntegrity?.[p] ? `${p} (${r.npmIntegrity[p]})` : p).join(
          ", ",
        ),
      );
    }
    line("modalities", (r.modalities ?? []).join(", "));
    line(
      "requests",
      `net: ${r.requested?.net.join(", ") || "none"}; read: ${
        r.requested?.read.join(", ") || "none"
      }`,
    );
  }
  if (r.fetch) {
    const f = r.fetch;
    line(
      "fetch",
      `${f.kind} ${f.size} in ${f.units}, ${f.bytes} bytes, bbox ${JSON.stringify(f.bbox)}, ` +
        `values ${f.valueMin} to ${f.valueMax}, ${f.seconds} s`,
    );
  } else if (r.ok) line("fetch", "skipped (no --bbox)");
  line("result", r.ok ? "ok" : `failed at ${r.stage}: ${r.error}`);
}

interface LsRow {
  modality: string;
  enabled: boolean;
  plugin: string;
  builtin: boolean;
  version?: string;
  apiVersion?: string;
  module?: string;
  graphHash?: string;
  granted: PermissionGrant;
  error?: string;
}

async function ls(values: Record<string, unknown>): Promise<LsRow[]> {
  const { config } = await loadConfigFromFlags(values);
  return await Promise.all(
    Object.entries(config.modalities).map(async ([modality, section]) => {
      const src = section.source;
      const row: LsRow = {
        modality,
        enabled: section.enabled,
        plugin: src.plugin,
        builtin: src.module === undefined || src.module === "",
        granted: src.permissions,
      };
      try {
        const module = resolvePluginModule(src.plugin, src.module);
        row.module = module;
        const probe = await probePlugin({
          plugin: src.plugin,
          module,
          permissions: src.permissions,
          limits: src.limits,
          npmRegistry: src.registry,
        });
        row.version = probe.manifest.version;
        row.apiVersion = probe.manifest.apiVersion;
        row.module = probe.graph.module;
        row.graphHash = probe.graph.graphHash;
        if (probe.manifest.id !== src.plugin) {
          row.error = `its manifest id is "${probe.manifest.id}", not "${src.plugin}"`;
        }
      } catch (e) {
        row.error = describeError(e);
      }
      return row;
    }),
  );
}

function grantText(g: PermissionGrant): string {
  const parts = Object.entries(g)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k, v]) => `${k}: ${(v as string[]).join(", ")}`);
  return parts.join("; ") || "none";
}

/** `gam plugin`. */
export const pluginCommand: Command = {
  name: "plugin",
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "init") return await initPlugin(rest);
    if (sub !== "check" && sub !== "ls") {
      throw new UsageError(
        `gam plugin needs a subcommand: check, ls or init${sub ? ` (got "${sub}")` : ""}`,
      );
    }
    const { values, positionals } = parseFlags(rest, FLAGS);
    if (sub === "check") {
      if (positionals.length !== 1) {
        throw new UsageError(
          `gam plugin check needs one PATH or SPECIFIER, got ${positionals.length}`,
        );
      }
      const report = await check(positionals[0], values);
      if (values.json) console.log(JSON.stringify(report));
      else printCheck(report);
      return report.ok ? EXIT_OK : EXIT_FAILURE;
    }
    if (positionals.length > 0) {
      throw new UsageError(`gam plugin ls takes no arguments, got ${positionals.join(" ")}`);
    }
    const rows = await ls(values);
    if (values.json) console.log(JSON.stringify(rows));
    else {
      for (const r of rows) {
        console.log(
          escapeControlChars(
            `${r.modality}${r.enabled ? "" : " (disabled)"}: ${r.plugin}` +
              `${r.version ? `@${r.version}` : ""}${r.builtin ? " (built-in)" : ""}`,
          ),
        );
        console.log(escapeControlChars(`  module   ${r.module ?? "?"}`));
        if (r.graphHash) console.log(`  graph    ${r.graphHash}`);
        console.log(escapeControlChars(`  granted  ${grantText(r.granted)}`));
        if (r.error) console.log(escapeControlChars(`  error    ${r.error}`));
      }
    }
    return rows.some((r) => r.error !== undefined) ? EXIT_FAILURE : EXIT_OK;
  },
};

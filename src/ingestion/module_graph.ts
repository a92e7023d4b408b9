/**
 * Vetting a plugin's module graph before any of its code runs: the graph is built with
 * `deno info --json` (Deno's own module graph tooling, which parses but never executes), with
 * remote imports limited to the plugin's granted import hosts so that building it contacts no
 * other host. A plugin is refused when a static import, or a dynamic import with a literal
 * specifier, reaches
 * - from the plugin's own code (its package folder, {@linkcode packageFolderOf}; `src/plugins/`
 *   for a built-in): a local file outside that folder other than the plugin API's entry points
 *   ({@linkcode PLUGIN_API_ENTRIES}, imported as `@gam/pipeline/plugin`);
 * - from the plugin API's modules: a file outside {@linkcode PLUGIN_API_CLOSURE};
 * - a remote module (`https:`, `jsr:`), or an npm package the plugin's own code imports, whose
 *   host is not in the grant's `import` list (the API's own npm packages are the host's);
 * - a module Deno could not load (the error is quoted).
 *
 * The same graph gives the plugin's identity: the SHA-256 of every module's specifier and
 * source bytes (npm packages by name, version and registry), which goes into cache keys and
 * run manifests.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PluginLoadError } from "./errors.ts";

/** The project's root folder (the one holding its `deno.json`). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** The project's `deno.json`: import map of the built-in plugins. */
export const PROJECT_CONFIG: string = join(PROJECT_ROOT, "deno.json");

/**
 * The plugin API's entry points (`src/plugin/`): the only host modules a plugin's own code may
 * import, built-in or third party. Plugins import them as {@linkcode PLUGIN_API_SPECIFIERS}.
 */
export const PLUGIN_API_ENTRIES: readonly string[] = [
  "src/plugin/mod.ts",
  "src/plugin/readers.ts",
];

/**
 * The bare specifiers of the plugin API, mapped by the host to its own
 * {@linkcode PLUGIN_API_ENTRIES} in every plugin's import map (a peer dependency the host
 * provides: a plugin runs against the API of the host that runs it).
 */
export const PLUGIN_API_SPECIFIERS: Readonly<Record<string, string>> = {
  "@gam/pipeline/plugin": "src/plugin/mod.ts",
  "@gam/pipeline/plugin/readers": "src/plugin/readers.ts",
};

/**
 * Host modules the plugin API's graph may reach: the API itself and the side-effect-free code
 * behind it (its errors and HTTP helper, contracts, units, file formats, the generated numeric
 * kernels the table reader calls, the static dataset registry for DOIs). Nothing of
 * configuration, secrets, cache, database or jobs.
 * A plugin's own code reaches them only through {@linkcode PLUGIN_API_ENTRIES}.
 */
export const PLUGIN_API_CLOSURE: readonly string[] = [
  "src/plugin/",
  "src/ingestion/plugin_api.ts",
  "src/ingestion/errors.ts",
  "src/ingestion/http_source.ts",
  "src/contracts/",
  "src/units/",
  "src/formats/",
  "src/compute/wasm/",
  "src/datasets/registry.ts",
];

/** The built-in plugins' package folder. */
export const BUILTIN_PACKAGE = "src/plugins/";

/** What {@linkcode vetModuleGraph} found. */
export interface VettedGraph {
  /** The plugin's module specifier, resolved (a `file:`, `https:` or `npm:` URL). */
  module: string;
  /** `sha256:<hex>` of the graph's sources (see the module doc). */
  graphHash: string;
  /** The folders and files local imports may reach (real paths; folders end with `/`). */
  packageRoots: string[];
  /**
   * The import map the plugin resolves with (`--import-map`): the project's `deno.json` for a
   * built-in; for a third-party plugin a `data:` URL holding its package's `deno.json`
   * `imports` and `scopes` (relative targets made absolute), the plugin API specifiers mapped
   * to the host's API, and the project's imports scoped to the host's `src/` (what the API's own
   * modules import). Nothing else of a package's `deno.json` applies (`--no-config`): a
   * plugin's config cannot switch on unstable APIs, a `node_modules` folder or anything else.
   */
  importMap: string | undefined;
  /** Remote hosts the graph uses (`host[:port]`), npm registries included. */
  remoteHosts: string[];
  /** How many modules (npm packages counted once each). */
  moduleCount: number;
  /** The npm packages the graph uses (`name@version`), transitively, the API's included. */
  npmPackages: string[];
  /** The npm packages the plugin's own code uses (`name@version`), transitively. */
  pluginNpmPackages: string[];
  /**
   * The integrity (`sha512-...`, from the lock file) of every npm package of the plugin's own,
   * by `name@version`: for a plugin installed from a registry (`npm:` module).
   */
  npmIntegrity: Record<string, string>;
  /** Extra `deno run` flags the child needs to load the graph as it was vetted. */
  runFlags: string[];
}

/** Options of {@linkcode vetModuleGraph}. */
export interface VetOptions {
  /** The plugin id (for messages). */
  plugin: string;
  /** Whether the module is a built-in plugin (`src/plugins/<id>/mod.ts`). */
  builtin: boolean;
  /** Hosts (`host` or `host:port`) the plugin may import from. @default [] */
  importHosts?: readonly string[];
  /** `DENO_DIR` for `deno info`. @default Deno's own choice */
  denoDir?: string;
  /** Time allowed for `deno info`, milliseconds. @default 60000 */
  timeoutMs?: number;
  /** Working folder of `deno info` (the plugin process's too). @default Deno.cwd() */
  cwd?: string;
  /**
   * The lock file of plugins installed from a registry (`npm:` modules): `deno info` records
   * each package's integrity there on first use and checks it on every later load (a package
   * whose bytes changed under the same version is refused). @default `plugins.lock` in `cwd`
   */
  lockFile?: string;
  /** The npm registry URL (`NPM_CONFIG_REGISTRY` of `deno info`). @default Deno's */
  npmRegistry?: string;
}

interface InfoDependency {
  specifier: string;
  code?: { specifier: string; span?: { start: { line: number; character: number } } };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  kind?: string;
  local?: string;
  error?: string;
  dependencies?: InfoDependency[];
  npmPackage?: string;
}

interface InfoOutput {
  roots: string[];
  modules: InfoModule[];
  redirects: Record<string, string>;
  npmPackages: Record<
    string,
    { name: string; version: string; registryUrl?: string; dependencies?: string[] }
  >;
}

/** How many folders above a module's own the search for its package's manifest goes. */
const PACKAGE_SEARCH_LEVELS = 3;

/**
 * The package folder of a local plugin module: the nearest folder, from the module's own up to
 * {@linkcode PACKAGE_SEARCH_LEVELS} above it, that holds a `deno.json`, `deno.jsonc` or
 * `package.json`; otherwise the module's own folder. The search never reaches a folder that
 * holds the GAM project, the working folder or the user's home (a `package.json` in the home
 * folder would otherwise open every dotfile to a static JSON import, the working folder holds
 * the cache), nor the file-system root; a module lying directly in such a folder is refused.
 * Returns the folder and the `deno.json` found there, if any (its import map is used; a
 * `deno.jsonc` marks the folder but is not read).
 *
 * @param modulePath The module's real path.
 * @param cwd The working folder of the run. @default Deno.cwd()
 * @throws {RangeError} for a module lying directly in a folder that may not be a package.
 *
 * @example Usage
 * ```ts
 * import { packageFolderOf } from "./module_graph.ts";
 * packageFolderOf("/work/gam/examples/plugins/constant_field.ts").folder;
 * // "/work/gam/examples/plugins/" (the GAM project's deno.json does not count)
 * ```
 */
export function packageFolderOf(
  modulePath: string,
  cwd: string = Deno.cwd(),
): { folder: string; config?: string } {
  const own = dirname(modulePath);
  if (forbiddenPackage(own, cwd)) {
    throw new RangeError(
      `the plugin module ${modulePath} lies directly in ${own}, which holds the GAM project, ` +
        `the working folder (with the cache and outputs) or the home folder; put the plugin ` +
        `in a folder of its own`,
    );
  }
  let dir = own;
  for (let level = 0; level <= PACKAGE_SEARCH_LEVELS; level++, dir = dirname(dir)) {
    if (forbiddenPackage(dir, cwd) || dirname(dir) === dir) break;
    for (const name of ["deno.json", "deno.jsonc", "package.json"]) {
      if (exists(join(dir, name))) {
        return {
          folder: withSlash(dir),
          config: name === "deno.json" ? join(dir, name) : undefined,
        };
      }
    }
  }
  return { folder: withSlash(own) };
}

/** A folder that is, or holds, the GAM project, the working folder or the home folder. */
function forbiddenPackage(dir: string, cwd: string): boolean {
  const stops = [PROJECT_ROOT, cwd, Deno.env.get("HOME")]
    .filter((p): p is string => p !== undefined && p !== "")
    .map((p) => withSlash(realPath(p)));
  return dirname(dir) === dir || stops.some((s) => s.startsWith(withSlash(dir)));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const withSlash = (p: string) => (p.endsWith(sep) ? p : p + sep);

/** `host:port` of a URL with the default port dropped, as grants are written. */
function hostOf(url: URL): string {
  return url.host;
}

/**
 * Whether `host` (`name` or `name:port`) is covered by a grant list: the same entry, or the
 * name without a port.
 *
 * @example Usage
 * ```ts
 * import { hostGranted } from "./module_graph.ts";
 * hostGranted("deno.land", ["deno.land"]); // true
 * hostGranted("127.0.0.1:8080", ["127.0.0.1"]); // true
 * hostGranted("evil.org", ["deno.land"]); // false
 * ```
 */
export function hostGranted(host: string, granted: readonly string[]): boolean {
  const bare = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return granted.some((g) => g === host || g.replace(/^\[|\]$/g, "") === bare);
}

/**
 * Builds the plugin's module graph without running it and vets it (see the module doc).
 *
 * @param module The plugin's module URL (`resolvePluginModule`).
 * @param options Plugin id, built-in or not, import hosts.
 * @returns The vetted graph: package roots, import map, identity hash.
 * @throws {PluginLoadError} (reason `"import"`) naming the import and the file that contains it.
 *
 * @example Usage
 * ```ts ignore
 * import { vetModuleGraph } from "./module_graph.ts";
 * const g = await vetModuleGraph("file:///plugins/mine/mod.ts", { plugin: "mine", builtin: false });
 * g.graphHash; // "sha256:..."
 * ```
 */
export async function vetModuleGraph(module: string, options: VetOptions): Promise<VettedGraph> {
  const label = options.plugin;
  const importHosts = [...(options.importHosts ?? [])];
  const project = realPath(PROJECT_ROOT);
  const inProject = (list: readonly string[]) =>
    list.map((p) => {
      const abs = join(project, p);
      return p.endsWith("/") ? withSlash(abs) : abs;
    });
  const apiEntries = inProject(PLUGIN_API_ENTRIES);
  const apiClosure = inProject(PLUGIN_API_CLOSURE);
  /** Folders and files of the plugin's own code. */
  let roots: string[];
  let config: string | undefined;
  if (options.builtin) {
    roots = inProject([BUILTIN_PACKAGE]);
    config = PROJECT_CONFIG;
  } else if (module.startsWith("file:")) {
    const path = fileURLToPath(module);
    let real: string;
    try {
      real = Deno.realPathSync(path);
    } catch (e) {
      throw new PluginLoadError(label, "import", `its module ${path} cannot be read: ${e}`);
    }
    let pkg: { folder: string; config?: string };
    try {
      pkg = packageFolderOf(real, options.cwd);
    } catch (e) {
      throw new PluginLoadError(label, "import", (e as Error).message);
    }
    roots = [withSlash(realPath(pkg.folder))];
    config = pluginImportMap(pkg.config);
    module = pathToFileURL(real).href;
  } else {
    roots = [];
    config = pluginImportMap(undefined);
  }
  const info = await denoInfo(module, config, importHosts, options);
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const redirects = info.redirects ?? {};
  const follow = (s: string) => {
    for (let i = 0; i < 10 && redirects[s] !== undefined; i++) s = redirects[s];
    return s;
  };
  const where = (m: InfoModule, d: InfoDependency) => {
    const file = m.specifier.startsWith("file:") ? fileURLToPath(m.specifier) : m.specifier;
    const at = d.code?.span?.start;
    return at ? `${file}:${at.line + 1}:${at.character + 1}` : file;
  };
  const refuse = (m: InfoModule, d: InfoDependency, why: string): never => {
    const kind = d.isDynamic ? "dynamic import" : "import";
    throw new PluginLoadError(
      label,
      "import",
      `its ${kind} "${d.specifier}" in ${where(m, d)} ${why}`,
    );
  };
  const remoteHosts = new Set<string>();
  const rootSpecifier = follow(info.roots[0] ?? module);
  const within = (real: string, list: readonly string[]) =>
    list.some((r) => r.endsWith(sep) ? real.startsWith(r) || withSlash(real) === r : real === r);
  /** Whether a module is the host's (the plugin API and what it imports), not the plugin's. */
  const isHost = (m: InfoModule | undefined) => {
    if (!m?.specifier.startsWith("file:")) return false;
    const real = realPath(fileURLToPath(m.specifier));
    return within(real, apiClosure) && !within(real, roots);
  };
  // Check an edge's target (or the root itself when it is remote).
  const checkTarget = (
    target: string,
    m: InfoModule | undefined,
    d: InfoDependency | undefined,
  ) => {
    const url = new URL(target);
    const fail = (why: string) => {
      if (m && d) refuse(m, d, why);
      throw new PluginLoadError(label, "import", `its module ${target} ${why}`);
    };
    const host = isHost(m);
    switch (url.protocol) {
      case "file:": {
        const path = fileURLToPath(url);
        let real: string;
        try {
          real = Deno.realPathSync(path);
        } catch {
          return fail(`reaches ${path}, which does not exist`);
        }
        if (host) {
          // The plugin API's own imports stay in its closure.
          if (!within(real, apiClosure)) {
            fail(`reaches ${real}, outside the plugin API (${PLUGIN_API_CLOSURE.join(", ")})`);
          }
          return;
        }
        if (!within(real, roots) && !within(real, apiEntries)) {
          fail(
            `reaches ${real}, outside the plugin's package folder ` +
              `(${roots.join(", ") || "none: a remote plugin has no local files"}) and the ` +
              `plugin API (import it as ${Object.keys(PLUGIN_API_SPECIFIERS).join(" or ")})`,
          );
        }
        return;
      }
      case "https:":
      case "http:":
        if (!hostGranted(hostOf(url), importHosts)) {
          fail(
            `reaches host ${hostOf(url)}, which is not in its import grant ` +
              `(source.permissions.import: ${importHosts.join(", ") || "none"})`,
          );
        }
        remoteHosts.add(hostOf(url));
        return;
      case "jsr:":
        if (!hostGranted("jsr.io", importHosts)) {
          fail(
            "is a jsr: package, and jsr.io is not in its import grant (source.permissions.import)",
          );
        }
        remoteHosts.add("jsr.io");
        return;
      case "npm:":
        return; // checked per package below, with its registry
      case "node:":
      case "data:":
        return;
      default:
        fail(`uses the ${url.protocol} scheme, which plugins may not import`);
    }
  };
  checkTarget(rootSpecifier, undefined, undefined);
  // Walk the code edges from the root: type-only imports are erased before running, so the
  // modules only they reach are neither vetted nor part of the identity.
  const reachable: InfoModule[] = [];
  const npmIds = new Set<string>();
  /** npm packages the plugin's own modules import (the API's are the host's concern). */
  const pluginNpm = new Set<string>();
  const seen = new Set<string>([rootSpecifier]);
  const queue: { specifier: string; user?: InfoModule; dep?: InfoDependency }[] = [
    { specifier: rootSpecifier },
  ];
  while (queue.length > 0) {
    const { specifier, user, dep } = queue.shift()!;
    const m = bySpecifier.get(specifier);
    if (!m) {
      if (specifier.startsWith("node:")) continue;
      if (user && dep) refuse(user, dep, "is missing from the module graph");
      throw new PluginLoadError(label, "import", `deno info did not list its module ${specifier}`);
    }
    if (m.error !== undefined) {
      if (user && dep) refuse(user, dep, `cannot be loaded: ${m.error}`);
      throw new PluginLoadError(
        label,
        "import",
        `its module ${specifier} cannot be loaded: ${m.error}`,
      );
    }
    reachable.push(m);
    if (m.npmPackage) {
      npmIds.add(m.npmPackage);
      if (!isHost(user)) pluginNpm.add(m.npmPackage);
    }
    for (const d of m.dependencies ?? []) {
      if (!d.code) continue;
      const code = d.code as { specifier?: string; error?: string };
      if (code.specifier === undefined) {
        refuse(m, d, `cannot be resolved: ${code.error ?? "unknown error"}`);
      }
      const target = follow(code.specifier!);
      checkTarget(target, m, d);
      if (!seen.has(target)) {
        seen.add(target);
        queue.push({ specifier: target, user: m, dep: d });
      }
    }
  }
  // npm packages: their dependencies, transitively.
  const closeOver = (ids: Set<string>) => {
    const pending = [...ids];
    while (pending.length > 0) {
      const id = pending.pop()!;
      for (const d of info.npmPackages?.[id]?.dependencies ?? []) {
        if (!ids.has(d)) {
          ids.add(d);
          pending.push(d);
        }
      }
    }
  };
  closeOver(npmIds);
  closeOver(pluginNpm);
  const registryHost = (id: string) =>
    hostOf(new URL(info.npmPackages?.[id]?.registryUrl ?? "https://registry.npmjs.org/"));
  for (const id of pluginNpm) {
    const host = registryHost(id);
    if (!options.builtin && !hostGranted(host, importHosts)) {
      throw new PluginLoadError(
        label,
        "import",
        `its graph uses npm package ${id} from ${host}, which is not in its import grant ` +
          `(source.permissions.import: ${importHosts.join(", ") || "none"})`,
      );
    }
  }
  for (const id of npmIds) remoteHosts.add(registryHost(id));
  const npmIntegrity: Record<string, string> = {};
  const lock = lockFileOf(module, options);
  if (lock !== undefined) {
    const locked = readLock(lock);
    for (const id of [...pluginNpm].sort()) {
      const integrity = locked[id];
      if (integrity === undefined) {
        throw new PluginLoadError(
          label,
          "import",
          `its npm package ${id} has no integrity in the lock file ${lock}`,
        );
      }
      // Deno checks the lock when it downloads a package, not when it finds it in its cache:
      // compare the lock with the integrity the cached package was downloaded against.
      const pkg = info.npmPackages?.[id];
      const cached = pkg && "localPath" in pkg
        ? cachedIntegrity(String((pkg as { localPath: unknown }).localPath), pkg.version)
        : undefined;
      if (cached !== undefined && cached !== integrity) {
        throw new PluginLoadError(
          label,
          "import",
          `its npm package ${id} does not match the integrity in the lock file ${lock} ` +
            `(locked ${integrity}, the cached package was downloaded as ${cached}); if the ` +
            `new package is trusted, remove its entry from the lock file`,
        );
      }
      npmIntegrity[id] = integrity;
    }
  }
  return {
    module,
    graphHash: await hashGraph(
      reachable,
      [...npmIds].map((id) => [
        id,
        `${info.npmPackages?.[id]?.registryUrl ?? ""} ${npmIntegrity[id] ?? ""}`.trim(),
      ]),
      options.builtin ? project : roots[0],
    ),
    packageRoots: roots,
    importMap: config,
    remoteHosts: [...remoteHosts].sort(),
    moduleCount: reachable.length + npmIds.size,
    npmPackages: [...npmIds].sort(),
    pluginNpmPackages: [...pluginNpm].sort(),
    npmIntegrity,
    runFlags: pinFlags(module),
  };
}

/**
 * The import map of a third-party plugin, as a `data:` URL (see {@linkcode VettedGraph.importMap}).
 *
 * @param packageConfig The plugin package's `deno.json`, if it has one.
 * @throws {PluginLoadError} when that file is not valid JSON.
 *
 * @example Usage
 * ```ts
 * import { pluginImportMap } from "./module_graph.ts";
 * pluginImportMap(undefined).startsWith("data:application/json;base64,"); // true
 * ```
 */
export function pluginImportMap(packageConfig: string | undefined): string {
  const projectUrl = pathToFileURL(withSlash(realPath(PROJECT_ROOT)));
  const own = packageConfig === undefined ? {} : readImportMap(packageConfig);
  const base = packageConfig === undefined ? undefined : pathToFileURL(packageConfig);
  const absolute = (map: Record<string, string> | undefined) =>
    Object.fromEntries(
      Object.entries(map ?? {}).map(([k, v]) => [
        k,
        base && /^\.{0,2}\//.test(v) ? new URL(v, base).href : v,
      ]),
    );
  const project = readImportMap(PROJECT_CONFIG);
  const imports: Record<string, string> = absolute(own.imports);
  for (const [spec, path] of Object.entries(PLUGIN_API_SPECIFIERS)) {
    imports[spec] = new URL(path, projectUrl).href;
  }
  // A package's scopes may not reach into the host's files (they resolve with the host's map).
  const scopes: Record<string, Record<string, string>> = {};
  for (const [scope, map] of Object.entries(own.scopes ?? {})) {
    const key = base ? new URL(scope, base).href : scope;
    if (key.startsWith(projectUrl.href) || projectUrl.href.startsWith(key)) continue;
    scopes[key] = absolute(map);
  }
  scopes[new URL("src/", projectUrl).href] = Object.fromEntries(
    Object.entries(project.imports ?? {}).map(([k, v]) => [
      k,
      /^\.{0,2}\//.test(v) ? new URL(v, projectUrl).href : v,
    ]),
  );
  const json = JSON.stringify({ imports, scopes });
  return `data:application/json;base64,${
    btoa(String.fromCharCode(...new TextEncoder().encode(json)))
  }`;
}

/** The integrity Deno downloaded a cached npm package against (its `registry.json`). */
function cachedIntegrity(localPath: string, version: string): string | undefined {
  try {
    const meta = JSON.parse(Deno.readTextFileSync(join(dirname(localPath), "registry.json")));
    const v = meta?.versions?.[version]?.dist?.integrity;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `name@version` to integrity, from a Deno lock file's `npm` section. */
function readLock(path: string): Record<string, string> {
  try {
    const j = JSON.parse(Deno.readTextFileSync(path)) as {
      npm?: Record<string, { integrity?: string }>;
    };
    return Object.fromEntries(
      Object.entries(j.npm ?? {}).flatMap(([id, v]) =>
        v.integrity === undefined ? [] : [[id, v.integrity]]
      ),
    );
  } catch {
    return {};
  }
}

function readImportMap(
  path: string,
): { imports?: Record<string, string>; scopes?: Record<string, Record<string, string>> } {
  try {
    const j = JSON.parse(Deno.readTextFileSync(path));
    return { imports: j.imports, scopes: j.scopes };
  } catch (e) {
    throw new PluginLoadError(path, "import", `its deno.json ${path} cannot be read: ${e}`);
  }
}

function realPath(p: string): string {
  try {
    return Deno.realPathSync(p);
  } catch {
    return p;
  }
}

/** The lock file of a registry-installed plugin (see {@linkcode VetOptions.lockFile}). */
function lockFileOf(module: string, options: VetOptions): string | undefined {
  if (!module.startsWith("npm:")) return undefined;
  return options.lockFile ?? join(options.cwd ?? Deno.cwd(), "plugins.lock");
}

function lockFlags(module: string, options: VetOptions): string[] {
  const lock = lockFileOf(module, options);
  return lock === undefined ? ["--no-lock"] : [`--lock=${lock}`, ...pinFlags(module)];
}

/**
 * Deno refuses npm versions published in the last 24 hours (its minimum dependency age), which
 * guards range resolution against a freshly published bad release. A module pinned to an exact
 * version (`npm:@acme/x@1.2.3`) is what the configuration chose, and its integrity is locked on
 * first use, so the age policy is lifted for it; ranges keep it.
 */
function pinFlags(module: string): string[] {
  return /^npm:(@[^/]+\/)?[^@/]+@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\/.*)?$/.test(module)
    ? ["--minimum-dependency-age=0"]
    : [];
}

async function denoInfo(
  module: string,
  config: string | undefined,
  importHosts: string[],
  options: VetOptions,
): Promise<InfoOutput> {
  const args = [
    "info",
    "--json",
    ...lockFlags(module, options),
    "--no-config",
    ...(config ? [`--import-map=${config}`] : []),
    importHosts.length > 0 ? `--allow-import=${importHosts.join(",")}` : "--deny-import",
    module,
  ];
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  if (options.denoDir) env.DENO_DIR = options.denoDir;
  if (options.npmRegistry) env.NPM_CONFIG_REGISTRY = options.npmRegistry;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), options.timeoutMs ?? 60_000);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(Deno.execPath(), {
      args,
      env,
      cwd: options.cwd ?? Deno.cwd(),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).output();
  } finally {
    clearTimeout(timer);
  }
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new PluginLoadError(
      options.plugin,
      "import",
      `its module graph could not be built (deno info${ac.signal.aborted ? " timed out" : ""}): ` +
        (stderr.split("\n").find((l) => /error/i.test(l)) ?? stderr.slice(-500)),
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as InfoOutput;
}

/**
 * Local files are hashed under their path relative to `base` (the package folder, or the project
 * for built-ins), so the same plugin checked out in two places has the same hash; the module URL
 * is a separate part of the identity.
 */
async function hashGraph(
  modules: InfoModule[],
  npm: [string, string][],
  base: string | undefined,
): Promise<string> {
  const lines: string[] = [];
  for (const m of modules) {
    if (m.specifier.startsWith("node:") || m.kind === "npm") continue;
    let digest: string;
    if (m.local) {
      const bytes = await Deno.readFile(m.local);
      digest = createHash("sha256").update(bytes).digest("hex");
    } else {
      digest = createHash("sha256").update(m.specifier).digest("hex");
    }
    let spec = m.specifier;
    if (spec.startsWith("file:")) {
      const real = Deno.realPathSync(fileURLToPath(spec));
      const project = realPath(PROJECT_ROOT);
      spec = real.startsWith(withSlash(project))
        ? `gam:${relative(project, real)}`
        : `file:${relative(base ?? project, real)}`;
    }
    lines.push(`${spec} ${digest}`);
  }
  for (const [id, registry] of npm) lines.push(`npm:${id} ${registry}`);
  lines.sort();
  return `sha256:${createHash("sha256").update(lines.join("\n")).digest("hex")}`;
}

let denoDirPromise: Promise<string> | undefined;

/**
 * Deno's cache folder (`DENO_DIR`) as this process uses it: plugin children get the same one,
 * so that the module graph `deno info` cached is the one they run (`--cached-only`).
 *
 * @example Usage
 * ```ts ignore
 * import { denoCacheDir } from "./module_graph.ts";
 * await denoCacheDir(); // "/root/.cache/deno"
 * ```
 */
export function denoCacheDir(): Promise<string> {
  denoDirPromise ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string }).denoDir;
  })();
  return denoDirPromise;
}

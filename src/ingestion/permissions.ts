/**
 * Plugin permissions: what the configuration grants (`source.permissions`), the check that a
 * manifest asks for no more, grants resolved to real paths, and the `deno run` flags of the
 * plugin's child process that enforce them.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";

/**
 * Permissions granted to a plugin (the config's `source.permissions`). Every list defaults to
 * empty: nothing is granted unless listed.
 *
 * @example Usage
 * ```ts
 * import type { PermissionGrant } from "./permissions.ts";
 * const g: PermissionGrant = { net: ["icgem.gfz-potsdam.de"], read: ["surveys/"] };
 * ```
 */
export interface PermissionGrant {
  /** Hosts, `host` or `host:port`. */
  net?: readonly string[];
  /** Paths to read. */
  read?: readonly string[];
  /** Paths to write. */
  write?: readonly string[];
  /** Environment variable names. */
  env?: readonly string[];
  /** Programs. */
  run?: readonly string[];
  /** Native libraries. */
  ffi?: readonly string[];
  /** Deno sys API names. */
  sys?: readonly string[];
  /** Hosts the plugin's code may be imported from (remote modules, npm registry). */
  import?: readonly string[];
}

/** A grant cannot be honoured safely: a link leading out of a folder, a write grant, ... */
export class GrantError extends RangeError {
  /** The grant entry, as configured. */
  readonly entry: string;
  /**
   * @param entry The grant entry, as configured.
   * @param detail What was found and what is expected.
   */
  constructor(entry: string, detail: string) {
    super(detail);
    this.name = "GrantError";
    this.entry = entry;
  }
}

/** A grant with paths resolved to real paths (see {@linkcode resolveGrant}). */
export interface ResolvedGrant {
  /** Hosts. */
  net: string[];
  /** Real paths (files or folders). */
  read: string[];
  /** Environment variable names. */
  env: string[];
  /** Programs. */
  run: string[];
  /** Real paths of native libraries. */
  ffi: string[];
  /** Deno sys API names. */
  sys: string[];
  /** Import hosts. */
  import: string[];
}

/** Options of {@linkcode resolveGrant}. */
export interface ResolveGrantOptions {
  /** Base of relative paths. @default Deno.cwd() */
  baseDir?: string;
  /** Most entries walked under all read grants together. @default 100000 */
  maxEntries?: number;
}

/**
 * Resolves a grant for a child process: read and ffi paths become real paths
 * (`realpath`), and every read folder is walked (bounded by `maxEntries`): a symbolic link whose
 * target lies outside every read grant refuses the grant, because Deno checks the path a plugin
 * names, not the file a link leads to. Write grants are refused: a plugin writes only to the
 * scratch folder the host creates for it.
 *
 * @throws {GrantError} naming the entry and the link (or the write grant).
 *
 * @example Usage
 * ```ts
 * import { resolveGrant } from "./permissions.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const g = await resolveGrant({ read: [`${dir}/../${dir.split("/").at(-1)}`] });
 *   g.read; // [dir]: absolute, `..` resolved, symbolic links followed
 * } finally {
 *   await Deno.remove(dir);
 * }
 * ```
 */
export async function resolveGrant(
  grant: PermissionGrant,
  options: ResolveGrantOptions = {},
): Promise<ResolvedGrant> {
  const baseDir = options.baseDir ?? Deno.cwd();
  if ((grant.write ?? []).length > 0) {
    throw new GrantError(
      grant.write![0],
      `write grants are not accepted (${grant.write!.join(", ")}): a plugin writes only to the ` +
        `scratch folder the host creates for it (PluginOptions.scratchDir); remove ` +
        `source.permissions.write`,
    );
  }
  const real = async (p: string) => {
    const abs = absolutePath(p, baseDir);
    try {
      return await Deno.realPath(abs);
    } catch (e) {
      throw new GrantError(p, `the granted path ${abs} cannot be resolved: ${errorMessage(e)}`);
    }
  };
  const realRead = await Promise.all((grant.read ?? []).map(real));
  const ffi = await Promise.all((grant.ffi ?? []).map(real));
  let budget = options.maxEntries ?? 100_000;
  const inside = (path: string) =>
    realRead.some((r) => path === r || path.startsWith(r.endsWith("/") ? r : `${r}/`));
  for (const [i, root] of realRead.entries()) {
    const stack = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(dir);
      } catch {
        continue;
      }
      if (!info.isDirectory) continue;
      for await (const e of Deno.readDir(dir)) {
        if (--budget < 0) {
          throw new GrantError(
            grant.read![i],
            `the granted folder ${root} holds more than ${options.maxEntries ?? 100_000} ` +
              `entries to check for links; grant a narrower folder`,
          );
        }
        const path = `${dir}/${e.name}`;
        if (e.isSymlink) {
          let target: string;
          try {
            target = await Deno.realPath(path);
          } catch {
            // A dangling link: judge the path it names.
            target = absolutePath(await Deno.readLink(path), dir);
          }
          if (!inside(target)) {
            throw new GrantError(
              grant.read![i],
              `the granted folder ${root} holds a link ${path} leading outside the read grants ` +
                `(to ${target}); remove the link or grant its target`,
            );
          }
        } else if (e.isDirectory) {
          stack.push(path);
        }
      }
    }
  }
  // The granted path as written is granted too when it is a link to the real one: a plugin
  // names the path it was configured with, and the folder behind it is the one walked above.
  const asWritten = (grant.read ?? []).map((p) => absolutePath(p, baseDir));
  const read = [...new Set([...realRead, ...asWritten])];
  return {
    net: [...(grant.net ?? [])],
    read,
    env: [...(grant.env ?? [])],
    run: [...(grant.run ?? [])],
    ffi,
    sys: [...(grant.sys ?? [])],
    import: [...(grant.import ?? [])],
  };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The network grant as Deno flags see it. Plain `http:` is enforced by not granting: a bare
 * host is granted on port 443 only, unless it is listed in `allowInsecureHttp` (then every
 * port); a `host:port` entry is granted as written (the plugin fetch helper and the child's
 * `fetch` still refuse plain `http:` to it).
 *
 * @example Usage
 * ```ts
 * import { netFlagHosts } from "./permissions.ts";
 * netFlagHosts(["example.org", "127.0.0.1"], ["127.0.0.1"]); // ["example.org:443", "127.0.0.1"]
 * ```
 */
export function netFlagHosts(
  net: readonly string[],
  allowInsecureHttp: readonly string[],
): string[] {
  return net.map((h) => {
    const hasPort = /:\d+$/.test(h) && !/^\[[^\]]*\]$/.test(h);
    if (hasPort) return h;
    const insecure = allowInsecureHttp.some((a) => a === h || a.replace(/:\d+$/, "") === h);
    return insecure ? h : `${h}:443`;
  });
}

/** Options of {@linkcode childPermissionFlags}. */
export interface ChildFlagOptions {
  /** The plugin's scratch folder (read and write). */
  scratchDir: string;
  /** Hosts for which plain `http:` is allowed. @default [] */
  allowInsecureHttp?: readonly string[];
}

/**
 * The `deno run` permission flags of a plugin's child process: exactly the resolved grant, read
 * and write of its scratch folder, nothing else. Empty lists give no flag at all (denied under
 * `--no-prompt`); imports are limited to the granted hosts (`--deny-import` when none).
 *
 * @example Usage
 * ```ts
 * import { childPermissionFlags } from "./permissions.ts";
 * childPermissionFlags(
 *   { net: [], read: ["/data"], env: [], run: [], ffi: [], sys: [], import: [] },
 *   { scratchDir: "/tmp/s" },
 * ); // ["--allow-read=/data,/tmp/s", "--allow-write=/tmp/s", "--deny-import"]
 * ```
 */
export function childPermissionFlags(g: ResolvedGrant, o: ChildFlagOptions): string[] {
  for (const v of [...g.read, ...g.ffi, ...g.net, ...g.env, ...g.run, ...g.sys, ...g.import]) {
    if (v.includes(",") || v === "") {
      throw new GrantError(v, `a grant entry may not be empty or contain a comma: "${v}"`);
    }
  }
  const flags = [`--allow-read=${[...g.read, o.scratchDir].join(",")}`];
  flags.push(`--allow-write=${o.scratchDir}`);
  const net = netFlagHosts(g.net, o.allowInsecureHttp ?? []);
  if (net.length > 0) flags.push(`--allow-net=${net.join(",")}`);
  if (g.env.length > 0) flags.push(`--allow-env=${g.env.join(",")}`);
  if (g.run.length > 0) flags.push(`--allow-run=${g.run.join(",")}`);
  if (g.ffi.length > 0) flags.push(`--allow-ffi=${g.ffi.join(",")}`);
  if (g.sys.length > 0) flags.push(`--allow-sys=${g.sys.join(",")}`);
  flags.push(g.import.length > 0 ? `--allow-import=${g.import.join(",")}` : "--deny-import");
  return flags;
}

/**
 * Which requested permissions are not covered by the grant (empty when all are). A host is
 * covered by the same host, or by the host without a port; a path by itself or any folder
 * above it.
 *
 * @param requested The manifest's `permissions`.
 * @param grant The configuration's grant.
 * @param baseDir Base of relative paths. @default Deno.cwd()
 *
 * @example Usage
 * ```ts
 * import { missingPermissions } from "./permissions.ts";
 * missingPermissions({ net: ["a.org"], read: [] }, { net: [] }); // ['net "a.org"']
 * ```
 */
export function missingPermissions(
  requested: { net: readonly string[]; read: readonly string[] },
  grant: PermissionGrant,
  baseDir: string = Deno.cwd(),
): string[] {
  const missing: string[] = [];
  const hosts = grant.net ?? [];
  for (const h of requested.net) {
    const bare = h.replace(/:\d+$/, "");
    if (!hosts.includes(h) && !hosts.includes(bare)) missing.push(`net "${h}"`);
  }
  const reads = (grant.read ?? []).map((p) => absolutePath(p, baseDir));
  for (const p of requested.read) {
    const abs = absolutePath(p, baseDir);
    if (!reads.some((g) => abs === g || abs.startsWith(g.endsWith("/") ? g : `${g}/`))) {
      missing.push(`read "${p}"`);
    }
  }
  return missing;
}

function absolutePath(p: string, baseDir: string): string {
  return isAbsolute(p) ? resolve(p) : resolve(baseDir, p);
}

/**
 * The permission a Deno `NotCapable`/`PermissionDenied` message is about (`read`, `write`,
 * `net`, `env`, `run`, `ffi`, `sys`), or `unknown`.
 *
 * @example Usage
 * ```ts
 * import { permissionOf } from "./permissions.ts";
 * permissionOf('Requires env access to "DATABASE_URL"'); // "env"
 * ```
 */
export function permissionOf(message: string): string {
  const m = /Requires (read|write|net|env|run|ffi|sys|import) access/.exec(message);
  return m ? m[1] : "unknown";
}

/**
 * Builds crates/gam-core to WebAssembly and writes the committed bundle into src/compute/wasm/.
 *
 *   deno task build:wasm            build and (re)write src/compute/wasm/
 *   deno task build:wasm --check    build into a temp dir and fail (exit 1) if the committed
 *                                   bundle differs from what the sources produce
 *
 * Steps: wasm-pack build --release --target bundler (Debian's rustc via the `debian-web` rustup
 * toolchain, or /usr/bin first on PATH), with --remap-path-prefix for the cargo registry, the
 * repository root and the Rust std sources so that the bytes do not depend on where the clone or
 * the home folder lives; then wasm-opt -O3 (npm binaryen, installed by
 * scripts/install_toolchain.sh) when present; then an `@generated` header with a `source-hash:`
 * (sha256 over the crate's sources, Cargo.toml and Cargo.lock) on every JS/TS file; then
 * `gam_core_params.ts`, the parameter names of every exported function in call order, read from
 * the generated `gam_core.d.ts` (src/compute/kernels.ts types and calls kernels by those names).
 *
 * The bundle's JS imports `gam_core_bg.wasm` as an ES module (Deno 2 loads wasm imports
 * natively and `deno compile` embeds them with the module graph).
 *
 * Exit codes: 0 ok, 1 check failed or build failed, 2 usage error.
 *
 * @module
 */

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const CRATE = `${REPO}/crates/gam-core`;
const BUNDLE = `${REPO}/src/compute/wasm`;
const NAME = "gam_core";
const HOME = Deno.env.get("HOME") ?? "/root";
const CARGO_HOME = Deno.env.get("CARGO_HOME") ?? `${HOME}/.cargo`;
const BINARYEN_VERSION = "132.0.0";
const WASM_FEATURES = [
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
  "--enable-simd",
];

/** Thrown for a failed build step; the message says which step and why. */
class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

function log(msg: string): void {
  console.error(`[build_wasm] ${msg}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new BuildError(
      `${cmd} could not be started (${(e as Error).message}); run scripts/install_toolchain.sh`,
    );
  }
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new BuildError(`${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${stderr}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** sha256 over crate sources + Cargo.toml + Cargo.lock: relative path, NUL, bytes, NUL each. */
export async function sourceHash(crate = CRATE): Promise<string> {
  const files: string[] = ["Cargo.toml", "Cargo.lock"];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${crate}/${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(rel);
      else if (e.isFile) files.push(rel);
    }
  };
  await walk("src");
  files.sort();
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const f of files) {
    parts.push(enc.encode(f + "\0"), await Deno.readFile(`${crate}/${f}`), enc.encode("\0"));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function rustSrcDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir("/usr/src")) {
    if (e.name.startsWith("rustc-")) dirs.push(`/usr/src/${e.name}`);
  }
  return dirs;
}

async function buildEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  let useRustup = false;
  try {
    const list = await run("rustup", ["toolchain", "list"], {});
    useRustup = /^debian-web\b/m.test(list);
  } catch { /* no rustup */ }
  if (useRustup) {
    env.RUSTUP_TOOLCHAIN = "debian-web";
    env.PATH = `${CARGO_HOME}/bin:${path}`;
  } else {
    // Debian's cargo/rustc first; wasm-pack and wasm-bindgen from cargo's bin folder after.
    env.PATH = `/usr/bin:${CARGO_HOME}/bin:${path}`;
  }
  const remaps = [
    `--remap-path-prefix=${CARGO_HOME}/registry=/cargo/registry`,
    `--remap-path-prefix=${CARGO_HOME}/git=/cargo/git`,
    `--remap-path-prefix=${REPO}=/gam`,
    ...(await rustSrcDirs()).map((d) => `--remap-path-prefix=${d}=/rustc/${d.slice(15)}`),
    "--remap-path-prefix=/usr/lib/rustlib/src/rust=/rustc/src",
  ];
  env.RUSTFLAGS = ["-C", "target-feature=+simd128", ...remaps].join(" ");
  env.CARGO_TARGET_DIR = `${CRATE}/target/wasm-build`;
  env.SOURCE_DATE_EPOCH = "0";
  return env;
}

function wasmOptPath(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${HOME}/.cache`;
  return `${cache}/gam/binaryen-${BINARYEN_VERSION}/node_modules/.bin/wasm-opt`;
}

/** The header written on top of every generated JS/TS file of the bundle. */
function header(hash: string): string {
  return [
    "// @generated by scripts/build_wasm.ts from crates/gam-core -- do not edit",
    "// deno-lint-ignore-file",
    "// deno-fmt-ignore-file",
    `// source-hash: ${hash}`,
    "",
  ].join("\n");
}

/**
 * Exports that are not kernels: the worker calls them itself, and a job naming one is refused
 * as an unknown kernel. `watch_cancel` points the kernels at the job's cancel flag.
 */
const NOT_KERNELS = new Set(["watch_cancel"]);

/**
 * The text of `gam_core_params.ts`: for every `export function name(a: A, b: B): R;` of the
 * wasm-bindgen declarations but {@linkcode NOT_KERNELS}, its parameter names in call order.
 *
 * @throws {BuildError} when the declarations hold no function (the format changed).
 */
export function kernelParamsModule(dts: string, hash: string): string {
  const lines: string[] = [];
  for (const m of dts.matchAll(/^export function (\w+)\(([^)]*)\):/gm)) {
    if (NOT_KERNELS.has(m[1])) continue;
    const names = m[2].trim() === ""
      ? []
      : m[2].split(",").map((p) => p.trim().replace(/[?]?:.*$/s, ""));
    lines.push(`  ${m[1]}: [${names.map((n) => JSON.stringify(n)).join(", ")}],`);
  }
  if (lines.length === 0) {
    throw new BuildError(`no "export function" found in ${NAME}.d.ts: its format changed`);
  }
  return header(hash) + [
    "/** Parameter names of each exported gam-core function, in call order (from gam_core.d.ts). */",
    "export const KERNEL_PARAMS = {",
    ...lines,
    "} as const;",
    "",
  ].join("\n");
}

/** Builds the bundle into `outDir` (created if needed). Returns the list of files written. */
async function build(outDir: string, requireOpt = false): Promise<string[]> {
  const hash = await sourceHash();
  const env = await buildEnv();
  const tmp = await Deno.makeTempDir({ prefix: "gam-wasm-pack-" });
  try {
    log(`wasm-pack build (${env.RUSTUP_TOOLCHAIN ? "RUSTUP_TOOLCHAIN=debian-web" : "/usr/bin"})`);
    await run("wasm-pack", [
      "--quiet",
      "build",
      CRATE,
      "--release",
      "--target",
      "bundler",
      "--out-dir",
      tmp,
      "--out-name",
      NAME,
      "--no-pack",
    ], env);
    const wasmFile = `${tmp}/${NAME}_bg.wasm`;
    const wasmOpt = wasmOptPath();
    if (await exists(wasmOpt)) {
      log(`wasm-opt -O3 (binaryen ${BINARYEN_VERSION})`);
      await run(wasmOpt, [
        "-O3",
        ...WASM_FEATURES,
        "--strip-debug",
        wasmFile,
        "-o",
        wasmFile,
      ], env);
    } else if (requireOpt) {
      throw new BuildError(
        `wasm-opt not found at ${wasmOpt}; the committed bundle is optimised with it, so the ` +
          `check cannot compare without it: run scripts/install_toolchain.sh`,
      );
    } else {
      log(`wasm-opt not found at ${wasmOpt}: skipped (run scripts/install_toolchain.sh)`);
    }
    await Deno.mkdir(outDir, { recursive: true });
    for await (const e of Deno.readDir(outDir)) {
      if (e.isFile) await Deno.remove(`${outDir}/${e.name}`);
    }
    const written: string[] = [];
    for await (const e of Deno.readDir(tmp)) {
      if (!e.isFile || e.name === ".gitignore" || e.name === "README.md") continue;
      let bytes = await Deno.readFile(`${tmp}/${e.name}`);
      if (/\.(js|ts)$/.test(e.name)) {
        const text = new TextDecoder().decode(bytes);
        // Keep a leading `@ts-self-types` directive first: Deno only honours it at the top.
        const m = text.match(/^\/\* @ts-self-types="[^"]+" \*\/\n/);
        const body = m ? m[0] + header(hash) + text.slice(m[0].length) : header(hash) + text;
        bytes = new TextEncoder().encode(body);
      }
      await Deno.writeFile(`${outDir}/${e.name}`, bytes);
      written.push(e.name);
    }
    const dts = await Deno.readTextFile(`${tmp}/${NAME}.d.ts`);
    await Deno.writeTextFile(`${outDir}/${NAME}_params.ts`, kernelParamsModule(dts, hash));
    written.push(`${NAME}_params.ts`);
    return written.sort();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rebuilds into a temp dir and compares with the committed bundle; returns the differences. */
async function check(): Promise<string[]> {
  const tmp = await Deno.makeTempDir({ prefix: "gam-wasm-check-" });
  try {
    const built = await build(tmp, true);
    const problems: string[] = [];
    const committed = new Set<string>();
    if (await exists(BUNDLE)) {
      for await (const e of Deno.readDir(BUNDLE)) if (e.isFile) committed.add(e.name);
    }
    for (const name of built) {
      if (!committed.has(name)) {
        problems.push(`src/compute/wasm/${name} is missing`);
        continue;
      }
      const [a, b] = await Promise.all([
        Deno.readFile(`${BUNDLE}/${name}`),
        Deno.readFile(`${tmp}/${name}`),
      ]);
      if (!same(a, b)) {
        problems.push(
          `src/compute/wasm/${name} differs from the build (${a.length} vs ${b.length} bytes)`,
        );
      }
    }
    for (const name of committed) {
      if (!built.includes(name)) problems.push(`src/compute/wasm/${name} is not produced any more`);
    }
    return problems;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const args = [...Deno.args];
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`build_wasm: unknown argument "${unknown[0]}"; usage: build_wasm.ts [--check]`);
    Deno.exit(2);
  }
  try {
    if (args.includes("--check")) {
      const problems = await check();
      if (problems.length > 0) {
        for (const p of problems) console.error(`[build_wasm] check failed: ${p}`);
        console.error("[build_wasm] run `deno task build:wasm` and commit src/compute/wasm/");
        Deno.exit(1);
      }
      log("check ok: the committed bundle matches the sources");
    } else {
      const written = await build(BUNDLE);
      log(`wrote ${written.map((f) => `src/compute/wasm/${f}`).join(", ")}`);
    }
  } catch (e) {
    console.error(`[build_wasm] ${e instanceof BuildError ? e.message : (e as Error).stack}`);
    Deno.exit(1);
  }
}

/**
 * `deno task test`: every check the project has, in one command, ending with one line
 * `N passed, M failed` that totals the Deno tests, the cargo tests and the static checks.
 *
 * Steps (each reported as it runs):
 * 1. `deno fmt --check`, `deno lint`, `deno check` (one test each).
 * 2. `deno test` with coverage; counts from its JUnit report. Line coverage of
 *    `src/ingestion/` and `src/preprocessing/` is enforced where those folders exist. Then the
 *    documentation examples: `deno check --doc`, and `deno test --doc` of src/'s modules.
 * 3. `cargo fmt --check`, `cargo clippy -D warnings` (one test each) and `cargo test` of
 *    `crates/gam-core` when cargo is installed (always in CI).
 * 4. The wasm bundle check (rebuild and compare with the committed bundle) when the wasm32
 *    toolchain is installed (always in CI).
 *
 * Flags: `--quick` skips coverage; any other arguments are passed to `deno test` as filters
 * (for example `deno task test -- src/contracts`).
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;
const inCi = Boolean(Deno.env.get("CI"));
const args = Deno.args.filter((a) => a !== "--quick");
const quick = Deno.args.includes("--quick");
const COVERAGE_FLOOR = 90;
const COVERED_FOLDERS = ["src/ingestion/", "src/preprocessing/"];

let passed = 0;
let failed = 0;
const failures: string[] = [];

function record(name: string, ok: boolean, count = 1): void {
  if (ok) passed += count;
  else {
    failed += count;
    failures.push(name);
  }
}

async function run(
  cmd: string,
  cmdArgs: string[],
  opts: { cwd?: string; capture?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  console.error(`\n$ ${cmd} ${cmdArgs.join(" ")}`);
  const command = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: opts.cwd ?? root,
    stdout: opts.capture ? "piped" : "inherit",
    stderr: "inherit",
    env: opts.env,
  });
  if (!opts.capture) return { code: (await command.spawn().status).code, out: "" };
  // output() drains stdout while the process runs: no pipe can fill up and stall it.
  const result = await command.output();
  const out = new TextDecoder().decode(result.stdout);
  await Deno.stdout.write(new TextEncoder().encode(out));
  return { code: result.code, out };
}

async function which(cmd: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const deno = Deno.execPath();

// 1. Static checks.
if (args.length === 0) {
  record("deno fmt --check", (await run(deno, ["fmt", "--check"])).code === 0);
  record("deno lint", (await run(deno, ["lint"])).code === 0);
  record("deno check", (await run(deno, ["check", "src/", "tests/", "scripts/"])).code === 0);
}

// 2. Deno tests with a JUnit report for the counts.
const junit = `${root}out/test-report.xml`;
await Deno.mkdir(`${root}out`, { recursive: true });
await Deno.remove(junit).catch(() => {}); // never count an earlier run's report
const coverageDir = `${root}coverage`;
await Deno.remove(coverageDir, { recursive: true }).catch(() => {});
const testArgs = [
  "test",
  "-A",
  "--unstable-worker-options",
  `--junit-path=${junit}`,
  ...(quick ? [] : [`--coverage=${coverageDir}`]),
  ...args,
];
const testRun = await run(deno, testArgs);
const counts = await junitCounts(junit);
if (counts === undefined) {
  record("deno test (no report written)", false);
} else {
  passed += counts.passed;
  failed += counts.failed;
  if (counts.failed > 0) {
    // Name each failed test and its first lines at the end of the output, where a CI log's tail
    // shows it, not only in the middle of five minutes of test output.
    failures.push(`deno test: ${counts.failed} failed:\n${counts.failures.join("\n")}`);
  }
  if (testRun.code !== 0 && counts.failed === 0) record("deno test (exit status)", false);
}

// Coverage floor for the folders the pipeline issue names.
if (!quick && args.length === 0) {
  for (const folder of COVERED_FOLDERS) {
    if (!(await exists(`${root}${folder}mod.ts`))) continue;
    const pct = await lineCoverage(folder);
    const ok = pct !== undefined && pct >= COVERAGE_FLOOR;
    console.error(
      `line coverage of ${folder}: ${pct?.toFixed(1) ?? "unknown"}% (floor ${COVERAGE_FLOOR}%)`,
    );
    record(`coverage ${folder} >= ${COVERAGE_FLOOR}%`, ok);
  }
}

// 2b. Documentation examples: type-checked everywhere (`deno check --doc`), and run as tests
// (`deno test --doc`, counted from a report of their own) for the modules of src/. The scripts'
// examples are only type-checked: importing a script runs it (benchmarks).
if (args.length === 0) {
  record(
    "deno check --doc",
    (await run(deno, ["check", "--doc", "src/", "scripts/"])).code === 0,
  );
  const docJunit = `${root}out/doc-test-report.xml`;
  await Deno.remove(docJunit).catch(() => {});
  const modules = (await Array.fromAsync(walkModules(`${root}src`))).sort();
  const docRun = await run(deno, [
    "test",
    "-A",
    "--unstable-worker-options",
    "--doc",
    `--junit-path=${docJunit}`,
    ...modules,
  ]);
  const docCounts = await junitCounts(docJunit);
  if (docCounts === undefined) record("deno test --doc (no report written)", false);
  else {
    console.error(`documentation examples: ${docCounts.passed} passed, ${docCounts.failed} failed`);
    passed += docCounts.passed;
    failed += docCounts.failed;
    if (docCounts.failed > 0) {
      failures.push(
        `deno test --doc: ${docCounts.failed} failed:\n${docCounts.failures.join("\n")}`,
      );
    }
    if (docRun.code !== 0 && docCounts.failed === 0) record("deno test --doc (exit status)", false);
  }
}

/** The modules of `dir` whose examples run: not tests, test data or the generated bundle. */
async function* walkModules(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "testdata" && !path.endsWith("src/compute/wasm")) {
      yield* walkModules(path);
    } else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      yield path.slice(root.length);
    }
  }
}

// 3. cargo fmt, clippy and test. npm's runner (npx) puts node's folder, /usr/bin, first on
// PATH, where Debian's cargo (rustc-web) lives; clippy comes from rustup, so use rustup's cargo
// when there is one, or clippy and the compiler of the dependencies disagree.
const crate = `${root}crates/gam-core`;
const cargoBin = `${Deno.env.get("CARGO_HOME") ?? `${Deno.env.get("HOME")}/.cargo`}/bin`;
const rustup = await exists(`${cargoBin}/cargo`);
const cargo = rustup ? `${cargoBin}/cargo` : "cargo";
// cargo finds rustc on PATH: rustup's proxies must come first there too.
const cargoEnv = rustup ? { PATH: `${cargoBin}:${Deno.env.get("PATH") ?? ""}` } : undefined;
if (args.length === 0 && (await which(cargo)) && (await exists(`${crate}/Cargo.toml`))) {
  record(
    "cargo fmt --check",
    (await run(cargo, ["fmt", "--check"], { cwd: crate, env: cargoEnv })).code === 0,
  );
  record(
    "cargo clippy",
    (await run(cargo, [
      "clippy",
      "--all-targets",
      "--all-features",
      "--color",
      "never",
      "--",
      "-D",
      "warnings",
    ], {
      cwd: crate,
      env: cargoEnv,
    })).code === 0,
  );
  const r = await run(cargo, ["test", "--release", "--all-features", "--color", "never"], {
    cwd: crate,
    env: cargoEnv,
    capture: true,
  });
  let any = false;
  for (const m of r.out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    any = true;
    passed += Number(m[1]);
    failed += Number(m[2]);
    if (Number(m[2]) > 0) failures.push(`cargo test: ${m[2]} failed`);
  }
  if (!any || r.code !== 0) record("cargo test (did not complete)", false);
} else if (args.length === 0) {
  if (inCi) record("cargo test (cargo missing in CI)", false);
  else console.error("\nskipped: cargo test (cargo is not installed)");
}

// 4. The committed wasm bundle equals what the sources build.
if (args.length === 0 && (await exists(`${root}scripts/build_wasm.ts`))) {
  const toolchain = await exists("/usr/lib/rustlib/wasm32-unknown-unknown/lib") &&
    (await which("wasm-bindgen")) && (await which("wasm-pack"));
  if (toolchain || inCi) {
    record(
      "wasm bundle matches sources",
      (await run(deno, ["run", "-A", "scripts/build_wasm.ts", "--check"])).code === 0,
    );
  } else {
    console.error(
      "\nskipped: wasm bundle check (wasm32 toolchain not installed; scripts/install_toolchain.sh installs it)",
    );
  }
}

if (failures.length > 0) console.error(`\nFailed: ${failures.join("; ")}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed > 0 ? 1 : 0);

async function junitCounts(
  path: string,
): Promise<{ passed: number; failed: number; failures: string[] } | undefined> {
  let xml: string;
  try {
    xml = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  // One <testcase> per test and per step; a failed one carries a <failure> child.
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  let fail = 0;
  let skip = 0;
  const failures: string[] = [];
  for (const c of cases) {
    if (/<failure\b|<error\b/.test(c)) {
      fail++;
      const attr = (name: string) =>
        unescapeXml(c.match(new RegExp(`${name}="([^"]*)"`))?.[1] ?? "");
      const body = unescapeXml(
        c.match(/<(?:failure|error)\b[^>]*>([\s\S]*?)<\/(?:failure|error)>/)?.[1] ?? "",
      )
        .split("\n").slice(0, 12).map((l) => `      ${l}`).join("\n");
      failures.push(`  - ${attr("classname")} > ${attr("name")}\n${body}`);
    } else if (/<skipped\b/.test(c)) skip++;
  }
  return { passed: cases.length - fail - skip, failed: fail, failures };
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

async function lineCoverage(folder: string): Promise<number | undefined> {
  const r = await new Deno.Command(deno, {
    args: ["coverage", coverageDir, `--include=${folder}`, "--exclude=_test\\.ts$"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(r.stdout);
  // Summary table rows: "| file | branch % | line % |"; the "All files" row has the total.
  const all = text.split("\n").find((l) => /All files/.test(l));
  const nums = all?.match(/\d+(\.\d+)?/g);
  return nums ? Number(nums[nums.length - 1]) : undefined;
}

/**
 * `deno task test`: every check the project has, in one command, ending with one line
 * `N passed, M failed, K skipped` that totals the Deno tests and steps, the cargo tests and the
 * static checks. The skipped ones are listed with their reason just above that line; with `CI`
 * set, a skip counts as a failure.
 *
 * Steps (each reported as it runs):
 * 0. Set-up: `scripts/setup_test_env.sh` installs what the tests need on a fresh Debian 12
 *    (Debian packages, the wasm32 Rust toolchain with rustfmt and clippy, zarr-python; a few
 *    checks when all is there) and stops the run at once, naming the command to run, where it
 *    cannot (not root, no sudo). Then a throw-away PostgreSQL cluster (`scripts/pg_cluster.sh`)
 *    when `DATABASE_URL` is not set, stopped at the end.
 * 1. `deno fmt --check`, `deno lint`, `deno check` (one test each).
 * 2. `deno test` with coverage; counts from its JUnit report. Line coverage of
 *    `src/ingestion/` and `src/preprocessing/` is enforced where those folders exist. The tests
 *    run with `TMPDIR` set to a fresh folder; anything left in it, or new in the system temp
 *    folder, afterwards is one named failure listing the leftovers. Then the documentation
 *    examples: `deno check --doc`, and `deno test --doc` of src/'s modules (counted apart).
 * 3. `cargo fmt --check`, `cargo clippy -D warnings` (one test each) and `cargo test` of
 *    `crates/gam-core`.
 * 4. The wasm bundle check (rebuild and compare with the committed bundle).
 *
 * Flags: `--quick` skips coverage; any other arguments are passed to `deno test` as filters
 * (for example `deno task test -- src/contracts`); the steps that do not run then are counted
 * as skipped.
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;
const inCi = Boolean(Deno.env.get("CI"));
// `deno task test -- src/contracts` passes the `--` through: it is not a filter.
const args = Deno.args.filter((a) => a !== "--quick" && a !== "--");
const quick = Deno.args.includes("--quick");
const COVERAGE_FLOOR = 90;
const COVERED_FOLDERS = ["src/ingestion/", "src/preprocessing/"];

let passed = 0;
let failed = 0;
const failures: string[] = [];
/** Everything that did not run, with why: listed above the final line. */
const skips: { name: string; reason: string }[] = [];

function record(name: string, ok: boolean, count = 1): void {
  if (ok) passed += count;
  else {
    failed += count;
    failures.push(name);
  }
}

/** Counts `name` as skipped (a failure in CI) with the reason shown in the list. */
function skip(name: string, reason: string): void {
  skips.push({ name, reason });
  if (inCi) failures.push(`skipped in CI: ${name} (${reason})`);
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
const full = args.length === 0;
const FILTERED = "filter arguments given: only `deno test` runs";

// 0. Set-up: tools and packages, then a PostgreSQL cluster for the server-engine tests.
await setUp();
const stopCluster = await startCluster();
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.addSignalListener(signal, async () => {
    await stopCluster();
    Deno.exit(code);
  });
}

try {
  // 1. Static checks.
  if (full) {
    record("deno fmt --check", (await run(deno, ["fmt", "--check"])).code === 0);
    record("deno lint", (await run(deno, ["lint"])).code === 0);
    record(
      "deno check",
      (await run(deno, ["check", "src/", "tests/", "scripts/", "examples/", "monitoring/"]))
        .code === 0,
    );
  } else {
    for (const name of ["deno fmt --check", "deno lint", "deno check"]) skip(name, FILTERED);
  }

  // 2. Deno tests with a JUnit report for the counts, in a temp folder of their own.
  const junit = `${root}out/test-report.xml`;
  await Deno.mkdir(`${root}out`, { recursive: true });
  await Deno.remove(junit).catch(() => {}); // never count an earlier run's report
  const coverageDir = `${root}coverage`;
  await Deno.remove(coverageDir, { recursive: true }).catch(() => {});
  const systemTmp = Deno.env.get("TMPDIR") || "/tmp";
  const tmpBefore = await entries(systemTmp);
  const testTmp = await Deno.makeTempDir({ prefix: "gam-test-run-" });
  const testArgs = [
    "test",
    "-A",
    "--unstable-worker-options",
    `--junit-path=${junit}`,
    ...(quick ? [] : [`--coverage=${coverageDir}`]),
    ...args,
  ];
  const testRun = await run(deno, testArgs, { env: { TMPDIR: testTmp } });
  const counts = await junitCounts(junit);
  if (counts === undefined) {
    record("deno test (no report written)", false);
  } else {
    passed += counts.passed;
    failed += counts.failed;
    for (const s of counts.skipped) {
      skip(
        s,
        s.includes(" > ")
          ? "ignored step: its name says why"
          : "ignored by the test's `ignore` condition (a tool or server missing: see its file)",
      );
    }
    if (counts.failed > 0) {
      // Name each failed test and its first lines at the end of the output, where a CI log's tail
      // shows it, not only in the middle of five minutes of test output.
      failures.push(`deno test: ${counts.failed} failed:\n${counts.failures.join("\n")}`);
    }
    if (testRun.code !== 0 && counts.failed === 0) record("deno test (exit status)", false);
  }

  // The tests leave nothing in the temp folder: their own (TMPDIR) must be empty, and nothing
  // new may appear in the system one (a program that ignores TMPDIR).
  const leftovers = [
    ...(await entries(testTmp)).map((e) => `${testTmp}/${e}`),
    ...[...(await entries(systemTmp))].filter((e) =>
      !tmpBefore.includes(e) && `${systemTmp}/${e}` !== testTmp
    )
      .map((e) => `${systemTmp}/${e}`),
  ];
  record(
    `the tests left ${leftovers.length} entries in the temp folder:\n${
      leftovers.map((l) => `  - ${l}`).join("\n")
    }`,
    leftovers.length === 0,
  );
  await Deno.remove(testTmp, { recursive: true }).catch(() => {});

  // Coverage floor for the folders the pipeline issue names. Child processes of the tests write
  // profiles too, and a child a test SIGKILLs on purpose (a worker holding a job, a hostile
  // plugin) can leave an empty or cut-off profile, which `deno coverage` refuses whole.
  if (full && !quick) await dropUnreadableProfiles(coverageDir);
  for (const folder of COVERED_FOLDERS) {
    if (!(await exists(`${root}${folder}mod.ts`))) continue;
    const name = `coverage ${folder} >= ${COVERAGE_FLOOR}%`;
    if (!full || quick) {
      skip(name, quick ? "--quick given" : FILTERED);
      continue;
    }
    const pct = await lineCoverage(coverageDir, folder);
    const ok = pct !== undefined && pct >= COVERAGE_FLOOR;
    console.error(
      `line coverage of ${folder}: ${pct?.toFixed(1) ?? "unknown"}% (floor ${COVERAGE_FLOOR}%)`,
    );
    record(name, ok);
  }

  // 2b. Documentation examples: type-checked everywhere (`deno check --doc`), and run as tests
  // (`deno test --doc`, counted from a report of their own) for the modules of src/. The
  // scripts' examples are only type-checked: importing a script runs it (benchmarks).
  if (full) {
    record(
      "deno check --doc",
      (await run(deno, ["check", "--doc", "src/", "scripts/"])).code === 0,
    );
    const docJunit = `${root}out/doc-test-report.xml`;
    await Deno.remove(docJunit).catch(() => {});
    const modules = (await Array.fromAsync(walkModules(`${root}src`))).sort();
    const docTmp = await Deno.makeTempDir({ prefix: "gam-doc-run-" });
    const docRun = await run(deno, [
      "test",
      "-A",
      "--unstable-worker-options",
      "--doc",
      `--junit-path=${docJunit}`,
      ...modules,
    ], { env: { TMPDIR: docTmp } });
    await Deno.remove(docTmp, { recursive: true }).catch(() => {});
    const docCounts = await junitCounts(docJunit);
    if (docCounts === undefined) record("deno test --doc (no report written)", false);
    else {
      console.error(
        `documentation examples: ${docCounts.passed} passed, ${docCounts.failed} failed`,
      );
      passed += docCounts.passed;
      failed += docCounts.failed;
      for (const s of docCounts.skipped) skip(s, "ignored documentation example");
      if (docCounts.failed > 0) {
        failures.push(
          `deno test --doc: ${docCounts.failed} failed:\n${docCounts.failures.join("\n")}`,
        );
      }
      if (docRun.code !== 0 && docCounts.failed === 0) {
        record("deno test --doc (exit status)", false);
      }
    }
  } else {
    for (const name of ["deno check --doc", "deno test --doc"]) skip(name, FILTERED);
  }

  // 3. cargo fmt, clippy and test. npm's runner (npx) puts node's folder, /usr/bin, first on
  // PATH, where Debian's cargo (rustc-web) lives; where rustup is installed, use rustup's cargo
  // with its proxies first on PATH, or clippy and the compiler of the dependencies disagree.
  const crate = `${root}crates/gam-core`;
  const cargoBin = `${Deno.env.get("CARGO_HOME") ?? `${Deno.env.get("HOME")}/.cargo`}/bin`;
  const rustup = await exists(`${cargoBin}/cargo`);
  const cargo = rustup ? `${cargoBin}/cargo` : "cargo";
  const cargoEnv = rustup ? { PATH: `${cargoBin}:${Deno.env.get("PATH") ?? ""}` } : undefined;
  const cargoSteps = ["cargo fmt --check", "cargo clippy", "cargo test"];
  if (!full) {
    for (const name of cargoSteps) skip(name, FILTERED);
  } else if (!(await which(cargo))) {
    // The set-up installs cargo: reaching this is a set-up bug, not a reason to skip.
    record("cargo: not found after the set-up (scripts/setup_test_env.sh)", false, 3);
  } else {
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
    // The crate's benchmarks (`bench` modules, `#[ignore]`d, run by hand with `--ignored`) are
    // not tests: filtered out by name rather than counted as skipped.
    const r = await run(
      cargo,
      ["test", "--release", "--all-features", "--color", "never", "--", "--skip", "bench::"],
      {
        cwd: crate,
        env: cargoEnv,
        capture: true,
      },
    );
    let any = false;
    for (
      const m of r.out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)
    ) {
      any = true;
      passed += Number(m[1]);
      failed += Number(m[2]);
      if (Number(m[2]) > 0) failures.push(`cargo test: ${m[2]} failed`);
    }
    for (const m of r.out.matchAll(/^test (\S+) \.\.\. ignored(?:, (.*))?$/gm)) {
      skip(`cargo test ${m[1]}`, m[2] ?? "#[ignore] without a reason");
    }
    if (!any || r.code !== 0) record("cargo test (did not complete)", false);
  }

  // 4. The committed wasm bundle equals what the sources build.
  if (await exists(`${root}scripts/build_wasm.ts`)) {
    if (full) {
      record(
        "wasm bundle matches sources",
        (await run(deno, ["run", "-A", "scripts/build_wasm.ts", "--check"])).code === 0,
      );
    } else skip("wasm bundle matches sources", FILTERED);
  }
} finally {
  await stopCluster();
}

if (skips.length > 0) {
  console.error(`\nSkipped (${skips.length}${inCi ? ", each a failure with CI set" : ""}):`);
  for (const s of skips) console.error(`  - ${s.name}: ${s.reason}`);
}
if (failures.length > 0) console.error(`\nFailed: ${failures.join("; ")}`);
const skipped = skips.length;
if (inCi) failed += skipped;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
Deno.exit(failed > 0 ? 1 : 0);

/** Runs scripts/setup_test_env.sh and takes the environment it prints; stops the run on failure. */
async function setUp(): Promise<void> {
  console.error("\n$ scripts/setup_test_env.sh");
  const r = await new Deno.Command("bash", {
    args: [`${root}scripts/setup_test_env.sh`],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    console.error(
      `\nThe test set-up failed (exit ${r.code}); nothing was tested. See its message above.`,
    );
    console.log("0 passed, 1 failed, 0 skipped");
    Deno.exit(1);
  }
  for (const line of new TextDecoder().decode(r.stdout).split("\n")) {
    const m = line.match(/^([A-Z_]+)=(.*)$/);
    if (!m) continue;
    if (m[1] === "PATH_PREPEND") Deno.env.set("PATH", `${m[2]}:${Deno.env.get("PATH") ?? ""}`);
    else Deno.env.set(m[1], m[2]);
  }
}

/**
 * Starts the throw-away PostgreSQL cluster unless `DATABASE_URL` is set or a cluster already
 * answers on the port (then it is used and left running); returns the function that stops the
 * cluster this run started.
 */
async function startCluster(): Promise<() => Promise<void>> {
  const noop = async () => {};
  if (Deno.env.get("DATABASE_URL")) return noop;
  const script = `${root}scripts/pg_cluster.sh`;
  const wasRunning = (await new Deno.Command("bash", {
    args: [script, "status"],
    stderr: "null",
  }).output()).success;
  console.error("\n$ scripts/pg_cluster.sh start");
  const r = await new Deno.Command("bash", {
    args: [script, "start"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const url = new TextDecoder().decode(r.stdout).match(/DATABASE_URL=(\S+)/)?.[1];
  if (!r.success || !url) {
    console.error("\nCould not start the throw-away PostgreSQL cluster (message above).");
    console.log("0 passed, 1 failed, 0 skipped");
    Deno.exit(1);
  }
  Deno.env.set("DATABASE_URL", url.replace(/^'|'$/g, ""));
  if (wasRunning) return noop;
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    console.error("\n$ scripts/pg_cluster.sh stop");
    await new Deno.Command("bash", { args: [script, "stop"], stdout: "null", stderr: "inherit" })
      .output();
  };
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

/** Names of the entries of a folder (empty when it does not exist). */
async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

async function junitCounts(
  path: string,
): Promise<
  { passed: number; failed: number; failures: string[]; skipped: string[] } | undefined
> {
  let xml: string;
  try {
    xml = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  // One <testcase> per test and per step; a failed one carries a <failure> child.
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  let fail = 0;
  const skipped: string[] = [];
  const failures: string[] = [];
  for (const c of cases) {
    const attr = (name: string) => unescapeXml(c.match(new RegExp(`${name}="([^"]*)"`))?.[1] ?? "");
    if (/<failure\b|<error\b/.test(c)) {
      fail++;
      const body = unescapeXml(
        c.match(/<(?:failure|error)\b[^>]*>([\s\S]*?)<\/(?:failure|error)>/)?.[1] ?? "",
      )
        .split("\n").slice(0, 12).map((l) => `      ${l}`).join("\n");
      failures.push(`  - ${attr("classname")} > ${attr("name")}\n${body}`);
    } else if (/<skipped\b/.test(c)) skipped.push(`${attr("classname")} > ${attr("name")}`);
  }
  return { passed: cases.length - fail - skipped.length, failed: fail, failures, skipped };
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/** Removes the coverage profiles that are not whole JSON (a process killed while writing). */
async function dropUnreadableProfiles(coverageDir: string): Promise<void> {
  let dropped = 0;
  for await (const e of Deno.readDir(coverageDir)) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    const path = `${coverageDir}/${e.name}`;
    try {
      JSON.parse(await Deno.readTextFile(path));
    } catch {
      await Deno.remove(path).catch(() => {});
      dropped++;
    }
  }
  if (dropped > 0) {
    console.error(`coverage: ${dropped} unreadable profile(s) of killed processes left out`);
  }
}

async function lineCoverage(coverageDir: string, folder: string): Promise<number | undefined> {
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

/**
 * Limits on the configuration file, through the real command line: a huge file is refused
 * before it is read, an alias bomb before it expands; both exit 2 naming the file and the
 * limit.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { exists, gam, ROOT } from "../_gam_cli.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gam-config-limits-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a 50 MB configuration is refused by size before it is read (exit 2)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/huge.yaml`;
    // A sparse file: 50 MB by its size, no disk used. Reading it would take the parser minutes.
    await Deno.writeTextFile(path, "version: 1\n");
    await Deno.truncate(path, 50 * 1024 * 1024);
    for (const args of [["config", "validate"], ["run", "--dry-run"]]) {
      const r = await gam([...args, "--config", path]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `${path.replaceAll("/", "\\/")}: configuration file is 52428800 bytes, above the ` +
            "limit of 1048576 bytes \\(1 MiB\\)",
        ),
      );
    }
  });
});

Deno.test("a YAML alias bomb is refused with the file, the line and the limit (exit 2)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/bomb.yaml`;
    const lines = ["version: 1", 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    const r = await gam(["config", "validate", "--config", path]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `${path.replaceAll("/", "\\/")}:3:\\d+: YAML aliases expand to too many nodes ` +
          "\\(limit: maxAliasCount 100; first alias here\\)",
      ),
    );
  });
});

Deno.test("a pipeline grid too large for the bbox is a configuration error before the run (exit 2)", async () => {
  await withDir(async (dir) => {
    const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<
      string,
      // deno-lint-ignore no-explicit-any
      any
    >;
    c.defaults.bbox = [-180, -90, 180, 90];
    c.defaults.outputDir = `${dir}/out`;
    c.defaults.cacheDir = `${dir}/cache`;
    c.modalities.gravity.pipeline.definition = "grid(method=block-mean, spacing=1e-6) -> qc";
    const path = `${dir}/c.yaml`;
    await Deno.writeTextFile(path, stringify(c));
    for (const args of [["config", "validate"], ["run", "--dry-run"], ["run"]]) {
      const r = await gam([...args, "--config", path]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /modalities\.gravity\.pipeline: stage "grid" \(branch main\) over the bbox \[-180, -90, 180, 90\]: the grid would have 180000001 x 360000001 = 64800000540000000 nodes, above the limit of 50000000/,
      );
    }
    // Nothing ran: no database, no grid.
    assert.equal(await exists(`${dir}/out/db`), false);
    for await (const run of Deno.readDir(`${dir}/out/runs`)) {
      assert.equal(await exists(`${dir}/out/runs/${run.name}/grids`), false);
    }
  });
});

Deno.test("--workers above MAX_WORKERS (32) is refused before any worker starts (exit 2)", async () => {
  const run = await gam(["run", "--workers", "256", "--dry-run"]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /flag --workers defaults\.workers: expected an integer from 1 to 32 \(MAX_WORKERS; .*\), got 256/,
  );
  const env = await gam(["config", "validate"], { GAM__DEFAULTS__WORKERS: "33" });
  assert.equal(env.code, 2, env.stderr);
  assert.match(
    env.stderr,
    /env GAM__DEFAULTS__WORKERS defaults\.workers: expected an integer from 1 to 32/,
  );
  const filter = await gam([
    "filter",
    "--input",
    "nonexistent.tif",
    "--op",
    "tilt",
    "--out",
    "x.tif",
    "--workers",
    "256",
  ]);
  assert.equal(filter.code, 2, filter.stderr);
  assert.match(filter.stderr, /--workers must be an integer from 1 to 32 \(MAX_WORKERS\), got 256/);
  // The default follows the cores, within the cap.
  const ok = await gam(["config", "validate", "--json"]);
  const workers = JSON.parse(ok.stdout).config.defaults.workers;
  assert.equal(workers, Math.min(32, navigator.hardwareConcurrency));
});

Deno.test("control characters in a YAML key are escaped in every rendering of the error", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/evil.yaml`;
    // "\e" is ESC in a double-quoted YAML key; a raw ESC byte in a quoted key works too.
    await Deno.writeTextFile(
      path,
      'version: 1\ndefaults:\n  bbox: [10, 45, 11, 46]\n  "\\e[2Jevil": 1\n  "\x1b[31mred": 2\n',
    );
    for (const args of [["config", "validate"], ["run", "--dry-run"]]) {
      const r = await gam([...args, "--config", path]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.includes("\x1b"), false, `${args.join(" ")}: no raw ESC`);
      assert.ok(r.stderr.includes('unknown key "\\x1b[2Jevil"'), r.stderr);
      assert.ok(r.stderr.includes('unknown key "\\x1b[31mred"'), r.stderr);
    }
    const json = await gam(["config", "validate", "--json", "--config", path]);
    assert.equal(json.stdout.includes("\x1b"), false, "JSON escapes it as \\u001b");
    assert.ok(
      JSON.parse(json.stdout).issues.some((i: { received?: string }) =>
        i.received === "\x1b[2Jevil"
      ),
    );
  });
});

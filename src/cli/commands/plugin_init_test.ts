/**
 * `gam plugin init` through the real CLI: the scaffold passes its own test as generated (a real
 * `deno test` in the new package, which runs the plugin in the sandbox), and `gam plugin check`
 * accepts it and fetches the fixture through it.
 */
import assert from "node:assert/strict";

import { collect, spawnGam } from "../../../tests/_gam_cli.ts";

async function run(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
/** `gam <args>` from `cwd` through the tests' one runner. */
const gam = (args: string[], cwd: string) => collect(spawnGam(args, { cwd }));

Deno.test("gam plugin init scaffolds a package that passes its own sandboxed test and gam plugin check", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-init-" }));
  try {
    const made = await gam(["plugin", "init", "my-survey", "--json"], dir);
    assert.equal(made.code, 0, made.stderr);
    const pkg = `${dir}/my-survey`;
    assert.deepEqual(
      JSON.parse(made.stdout).files.sort(),
      ["README.md", "deno.json", "fixtures/stations.csv", "mod.ts", "mod_test.ts"],
    );
    // The narrowest permissions: none requested.
    assert.match(
      await Deno.readTextFile(`${pkg}/mod.ts`),
      /permissions: \{ net: \[\], read: \[\] \}/,
    );
    // Its own test, as generated, in its own folder (its deno.json).
    const t = await run(["test", "-A"], pkg);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /ok \| 3 passed \| 0 failed/);
    // gam plugin check from the package folder, with a sample fetch of the fixture.
    const csv = await Deno.readFile(`${pkg}/fixtures/stations.csv`);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response(csv),
    );
    try {
      const host = `127.0.0.1:${server.addr.port}`;
      const c = await gam([
        "plugin",
        "check",
        "./mod.ts",
        "--bbox",
        "10,45,11,46",
        "--params",
        JSON.stringify({ url: `http://${host}/stations.csv` }),
        "--net",
        host,
        "--allow-insecure-http",
        host,
        "--json",
      ], pkg);
      assert.equal(c.code, 0, c.stdout + c.stderr);
      const report = JSON.parse(c.stdout);
      assert.equal(report.id, "my-survey");
      assert.equal(report.fetch.kind, "points");
      const rows = new TextDecoder().decode(csv).trim().split("\n").slice(1)
        .map((l) => l.split(",").map(Number))
        .filter(([x, y]) => x >= 10 && x <= 11 && y >= 45 && y <= 46);
      assert.equal(report.fetch.size, rows.length);
      assert.ok(rows.length > 0 && rows.length < 6);
      assert.equal(report.fetch.units, "mGal");
    } finally {
      await server.shutdown();
    }
    // A second init into the same folder, and an id that is not one, are usage errors.
    const again = await gam(["plugin", "init", "my-survey"], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists and is not empty/);
    const bad = await gam(["plugin", "init", "My Survey"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected lower-case words/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

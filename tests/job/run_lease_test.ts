/**
 * Interrupted runs are reconciled: a real `gam run` child is SIGKILLed while its plugin is
 * blocked reading a named pipe, leaving its run `running`; `gam db status` reports it dead, and
 * the next `gam run` marks it `interrupted`. On the embedded database, and on the server when
 * DATABASE_URL is set.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { openDatabase } from "../../src/persistence/mod.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";
import { gam, ROOT, spawnGam } from "../_gam_cli.ts";

// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;

/**
 * A named pipe the survey is "read" from: the `file` plugin's read blocks on it until a writer
 * comes, which holds the run mid-fetch. `opened` resolves when the plugin has opened it (a FIFO's
 * writer open completes exactly then).
 */
async function holdingPipe(path: string) {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success, "mkfifo");
  const writer = Deno.open(path, { write: true });
  let opened = false;
  writer.then(() => opened = true, () => {});
  return {
    opened: writer.then(() => {}),
    async close() {
      // A writer still waiting is released by a reader of our own; then both ends close.
      const reader = opened ? undefined : await Deno.open(path, { read: true });
      (await writer).close();
      reader?.close();
    },
  };
}

async function configs(dir: string, pipe: string): Promise<{ hanging: string; quick: string }> {
  const base = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Yaml;
  base.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
  base.defaults.outputDir = `${dir}/out`;
  base.defaults.cacheDir = `${dir}/cache`;
  base.defaults.logLevel = "info";
  base.modalities.magnetic.enabled = false;
  const quick = `${dir}/quick.yaml`;
  await Deno.writeTextFile(quick, stringify(base));
  const hanging = structuredClone(base);
  hanging.modalities.gravity.source = {
    type: "plugin",
    plugin: "file",
    params: {
      path: pipe,
      columns: { lon: "lon", lat: "lat", value: "g" },
      units: "mGal",
      licence: "test",
      citation: "test",
    },
    permissions: { read: [pipe] },
  };
  hanging.modalities.gravity.retry = { maxAttempts: 1 };
  hanging.modalities.gravity.timeoutMs = 600_000;
  const path = `${dir}/hanging.yaml`;
  await Deno.writeTextFile(path, stringify(hanging));
  return { hanging: path, quick };
}

/** Starts `gam run`; resolves `leased` with the run id once its lease line is logged. */
function startRun(config: string, env: Record<string, string>) {
  const child = spawnGam(["run", "--config", config], { env, stdout: "null" });
  let log = "";
  const leased = (async () => {
    const lines = child.stderr.pipeThrough(new TextDecoderStream());
    let buffer = "";
    for await (const chunk of lines) {
      log += chunk;
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.includes('"msg":"run lease taken"')) {
          // Keep draining stderr so the child never blocks on a full pipe.
          (async () => {
            for await (const c of lines) log += c;
          })().catch(() => {});
          return JSON.parse(line).correlationId as string;
        }
      }
    }
    throw new Error(`gam run ended without taking its lease:\n${log}`);
  })();
  return { child, leased, log: () => log };
}

async function scenario(dir: string, env: Record<string, string>, statusArgs: string[]) {
  await Deno.mkdir(`${dir}/data`);
  const pipe = await holdingPipe(`${dir}/data/survey.csv`);
  try {
    const { hanging, quick } = await configs(dir, `${dir}/data/survey.csv`);
    const first = startRun(hanging, env);
    let runId: string;
    try {
      // Mid-run: the run row exists (lease logged) and the plugin is blocked reading the pipe.
      [runId] = await Promise.race([
        Promise.all([first.leased, pipe.opened]),
        first.child.status.then((s) => {
          throw new Error(`gam run ended (${s.code}) before it was mid-run:\n${first.log()}`);
        }),
      ]);
    } finally {
      first.child.kill("SIGKILL");
    }
    const status = await first.child.status;
    assert.equal(status.signal, "SIGKILL", first.log());

    // `gam db status` reports the run left running, and that its process is gone.
    const st = await gam(["db", "status", "--json", ...statusArgs], env);
    assert.equal(st.code, 0, st.stderr);
    const running = JSON.parse(st.stdout).running as { id: string; verdict: string }[];
    const mine = running.find((r) => r.id === runId);
    assert.equal(mine?.verdict, "dead", st.stdout);

    // The next start reconciles it.
    const second = await gam(["run", "--config", quick], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`"run":"${runId}".*"reason":"process \\d+ on [^"]+ is gone"`),
    );

    const db = await openDatabase(
      env.DATABASE_URL ? { url: env.DATABASE_URL } : { url: null, dataDir: `${dir}/out/db` },
    );
    try {
      const run = await db.repo.getRun(runId);
      assert.equal(run?.status, "interrupted");
      assert.ok(run?.finishedAt instanceof Date);
      assert.match(run?.statusDetail ?? "", /^marked interrupted at the start of process \d+ on /);
      assert.equal(run?.owner?.pid !== undefined && run.owner.pid > 0, true);
      assert.deepEqual((await db.repo.runningRuns()).map((r) => r.id), []);
    } finally {
      await db.close();
    }
  } finally {
    await pipe.close();
  }
}

Deno.test({
  name: "a SIGKILLed gam run is reported by gam db status and marked interrupted at the next start",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step("embedded database", async () => {
      const dir = await Deno.makeTempDir({ prefix: "gam-lease-" });
      try {
        await scenario(dir, { DATABASE_URL: "" }, ["--output-dir", `${dir}/out`]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
    if (!SERVER_URL) return;
    await t.step("PostgreSQL server", async () => {
      const dir = await Deno.makeTempDir({ prefix: "gam-lease-" });
      const scratch = await scratchDatabase("gam_lease_e2e");
      try {
        // Migrated by the deployment step: gam run refuses an unmigrated server.
        const migrated = await gam(["db", "migrate"], { DATABASE_URL: scratch.url });
        assert.equal(migrated.code, 0, migrated.stderr);
        await scenario(dir, { DATABASE_URL: scratch.url }, []);
      } finally {
        await scratch.drop();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

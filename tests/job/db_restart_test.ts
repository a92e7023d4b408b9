/**
 * Local-mode processes against the PostgreSQL server of `DATABASE_URL` while that server
 * restarts (`scripts/pg_cluster.sh halt`, then `start`). `gam serve`: once during a run (its
 * fetch held, the ingestion cache's advisory lock on a reserved connection of the service's
 * client) and once between runs; the service must go on, the run in hand must end, and the next
 * scheduled run must complete `ok` in the same process. A one-shot `gam run`: the same restart
 * during its fetch; it must end, and succeed.
 *
 * Before the server client replaced itself (src/persistence/postgres_engine.ts), both processes
 * died of the npm `postgres` client's lost write ("Uncaught TypeError: Cannot read properties of
 * null (reading 'write')") when the lock's release was sent on the dead connection.
 */
import assert from "node:assert/strict";
import { collect, spawnGam, watchStderr } from "../_gam_cli.ts";
import type { RunSummary } from "../../src/job/mod.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { cluster, reportServer, requireQueueServer, writeConfig } from "../queue/_fixture.ts";
import { within } from "../../src/_testing/within.ts";

// A server, migrated (the fixture's precondition is the queue tests' one: the same server).
await requireQueueServer();

/** The `service.run_finished` events in `text` (JSON lines), in order. */
function runsFinished(text: string): { outcome: string; modality: string }[] {
  return text.split("\n")
    .filter((line) => line.includes('"event":"service.run_finished"'))
    .map((line) => JSON.parse(line));
}

/** What both scenarios share (see {@linkcode restartScenario}). */
interface Scenario {
  /** The test's temporary folder. */
  dir: string;
  report: ReturnType<typeof reportServer>;
  /** Resolved when the first fetch arrives (it is then held until {@linkcode Scenario.release}). */
  held: Promise<void>;
  /** Lets the held fetch end. */
  release(): void;
  /** Restarts the cluster: halted, `between()` (e.g. the release), started again. */
  restart(between?: () => void): Promise<void>;
  /** The child under test: stopped (and its stderr drained) at the end whatever happens. */
  own(child: Deno.ChildProcess, stderr?: { ended: Promise<unknown> }): void;
}

/**
 * Runs `body` with a temporary folder, the report source whose first fetch is held, and a clean
 * end: the held fetch released, the cluster started again if the test stopped while it was
 * halted, the child stopped, the source closed and the folder removed.
 */
async function restartScenario(prefix: string, body: (s: Scenario) => Promise<void>) {
  const dir = await moduleTempDir({ prefix });
  const report = reportServer();
  const release = Promise.withResolvers<void>();
  const held = Promise.withResolvers<void>();
  let fetches = 0;
  report.setHold(() => {
    if (++fetches !== 1) return undefined;
    held.resolve();
    return release.promise;
  });
  let halted = false;
  let child: Deno.ChildProcess | undefined;
  let stderr: { ended: Promise<unknown> } | undefined;
  try {
    await body({
      dir,
      report,
      held: held.promise,
      release: () => release.resolve(),
      restart: async (between) => {
        await cluster("halt");
        halted = true;
        between?.();
        await cluster("start");
        halted = false;
      },
      own: (c, e) => {
        child = c;
        stderr = e;
      },
    });
  } finally {
    release.resolve();
    if (halted) await cluster("start");
    try {
      child?.kill("SIGTERM");
    } catch { /* already ended */ }
    await child?.status;
    await stderr?.ended;
    await report.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("gam serve: the database restarts during a run and between runs; the next run completes ok", async () => {
  await restartScenario(
    "gam-serve-dbrestart-",
    async ({ dir, report, held, release, restart, own }) => {
      // Gravity alone, every minute, and once at start (--run-now).
      const config = await writeConfig(dir, {
        mode: "local",
        params: { report: report.url },
        net: [report.host],
        serveSchedule: "* * * * *",
      });
      const child = spawnGam(["serve", "--config", config, "--run-now"], { stdout: "null" });
      const err = watchStderr(child);
      own(child, err);
      const log = () => err.text().slice(-6000);
      await err.until("service.ready", (t) => t.includes('"event":"service.ready"'), 60_000);

      // 1. During a run: its fetch is held (the cache entry's advisory lock is taken on a reserved
      // connection of the service's client) while the server stops and starts again.
      await within(held, 60_000, () => `the first run never fetched:\n${log()}`);
      // The fetch ends while the server is away; the lock's release follows.
      await restart(release);
      // That run must end: none may wait forever on a lost query. It even completes: the lock's
      // release on the lost connection is moot (the server ended the lock with the session), and
      // its later statements wait for the new connection.
      await err.until("the end of the run in hand", (t) => runsFinished(t).length >= 1, 120_000);
      assert.equal(runsFinished(err.text())[0].outcome, "ok", log());

      // 2. Between runs: the service's client is idle when the server restarts.
      const before = runsFinished(err.text()).length;
      await restart();
      // The next scheduled run (the minute's tick) completes ok with the same process.
      await err.until(
        "a run ending ok after the second restart",
        (t) => runsFinished(t).slice(before).some((r) => r.outcome === "ok"),
        180_000,
      );
      const base = /listening on (http:\/\/\S+)/.exec(err.text())?.[1];
      assert.ok(base, "gam serve printed its address");
      const health = await fetch(`${base}/healthz`);
      await health.body?.cancel();
      assert.equal(health.status, 200, "the service survived both restarts");
      // A clean stop after the restarts.
      child.kill("SIGTERM");
      const status = await within(child.status, 60_000, () => `gam serve did not stop:\n${log()}`);
      await err.ended;
      assert.equal(status.code, 0, `gam serve exit ${status.code}:\n${log()}`);
    },
  );
});

Deno.test("a one-shot gam run against a server: the database restarts during its fetch; the run ends and succeeds", async () => {
  await restartScenario(
    "gam-run-dbrestart-",
    async ({ dir, report, held, release, restart, own }) => {
      const config = await writeConfig(dir, {
        mode: "local",
        params: { report: report.url },
        net: [report.host],
      });
      const child = spawnGam(["run", "--config", config, "--modality", "gravity", "--json"]);
      own(child);
      const output = collect(child);
      await within(held, 60_000, () => "gam run never fetched");
      await restart(release);
      const r = await within(output, 120_000, () => "gam run did not end after the restart");
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      assert.equal((JSON.parse(r.stdout) as RunSummary).status, "succeeded");
    },
  );
});

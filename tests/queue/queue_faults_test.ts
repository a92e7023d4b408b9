/**
 * Faults of queued runs with real processes against the PostgreSQL server of `DATABASE_URL`:
 * a poison tile (retried, dead-lettered, the run ends partial naming it), a worker killed while
 * it holds a job (the job expires and another worker takes it), a database restart mid-run
 * (workers reconnect), and two overlapping runs sharing cache entries across processes.
 */
import assert from "node:assert/strict";
import { gam } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import type { RunSummary } from "../../src/job/mod.ts";
import {
  cluster,
  endRunsUnder,
  reportServer,
  requireQueueServer,
  startWorker,
  stopWorkers,
  type WorkerProcess,
  writeConfig,
} from "./_fixture.ts";

await requireQueueServer();

type Summary = RunSummary; // what `gam run --json` prints

const checksums = (s: Summary) =>
  Object.fromEntries(s.modalities.map((m) => [m.modality, m.grids.map((g) => g.checksum)]));

Deno.test("a poison tile is retried, dead-lettered, and the run ends partial (exit 1) naming it", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-poison-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  try {
    // (10.5, 45.3) is in tile r1c2's core, farther from its edges than the halo.
    const config = await writeConfig(dir, {
      params: { report: report.url, poison: [10.5, 45.3] },
      net: [report.host],
    });
    workers.push(await startWorker(config, "all"));
    const r = await gam(["run", "--config", config, "--json"]);
    assert.equal(r.code, 1, r.stderr.slice(-2000));
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.status, "partial");
    for (const m of s.modalities) {
      assert.equal(m.outcome, "failed");
      assert.match(m.error ?? "", /tile r1c2 \(ingest\): .*poison tile/);
      assert.equal(m.grids.length, 1, "the other tiles' grid is still made and persisted");
    }
    // retryLimit 1: two attempts of the poisoned tile per modality, one of every other tile.
    const counts = new Map<string, number>();
    for (const f of report.fetches) counts.set(f, (counts.get(f) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n === 2).map(([k]) => k);
    assert.equal(twice.length, 2, `fetched twice: ${twice.join(" | ")}`);
    for (const key of twice) {
      const [w, s, e, n] = key.split(" ")[1].split(",").map(Number);
      assert.ok(w <= 10.5 && 10.5 <= e && s <= 45.3 && 45.3 <= n, `${key} holds the poison`);
    }
    assert.equal(counts.size, 32, "every tile of both modalities fetched");
    // Named in the report too.
    const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
    assert.match(await Deno.readTextFile(`${runDir}/report.html`), /tile r1c2 \(ingest\)/);
    const status = JSON.parse(
      (await gam(["run", "status", s.runId, "--json", "--config", config])).stdout,
    );
    for (const m of status.modalities) {
      const dead = m.tiles.filter((t: { state: string }) => t.state === "dead");
      assert.deepEqual(dead.map((t: { key: string }) => t.key), ["r1c2"]);
      assert.equal(m.persist, "ok");
    }
  } finally {
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gam_queue_depth reports a failed job waiting for its next attempt as retry, not created", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-retry-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  try {
    // One tile, holding the poison: its ingest fails and waits a minute for its next attempt.
    const config = await writeConfig(dir, {
      bbox: [10.4, 45.2, 10.6, 45.4],
      params: { report: report.url, poison: [10.5, 45.3] },
      net: [report.host],
      queue: { retryLimit: 1, retryDelay: 60 },
    });
    const worker = await startWorker(config, "all");
    workers.push(worker);
    const fetched = Promise.withResolvers<void>();
    report.setHold(() => {
      fetched.resolve();
      return undefined;
    });
    // The depths count the whole queue (earlier runs' failed jobs stay for keepFinished): what
    // this run adds is compared with a scrape taken before it.
    const depth = (text: string, queue: string, state: string) =>
      Number(
        new RegExp(`gam_queue_depth\\{queue="${queue}",state="${state}"\\} (\\d+)`).exec(text)
          ?.[1] ?? NaN,
      );
    const scrape = async () => await (await fetch(`${worker.url}/metrics`)).text();
    const before = await scrape();
    const added = (text: string, queue: string, state: string) =>
      depth(text, queue, state) - depth(before, queue, state);
    const r = await gam(["run", "--config", config, "--modality", "gravity", "--detach"]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const runId = r.stdout.trim();
    await fetched.promise;
    // The attempt fails right after its fetch, and the engine then records the failure: the
    // scrapes read the engine's table, so they are repeated until that state shows.
    let text = await scrape();
    for (let i = 0; added(text, "gam-ingest", "retry") !== 1; i++) {
      assert.ok(i < 200, `no ingest job in retry after 20 s:\n${text}\n${worker.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape();
    }
    assert.equal(added(text, "gam-ingest", "created"), 0, "the retrying job is not created");
    assert.equal(added(text, "gam-ingest", "active"), 0);
    assert.equal(added(text, "gam-ingest", "failed"), 0);
    // Its preprocess still waits on the dependency: created, not retry.
    assert.equal(added(text, "gam-preprocess", "created"), 1);
    assert.equal(added(text, "gam-preprocess", "retry"), 0);
    const c = await gam(["run", "cancel", runId, "--config", config]);
    assert.equal(c.code, 0, c.stderr.slice(-2000));
    assert.equal(
      added(await scrape(), "gam-ingest", "retry"),
      0,
      "cancelled: not waiting any more",
    );
  } finally {
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker SIGKILLed while it holds a job: the job expires, another worker takes it, same checksums", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-kill-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  const release = Promise.withResolvers<void>();
  try {
    const config = await writeConfig(dir, { params: { report: report.url }, net: [report.host] });
    const undisturbed = await gam(["run", "--config", config, "--mode", "local", "--json"]);
    assert.equal(undisturbed.code, 0, undisturbed.stderr.slice(-2000));
    await Deno.remove(`${dir}/cache`, { recursive: true });
    // One worker takes the first job; its first fetch is held while the worker is killed, then
    // two more workers start: one of them must take the job once it expires.
    const victim = await startWorker(config, "all");
    const held = Promise.withResolvers<void>();
    let first = true;
    report.setHold(() => {
      if (!first) return undefined;
      first = false;
      held.resolve();
      return release.promise;
    });
    const run = gam(["run", "--config", config, "--json"]);
    await held.promise;
    victim.child.kill("SIGKILL");
    await victim.exited();
    release.resolve();
    for (let i = 0; i < 2; i++) workers.push(await startWorker(config, "all"));
    const r = await run;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.status, "succeeded");
    assert.deepEqual(checksums(s), checksums(JSON.parse(undisturbed.stdout)));
  } finally {
    release.resolve();
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

// The npm postgres client used to wedge here (a write lost on a closed connection left queries,
// and the cache lock of an advisory-lock session, hanging forever): see the module doc of
// src/persistence/postgres_engine.ts.
Deno.test("the database restarts mid-run: workers reconnect and the run completes", dbRestart);

async function dbRestart(): Promise<void> {
  const dir = await moduleTempDir({ prefix: "gam-queue-dbrestart-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  const release = Promise.withResolvers<void>();
  let halted = false;
  try {
    // Jobs in hand while the server is away fail or expire: retries cover them.
    const config = await writeConfig(dir, {
      params: { report: report.url },
      net: [report.host],
      queue: { retryLimit: 4, expireIn: "10s" },
    });
    for (let i = 0; i < 2; i++) workers.push(await startWorker(config, "all"));
    const held = Promise.withResolvers<void>();
    let n = 0;
    report.setHold(() => {
      if (++n !== 5) return undefined;
      held.resolve();
      return release.promise;
    });
    const run = gam(["run", "--config", config, "--json"]);
    await held.promise;
    await cluster("halt");
    halted = true;
    release.resolve(); // the fetch in hand finishes while the database is away
    await cluster("start");
    halted = false;
    // A guard, not a synchronisation: a hung run fails the test with the workers' logs.
    let guard: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      run,
      new Promise<never>((_, reject) => {
        guard = setTimeout(
          () =>
            reject(
              new Error(
                `the run did not end:\n${workers.map((w) => w.log().slice(-3000)).join("\n")}`,
              ),
            ),
          120_000,
        );
      }),
    ]).finally(() => clearTimeout(guard));
    assert.equal(
      r.code,
      0,
      r.stderr.slice(-2000) + workers.map((w) => w.log().slice(-2000)).join("\n"),
    );
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.status, "succeeded");
    for (const w of workers) {
      const health = await fetch(`${w.url}/healthz`);
      assert.equal(health.status, 200, "the worker survived the restart");
      await health.body?.cancel();
    }
  } finally {
    release.resolve();
    if (halted) await cluster("start");
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("two overlapping runs submitted at once share cache entries: one fetch per key across processes", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-overlap-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  try {
    const config = await writeConfig(dir, { params: { report: report.url }, net: [report.host] });
    for (let i = 0; i < 3; i++) workers.push(await startWorker(config, "all"));
    const [a, b] = await Promise.all([
      gam(["run", "--config", config, "--json"]),
      gam(["run", "--config", config, "--json", "--bbox", "10,45,10.8,45.6"]),
    ]);
    assert.equal(a.code, 0, a.stderr.slice(-2000));
    assert.equal(b.code, 0, b.stderr.slice(-2000));
    const counts = new Map<string, number>();
    for (const f of report.fetches) counts.set(f, (counts.get(f) ?? 0) + 1);
    // 16 tiles of the first run, 12 of the second, 8 of them with the same halo (rows 0 and 1):
    // 20 distinct requests per modality, each fetched once.
    assert.equal(counts.size, 40, [...counts.keys()].join("\n"));
    assert.deepEqual([...counts.values()].filter((n) => n !== 1), []);
  } finally {
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM: a worker whose job outlives the grace period releases it to another worker", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-term-" });
  const report = reportServer();
  const workers: WorkerProcess[] = [];
  const release = Promise.withResolvers<void>();
  try {
    const config = await writeConfig(dir, {
      params: { report: report.url },
      net: [report.host],
      shutdownTimeoutMs: 500,
    });
    const first = await startWorker(config, "all");
    const held = Promise.withResolvers<void>();
    let n = 0;
    report.setHold(() => {
      if (++n !== 1) return undefined;
      held.resolve();
      return release.promise;
    });
    const run = gam(["run", "--config", config, "--json"]);
    await held.promise;
    first.child.kill("SIGTERM");
    const status = await first.exited();
    assert.equal(status.code, 0, first.log().slice(-2000));
    release.resolve();
    workers.push(await startWorker(config, "all"));
    const r = await run;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal((JSON.parse(r.stdout) as Summary).status, "succeeded");
  } finally {
    release.resolve();
    await stopWorkers(workers);
    await report.close();
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

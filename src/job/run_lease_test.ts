import assert from "node:assert/strict";
import { type Database, openDatabase, type RunOwner } from "../persistence/mod.ts";
import { scratchDatabase, SERVER_URL } from "../persistence/_testing.ts";
import { currentProcess, judgeRun, processStartOf, reconcileRuns } from "./run_lease.ts";

/** A process that has exited: its identity as it was while it ran. */
async function deadProcess(): Promise<RunOwner> {
  const child = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
    .spawn();
  const start = processStartOf(child.pid);
  child.kill("SIGKILL");
  await child.status;
  assert.equal(processStartOf(child.pid), undefined, "the reaped child is gone");
  return { ...currentProcess(), pid: child.pid, processStart: start ?? null };
}

Deno.test("processStartOf() reads this process's start time and nothing for a missing pid", () => {
  const mine = processStartOf(Deno.pid);
  assert.match(mine ?? "", /^\d+$/);
  assert.equal(processStartOf(Deno.pid), mine, "stable");
  assert.equal(processStartOf(2 ** 31 - 2), undefined);
});

Deno.test("judgeRun(): alive by pid and start time on this host; other hosts by heartbeat", () => {
  const self = currentProcess();
  const base = {
    id: "r",
    status: "running" as const,
    startedAt: new Date(),
    finishedAt: null,
    configHash: null,
    heartbeatAt: new Date(),
    statusDetail: null,
  };
  // A silent run whose process is alive on this host is kept, however long it was silent.
  const alive = judgeRun({ ...base, owner: self, silentSeconds: 1e6 }, { self });
  assert.equal(alive.state, "alive");
  // Same pid, another start time: the pid was reused, the owner is gone.
  const reused = judgeRun(
    { ...base, owner: { ...self, processStart: "1" }, silentSeconds: 0 },
    { self },
  );
  assert.equal(reused.state, "dead");
  assert.match(reused.reason, /now belongs to another process/);
  // Another host (or kernel instance): a fresh heartbeat keeps it, a silent one does not.
  const other = { ...self, host: `${self.host}-other`, instance: "another-boot/pid:[1]" };
  assert.equal(
    judgeRun({ ...base, owner: other, silentSeconds: 30 }, { self, staleSeconds: 120 }).state,
    "fresh",
  );
  const stale = judgeRun({ ...base, owner: other, silentSeconds: 121 }, {
    self,
    staleSeconds: 120,
  });
  assert.equal(stale.state, "stale");
  assert.match(stale.reason, /no heartbeat for 121 s ago \(limit 120 s\)/);
  // Same host name but another kernel instance: the pid is not asked (it means another process).
  const container = { ...self, instance: "another-boot/pid:[1]" };
  assert.equal(
    judgeRun({ ...base, owner: container, silentSeconds: 5 }, {
      self,
      probe: () => assert.fail("must not probe a pid of another kernel instance"),
    }).state,
    "fresh",
  );
  // A row without owner (written before migration 0003) is judged by its age.
  assert.equal(
    judgeRun({ ...base, owner: null, heartbeatAt: null, silentSeconds: 500 }, { self }).state,
    "stale",
  );
});

async function withDatabases(
  t: Deno.TestContext,
  fn: (db: Database) => Promise<void>,
): Promise<void> {
  await t.step("embedded (PGlite)", async () => {
    const dir = await Deno.makeTempDir({ prefix: "gam_lease_test_" });
    const db = await openDatabase({ url: null, dataDir: `${dir}/db` });
    try {
      await fn(db);
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
  if (!SERVER_URL) return;
  await t.step("server (DATABASE_URL)", async () => {
    const scratch = await scratchDatabase("gam_lease");
    const db = await openDatabase({ url: scratch.url, migrate: true });
    try {
      await fn(db);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
}

Deno.test({
  name: "reconcileRuns() marks dead and stale runs interrupted, keeps live and fresh ones",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await withDatabases(t, async (db) => {
      const self = currentProcess();
      const dead = await deadProcess();
      const elsewhere = { ...self, host: "other-host", pid: 1, instance: "b/pid:[9]" };
      await db.repo.createRun({ id: "live", owner: self });
      await db.repo.createRun({ id: "dead", owner: dead });
      await db.repo.createRun({ id: "fresh-elsewhere", owner: elsewhere });
      await db.repo.createRun({ id: "stale-elsewhere", owner: elsewhere });
      await db.sql.query(
        "UPDATE runs SET heartbeat_at = now() - interval '10 minutes', " +
          "started_at = now() - interval '1 hour' WHERE id = 'stale-elsewhere'",
      );
      await db.repo.createRun({ id: "done", owner: dead });
      await db.repo.finishRun("done", "succeeded");

      const ended = await reconcileRuns(db.repo, { self, staleSeconds: 120 });
      assert.deepEqual(ended.map((r) => r.id).sort(), ["dead", "stale-elsewhere"]);
      const status = async (id: string) => (await db.repo.getRun(id))!;
      assert.equal((await status("live")).status, "running");
      assert.equal((await status("fresh-elsewhere")).status, "running");
      assert.equal((await status("done")).status, "succeeded");
      const d = await status("dead");
      assert.equal(d.status, "interrupted");
      assert.ok(d.finishedAt instanceof Date);
      assert.match(d.statusDetail ?? "", new RegExp(`process ${dead.pid} on .* is gone`));
      const s = await status("stale-elsewhere");
      assert.equal(s.status, "interrupted");
      assert.match(s.statusDetail ?? "", /process 1 on other-host: no heartbeat for \d+ s ago/);

      // A heartbeat keeps a run; one that is no longer running says so.
      assert.equal(await db.repo.heartbeatRun("live"), true);
      assert.equal(await db.repo.heartbeatRun("dead"), false);
      // A stale verdict is re-checked in the update: a heartbeat that came meanwhile wins.
      assert.equal(
        await db.repo.interruptRun("fresh-elsewhere", "x", { silentSeconds: 120 }),
        false,
      );
      assert.equal((await status("fresh-elsewhere")).status, "running");
      // Running again finds nothing more to do.
      assert.deepEqual(await reconcileRuns(db.repo, { self, staleSeconds: 120 }), []);
    });
  },
});

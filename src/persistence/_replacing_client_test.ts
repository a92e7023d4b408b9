/**
 * The retirement logic of the server client without a server: in-memory clients stand in for
 * the driver's pools, so every step (retire, backoff, waiting work, grace, probe, close) is seen.
 */
import assert from "node:assert/strict";
import { createLogger } from "../observability/mod.ts";
import { ReplacingClient, type ReplacingOptions } from "./_replacing_client.ts";
import { isConnectionLoss } from "./connection_loss.ts";
import { ConnectionLostError } from "./errors.ts";

interface Fake {
  id: number;
  alive: boolean;
}

/** A fake pool factory: `failures` opens fail first; records ends and backoff attempts. */
function fakes(failures = 0, extra: Partial<ReplacingOptions<Fake>> = {}) {
  let opened = 0;
  let toFail = failures;
  const ends: { id: number; grace: number }[] = [];
  const attempts: number[] = [];
  const lines: { msg: string }[] = [];
  const waiting: { msg: string; resolve: () => void }[] = [];
  const options: ReplacingOptions<Fake> = {
    open() {
      if (toFail > 0) {
        toFail--;
        return Promise.reject(
          Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
        );
      }
      return Promise.resolve({ id: ++opened, alive: true });
    },
    end(client, grace) {
      ends.push({ id: client.id, grace });
      return Promise.resolve();
    },
    // A wedged client's probe never settles, as a lost query never does.
    answers: (client) => client.alive ? Promise.resolve(true) : new Promise(() => {}),
    where: "postgres://gam@db/gam",
    logger: createLogger({
      level: "debug",
      sink: (l) => {
        const line = JSON.parse(l);
        lines.push(line);
        for (const w of waiting) if (w.msg === line.msg) w.resolve();
      },
    }),
    backoffMs: (n) => {
      attempts.push(n);
      return 1;
    },
    ...extra,
  };
  return {
    options,
    ends,
    attempts,
    msgs: () => lines.map((l) => l.msg),
    /** Resolves when a line `msg` is logged. */
    logged(msg: string): Promise<void> {
      const p = Promise.withResolvers<void>();
      waiting.push({ msg, resolve: p.resolve });
      return p.promise;
    },
    failNext(n: number) {
      toFail = n;
    },
  };
}

Deno.test("retire(): new work waits for a new client, opened again until the server answers, with backoff", async () => {
  const f = fakes();
  const clients = await ReplacingClient.open(f.options);
  const first = await clients.acquire();
  assert.equal(first.id, 1);
  f.failNext(2); // the server is still away for two attempts
  clients.retire(first, new Error("a connection of the pool closed"));
  assert.ok(clients.isRetired(first));
  const next = await clients.acquire(); // waits through the two failed attempts
  assert.equal(next.id, 2);
  assert.deepEqual(f.attempts, [0, 1], "one pause after each failed attempt, growing");
  assert.deepEqual(f.ends, [{ id: 1, grace: 5 }], "the retired client ended with the grace");
  assert.deepEqual(f.msgs(), [
    "database server went away: client retired, opening a new one",
    "database server not reachable yet; retrying",
    "database client replaced",
  ]);
  await clients.close();
  assert.deepEqual(f.ends.map((e) => e.id), [1, 2]);
});

Deno.test("retire() of a client already replaced, or twice, opens one replacement", async () => {
  let opens = 0;
  const f = fakes();
  const open = f.options.open;
  const clients = await ReplacingClient.open({
    ...f.options,
    open: () => (opens++, open()),
  });
  const first = await clients.acquire();
  clients.retire(first, "sign 1");
  clients.retire(first, "sign 2"); // a second sign of the same loss
  const second = await clients.acquire();
  clients.retire(first, "late sign from the retired client"); // must not retire the new one
  assert.equal(await clients.acquire(), second);
  assert.equal(opens, 2, "the first client and one replacement");
  assert.equal(clients.isRetired(second), false);
  await clients.close();
});

Deno.test("work waits for a new client at most waitSeconds, then fails with a connection loss", async () => {
  const f = fakes(0, { waitSeconds: 0.05 });
  const clients = await ReplacingClient.open(f.options);
  f.failNext(Number.MAX_SAFE_INTEGER); // the server never comes back
  clients.retire(await clients.acquire(), "gone");
  const error = await clients.acquire("insertSurvey").then(() => undefined, (e) => e);
  assert.ok(error instanceof ConnectionLostError, String(error));
  assert.match(error.message, /^insertSurvey failed: .*postgres:\/\/gam@db\/gam.* 0\.05 s/);
  assert.match(error.message, /ECONNREFUSED/, "names the last attempt's failure");
  assert.ok(isConnectionLoss(error));
  await clients.close(); // stops the reconnection loop
  await assert.rejects(clients.acquire(), /the database client is closed/);
});

Deno.test("suspect(): a client that answers is kept, one that does not is retired", async () => {
  const f = fakes(0, { graceSeconds: 0.05 });
  const clients = await ReplacingClient.open(f.options);
  const first = await clients.acquire();
  clients.suspect(new Error("another pool's connection error"));
  await clients.close(); // waits for the probe: it answered, nothing was retired
  assert.equal(clients.isRetired(first), false);
  assert.deepEqual(f.msgs(), []);

  const g = fakes(0, { graceSeconds: 0.05 });
  const others = await ReplacingClient.open(g.options);
  const wedged = await others.acquire();
  wedged.alive = false; // its queries are lost: the probe never settles
  const replaced = g.logged("database client replaced");
  others.suspect(new Error("another pool's connection error"));
  await replaced;
  assert.ok(others.isRetired(wedged));
  assert.equal((await others.acquire()).id, 2);
  await others.close();
});

Deno.test("close() during a reconnection stops it", async () => {
  const f = fakes();
  const clients = await ReplacingClient.open(f.options);
  f.failNext(Number.MAX_SAFE_INTEGER);
  clients.retire(await clients.acquire(), "gone");
  await clients.close();
  assert.deepEqual(f.ends.map((e) => e.id), [1], "only the retired client was ever open");
});

/**
 * Fixtures of the queue tests (internal): a source plugin whose survey does not depend on the
 * requested bbox (a fixed jittered lattice, returned in one global order, so a tile's points
 * are exactly the whole survey's points inside it, as with a survey file), optionally failing
 * for one location (a poison tile) and reporting every fetch to a loopback server (which can
 * hold a fetch until the test releases it); configurations; `gam worker` child processes.
 *
 * @module
 */
import { stringify } from "yaml";
import { migrateServerDatabase, ROOT, spawnGam } from "../_gam_cli.ts";
import { openDatabase } from "../../src/persistence/mod.ts";

/** The plugin module (TypeScript source). Lattice step 0.011 degrees, jitter from a hash. */
export const PLUGIN =
  `import { type FetchRequest, type PluginManifest, pointsData } from "@gam/pipeline/plugin";
export const manifest: PluginManifest = { id: "lattice", version: "1.0.0", apiVersion: "1.1.0",
  modalities: ["gravity", "magnetic"], description: "A bbox-independent jittered lattice",
  licence: "CC0-1.0", citation: "test", permissions: { net: [], read: [] } };
function hash(i: number, j: number): number {
  let h = (i * 374761393 + j * 668265263) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}
export function createPlugin() {
  return { async fetch(req: FetchRequest) {
    const [w, s, e, n] = req.bbox;
    const p = req.params as { report?: string; poison?: [number, number] };
    if (p.report) {
      let ppid = 0;
      try { ppid = Deno.ppid; } catch { /* not allowed: 0 */ }
      const r = await fetch(p.report + "?m=" + req.modality + "&bbox=" + req.bbox.join(",") +
        "&ppid=" + ppid);
      await r.body?.cancel();
    }
    if (p.poison && p.poison[0] >= w && p.poison[0] <= e && p.poison[1] >= s && p.poison[1] <= n) {
      throw new Error("poison tile: this source always fails at " + p.poison.join(","));
    }
    const step = 0.011;
    const lon: number[] = [], lat: number[] = [], value: number[] = [];
    for (let j = Math.floor((s + 90) / step) - 1; j <= Math.ceil((n + 90) / step) + 1; j++) {
      for (let i = Math.floor((w + 180) / step) - 1; i <= Math.ceil((e + 180) / step) + 1; i++) {
        const x = -180 + (i + hash(i, j)) * step, y = -90 + (j + hash(j, i)) * step;
        if (x < w || x > e || y < s || y > n) continue;
        lon.push(x); lat.push(y);
        value.push(req.modality === "magnetic"
          ? 80 * Math.sin(9 * x) * Math.cos(7 * y) + 3 * hash(i + 7, j)
          : 20 * Math.cos(6 * x) + 15 * Math.sin(8 * y) + hash(i, j + 3));
      }
    }
    return pointsData(req, { manifest, units: req.modality === "magnetic" ? "nT" : "mGal",
      lon, lat, value });
  } };
}
`;

/** Options of {@linkcode writeConfig}. */
export interface ConfigOptions {
  bbox?: number[];
  mode?: "local" | "queue";
  /** Extra plugin params (report URL, poison location). */
  params?: Record<string, unknown>;
  /** Hosts the plugin may reach (the report server). */
  net?: string[];
  gravity?: string;
  magnetic?: string;
  queue?: Record<string, unknown>;
  tileSize?: number;
  shutdownTimeoutMs?: number;
  /**
   * For `gam serve` (local mode): gravity alone, on this 5-field cron schedule, its events
   * (`service.ready`, `service.run_finished`) as JSON info lines, probes on a free loopback port.
   */
  serveSchedule?: string;
}

/** Writes the plugin and a configuration into `dir`; returns the configuration's path. */
export async function writeConfig(dir: string, o: ConfigOptions = {}): Promise<string> {
  await Deno.mkdir(`${dir}/plugin`, { recursive: true });
  await Deno.writeTextFile(`${dir}/plugin/deno.json`, "{}\n");
  await Deno.writeTextFile(`${dir}/plugin/mod.ts`, PLUGIN);
  const source = {
    plugin: "lattice",
    module: `${dir}/plugin/mod.ts`,
    params: o.params ?? {},
    permissions: { net: o.net ?? [] },
    allowInsecureHttp: o.net ?? [],
  };
  const modality = (units: string, definition: string) => ({
    units,
    source,
    retry: { maxAttempts: 1 },
    pipeline: { version: "1.0.0", definition },
  });
  const config = {
    version: 1,
    defaults: {
      bbox: o.bbox ?? [10, 45, 10.8, 45.8],
      workers: 1,
      outputDir: `${dir}/out`,
      cacheDir: `${dir}/cache`,
      logLevel: o.serveSchedule ? "info" : "warn",
      ...(o.serveSchedule ? { logFormat: "json" } : {}),
    },
    service: {
      shutdownTimeoutMs: o.shutdownTimeoutMs ?? 10_000,
      ...(o.serveSchedule ? { listen: "127.0.0.1:0" } : {}),
    },
    execution: {
      mode: o.mode ?? "queue",
      tile: { size: o.tileSize ?? 0.2 },
      queue: { retryLimit: 1, retryDelay: 0, retryBackoff: false, expireIn: "4s", ...o.queue },
    },
    modalities: {
      gravity: {
        ...modality("mGal", o.gravity ?? "grid(method=idw, spacing=0.01, radius=0.03, k=8) -> qc"),
        ...(o.serveSchedule ? { schedule: o.serveSchedule } : {}),
      },
      magnetic: {
        ...modality("nT", o.magnetic ?? "grid(method=block-mean, spacing=0.01) -> qc"),
        ...(o.serveSchedule ? { enabled: false } : {}),
      },
    },
  };
  const path = `${dir}/gam.yaml`;
  await Deno.writeTextFile(path, stringify(config));
  return path;
}

/** A `gam worker` child process. */
export interface WorkerProcess {
  child: Deno.ChildProcess;
  /** Its probes' base URL. */
  url: string;
  /** Everything it wrote on stderr so far. */
  log(): string;
  /** Resolves when it writes more on stderr (or has ended): what to await between reads of `log()`. */
  more(): Promise<void>;
  /** Waits for it to exit (after a signal). */
  exited(): Promise<Deno.CommandStatus>;
}

/** Starts `gam worker --profile <profile>` and waits until it listens (its start line). */
export async function startWorker(
  config: string,
  profile: string,
  extra: string[] = [],
): Promise<WorkerProcess> {
  const child = spawnGam(
    ["worker", "--profile", profile, "--config", config, "--listen", "127.0.0.1:0", ...extra],
    { stdout: "null" },
  );
  let text = "";
  let ended = false;
  let more = Promise.withResolvers<void>();
  const listening = Promise.withResolvers<string>();
  const dec = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of child.stderr) {
      text += dec.decode(chunk, { stream: true });
      more.resolve();
      more = Promise.withResolvers<void>();
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m) listening.resolve(m[1]);
    }
    ended = true;
    more.resolve();
    listening.reject(new Error(`gam worker exited before listening:\n${text}`));
  })();
  const status = child.status.then(async (s) => {
    await pump;
    return s;
  });
  const url = await listening.promise;
  return {
    child,
    url,
    log: () => text,
    more: () => ended ? status.then(() => {}) : more.promise,
    exited: () => status,
  };
}

/** Stops workers with SIGTERM and waits for them. */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    try {
      w.child.kill("SIGTERM");
    } catch { /* already gone */ }
    await w.exited();
  }));
}

/** A loopback server counting plugin fetches by modality and bbox; `hold` parks requests. */
export function reportServer() {
  const fetches: string[] = [];
  let hold: ((key: string, ppid: number) => Promise<void> | undefined) | undefined;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    const key = `${u.searchParams.get("m")} ${u.searchParams.get("bbox")}`;
    fetches.push(key);
    await hold?.(key, Number(u.searchParams.get("ppid")));
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/fetch`,
    host: `127.0.0.1:${server.addr.port}`,
    fetches,
    setHold(fn: typeof hold) {
      hold = fn;
    },
    close: () => server.shutdown(),
  };
}

/**
 * Ends the queued runs of a test still running (a failed test) and drops their waiting jobs, so
 * that no later test's worker takes them up and writes into a removed folder.
 */
export async function endRunsUnder(dir: string): Promise<void> {
  const db = await openDatabase({ url: Deno.env.get("DATABASE_URL")! });
  try {
    const runs = await db.sql.query<{ id: string }>(
      `UPDATE runs r SET status = 'interrupted', finished_at = GREATEST(now(), started_at)
        FROM metadata m
       WHERE m.run_id = r.id AND m.key = 'queue/plan' AND r.status = 'running'
         AND m.value->>'runDir' LIKE $1 RETURNING r.id`,
      [`${dir}/%`],
      "endRunsUnder",
    );
    if (runs.length > 0) {
      await db.sql.query(
        `DELETE FROM pgboss.job WHERE data->>'runId' = ANY($1::text[])
            AND state IN ('created', 'retry')`,
        [runs.map((r) => r.id)],
        "endRunsUnder",
      );
    }
  } finally {
    await db.close();
  }
}

/**
 * The queue tests' precondition: the PostgreSQL server of `DATABASE_URL` (the test task starts
 * one), migrated. Throws when none is set: queued runs cannot run on the embedded database.
 */
export async function requireQueueServer(): Promise<void> {
  if (!Deno.env.get("DATABASE_URL")) {
    throw new Error(
      "the queue tests need a PostgreSQL server: set DATABASE_URL (deno task test does)",
    );
  }
  await migrateServerDatabase();
}

/**
 * Runs `scripts/pg_cluster.sh VERB` for the cluster of `DATABASE_URL` (its port): `halt` stops
 * the server and keeps its data, `start` resumes it. A database restart is the two in turn.
 */
export async function cluster(verb: "halt" | "start"): Promise<void> {
  const port = new URL(Deno.env.get("DATABASE_URL")!).port;
  const out = await new Deno.Command(`${ROOT}scripts/pg_cluster.sh`, {
    args: [verb],
    env: { GAM_PG_PORT: port, GAM_SKIP_APT: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`pg_cluster.sh ${verb} failed (${out.code}): ${text}`);
}

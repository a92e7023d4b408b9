/**
 * `deno task bench:queue`: a queued run of 16 tiles (4 x 4, idw at 0.002 degrees by default)
 * with 1 and with 2 `gam worker --profile all --concurrency 1` processes (throughput ratio),
 * and the engine's overhead per job: submit to start of the first job of small runs on idle
 * workers (median and p95), read from the queue's own job table (`created_on` to `started_on`).
 * Real processes against the PostgreSQL server of `DATABASE_URL` (migrated first).
 *
 * Flags: `--overhead-runs N` small runs for the overhead (default 20); `--spacing DEG` the tiled
 * run's grid spacing in degrees (default 0.002: smaller is more kernel time per tile).
 *
 * @module
 */
import postgres from "postgres";
import {
  startWorker,
  stopWorkers,
  type WorkerProcess,
  writeConfig,
} from "../tests/queue/_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.error(
    'bench:queue needs a PostgreSQL server: eval "$(scripts/pg_cluster.sh start)" first',
  );
  Deno.exit(2);
}
const flag = (name: string) => Number(Deno.args[Deno.args.indexOf(name) + 1]);
const overheadRuns = flag("--overhead-runs") || 20;
const spacing = flag("--spacing") || 0.002;

async function gam(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", `${ROOT}src/cli/main.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const migrated = await gam(["db", "migrate"]);
if (migrated.code !== 0) throw new Error(migrated.stderr);

const dir = await Deno.makeTempDir({ prefix: "gam-bench-queue-" });
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  /** One 16-tile run with `n` workers; a fresh cache, so every tile is fetched and gridded. */
  const tiledRun = async (n: number) => {
    const sub = `${dir}/w${n}`;
    const config = await writeConfig(sub, {
      gravity: `grid(method=idw, spacing=${spacing}, radius=0.02, k=12)`,
      magnetic: `grid(method=idw, spacing=${spacing}, radius=0.02, k=12)`,
    });
    const workers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < n; i++) {
        workers.push(await startWorker(config, "all", ["--concurrency", "1"]));
      }
      const t0 = performance.now();
      const r = await gam(["run", "--config", config, "--modality", "gravity", "--json"]);
      const seconds = (performance.now() - t0) / 1000;
      if (r.code !== 0) throw new Error(`the run failed:\n${r.stderr.slice(-3000)}`);
      const runId = JSON.parse(r.stdout).runId as string;
      // Where a run's time goes: the summed time jobs of each queue held a worker.
      const busy = await sql<{ name: string; s: number }[]>`
        SELECT name, sum(extract(epoch FROM completed_on - started_on))::float8 AS s
          FROM pgboss.job WHERE data->>'runId' = ${runId} GROUP BY name ORDER BY name`;
      const busyText = busy.map((b) => `${b.name.replace(/^gam-/, "")} ${b.s.toFixed(2)} s`)
        .join(", ");
      return { seconds, tilesPerSecond: 16 / seconds, busyText };
    } finally {
      await stopWorkers(workers);
    }
  };
  const one = await tiledRun(1);
  const two = await tiledRun(2);

  // Overhead: small one-tile runs on two idle workers, one after the other.
  const config = await writeConfig(`${dir}/overhead`, {
    bbox: [10, 45, 10.1, 45.1],
    tileSize: 1,
  });
  const workers: WorkerProcess[] = [];
  const starts: number[] = [], releases: number[] = [];
  try {
    for (let i = 0; i < 2; i++) workers.push(await startWorker(config, "all"));
    for (let i = 0; i < overheadRuns; i++) {
      const r = await gam(["run", "--config", config, "--modality", "gravity", "--json"]);
      if (r.code !== 0) throw new Error(r.stderr.slice(-2000));
      const runId = JSON.parse(r.stdout).runId as string;
      const rows = await sql<{ name: string; wait: number; release: number | null }[]>`
        SELECT j.name, extract(epoch FROM j.started_on - j.created_on)::float8 * 1000 AS wait,
               extract(epoch FROM j.started_on - p.completed_on)::float8 * 1000 AS release
          FROM pgboss.job j
          LEFT JOIN pgboss.job p ON p.name = 'gam-ingest' AND p.data = j.data
         WHERE j.data->>'runId' = ${runId}`;
      starts.push(rows.find((x) => x.name === "gam-ingest")!.wait);
      releases.push(rows.find((x) => x.name === "gam-preprocess")!.release!);
    }
  } finally {
    await stopWorkers(workers);
  }
  const pct = (a: number[], p: number) => {
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  console.log(
    `bench:queue (16 tiles, idw ${spacing} deg, gam worker --profile all --concurrency 1)`,
  );
  console.log(
    `  1 worker : ${one.seconds.toFixed(2)} s, ${one.tilesPerSecond.toFixed(2)} tiles/s ` +
      `(jobs busy: ${one.busyText})`,
  );
  console.log(
    `  2 workers: ${two.seconds.toFixed(2)} s, ${two.tilesPerSecond.toFixed(2)} tiles/s ` +
      `(jobs busy: ${two.busyText})`,
  );
  console.log(`  throughput ratio 2/1: ${(two.tilesPerSecond / one.tilesPerSecond).toFixed(2)}x`);
  console.log(
    `  submit -> start of a ready job (${overheadRuns} runs, idle workers): ` +
      `median ${pct(starts, 50).toFixed(1)} ms, p95 ${pct(starts, 95).toFixed(1)} ms`,
  );
  console.log(
    `  ingest completed -> its preprocess started (flow release): ` +
      `median ${pct(releases, 50).toFixed(0)} ms, p95 ${pct(releases, 95).toFixed(0)} ms`,
  );
} finally {
  await sql.end();
  await Deno.remove(dir, { recursive: true });
}

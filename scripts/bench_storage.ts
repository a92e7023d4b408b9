/**
 * `deno task bench:storage`: object storage against the loopback versitygw server.
 *
 * 1. Upload and download of a 100 MiB grid file (5,120 x 5,120 Float32 cells, deterministic
 *    values) with our store (`S3ObjectStore`: multipart, 8 MiB parts, 4 in flight, SHA-256 of
 *    the whole file computed first and of each part sent; download hashed and checked) next to
 *    the AWS CLI (`aws s3 cp`, awscli 1.46.3 from PyPI, configured with the same 8 MiB parts and
 *    4 concurrent requests) on the same file, the same server, in the same run, alternating.
 *    Each upload goes to a new key (an identical object would not be sent again by our store).
 * 2. The added time of `gam run` with a `storage:` section (the run folder uploaded at the end)
 *    against the same run without, warm cache for both, alternating.
 *
 * Reported: the median and best of `--reps` (default 3) after one warm-up, MiB/s for the
 * transfers; for the runs also the upload's own time as the run reports it
 * (`storage.seconds` of the `--json` summary), which other load on the machine disturbs less than
 * the difference of two whole runs. Flags: `--reps N`, `--mib N` (file size, default 100),
 * `--runs N` (gam runs per side, default 5).
 *
 * @module
 */
import { ROOT, spawnGam } from "../tests/_gam_cli.ts";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { measure } from "./_measure.ts";
import { startTestS3Server } from "../src/storage/_testing.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "3" },
    mib: { type: "string", default: "100" },
    runs: { type: "string", default: "5" },
  },
});
const REPS = Number(flags.reps);
const MIB = Number(flags.mib);
const RUNS = Number(flags.runs);
const CACHE_HOME = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
const AWS = Deno.env.get("GAM_AWS_CLI") ?? `${CACHE_HOME}/gam/awscli-1.46.3/bin/aws`;

function stats(xs: number[]): { median: number; best: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], best: s[0] };
}

const server = await startTestS3Server();
const work = await Deno.makeTempDir({ prefix: "gam-bench-storage-" });
try {
  const bucket = "gam-bench";
  const store = await server.store(bucket, {
    multipart: { thresholdBytes: 16 * 1024 * 1024, partSizeBytes: 8 * 1024 * 1024, queueSize: 4 },
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  // A deterministic Float32 grid (a smooth field plus a fixed pattern), as raw bytes.
  const cells = (MIB * 1024 * 1024) / 4;
  const grid = new Float32Array(cells);
  for (let i = 0; i < cells; i++) grid[i] = Math.sin(i * 1e-4) * 50 + (i % 97) * 0.01;
  const file = `${work}/grid.f32`;
  await Deno.writeFile(file, new Uint8Array(grid.buffer));
  const bytes = grid.byteLength;

  // The AWS CLI: same server, credentials, part size and concurrency.
  const awsConfig = `${work}/aws-config`;
  await Deno.writeTextFile(
    awsConfig,
    "[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 16MB\n  multipart_chunksize = 8MB\n" +
      "  max_concurrent_requests = 4\n  addressing_style = path\n",
  );
  Deno.env.set("AWS_CONFIG_FILE", awsConfig);
  Deno.env.set("AWS_ACCESS_KEY_ID", server.accessKeyId);
  Deno.env.set("AWS_SECRET_ACCESS_KEY", server.secretAccessKey);
  const aws = (...args: string[]) => measure(AWS, [...args, "--endpoint-url", server.endpoint]);

  const ours = { up: [] as number[], down: [] as number[] };
  const cli = { up: [] as number[], down: [] as number[] };
  for (let rep = 0; rep <= REPS; rep++) {
    const key = `bench/ours-${rep}.f32`;
    let t0 = performance.now();
    await store.putFile(key, file);
    const up = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await store.getFile(key, `${work}/back-ours.f32`);
    const down = (performance.now() - t0) / 1000;
    const cliUp = await aws("s3", "cp", "--quiet", file, `s3://${bucket}/bench/cli-${rep}.f32`);
    const cliDown = await aws(
      "s3",
      "cp",
      "--quiet",
      `s3://${bucket}/bench/cli-${rep}.f32`,
      `${work}/back-cli.f32`,
    );
    if (!cliUp.ok || !cliDown.ok) {
      throw new Error(`aws s3 cp failed: ${cliUp.error ?? cliDown.error}`);
    }
    if (rep === 0) continue; // warm-up
    ours.up.push(up);
    ours.down.push(down);
    cli.up.push(cliUp.seconds);
    cli.down.push(cliDown.seconds);
  }
  const mibs = (s: number) => (bytes / 1024 / 1024 / s).toFixed(0);
  const rows: [string, number[]][] = [
    ["upload, S3ObjectStore.putFile", ours.up],
    ["upload, aws s3 cp", cli.up],
    ["download, S3ObjectStore.getFile", ours.down],
    ["download, aws s3 cp", cli.down],
  ];
  console.log(
    `\n${(bytes / 1024 / 1024).toFixed(0)} MiB grid file, versitygw 1.8.0 on loopback, ` +
      `median (best) of ${REPS} after a warm-up:`,
  );
  console.log("| transfer | median s | MiB/s (median) | best s |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, xs] of rows) {
    const s = stats(xs);
    console.log(`| ${name} | ${s.median.toFixed(2)} | ${mibs(s.median)} | ${s.best.toFixed(2)} |`);
  }
  store.close();

  // 2. gam run with and without storage (warm cache: the upload is the difference).
  const base = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<
    string,
    // deno-lint-ignore no-explicit-any
    any
  >;
  base.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
  base.defaults.outputDir = `${work}/out`;
  base.defaults.cacheDir = `${work}/cache`;
  base.defaults.logLevel = "warn";
  const plain = `${work}/plain.yaml`;
  await Deno.writeTextFile(plain, stringify(base));
  const withStorage = `${work}/storage.yaml`;
  await Deno.writeTextFile(
    withStorage,
    stringify({
      ...base,
      auth: { k: { fromEnv: "BENCH_S3_KEY" }, s: { fromEnv: "BENCH_S3_SECRET" } },
      storage: {
        endpoint: server.endpoint,
        bucket,
        credentials: { accessKeyId: "k", secretAccessKey: "s" },
      },
    }),
  );
  Deno.env.set("BENCH_S3_KEY", server.accessKeyId);
  Deno.env.set("BENCH_S3_SECRET", server.secretAccessKey);
  // Wall time of the whole process, and the upload's own time from the run's summary.
  const gamRun = async (config: string) => {
    const t0 = performance.now();
    const out = await spawnGam(["run", "--config", config, "--json"], { cwd: Deno.cwd() })
      .output();
    const seconds = (performance.now() - t0) / 1000;
    if (!out.success) throw new Error(`gam run failed: ${new TextDecoder().decode(out.stderr)}`);
    const summary = JSON.parse(new TextDecoder().decode(out.stdout));
    return { seconds, upload: summary.storage?.seconds as number | undefined };
  };
  await gamRun(plain); // fills the cache (and the embedded database)
  const without: number[] = [];
  const withIt: number[] = [];
  const uploads: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    without.push((await gamRun(plain)).seconds);
    const b = await gamRun(withStorage);
    withIt.push(b.seconds);
    if (b.upload === undefined) throw new Error("the run with storage reported no upload");
    uploads.push(b.upload);
  }
  const w = stats(without);
  const s = stats(withIt);
  const u = stats(uploads);
  console.log(`\ngam run (gravity + magnetic, warm cache), median (best) of ${RUNS}, alternating:`);
  console.log("| run | median s | best s |");
  console.log("| --- | ---: | ---: |");
  console.log(`| without storage | ${w.median.toFixed(2)} | ${w.best.toFixed(2)} |`);
  console.log(
    `| with storage (upload at the end) | ${s.median.toFixed(2)} | ${s.best.toFixed(2)} |`,
  );
  console.log(
    `| difference of the medians | ${(s.median - w.median).toFixed(2)} | ${
      (s.best - w.best).toFixed(2)
    } |`,
  );
  console.log(
    `| the upload itself (summary.storage.seconds) | ${u.median.toFixed(2)} | ${
      u.best.toFixed(2)
    } |`,
  );
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await server.stop();
}

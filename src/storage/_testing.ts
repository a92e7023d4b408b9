/**
 * Test support (internal): a throw-away S3-compatible server on a free loopback port, started
 * with `scripts/s3_server.sh` (versitygw, or moto for the lifecycle API), its folder removed
 * when the test stops it.
 *
 * @module
 */
import { S3ObjectStore, type S3ObjectStoreOptions } from "./s3_object_store.ts";

const SCRIPT = new URL("../../scripts/s3_server.sh", import.meta.url).pathname;

/** A running loopback server. */
export interface TestS3Server {
  /** `versitygw` or `moto`. */
  kind: "versitygw" | "moto";
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** The loopback port. */
  port: number;
  /** Signing region. */
  region: string;
  /** Throw-away access key id. */
  accessKeyId: string;
  /** Throw-away secret access key. */
  secretAccessKey: string;
  /** The folder versitygw serves (`<dir>/data/<bucket>/<key>`). */
  dataDir: string;
  /** The server's variables as `scripts/s3_server.sh start` prints them. */
  env: Record<string, string>;
  /** A store on bucket `bucket` of this server (bucket created, versioning on). */
  store(bucket: string, options?: Partial<S3ObjectStoreOptions>): Promise<S3ObjectStore>;
  /** Kills the server process, keeping its folder (a later `start()` serves the same data). */
  kill(): Promise<void>;
  /** Starts the server again on the same port and folder. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function script(args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(SCRIPT, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `scripts/s3_server.sh ${args.join(" ")} failed (exit ${out.code}): ` +
        new TextDecoder().decode(out.stderr),
    );
  }
  return text;
}

/**
 * Starts a loopback S3 server for a test.
 *
 * @param kind `versitygw` (default) or `moto`.
 * @param options Fixed credentials (both or neither); default: generated.
 * @returns The server; call `stop()` in a `finally`.
 *
 * It starts a loopback S3 server (a tool of scripts/setup_test_env.sh): used by
 * tests/storage/run_storage_test.ts and src/storage/s3_object_store_test.ts.
 */
export async function startTestS3Server(
  kind: "versitygw" | "moto" = "versitygw",
  options: { accessKeyId?: string; secretAccessKey?: string } = {},
): Promise<TestS3Server> {
  const port = freePort();
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const dir = `${tmp}/gam-s3-test-${port}`;
  const scriptEnv: Record<string, string> = {
    GAM_S3_SERVER: kind,
    GAM_S3_PORT: String(port),
    GAM_S3_DIR: dir,
  };
  if (options.accessKeyId && options.secretAccessKey) {
    scriptEnv.GAM_S3_ACCESS_KEY_ID = options.accessKeyId;
    scriptEnv.GAM_S3_SECRET_ACCESS_KEY = options.secretAccessKey;
  }
  const env: Record<string, string> = {};
  const start = async () => {
    const text = await script(["start"], scriptEnv);
    for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2].replace(/^'|'$/g, "");
  };
  await start();
  const stores: S3ObjectStore[] = [];
  const server: TestS3Server = {
    kind,
    port,
    endpoint: env.GAM_S3_ENDPOINT,
    region: env.GAM_S3_REGION,
    accessKeyId: env.GAM_S3_ACCESS_KEY_ID,
    secretAccessKey: env.GAM_S3_SECRET_ACCESS_KEY,
    dataDir: `${dir}/data`,
    env,
    async store(bucket, options = {}) {
      const store = new S3ObjectStore({
        endpoint: server.endpoint,
        region: server.region,
        bucket,
        credentials: () =>
          Promise.resolve({
            accessKeyId: server.accessKeyId,
            secretAccessKey: server.secretAccessKey,
          }),
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, jitter: "none" },
        ...options,
      });
      stores.push(store);
      await store.ensureBucket();
      return store;
    },
    async kill() {
      const pid = Number((await Deno.readTextFile(`${dir}/server.pid`)).trim());
      Deno.kill(pid, "SIGKILL");
      // Wait until the port is closed: the process is gone.
      while (true) {
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          c.close();
          await new Promise((r) => setTimeout(r, 20));
        } catch {
          return;
        }
      }
    },
    start,
    async stop() {
      for (const s of stores.splice(0)) s.close();
      await script(["stop"], scriptEnv);
    },
  };
  return server;
}

/**
 * Runs `fn` with a loopback S3 server started for it, and stops the server (removing its
 * folder) afterwards, whether `fn` succeeds or throws.
 *
 * @param fn The test's body.
 * @param kind `versitygw` (default) or `moto`.
 * @param options Fixed credentials (both or neither); default: generated.
 *
 * It starts a loopback S3 server (a tool of scripts/setup_test_env.sh): used by the tests of
 * src/storage/ (`await withTestS3Server(async (server) => { ... })`).
 */
export async function withTestS3Server(
  fn: (server: TestS3Server) => Promise<void>,
  kind: "versitygw" | "moto" = "versitygw",
  options: { accessKeyId?: string; secretAccessKey?: string } = {},
): Promise<void> {
  const server = await startTestS3Server(kind, options);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * Deterministic bytes (a fixed LCG), so a test's file is the same every run.
 *
 * @param size Length in bytes.
 * @param seed The generator's seed: the same seed gives the same bytes.
 * @returns `size` bytes.
 *
 * For example `bytesOf(4096, 3)`: a 4 KiB object body of src/storage/s3_object_store_test.ts.
 */
export function bytesOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Real monitoring servers on loopback for tests (internal): Prometheus, Alertmanager and the
 * Pushgateway from their Debian packages, each on a free port with a temporary data folder,
 * and `gam serve` as a child process. Every `stop()` ends the process and removes its folder.
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { gamCommandLine, ROOT } from "../_gam_cli.ts";

/** A child process whose stderr is kept (and drained, so it never blocks). */
export interface Running {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Everything the process wrote on stderr so far. */
  log(): string;
  /** SIGTERM, wait for the exit, remove the temporary folder. */
  stop(): Promise<void>;
}

/** A port free at the time of the call (bound, read, released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Polls `probe` until it returns a value other than `undefined`, or throws after `timeoutMs`
 * with `what` and the last error. For servers and their HTTP APIs, which offer no event.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${last}`);
}

function spawn(
  cmd: string,
  args: string[],
  dir: string,
  base: string,
  cwd = dir,
  // The embedded database, whatever DATABASE_URL the test runner has (a server is refused
  // until migrated, and these tests are about monitoring); queued runs need the server.
  env: Record<string, string> = { DATABASE_URL: "" },
): Running {
  const child = new Deno.Command(cmd, { args, cwd, env, stdout: "null", stderr: "piped" })
    .spawn();
  let text = "";
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  let stopped: Promise<void> | undefined;
  return {
    base,
    log: () => text,
    stop: () =>
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        await child.status;
        await drained;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })(),
  };
}

async function ready(server: Running, path: string): Promise<Running> {
  try {
    await waitFor(`${server.base}${path}`, async () => {
      const r = await fetch(`${server.base}${path}`);
      await r.body?.cancel();
      return r.ok ? true : undefined;
    });
    return server;
  } catch (e) {
    await server.stop();
    throw new Error(`${(e as Error).message}\n${server.log()}`);
  }
}

/** Options of {@linkcode startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` of `gam serve`. */
  serve: string;
  /** `host:port` of the Alertmanager. */
  alertmanager: string;
  /** `host:port` of the Pushgateway. @default none scraped */
  pushgateway?: string;
  /** `host:port` of a `gam worker`. @default none scraped */
  worker?: string;
  /** `for:` of every alert in the test's copy of the rules. @default "2s" */
  alertFor?: string;
}

/**
 * Prometheus with a copy of monitoring/prometheus/ whose targets point at the test's servers,
 * whose scrape and evaluation intervals are 1 s and whose alerts wait `alertFor`.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "gam-prometheus-" });
  const src = `${ROOT}monitoring/prometheus/`;
  // deno-lint-ignore no-explicit-any
  const config = parse(await Deno.readTextFile(`${src}prometheus.yml`)) as any;
  config.global.scrape_interval = "1s";
  config.global.evaluation_interval = "1s";
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [options.alertmanager] }] }];
  const targets: Record<string, string | undefined> = {
    "gam-serve": options.serve,
    "gam-worker": options.worker,
    pushgateway: options.pushgateway,
  };
  config.scrape_configs = config.scrape_configs
    .filter((j: { job_name: string }) => targets[j.job_name] !== undefined)
    .map((j: { job_name: string; file_sd_configs?: unknown }) => {
      delete j.file_sd_configs;
      return { ...j, static_configs: [{ targets: [targets[j.job_name]] }] };
    });
  await Deno.mkdir(`${dir}/rules`);
  await Deno.copyFile(`${src}rules/recording.yml`, `${dir}/rules/recording.yml`);
  // deno-lint-ignore no-explicit-any
  const alerts = parse(await Deno.readTextFile(`${src}rules/alerts.yml`)) as any;
  for (const g of alerts.groups) {
    g.interval = "1s";
    for (const r of g.rules) if (r.for !== undefined) r.for = options.alertFor ?? "2s";
  }
  await Deno.writeTextFile(`${dir}/rules/alerts.yml`, stringify(alerts));
  await Deno.writeTextFile(`${dir}/prometheus.yml`, stringify(config));
  const port = freePort();
  return await ready(
    spawn(
      "prometheus",
      [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      dir,
      `http://127.0.0.1:${port}`,
    ),
    "/-/ready",
  );
}

/** The Alertmanager with monitoring/alertmanager/alertmanager.yml, clustering off. */
export async function startAlertmanager(): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "gam-alertmanager-" });
  const port = freePort();
  return await ready(
    spawn(
      "prometheus-alertmanager",
      [
        `--config.file=${ROOT}monitoring/alertmanager/alertmanager.yml`,
        `--storage.path=${dir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      dir,
      `http://127.0.0.1:${port}`,
    ),
    "/-/ready",
  );
}

/** The Pushgateway, in memory only. */
export async function startPushgateway(): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "gam-pushgateway-" });
  const port = freePort();
  return await ready(
    spawn(
      "prometheus-pushgateway",
      [
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      dir,
      `http://127.0.0.1:${port}`,
    ),
    "/-/ready",
  );
}

/**
 * `gam serve --config <dir>/ingestion.yaml` with `edit` applied to the shipped configuration
 * (outputs, cache and database under a temporary folder, listening on `port`, a free loopback
 * port by default). Resolves once the service is ready (database open).
 */
export async function startServe(
  // deno-lint-ignore no-explicit-any
  edit: (config: Record<string, any>) => void,
  options: { port?: number; runNow?: boolean } = {},
): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "gam-serve-" });
  const port = options.port ?? freePort();
  const config = await writeStackConfig(dir, port, edit);
  const [exe, ...args] = gamCommandLine([
    "serve",
    "--config",
    config,
    ...(options.runNow === false ? [] : ["--run-now"]),
  ]);
  const server = spawn(
    exe,
    args,
    dir,
    `http://127.0.0.1:${port}`,
    ROOT,
  );
  return await ready(server, "/readyz");
}

/**
 * The test configuration of {@linkcode startServe} with `edit` applied, written to `dir`.
 *
 * @returns The configuration file's path.
 */
async function writeStackConfig(
  dir: string,
  port: number,
  // deno-lint-ignore no-explicit-any
  edit: (config: Record<string, any>) => void,
): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<string, any>;
  c.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  c.service.listen = `127.0.0.1:${port}`;
  edit(c);
  await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
  return `${dir}/ingestion.yaml`;
}

/**
 * `gam worker --profile all` of queued runs (`execution.mode: queue`, the server database of
 * `DATABASE_URL`), on its own port; `config` is its configuration file, for `gam run --mode
 * queue` submissions the worker serves.
 */
export async function startWorker(
  // deno-lint-ignore no-explicit-any
  edit: (config: Record<string, any>) => void,
  options: { port?: number } = {},
): Promise<Running & { config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "gam-worker-" });
  const port = options.port ?? freePort();
  const config = await writeStackConfig(dir, port, (c) => {
    c.execution = { ...(c.execution ?? {}), mode: "queue" };
    edit(c);
  });
  const [exe, ...args] = gamCommandLine([
    "worker",
    "--profile",
    "all",
    "--config",
    config,
    "--listen",
    `127.0.0.1:${port}`,
  ]);
  const url = Deno.env.get("DATABASE_URL");
  if (!url) {
    throw new Error("startWorker needs DATABASE_URL (queued runs need a PostgreSQL server)");
  }
  const worker = await ready(
    spawn(exe, args, dir, `http://127.0.0.1:${port}`, ROOT, { DATABASE_URL: url }),
    "/readyz",
  );
  return Object.assign(worker, { config });
}

/** Runs an instant PromQL query; the result vector. */
export async function promQuery(
  prometheus: string,
  query: string,
): Promise<
  { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]
> {
  const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = await r.json();
  if (body.status !== "success") {
    throw new Error(`query ${query} failed: ${JSON.stringify(body)}`);
  }
  return body.data.result;
}

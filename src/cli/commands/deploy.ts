/**
 * `gam deploy plan|up --target local [--color blue|green]`, `canary`, `promote`, `rollback`,
 * `status`: the deployment sequence on this machine, each step gated on the previous one's
 * success and readiness: 1 migrations (`gam db migrate`, server databases only), 2 ingestion
 * workers and 3 preprocessing workers (`gam worker --profile <name>` per worker profile, ready
 * when `/readyz` answers 200; with `execution.mode: queue` only: in local mode the orchestrator
 * runs the jobs itself), 4 orchestrator (`gam serve`, ready when `/readyz` answers 200),
 * 5 schedules (armed by the orchestrator, checked in its `/metrics`). `up` stays in the
 * foreground and stops every process it started on SIGTERM or Ctrl-C.
 *
 * Blue/green (`--color`): a color's processes get its own folders (`<outputDir>/<color>`,
 * `<cacheDir>/<color>`) and its own configuration; a canary step before the schedules runs the
 * configured canary bboxes on the schedule owner and on this color and compares the outputs
 * (`src/deploy/canary.ts`); `promote` moves the schedules (recorded in the database) only to a
 * color whose canary passed, `rollback` returns them.
 *
 * @module
 */
import { type Command, EXIT_FAILURE, EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { resolveDatabaseUrl } from "../../config/mod.ts";
import type { GamConfig, LoadedConfig } from "../../config/mod.ts";
import type { Bbox } from "../../contracts/mod.ts";
import {
  type CanaryCheck,
  type CanaryResult,
  type CanaryRunSummary,
  claimScheduleOwnerIfNone,
  type Color,
  colorEnv,
  colorFolders,
  type ColorRecord,
  COLORS,
  compareCanaryRuns,
  DeployStateError,
  getColor,
  type K8sManifest,
  parseColor,
  recordCanary,
  recordColor,
  renderK8s,
  scheduleOwner,
  setScheduleOwner,
  writeK8s,
} from "../../deploy/mod.ts";
import type { SqlClient } from "../../persistence/mod.ts";
import { VERSION } from "../version.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const STEPS = [
  "migrations",
  "ingestion workers",
  "preprocessing workers",
  "orchestrator",
  "canary",
  "schedules",
] as const;
/** Longest wait for the orchestrator's /readyz, milliseconds (the embedded database opens). */
const READY_TIMEOUT_MS = 120_000;

const HELP = `Usage: gam deploy <plan|up> --target local [--color blue|green] [options]
       gam deploy plan --target k8s [--color C]
       gam deploy render k8s --out DIR [--image IMAGE] [--color C]
       gam deploy canary --color C | promote --color C | rollback | status [options]

The deployment sequence, each step gated on the previous one's success and readiness:
  1 migrations             gam db migrate (server database; the embedded one migrates itself)
  2 ingestion workers      gam worker --profile P for each profile serving the ingest queue
                           (execution.profiles; io shipped), ready when its /readyz answers 200
  3 preprocessing workers  gam worker --profile P for the other profiles (cpu shipped)
                           (both only with execution.mode: queue; in local mode the
                           orchestrator runs the jobs itself)
  4 orchestrator           gam serve, ready when /readyz answers 200
  5 schedules              armed by the orchestrator: each scheduled modality's next run is
                           listed in its /metrics
plan prints the steps; up runs them, stops at the first failure (naming it and the steps not
started, exit 1), then stays in the foreground until SIGTERM or Ctrl-C stops the orchestrator.

Blue/green (needs a server database, DATABASE_URL, shared by both colors):
  up --color C     deploys color C with this configuration: its processes write to
                   <outputDir>/C and <cacheDir>/C; before the schedules step a canary step runs
                   deployment.canary.bboxes on the color that owns the schedules and on C and
                   compares them (checksums when deployment.canary.neutral, else RMS difference
                   and anomaly count within deployment.canary.tolerance); a failed canary fails
                   the step. The first color deployed owns the schedules; a gam serve of the
                   other color fires none.
  canary --color C runs the canary comparison of C against the owner again
  promote --color C moves the schedules to C, only when C's last canary against the current
                   owner passed (exit 1 otherwise, naming the failed checks)
  rollback         returns the schedules to the previous owner
  status           the owner, each color's configuration, folders and canary result

Kubernetes: render k8s writes the manifests of the same sequence into DIR (numbered files and a
kustomization.yaml: kubectl apply -k DIR): a ConfigMap with the configuration, a Job running
gam db migrate, one Deployment per worker profile (execution.profiles: gam worker --profile
NAME, memory and CPU from the profile, DATABASE_URL and auth secrets from Secret references,
liveness /healthz and readiness /readyz), the orchestrator's Deployment (gam serve); no
CronJob (the schedules live in the queue). plan --target k8s lists them in that order.

Options:
  --target T       local: processes on this machine (plan, up); k8s: Kubernetes (plan)
  --out DIR        render: the folder to write
  --image IMAGE    render: the container image with gam on its PATH (default gam:${VERSION})
  --color C        blue | green
  --config FILE    Configuration file (default config/ingestion.yaml)
  --profile NAME   Profile from config/profiles/ (or GAM_PROFILE)
  --json           status: machine-readable
  -h, --help       Show this help`;

interface Step {
  n: number;
  name: (typeof STEPS)[number];
  action: string;
  skip?: string;
  /** Worker steps: the worker profiles to start. */
  profiles?: string[];
}

function plan(
  cfg: GamConfig,
  url: string | undefined,
  args: string[],
  color: Color | undefined,
): Step[] {
  const scheduled = Object.entries(cfg.modalities).filter(([, m]) => m.enabled && m.schedule)
    .map(([n]) => n);
  const inServe = "execution.mode is local: the orchestrator runs the jobs itself";
  const queued = cfg.execution.mode === "queue";
  const profilesOf = (ingest: boolean) =>
    Object.entries(cfg.execution.profiles)
      .filter(([, p]) => p.queues.includes("ingest") === ingest).map(([n]) => n);
  const workerStep = (name: "ingestion workers" | "preprocessing workers", ingest: boolean) => {
    const profiles = profilesOf(ingest);
    if (!queued) return { name, action: "-", skip: inServe };
    if (profiles.length === 0) return { name, action: "-", skip: "no such worker profile" };
    return {
      name,
      action: profiles.map((p) => `gam worker --profile ${p}`).join(", ") + " (ready: /readyz)",
      profiles,
    };
  };
  const steps: Omit<Step, "n">[] = [
    url ? { name: "migrations", action: "gam db migrate" } : {
      name: "migrations",
      action: "gam db migrate",
      skip: "the embedded database migrates itself",
    },
    workerStep("ingestion workers", true),
    workerStep("preprocessing workers", false),
    {
      name: "orchestrator",
      action: `gam serve ${[...args, ...(color ? ["--color", color] : [])].join(" ")}`.trim() +
        ` (ready: /readyz on ${cfg.service.listen})`,
    },
    ...(color
      ? [
        cfg.deployment.canary.bboxes.length
          ? {
            name: "canary" as const,
            action: `${cfg.deployment.canary.bboxes.length} bbox(es) on the schedule owner and ` +
              `${color}, ${
                cfg.deployment.canary.neutral ? "checksums equal" : "within tolerances"
              } (skipped when ${color} owns the schedules or none is deployed)`,
          }
          : {
            name: "canary" as const,
            action: "-",
            skip: "no canary bboxes configured (deployment.canary.bboxes)",
          },
      ]
      : []),
    scheduled.length
      ? {
        name: "schedules",
        action: `armed in the orchestrator: ${scheduled.join(", ")}` +
          (color ? ` (fired only while ${color} owns the schedules)` : ""),
      }
      : { name: "schedules", action: "-", skip: "no enabled modality has a schedule" },
  ];
  return steps.map((s, i) => ({ n: i + 1, ...s }));
}

/** What a colored deployment knows about itself. */
interface ColorContext {
  color: Color;
  env: Record<string, string>;
  configPath: string;
  profile: string | null;
  loaded: LoadedConfig;
  url: string;
}

async function configPathOf(values: Record<string, unknown>): Promise<string> {
  return await Deno.realPath((values.config as string | undefined) ?? "config/ingestion.yaml");
}

async function withDatabase<T>(url: string, fn: (sql: SqlClient) => Promise<T>): Promise<T> {
  const { openDatabase } = await import("../../persistence/mod.ts");
  const db = await openDatabase({ url });
  try {
    return await fn(db.sql);
  } finally {
    await db.close();
  }
}

function serverUrl(cfg: GamConfig, what: string): string {
  const url = resolveDatabaseUrl(cfg);
  if (!url) {
    throw new UsageError(
      `${what} needs a server database shared by both colors (set DATABASE_URL); the embedded ` +
        "database belongs to one process",
    );
  }
  return url;
}

/** `gam deploy`. */
export const deployCommand: Command = {
  name: "deploy",
  help: HELP,
  async run(args) {
    const { values, positionals, help } = parseFlags(args, {
      ...CONFIG_FLAGS,
      target: { type: "string" },
      color: { type: "string" },
      json: { type: "boolean" },
      out: { type: "string" },
      image: { type: "string" },
    });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    const subs = ["plan", "up", "render", "canary", "promote", "rollback", "status"];
    if (!subs.includes(sub)) {
      throw new UsageError(
        `gam deploy needs one of ${subs.join(", ")}, got ${JSON.stringify(sub ?? "")}`,
      );
    }
    if (sub === "render") {
      if (rest[0] !== "k8s") {
        throw new UsageError(`gam deploy render needs "k8s", got ${JSON.stringify(rest[0] ?? "")}`);
      }
      rest.shift();
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const color = values.color === undefined ? undefined : parseColor(values.color);
    if ((sub === "canary" || sub === "promote") && !color) {
      throw new UsageError(`gam deploy ${sub} needs --color blue|green`);
    }
    const loaded = await loadConfigFromFlags(values);
    if (sub === "promote") return await promote(serverUrl(loaded.config, "promote"), color!);
    if (sub === "rollback") return await rollback(serverUrl(loaded.config, "rollback"));
    if (sub === "status") {
      return await status(serverUrl(loaded.config, "status"), values.json === true);
    }
    if (sub === "canary") {
      const url = serverUrl(loaded.config, "canary");
      const say = (line: string) => console.error(`gam deploy: ${line}`);
      const r = await withDatabase(url, (sql) => canary(sql, color!, loaded.config, say));
      return r.passed ? EXIT_OK : EXIT_FAILURE;
    }
    if (sub === "render" || (sub === "plan" && values.target === "k8s")) {
      const manifests = renderK8s(loaded.config, {
        image: (values.image as string | undefined) ?? `gam:${VERSION}`,
        configText: await Deno.readTextFile(await configPathOf(values)),
        ...(color ? { color } : {}),
      });
      if (sub === "plan") {
        printK8sPlan(manifests);
        return EXIT_OK;
      }
      if (typeof values.out !== "string" || values.out === "") {
        throw new UsageError("gam deploy render k8s needs --out DIR");
      }
      const written = await writeK8s(values.out, manifests);
      console.error(
        `gam deploy: wrote ${written.length} files to ${values.out}: ${written.join(", ")}`,
      );
      return EXIT_OK;
    }
    if (values.target !== "local") {
      throw new UsageError(
        `--target must be "local" (processes on this machine)${
          sub === "plan" ? ` or "k8s"` : ` for up; for Kubernetes use render k8s`
        }, got ${JSON.stringify(values.target ?? "")}`,
      );
    }
    const url = color ? serverUrl(loaded.config, "--color") : resolveDatabaseUrl(loaded.config);
    const passOn = [
      ...(values.config ? ["--config", values.config as string] : []),
      ...(values.profile ? ["--profile", values.profile as string] : []),
    ];
    const steps = plan(loaded.config, url, passOn, color);
    if (sub === "plan") {
      for (const s of steps) {
        console.log(`${s.n} ${s.name.padEnd(21)} ${s.skip ? `skip: ${s.skip}` : s.action}`);
      }
      return EXIT_OK;
    }
    const ctx: ColorContext | undefined = color
      ? {
        color,
        env: colorEnv({ color, ...colorFolders(loaded.config, color) }),
        configPath: await configPathOf(values),
        profile: (values.profile as string | undefined) ?? loaded.profile ?? null,
        loaded,
        url: url!,
      }
      : undefined;
    return await up(steps, passOn, loaded.config, ctx);
  },
};

function gamChild(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function up(
  steps: Step[],
  passOn: string[],
  cfg: GamConfig,
  ctx: ColorContext | undefined,
): Promise<number> {
  const say = (line: string) => console.error(`gam deploy: ${line}`);
  let serve: Deno.ChildProcess | undefined;
  let base: string | undefined;
  // Every process started, workers first: stopped in reverse order (orchestrator first).
  const started: { what: string; child: Deno.ChildProcess }[] = [];
  const stopAll = async () => {
    for (const { child } of [...started].reverse()) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    }
  };
  // gam worker's --profile is the worker profile; the configuration profile is --profile-config.
  const workerConfigArgs = passOn.map((a) => (a === "--profile" ? "--profile-config" : a));
  const fail = (s: Step, why: string) => {
    say(`step ${s.n} ${s.name} failed: ${why}`);
    const later = steps.filter((x) => x.n > s.n).map((x) => `${x.n} ${x.name}`);
    if (later.length) say(`not started: ${later.join(", ")}`);
    return EXIT_FAILURE;
  };
  for (const s of steps) {
    if (s.skip) {
      say(`step ${s.n} ${s.name}: skipped (${s.skip})`);
      continue;
    }
    say(`step ${s.n} ${s.name}: starting`);
    if (s.name === "migrations") {
      const out = await gamChild(["db", "migrate"], ctx?.env).output();
      if (!out.success) {
        const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
        return fail(s, `gam db migrate exited with ${out.code}: ${err}`);
      }
      if (ctx) {
        const folders = colorFolders(ctx.loaded.config, ctx.color);
        await withDatabase(ctx.url, (sql) =>
          recordColor(sql, {
            color: ctx.color,
            configPath: ctx.configPath,
            profile: ctx.profile,
            configHash: ctx.loaded.hash,
            ...folders,
          }));
        say(
          `${ctx.color}: configuration ${ctx.configPath}, folders ${folders.outputDir}, ` +
            `${folders.cacheDir}`,
        );
      }
    } else if (s.profiles) {
      for (const profile of s.profiles) {
        const worker = gamChild(
          ["worker", "--profile", profile, "--listen", "127.0.0.1:0", ...workerConfigArgs],
          ctx?.env,
        );
        started.push({ what: `worker ${profile}`, child: worker });
        say(`step ${s.n} ${s.name}: worker ${profile} started (pid ${worker.pid})`);
        worker.stdout.cancel();
        const r = await waitReady(worker, `gam worker --profile ${profile}`);
        if ("error" in r) {
          await stopAll();
          return fail(s, r.error);
        }
        say(`step ${s.n} ${s.name}: worker ${profile} ready on ${r.base}`);
      }
    } else if (s.name === "orchestrator") {
      serve = gamChild(["serve", ...passOn, ...(ctx ? ["--color", ctx.color] : [])], ctx?.env);
      started.push({ what: "orchestrator", child: serve });
      say(`step ${s.n} ${s.name}: started (pid ${serve.pid})`);
      serve.stdout.cancel();
      const r = await waitReady(serve, "gam serve");
      if ("error" in r) {
        await stopAll();
        return fail(s, r.error);
      }
      base = r.base;
    } else if (s.name === "canary" && ctx) {
      const owner = await withDatabase(ctx.url, (sql) => scheduleOwner(sql));
      if (!owner || owner.color === ctx.color) {
        say(
          `step ${s.n} ${s.name}: skipped (${
            owner ? `${ctx.color} owns the schedules` : `no color owns the schedules yet`
          }: nothing to compare with)`,
        );
        continue;
      }
      let result: CanaryResult | string;
      try {
        result = await withDatabase(ctx.url, (sql) => canary(sql, ctx.color, cfg, say));
      } catch (e) {
        result = e instanceof Error ? e.message : String(e);
      }
      if (typeof result === "string" || !result.passed) {
        await stopAll();
        return fail(
          s,
          typeof result === "string" ? result : `canary did not pass against ${result.against}: ` +
            failedChecks(result.checks),
        );
      }
    } else if (s.name === "schedules") {
      if (ctx) {
        const owner = await withDatabase(
          ctx.url,
          (sql) => claimScheduleOwnerIfNone(sql, ctx.color),
        );
        say(
          owner === ctx.color
            ? `${ctx.color} owns the schedules`
            : `the schedules stay with ${owner} (gam deploy promote --color ${ctx.color} moves them)`,
        );
      }
      const scheduled = Object.entries(cfg.modalities).filter(([, m]) => m.enabled && m.schedule)
        .map(([n]) => n);
      let armed: (m: string) => boolean;
      if (cfg.execution.mode === "queue") {
        // In queue mode the workers register the schedules in pg-boss's scheduler (keyed by
        // modality) before they answer /readyz; gam serve runs no cron of its own.
        const schema = ctx ? `gam_queue_${ctx.color}` : cfg.execution.queue.schema;
        const { SCHEDULE_QUEUE } = await import("../../queue/mod.ts");
        const keys = await withDatabase(
          serverUrl(cfg, "execution.mode: queue"),
          (sql) =>
            sql.query<{ key: string }>(
              `SELECT key FROM "${schema.replaceAll('"', '""')}".schedule WHERE name = $1`,
              [SCHEDULE_QUEUE],
              "deploy: schedules",
            ),
        );
        const inQueue = new Set(keys.map((k) => k.key));
        armed = (m) => inQueue.has(m);
      } else {
        const metrics = await (await fetch(`${base}/metrics`)).text();
        armed = (m) => metrics.includes(`gam_service_next_run_timestamp_seconds{modality="${m}"}`);
      }
      const missing = scheduled.filter((m) => !armed(m));
      if (missing.length) {
        await stopAll();
        return fail(s, `no next run armed for: ${missing.join(", ")}`);
      }
    }
    say(`step ${s.n} ${s.name}: done`);
  }
  if (!serve) {
    say(`deployed${base ? ` (orchestrator on ${base})` : ""}`);
    return EXIT_OK;
  }
  // Listeners first, then the line that tells a supervisor it may signal us: a SIGTERM right
  // after "deployed" must reach the processes, not kill this process (exit 143).
  let stopping = false;
  const stop = () => {
    stopping = true;
    stopAll();
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  say(`deployed${base ? ` (orchestrator on ${base})` : ""}; SIGTERM or Ctrl-C stops it`);
  // The first process to end (a signal, or one dying) ends the deployment.
  const first = await Promise.race(
    started.map(({ what, child }) => child.status.then((status) => ({ what, status }))),
  );
  if (!stopping) {
    say(
      `${first.what} exited (${first.status.signal ?? `code ${first.status.code}`}): ` +
        "stopping the others",
    );
  }
  await stopAll();
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  const statuses = await Promise.all(started.map(({ child }) => child.status));
  const status = await serve.status;
  say(`orchestrator exited (${status.signal ?? `code ${status.code}`})`);
  return stopping && statuses.every((x) => x.code === 0) ? EXIT_OK : EXIT_FAILURE;
}

function printK8sPlan(manifests: K8sManifest[]): void {
  const names = ["configuration", "migrations", "ingestion workers", "preprocessing workers"];
  const name = (n: number) => [...names, "orchestrator"][n];
  for (const m of manifests) console.log(`${m.step} ${name(m.step).padEnd(21)} ${m.describe}`);
  console.log(`5 ${"schedules".padEnd(21)} skip: they live in the queue (no CronJob)`);
}

function failedChecks(checks: CanaryCheck[]): string {
  const failed = checks.filter((c) => !c.passed);
  return failed.map((c) =>
    `[${c.bbox.join(",")}] ${c.modality}${c.branch ? `/${c.branch}` : ""}: ${c.detail}`
  ).join("; ") || "no check ran";
}

/** One canary run of a recorded color: `gam run --json` over `bbox` in `<outputDir>/canary`. */
async function canaryRun(rec: ColorRecord, bbox: Bbox): Promise<CanaryRunSummary> {
  const out = await gamChild([
    "run",
    "--config",
    rec.configPath,
    ...(rec.profile ? ["--profile", rec.profile] : []),
    "--bbox",
    bbox.join(","),
    "--output-dir",
    `${rec.outputDir}/canary`,
    "--json",
  ], colorEnv(rec)).output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout).trim();
  if (out.code > 1 || text === "") {
    throw new DeployStateError(
      `the canary run of ${rec.color} over [${bbox.join(",")}] exited with ${out.code}: ${
        dec.decode(out.stderr).trim().split("\n").at(-1) ?? ""
      }`,
    );
  }
  return JSON.parse(text.split("\n").at(-1)!) as CanaryRunSummary;
}

/** Runs the canary bboxes on the owner and on `color`, compares, records the result. */
async function canary(
  sql: SqlClient,
  color: Color,
  cfg: GamConfig,
  say: (line: string) => void,
): Promise<CanaryResult> {
  const owner = await scheduleOwner(sql);
  const candidate = await getColor(sql, color);
  if (!candidate) {
    throw new DeployStateError(`${color} is not deployed (gam deploy up --color ${color})`);
  }
  if (!owner || owner.color === color) {
    throw new DeployStateError(
      owner
        ? `${color} owns the schedules: there is nothing to compare it with`
        : "no color owns the schedules yet: deploy one with gam deploy up --color",
    );
  }
  const ownerRec = await getColor(sql, owner.color);
  if (!ownerRec) throw new DeployStateError(`the owner ${owner.color} has no record`);
  const c = cfg.deployment.canary;
  if (c.bboxes.length === 0) {
    throw new DeployStateError(
      `${color} has no canary bboxes configured (deployment.canary.bboxes)`,
    );
  }
  const rules = {
    neutral: c.neutral,
    rms: c.tolerance.rms,
    anomalyCount: c.tolerance.anomalyCount,
  };
  const checks: CanaryCheck[] = [];
  const runs: CanaryResult["runs"] = [];
  for (const bbox of c.bboxes as Bbox[]) {
    say(`canary [${bbox.join(",")}]: running on ${owner.color} and ${color}`);
    const a = await canaryRun(ownerRec, bbox);
    const b = await canaryRun(candidate, bbox);
    runs.push({ bbox, owner: a.runId, candidate: b.runId });
    checks.push(...await compareCanaryRuns(bbox, a, b, rules));
  }
  const result: CanaryResult = {
    passed: checks.length > 0 && checks.every((x) => x.passed),
    against: owner.color,
    at: new Date().toISOString(),
    neutral: c.neutral,
    runs,
    checks,
  };
  await recordCanary(sql, color, result);
  for (const x of checks) {
    say(
      `canary ${x.passed ? "ok  " : "FAIL"} [${x.bbox.join(",")}] ${x.modality}` +
        `${x.branch ? `/${x.branch}` : ""}: ${x.detail}`,
    );
  }
  say(`canary of ${color} against ${owner.color}: ${result.passed ? "passed" : "failed"}`);
  return result;
}

async function promote(url: string, color: Color): Promise<number> {
  return await withDatabase(url, async (sql) => {
    const rec = await getColor(sql, color);
    if (!rec) {
      throw new DeployStateError(`${color} is not deployed (gam deploy up --color ${color})`);
    }
    const owner = await scheduleOwner(sql);
    if (owner?.color === color) {
      console.error(`gam deploy: ${color} already owns the schedules`);
      return EXIT_OK;
    }
    const c = rec.canary;
    if (!c) {
      throw new DeployStateError(
        `${color} was not promoted: it has no canary comparison (gam deploy canary --color ${color})`,
      );
    }
    if (owner && c.against !== owner.color) {
      throw new DeployStateError(
        `${color} was not promoted: its canary compared it with ${c.against}, but ${owner.color} ` +
          `owns the schedules (gam deploy canary --color ${color})`,
      );
    }
    if (!c.passed) {
      throw new DeployStateError(
        `${color} was not promoted: its canary against ${c.against} failed (${c.at}): ` +
          failedChecks(c.checks),
      );
    }
    const now = await setScheduleOwner(sql, color);
    console.error(
      `gam deploy: schedules moved from ${now.previousColor ?? "nobody"} to ${now.color}`,
    );
    return EXIT_OK;
  });
}

async function rollback(url: string): Promise<number> {
  return await withDatabase(url, async (sql) => {
    const owner = await scheduleOwner(sql);
    if (!owner?.previousColor) {
      throw new DeployStateError(
        owner
          ? `nothing to roll back to: ${owner.color} has owned the schedules since the first deployment`
          : "nothing to roll back to: no color owns the schedules",
      );
    }
    const now = await setScheduleOwner(sql, owner.previousColor);
    console.error(`gam deploy: schedules returned from ${owner.color} to ${now.color}`);
    return EXIT_OK;
  });
}

async function status(url: string, json: boolean): Promise<number> {
  return await withDatabase(url, async (sql) => {
    const owner = await scheduleOwner(sql);
    const colors = (await Promise.all(COLORS.map((c) => getColor(sql, c))))
      .filter((c) => c !== undefined);
    if (json) {
      console.log(JSON.stringify({ owner: owner ?? null, colors }));
      return EXIT_OK;
    }
    console.log(
      `schedule owner: ${owner ? `${owner.color} since ${owner.changedAt.toISOString()}` : "none"}`,
    );
    for (const c of colors) {
      const canary = c.canary
        ? `canary ${
          c.canary.passed ? "passed" : "failed"
        } against ${c.canary.against} at ${c.canary.at}`
        : "no canary";
      console.log(`${c.color}: ${c.configPath} -> ${c.outputDir}; ${canary}`);
    }
    return EXIT_OK;
  });
}

/** Reads the orchestrator's address from its stderr, then polls /readyz. */
async function waitReady(
  child: Deno.ChildProcess,
  what: string,
): Promise<{ base: string } | { error: string }> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let base: string | undefined;
  const exited = child.status.then((s) => s);
  while (base === undefined) {
    const { value, done } = await reader.read();
    if (done) {
      const s = await exited;
      return {
        error: `${what} exited (${s.signal ?? `code ${s.code}`}) before it was ready: ${
          text.trim().split("\n").at(-1) ?? ""
        }`,
      };
    }
    text += value;
    base = /listening on (http:\/\/\S+)/.exec(text)?.[1];
  }
  // Keep draining (and relaying) its log so it never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      Deno.stderr.writeSync(new TextEncoder().encode(value));
    }
  })();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let state: Deno.CommandStatus | undefined;
  exited.then((s) => (state = s));
  while (Date.now() < deadline) {
    if (state) {
      return { error: `${what} exited (${state.signal ?? `code ${state.code}`}) before ready` };
    }
    const ok = await fetch(`${base}/readyz`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ok) return { base };
    await new Promise((r) => setTimeout(r, 200));
  }
  return { error: `${what} not ready after ${READY_TIMEOUT_MS / 1000} s (${base}/readyz)` };
}

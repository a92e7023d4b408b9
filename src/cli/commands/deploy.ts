/**
 * `gam deploy plan|up --target local`: the deployment sequence on this machine, each step gated
 * on the previous one's success and readiness: 1 migrations (`gam db migrate`, server databases
 * only), 2 ingestion workers, 3 preprocessing workers, 4 orchestrator (`gam serve`, ready when
 * `/readyz` answers 200), 5 schedules (armed by the orchestrator, checked in its `/metrics`).
 * Steps 2 and 3 have no process of their own in this version (ingestion and preprocessing run
 * inside the orchestrator) and are reported as such. `up` stays in the foreground and stops the
 * orchestrator on SIGTERM or Ctrl-C.
 *
 * @module
 */
import { type Command, EXIT_FAILURE, EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { resolveDatabaseUrl } from "../../config/mod.ts";
import type { GamConfig } from "../../config/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const STEPS = [
  "migrations",
  "ingestion workers",
  "preprocessing workers",
  "orchestrator",
  "schedules",
] as const;
/** Longest wait for the orchestrator's /readyz, milliseconds (the embedded database opens). */
const READY_TIMEOUT_MS = 120_000;

const HELP = `Usage: gam deploy <plan|up> --target local [options]

The deployment sequence, each step gated on the previous one's success and readiness:
  1 migrations             gam db migrate (server database; the embedded one migrates itself)
  2 ingestion workers      none of their own in this version (they run in the orchestrator)
  3 preprocessing workers  none of their own in this version (they run in the orchestrator)
  4 orchestrator           gam serve, ready when /readyz answers 200
  5 schedules              armed by the orchestrator: each scheduled modality's next run is
                           listed in its /metrics
plan prints the steps; up runs them, stops at the first failure (naming it and the steps not
started, exit 1), then stays in the foreground until SIGTERM or Ctrl-C stops the orchestrator.

Options:
  --target local   Processes on this machine (the only target of this version)
  --config FILE    Configuration file (default config/ingestion.yaml)
  --profile NAME   Profile from config/profiles/ (or GAM_PROFILE)
  -h, --help       Show this help`;

interface Step {
  n: number;
  name: (typeof STEPS)[number];
  action: string;
  skip?: string;
}

function plan(cfg: GamConfig, url: string | undefined, args: string[]): Step[] {
  const scheduled = Object.entries(cfg.modalities).filter(([, m]) => m.enabled && m.schedule)
    .map(([n]) => n);
  const inServe = "none of their own in this version: they run inside the orchestrator";
  return [
    url ? { n: 1, name: "migrations", action: "gam db migrate" } : {
      n: 1,
      name: "migrations",
      action: "gam db migrate",
      skip: "the embedded database migrates itself",
    },
    { n: 2, name: "ingestion workers", action: "-", skip: inServe },
    { n: 3, name: "preprocessing workers", action: "-", skip: inServe },
    {
      n: 4,
      name: "orchestrator",
      action: `gam serve ${args.join(" ")}`.trim() + ` (ready: /readyz on ${cfg.service.listen})`,
    },
    scheduled.length
      ? { n: 5, name: "schedules", action: `armed in the orchestrator: ${scheduled.join(", ")}` }
      : { n: 5, name: "schedules", action: "-", skip: "no enabled modality has a schedule" },
  ];
}

/** `gam deploy`. */
export const deployCommand: Command = {
  name: "deploy",
  help: HELP,
  async run(args) {
    const { values, positionals, help } = parseFlags(args, {
      ...CONFIG_FLAGS,
      target: { type: "string" },
    });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    if (sub !== "plan" && sub !== "up") {
      throw new UsageError(`gam deploy needs "plan" or "up", got ${JSON.stringify(sub ?? "")}`);
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (values.target !== "local") {
      throw new UsageError(
        `--target must be "local" (processes on this machine), got ${
          JSON.stringify(values.target ?? "")
        }`,
      );
    }
    const loaded = await loadConfigFromFlags(values);
    const url = resolveDatabaseUrl(loaded.config);
    const passOn = [
      ...(values.config ? ["--config", values.config as string] : []),
      ...(values.profile ? ["--profile", values.profile as string] : []),
    ];
    const steps = plan(loaded.config, url, passOn);
    if (sub === "plan") {
      for (const s of steps) {
        console.log(`${s.n} ${s.name.padEnd(21)} ${s.skip ? `skip: ${s.skip}` : s.action}`);
      }
      return EXIT_OK;
    }
    return await up(steps, passOn, loaded.config);
  },
};

function gamChild(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function up(steps: Step[], passOn: string[], cfg: GamConfig): Promise<number> {
  const say = (line: string) => console.error(`gam deploy: ${line}`);
  let serve: Deno.ChildProcess | undefined;
  let base: string | undefined;
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
      const out = await gamChild(["db", "migrate"]).output();
      if (!out.success) {
        const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
        return fail(s, `gam db migrate exited with ${out.code}: ${err}`);
      }
    } else if (s.name === "orchestrator") {
      serve = gamChild(["serve", ...passOn]);
      say(`step ${s.n} ${s.name}: started (pid ${serve.pid})`);
      serve.stdout.cancel();
      const r = await waitReady(serve);
      if ("error" in r) {
        try {
          serve.kill("SIGTERM");
        } catch { /* gone */ }
        await serve.status;
        return fail(s, r.error);
      }
      base = r.base;
    } else if (s.name === "schedules") {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const scheduled = Object.entries(cfg.modalities).filter(([, m]) => m.enabled && m.schedule)
        .map(([n]) => n);
      const missing = scheduled.filter((m) =>
        !metrics.includes(`gam_service_next_run_timestamp_seconds{modality="${m}"}`)
      );
      if (missing.length) {
        serve?.kill("SIGTERM");
        await serve?.status;
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
  // after "deployed" must reach the orchestrator, not kill this process (exit 143).
  const stop = () => serve!.kill("SIGTERM");
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  say(`deployed${base ? ` (orchestrator on ${base})` : ""}; SIGTERM or Ctrl-C stops it`);
  const status = await serve.status;
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  say(`orchestrator exited (${status.signal ?? `code ${status.code}`})`);
  return status.code === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** Reads the orchestrator's address from its stderr, then polls /readyz. */
async function waitReady(
  child: Deno.ChildProcess,
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
        error: `gam serve exited (${s.signal ?? `code ${s.code}`}) before it was ready: ${
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
      return { error: `gam serve exited (${state.signal ?? `code ${state.code}`}) before ready` };
    }
    const ok = await fetch(`${base}/readyz`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ok) return { base };
    await new Promise((r) => setTimeout(r, 200));
  }
  return { error: `not ready after ${READY_TIMEOUT_MS / 1000} s (${base}/readyz)` };
}

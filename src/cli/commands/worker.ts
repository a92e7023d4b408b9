/**
 * `gam worker`: a worker of the job queue (`execution.mode: queue`).
 *
 * @module
 */
import type { Command } from "../command.ts";
import { EXIT_OK, numberFlag, parseFlags, UsageError } from "../command.ts";
import { createLogger, stderrSink } from "../../observability/mod.ts";
import { openLogFile } from "../../observability/mod.ts";

/** `gam worker`. */
export const workerCommand: Command = {
  name: "worker",
  help: `Usage: gam worker --profile io|cpu|all [options]

Pulls jobs of queued runs (gam run --mode queue) from the job queue in the PostgreSQL server
(DATABASE_URL) until SIGTERM or Ctrl-C: ingest and persist jobs for the io profile, preprocess
and mosaic jobs for the cpu profile, all of them for all (profiles: execution.profiles). Jobs
past their last retry are dead-lettered and their run goes on without them. Serves /metrics,
/healthz and /readyz like gam serve. On SIGTERM it takes no new job and lets the jobs in hand
finish for service.shutdownTimeoutMs, then releases them for another worker.

Options:
  --profile NAME     io, cpu, all or another profile of execution.profiles (required)
  --concurrency N    Jobs at once per queue (default: the profile's concurrency)
  --listen ADDR      host:port of /metrics, /healthz, /readyz (default: service.listen;
                     port 0 picks a free one, printed at start)
  --config FILE      Configuration file (default config/ingestion.yaml); a job runs with the
                     configuration its run was submitted with, this one gives the database,
                     the profiles and the logging
  --profile-config NAME  Configuration profile from config/profiles/ (or GAM_PROFILE)
  -h, --help         Show this help

Exit status: 0 stopped cleanly; 2 usage or configuration error (no DATABASE_URL, unknown
profile, an unmigrated database).`,
  async run(args) {
    const { values, positionals } = parseFlags(args, {
      profile: { type: "string" },
      concurrency: { type: "string" },
      listen: { type: "string" },
      config: { type: "string" },
      "profile-config": { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (typeof values.profile !== "string") {
      throw new UsageError("--profile is required: io, cpu or all");
    }
    const concurrency = numberFlag(
      values.concurrency,
      "--concurrency",
      (v) => (Number.isInteger(v) && v >= 1) || "expects a whole number >= 1",
    );
    const [{ loadConfig }, { runWorker, workerPlan }] = await Promise.all([
      import("../../config/mod.ts"),
      import("../../queue/mod.ts"),
    ]);
    const loaded = await loadConfig({
      configPath: values.config as string | undefined,
      profile: values["profile-config"] as string | undefined,
    });
    const { config } = loaded;
    try {
      workerPlan(config.execution.profiles, values.profile, concurrency);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // Every line also goes to <outputDir>/logs/, where gam logs finds a run's lines by its id
    // or trace (the jobs' lines carry both).
    const terminal = createLogger({
      level: config.defaults.logLevel,
      format: config.defaults.logFormat,
      component: "worker",
    });
    const logFile = await openLogFile(
      `${config.defaults.outputDir}/logs/worker-${values.profile}-${Deno.hostname()}-${Deno.pid}.jsonl`,
      config.defaults.logFormat === "json" ? stderrSink : (line) => {
        const { time: _t, level, msg, component: _c, ...fields } = JSON.parse(line);
        terminal.log(level, msg, fields);
      },
    );
    const logger = createLogger({
      level: config.defaults.logLevel,
      format: "json",
      component: "worker",
      sink: logFile.sink,
    });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGTERM", onSignal);
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      await runWorker({
        loaded,
        profile: values.profile,
        concurrency,
        listen: values.listen as string | undefined,
        logger,
        signal: stop.signal,
        onReady: (a) =>
          console.error(
            `gam worker: profile ${values.profile}, listening on http://${a.hostname}:${a.port} ` +
              "(/metrics, /healthz, /readyz)",
          ),
      });
    } finally {
      Deno.removeSignalListener("SIGTERM", onSignal);
      Deno.removeSignalListener("SIGINT", onSignal);
      logFile.close();
    }
    return EXIT_OK;
  },
};

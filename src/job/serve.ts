/**
 * `gam serve`: the long-running service. Runs each modality on its cron schedule, reloads the
 * configuration through the `ConfigService` (a run in flight finishes on the snapshot it
 * started with), and serves `/metrics` (Prometheus text), `/healthz` and `/readyz`.
 *
 * Scheduling: each enabled modality with `schedule` gets its next fire time from the npm
 * `croner` package (5-field cron, local time). A modality whose previous run is still going
 * when its time comes is skipped and counted (`gam_service_runs_skipped_total`), never
 * stacked. Stopping (SIGTERM) stops scheduling, lets running jobs finish for
 * `service.shutdownTimeoutMs`, then aborts them.
 *
 * @module
 */
import { Cron } from "croner";
import type { ConfigService, GamConfig, LoadedConfig } from "../config/mod.ts";
import type { Logger } from "../observability/mod.ts";
import { defaultRegistry, type MetricsRegistry } from "../observability/metrics/mod.ts";
import { parseListen, probeResponse } from "../observability/metrics/mod.ts";

/** What one scheduled run reports back. */
export interface ScheduledRunResult {
  outcome: "ok" | "failed" | "interrupted";
}

/** Runs one modality on a config snapshot. Provided by the main job. */
export type ModalityRunner = (
  config: LoadedConfig,
  modality: string,
  signal: AbortSignal,
) => Promise<ScheduledRunResult>;

/** Options of {@linkcode PipelineServer}. */
export interface PipelineServerOptions {
  config: ConfigService;
  runModality: ModalityRunner;
  logger: Logger;
  /** @default the process-wide registry */
  registry?: MetricsRegistry;
  /** Extra readiness check (database open, ...). @default always ready once started */
  ready?: () => boolean;
  /** The clock, for tests. @default () => new Date() */
  now?: () => Date;
  /**
   * Asked at each scheduled fire time (not for {@linkcode PipelineServer.trigger} calls):
   * `false` skips this fire (logged), e.g. when another blue/green color owns the schedules.
   * @default always fire
   */
  mayFire?: (modality: string) => Promise<boolean>;
}

/** Fire times looked at to find a schedule's period (covers a week of a weekday schedule). */
const SCHEDULE_LOOKAHEAD = 8;

/**
 * The long-running service.
 *
 * @example Usage
 * ```ts
 * import { PipelineServer } from "./serve.ts";
 * // const server = new PipelineServer({ config, runModality, logger });
 * // await server.start(); ... await server.stop();
 * ```
 */
export class PipelineServer {
  readonly #opts: PipelineServerOptions;
  readonly #registry: MetricsRegistry;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #running = new Map<string, { promise: Promise<void>; controller: AbortController }>();
  #http?: Deno.HttpServer;
  #unsubscribe?: () => void;
  #stopping = false;
  #metrics;

  /** @param options See {@linkcode PipelineServerOptions}. */
  constructor(options: PipelineServerOptions) {
    this.#opts = options;
    this.#registry = options.registry ?? defaultRegistry;
    const r = this.#registry;
    this.#metrics = {
      runs: r.counter({
        name: "gam_service_runs_total",
        help: "Scheduled modality runs by outcome.",
        labelNames: ["modality", "outcome"],
      }),
      skipped: r.counter({
        name: "gam_service_runs_skipped_total",
        help: "Scheduled runs skipped because the previous run of the modality was still going.",
        labelNames: ["modality"],
      }),
      duration: r.histogram({
        name: "gam_service_run_duration_seconds",
        help: "Wall time of scheduled modality runs.",
        labelNames: ["modality"],
        buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      }),
      queue: r.gauge({
        // Runs this process is executing (not a queue: queued jobs are gam_queue_depth).
        name: "gam_service_runs_in_flight",
        help: "Modality runs this gam serve process is executing now.",
        labelNames: [],
      }),
      next: r.gauge({
        name: "gam_service_next_run_timestamp_seconds",
        help: "Unix time of the next scheduled run per modality.",
        labelNames: ["modality"],
      }),
      period: r.gauge({
        name: "gam_service_schedule_period_seconds",
        help: "Longest gap between two of the next scheduled runs of the modality, seconds.",
        labelNames: ["modality"],
      }),
      started: r.gauge({
        name: "gam_service_start_time_seconds",
        help: "Unix time at which the service started.",
        labelNames: [],
      }),
    };
  }

  /** The address the HTTP server listens on, once started. */
  get address(): { hostname: string; port: number } | undefined {
    const a = this.#http?.addr as Deno.NetAddr | undefined;
    return a ? { hostname: a.hostname, port: a.port } : undefined;
  }

  /** Modalities currently running. */
  get running(): string[] {
    return [...this.#running.keys()];
  }

  /** Starts the HTTP endpoints and the schedules. */
  start(): Promise<void> {
    const cfg = this.#opts.config.current().config;
    const { hostname, port } = parseListen(cfg.service.listen);
    this.#http = Deno.serve({ hostname, port, onListen: () => {} }, (req) => this.#handle(req));
    this.#metrics.started.set((this.#opts.now?.() ?? new Date()).getTime() / 1000);
    this.#schedule(cfg);
    this.#unsubscribe = this.#opts.config.onChange((next) => {
      this.#opts.logger.info("configuration changed; rescheduling", { hash: next.hash });
      this.#schedule(next.config);
    });
    this.#opts.logger.info("service started", { listen: `${hostname}:${this.address?.port}` });
    return Promise.resolve();
  }

  /** Runs a modality now (also used by the schedule). Skips if it is already running. */
  trigger(modality: string): Promise<void> | undefined {
    if (this.#stopping) return undefined;
    if (this.#running.has(modality)) {
      this.#metrics.skipped.inc({ modality });
      this.#opts.logger.warn("previous run still going; skipping this one", { modality });
      return undefined;
    }
    const snapshot = this.#opts.config.current();
    const controller = new AbortController();
    const started = performance.now();
    const promise = (async () => {
      let outcome: ScheduledRunResult["outcome"] = "failed";
      try {
        outcome = (await this.#opts.runModality(snapshot, modality, controller.signal)).outcome;
      } catch (error) {
        this.#opts.logger.error("scheduled run failed", { modality, error });
      } finally {
        const durationSeconds = (performance.now() - started) / 1000;
        this.#metrics.runs.inc({ modality, outcome });
        this.#metrics.duration.observe({ modality }, durationSeconds);
        this.#running.delete(modality);
        this.#metrics.queue.set(this.#running.size);
        // After the metrics: a reader of this line finds the run counted in /metrics.
        this.#opts.logger.info("scheduled run finished", {
          event: "service.run_finished",
          modality,
          outcome,
          durationSeconds,
        });
      }
    })();
    this.#running.set(modality, { promise, controller });
    this.#metrics.queue.set(this.#running.size);
    return promise;
  }

  /** Stops scheduling, waits for running jobs up to the shutdown timeout, then aborts them. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#unsubscribe?.();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    const timeoutMs = this.#opts.config.current().config.service.shutdownTimeoutMs;
    const all = Promise.all([...this.#running.values()].map((r) => r.promise));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#opts.logger.warn("shutdown timeout reached; aborting running jobs", {
        running: this.running,
      });
      for (const r of this.#running.values()) r.controller.abort(new Error("service stopping"));
      await all;
    }
    await this.#http?.shutdown();
    this.#opts.logger.info("service stopped");
  }

  #schedule(config: GamConfig): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    // In queue mode the schedules live in the queue's scheduler (registered by `gam worker`):
    // one run per tick across processes. An in-process cron here would add a run per process.
    if (config.execution.mode === "queue") {
      this.#opts.logger.info("execution.mode is queue: schedules run from the queue, not here");
      return;
    }
    for (const [name, modality] of Object.entries(config.modalities)) {
      if (!modality.enabled || !modality.schedule) continue;
      this.#arm(name, modality.schedule);
    }
  }

  #arm(modality: string, pattern: string): void {
    if (this.#stopping) return;
    const now = this.#opts.now?.() ?? new Date();
    const upcoming = new Cron(pattern, { paused: true }).nextRuns(SCHEDULE_LOOKAHEAD, now);
    const next = upcoming[0];
    if (!next) return;
    this.#metrics.next.set({ modality }, next.getTime() / 1000);
    // The overdue alert compares the age of the last success with this period: the longest
    // gap ahead, so a weekday-only schedule is not reported overdue on a Monday.
    const gaps = upcoming.slice(1).map((d, i) => d.getTime() - upcoming[i].getTime());
    if (gaps.length > 0) this.#metrics.period.set({ modality }, Math.max(...gaps) / 1000);
    // setTimeout cannot wait more than 2^31-1 ms: re-arm in steps.
    const delay = Math.min(next.getTime() - now.getTime(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.#timers.delete(modality);
      if ((this.#opts.now?.() ?? new Date()).getTime() >= next.getTime() - 5) {
        this.#fire(modality);
      }
      this.#arm(modality, pattern);
    }, Math.max(0, delay));
    this.#timers.set(modality, timer);
  }

  #fire(modality: string): void {
    const mayFire = this.#opts.mayFire;
    if (!mayFire) {
      this.trigger(modality);
      return;
    }
    mayFire(modality).then((yes) => {
      if (yes) {
        this.trigger(modality);
        return;
      }
      this.#opts.logger.info("scheduled run not fired: schedules owned elsewhere", { modality });
    }, (error) => {
      this.#opts.logger.error("could not tell whether to fire the schedule; not fired", {
        modality,
        error,
      });
    });
  }

  #handle(req: Request): Promise<Response> {
    return probeResponse(
      req,
      this.#registry,
      () => !this.#stopping && (this.#opts.ready?.() ?? true),
    );
  }
}

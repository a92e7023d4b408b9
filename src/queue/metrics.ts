/**
 * Queue metrics: `gam_queue_depth{queue,state}` (jobs created, retry, active and failed, read
 * from the engine at each scrape), `gam_jobs_total{queue,outcome}` and
 * `gam_job_duration_seconds{queue}` (this worker's jobs), `gam_workers{profile}` (worker
 * processes heard from within three heartbeats, from the engine's instance registry).
 *
 * @module
 */
import type { PgBoss } from "pg-boss";
import type { Counter, Histogram, MetricsRegistry } from "../observability/metrics/mod.ts";
import { DEAD_LETTER_QUEUE, QUEUES, SCHEDULE_QUEUE } from "./boss.ts";

/** The metrics a worker updates per job. */
export interface QueueMetrics {
  jobs: Counter<"queue" | "outcome">;
  duration: Histogram<"queue">;
}

/** Instance names of workers: `gam-worker-<profile>`. */
export const WORKER_INSTANCE_PREFIX = "gam-worker-";

/**
 * Registers the queue metrics on `registry`, reading depths and live workers from `boss` at
 * each scrape.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts (the
 * `gam_queue_*` series).
 */
export function queueMetrics(registry: MetricsRegistry, boss: PgBoss): QueueMetrics {
  const names = new Set([...Object.values(QUEUES), DEAD_LETTER_QUEUE, SCHEDULE_QUEUE]);
  registry.gauge<"queue" | "state">({
    name: "gam_queue_depth",
    help: "Jobs in the queue by state (created: ready or waiting on a dependency; retry: " +
      "waiting to be retried; active: held by a worker; failed: past their last retry).",
    labelNames: ["queue", "state"],
    collect: async (g) => {
      const queues = await boss.getQueues([...names]).catch(() => []);
      for (const q of queues) {
        // queuedCount counts created and retry jobs together; the retry share is those with
        // a retry count, which the engine does not split out: reported as created.
        g.set({ queue: q.name, state: "created" }, q.queuedCount);
        g.set({ queue: q.name, state: "retry" }, 0);
        g.set({ queue: q.name, state: "active" }, q.activeCount);
        g.set({ queue: q.name, state: "failed" }, q.failedCount);
      }
    },
  });
  const seen = new Set<string>();
  registry.gauge<"profile">({
    name: "gam_workers",
    help: "Worker processes of each profile heard from within three heartbeats.",
    labelNames: ["profile"],
    collect: async (g) => {
      const instances = await boss.getInstances().catch(() => []);
      const counts = new Map<string, number>();
      for (const i of instances) {
        if (!i.live || !i.name?.startsWith(WORKER_INSTANCE_PREFIX)) continue;
        const profile = i.name.slice(WORKER_INSTANCE_PREFIX.length);
        counts.set(profile, (counts.get(profile) ?? 0) + 1);
      }
      for (const p of counts.keys()) seen.add(p);
      for (const profile of seen) g.set({ profile }, counts.get(profile) ?? 0);
    },
  });
  return {
    jobs: registry.counter<"queue" | "outcome">({
      name: "gam_jobs_total",
      help: "Jobs this worker finished, by queue and outcome (completed, failed, skipped).",
      labelNames: ["queue", "outcome"],
    }),
    duration: registry.histogram<"queue">({
      name: "gam_job_duration_seconds",
      help: "Time this worker spent on a job, seconds.",
      labelNames: ["queue"],
    }),
  };
}

/**
 * Queue metrics: `gam_queue_depth{queue,state}` (jobs created, retry, active and failed, read
 * from the engine's job table at each scrape), `gam_jobs_total{queue,outcome}` and
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

/** The states of `gam_queue_depth`. */
export const DEPTH_STATES = ["created", "retry", "active", "failed"] as const;

/**
 * The statement that counts a queue's jobs by {@linkcode DEPTH_STATES}, read from pg-boss's job
 * table in `schema` (`$1`: the queue names). A job waiting for its next attempt is `retry`,
 * never `created`: pg-boss 12 gives it state `retry` after a failed attempt, and any `created`
 * job with a retry count (a job put back by hand) is counted there too. The engine's own
 * counters (`getQueues().queuedCount`) add created and retry together.
 *
 * @example Usage
 * ```ts
 * import { depthQuery } from "./metrics.ts";
 * depthQuery("pgboss").includes('FROM "pgboss".job'); // true
 * ```
 */
export function depthQuery(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new RangeError(`The queue schema must be a lower-case identifier, got "${schema}"`);
  }
  return `SELECT name,
       count(*) FILTER (WHERE state = 'created' AND retry_count = 0)::int AS created,
       count(*) FILTER (WHERE state = 'retry' OR (state = 'created' AND retry_count > 0))::int
         AS retry,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'failed')::int AS failed
  FROM "${schema}".job
 WHERE name = ANY($1::text[]) AND state IN ('created', 'retry', 'active', 'failed')
 GROUP BY name`;
}

/**
 * Registers the queue metrics on `registry`, reading depths and live workers from `boss` at
 * each scrape.
 *
 * @param schema pg-boss's schema (`execution.queue.schema`), where the job table is.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts (the
 * `gam_queue_*` series) and tests/queue/queue_faults_test.ts (the `retry` state).
 */
export function queueMetrics(
  registry: MetricsRegistry,
  boss: PgBoss,
  schema: string,
): QueueMetrics {
  const names = [...Object.values(QUEUES), DEAD_LETTER_QUEUE, SCHEDULE_QUEUE];
  const depth = depthQuery(schema);
  registry.gauge<"queue" | "state">({
    name: "gam_queue_depth",
    help: "Jobs in the queue by state (created: ready or waiting on a dependency; retry: " +
      "waiting for their next attempt; active: held by a worker; failed: past their last retry).",
    labelNames: ["queue", "state"],
    collect: async (g) => {
      const rows = await boss.getDb().executeSql(depth, [names])
        .then((r) => r.rows as Record<string, unknown>[], () => undefined);
      if (!rows) return; // the database is away: the scrape keeps the last values
      const byName = new Map(rows.map((r) => [String(r.name), r]));
      for (const queue of names) {
        for (const state of DEPTH_STATES) {
          g.set({ queue, state }, Number(byName.get(queue)?.[state] ?? 0));
        }
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

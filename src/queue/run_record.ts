/**
 * A queued run in the database: its `runs` row (`execution = 'queue'`), the configuration and
 * tile plan every worker reads (run metadata `queue/config` and `queue/plan`, so that all jobs
 * of a run use the configuration it was submitted with, whatever file a worker was started
 * with), and `queue_settled`, one row per tile, mosaic and persist step that ended.
 *
 * **Fan-in.** A step's completion is recorded with {@linkcode settle} under a lock on the run's
 * row, which then says whether the step's group is complete (every tile of a modality, every
 * modality's persist). The caller that sees it complete sends the next job with a
 * deterministic id: two callers seeing it (a retried job) send the same id, which the engine
 * accepts once.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import type { GamConfig } from "../config/mod.ts";
import type { Database, SqlClient } from "../persistence/mod.ts";
import type { HaloDegrees, Tile } from "./tiles.ts";

/** How a modality of a queued run is tiled. */
export interface ModalityPlan {
  tiles: Tile[];
  /** The halo used, degrees, and what set its minimum. */
  halo: HaloDegrees;
  haloReason: string;
}

/** The plan of a queued run, stored with it. */
export interface QueuedRunPlan {
  bbox: Bbox;
  /** `<outputDir>/runs/<run-id>`. */
  runDir: string;
  modalities: Record<string, ModalityPlan>;
  /**
   * The run's W3C `traceparent`, set by the submitting command: every job's log lines carry it
   * and each fetch is a child span of it.
   */
  traceparent?: string;
}

/** A step that ended. */
export interface Settled {
  modality: string;
  step: "tile" | "mosaic" | "persist";
  key: string;
  outcome: "ok" | "dead" | "cancelled";
  detail: Record<string, unknown> | null;
}

/** Everything a worker needs to run a job of a run. */
export interface QueuedRun {
  runId: string;
  config: GamConfig;
  configHash: string;
  plan: QueuedRunPlan;
}

/**
 * Records a new queued run with its configuration and plan (one transaction).
 *
 * @example Usage
 * ```ts
 * import { createQueuedRun, loadQueuedRun } from "./run_record.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const plan = { bbox: [0, 0, 1, 1] as const, runDir: "out/runs/run-1", modalities: {} };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     console.assert((await loadQueuedRun(db, "run-1"))?.configHash === configHash);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function createQueuedRun(db: Pick<Database, "sql">, run: QueuedRun): Promise<void> {
  await db.sql.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO runs (id, config_hash, execution) VALUES ($1, $2, 'queue')`,
      [run.runId, run.configHash],
      "createQueuedRun",
    );
    const put = (key: string, value: unknown) =>
      tx.query(
        `INSERT INTO metadata (run_id, key, value) VALUES ($1, $2, $3::text::jsonb)`,
        [run.runId, key, JSON.stringify(value)],
        "createQueuedRun",
      );
    await put("queue/config", run.config);
    await put("queue/plan", run.plan);
  });
}

/**
 * The configuration and plan of a queued run, or `undefined` when there is no such queued run.
 *
 * @example Usage
 * ```ts
 * import { createQueuedRun, loadQueuedRun } from "./run_record.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const plan = { bbox: [0, 0, 1, 1] as const, runDir: "out/runs/run-1", modalities: {} };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     const run = await loadQueuedRun(db, "run-1");
 *     console.assert(run?.plan.runDir === "out/runs/run-1");
 *     console.assert((await loadQueuedRun(db, "run-2")) === undefined);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadQueuedRun(db: Database, runId: string): Promise<QueuedRun | undefined> {
  const rows = await db.sql.query<{ config_hash: string | null; key: string; value: unknown }>(
    `SELECT r.config_hash, m.key, m.value FROM runs r
       JOIN metadata m ON m.run_id = r.id
      WHERE r.id = $1 AND r.execution = 'queue' AND m.key IN ('queue/config', 'queue/plan')`,
    [runId],
    "loadQueuedRun",
  );
  const value = (key: string) => {
    const v = rows.find((r) => r.key === key)?.value;
    return typeof v === "string" ? JSON.parse(v) : v;
  };
  const config = value("queue/config"), plan = value("queue/plan");
  if (config === undefined || plan === undefined) return undefined;
  return { runId, config, plan, configHash: rows[0].config_hash ?? "" };
}

/** The run's status (`running`, `succeeded`, ...), `undefined` for an unknown run. */
export async function runStatusOf(sql: SqlClient, runId: string): Promise<string | undefined> {
  const rows = await sql.query<{ status: string }>(
    "SELECT status FROM runs WHERE id = $1",
    [runId],
    "runStatusOf",
  );
  return rows[0]?.status;
}

/**
 * Records that a step ended (a second record of the same step is ignored: the first wins) and
 * returns every settled step of the run, read under the lock on the run's row, so that exactly
 * the callers that settle after the last missing step see the group complete.
 *
 * @returns The run's status and all its settled steps (this one included).
 *
 * @example Usage
 * ```ts
 * import { createQueuedRun, settle } from "./run_record.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const plan = { bbox: [0, 0, 1, 1] as const, runDir: "out/runs/run-1", modalities: {} };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     const tile = { modality: "gravity", step: "tile", key: "r0c0", outcome: "ok", detail: {} } as const;
 *     const { settled } = await settle(db, "run-1", tile);
 *     console.assert(settled.length === 1);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function settle(
  db: Database,
  runId: string,
  step: Settled,
): Promise<{ status: string; settled: Settled[] }> {
  return db.sql.transaction(async (tx) => {
    const run = await tx.query<{ status: string }>(
      "SELECT status FROM runs WHERE id = $1 FOR UPDATE",
      [runId],
      "settle",
    );
    if (run.length === 0) throw new RangeError(`settle: no run with id "${runId}"`);
    await tx.query(
      `INSERT INTO queue_settled (run_id, modality, step, key, outcome, detail)
       VALUES ($1, $2, $3, $4, $5, $6::text::jsonb) ON CONFLICT DO NOTHING`,
      [
        runId,
        step.modality,
        step.step,
        step.key,
        step.outcome,
        step.detail === null ? null : JSON.stringify(step.detail),
      ],
      "settle",
    );
    return { status: run[0].status, settled: await settledSteps(tx, runId) };
  });
}

/**
 * Every settled step of a run, in the order they settled.
 *
 * @example Usage
 * ```ts
 * import { createQueuedRun, settle, settledSteps } from "./run_record.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const plan = { bbox: [0, 0, 1, 1] as const, runDir: "out/runs/run-1", modalities: {} };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     await settle(db, "run-1", { modality: "gravity", step: "tile", key: "r0c0", outcome: "ok", detail: null });
 *     const steps = await settledSteps(db.sql, "run-1");
 *     console.assert(steps[0]?.key === "r0c0");
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function settledSteps(sql: SqlClient, runId: string): Promise<Settled[]> {
  const rows = await sql.query<
    {
      modality: string;
      step: Settled["step"];
      key: string;
      outcome: Settled["outcome"];
      detail: unknown;
    }
  >(
    `SELECT modality, step, key, outcome, detail FROM queue_settled WHERE run_id = $1
      ORDER BY settled_at, modality, step, key`,
    [runId],
    "settledSteps",
  );
  return rows.map((r) => ({
    modality: r.modality,
    step: r.step,
    key: r.key,
    outcome: r.outcome,
    detail: (typeof r.detail === "string" ? JSON.parse(r.detail) : r.detail) as
      | Record<string, unknown>
      | null,
  }));
}

/**
 * Ends a queued run with its final status, unless it already ended (a cancel, or a retried
 * final step); resolves to whether this call ended it.
 *
 * @example Usage
 * ```ts
 * import { createQueuedRun, finishQueuedRun } from "./run_record.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const plan = { bbox: [0, 0, 1, 1] as const, runDir: "out/runs/run-1", modalities: {} };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     console.assert(await finishQueuedRun(db.sql, "run-1", "partial")); // ended it
 *     console.assert(!(await finishQueuedRun(db.sql, "run-1", "failed"))); // already ended
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function finishQueuedRun(
  sql: SqlClient,
  runId: string,
  status: "succeeded" | "partial" | "failed" | "interrupted",
  detail?: string,
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE runs SET status = $2, finished_at = GREATEST(now(), started_at), status_detail = $3
      WHERE id = $1 AND status = 'running' RETURNING id`,
    [runId, status, detail ?? null],
    "finishQueuedRun",
  );
  return rows.length === 1;
}

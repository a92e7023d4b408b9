/**
 * A queued run seen from outside: per-tile progress (`gam run status`), the summary of a
 * finished run in the shape of a local run's (`gam run --mode queue` prints the same table),
 * and cancelling its queued work (`gam run cancel`).
 *
 * @module
 */
import type { PgBoss } from "pg-boss";
import type { Database } from "../persistence/mod.ts";
import type { ModalitySummary, RunSummary } from "../job/mod.ts";
import { QUEUES } from "./boss.ts";
import { finishQueuedRun, loadQueuedRun, type Settled, settledSteps } from "./run_record.ts";

/** One tile's state. */
export interface TileStatus {
  key: string;
  /** `ok`, `dead` (past its last retry), `cancelled`, or `pending` (not settled yet). */
  state: "ok" | "dead" | "cancelled" | "pending";
  /** The failed step and its error, for a dead tile. */
  error?: string;
  /** No data in reach of the tile (its nodes are empty). */
  empty?: boolean;
}

/** Progress of a queued run. */
export interface QueuedRunStatus {
  runId: string;
  /** The run's status (`running` until its last step settled). */
  status: string;
  startedAt: string;
  finishedAt: string | null;
  modalities: {
    modality: string;
    tiles: TileStatus[];
    done: number;
    total: number;
    mosaic: Settled["outcome"] | "pending";
    persist: Settled["outcome"] | "pending";
  }[];
}

/**
 * The progress of a queued run, or `undefined` when `runId` is no queued run.
 *
 * @example Usage (on the embedded engine)
 * ```ts
 * import { queuedRunStatus } from "./status.ts";
 * import { createQueuedRun, settle } from "./run_record.ts";
 * import { planTiles } from "./tiles.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const bbox = [10, 45, 12, 46] as const;
 * const tiles = planTiles(bbox, { size: 1, halo: { lat: 0.1 } }); // r0c0, r0c1
 * const gravity = { tiles, halo: { lat: 0.1 }, haloReason: "configured" };
 * const plan = { bbox, runDir: "out/runs/run-1", modalities: { gravity } };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     await settle(db, "run-1", { modality: "gravity", step: "tile", key: "r0c0", outcome: "ok", detail: null });
 *     const status = await queuedRunStatus(db, "run-1");
 *     console.assert(status?.modalities[0]?.done === 1 && status.modalities[0].total === 2);
 *     console.assert((await queuedRunStatus(db, "run-2")) === undefined);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function queuedRunStatus(
  db: Database,
  runId: string,
): Promise<QueuedRunStatus | undefined> {
  const run = await loadQueuedRun(db, runId);
  if (!run) return undefined;
  const row = await db.repo.getRun(runId);
  const settled = await settledSteps(db.sql, runId);
  return {
    runId,
    status: row?.status ?? "unknown",
    startedAt: row?.startedAt.toISOString() ?? "",
    finishedAt: row?.finishedAt?.toISOString() ?? null,
    modalities: Object.entries(run.plan.modalities).map(([modality, m]) => {
      const of = (step: Settled["step"], key = "") =>
        settled.find((s) => s.modality === modality && s.step === step && s.key === key);
      const tiles = m.tiles.map((t): TileStatus => {
        const s = of("tile", t.key);
        if (!s) return { key: t.key, state: "pending" };
        return {
          key: t.key,
          state: s.outcome,
          ...(s.outcome === "dead"
            ? { error: `${s.detail?.stage ?? "?"}: ${s.detail?.error ?? "failed"}` }
            : {}),
          ...(s.detail?.empty !== undefined ? { empty: true } : {}),
        };
      });
      return {
        modality,
        tiles,
        done: tiles.filter((t) => t.state !== "pending").length,
        total: tiles.length,
        mosaic: of("mosaic")?.outcome ?? "pending",
        persist: of("persist")?.outcome ?? "pending",
      };
    }),
  };
}

/**
 * The summary of a queued run in the shape of a local run's ({@linkcode RunSummary}): one row
 * per modality, aggregated from its tiles and mosaic; a modality with dead tiles names them in
 * its error.
 *
 * @example Usage (on the embedded engine)
 * ```ts
 * import { queuedRunSummary } from "./status.ts";
 * import { createQueuedRun, settle } from "./run_record.ts";
 * import { planTiles } from "./tiles.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const { config, hash: configHash } = await loadConfig({ configPath, env: {} });
 * const bbox = [10, 45, 12, 46] as const;
 * const tiles = planTiles(bbox, { size: 1, halo: { lat: 0.1 } }); // r0c0, r0c1
 * const gravity = { tiles, halo: { lat: 0.1 }, haloReason: "configured" };
 * const plan = { bbox, runDir: "out/runs/run-1", modalities: { gravity } };
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await createQueuedRun(db, { runId: "run-1", config, configHash, plan });
 *     await settle(db, "run-1", { modality: "gravity", step: "tile", key: "r0c0", outcome: "ok", detail: null });
 *     const summary = await queuedRunSummary(db, "run-1");
 *     console.assert(summary.modalities[0]?.outcome === "failed"); // not persisted yet
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function queuedRunSummary(db: Database, runId: string): Promise<RunSummary> {
  const run = await loadQueuedRun(db, runId);
  if (!run) throw new RangeError(`no queued run "${runId}"`);
  const row = await db.repo.getRun(runId);
  const settled = await settledSteps(db.sql, runId);
  const started = row?.startedAt ?? new Date();
  const finished = row?.finishedAt ?? new Date();
  const modalities: ModalitySummary[] = Object.keys(run.plan.modalities).map((modality) => {
    const mine = settled.filter((s) => s.modality === modality);
    const dead = mine.filter((s) => s.step === "tile" && s.outcome !== "ok");
    const mosaic = mine.find((s) => s.step === "mosaic");
    const persist = mine.find((s) => s.step === "persist");
    const d = (mosaic?.detail ?? {}) as {
      grids?: {
        branch: string;
        checksum: string;
        zarr: string;
        tif: string;
        anomalies: unknown[];
        size: string;
        nanRatio: number;
      }[];
      points?: number;
      outliers?: number;
      cache?: string;
    };
    const errors = [
      ...dead.map((s) =>
        `tile ${s.key} (${s.detail?.stage ?? "?"}): ${s.detail?.error ?? s.outcome}`
      ),
      ...(mosaic && mosaic.outcome !== "ok" ? [`mosaic: ${mosaic.detail?.error ?? "failed"}`] : []),
      ...(persist && persist.outcome !== "ok" && mosaic?.outcome === "ok"
        ? [`persistence: ${persist.detail?.error ?? "failed"}`]
        : []),
    ];
    const ok = persist?.outcome === "ok" && errors.length === 0;
    const grids = d.grids ?? [];
    return {
      modality,
      outcome: ok ? "ok" : row?.status === "interrupted" ? "interrupted" : "failed",
      ...(errors.length > 0 ? { error: errors.join("; ") } : {}),
      pointsIn: d.points ?? 0,
      outliersRemoved: d.outliers ?? 0,
      gridSize: grids[0]?.size ?? "-",
      nanRatio: grids[0]?.nanRatio ?? null,
      anomalies: grids.reduce((n, g) => n + g.anomalies.length, 0),
      cache: d.cache ?? "miss",
      durationSeconds: (finished.getTime() - started.getTime()) / 1000,
      grids: grids.map((g) => ({
        branch: g.branch,
        zarr: g.zarr,
        tif: g.tif,
        checksum: g.checksum,
      })),
    };
  });
  const status = (row?.status ?? "failed") as RunSummary["status"];
  return {
    runId,
    status: status === ("running" as string) ? "failed" : status,
    runDir: run.plan.runDir,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    bbox: run.plan.bbox,
    configHash: run.configHash,
    database: db.location,
    modalities,
  };
}

/**
 * Cancels a queued run: marks it `interrupted` (jobs that start later skip it) and cancels its
 * jobs still waiting in every queue; jobs already running finish their step.
 *
 * @returns Whether the run was running, and how many queued jobs were cancelled.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts and
 * tests/queue/queue_faults_test.ts.
 */
export async function cancelQueuedRun(
  db: Database,
  boss: PgBoss,
  runId: string,
): Promise<{ wasRunning: boolean; cancelledJobs: number }> {
  const wasRunning = await finishQueuedRun(
    db.sql,
    runId,
    "interrupted",
    "cancelled by gam run cancel",
  );
  let cancelledJobs = 0;
  for (const name of Object.values(QUEUES)) {
    const jobs = await boss.findJobs(name, { data: { runId }, queued: true });
    if (jobs.length === 0) continue;
    await boss.cancel(name, jobs.map((j) => j.id));
    cancelledJobs += jobs.length;
  }
  return { wasRunning, cancelledJobs };
}

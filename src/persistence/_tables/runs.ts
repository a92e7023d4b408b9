/**
 * The `runs` table: run records and their leases.
 *
 * @module
 */
import type { Repository } from "../repository.ts";
import { iso, n, type Queries, RUN_COLS, toRun } from "./_rows.ts";

/** The repository methods of the `runs` table. */
export function runsTable(
  { one, maybe, client }: Queries,
): Pick<
  Repository,
  "createRun" | "heartbeatRun" | "runningRuns" | "interruptRun" | "finishRun" | "getRun"
> {
  return {
    createRun: ({ id, configHash, startedAt, owner }) =>
      one(
        `INSERT INTO runs (id, config_hash, started_at, owner_host, owner_pid, owner_process_start,
           owner_instance, heartbeat_at)
         VALUES ($1, $2, COALESCE($3::timestamptz, now()), $4, $5::integer, $6, $7,
           CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
         RETURNING ${RUN_COLS}`,
        [
          id,
          configHash ?? null,
          iso(startedAt),
          owner?.host ?? null,
          owner?.pid ?? null,
          owner?.processStart ?? null,
          owner?.instance ?? null,
        ],
        "createRun",
        toRun,
      ),
    async heartbeatRun(id) {
      const rows = await client.query(
        "UPDATE runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running' RETURNING id",
        [id],
        "heartbeatRun",
      );
      return rows.length === 1;
    },
    runningRuns: async () =>
      (await client.query(
        `SELECT ${RUN_COLS},
           EXTRACT(EPOCH FROM now() - COALESCE(heartbeat_at, started_at))::float8 AS silent_seconds
         FROM runs WHERE status = 'running' AND execution = 'local' ORDER BY started_at, id`,
        [],
        "runningRuns",
      )).map((r) => ({ ...toRun(r), silentSeconds: Math.max(0, n(r.silent_seconds)) })),
    async interruptRun(id, detail, options = {}) {
      const rows = await client.query(
        `UPDATE runs SET status = 'interrupted', finished_at = GREATEST(now(), started_at),
           status_detail = $2
         WHERE id = $1 AND status = 'running'
           AND ($3::float8 IS NULL
             OR COALESCE(heartbeat_at, started_at) <= now() - make_interval(secs => $3::float8))
         RETURNING id`,
        [id, detail, options.silentSeconds ?? null],
        "interruptRun",
      );
      return rows.length === 1;
    },
    async finishRun(id, status, finishedAt) {
      const run = await maybe(
        `UPDATE runs SET status = $2, finished_at = COALESCE($3::timestamptz, now()),
           status_detail = NULL
         WHERE id = $1 RETURNING ${RUN_COLS}`,
        [id, status, iso(finishedAt)],
        "finishRun",
        toRun,
      );
      if (!run) throw new RangeError(`finishRun: no run with id "${id}"`);
      return run;
    },
    getRun: (id) => maybe(`SELECT ${RUN_COLS} FROM runs WHERE id = $1`, [id], "getRun", toRun),
  };
}

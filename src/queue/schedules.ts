/**
 * Cron schedules in queue mode: each enabled modality's `schedule` is registered in pg-boss's
 * scheduler (key: the modality), which sends one `gam-schedule` job per tick whatever the number
 * of processes that run the scheduler; a worker turns that job into a queued run of the modality.
 * A tick missed while every process was down is sent once, for the most recent missed occurrence
 * (pg-boss `missed: "once"`), when a scheduler runs again. A tick's run id is derived from the
 * schedule and the tick's time, so a tick delivered twice (a retried job, a duplicated send)
 * submits one run.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Cron } from "croner";
import type { PgBoss } from "pg-boss";
import type { GamConfig } from "../config/mod.ts";
import { SCHEDULE_QUEUE } from "./boss.ts";

/** Payload of a schedule tick. */
export interface ScheduleTick {
  modality: string;
}

/**
 * Registers the configuration's schedules (and removes those of modalities no longer
 * scheduled). Idempotent: every process may call it at start.
 *
 * @returns The modalities scheduled.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_schedule_test.ts.
 */
export async function registerSchedules(boss: PgBoss, config: GamConfig): Promise<string[]> {
  const tz = scheduleTimeZone();
  const wanted = Object.entries(config.modalities)
    .filter(([, m]) => m.enabled && m.schedule !== undefined)
    .map(([name, m]) => [name, m.schedule!] as const);
  for (const [modality, cron] of wanted) {
    await boss.schedule(SCHEDULE_QUEUE, cron, { modality } satisfies ScheduleTick, {
      key: modality,
      tz,
      missed: "once",
      singletonKey: `schedule:${modality}`,
    });
  }
  const names = new Set(wanted.map(([m]) => m));
  for (const s of await boss.getSchedules(SCHEDULE_QUEUE)) {
    if (!names.has(s.key)) await boss.unschedule(SCHEDULE_QUEUE, s.key);
  }
  return [...names];
}

/** The time zone schedules are registered in: this process's local zone. */
function scheduleTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * The tick a schedule job was sent for: the schedule's latest occurrence at or before the job's
 * creation (pg-boss sends a tick's job within seconds of it, or later for a missed tick, but
 * never before it). Without a schedule for the modality (changed since), the job's minute.
 *
 * @param cron The modality's `schedule` (5-field cron, local time), if any.
 * @param createdOn When the engine created the job.
 *
 * @example Usage
 * ```ts
 * import { scheduleTick } from "./schedules.ts";
 * scheduleTick("* * * * *", new Date("2026-12-05T10:00:03Z")).toISOString();
 * // "2026-12-05T10:00:00.000Z"
 * ```
 */
export function scheduleTick(cron: string | undefined, createdOn: Date): Date {
  if (cron !== undefined) {
    const job = new Cron(cron, { paused: true, mode: "5-part", timezone: scheduleTimeZone() });
    const [tick] = job.previousRuns(1, new Date(createdOn.getTime() + 1));
    if (tick) return tick;
  }
  return new Date(Math.floor(createdOn.getTime() / 60_000) * 60_000);
}

/**
 * The run id of a schedule's tick: `run-<tick time>-<12 hex of modality and tick>`, the same for
 * every delivery of the tick.
 *
 * @example Usage
 * ```ts
 * import { scheduledRunId } from "./schedules.ts";
 * const tick = new Date("2026-12-05T10:00:00Z");
 * scheduledRunId("gravity", tick) === scheduledRunId("gravity", tick); // true
 * scheduledRunId("gravity", tick).startsWith("run-20261205T100000Z-"); // true
 * ```
 */
export function scheduledRunId(modality: string, tick: Date): string {
  const at = tick.toISOString();
  const hex = createHash("sha256").update(JSON.stringify(["schedule", modality, at]))
    .digest("hex").slice(0, 12);
  return `run-${at.replace(/[-:]/g, "").replace(/\.\d{3}/, "")}-${hex}`;
}

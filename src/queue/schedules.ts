/**
 * Cron schedules in queue mode: each enabled modality's `schedule` is registered in pg-boss's
 * scheduler (key: the modality), which sends one `gam-schedule` job per tick whatever the number
 * of processes that run the scheduler; a worker turns that job into a queued run of the modality.
 * A tick missed while every process was down is sent once, for the most recent missed occurrence
 * (pg-boss `missed: "once"`), when a scheduler runs again.
 *
 * @module
 */
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
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
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

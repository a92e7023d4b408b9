/**
 * Blue/green colors and the schedule owner, recorded in the shared database (migration
 * `0008_deploy_colors.sql`): a color is a whole deployment (its processes, configuration,
 * output and cache folders); exactly one color, the owner, fires the schedules.
 *
 * @module
 */
import type { SqlClient } from "../persistence/mod.ts";
import type { GamConfig } from "../config/mod.ts";
import type { CanaryResult } from "./canary.ts";

/**
 * The two colors.
 *
 * @example Usage
 * ```ts
 * import { COLORS } from "./colors.ts";
 * console.log(COLORS.join("|")); // "blue|green"
 * ```
 */
export const COLORS = ["blue", "green"] as const;

/**
 * One of {@linkcode COLORS}.
 *
 * @example Usage
 * ```ts
 * import type { Color } from "./colors.ts";
 * const c: Color = "green";
 * ```
 */
export type Color = typeof COLORS[number];

/**
 * Thrown for a color that is not `blue` or `green`.
 *
 * @example Usage
 * ```ts
 * import { ColorError, parseColor } from "./colors.ts";
 * try {
 *   parseColor("red");
 * } catch (e) {
 *   if (e instanceof ColorError) console.log(e.message);
 * }
 * ```
 */
export class ColorError extends RangeError {
  /** @param message What was received and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "ColorError";
  }
}

/**
 * Parses a color.
 *
 * @param value `blue` or `green`.
 * @param where Where it came from, for the message. @default "--color"
 * @throws {ColorError} For anything else.
 *
 * @example Usage
 * ```ts
 * import { parseColor } from "./colors.ts";
 * parseColor("blue"); // "blue"
 * ```
 */
export function parseColor(value: unknown, where = "--color"): Color {
  if ((COLORS as readonly unknown[]).includes(value)) return value as Color;
  throw new ColorError(`${where} must be "blue" or "green", got ${JSON.stringify(value ?? "")}`);
}

/**
 * The other color.
 *
 * @example Usage
 * ```ts
 * import { otherColor } from "./colors.ts";
 * otherColor("blue"); // "green"
 * ```
 */
export function otherColor(color: Color): Color {
  return color === "blue" ? "green" : "blue";
}

/**
 * A color's own folders: `<outputDir>/<color>` and `<cacheDir>/<color>` of its configuration.
 *
 * @example Usage
 * ```ts
 * import { colorFolders } from "./colors.ts";
 * const cfg = { defaults: { outputDir: "out", cacheDir: ".gam/cache" } };
 * // deno-lint-ignore no-explicit-any
 * colorFolders(cfg as any, "green"); // { outputDir: "out/green", cacheDir: ".gam/cache/green" }
 * ```
 */
export function colorFolders(
  config: Pick<GamConfig, "defaults">,
  color: Color,
): { outputDir: string; cacheDir: string } {
  return {
    outputDir: `${config.defaults.outputDir}/${color}`,
    cacheDir: `${config.defaults.cacheDir}/${color}`,
  };
}

/**
 * The environment that gives a color's `gam` processes its folders and its own queues
 * (configuration overrides `GAM__DEFAULTS__OUTPUT_DIR`, `GAM__DEFAULTS__CACHE_DIR`, and
 * `GAM__EXECUTION__QUEUE__SCHEMA=gam_queue_<color>`: the job queue's tables of that color).
 *
 * @example Usage
 * ```ts
 * import { colorEnv } from "./colors.ts";
 * const env = colorEnv({ color: "blue", outputDir: "out/blue", cacheDir: "c/blue" });
 * env.GAM__EXECUTION__QUEUE__SCHEMA; // "gam_queue_blue"
 * ```
 */
export function colorEnv(
  folders: { color: Color; outputDir: string; cacheDir: string },
): Record<string, string> {
  return {
    GAM__DEFAULTS__OUTPUT_DIR: folders.outputDir,
    GAM__DEFAULTS__CACHE_DIR: folders.cacheDir,
    GAM__EXECUTION__QUEUE__SCHEMA: `gam_queue_${folders.color}`,
  };
}

/** A deployed color, as recorded. */
export interface ColorRecord {
  color: Color;
  /** The configuration file its processes run with (absolute). */
  configPath: string;
  /** Its profile, if any. */
  profile: string | null;
  /** Hash of its loaded configuration. */
  configHash: string;
  /** Its output folder (`<outputDir>/<color>`). */
  outputDir: string;
  /** Its cache folder (`<cacheDir>/<color>`). */
  cacheDir: string;
  deployedAt: Date;
  /** Its last canary comparison, or `null`. */
  canary: CanaryResult | null;
}

/** Who fires the schedules. */
export interface ScheduleOwner {
  color: Color;
  /** The owner before the last change (`rollback` returns to it). */
  previousColor: Color | null;
  changedAt: Date;
}

/**
 * Thrown when a deployment operation cannot be done (no such color deployed, nothing to roll
 * back to, a canary that did not pass).
 *
 * @example Usage
 * ```ts
 * import { DeployStateError } from "./colors.ts";
 * console.log(new DeployStateError("green is not deployed").message);
 * ```
 */
export class DeployStateError extends Error {
  /** @param message What is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "DeployStateError";
  }
}

type ColorRow = {
  color: string;
  config_path: string;
  profile: string | null;
  config_hash: string;
  output_dir: string;
  cache_dir: string;
  deployed_at: Date | string;
  canary: unknown;
};

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

/**
 * Records (or replaces) a deployed color; its canary result is cleared.
 *
 * @example Usage
 * ```ts
 * import { getColor, recordColor } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await recordColor(db.sql, { color: "green", configPath: "/etc/gam/green.yaml", profile: null,
 *       configHash: "abc", outputDir: "out/green", cacheDir: "cache/green" });
 *     console.assert((await getColor(db.sql, "green"))?.configHash === "abc");
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function recordColor(
  sql: SqlClient,
  rec: Omit<ColorRecord, "deployedAt" | "canary">,
): Promise<void> {
  await sql.query(
    `INSERT INTO deploy_colors (color, config_path, profile, config_hash, output_dir, cache_dir,
       deployed_at, canary)
     VALUES ($1, $2, $3, $4, $5, $6, now(), NULL)
     ON CONFLICT (color) DO UPDATE SET config_path = $2, profile = $3, config_hash = $4,
       output_dir = $5, cache_dir = $6, deployed_at = now(), canary = NULL`,
    [rec.color, rec.configPath, rec.profile, rec.configHash, rec.outputDir, rec.cacheDir],
    "record a deployed color",
  );
}

/**
 * A deployed color's record, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { getColor, recordColor } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await recordColor(db.sql, { color: "blue", configPath: "/etc/gam/blue.yaml", profile: null,
 *       configHash: "abc", outputDir: "out/blue", cacheDir: "cache/blue" });
 *     console.assert((await getColor(db.sql, "blue"))?.outputDir === "out/blue");
 *     console.assert((await getColor(db.sql, "green")) === undefined);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function getColor(sql: SqlClient, color: Color): Promise<ColorRecord | undefined> {
  const [r] = await sql.query<ColorRow>(
    "SELECT * FROM deploy_colors WHERE color = $1",
    [color],
    "read a deployed color",
  );
  if (!r) return undefined;
  return {
    color: parseColor(r.color, "deploy_colors.color"),
    configPath: r.config_path,
    profile: r.profile,
    configHash: r.config_hash,
    outputDir: r.output_dir,
    cacheDir: r.cache_dir,
    deployedAt: new Date(r.deployed_at),
    canary: r.canary === null ? null : json(r.canary) as CanaryResult,
  };
}

/**
 * Stores a color's canary result.
 *
 * @example Usage
 * ```ts
 * import { getColor, recordCanary, recordColor } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await recordColor(db.sql, { color: "green", configPath: "/etc/gam/green.yaml", profile: null,
 *       configHash: "abc", outputDir: "out/green", cacheDir: "cache/green" });
 *     await recordCanary(db.sql, "green", { passed: true, against: "blue", at: new Date().toISOString(),
 *       neutral: false, runs: [], checks: [] });
 *     console.assert((await getColor(db.sql, "green"))?.canary?.passed === true);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function recordCanary(
  sql: SqlClient,
  color: Color,
  result: CanaryResult,
): Promise<void> {
  await sql.query(
    "UPDATE deploy_colors SET canary = $2::jsonb WHERE color = $1",
    [color, JSON.stringify(result)],
    "record a canary result",
  );
}

/**
 * The schedule owner, or `undefined` before the first deployment of a color.
 *
 * @example Usage
 * ```ts
 * import { claimScheduleOwnerIfNone, scheduleOwner } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     console.assert((await scheduleOwner(db.sql)) === undefined);
 *     await claimScheduleOwnerIfNone(db.sql, "blue");
 *     console.assert((await scheduleOwner(db.sql))?.color === "blue");
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function scheduleOwner(sql: SqlClient): Promise<ScheduleOwner | undefined> {
  const [r] = await sql.query<{ color: string; previous_color: string | null; changed_at: Date }>(
    "SELECT color, previous_color, changed_at FROM deploy_schedule_owner",
    [],
    "read the schedule owner",
  );
  if (!r) return undefined;
  return {
    color: parseColor(r.color, "deploy_schedule_owner.color"),
    previousColor: r.previous_color === null
      ? null
      : parseColor(r.previous_color, "deploy_schedule_owner.previous_color"),
    changedAt: new Date(r.changed_at),
  };
}

/**
 * Makes `color` the owner when there is none yet (the first color deployed); returns the owner.
 *
 * @example Usage
 * ```ts
 * import { claimScheduleOwnerIfNone } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     console.assert((await claimScheduleOwnerIfNone(db.sql, "blue")) === "blue");
 *     console.assert((await claimScheduleOwnerIfNone(db.sql, "green")) === "blue"); // kept
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function claimScheduleOwnerIfNone(sql: SqlClient, color: Color): Promise<Color> {
  await sql.query(
    `INSERT INTO deploy_schedule_owner (singleton, color) VALUES (true, $1)
     ON CONFLICT (singleton) DO NOTHING`,
    [color],
    "claim the schedules",
  );
  return (await scheduleOwner(sql))!.color;
}

/**
 * Moves the schedules to `color` (the current owner becomes the previous one).
 *
 * @example Usage
 * ```ts
 * import { claimScheduleOwnerIfNone, setScheduleOwner } from "./colors.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     await claimScheduleOwnerIfNone(db.sql, "blue");
 *     const owner = await setScheduleOwner(db.sql, "green");
 *     console.assert(owner.color === "green" && owner.previousColor === "blue");
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function setScheduleOwner(sql: SqlClient, color: Color): Promise<ScheduleOwner> {
  await sql.query(
    `INSERT INTO deploy_schedule_owner (singleton, color, previous_color, changed_at)
     VALUES (true, $1, NULL, now())
     ON CONFLICT (singleton) DO UPDATE SET
       previous_color = deploy_schedule_owner.color, color = $1, changed_at = now()
     WHERE deploy_schedule_owner.color <> $1`,
    [color],
    "move the schedules",
  );
  return (await scheduleOwner(sql))!;
}

/**
 * Blue/green deployments: colors and the schedule owner recorded in the database
 * ({@linkcode recordColor}, {@linkcode scheduleOwner}, {@linkcode setScheduleOwner}), and the
 * canary comparison of two colors' outputs ({@linkcode compareCanaryRuns}). `gam deploy`
 * (`src/cli/commands/deploy.ts`) drives them.
 *
 * @example The other color
 * ```ts
 * import { otherColor, parseColor } from "./mod.ts";
 * console.log(otherColor(parseColor("blue"))); // "green"
 * ```
 *
 * @module
 */
export * from "./colors.ts";
export * from "./canary.ts";

/**
 * The zod schema of a bbox, kept apart from `bbox.ts` so that code needing only
 * {@linkcode checkBbox} (the `gam grid` command, the gridding module) does not load zod, which
 * costs about 25 ms of every process start.
 *
 * @module
 */
import { z } from "zod";
import { type Bbox, bboxProblem } from "./bbox.ts";

/**
 * The zod schema of a bbox, using the same rules and messages as {@linkcode checkBbox}.
 *
 * @example Usage
 * ```ts
 * import { BboxSchema } from "./bbox_schema.ts";
 * BboxSchema.parse([16, -35, 33, -22]);
 * ```
 */
export const BboxSchema: z.ZodType<Bbox> = z.custom<Bbox>(
  (v) => bboxProblem(v) === undefined,
  { error: (issue) => `Invalid bbox: ${bboxProblem(issue.input)}` },
);

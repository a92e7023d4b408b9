/**
 * Cron expressions for `modalities.<name>.schedule`: five fields
 * (`minute hour day-of-month month day-of-week`, names like `MON` and `JAN` allowed) or one of
 * the macros `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`. Parsing is done by the npm
 * package `croner`, which the scheduler of `gam serve` uses as well, so what validates here
 * is what runs there.
 *
 * @module
 */
import { Cron } from "croner";

const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

/**
 * Returns why `expr` is not a usable 5-field cron expression, or `undefined` when it is.
 * An expression that can never fire (such as `0 0 30 2 *`, February 30th) is refused too.
 *
 * @param expr The expression as written.
 * @returns A phrase describing the problem, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { cronProblem } from "./cron.ts";
 * cronProblem("*\/15 * * * *"); // undefined
 * cronProblem("61 * * * *"); // "invalid value for minute: 61"
 * ```
 */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (!MACROS.has(text.toLowerCase())) {
    const fields = text.split(/\s+/).filter((f) => f !== "");
    if (fields.length !== 5) {
      return `expected 5 fields "minute hour day-of-month month day-of-week" or a macro ` +
        `such as @daily, got ${fields.length} field${fields.length === 1 ? "" : "s"}`;
    }
  }
  let job: Cron | undefined;
  try {
    job = new Cron(text, { paused: true, mode: "5-part" });
    if (job.nextRun() === null) return "the expression never matches a date";
    return undefined;
  } catch (e) {
    const msg = (e as Error).message.replace(/^CronPattern:\s*/, "");
    return msg.charAt(0).toLowerCase() + msg.slice(1);
  } finally {
    job?.stop();
  }
}

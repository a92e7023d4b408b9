/**
 * Private helpers of the contracts package.
 *
 * @module
 */
import type { z } from "zod";

/** Formats zod issues as `path: message` strings. */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
      .replace(/^\./, "");
    return `${path || "(root)"}: ${i.message}`;
  });
}

/**
 * Pushes an issue when `axis` is empty, not finite or not strictly increasing.
 */
export function checkAxis(axis: Float64Array, name: string, issues: string[]): void {
  if (axis.length === 0) {
    issues.push(`${name}: axis is empty`);
    return;
  }
  for (let i = 0; i < axis.length; i++) {
    if (!Number.isFinite(axis[i])) {
      issues.push(`${name}[${i}]: must be finite, got ${axis[i]}`);
      return;
    }
    if (i > 0 && !(axis[i] > axis[i - 1])) {
      issues.push(
        `${name}: must be strictly increasing, but [${i - 1}] = ${axis[i - 1]} and [${i}] = ${
          axis[i]
        }`,
      );
      return;
    }
  }
}

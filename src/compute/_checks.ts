/**
 * Argument checks and row banding shared by the typed kernel wrappers. Private to `src/compute/`.
 *
 * @module
 */
import { FilterOptionError, type GridArray } from "./arrays.ts";

/** Throws {@linkcode FilterOptionError} naming `grid` when its size is not `nx * ny`. */
export function checkGrid(g: GridArray): void {
  if (!Number.isInteger(g.nx) || !Number.isInteger(g.ny) || g.nx < 1 || g.ny < 1) {
    throw new FilterOptionError(
      "grid",
      `grid dimensions must be integers >= 1, got ${g.nx} x ${g.ny}`,
    );
  }
  if (g.values.length !== g.nx * g.ny) {
    throw new FilterOptionError(
      "grid",
      `grid values length ${g.values.length} differs from nx * ny = ${g.nx} * ${g.ny}`,
    );
  }
}

/** Throws {@linkcode FilterOptionError} naming `name` when `v` is not finite or not `ok`. */
export function checkNumber(name: string, v: number, ok: boolean, expected: string): void {
  if (!Number.isFinite(v) || !ok) {
    throw new FilterOptionError(name, `${name} must be ${expected}, got ${v}`);
  }
}

/** Row bands `[r0, r1)` covering `0..ny` in `count` near-equal parts. */
export function bandsOf(ny: number, count: number): [number, number][] {
  const n = Math.max(1, Math.min(ny, Math.floor(count)));
  const out: [number, number][] = [];
  for (let b = 0; b < n; b++) {
    out.push([Math.floor((b * ny) / n), Math.floor(((b + 1) * ny) / n)]);
  }
  return out;
}

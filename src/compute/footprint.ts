/**
 * The data footprint of a grid: the distance from every node to the nearest point, by a
 * Euclidean distance transform of a sampled function (Felzenszwalb and Huttenlocher 2012,
 * "Distance transforms of sampled functions", Theory of Computing 8): linear passes over the
 * nodes, whatever the number of points, with no k-d tree.
 *
 * Each point is assigned to its nearest node (points beyond the grid to the nearest edge node),
 * whose seed is its closest assigned point; the transform finds for every node the seed node
 * `q` minimising `|node - q|² + |q - point(q)|²` in the gridding metric (longitude differences
 * scaled by the cosine of the node's latitude, degrees of latitude), and the result is the
 * distance from the node to the nearest of the points of `q` and its 8 neighbours. It is a
 * distance to a real point, so never shorter than the truth (to float32 rounding of the stored
 * offsets), and longer only when the nearest point belongs to none of those 9 nodes: by less
 * than one cell, 0.06 cells on average on the test fixture. That is what masks in node spacings
 * and completeness need; an explicit `maxDistance` of `gridPoints` masks by the exact k-d tree
 * distances of the `distance_to_nearest` kernel.
 *
 * The transform runs in the Rust core (`footprint_distance`, `crates/gam-core/src/grid/
 * footprint.rs`) on the calling thread's instance: the same operations as the TypeScript it
 * replaced (kept in `footprint_test.ts` as the reference its distances equal bit for bit),
 * about 0.1 s of CPU a million nodes there. It goes through the typed kernel boundary
 * (`kernels.ts`): `{ lon, lat, spec, rowCos }`, the Rust parameter names, with `spec` the
 * gridding kernels' `[west, south, dx, dy, nx, ny]` (`dx = dy = spacing`).
 *
 * @module
 */
import { callKernel, type CoreModule } from "./kernels.ts";

/** Layout fields the transform needs (see `gridLayout`). */
export interface FootprintLayout {
  /** Longitude of column 0, degrees. */
  west: number;
  /** Latitude of row 0, degrees. */
  south: number;
  /** Node spacing, degrees (both axes). */
  spacing: number;
  /** Columns. */
  nx: number;
  /** Rows. */
  ny: number;
}

let core: Promise<CoreModule> | undefined;

/**
 * Distance from every node to the nearest point, degrees of latitude, row-major (see the
 * module docs); Infinity everywhere when there are no points.
 *
 * @param lon Point longitudes, degrees (finite).
 * @param lat Point latitudes, degrees (finite).
 * @param layout The grid's nodes.
 *
 * @example Usage
 * ```ts
 * import { footprintDistance } from "./footprint.ts";
 * const d = await footprintDistance(new Float64Array([0]), new Float64Array([0]), {
 *   west: 0, south: 0, spacing: 1, nx: 3, ny: 1,
 * });
 * // d: [0, 1, 2]
 * ```
 */
export async function footprintDistance(
  lon: Float64Array,
  lat: Float64Array,
  layout: FootprintLayout,
): Promise<Float64Array<ArrayBuffer>> {
  const { west, south, spacing, nx, ny } = layout;
  // The rows' cosines are JavaScript's Math.cos, as before the move (Rust's may differ in the
  // last bit).
  const rowCos = new Float64Array(ny);
  for (let j = 0; j < ny; j++) rowCos[j] = Math.cos(((south + j * spacing) * Math.PI) / 180);
  const wasm = await (core ??= import("./wasm/gam_core.js"));
  const spec = new Float64Array([west, south, spacing, spacing, nx, ny]);
  return callKernel(wasm, "footprint_distance", { lon, lat, spec, rowCos });
}

/**
 * Runs the transform six times on a 32 x 32 grid on the calling thread (about 10 ms) so that
 * the real call runs optimised code: V8 runs a WebAssembly function's first call in baseline
 * code to its end (measured on 1001 x 1001 nodes and 500,000 points: a first call 0.20 s of
 * CPU, later ones 0.11 s; after this warm-up the first real call took 0.13-0.20 s at load 15).
 * Never changes a result; failures are ignored.
 *
 * @example Usage
 * ```ts
 * import { warmUpFootprint } from "./footprint.ts";
 * await warmUpFootprint(); // while the input is read
 * ```
 */
export async function warmUpFootprint(): Promise<void> {
  try {
    const lon = Float64Array.from({ length: 64 }, (_, k) => (k % 8) * 0.3);
    const lat = Float64Array.from({ length: 64 }, (_, k) => Math.floor(k / 8) * 0.3);
    // A few calls: one is not always enough for V8 to optimise the loops before the real one.
    for (let k = 0; k < 6; k++) {
      await footprintDistance(lon, lat, { west: 0, south: 0, spacing: 0.1, nx: 32, ny: 32 });
    }
  } catch {
    // Only a head start.
  }
}

/**
 * PNG images of grids, colour bars and histograms, encoded with the npm `fast-png` package.
 *
 * @module
 */
import { encode } from "fast-png";
import { type Colormap, viridis } from "./colormap.ts";

/** An encoded PNG and its size in pixels. */
export interface PngImage {
  bytes: Uint8Array;
  width: number;
  height: number;
}

/**
 * Encodes RGBA pixels (row 0 at the top) as a PNG.
 *
 * @example Usage
 * ```ts
 * import { encodePng } from "./png.ts";
 * const png = encodePng(new Uint8Array(4 * 4), 2, 2);
 * ```
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): PngImage {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`RGBA buffer has ${rgba.length} bytes, expected ${width * height * 4}`);
  }
  return { bytes: encode({ width, height, data: rgba, channels: 4, depth: 8 }), width, height };
}

/** Robust colour limits: the 2nd and 98th percentiles of the finite values. */
export function colourLimits(values: ArrayLike<number>): [number, number] {
  const finite: number[] = [];
  const step = Math.max(1, Math.floor(values.length / 200_000)); // a sample is enough
  for (let i = 0; i < values.length; i += step) {
    if (Number.isFinite(values[i])) finite.push(values[i]);
  }
  if (finite.length === 0) return [0, 1];
  finite.sort((a, b) => a - b);
  const q = (p: number) => finite[Math.min(finite.length - 1, Math.floor(p * (finite.length - 1)))];
  let [lo, hi] = [q(0.02), q(0.98)];
  if (!(hi > lo)) {
    [lo, hi] = [
      finite[0],
      finite[finite.length - 1] + (finite[0] === finite[finite.length - 1] ? 1 : 0),
    ];
  }
  return [lo, hi];
}

/** Options of {@linkcode gridPng}. */
export interface GridPngOptions {
  /** Colour limits `[min, max]` in data units. @default 2nd and 98th percentiles */
  limits?: [number, number];
  /** @default viridis */
  colormap?: Colormap;
  /** Largest image side in pixels; larger grids are subsampled. @default 800 */
  maxSide?: number;
}

/**
 * Renders a row-major `[lat][lon]` grid (row 0 south) as a north-up PNG; NaN cells are
 * transparent.
 *
 * @example Usage
 * ```ts
 * import { gridPng } from "./png.ts";
 * const img = gridPng(new Float64Array([1, 2, NaN, 4]), 2, 2);
 * ```
 */
export function gridPng(
  values: ArrayLike<number>,
  nx: number,
  ny: number,
  options: GridPngOptions = {},
): PngImage & { limits: [number, number] } {
  const limits = options.limits ?? colourLimits(values);
  const cmap = options.colormap ?? viridis;
  const maxSide = options.maxSide ?? 800;
  const scale = Math.max(1, Math.max(nx, ny) / maxSide);
  const w = Math.max(1, Math.round(nx / scale)), h = Math.max(1, Math.round(ny / scale));
  const rgba = new Uint8Array(w * h * 4);
  const span = limits[1] - limits[0] || 1;
  for (let y = 0; y < h; y++) {
    const row = Math.min(ny - 1, Math.floor(((h - 1 - y) + 0.5) * ny / h)); // north up
    for (let x = 0; x < w; x++) {
      const col = Math.min(nx - 1, Math.floor((x + 0.5) * nx / w));
      const v = values[row * nx + col];
      const o = (y * w + x) * 4;
      if (!Number.isFinite(v)) continue; // transparent
      const [r, g, b] = cmap((v - limits[0]) / span);
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = 255;
    }
  }
  return { ...encodePng(rgba, w, h), limits };
}

/**
 * A vertical colour bar (top = max) as a PNG.
 *
 * @example Usage
 * ```ts
 * import { colourBarPng } from "./png.ts";
 * colourBarPng(16, 200);
 * ```
 */
export function colourBarPng(
  width: number,
  height: number,
  colormap: Colormap = viridis,
): PngImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const [r, g, b] = colormap(1 - y / Math.max(1, height - 1));
    for (let x = 0; x < width; x++) rgba.set([r, g, b, 255], (y * width + x) * 4);
  }
  return encodePng(rgba, width, height);
}

/** Histogram counts of the finite values over `bins` equal bins between min and max. */
export function histogram(
  values: ArrayLike<number>,
  bins = 40,
): { edges: number[]; counts: number[] } {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return { edges: [], counts: [] };
  if (hi === lo) hi = lo + 1;
  const counts = new Array(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  return { edges, counts };
}

/**
 * A histogram drawn as a PNG bar chart (bars coloured by the colour map).
 *
 * @example Usage
 * ```ts
 * import { histogramPng } from "./png.ts";
 * histogramPng([3, 5, 2], 300, 120);
 * ```
 */
export function histogramPng(
  counts: number[],
  width: number,
  height: number,
  colormap: Colormap = viridis,
): PngImage {
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const max = Math.max(1, ...counts);
  const n = Math.max(1, counts.length);
  for (let i = 0; i < counts.length; i++) {
    const x0 = Math.floor((i * width) / n),
      x1 = Math.max(x0 + 1, Math.floor(((i + 1) * width) / n) - 1);
    const top = height - Math.round((counts[i] / max) * (height - 1));
    const [r, g, b] = colormap(n === 1 ? 0.5 : i / (n - 1));
    for (let y = top; y < height; y++) {
      for (let x = x0; x < x1; x++) rgba.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return encodePng(rgba, width, height);
}

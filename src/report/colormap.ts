/**
 * Colour maps for grid images. `viridis` (perceptually uniform, colour-blind safe; van der
 * Walt and Smith, matplotlib 2015) is the default for fields; `balance` (blue-white-red) suits
 * anomalies centred on zero.
 *
 * Viridis is evaluated with the 6th-order polynomial fit published by Matt Zucker
 * (shadertoy "Fast viridis", CC0), accurate to about 1/255 per channel.
 *
 * @module
 */

/** A colour map: t in [0, 1] to `[r, g, b]` bytes. */
export type Colormap = (t: number) => [number, number, number];

const V = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

const byte = (x: number) => Math.max(0, Math.min(255, Math.round(x * 255)));

/**
 * Viridis.
 *
 * @example Usage
 * ```ts
 * import { viridis } from "./colormap.ts";
 * viridis(0); // dark purple [68, 1, 84]
 * ```
 */
export const viridis: Colormap = (t) => {
  const x = Math.max(0, Math.min(1, t));
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let k = V.length - 1; k >= 0; k--) v = v * x + V[k][c];
    out[c] = byte(v);
  }
  return out;
};

/**
 * A diverging blue-white-red map: 0 blue, 0.5 white, 1 red.
 *
 * @example Usage
 * ```ts
 * import { balance } from "./colormap.ts";
 * balance(0.5); // [255, 255, 255]
 * ```
 */
export const balance: Colormap = (t) => {
  const x = Math.max(0, Math.min(1, t));
  const blue = [33, 102, 172], red = [178, 24, 43];
  const end = x < 0.5 ? blue : red;
  const w = x < 0.5 ? 1 - x / 0.5 : (x - 0.5) / 0.5;
  return [0, 1, 2].map((c) => Math.round(255 + (end[c] - 255) * w)) as [number, number, number];
};

/** Colour maps by name. */
export const COLORMAPS: Record<string, Colormap> = { viridis, balance };

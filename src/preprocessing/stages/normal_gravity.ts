/**
 * Normal gravity of the WGS84 ellipsoid at a station's latitude and height, and the stage
 * that removes it from observed gravity (the gravity disturbance, mGal).
 *
 * Method: the closed-form expression of Lakshmanan (1991) as corrected by Li and Götze (2001,
 * Geophysics 66(6), 1660-1668), the one Boule's `Ellipsoid.normal_gravity` implements: the
 * geodetic latitude and height are converted to ellipsoidal-harmonic coordinates (reduced
 * latitude β, semiminor axis u of the confocal ellipsoid through the point), then
 * γ = (GM/(u²+E²) + ω²a²E q'/q₀ (sin²β/2 − 1/6)/(u²+E²) − ω²u cos²β) / W, with
 * W = √((u² + E² sin²β)/(u² + E²)). No free-air approximation is needed, and at h = 0 it
 * equals Somigliana's formula. Valid on or above the ellipsoid (h >= 0).
 *
 * @module
 */
import { z } from "zod";
import type { RawData } from "../../contracts/mod.ts";
import { convert } from "../../units/mod.ts";
import type { Stage, StageData, StageKind } from "../stage.ts";
import { requirePoints } from "./_internal.ts";

/** WGS84 defining constants (NIMA TR8350.2). */
export const WGS84 = {
  /** Semimajor axis, m. */
  a: 6378137.0,
  /** Flattening. */
  f: 1 / 298.257223563,
  /** Geocentric gravitational constant, m³/s². */
  GM: 3.986004418e14,
  /** Angular velocity, rad/s. */
  omega: 7.292115e-5,
} as const;

const b = WGS84.a * (1 - WGS84.f);
const E = Math.sqrt(WGS84.a ** 2 - b ** 2); // linear eccentricity
const E2 = E * E;
const q0 = 0.5 * ((1 + 3 * (b / E) ** 2) * Math.atan2(E, b) - 3 * (b / E));

/**
 * Normal gravity of WGS84, mGal, at geodetic latitude `latDeg` (degrees) and ellipsoidal
 * height `height` (metres, >= 0).
 *
 * @example Usage
 * ```ts
 * import { normalGravity } from "./normal_gravity.ts";
 * normalGravity(0, 0); // 978032.53... mGal, the WGS84 equatorial gravity
 * ```
 */
export function normalGravity(latDeg: number, height: number): number {
  const phi = (latDeg * Math.PI) / 180;
  const sinlat = Math.sin(phi), coslat = Math.cos(phi);
  let sinbeta2: number, u: number;
  if (height === 0) {
    const beta = Math.atan2(b * sinlat, WGS84.a * coslat);
    sinbeta2 = Math.sin(beta) ** 2;
    u = b;
  } else {
    // Li and Götze (2001): ellipsoidal-harmonic coordinates of the point.
    const beta0 = Math.atan2(b * sinlat, WGS84.a * coslat);
    const zp2 = (b * Math.sin(beta0) + height * sinlat) ** 2;
    const rp2 = (WGS84.a * Math.cos(beta0) + height * coslat) ** 2;
    const D = (rp2 - zp2) / E2;
    const R = (rp2 + zp2) / E2;
    const cosbeta2 = Math.abs(0.5 + R / 2 - Math.sqrt(0.25 + (R * R) / 4 - D / 2));
    u = Math.sqrt(rp2 + zp2 - E2 * cosbeta2);
    sinbeta2 = 1 - cosbeta2;
  }
  const cosbeta2 = 1 - sinbeta2;
  const qp = 3 * (1 + (u / E) ** 2) * (1 - (u / E) * Math.atan2(E, u)) - 1;
  const aux = (E * qp) / q0;
  const w = Math.sqrt((u * u + E2 * sinbeta2) / (u * u + E2));
  const t1 = WGS84.GM / (u * u + E2);
  const t2 = (0.5 * sinbeta2 - 1 / 6) * ((WGS84.a ** 2 * aux * WGS84.omega ** 2) / (u * u + E2));
  const t3 = -cosbeta2 * u * WGS84.omega ** 2;
  return ((t1 + t2 + t3) / w) * 1e5;
}

const Params = z.strictObject({
  /** Height used where a point has none, metres. */
  defaultHeight: z.number().min(0).default(0),
});

class NormalGravityStage implements Stage<z.infer<typeof Params>> {
  readonly id = "normal-gravity";
  readonly version = "1.0.0";
  constructor(readonly params: z.infer<typeof Params>) {}
  execute(input: StageData): Promise<StageData> {
    // Runs after the current tick so that bad input rejects the promise instead of throwing.
    return Promise.resolve().then(() => this.#compute(input));
  }

  #compute(input: StageData): StageData {
    const raw = requirePoints(input, this.id, "gravity");
    const { lat, value, height } = raw.points;
    const factor = convert(1, "mGal", raw.units, { modality: "gravity" });
    const out = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const h = height?.[i] ?? this.params.defaultHeight;
      out[i] = value[i] - normalGravity(lat[i], Math.max(0, h)) * factor;
    }
    const result: RawData = { ...raw, points: { ...raw.points, value: out } };
    return result;
  }
}

/**
 * Stage `normal-gravity`: subtracts WGS84 normal gravity at each station's latitude and
 * height (`points.height`, else `defaultHeight` metres) from observed gravity, giving the
 * gravity disturbance in the data's units.
 *
 * @example Usage
 * ```ts
 * import { normalGravityStage } from "./normal_gravity.ts";
 * const stage = normalGravityStage.create({ defaultHeight: 0 });
 * ```
 */
export const normalGravityStage: StageKind<typeof Params> = {
  id: "normal-gravity",
  version: "1.0.0",
  summary: "Remove WGS84 normal gravity (closed form, Li and Götze 2001) from gravity points",
  paramsSchema: Params,
  create: (params) => new NormalGravityStage(params),
};

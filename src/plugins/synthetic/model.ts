/**
 * The truth behind the `synthetic` plugin: buried spheres and right rectangular prisms
 * (gravity, mGal) and magnetic dipoles (total-field anomaly, nT), placed deterministically
 * from a seed inside any bbox. Tests compare survey values with these functions.
 *
 * Coordinates: a local flat-earth frame at the bbox centre, x east, y north, z down (metres).
 * Gravity is the vertical attraction `g_z` (positive down) of density contrasts; magnetics the
 * projection of the dipole field on the inducing-field direction (inclination I, declination D).
 *
 * @module
 */
import type { Bbox } from "@gam/pipeline/plugin";

/** Newton's gravitational constant, m³ kg⁻¹ s⁻². */
export const G = 6.6743e-11;
/** 1 m/s² in mGal. */
export const SI_TO_MGAL = 1e5;
/** Vacuum permeability over 4π, T·m/A. */
export const MU0_OVER_4PI = 1e-7;
const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON_EQ = 111_320;

/** A buried sphere. */
export interface Sphere {
  /** Centre, metres east / north of the frame origin. */
  x: number;
  /** Centre north, metres. */
  y: number;
  /** Centre depth below the surface, metres (> radius). */
  depth: number;
  /** Radius, metres. */
  radius: number;
  /** Density contrast, kg/m³. */
  density: number;
}

/** A right rectangular prism, edges along x/y/z. */
export interface Prism {
  /** West, east edges (metres east). */
  x1: number;
  /** East edge. */
  x2: number;
  /** South edge (metres north). */
  y1: number;
  /** North edge. */
  y2: number;
  /** Top depth, metres (>= 0). */
  top: number;
  /** Bottom depth, metres (> top). */
  bottom: number;
  /** Density contrast, kg/m³. */
  density: number;
}

/** A magnetic dipole. */
export interface Dipole {
  /** Metres east. */
  x: number;
  /** Metres north. */
  y: number;
  /** Depth, metres. */
  depth: number;
  /** Moment, A·m², along the inducing field (induced magnetisation). */
  moment: number;
}

/** The bodies of a synthetic survey and the frame they live in. */
export interface SyntheticModel {
  /** Frame origin longitude, degrees. */
  lon0: number;
  /** Frame origin latitude, degrees. */
  lat0: number;
  /** Spheres. */
  spheres: Sphere[];
  /** Prisms. */
  prisms: Prism[];
  /** Dipoles. */
  dipoles: Dipole[];
  /** Inclination of the inducing field, degrees (positive down). */
  inclination: number;
  /** Declination of the inducing field, degrees east of north. */
  declination: number;
}

/**
 * A seeded random number generator (mulberry32), uniform in [0, 1).
 *
 * @example Usage
 * ```ts
 * import { mulberry32 } from "./model.ts";
 * const rnd = mulberry32(42);
 * rnd(); // same value on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Local metres of (lon, lat) in the model's frame.
 *
 * @example Usage
 * ```ts
 * import { toLocal } from "./model.ts";
 * toLocal({ lon0: 10, lat0: 45 }, 10, 45); // [0, 0]
 * ```
 */
export function toLocal(
  frame: { lon0: number; lat0: number },
  lon: number,
  lat: number,
): [number, number] {
  const kx = M_PER_DEG_LON_EQ * Math.cos((frame.lat0 * Math.PI) / 180);
  return [(lon - frame.lon0) * kx, (lat - frame.lat0) * M_PER_DEG_LAT];
}

/**
 * The bodies for a bbox and seed: 4 spheres, 2 prisms and 5 dipoles, sized to the box (depths
 * a few percent of its width, at least 200 m), all inside its central 80 %.
 *
 * @param bbox The survey bbox.
 * @param seed Seed (integer).
 * @param field Inducing field inclination and declination, degrees. @default {60, 5}
 *
 * @example Usage
 * ```ts
 * import { syntheticModel } from "./model.ts";
 * const m = syntheticModel([10, 45, 11, 46], 42);
 * m.spheres.length; // 4
 * ```
 */
export function syntheticModel(
  bbox: Bbox,
  seed: number,
  field: { inclination?: number; declination?: number } = {},
): SyntheticModel {
  const [w, s, e, n] = bbox;
  const lon0 = (w + e) / 2, lat0 = (s + n) / 2;
  const frame = { lon0, lat0 };
  const [xw] = toLocal(frame, w, lat0);
  const [, ys] = toLocal(frame, lon0, s);
  const halfX = Math.abs(xw), halfY = Math.abs(ys);
  const size = Math.min(halfX, halfY) * 2;
  const rnd = mulberry32(seed);
  const u = (a: number, b: number) => a + (b - a) * rnd();
  const place = () => [u(-0.8, 0.8) * halfX, u(-0.8, 0.8) * halfY];
  const base = Math.max(200, size * 0.03);
  const spheres: Sphere[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = place();
    const radius = base * u(0.4, 0.9);
    spheres.push({ x, y, depth: radius + base * u(0.5, 2), radius, density: u(-400, 600) });
  }
  const prisms: Prism[] = [];
  for (let i = 0; i < 2; i++) {
    const [x, y] = place();
    const hx = base * u(1, 3), hy = base * u(1, 3), top = base * u(0.2, 1);
    prisms.push({
      x1: x - hx,
      x2: x + hx,
      y1: y - hy,
      y2: y + hy,
      top,
      bottom: top + base * u(0.5, 2),
      density: u(-300, 500),
    });
  }
  const dipoles: Dipole[] = [];
  for (let i = 0; i < 5; i++) {
    const [x, y] = place();
    const depth = base * u(0.5, 2);
    // Moments scaled so anomalies reach a few hundred nT (2 x 1e-7 x 2.5 T = 500 nT above a pole).
    dipoles.push({ x, y, depth, moment: u(-0.3, 1) * 2.5 * depth ** 3 });
  }
  return {
    lon0,
    lat0,
    spheres,
    prisms,
    dipoles,
    inclination: field.inclination ?? 60,
    declination: field.declination ?? 5,
  };
}

/**
 * Vertical gravity (mGal, positive down) of a sphere at an observation point at local (x, y)
 * and height h above the surface (metres): `G M z / r³`.
 *
 * @example Usage
 * ```ts
 * import { sphereGz } from "./model.ts";
 * sphereGz({ x: 0, y: 0, depth: 1000, radius: 500, density: 500 }, 0, 0, 0); // about 0.35 mGal
 * ```
 */
export function sphereGz(sp: Sphere, x: number, y: number, h: number): number {
  const dx = sp.x - x, dy = sp.y - y, dz = sp.depth + h;
  const r2 = dx * dx + dy * dy + dz * dz;
  const mass = (4 / 3) * Math.PI * sp.radius ** 3 * sp.density;
  return (G * mass * dz) / (r2 * Math.sqrt(r2)) * SI_TO_MGAL;
}

/**
 * Vertical gravity (mGal, positive down) of a right rectangular prism (Nagy, Papp and Benedek
 * 2000, closed form) at local (x, y) and height h (metres).
 *
 * @example Usage
 * ```ts
 * import { prismGz } from "./model.ts";
 * prismGz({ x1: -500, x2: 500, y1: -500, y2: 500, top: 100, bottom: 600, density: 300 }, 0, 0, 0);
 * ```
 */
export function prismGz(p: Prism, x: number, y: number, h: number): number {
  const xs = [p.x1 - x, p.x2 - x];
  const ys = [p.y1 - y, p.y2 - y];
  const zs = [p.top + h, p.bottom + h];
  let sum = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      for (let k = 0; k < 2; k++) {
        const X = xs[i], Y = ys[j], Z = zs[k];
        const r = Math.sqrt(X * X + Y * Y + Z * Z);
        const sign = (i + j + k) % 2 === 0 ? 1 : -1;
        sum += sign * kernelGz(X, Y, Z, r);
      }
    }
  }
  return G * p.density * sum * SI_TO_MGAL;
}

function safeLog(v: number): number {
  return v > 0 ? Math.log(v) : 0;
}

function kernelGz(X: number, Y: number, Z: number, r: number): number {
  // Integral of Z/r³ over the prism: X ln(Y + r) + Y ln(X + r) - Z atan(XY / (Z r)).
  const at = Z !== 0 ? Math.atan((X * Y) / (Z * r)) : 0;
  return X * safeLog(Y + r) + Y * safeLog(X + r) - Z * at;
}

/**
 * Total-field anomaly (nT) of an induced dipole at local (x, y) and height h (metres): the
 * dipole field projected on the inducing-field direction.
 *
 * @example Usage
 * ```ts
 * import { dipoleTotalField } from "./model.ts";
 * dipoleTotalField({ x: 0, y: 0, depth: 500, moment: 1e9 }, 90, 0, 0, 0, 0); // 1600 nT (pole, 2m/r³)
 * ```
 */
export function dipoleTotalField(
  d: Dipole,
  inclination: number,
  declination: number,
  x: number,
  y: number,
  h: number,
): number {
  const I = (inclination * Math.PI) / 180, D = (declination * Math.PI) / 180;
  // Unit vector of the field in (east, north, down).
  const fe = Math.cos(I) * Math.sin(D), fn = Math.cos(I) * Math.cos(D), fd = Math.sin(I);
  const rx = x - d.x, ry = y - d.y, rz = -(d.depth + h); // from dipole to observer (down +)
  const r2 = rx * rx + ry * ry + rz * rz;
  const r = Math.sqrt(r2);
  const mdotr = d.moment * (fe * rx + fn * ry + fd * rz);
  // B = μ0/4π (3 (m·r) r / r⁵ - m / r³); ΔT = B · F̂.
  const bdotf = (3 * mdotr * (fe * rx + fn * ry + fd * rz)) / (r2 * r2 * r) -
    d.moment / (r2 * r);
  return MU0_OVER_4PI * bdotf * 1e9;
}

/**
 * The noise-free gravity (mGal) of a model at (lon, lat), height h metres.
 *
 * @example Usage
 * ```ts
 * import { gravityAt, syntheticModel } from "./model.ts";
 * gravityAt(syntheticModel([10, 45, 11, 46], 42), 10.5, 45.5, 0);
 * ```
 */
export function gravityAt(m: SyntheticModel, lon: number, lat: number, h: number): number {
  const [x, y] = toLocal(m, lon, lat);
  let g = 0;
  for (const s of m.spheres) g += sphereGz(s, x, y, h);
  for (const p of m.prisms) g += prismGz(p, x, y, h);
  return g;
}

/**
 * The noise-free total-field anomaly (nT) of a model at (lon, lat), height h metres.
 *
 * @example Usage
 * ```ts
 * import { magneticAt, syntheticModel } from "./model.ts";
 * magneticAt(syntheticModel([10, 45, 11, 46], 7), 10.5, 45.5, 120);
 * ```
 */
export function magneticAt(m: SyntheticModel, lon: number, lat: number, h: number): number {
  const [x, y] = toLocal(m, lon, lat);
  let t = 0;
  for (const d of m.dipoles) t += dipoleTotalField(d, m.inclination, m.declination, x, y, h);
  return t;
}
